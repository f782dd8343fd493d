"""Render a PlatformIO project for a board and its emulator twin.

The project is self-contained: ``platformio.ini``, fwgen's PlatformIO development platform
(``platform/fwgen-<digest>/``, named by its content) with one board definition per environment
(``platform/boards/``), one linker script per environment
generated from the board's memory regions (``ld/``), the firmware library copied in
(``src/fwgen/``: the device-independent modules, the app and the ports it needs, with the
firmware/nn kernel variants each environment's core runs, chosen by `fwgen.project.variants` and
kept apart per environment by ``build_src_filter``) and the generated files
(``src/generated/``: model, frontend tables, detector and app configuration, one
``fwgen_board.h`` per environment). Identical inputs give byte-identical projects: every file is
written in sorted order, with no timestamps and no absolute paths.

Public API::

    ProjectSpec(board, generated={...}, inputs={...}, inference_modules=("nn",))
    render_project(spec, out_dir) -> Project
    render_files(spec, root=None) -> dict[str, bytes]   # relative path -> content
    board_header(board) -> str                   # generated fwgen_board.h for one board
    linker_script(board) -> str
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from fwgen import __version__
from fwgen.boards import Board, twin_of
from fwgen.errors import FwgenError
from fwgen.native import repo_root
from fwgen.project import toolchain
from fwgen.project.ownership import MANIFEST, USER_DIR, USER_SRC_DIR, user_files, write_project
from fwgen.project.variants import VARIANT_MODULE, nn_files
from fwgen.render import abi_version, banner, render, sha256_hex

LOG = logging.getLogger(__name__)

# firmware/ modules the pipeline app itself calls (host-independent C only). The modules the
# model's inference calls are the deployment's runtime's (`Runtime.firmware_modules`, passed
# as ProjectSpec.inference_modules), so a runtime brings its own without a change here.
LIBRARY_MODULES = ("common", "frontend", "detect", "link")
# firmware/ folders that are not library modules.
NOT_MODULES = ("app", "ports")
ALL_MODULES = "*"      # an app that links every library module of the tree
# Apps: the firmware/ folder of each one's own sources and the library modules it links.
# "pipeline" is firmware/app/*.{c,h} (audio -> frontend -> model -> detector -> link);
# "smoke" is firmware/app/smoke/ (port bring-up test, no model);
# "harness" is firmware/app/harness/ (semihosting output for test and benchmark images, whose
# main.c the caller passes as src/generated/main.c: fwgen.testing.harness).
APP_FOLDERS = {"pipeline": "app", "smoke": "app/smoke", "harness": "app/harness"}
APP_MODULES: dict[str, tuple[str, ...] | str] = {"pipeline": LIBRARY_MODULES, "smoke": ("common",),
                                                 "harness": ALL_MODULES}
APPS = tuple(APP_FOLDERS)
SOURCE_SUFFIXES = (".c", ".h")
GENERATED_DIR = "src/generated"
IMAGE_FORMATS = ("elf", "hex", "bin")    # what fwgen's platform builds beside each other
PLATFORM_DIR = "platform"      # board definitions (boards/) and fwgen's platform (fwgen-<digest>/)
PLATFORM_DIGEST = 10           # hex digits of the platform folder's content digest
# The PlatformIO monitor filter of apps that speak fwgen's serial link (PlatformIO loads
# monitor/filter_*.py; the class decodes frames with fwgen.monitor.pio_filter.LinkTextFilter).
MONITOR_FILTER = "monitor/filter_fwgen_link.py"
MONITOR_FILTER_NAME = "fwgen_link"
LINK_APPS = ("pipeline",)

# Object-file patterns whose read-only data the linker script files under .fwgen_weights and
# .fwgen_tables (so the size report can name weights and tables without guessing).
WEIGHT_OBJECTS = ("*generated/model*.o",)
TABLE_OBJECTS = ("*generated/frontend*.o", "*generated/logmel*.o", "*generated/detect*.o",
                 "*generated/clip*.o")


@dataclass(frozen=True)
class Upload:
    """How `pio run -t upload` flashes an environment: the command `fwgen flash` runs for the
    board (fwgen.flash.upload_command, `$SOURCE` standing for the image) and the image format
    its runner takes. The caller computes it: the project layer does not run flash tools."""
    runner: str
    command: str
    image_format: str      # "elf" | "hex" | "bin"

    def check(self, env: str) -> None:
        if self.image_format not in IMAGE_FORMATS:
            raise FwgenError(f"upload image format {self.image_format!r} for {env}",
                             hint=f"one of {', '.join(IMAGE_FORMATS)}")
        if "\n" in self.command or re.search(r"\s[;#]", self.command):
            # platformio.ini would end the value there (a new line, or an inline comment)
            raise FwgenError(f"the upload command of {env} cannot be written to platformio.ini: "
                             f"{self.command!r}")


@dataclass(frozen=True)
class ProjectSpec:
    """Everything a project is made of. `generated` maps names under src/generated/ to content."""
    board: Board
    generated: dict[str, str | bytes] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    include_twin: bool = True
    app: str = "pipeline"
    # Library modules to link; None: the app's (APP_MODULES). A harness image may name fewer.
    modules: tuple[str, ...] | None = None
    # The modules the model's inference calls: the deployment's runtime's firmware_modules.
    inference_modules: tuple[str, ...] = ()
    # What the runtime adds besides (Runtime.project_additions): files by project path, and
    # platformio.ini options by env id, as (key, value) lines.
    inference_files: Mapping[str, bytes] = field(default_factory=dict)
    inference_options: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # env id -> how `pio run -t upload` flashes it (boards, not twins; none: no upload command).
    uploads: Mapping[str, Upload] = field(default_factory=dict)
    # What the project was built from, recorded in the manifest for rebuilding it
    # (fwgen.project.settings.BuildSettings.record; JSON-able, paths relative to the project).
    settings: Mapping[str, Any] = field(default_factory=dict)
    # env id -> main stack bytes the linker script reserves (default: the board file's
    # stack_bytes; fwgen.project.build sets what the call graph needs, fwgen.project.stack)
    stack_bytes: Mapping[str, int] = field(default_factory=dict)

    def library_modules(self, root: Path | None = None) -> tuple[str, ...]:
        """The firmware/ modules the project copies, "common" first; FwgenError for a name
        that is no module of the fwgen tree at `root`."""
        if self.app not in APPS:
            raise FwgenError(f"unknown app {self.app!r}", hint=f"one of {', '.join(APPS)}")
        known = firmware_modules(root)
        own = APP_MODULES[self.app] if self.modules is None else self.modules
        chosen = (*(known if own == ALL_MODULES else own), *self.inference_modules)
        unknown = [m for m in chosen if m not in known]
        if unknown:
            raise FwgenError(f"unknown firmware module {unknown[0]!r}",
                             hint=f"one of {', '.join(known)}")
        return tuple(dict.fromkeys(("common", *chosen)))

    def envs(self) -> list[Board]:
        boards = [self.board]
        if self.include_twin and not self.board.is_emulator:
            boards.append(twin_of(self.board))
        return boards


@dataclass(frozen=True)
class Project:
    path: Path
    board: Board
    envs: tuple[str, ...]
    overwritten: tuple[str, ...] = ()     # files changed by hand that --force overwrote

    def elf(self, env: str) -> Path:
        return self.path / ".pio" / "build" / env / "firmware.elf"


def firmware_modules(root: Path | None = None) -> tuple[str, ...]:
    """The library modules of the fwgen tree: the folders of firmware/ but the app and ports."""
    fw = (root or repo_root()) / "firmware"
    return tuple(sorted(p.name for p in fw.iterdir() if p.is_dir() and p.name not in NOT_MODULES))


def _size_text(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} bytes"


def linker_script(board: Board, inputs: dict[str, str] | None = None,
                  stack_bytes: int | None = None) -> str:
    regions = []
    for region in board.memory.regions:
        attrs = "rx" if region is board.memory.flash else "rwx"
        regions.append({"name": region.name.upper(), "attrs": attrs,
                        "origin": f"0x{region.origin:08X}", "length": f"0x{region.length:08X}",
                        "size_text": _size_text(region.length)})
    return render("linker.ld.j2",
                  banner=banner(f"linker script for {board.id}", {"board": board.id, **(inputs or {})},
                                comment="ld"),
                  board_id=board.id, mcu=board.mcu, regions=regions,
                  stack_bytes=f"0x{stack_bytes or board.stack_bytes:X}", flash="FLASH", ram="RAM",
                  weight_objects=WEIGHT_OBJECTS, table_objects=TABLE_OBJECTS)


def _pin(pin: str) -> tuple[int, int] | None:
    """'PA9' -> (0, 9); None for 'none'."""
    if len(pin) >= 3 and pin[0] == "P" and pin[1].isalpha() and pin[2:].isdigit():
        return ord(pin[1].upper()) - ord("A"), int(pin[2:])
    return None


def board_header(board: Board, inputs: dict[str, str] | None = None) -> str:
    pins = []
    for role, pin in (("TX", board.uart.tx), ("RX", board.uart.rx)):
        parsed = _pin(pin)
        if parsed is not None:
            pins.append((f"FWGEN_BOARD_UART_{role}_PORT", f"{parsed[0]}  /* {pin} */"))
            pins.append((f"FWGEN_BOARD_UART_{role}_PIN", str(parsed[1])))
    return render("fwgen_board.h.j2",
                  banner=banner(f"board definitions for {board.id}", {"board": board.id, **(inputs or {})}),
                  abi=abi_version(), name=board.name, board_id=board.id, mcu=board.mcu,
                  clock_hz=board.clock_hz, is_emulator=int(board.is_emulator),
                  uart_peripheral=board.uart.peripheral, uart_base=board.uart.base,
                  uart_irq=board.uart.irq, uart_af=board.uart.af, uart_baud=board.uart.baud,
                  pin_defines=pins, has_mic=0, mps2_uart=board.port == "mps2")


def pio_board_json(board: Board) -> str:
    """PlatformIO board definition (platform/boards/<id>.json) from the board file."""
    upload: dict = {"maximum_size": board.memory.flash.length,
                    "maximum_ram_size": board.memory.ram.length,
                    "protocol": board.runners.default, "protocols": list(board.runners.names())}
    data = {
        "build": {
            "core": "fwgen", "cpu": board.core, "f_cpu": f"{board.clock_hz}L",
            "mcu": board.mcu.lower(),
            # The compiler flags come from fwgen.project.toolchain, the one definition.
            "fwgen": {"board": board.id, "port": board.port, "cpu_flags": board.gcc_cpu_flags(),
                      "cflags": list(toolchain.C_FLAGS), "ldflags": list(toolchain.LINK_FLAGS),
                      "libs": list(toolchain.LIBS)},
        },
        "frameworks": [],
        "name": board.name,
        "upload": upload,
        "url": "",
        "vendor": board.vendor,
    }
    if board.usb is not None:
        data["build"]["hwids"] = [[f"0x{board.usb.vid:04X}", f"0x{board.usb.pid:04X}"]]
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _kernel_files(fw: Path, envs: list[Board]) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """The kernel module (firmware/<VARIANT_MODULE>) as the envs compile it
    (fwgen.project.variants chooses per board): every file some env uses, and per env the ones
    it must not compile (the portable kernels its variants replace, or variants it cannot run),
    as paths under src/ for build_src_filter."""
    per_env = {board.id: {f"src/fwgen/{path.relative_to(fw).as_posix()}": path
                          for path in nn_files(board, fw / VARIANT_MODULE).values()}
               for board in envs}
    union = {rel: path for chosen in per_env.values() for rel, path in chosen.items()}
    files = {rel: union[rel].read_bytes() for rel in sorted(union)}
    excludes = {env: sorted(rel[len("src/"):] for rel in union if rel not in chosen
                            and rel.endswith(".c")) for env, chosen in per_env.items()}
    return files, excludes


def _library_files(root: Path, ports: list[str], app: str, modules: tuple[str, ...]) -> dict[str, bytes]:
    """The app and the firmware modules it needs (the kernel module comes from _kernel_files)."""
    files: dict[str, bytes] = {}
    fw = root / "firmware"
    app_dir = fw / APP_FOLDERS[app]
    for path in sorted(app_dir.glob("*")):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            files[f"src/fwgen/{path.relative_to(fw).as_posix()}"] = path.read_bytes()
    modules = tuple(m for m in modules if m != VARIANT_MODULE)   # from _kernel_files
    port_dirs: list[str] = ["cortexm"]
    for port in ports:
        port_dirs.append(port)
        port_dirs += port_info(port, root).get("depends", [])   # shared header-only port code
    dirs = [fw / m for m in modules] + [fw / "ports" / d for d in dict.fromkeys(port_dirs)]
    for d in dirs:
        if not d.is_dir():
            raise FwgenError(f"firmware module {d.relative_to(root)} is missing from the fwgen tree",
                             where=str(d))
        for path in sorted(d.rglob("*")):
            if path.is_file() and path.suffix in SOURCE_SUFFIXES:
                files[f"src/fwgen/{path.relative_to(fw).as_posix()}"] = path.read_bytes()
    files["src/fwgen/ports/port.h"] = (fw / "ports" / "port.h").read_bytes()
    return files


def port_info(port: str, root: Path | None = None) -> dict:
    """firmware/ports/<port>/port.yaml: what the host needs to know about a port (data)."""
    import yaml

    path = (root or repo_root()) / "firmware" / "ports" / port / "port.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise FwgenError(f"not valid YAML: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("depends", []), list):
        raise FwgenError("expected a mapping with a 'depends' list", where=str(path))
    return data


def _platform_files(root: Path) -> tuple[str, dict[str, bytes]]:
    """fwgen's PlatformIO platform as (its folder in the project, {path: bytes}).

    The folder is named by the digest of its files (platform/fwgen-<digest>/): PlatformIO keeps
    one link per `symlink://` URI string and reuses it for every project that names the same
    string, even when it points into another project folder, so a fixed name would build (and
    upload) with whichever copy PlatformIO met first. A content name is shared only by
    identical copies."""
    base = root / "templates" / "platformio" / "platform"
    content = {p.relative_to(base).as_posix(): p.read_bytes()
               for p in sorted(base.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}
    digest = sha256_hex(b"".join(f"{name}\0{len(data)}\0".encode() + data
                                 for name, data in sorted(content.items())))[:PLATFORM_DIGEST]
    folder = f"{PLATFORM_DIR}/fwgen-{digest}"
    return folder, {f"{folder}/{name}": data for name, data in content.items()}


def render_files(spec: ProjectSpec, root: Path | None = None) -> dict[str, bytes]:
    """The whole project as {relative path: bytes} (pure function of the spec and the fwgen tree
    at `root`, this checkout by default)."""
    root = root or repo_root()
    envs = spec.envs()
    files: dict[str, bytes] = {}
    platform_dir, platform_files = _platform_files(root)
    files.update(platform_files)
    modules = spec.library_modules(root)
    if spec.app == "harness" and "main.c" not in spec.generated:
        raise FwgenError("a harness project needs the image's main.c in ProjectSpec.generated")
    files.update(_library_files(root, sorted({b.port for b in envs}), spec.app, modules))
    src_excludes: dict[str, list[str]] = {b.id: [] for b in envs}
    if VARIANT_MODULE in modules:
        kernels, src_excludes = _kernel_files(root / "firmware", envs)
        files.update(kernels)
    for name, content in spec.generated.items():
        if name.startswith("/") or ".." in Path(name).parts:
            raise FwgenError(f"generated file name {name!r} escapes the project")
        files[f"{GENERATED_DIR}/{name}"] = content.encode() if isinstance(content, str) else content
    for name, content in spec.inference_files.items():
        if name.startswith("/") or ".." in Path(name).parts or name in files:
            raise FwgenError(f"the runtime's project file {name!r} escapes the project or "
                             f"replaces one of fwgen's")
        files[name] = content
    for board in envs:
        files[f"{PLATFORM_DIR}/boards/{board.platformio_board}.json"] = pio_board_json(board).encode()
        files[f"ld/{board.id}.ld"] = linker_script(board, spec.inputs,
                                                    spec.stack_bytes.get(board.id)).encode()
        files[f"{GENERATED_DIR}/boards/{board.id}/fwgen_board.h"] = board_header(board, spec.inputs).encode()
    unknown = sorted(set(spec.uploads) - {b.id for b in envs})
    if unknown:
        raise FwgenError(f"an upload command for {unknown[0]}, which is not an environment of "
                         f"the project", hint=f"environments: {', '.join(b.id for b in envs)}")
    for env, upload in spec.uploads.items():
        upload.check(env)
    link = spec.app in LINK_APPS
    if link:
        files[MONITOR_FILTER] = render(
            "platformio/monitor/filter_fwgen_link.py.j2", name=MONITOR_FILTER_NAME,
            banner=banner("PlatformIO monitor filter: fwgen's serial link, decoded",
                          {"board": spec.board.id}, comment="py")).encode()
    env_views = [{"name": b.id, "title": f"{b.name}: {b.core}, {b.clock_hz // 1_000_000} MHz"
                  + (" (QEMU twin)" if b.is_emulator else ""),
                  "pio_board": b.platformio_board, "port": b.port,
                  "src_excludes": src_excludes[b.id], "baud": b.uart.baud,
                  "upload": spec.uploads.get(b.id),
                  "inference_options": list(spec.inference_options.get(b.id, ()))} for b in envs]
    files["platformio.ini"] = render(
        "platformio.ini.j2",
        banner=banner(f"PlatformIO project for {spec.board.id}", {"board": spec.board.id, **spec.inputs},
                      comment="ini"),
        default_env=spec.board.id, envs=env_views, platform_dir=platform_dir,
        boards_dir=f"{PLATFORM_DIR}/boards",
        monitor_filter=MONITOR_FILTER_NAME if link else None, monitor_file=MONITOR_FILTER,
        user_dir=USER_DIR if user_files(spec.app) else None, user_src_dir=USER_SRC_DIR,
        manifest=MANIFEST).encode()
    digests = {path: sha256_hex(data) for path, data in sorted(files.items())}
    manifest = {"fwgen": __version__, "board": spec.board.id, "app": spec.app, "envs": [b.id for b in envs],
                "inputs": dict(sorted(spec.inputs.items())), "files": digests}
    if spec.settings:
        manifest["build"] = dict(spec.settings)
    files[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    return files


def render_project(spec: ProjectSpec, out_dir: Path, *, force: bool = False) -> Project:
    """Write the project into `out_dir`, removing stale files fwgen wrote before (never others).

    Only files whose content changed are rewritten, so `pio run` stays incremental. A generated
    file changed by hand since fwgen wrote it is neither overwritten nor removed: FwgenError
    naming it, before anything is written, unless `force` (fwgen.project.ownership). src/user/
    is created once and never written again.
    """
    files = render_files(spec)
    if out_dir.exists() and not out_dir.is_dir():
        raise FwgenError("the project folder is a file", where=str(out_dir),
                         hint="choose a folder with --out")
    with removed_on_error(out_dir):
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FwgenError(f"cannot create the project folder: {exc.strerror}", where=str(out_dir),
                             hint="choose a writable folder with --out") from None
        overwritten = write_project(out_dir, files, user_files(spec.app), force=force)
    return Project(path=out_dir, board=spec.board, envs=tuple(b.id for b in spec.envs()),
                   overwritten=overwritten)


@contextmanager
def removed_on_error(out_dir: Path) -> Iterator[None]:
    """Remove `out_dir` again if the block fails (or is interrupted) and the folder did not exist
    before it, with the parents the block created for it: a failed `fwgen build` leaves no
    half-written project behind. An existing folder (a rebuild) is left as it is."""
    created = None                     # the outermost folder the block may create
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            break
        created = folder
    try:
        yield
    except BaseException:
        if created is not None and created.is_dir():
            LOG.debug("removing the half-written project %s", created)
            shutil.rmtree(created, ignore_errors=True)
        raise
