"""The QEMU plugin that counts instructions per firmware region (plugin/fwgen_regions.c).

Built with the host's C compiler on first use into fwgen's bounded cache of shared libraries,
named by a hash of its sources and flags (fwgen.native.compile_shared), and loaded with
``qemu-system-arm -plugin``:

    so = build_plugin()                              # for the plugin API of qemu_program()
    argv += plugin_args(so, marks, out)              # marks: the ELF's fwgen_bench_marks
    counts = read_counts(out)                        # after QEMU exited
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from fwgen.bench import qemu_api
from fwgen.errors import FwgenError
from fwgen.native import compile_shared
from fwgen.runners.qemu import qemu_version

LOG = logging.getLogger(__name__)

SOURCE_DIR = Path(__file__).resolve().parent / "plugin"    # fwgen_regions.c, qemu_plugin_api.h
SOURCE = SOURCE_DIR / "fwgen_regions.c"
# Hidden but for the qemu_plugin_* symbols the source exports (QEMU's header is GNU C: gnu11).
FLAGS = ("-O2", "-fvisibility=hidden")
MARKS_SYMBOL = "fwgen_bench_marks"


@dataclass(frozen=True)
class Marks:
    """The marker array of a bench-build ELF: its address and how many regions it names."""
    address: int
    regions: int


@dataclass
class RegionCounts:
    """What the plugin counted: every instruction, and per region its instructions and entries."""
    total: int
    instructions: dict[int, int] = field(default_factory=dict)
    entries: dict[int, int] = field(default_factory=dict)

    def of(self, region: int) -> int:
        return self.instructions.get(region, 0)

    def entered(self, region: int) -> int:
        return self.entries.get(region, 0)


def build_plugin(api: int | None = None) -> Path:
    """The plugin's shared object for plugin API version `api` (default: the one the QEMU in use
    loads, `check_qemu`), compiled once per content of its sources and flags (FwgenError when the
    compiler fails)."""
    flags = (*FLAGS, qemu_api.define(check_qemu() if api is None else api))
    return compile_shared("fwgen_regions", [SOURCE], include_dirs=[SOURCE_DIR], flags=flags,
                          std="gnu11")


def check_qemu() -> int:
    """The plugin API version the QEMU in use loads (fwgen.bench.qemu_api); FwgenError naming
    that QEMU when it is missing, does not say its version, or has no plugins."""
    return qemu_api.plugin_api(qemu_version())


def find_marks(elf: Path) -> Marks:
    """The marker array of a bench build; FwgenError for an ELF built without FWGEN_BENCH_OPS."""
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as handle:
        symtab = ELFFile(handle).get_section_by_name(".symtab")
        found = symtab.get_symbol_by_name(MARKS_SYMBOL) if symtab is not None else None
    if not found or found[0]["st_size"] < 4:
        raise FwgenError(f"no {MARKS_SYMBOL} in the firmware: not a bench build", where=str(elf),
                         hint="build it with -DFWGEN_BENCH_OPS (fwgen bench does)")
    sym = found[0]
    return Marks(address=int(sym["st_value"]), regions=int(sym["st_size"]) // 4)


def plugin_args(plugin: Path, marks: Marks, out: Path) -> list[str]:
    """QEMU's arguments that load the plugin for `marks`, writing its counts to `out`."""
    for path in (plugin, out):
        if "," in str(path):       # QEMU's option syntax splits there
            raise FwgenError("a path for QEMU's -plugin option holds a comma", where=str(path),
                             hint="use a folder without commas (--out, FWGEN_CACHE_DIR)")
    return ["-plugin", f"{plugin},marks={marks.address:#x},regions={marks.regions},out={out}"]


def read_counts(path: Path) -> RegionCounts:
    """Parse the plugin's output file (FwgenError when QEMU did not write it)."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise FwgenError("the QEMU plugin wrote no counts (QEMU did not exit cleanly?)",
                         where=str(path)) from None
    counts = RegionCounts(total=-1)
    for line in lines:
        parts = line.split()
        if parts[:1] == ["total"] and len(parts) == 2:
            counts.total = int(parts[1])
        elif parts[:1] == ["region"] and len(parts) == 4:
            region, n, entries = (int(v) for v in parts[1:])
            counts.instructions[region], counts.entries[region] = n, entries
        else:
            raise FwgenError(f"unexpected line from the QEMU plugin: {line!r}", where=str(path))
    if counts.total < 0:
        raise FwgenError("the QEMU plugin's counts have no total", where=str(path))
    return counts
