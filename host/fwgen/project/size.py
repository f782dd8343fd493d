"""Flash and RAM use of a firmware ELF by section, against the board's limits, and its RAM by
buffer (pyelftools).

The generated linker script files the model's constants under ``.fwgen_weights``, the frontend
and detector tables under ``.fwgen_tables`` and the tensor arena under ``.fwgen_arena``, so the
report names them without guessing from symbols. The RAM by buffer names the app's and ports'
static buffers by their symbols (BUFFERS, file and name: statics of one file), the stack by its
section, and counts the rest as "other".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwgen.boards import Board
from fwgen.errors import FwgenError

# RAM buffers: label -> (source file, symbol) pairs (statics: the file defining them)
BUFFERS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("model arena", (("pipeline.c", "s_arena"),)),
    ("frontend state", (("pipeline.c", "s_frontend_mem"), ("pipeline.c", "s_logmel"))),
    ("feature window", (("pipeline.c", "s_window"), ("pipeline.c", "s_linear"))),
    ("detector", (("pipeline.c", "s_detect_buf"),)),
    ("audio ring", (("main.c", "s_audio"),)),
    ("link rx frame", (("main.c", "s_rx_buf"),)),
    ("link tx frame", (("main.c", "s_tx_buf"),)),
    ("link state", (("main.c", "s_link"),)),
    ("UART ring", (("*", "s_rx"),)),
    ("mic ring", (("*", "s_mic"),)),
)
RAM_SECTIONS = (".data", ".bss", ".fwgen_arena")

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
    buffers: tuple[tuple[str, int], ...] = ()       # RAM by buffer: label, bytes (sums to RAM)
    # RAM by bank (boards whose RAM region spans several): name, size, {section label: bytes}
    banks: tuple[tuple[str, int, tuple[tuple[str, int], ...]], ...] = ()
    stack: Any = None      # fwgen.project.stack.StackBound the build sized the stack with

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
        if self.buffers:
            out.append(f"  {'RAM by buffer':<24} {'bytes':>8}")
            out += [f"  {label:<24} {n:>8}" for label, n in self.buffers]
        for name, size, parts in self.banks:
            used = sum(n for _, n in parts)
            detail = ", ".join(f"{label} {n}" for label, n in parts) or "empty"
            out.append(f"  bank {name}: {used} of {size} B ({detail})")
        if self.stack is not None:
            out += [f"  {line}" for line in self.stack.lines()]
        return out

    def as_dict(self) -> dict:
        return {"board": self.board.id, "elf": str(self.elf),
                "sections": {label: n for label, n, _, _ in self.rows},
                "flash": {"used": self.flash_used, "size": self.board.memory.flash.length},
                "ram": {"used": self.ram_used, "size": self.board.memory.ram.length},
                "ram_buffers": dict(self.buffers),
                "ram_banks": {name: {"size": size, **dict(parts)} for name, size, parts in self.banks},
                "stack": self.stack.as_dict() if self.stack is not None else None,
                "fits": self.fits}


def section_sizes(elf: Path) -> dict[str, int]:
    from elftools.elf.elffile import ELFFile

    try:
        with open(elf, "rb") as handle:
            return {s.name: int(s["sh_size"]) for s in ELFFile(handle).iter_sections()}
    except OSError as exc:
        raise FwgenError(f"cannot read firmware: {exc.strerror}", where=str(elf)) from None


def ram_objects(elf: Path) -> dict[tuple[str, str], int]:
    """(source file, symbol) -> bytes of every data object in RAM sections (a global's file is
    the one its local FILE symbol names last, which is enough to tell statics apart)."""
    from elftools.elf.elffile import ELFFile

    out: dict[tuple[str, str], int] = {}
    try:
        with open(elf, "rb") as handle:
            f = ELFFile(handle)
            symtab = f.get_section_by_name(".symtab")
            ram = {i for i, s in enumerate(f.iter_sections()) if s.name in RAM_SECTIONS}
            current = ""
            for sym in symtab.iter_symbols() if symtab is not None else ():
                kind = sym["st_info"]["type"]
                if kind == "STT_FILE":
                    current = Path(sym.name).name
                elif kind == "STT_OBJECT" and sym["st_shndx"] in ram and sym["st_size"]:
                    out[(current, sym.name)] = int(sym["st_size"])
    except OSError as exc:
        raise FwgenError(f"cannot read firmware: {exc.strerror}", where=str(elf)) from None
    return out


def ram_buffers(elf: Path, sizes: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """RAM by buffer: BUFFERS found in the image, the stack, and the rest as "other"."""
    objects = ram_objects(elf)
    rows: list[tuple[str, int]] = []
    for label, symbols in BUFFERS:
        n = sum(size for (file, name), size in objects.items()
                if any(name == sym and (want == "*" or file == want) for want, sym in symbols))
        if n:
            rows.append((label, n))
    total = sum(sizes.get(s, 0) for s in RAM_SECTIONS)
    rows.append(("other", total - sum(n for _, n in rows)))
    rows.append(("stack", sizes.get(".stack", 0)))
    return tuple(rows)


def ram_banks(board: Board, elf: Path) -> tuple[tuple[str, int, tuple[tuple[str, int], ...]], ...]:
    """Where the RAM sections' bytes lie, bank by bank (boards whose RAM has banks)."""
    from elftools.elf.elffile import ELFFile

    banks = board.memory.ram.banks
    if not banks:
        return ()
    labels = {s: label for label, sections, _, in_ram in ROWS if in_ram for s in sections}
    with open(elf, "rb") as handle:
        spans = [(labels[s.name], int(s["sh_addr"]), int(s["sh_size"]))
                 for s in ELFFile(handle).iter_sections() if s.name in labels]
    out = []
    for bank in banks:
        parts = [(label, max(0, min(addr + n, bank.end) - max(addr, bank.origin)))
                 for label, addr, n in spans]
        out.append((bank.name, bank.length, tuple((label, n) for label, n in parts if n)))
    return tuple(out)


def size_report(board: Board, elf: Path) -> SizeReport:
    sizes = section_sizes(elf)
    rows = tuple((label, sum(sizes.get(s, 0) for s in sections), in_flash, in_ram)
                 for label, sections, in_flash, in_ram in ROWS)
    return SizeReport(board=board, elf=elf, rows=rows, buffers=ram_buffers(elf, sizes),
                      banks=ram_banks(board, elf))


_OVERFLOW = re.compile(r"region [`'](\w+)' overflowed by (\d+) bytes")


def overflow_from_linker(output: str) -> dict[str, int]:
    """{'RAM': 1234, ...} from GNU ld's 'region X overflowed by N bytes' messages."""
    return {m.group(1): int(m.group(2)) for m in _OVERFLOW.finditer(output)}
