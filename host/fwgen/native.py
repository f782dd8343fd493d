"""Host builds of fwgen's C code, loaded into Python with ctypes.

The same C sources that go into the firmware are compiled for the host on first use
(CMake, cached by a hash of the sources), so features, logits and detections computed
in Python come from the code the board runs. Nothing here is a Python re-implementation.
"""
from __future__ import annotations

import ctypes
import fcntl
import hashlib
import logging
import os
import shutil
import subprocess
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from fwgen.errors import FwgenError, ToolMissingError

LOG = logging.getLogger(__name__)

CORE_LIBRARY = "fwgen_host"


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


def _hash_files(paths: Iterable[Path], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialize builds of the same target across processes (pytest-xdist workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(argv: list[str], cwd: Path | None = None) -> None:
    if shutil.which(argv[0]) is None:
        raise ToolMissingError(argv[0])
    LOG.debug("running %s", " ".join(argv))
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
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


def compile_shared(name: str, sources: list[Path], include_dirs: list[Path] = (),
                   defines: dict[str, str] | None = None,
                   flags: Iterable[str] = ("-O2",)) -> Path:
    """Compile generated C (plus fwgen's firmware sources it needs) into a cached shared library.

    Used for per-model or per-settings code such as generated model.c files. The cache key
    covers the content of every source and header directory, so a change rebuilds.
    """
    compiler = os.environ.get("CC", "cc")
    defines = defines or {}
    headers = [h for d in include_dirs for h in Path(d).rglob("*.h")]
    argv_extra = [f"-D{k}={v}" for k, v in sorted(defines.items())] + list(flags)
    key = _hash_files([Path(s) for s in sources] + headers, extra=" ".join(argv_extra))
    out = cache_dir() / "shared" / f"{name}-{key}.so"
    with _locked(out.with_suffix(".lock")):
        if not out.exists():
            tmp = out.with_suffix(f".{os.getpid()}.tmp")
            argv = [compiler, "-shared", "-fPIC", "-std=c11", "-Wall", "-Wextra", "-Werror",
                    *argv_extra, *[f"-I{d}" for d in include_dirs],
                    *[str(s) for s in sources], "-o", str(tmp), "-lm"]
            _run(argv)
            tmp.replace(out)
    return out
