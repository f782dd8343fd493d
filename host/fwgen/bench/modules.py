"""Flash and RAM of a firmware ELF by module: each symbol of the image attributed to the object
file that defines it (the build folder's .o files), objects grouped by the firmware module they
were compiled from (src/fwgen/<module>/, src/generated/<file>, the C library).

The rows add up to the ELF's sections as fwgen.project.size counts them: bytes no symbol
covers (alignment, literal pools) are one row, the stack another.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fwgen.errors import FwgenError
from fwgen.project.size import ROWS

TOOLCHAIN = "libc + libgcc"       # symbols no object of the project defines
UNNAMED = "(alignment, unnamed)"
STACK = "stack"
_KINDS = ("STT_FUNC", "STT_OBJECT")


@dataclass(frozen=True)
class ModuleSize:
    module: str
    flash: int
    ram: int


# The TFLM runtime's static libraries (tflm/<name>/ in the build folder) by component.
TFLM_LIBRARIES = {"tflm_framework": "TFLM framework", "tflm_kernels": "TFLM kernels",
                  "cmsis_nn": "CMSIS-NN"}


def module_of(object_path: str) -> str:
    """'src/fwgen/nn/dsp/nn_conv2d_s8.o' -> 'nn'; 'src/generated/model.o' -> 'generated/model'."""
    parts = PurePosixPath(object_path).parts
    if parts[:2] == ("src", "fwgen") and len(parts) > 3:
        return "port" if parts[2] == "ports" else parts[2]
    if parts[:2] == ("src", "generated"):
        return f"generated/{PurePosixPath(object_path).stem}"
    if parts[:2] == ("src", "user"):
        return "user"
    if parts[:1] == ("tflm",) and len(parts) > 2:   # --runtime tflm's libraries (runtime/tflm.py)
        return TFLM_LIBRARIES.get(parts[1], parts[1])
    return PurePosixPath(object_path).stem


def _symbols(path: Path):
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as handle:
        elf = ELFFile(handle)
        symtab = elf.get_section_by_name(".symtab")
        sections = [s.name for s in elf.iter_sections()]
        current_file = None
        for sym in symtab.iter_symbols() if symtab is not None else ():
            kind = sym["st_info"]["type"]
            if kind == "STT_FILE":
                current_file = sym.name
                continue
            shndx = sym["st_shndx"]
            if kind not in _KINDS or not isinstance(shndx, int):
                continue
            yield (sym.name, sym["st_info"]["bind"] == "STB_LOCAL", current_file,
                   sections[shndx], int(sym["st_value"]), int(sym["st_size"]))


def _definitions(build_dir: Path) -> dict[str, list[str]]:
    """symbol name -> the objects (paths relative to build_dir) that define it."""
    found: dict[str, list[str]] = defaultdict(list)
    for obj in sorted(build_dir.rglob("*.o")):
        rel = obj.relative_to(build_dir).as_posix()
        for name, *_ in _symbols(obj):
            found[name].append(rel)
    return found


def module_sizes(elf: Path, build_dir: Path) -> list[ModuleSize]:
    """Flash and RAM bytes per module of `elf`, built in `build_dir` (.pio/build/<env>), largest
    flash first, then the unnamed bytes and the stack."""
    placement = {section: (flash, ram) for _, sections, flash, ram in ROWS for section in sections}
    if not elf.is_file():
        raise FwgenError("firmware image not found", where=str(elf))
    defined = _definitions(build_dir)
    flash: dict[str, int] = defaultdict(int)
    ram: dict[str, int] = defaultdict(int)
    seen: set[tuple[int, str]] = set()
    for name, local, source_file, section, address, size in _symbols(elf):
        if size == 0 or section not in placement or (address, section) in seen:
            continue
        seen.add((address, section))          # aliases of one object count once
        objects = defined.get(name, [])
        if len(objects) > 1 and local and source_file:
            stem = PurePosixPath(source_file).stem
            objects = [o for o in objects if PurePosixPath(o).stem == stem] or objects
        module = module_of(objects[0]) if objects else TOOLCHAIN
        in_flash, in_ram = placement[section]
        flash[module] += size if in_flash else 0
        ram[module] += size if in_ram else 0
    from fwgen.project.size import section_sizes

    sections = section_sizes(elf)
    total_flash = sum(n for s, n in sections.items() if placement.get(s, (False, False))[0])
    total_ram = sum(n for s, n in sections.items()
                    if placement.get(s, (False, False))[1] and s != ".stack")
    rows = sorted((ModuleSize(m, flash[m], ram[m]) for m in set(flash) | set(ram)),
                  key=lambda r: (-r.flash, -r.ram, r.module))
    rows.append(ModuleSize(UNNAMED, total_flash - sum(flash.values()),
                           total_ram - sum(ram.values())))
    rows.append(ModuleSize(STACK, 0, sections.get(".stack", 0)))
    return rows
