"""A hand-built firmware ELF checked against the twin it is to run on (`fwgen run --elf`).

What an ELF must be for a twin: a 32-bit little-endian ARM executable (ELF32, EM_ARM, ET_EXEC)
whose loaded bytes (PT_LOAD segments, by load address) lie in the twin's flash region, and,
where the ELF says so in its build attributes (.ARM.attributes, Tag_CPU_arch), built for an
architecture the twin's core executes. The firmware's own HELLO (which board it was built for)
is checked once it runs (fwgen.run.clips).
"""
from __future__ import annotations

import logging
from pathlib import Path

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

# Tag_CPU_arch values (ARM ABI "Addenda": build attributes) by name.
ARCH_NAMES = {10: "v7 (v7-M)", 11: "v6-M", 12: "v6S-M", 13: "v7E-M", 16: "v8-M.baseline",
              17: "v8-M.mainline", 21: "v8.1-M.mainline"}
# What each Cortex-M core executes: its own architecture and those it is a superset of.
CORE_ARCHS = {
    "cortex-m0": {11, 12}, "cortex-m0plus": {11, 12}, "cortex-m3": {10, 11, 12},
    "cortex-m4": {10, 11, 12, 13}, "cortex-m7": {10, 11, 12, 13},
    "cortex-m23": {11, 12, 16}, "cortex-m33": {10, 11, 12, 13, 16, 17},
    "cortex-m55": {10, 11, 12, 13, 16, 17, 21},
}


def core_runs(core: str, arch: int) -> bool:
    """Whether `core` (a board's core, e.g. "cortex-m33") executes code for Tag_CPU_arch `arch`."""
    return arch in CORE_ARCHS.get(core, {arch})


def _cpu_arch(elf) -> int | None:
    section = elf.get_section_by_name(".ARM.attributes")
    if section is None or not hasattr(section, "iter_subsections"):
        return None
    for sub in section.iter_subsections():
        for subsub in sub.iter_subsubsections():
            for attribute in subsub.iter_attributes():
                if attribute.tag == "TAG_CPU_ARCH":
                    return int(attribute.value)
    return None


def check_twin_elf(path: Path, twin) -> None:
    """FwgenError (where: the file) unless `path` is an ELF that can run on `twin`."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    path = Path(path)
    if not path.is_file():
        raise FwgenError("ELF file not found", where=str(path))
    hint = f"build it for {twin.id} (fwgen build --board {twin.id} ...; the ELF is .pio/build/{twin.id}/firmware.elf)"
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"\x7fELF":
                raise FwgenError("not an ELF file", where=str(path), hint=hint)
            handle.seek(0)
            elf = ELFFile(handle)
            machine, kind = elf["e_machine"], elf["e_type"]
            if elf.elfclass != 32 or not elf.little_endian or machine != "EM_ARM":
                raise FwgenError(f"not an ARM ELF (it is for {machine}, {elf.elfclass}-bit)"
                                 if machine != "EM_ARM" else
                                 "not a 32-bit little-endian ARM ELF", where=str(path), hint=hint)
            if kind != "ET_EXEC":
                raise FwgenError(f"not an executable ({kind}): link it into a firmware image",
                                 where=str(path), hint=hint)
            loads = [(s["p_paddr"], s["p_paddr"] + s["p_filesz"]) for s in elf.iter_segments()
                     if s["p_type"] == "PT_LOAD" and s["p_filesz"] > 0]
            arch = _cpu_arch(elf)
    except ELFError as exc:
        raise FwgenError(f"not a readable ELF file: {exc}", where=str(path), hint=hint) from None
    except OSError as exc:
        raise FwgenError(f"cannot read the ELF: {exc.strerror}", where=str(path)) from None
    if not loads:
        raise FwgenError("the ELF has nothing to load", where=str(path), hint=hint)
    low, high = min(a for a, _ in loads), max(b for _, b in loads)
    flash = twin.memory.flash
    if low < flash.origin or high > flash.end:
        raise FwgenError(f"the image loads at 0x{low:08x}-0x{high:08x}, outside {twin.id}'s flash "
                         f"(0x{flash.origin:08x}-0x{flash.end:08x}): it was built for another "
                         f"board", where=str(path), hint=hint)
    if arch is not None and not core_runs(twin.core, arch):
        raise FwgenError(f"the ELF is built for Arm {ARCH_NAMES.get(arch, f'architecture {arch}')}, "
                         f"which {twin.id}'s {twin.core} does not run", where=str(path), hint=hint)
    LOG.info("%s: ARM ELF for %s (loads 0x%08x-0x%08x, Tag_CPU_arch %s)", path, twin.id, low, high,
             arch)
