"""A twister-style hardware map: the boards attached to one machine, in a YAML list that Zephyr's
``twister --generate-hardware-map`` writes and people edit (the same file serves
``fwgen test --hardware-map FILE`` and the hardware tier, tests/hw, via FWGEN_HW_MAP)::

    - id: 004C00283433510F37363934      # the probe's serial number (twister: the board id)
      platform: b_u585i_iot02a          # a fwgen board id or alias, or Zephyr's board target
      product: STLINK-V3                #   (b_u585i_iot02a/stm32u585xx); a list, or names
                                        #   split by spaces, for one board of several ids
      runner: openocd                   # one of the board's runners (fwgen flash --runner)
      serial: /dev/ttyACM0              # its UART: a device path or pyserial URL
      probe_id: 004C00283433510F37363934  # optional: the probe when it differs from id
      baud: 921600                      # optional: else the board file's
      connected: true

Twister's other fields (fixtures, notes, runner_params, pre_script, post_script,
post_flash_script, flash_timeout, flash_with_test, flash_before, script_param) are read and
kept in `extra`; any other field is an error (a typo would otherwise be ignored silently).

    hw = load_hardware_map(Path("map.yaml"))          # FwgenError: file, entry, field, fix
    entries = hw.select(board)                        # the connected entries of that board
    entry.serial, entry.probe, entry.runner
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

REQUIRED = ("id", "platform")
KNOWN = ("id", "platform", "product", "runner", "serial", "probe_id", "baud", "connected")
TWISTER_EXTRA = ("fixtures", "notes", "runner_params", "pre_script", "post_script",
                 "post_flash_script", "flash_timeout", "flash_with_test", "flash_before",
                 "script_param", "serial_pty")


@dataclass(frozen=True)
class HardwareEntry:
    """One attached board."""
    id: str                         # the probe's serial number, as twister writes it
    platforms: tuple[str, ...]      # fwgen board ids (aliases resolved)
    serial: str | None
    runner: str | None = None
    product: str = ""
    probe_id: str | None = None
    baud: int | None = None
    connected: bool = True
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)
    where: str = field(default="", compare=False)     # "map.yaml: entry 2 (id ...)"

    @property
    def probe(self) -> str:
        """The debug probe's serial number to flash through (fwgen flash --probe)."""
        return self.probe_id or self.id

    def describe(self) -> str:
        return f"{self.serial} ({self.product or 'board'} {self.id})"


@dataclass(frozen=True)
class HardwareMap:
    path: Path
    entries: tuple[HardwareEntry, ...]

    def select(self, board, *, connected_only: bool = True) -> list[HardwareEntry]:
        """The entries for `board` (its id among the entry's platforms), connected ones only
        unless told otherwise; an empty list when there are none."""
        return [e for e in self.entries
                if board.id in e.platforms and (e.connected or not connected_only)]

    def require(self, board, *, need_serial: bool = True) -> list[HardwareEntry]:
        """`select(board)`, or a FwgenError saying what the map holds instead."""
        found = self.select(board)
        if not found:
            offline = self.select(board, connected_only=False)
            listed = sorted({p for e in self.entries for p in e.platforms if e.connected})
            why = (f"{len(offline)} entr{'y' if len(offline) == 1 else 'ies'} of it "
                   f"{'is' if len(offline) == 1 else 'are'} connected: false") if offline else \
                f"connected platforms: {', '.join(listed) or 'none'}"
            raise FwgenError(f"no connected {board.id} in the hardware map ({why})",
                             where=str(self.path),
                             hint="attach the board and set connected: true, or regenerate the "
                                  "map (twister --generate-hardware-map)")
        if need_serial:
            for entry in found:
                if not entry.serial:
                    raise FwgenError("no serial port to score the board on", where=entry.where,
                                     hint="add serial: /dev/ttyACM0 (or a pyserial URL)")
        return found


def _text(value: Any, where: str, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads 0670 as the octal number 440 and drops leading zeros: a serial number
        # must be written as text to survive.
        raise FwgenError(f"is read as the number {value}, which may not be the serial number "
                         f"written", where=f"{where}: {name}",
                         hint=f"write it in quotes: {name}: '...'")
    if not isinstance(value, str) or value.strip() == "":
        raise FwgenError(f"must be a non-empty text, got {value!r}", where=f"{where}: {name}")
    return value.strip()


def _board_named(name: str, boards):
    """A fwgen board by id or alias, or by a Zephyr board target as twister writes it
    (``b_u585i_iot02a/stm32u585xx``, ``mps2/an505/cpu0``): qualifiers dropped from the end,
    the rest joined by "_"."""
    from fwgen.boards import resolve_name

    parts = name.split("/")
    for keep in range(len(parts), 0, -1):
        board = resolve_name("_".join(parts[:keep]), boards)
        if board is not None:
            return board
    return None


def _platforms(value: Any, where: str, boards) -> tuple[str, ...]:
    names = value if isinstance(value, list) else _text(value, where, "platform").split()
    out = []
    for name in names:
        board = _board_named(_text(name, where, "platform"), boards)
        if board is None:
            raise FwgenError(f"unknown board {name!r}", where=f"{where}: platform",
                             hint="a fwgen board id or alias (fwgen boards)")
        out.append(board.id)
    if not out:
        raise FwgenError("names no board", where=f"{where}: platform")
    return tuple(dict.fromkeys(out))


def _entry(raw: Any, number: int, path: Path, boards) -> HardwareEntry:
    where = f"{path}: entry {number}"
    if not isinstance(raw, dict):
        raise FwgenError(f"must be a mapping (id, platform, serial, ...), got {type(raw).__name__}",
                         where=where)
    if isinstance(raw.get("id"), str):
        where += f" (id {raw['id']})"
    for name in raw:
        if name not in KNOWN and name not in TWISTER_EXTRA:
            raise FwgenError(f"unknown field {name!r}", where=f"{where}: {name}",
                             hint=f"the fields are {', '.join(KNOWN)}")
    for name in REQUIRED:
        if raw.get(name) is None:
            raise FwgenError("missing required field", where=f"{where}: {name}")
    platforms = _platforms(raw["platform"], where, boards)
    runner = _text(raw["runner"], where, "runner") if raw.get("runner") is not None else None
    if runner is not None:
        for platform in platforms:
            names = boards[platform].runners.names()
            if runner not in names:
                raise FwgenError(f"{platform} has no runner {runner!r}", where=f"{where}: runner",
                                 hint=f"its runners: {', '.join(names)}")
    connected = raw.get("connected", True)
    if not isinstance(connected, bool):
        raise FwgenError(f"must be true or false, got {connected!r}", where=f"{where}: connected")
    baud = raw.get("baud")
    if baud is not None and (isinstance(baud, bool) or not isinstance(baud, int) or baud <= 0):
        raise FwgenError(f"must be a positive number, got {baud!r}", where=f"{where}: baud")
    return HardwareEntry(
        id=_text(raw["id"], where, "id"), platforms=platforms,
        serial=_text(raw["serial"], where, "serial") if raw.get("serial") is not None else None,
        runner=runner, product=str(raw.get("product") or ""),
        probe_id=_text(raw["probe_id"], where, "probe_id") if raw.get("probe_id") is not None
        else None,
        baud=baud, connected=connected,
        extra=tuple((k, raw[k]) for k in TWISTER_EXTRA if k in raw), where=where)


def load_hardware_map(path: Path) -> HardwareMap:
    """Read and check a hardware map; every error names the file, the entry and the field."""
    import yaml

    from fwgen.boards import load_boards

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FwgenError("hardware map not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FwgenError(f"cannot read the hardware map: {exc}", where=str(path)) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise FwgenError(f"not YAML: {getattr(exc, 'problem', None) or exc}", where=where) from None
    if not isinstance(raw, list):
        raise FwgenError("a hardware map is a YAML list of boards (- id: ..., platform: ...)",
                         where=str(path), hint="see twister --generate-hardware-map")
    boards = load_boards()
    entries = tuple(_entry(item, number, path, boards) for number, item in enumerate(raw, 1))
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.serial and entry.serial in seen:
            raise FwgenError(f"serial {entry.serial} is also in {seen[entry.serial]}",
                             where=entry.where, hint="one board per serial port")
        if entry.serial:
            seen[entry.serial] = entry.where
    LOG.info("%s: %d boards (%d connected)", path, len(entries), sum(e.connected for e in entries))
    return HardwareMap(path, entries)
