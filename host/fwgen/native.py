"""Host builds of fwgen's C code, loaded into Python with ctypes.

The same C sources that go into the firmware are compiled for the host on first use
(CMake, cached by a hash of the sources), so features, logits and detections computed
in Python come from the code the board runs. Nothing here is a Python re-implementation.

Per-model and per-test libraries (`compile_shared`) go to ``cache_dir()/shared``, which is
bounded: after each new library the least recently used ones beyond `SHARED_MAX_LIBRARIES` or
`SHARED_MAX_BYTES` are removed (never one used in the last `SHARED_KEEP_RECENT_S` seconds, which
another process may be about to load), and so are the partial outputs of killed builds. The
lock that serialises one library's build is removed by its holder, so no lock file stays.
Compilers run through fwgen.process: they die with fwgen.
"""
from __future__ import annotations

import ctypes
import fcntl
import hashlib
import logging
import os
import shutil
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Iterable, Iterator

from fwgen import process
from fwgen.errors import FwgenError, ToolMissingError

LOG = logging.getLogger(__name__)

CORE_LIBRARY = "fwgen_host"

SHARED_MAX_LIBRARIES = 256        # compile_shared libraries kept in cache_dir()/shared
SHARED_MAX_BYTES = 128 << 20      # ... and their total size (a model library is ~70 KB)
SHARED_KEEP_RECENT_S = 60.0       # used this recently: kept whatever the bound (being loaded)
STALE_BUILD_S = 3600.0            # a .tmp output this old is a killed build's, whoever made it


def repo_root() -> Path:
    """The fwgen source tree (firmware/, templates/, boards/, models/ live here)."""
    env = os.environ.get("FWGEN_ROOT")
    root = Path(env) if env else Path(__file__).resolve().parents[2]
    if not (root / "firmware").is_dir():
        raise FwgenError(f"fwgen's firmware sources were not found under {root}",
                         hint="install fwgen from its source tree with 'pip install -e .' "
                              "or set FWGEN_ROOT to the checkout")
    return root


def cache_dir() -> Path:
    """Where host builds go: $FWGEN_CACHE_DIR, else ~/.cache/fwgen."""
    env = os.environ.get("FWGEN_CACHE_DIR")
    path = Path(env) if env else Path.home() / ".cache" / "fwgen"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _hash_files(paths: Iterable[Path], extra: str = "", relative_to: Iterable[Path] = ()) -> str:
    """Names and contents; a path under one of `relative_to` counts by its name there, so the
    same sources written to another temporary folder give the same key."""
    roots = [Path(r) for r in relative_to]
    digest = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        name = next((str(path.relative_to(r)) for r in roots if path.is_relative_to(r)), str(path))
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _names_open_file(path: Path, handle: IO[str]) -> bool:
    """`path` still names the file `handle` has open (not removed, nor replaced by a new one)."""
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(handle.fileno())
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialize builds of the same target across processes (pytest-xdist workers).

    The holder removes the lock file before releasing it, so none is left behind; a waiter that
    then gets the lock of a removed file tries again on the path's current file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        handle = open(path, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if _names_open_file(path, handle):
                break
        except BaseException:
            handle.close()
            raise
        handle.close()
    try:
        yield
    finally:
        with suppress(FileNotFoundError):
            path.unlink()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _run(argv: list[str], cwd: Path | None = None) -> None:
    if shutil.which(argv[0]) is None:
        raise ToolMissingError(argv[0])
    LOG.debug("running %s", " ".join(argv))
    proc = process.run(argv, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FwgenError(f"host build failed: {' '.join(argv)}\n{proc.stdout}\n{proc.stderr}")


def core_sources(root: Path | None = None) -> list[Path]:
    root = root or repo_root()
    files = [root / "CMakeLists.txt"]
    for sub in ("firmware", "tests/c"):
        base = root / sub
        if base.is_dir():
            files += [p for p in base.rglob("*") if p.suffix in (".c", ".h", ".txt", ".cmake")]
    return files


def _build_dir() -> tuple[Path, Path]:
    root = repo_root()
    key = _hash_files(core_sources(root))
    return root, cache_dir() / f"host-{key}"


def _cmake_build(target: str) -> Path:
    """Configure once, then build one CMake target; a stamp records each finished target."""
    root, build = _build_dir()
    stamp = build / f".built-{target}"
    with _locked(build.with_suffix(".lock")):
        if not stamp.exists():
            LOG.info("building %s in %s", target, build)
            if not (build / "CMakeCache.txt").exists():
                _run(["cmake", "-S", str(root), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"])
            _run(["cmake", "--build", str(build), "--target", target,
                  "--parallel", str(os.cpu_count() or 1)])
            stamp.touch()
    return build


def build_core() -> Path:
    """Configure and build the host library with CMake (once per source hash).

    Only the library target is built here, so a broken C test program cannot stop Python
    from loading the library; the tests are built by `build_c_test`.
    """
    return _cmake_build(CORE_LIBRARY) / f"lib{CORE_LIBRARY}.so"


def build_c_test(name: str) -> Path:
    """Build one C test program from tests/c/<name>.c and return its path."""
    return _cmake_build(name) / name


@lru_cache(maxsize=None)
def load_core() -> ctypes.CDLL:
    """The host build of firmware/ (frontend, nn, detect, link), loaded with ctypes."""
    return ctypes.CDLL(str(build_core()))


def declare(lib: ctypes.CDLL, signatures: dict[str, tuple[object, list[object]]]) -> ctypes.CDLL:
    """Give C functions their ctypes signatures from a table {name: (restype, [argtypes])}, as
    the bindings mirror each public header; returns `lib`."""
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = list(argtypes)
    return lib


def host_compiler() -> str:
    """The C compiler of compile_shared: $CC, else cc."""
    return os.environ.get("CC", "cc")


def compile_shared(name: str, sources: list[Path], include_dirs: list[Path] = (),
                   defines: dict[str, str] | None = None,
                   flags: Iterable[str] = ("-O2",), *, std: str = "c11") -> Path:
    """Compile generated C (plus fwgen's firmware sources it needs) into a cached shared library.

    Used for per-model or per-settings code such as generated model.c files, and for the QEMU
    plugin of fwgen bench (`std` gnu11: QEMU's plugin header is GNU C). The cache key covers
    the content of every source and header directory and the flags, so a change rebuilds.
    """
    compiler = host_compiler()
    defines = defines or {}
    headers = [h for d in include_dirs for h in Path(d).rglob("*.h")]
    argv_extra = [f"-std={std}", *(f"-D{k}={v}" for k, v in sorted(defines.items())), *flags]
    # include folders count by relative names: a generated model written to a new temporary
    # folder each time (fwgen.compiler.host) must not rebuild the library every time
    key = _hash_files([Path(s) for s in sources] + headers, extra=" ".join(argv_extra),
                      relative_to=include_dirs)
    folder = cache_dir() / "shared"
    out = folder / f"{name}-{key}.so"
    if _touch(out):     # built before: now the most recently used
        return out
    with _locked(out.with_suffix(".lock")):
        if not out.exists():
            tmp = out.with_suffix(f".{os.getpid()}.tmp")
            argv = [compiler, "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
                    *argv_extra, *[f"-I{d}" for d in include_dirs],
                    *[str(s) for s in sources], "-o", str(tmp), "-lm"]
            try:
                _run(argv)
                tmp.replace(out)
            finally:
                with suppress(FileNotFoundError):
                    tmp.unlink()
    prune_shared(folder, keep=out)
    return out


def _touch(path: Path) -> bool:
    """Mark `path` used now (its mtime orders the cache); False if it does not exist."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


@dataclass(frozen=True)
class PruneReport:
    libraries: list[Path]    # least recently used libraries removed to keep the bound
    leftovers: list[Path]    # unheld lock files, outputs of killed builds


def prune_shared(folder: Path, *, keep: Path | None = None,
                 max_libraries: int | None = None, max_bytes: int | None = None,
                 keep_recent_s: float | None = None) -> PruneReport:
    """Bound the libraries in `folder` (defaults: the SHARED_* limits), least recently used
    first, never `keep` or one used in the last `keep_recent_s`; remove lock files no process
    holds and the outputs of builds that were killed."""
    max_libraries = SHARED_MAX_LIBRARIES if max_libraries is None else max_libraries
    max_bytes = SHARED_MAX_BYTES if max_bytes is None else max_bytes
    keep_recent_s = SHARED_KEEP_RECENT_S if keep_recent_s is None else keep_recent_s
    now = time.time()
    libraries = []
    for path in folder.glob("*.so"):
        with suppress(FileNotFoundError):
            stat = path.stat()
            libraries.append((stat.st_mtime, stat.st_size, path))
    libraries.sort(key=lambda item: item[0], reverse=True)    # most recently used first
    removed, count, total = [], 0, 0
    for mtime, size, path in libraries:
        count, total = count + 1, total + size
        over = count > max_libraries or total > max_bytes
        if over and path != keep and now - mtime > keep_recent_s:
            with suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
                count, total = count - 1, total - size
    leftovers = [p for p in folder.glob("*.lock") if _remove_unheld_lock(p)]
    leftovers += [p for p in folder.glob("*.tmp") if _remove_killed_build(p, now)]
    if removed or leftovers:
        LOG.info("shared library cache %s: removed %d least recently used, %d leftovers",
                 folder, len(removed), len(leftovers))
    return PruneReport(removed, leftovers)


def _remove_unheld_lock(path: Path) -> bool:
    """Remove a lock file nobody holds (left by an older fwgen), as its holder would."""
    try:
        handle = open(path, "a")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False     # held: a build is running
        try:
            if not _names_open_file(path, handle):
                return False
            path.unlink()
            return True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_killed_build(path: Path, now: float) -> bool:
    """Remove NAME.PID.tmp once process PID is gone, or once it is STALE_BUILD_S old."""
    try:
        pid = int(path.suffixes[-2].lstrip("."))
        os.kill(pid, 0)
        alive = True
    except (IndexError, ValueError):
        alive = False
    except ProcessLookupError:
        alive = False
    except PermissionError:
        alive = True
    try:
        if alive and now - path.stat().st_mtime < STALE_BUILD_S:
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    return True
