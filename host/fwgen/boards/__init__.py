"""Boards are data: `boards/<id>.yaml` loaded into frozen dataclasses and validated once.

May import fwgen.errors, fwgen.native and fwgen.runners.registry (the runner names, and each
runner's typed board-argument record, which the runners section is parsed into).

Every board fact (core, FPU, clock, memory map, UART, microphone, USB ids, runner arguments,
PlatformIO board id, emulator twin) lives in the YAML file; code never repeats it. Errors name
the file and the field, e.g. ``boards/foo.yaml: memory.ram.length: expected an integer`` or
``boards/foo.yaml: runners.qemu.machine: missing required field``.

Public API::

    load_boards(root=None) -> dict[str, Board]       # every board by id (cached per folder)
    get_board(name, root=None) -> Board               # by id or alias, with a helpful error
    parse_board(path: Path) -> Board                  # one file (raises FwgenError)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from fwgen.errors import FwgenError
from fwgen.native import repo_root
from fwgen.runners.registry import runners as registered_runners

LOG = logging.getLogger(__name__)

# Core -> what gcc calls it, the FPUs that core can carry, and its architecture.
CORES: dict[str, dict[str, Any]] = {
    "cortex-m4": {"arch": "armv7e-m", "fpus": ("none", "fpv4-sp-d16")},
    "cortex-m7": {"arch": "armv7e-m", "fpus": ("none", "fpv5-sp-d16", "fpv5-d16")},
    "cortex-m33": {"arch": "armv8-m.main", "fpus": ("none", "fpv5-sp-d16")},
    "cortex-m55": {"arch": "armv8.1-m.main", "fpus": ("none", "fpv5-d16")},
}
MIC_KINDS = ("pdm", "i2s")


@dataclass(frozen=True)
class Region:
    name: str
    origin: int
    length: int
    # physical RAM banks that make up this region, in address order (a region the MCU maps
    # contiguously over several banks, e.g. the STM32L475's SRAM1 + SRAM2 alias); () for one
    banks: tuple["Region", ...] = ()

    @property
    def end(self) -> int:
        return self.origin + self.length


@dataclass(frozen=True)
class MemoryMap:
    flash: Region
    ram: Region
    extra: tuple[Region, ...] = ()

    @property
    def regions(self) -> tuple[Region, ...]:
        return (self.flash, self.ram, *self.extra)


@dataclass(frozen=True)
class Uart:
    peripheral: str
    base: int
    irq: int
    af: int
    tx: str
    rx: str
    baud: int


@dataclass(frozen=True)
class Microphone:
    kind: str
    part: str
    peripheral: str
    pins: tuple[tuple[str, str], ...]
    confirmed: bool


@dataclass(frozen=True)
class UsbId:
    vid: int
    pid: int
    description: str

    def __str__(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}"


@dataclass(frozen=True)
class RunnerConfig:
    """The board's runners: the default one, and each runner's typed board arguments (an
    instance of that runner's `Args` record, e.g. `QemuArgs`), sorted by runner name."""
    default: str
    args: tuple[tuple[str, Any], ...]

    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.args)

    def get(self, name: str) -> Any:
        """The board-argument record of runner `name` (KeyError if the board has none)."""
        for key, record in self.args:
            if key == name:
                return record
        raise KeyError(name)


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    vendor: str
    mcu: str
    family: str
    port: str
    aliases: tuple[str, ...]
    core: str
    fpu: str
    dsp: bool
    trustzone: bool
    clock_hz: int
    memory: MemoryMap
    stack_bytes: int
    uart: Uart
    microphone: Microphone | None
    usb: UsbId | None
    runners: RunnerConfig
    platformio_board: str
    twin: str | None
    source: Path = field(compare=False)

    @property
    def is_emulator(self) -> bool:
        return "qemu" in self.runners.names()

    @property
    def arch(self) -> str:
        return CORES[self.core]["arch"]

    @property
    def qemu_machine(self) -> str | None:
        return self.runners.get("qemu").machine if self.is_emulator else None

    def gcc_cpu_flags(self) -> list[str]:
        """The -mcpu/-mfpu/-mfloat-abi flags for this board's core (compile and link)."""
        flags = ["-mthumb", f"-mcpu={self.core}"]
        if self.fpu == "none":
            flags.append("-mfloat-abi=soft")
        else:
            flags += [f"-mfpu={self.fpu}", "-mfloat-abi=hard"]
        return flags


class _Reader:
    """Typed access to a YAML mapping that reports errors as `file: dotted.field: problem`."""

    def __init__(self, path: Path, data: Any, prefix: str = ""):
        self.path = path
        self.prefix = prefix
        if not isinstance(data, Mapping):
            self.fail("expected a mapping")
        self.data = dict(data)
        self.used: set[str] = set()

    def where(self, key: str = "") -> str:
        dotted = f"{self.prefix}.{key}" if self.prefix and key else (self.prefix or key)
        return f"{self.path}: {dotted}" if dotted else str(self.path)

    def fail(self, message: str, key: str = "", hint: str | None = None) -> None:
        raise FwgenError(message, where=self.where(key), hint=hint)

    def raw(self, key: str, required: bool = True) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                self.fail("missing required field", key)
            return None
        return self.data[key]

    def str(self, key: str, required: bool = True, allow_null: bool = False) -> str | None:
        value = self.raw(key, required)
        if value is None and (allow_null or not required):
            return None
        if not isinstance(value, str) or not value:
            self.fail(f"expected a non-empty string, got {value!r}", key)
        return value

    def int(self, key: str, minimum: int = 0) -> int:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"expected an integer, got {value!r}", key)
        if value < minimum:
            self.fail(f"must be >= {minimum}, got {value}", key)
        return value

    def bool(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            self.fail(f"expected true or false, got {value!r}", key)
        return value

    def sub(self, key: str, allow_null: bool = False) -> "_Reader | None":
        value = self.raw(key)
        if value is None and allow_null:
            return None
        return _Reader(self.path, value, f"{self.prefix}.{key}" if self.prefix else key)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            self.fail(f"unknown field(s): {', '.join(unknown)}",
                      hint="check the spelling against boards/*.yaml")


def _region(reader: _Reader, name: str) -> Region:
    sub = reader.sub(name)
    assert sub is not None
    origin, length = sub.int("origin"), sub.int("length", minimum=1)
    banks_raw = sub.raw("banks", required=False) or []
    if not isinstance(banks_raw, list):
        sub.fail("expected a list of banks", "banks")
    banks = []
    at = origin
    for i, item in enumerate(banks_raw):
        b = _Reader(reader.path, item, f"{sub.prefix}.banks[{i}]")
        bank = Region(name=b.str("name"), origin=at, length=b.int("length", minimum=1))
        b.finish()
        banks.append(bank)
        at = bank.end
    if banks and at != origin + length:
        sub.fail(f"the banks add up to {at - origin} bytes, the region has {length}", "banks",
                 hint="list every bank of the region, in address order, with its length")
    region = Region(name=name, origin=origin, length=length, banks=tuple(banks))
    sub.finish()
    return region


def _runner_config(r: _Reader) -> RunnerConfig:
    """The runners section: each named runner's mapping parsed into its typed `Args` record."""
    rr = r.sub("runners")
    assert rr is not None
    default = rr.str("default")
    known = registered_runners()
    runner_args = []
    for name in sorted(str(k) for k in rr.data if k != "default"):
        if name not in known:
            rr.fail(f"unknown runner {name!r}", name, hint=f"one of {', '.join(known)}")
        runner_args.append((name, known[name].parse_board_args(rr.raw(name), rr.where(name))))
    if default not in dict(runner_args):
        rr.fail(f"default runner {default!r} has no entry", "default")
    rr.finish()
    return RunnerConfig(default=default, args=tuple(runner_args))


def parse_board(path: Path) -> Board:
    """Parse and validate one board file (every problem raises FwgenError naming file and field)."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise FwgenError(f"not valid YAML: {exc}", where=str(path)) from None
    except OSError as exc:
        raise FwgenError(f"cannot read board file: {exc.strerror}", where=str(path)) from None
    r = _Reader(path, data)
    board_id = r.str("id")
    if board_id != path.stem:
        r.fail(f"id {board_id!r} must equal the file name {path.stem!r}", "id")
    core = r.str("core")
    if core not in CORES:
        r.fail(f"unknown core {core!r}", "core", hint=f"one of {', '.join(CORES)}")
    fpu = r.str("fpu")
    if fpu not in CORES[core]["fpus"]:
        r.fail(f"{core} has no FPU {fpu!r}", "fpu", hint=f"one of {', '.join(CORES[core]['fpus'])}")
    aliases = r.raw("aliases")
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        r.fail("expected a list of names", "aliases")

    mem = r.sub("memory")
    assert mem is not None
    flash = _region(mem, "flash")
    ram = _region(mem, "ram")
    extra_raw = mem.raw("extra", required=False) or []
    if not isinstance(extra_raw, list):
        mem.fail("expected a list of regions", "extra")
    extra = []
    for i, item in enumerate(extra_raw):
        sub = _Reader(path, item, f"memory.extra[{i}]")
        extra.append(Region(name=sub.str("name"), origin=sub.int("origin"),
                            length=sub.int("length", minimum=1)))
        sub.finish()
    mem.finish()
    regions = [flash, ram, *extra]
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            if a.origin < b.end and b.origin < a.end:
                mem.fail(f"regions {a.name} and {b.name} overlap")
        if a.end > 1 << 32:
            mem.fail(f"region {a.name} ends beyond 4 GB")

    u = r.sub("uart")
    assert u is not None
    uart = Uart(peripheral=u.str("peripheral"), base=u.int("base"), irq=u.int("irq"),
                af=u.int("af"), tx=u.str("tx"), rx=u.str("rx"),
                baud=u.int("baud", minimum=1200))
    u.finish()

    mic = None
    m = r.sub("microphone", allow_null=True)
    if m is not None:
        kind = m.str("kind")
        if kind not in MIC_KINDS:
            m.fail(f"unknown microphone kind {kind!r}", "kind", hint=f"one of {', '.join(MIC_KINDS)}")
        pins = m.raw("pins")
        if not isinstance(pins, Mapping) or not all(isinstance(v, str) for v in pins.values()):
            m.fail("expected a mapping of signal: pin", "pins")
        mic = Microphone(kind=kind, part=m.str("part"), peripheral=m.str("peripheral"),
                         pins=tuple(sorted(pins.items())), confirmed=m.bool("confirmed"))
        m.finish()

    usb = None
    us = r.sub("usb", allow_null=True)
    if us is not None:
        vid, pid = us.int("vid"), us.int("pid")
        if vid > 0xFFFF or pid > 0xFFFF:
            us.fail("USB ids are 16-bit")
        usb = UsbId(vid=vid, pid=pid, description=us.str("description"))
        us.finish()

    runner_config = _runner_config(r)

    pio = r.sub("platformio")
    assert pio is not None
    pio_board = pio.str("board")
    pio.finish()

    board = Board(
        id=board_id, name=r.str("name"), vendor=r.str("vendor"), mcu=r.str("mcu"),
        family=r.str("family"), port=r.str("port"), aliases=tuple(aliases), core=core, fpu=fpu,
        dsp=r.bool("dsp"), trustzone=r.bool("trustzone"), clock_hz=r.int("clock_hz", minimum=1),
        memory=MemoryMap(flash=flash, ram=ram, extra=tuple(extra)),
        stack_bytes=r.int("stack_bytes", minimum=256), uart=uart, microphone=mic, usb=usb,
        runners=runner_config,
        platformio_board=pio_board, twin=r.str("twin", allow_null=True), source=path)
    r.finish()
    try:
        port_dir = repo_root() / "firmware" / "ports" / board.port
    except FwgenError:
        port_dir = None
    if port_dir is not None and not port_dir.is_dir():
        r.fail(f"no firmware port {board.port!r} (expected {port_dir})", "port")
    return board


def boards_dir(root: Path | None = None) -> Path:
    return (root or repo_root()) / "boards"


@lru_cache(maxsize=8)
def _load(folder: Path) -> dict[str, Board]:
    if not folder.is_dir():
        raise FwgenError("board folder not found", where=str(folder))
    boards = {b.id: b for b in (parse_board(p) for p in sorted(folder.glob("*.yaml")))}
    names: dict[str, str] = {}
    for board in boards.values():
        for name in (board.id, *board.aliases):
            if name in names and names[name] != board.id:
                raise FwgenError(f"alias {name!r} is also used by {names[name]}",
                                 where=f"{board.source}: aliases")
            names[name] = board.id
    for board in boards.values():
        if board.twin is None:
            continue
        twin = boards.get(board.twin)
        if twin is None:
            raise FwgenError(f"unknown emulator twin {board.twin!r}", where=f"{board.source}: twin")
        if not twin.is_emulator:
            raise FwgenError(f"twin {twin.id!r} has no qemu runner", where=f"{board.source}: twin")
        if twin.core != board.core:
            raise FwgenError(f"twin {twin.id!r} has core {twin.core}, the board has {board.core}",
                             where=f"{board.source}: twin")
    return boards


def load_boards(root: Path | None = None) -> dict[str, Board]:
    """Every board in boards/, validated, by id (sorted)."""
    return _load(boards_dir(root).resolve())


def resolve_name(name: str, boards: Mapping[str, Board]) -> Board | None:
    key = name.strip().lower()
    for board in boards.values():
        if key == board.id or key in board.aliases:
            return board
    return None


def get_board(name: str, root: Path | None = None) -> Board:
    """A board by id or alias; an unknown name raises FwgenError listing the known ones."""
    boards = load_boards(root)
    board = resolve_name(name, boards)
    if board is None:
        known = sorted({n for b in boards.values() for n in (b.id, *b.aliases)})
        raise FwgenError(f"unknown board {name!r}", where="--board",
                         hint=f"known boards and aliases: {', '.join(known)}")
    return board


def twin_of(board: Board, root: Path | None = None) -> Board:
    """The emulator twin (the board itself when it is one)."""
    if board.is_emulator:
        return board
    if board.twin is None:
        raise FwgenError(f"board {board.id} has no emulator twin", where=f"{board.source}: twin")
    return load_boards(root)[board.twin]
