"""Flash and RAM use of a firmware ELF by section, against the board's limits (pyelftools).

The generated linker script files the model's constants under ``.fwgen_weights``, the frontend
and detector tables under ``.fwgen_tables`` and the tensor arena under ``.fwgen_arena``, so the
report names them without guessing from symbols.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fwgen.boards import Board
from fwgen.errors import FwgenError

# Report rows: (label, sections, in flash, in RAM)
ROWS = (
    ("code", (".isr_vector", ".text", ".ARM.extab", ".ARM.exidx"), True, False),
    ("weights", (".fwgen_weights",), True, False),
    ("tables", (".fwgen_tables",), True, False),
    ("other const", (".rodata",), True, False),
    ("data", (".data",), True, True),
    ("bss", (".bss",), False, True),
    ("arena", (".fwgen_arena",), False, True),
    ("stack", (".stack",), False, True),
)


@dataclass(frozen=True)
class SizeReport:
    board: Board
    elf: Path
    rows: tuple[tuple[str, int, bool, bool], ...]   # label, bytes, in flash, in RAM

    @property
    def flash_used(self) -> int:
        return sum(n for _, n, in_flash, _ in self.rows if in_flash)

    @property
    def ram_used(self) -> int:
        return sum(n for _, n, _, in_ram in self.rows if in_ram)

    @property
    def fits(self) -> bool:
        return (self.flash_used <= self.board.memory.flash.length
                and self.ram_used <= self.board.memory.ram.length)

    def bytes_of(self, label: str) -> int:
        return next(n for name, n, _, _ in self.rows if name == label)

    def lines(self) -> list[str]:
        flash_len, ram_len = self.board.memory.flash.length, self.board.memory.ram.length
        out = [f"{self.board.id}: {self.elf}", f"  {'section':<12} {'flash':>10} {'RAM':>10}"]
        for label, n, in_flash, in_ram in self.rows:
            out.append(f"  {label:<12} {n if in_flash else '':>10} {n if in_ram else '':>10}")
        out.append(f"  {'total':<12} {self.flash_used:>10} {self.ram_used:>10}")
        out.append(f"  {'board':<12} {flash_len:>10} {ram_len:>10}")
        out.append(f"  {'used':<12} {100 * self.flash_used / flash_len:>9.1f}% "
                   f"{100 * self.ram_used / ram_len:>9.1f}%")
        return out

    def as_dict(self) -> dict:
        return {"board": self.board.id, "elf": str(self.elf),
                "sections": {label: n for label, n, _, _ in self.rows},
                "flash": {"used": self.flash_used, "size": self.board.memory.flash.length},
                "ram": {"used": self.ram_used, "size": self.board.memory.ram.length},
                "fits": self.fits}


def section_sizes(elf: Path) -> dict[str, int]:
    from elftools.elf.elffile import ELFFile

    try:
        with open(elf, "rb") as handle:
            return {s.name: int(s["sh_size"]) for s in ELFFile(handle).iter_sections()}
    except OSError as exc:
        raise FwgenError(f"cannot read firmware: {exc.strerror}", where=str(elf)) from None


def size_report(board: Board, elf: Path) -> SizeReport:
    sizes = section_sizes(elf)
    rows = tuple((label, sum(sizes.get(s, 0) for s in sections), in_flash, in_ram)
                 for label, sections, in_flash, in_ram in ROWS)
    return SizeReport(board=board, elf=elf, rows=rows)


_OVERFLOW = re.compile(r"region [`'](\w+)' overflowed by (\d+) bytes")


def overflow_from_linker(output: str) -> dict[str, int]:
    """{'RAM': 1234, ...} from GNU ld's 'region X overflowed by N bytes' messages."""
    return {m.group(1): int(m.group(2)) for m in _OVERFLOW.finditer(output)}
