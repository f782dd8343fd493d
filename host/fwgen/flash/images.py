"""Which firmware image to flash, and in the format a runner takes.

`fwgen build --model M --board B` writes a PlatformIO project to ``build/M-B/``; each
environment's ELF, .bin and .hex are in ``.pio/build/<env>/`` (the board's own env, and the
twin's). `find_image` takes what the user named (a PROJECT folder, an .elf, .hex or .bin) or,
by default, the newest image for the board under ``build/``. `image_for_runner` hands a runner
the format it takes: the image itself, its sibling from the same build, or a conversion with
arm-none-eabi-objcopy (an ELF to .hex or .bin, a .hex to .bin), run through the runner's
subprocess wrapper so it is logged and honours dry runs. An ELF is checked against the board's
flash region first, so an image built for another board is refused before any tool runs.
"""
from __future__ import annotations

import configparser
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from fwgen.errors import FwgenError
from fwgen.native import cache_dir

if TYPE_CHECKING:
    from fwgen.boards import Board
    from fwgen.runners import Runner

LOG = logging.getLogger(__name__)

SUFFIXES = {".elf": "elf", ".hex": "hex", ".bin": "bin"}
PROGNAME = "firmware"            # the image name fwgen's PlatformIO platform writes
OBJCOPY = "arm-none-eabi-objcopy"
OBJCOPY_HINT = "install Debian's gcc-arm-none-eabi (tools/bootstrap.sh does)"
# (from, to) -> objcopy options
CONVERSIONS = {("elf", "hex"): ["-O", "ihex"], ("elf", "bin"): ["-O", "binary"],
               ("hex", "bin"): ["-I", "ihex", "-O", "binary"]}


@dataclass(frozen=True)
class FirmwareImage:
    path: Path
    format: str                   # "elf" | "hex" | "bin"
    found: str                    # how it was chosen, for the user ("newest build: ...")
    env: str | None = None        # the PlatformIO env the path says it was built for

    @property
    def elf(self) -> Path | None:
        """The ELF of the same build (the image itself, or its sibling)."""
        if self.format == "elf":
            return self.path
        sibling = self.path.with_suffix(".elf")
        return sibling if sibling.is_file() else None


def build_hint(board_id: str) -> str:
    return (f"build it first: fwgen build --model micro_speech --board {board_id} "
            f"(or name the image: fwgen flash --board {board_id} FILE.elf)")


def _env_of(path: Path) -> str | None:
    """The env of ``.../.pio/build/<env>/firmware.elf``."""
    parts = path.resolve().parts
    if len(parts) >= 4 and parts[-3] == "build" and parts[-4] == ".pio":
        return parts[-2]
    return None


def default_env(project: Path) -> str | None:
    """``default_envs`` of a PlatformIO project (the board; the twin is the second env)."""
    ini = project / "platformio.ini"
    if not ini.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(ini)
        value = parser.get("platformio", "default_envs", fallback="")
    except configparser.Error:
        return None
    envs = [e.strip() for e in value.replace(",", " ").split()]
    return envs[0] if envs else None


def _env_images(project: Path, env: str) -> list[Path]:
    folder = project / ".pio" / "build" / env
    return [folder / f"{PROGNAME}.{fmt}" for fmt in ("elf", "hex", "bin")
            if (folder / f"{PROGNAME}.{fmt}").is_file()]


def _built_envs(project: Path) -> list[str]:
    folder = project / ".pio" / "build"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and _env_images(project, p.name)) \
        if folder.is_dir() else []


def _projects(build_root: Path) -> Iterable[Path]:
    if build_root.is_dir():
        yield from sorted(p for p in build_root.iterdir() if (p / ".pio" / "build").is_dir())


def board_id_for(target: Path | None, build_root: Path = Path("build")) -> str | None:
    """The board an image or project was built for, when no --board is given: the env in an
    image's ``.pio/build/<env>/`` path, a project's default env, or (no target) the default
    env of the newest project under `build_root`."""
    if target is not None:
        if target.is_dir():
            return default_env(target) or _env_of(target / f"{PROGNAME}.elf")
        return _env_of(target)
    newest: tuple[float, str] | None = None
    for project in _projects(build_root):
        env = default_env(project)
        images = _env_images(project, env) if env else []
        if images:
            stamp = max(p.stat().st_mtime for p in images)
            if newest is None or stamp > newest[0]:
                newest = (stamp, env)
    return newest[1] if newest else None


def _image_file(path: Path, found: str) -> FirmwareImage:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise FwgenError("expected a PROJECT folder or an .elf, .hex or .bin image", where=str(path))
    return FirmwareImage(path=path, format=fmt, found=found, env=_env_of(path))


def find_image(board: Board, target: Path | None = None, *,
               build_root: Path = Path("build")) -> FirmwareImage:
    """The image to flash onto `board`: `target` (a PROJECT folder, or an .elf/.hex/.bin) or
    the newest image built for the board under `build_root` (what ``fwgen build`` writes)."""
    if target is None:
        candidates = [(img.stat().st_mtime, project, img) for project in _projects(build_root)
                      for img in _env_images(project, board.id)[:1]]
        if not candidates:
            raise FwgenError(f"no firmware built for {board.id} under {build_root}/",
                             hint=build_hint(board.id))
        _, project, image = max(candidates, key=lambda c: c[0])
        return _image_file(image, f"newest build: {project}")
    target = Path(target)
    if not target.exists():
        raise FwgenError("no such file or folder", where=str(target), hint=build_hint(board.id))
    if target.is_dir():
        images = _env_images(target, board.id)
        if not images and (target / f"{PROGNAME}.elf").is_file():   # an env's build folder
            return _image_file(target / f"{PROGNAME}.elf", f"folder {target}")
        if not images:
            built = _built_envs(target)
            raise FwgenError(
                f"this folder has no firmware built for {board.id}" +
                (f" (built: {', '.join(built)})" if built else " (nothing built: not a built "
                                                                  "fwgen project?)"),
                where=str(target), hint=f"fwgen build --board {board.id} --out {target} ...")
        return _image_file(images[0], f"project {target}")
    image = _image_file(target, "given")
    if image.env is not None and image.env != board.id:
        raise FwgenError(f"this image was built for {image.env}, not {board.id}", where=str(target),
                         hint=f"use --board {image.env}, or the image in .pio/build/{board.id}/")
    return image


def elf_load_range(elf: Path) -> tuple[int, int]:
    """[lowest, highest) load address (LMA) of the ELF's loaded bytes."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(elf, "rb") as handle:
            segments = [(s["p_paddr"], s["p_paddr"] + s["p_filesz"])
                        for s in ELFFile(handle).iter_segments()
                        if s["p_type"] == "PT_LOAD" and s["p_filesz"] > 0]
    except (ELFError, OSError) as exc:
        raise FwgenError(f"not a readable ELF file: {exc}", where=str(elf)) from None
    if not segments:
        raise FwgenError("the ELF has nothing to load", where=str(elf))
    return min(a for a, _ in segments), max(b for _, b in segments)


def check_image_for_board(image: FirmwareImage, board: Board) -> tuple[int, int] | None:
    """Refuse an ELF that does not load into `board`'s flash (built for another board).
    Returns its load range (None for a .hex/.bin, which are not checked)."""
    elf = image.elf
    if elf is None:
        return None
    low, high = elf_load_range(elf)
    flash = board.memory.flash
    if low < flash.origin or high > flash.end:
        raise FwgenError(
            f"the image loads at 0x{low:08x}-0x{high:08x}, outside {board.id}'s flash "
            f"(0x{flash.origin:08x}-0x{flash.end:08x}): it was built for another board",
            where=str(elf), hint=build_hint(board.id))
    return low, high


def _converted_path(source: Path, board_id: str, fmt: str) -> Path:
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:10]
    return cache_dir() / "flash" / f"{board_id}-{source.stem}-{digest}.{fmt}"


def image_for_runner(runner: Runner, image: FirmwareImage) -> tuple[Path, str, int | None]:
    """(path, format, bin address) of `image` in a format `runner` takes: the image, its newer
    sibling of the same build, or an objcopy conversion (through `runner.call`). The address is
    where a .bin goes: the ELF's lowest load address, else None (the board's flash origin)."""
    load = check_image_for_board(image, runner.board)
    address = load[0] if load else None
    formats = runner.image_formats
    if image.format in formats:
        return image.path, image.format, address
    stamp = image.path.stat().st_mtime if image.path.exists() else 0.0
    for fmt in formats:
        sibling = image.path.with_suffix(f".{fmt}")
        if sibling.is_file() and sibling.stat().st_mtime >= stamp:
            return sibling, fmt, address
    for fmt in formats:
        options = CONVERSIONS.get((image.format, fmt))
        if options is None:
            continue
        out = _converted_path(image.path, runner.board.id, fmt)
        if not runner.dry_run:
            out.parent.mkdir(parents=True, exist_ok=True)
        runner.call([OBJCOPY, *options, str(image.path), str(out)], timeout=60, hint=OBJCOPY_HINT)
        return out, fmt, address
    raise FwgenError(f"runner '{runner.name}' takes {', '.join(formats)} images and this "
                     f"{image.format} cannot be converted to one", where=str(image.path),
                     hint="give the ELF that fwgen build wrote (.pio/build/<board>/firmware.elf)")
