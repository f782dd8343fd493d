"""The main stack a firmware image needs, from its compiled call graph.

GCC writes, beside every object, its functions' frames and calls (`-fstack-usage
-fcallgraph-info=su`, fwgen.project.toolchain.C_FLAGS): `<object>.ci`, one VCG graph per
translation unit. The bound is the deepest path from the reset handler, plus the deepest
interrupt handler's path on top of it with the exception frame the core pushes (fwgen's ports
leave every interrupt at the reset priority, and equal priorities do not preempt each other,
so one handler runs at a time: HANDLERS_NEST says so, and tests/unit/test_stack_bound.py fails
when a port sets a priority), plus a margin:
  * a call through a pointer may reach any function whose address the program takes: a
    relocation against it that is not a call or branch, in a loaded section of any object
    (tables, literal pools, MOVW/MOVT). Not any word of the image that equals a function's
    address: on the M7 twin (flash at 0) a bias of 713 in yamnet_256's weights is drain_audio's
    0x2c9, which made a cycle fwgen_link_send > drain_audio > fwgen_app_pipeline_feed > ... >
    fwgen_link_send that the program has not;
  * a function with no frame information (newlib, libgcc) counts what its prologue pushes
    where it calls nothing (a leaf: memcpy, memset, strlen), else UNKNOWN_CALLEE_BYTES;
  * recursion, or a frame whose size is dynamic and unbounded, has no bound: StackError;
  * so has a C++ function without frame information (a library compiled by flags of its own,
    such as the TFLM runtime's framework and kernels, which it calls through vtables and
    registration tables): counting 64 B for MicroInterpreter::Invoke would be a guess, and
    the build keeps the board file's stack instead.

    bound = stack_bound(elf, objects_dir, fpu=True)
    bound.required        # bytes to reserve: deepest paths + MARGIN, 8-byte aligned
    bound.lines()         # the deepest path, function by function
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fwgen.errors import FwgenError

# Exception entry: 8 words basic frame, + 18 FP words (S0-S15, FPSCR, reserved) where an FPU
# may be in use, + 1 word of alignment padding (Armv7-M/Armv8-M ARM, exception entry).
FRAME_BASIC, FRAME_FP, FRAME_ALIGN = 32, 72, 4
UNKNOWN_CALLEE_BYTES = 64        # newlib-nano's memcpy/memset family push at most 8 registers
HANDLERS_NEST = False            # every interrupt at one priority: handlers do not preempt
# The bound is exact for what the call graph shows; the margin is for what it may not: a
# compiler helper deeper than UNKNOWN_CALLEE_BYTES, code outside the graph (assembly).
MARGIN_BYTES = 64
MARGIN_SHARE = 0.05
RESET = "Reset_Handler"
INDIRECT = "__indirect_call"
_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_BYTES = re.compile(r"\\n(\d+) bytes \(([a-z,]+)\)")
_TITLE = re.compile(r'graph: \{ title: "([^"]+)"')


class StackError(FwgenError):
    pass


@dataclass(frozen=True)
class Function:
    key: str                  # the .ci title: name, or file:name for a static function
    name: str
    frame: int | None         # bytes; None: no frame information (declared only)
    dynamic: bool             # the frame grows at run time (alloca, VLA) without a bound
    calls: tuple[str, ...]    # keys, resolved; INDIRECT for a call through a pointer


@dataclass(frozen=True)
class StackBound:
    main_path: tuple[tuple[str, int], ...]      # (function, its frame) from the reset handler
    handlers: tuple[tuple[str, int], ...]       # interrupt handler -> its deepest path + frame
    unknown: tuple[str, ...]                    # callees counted as UNKNOWN_CALLEE_BYTES
    exception_frame: int

    @property
    def main_bytes(self) -> int:
        return sum(n for _, n in self.main_path)

    @property
    def handler_bytes(self) -> int:
        depths = [n for _, n in self.handlers]
        return sum(depths) if HANDLERS_NEST else max(depths, default=0)

    @property
    def deepest(self) -> int:
        return self.main_bytes + self.handler_bytes

    @property
    def required(self) -> int:
        need = self.deepest + MARGIN_BYTES + int(self.deepest * MARGIN_SHARE)
        return (need + 7) // 8 * 8

    def lines(self) -> list[str]:
        path = " > ".join(f"{name} {n}" for name, n in self.main_path)
        out = [f"stack: {self.required} B = deepest path {self.main_bytes} B + deepest interrupt "
               f"{self.handler_bytes} B (its exception frame {self.exception_frame} B included) "
               f"+ margin",
               f"  deepest path: {path}"]
        if self.unknown:
            out.append(f"  counted {UNKNOWN_CALLEE_BYTES} B each (no frame information): "
                       + ", ".join(self.unknown))
        return out

    def as_dict(self) -> dict:
        return {"required": self.required, "main_path": [list(p) for p in self.main_path],
                "handlers": [list(h) for h in self.handlers], "unknown": list(self.unknown),
                "exception_frame": self.exception_frame}


def read_call_graph(objects_dir: Path) -> dict[str, Function]:
    """Every function of every .ci file under `objects_dir`, calls resolved to definitions."""
    nodes: dict[str, tuple[str, int | None, bool]] = {}
    edges: dict[str, list[str]] = {}
    files = sorted(objects_dir.rglob("*.ci"))
    if not files:
        raise StackError("the build left no call graph (.ci files)", where=str(objects_dir),
                         hint="build with fwgen's toolchain flags (-fcallgraph-info=su)")
    for path in files:
        text = path.read_text(errors="replace")
        for key, label in _NODE.findall(text):
            m = _BYTES.search(label)
            name = label.split("\\n", 1)[0]
            if m is not None:
                kinds = m.group(2).split(",")
                nodes[key] = (name, int(m.group(1)), "dynamic" in kinds and "bounded" not in kinds)
            elif key not in nodes:
                nodes[key] = (name, None, False)
        for src, dst in _EDGE.findall(text):
            edges.setdefault(src, []).append(dst)
    return {key: Function(key, name, frame, dynamic, tuple(dict.fromkeys(edges.get(key, ()))))
            for key, (name, frame, dynamic) in nodes.items() if key != INDIRECT}


# Relocations that take no address: calls and branches (the call graph has those), unwind
# tables' PREL31 (every function has one), none (ELF for the Arm Architecture, relocation codes).
_NOT_ADDRESS = {0, 1, 10, 28, 29, 30, 40, 42, 51, 52, 102, 103}
R_ARM_ABS32 = 2
_SHT_ARM_EXIDX = "SHT_ARM_EXIDX"


def address_taken(elf: Path, objects_dir: Path, functions: dict[str, Function]) -> set[str]:
    """Keys of the functions whose address some object under `objects_dir` takes (a relocation
    against them, other than a call, in a loaded section other than the vector table: the core
    calls those), with frame information and linked into `elf` (not dropped by --gc-sections)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection

    with open(elf, "rb") as handle:
        symtab = ELFFile(handle).get_section_by_name(".symtab")
        linked = {s.name for s in symtab.iter_symbols() if s["st_info"]["type"] == "STT_FUNC"} \
            if symtab is not None else set()
    keys: set[str] = set()
    for obj in sorted(objects_dir.rglob("*.o")):
        ci = obj.with_suffix(".ci")
        title = _TITLE.search(ci.read_text(errors="replace")) if ci.exists() else None
        with open(obj, "rb") as handle:
            f = ELFFile(handle)
            for rel in f.iter_sections():
                if not isinstance(rel, RelocationSection) or not rel["sh_info"]:
                    continue
                target = f.get_section(rel["sh_info"])
                if (not target["sh_flags"] & 2 or target["sh_type"] == _SHT_ARM_EXIDX   # SHF_ALLOC
                        or target.name.startswith((".isr_vector", ".ARM.extab"))):
                    continue
                for r in rel.iter_relocations():
                    if r["r_info_type"] in _NOT_ADDRESS:
                        continue
                    for name, local in _functions_at(f, rel, r):
                        keys.add(f"{title.group(1)}:{name}" if local and title else name)
    return {key for key in keys
            if key in functions and functions[key].frame is not None and functions[key].name in linked}


def _functions_at(f, rel, r) -> list[tuple[str, bool]]:
    """(name, is it local) of the function(s) relocation `r` of section `rel` takes the address
    of: the function named, an undefined name (another object's function, or data the caller
    then drops), or, against a code section's symbol, the function starting at the addend (not
    a jump table's case label inside one; where the addend is not a plain word, all of them)."""
    symtab = f.get_section(rel["sh_link"])
    sym = symtab.get_symbol(r["r_info_sym"])
    kind, where = sym["st_info"]["type"], sym["st_shndx"]
    if where == "SHN_UNDEF":
        return [(sym.name, False)] if sym.name else []
    if kind == "STT_FUNC":
        return [(sym.name, sym["st_info"]["bind"] == "STB_LOCAL")]
    if kind != "STT_SECTION" or not isinstance(where, int) or not f.get_section(where)["sh_flags"] & 4:
        return []                                                   # data, not code (SHF_EXECINSTR)
    start = None
    if rel.is_RELA():
        start = r["r_addend"] & ~1
    elif r["r_info_type"] == R_ARM_ABS32:
        data = f.get_section(rel["sh_info"]).data()
        start = int.from_bytes(data[r["r_offset"]:r["r_offset"] + 4], "little") & ~1
    return [(s.name, s["st_info"]["bind"] == "STB_LOCAL") for s in symtab.iter_symbols()
            if s["st_info"]["type"] == "STT_FUNC" and s["st_shndx"] == where
            and (start is None or int(s["st_value"]) & ~1 == start)]


def _thumb_frame(code: bytes) -> int | None:
    """Bytes a leaf's prologue reserves (PUSH, PUSH.W, SUB SP), or None when the code calls
    anything (BL/BLX) or starts otherwise than the compiler's prologues."""
    halves = [int.from_bytes(code[i:i + 2], "little") for i in range(0, len(code) - 1, 2)]
    i = 0
    while i < len(halves):                      # any BL/BLX (32-bit, 11110 then 11x1x) or BLX rm
        h = halves[i]
        if h >> 11 in (0x1D, 0x1E, 0x1F):
            if h >> 11 == 0x1E and i + 1 < len(halves) and halves[i + 1] & 0xD000 in (0xD000, 0xC000):
                return None
            i += 2
            continue
        if h & 0xFF87 == 0x4780:
            return None
        i += 1
    frame, i = 0, 0
    while i < len(halves):
        h = halves[i]
        if h & 0xFE00 == 0xB400:                              # PUSH {regs[, lr]}
            frame += 4 * (bin(h & 0xFF).count("1") + (h >> 8 & 1))
        elif h == 0xE92D and i + 1 < len(halves):             # PUSH.W {regs}
            frame += 4 * bin(halves[i + 1]).count("1")
            i += 1
        elif h & 0xFF80 == 0xB080:                            # SUB SP, SP, #imm7 * 4
            frame += 4 * (h & 0x7F)
        else:
            break
        i += 1
    return frame


def leaf_frames(elf: Path) -> dict[str, int]:
    """name -> bytes its prologue reserves, for the image's functions that call nothing."""
    from elftools.elf.elffile import ELFFile

    out: dict[str, int] = {}
    with open(elf, "rb") as handle:
        f = ELFFile(handle)
        symtab = f.get_section_by_name(".symtab")
        text = f.get_section_by_name(".text")
        if symtab is None or text is None:
            return out
        base, data = int(text["sh_addr"]), text.data()
        for sym in symtab.iter_symbols():
            if sym["st_info"]["type"] != "STT_FUNC" or not sym["st_size"]:
                continue
            start = (int(sym["st_value"]) & ~1) - base
            if 0 <= start < len(data):
                frame = _thumb_frame(data[start:start + int(sym["st_size"])])
                if frame is not None:
                    out[sym.name] = frame
    return out


def vector_handlers(elf: Path) -> list[tuple[str, ...]]:
    """The handlers in the image's vector tables (.isr_vector): all the names at each one's address."""
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as handle:
        f = ELFFile(handle)
        vectors = f.get_section_by_name(".isr_vector")
        symtab = f.get_section_by_name(".symtab")
        if vectors is None or symtab is None:
            raise StackError("the image has no vector table or no symbols", where=str(elf))
        by_addr: dict[int, list[str]] = {}
        for s in symtab.iter_symbols():
            if s["st_info"]["type"] == "STT_FUNC":
                by_addr.setdefault(int(s["st_value"]) | 1, []).append(s.name)
        data = vectors.data()
    # a handler and its weak aliases share an address: every name, the caller takes the one
    # the call graph knows
    names = [tuple(sorted(by_addr.get(int.from_bytes(data[i:i + 4], "little"), ())))
             for i in range(4, len(data) - 3, 4)]
    return list(dict.fromkeys(n for n in names if n))


def _resolver(functions: dict[str, Function]):
    by_name: dict[str, list[str]] = {}
    for key, fn in functions.items():
        if fn.frame is not None:
            by_name.setdefault(fn.name, []).append(key)

    def resolve(key: str) -> str:
        fn = functions.get(key)
        if fn is not None and fn.frame is not None:
            return key
        found = [k for k in by_name.get(functions[key].name if key in functions else key, [])
                 if ":" not in k]    # a declaration reaches the global definition
        return found[0] if found else key
    return resolve


def stack_bound(elf: Path, objects_dir: Path, *, fpu: bool) -> StackBound:
    functions = read_call_graph(objects_dir)
    resolve = _resolver(functions)
    pointed = sorted(address_taken(elf, objects_dir, functions))
    handlers = vector_handlers(elf)
    leaves = leaf_frames(elf)
    unknown: set[str] = set()
    memo: dict[str, tuple[int, tuple[tuple[str, int], ...]]] = {}
    open_: list[str] = []          # the path being explored (recursion shows as a key on it)

    def deepest(key: str) -> tuple[int, tuple[tuple[str, int], ...]]:
        key = resolve(key)
        fn = functions.get(key)
        if fn is None or fn.frame is None:
            name = fn.name if fn is not None else key
            plain = name[len("__builtin_"):] if name.startswith("__builtin_") else name
            if plain in leaves:                 # a library leaf: its prologue says its frame
                return leaves[plain], ((plain, leaves[plain]),)
            unknown.add(name)
            return UNKNOWN_CALLEE_BYTES, ((name, UNKNOWN_CALLEE_BYTES),)
        if key in memo:
            return memo[key]
        if key in open_:
            raise StackError(f"{fn.name} calls itself (through {' > '.join(open_)}): its stack "
                             f"has no bound", where=str(elf),
                             hint="remove the recursion, or give the board file a stack_bytes "
                                  "that holds it (fwgen then keeps the board's)")
        if fn.dynamic:
            raise StackError(f"{fn.name} grows its stack at run time (alloca or a variable-length "
                             f"array): no bound", where=str(elf), hint="give the array a fixed size")
        open_.append(key)
        best: tuple[int, tuple[tuple[str, int], ...]] = (0, ())
        for callee in fn.calls:
            # through a pointer: any function whose address the image holds, except one on the
            # current path (a callback calling back is no bound anyone can give)
            targets = [c for c in pointed if c not in open_] if callee == INDIRECT else [callee]
            for target in targets:
                depth = deepest(target)
                if depth[0] > best[0]:
                    best = depth
        open_.pop()
        memo[key] = (fn.frame + best[0], ((fn.name, fn.frame),) + best[1])
        return memo[key]

    if RESET not in {functions[k].name for k in functions if functions[k].frame is not None}:
        raise StackError(f"no {RESET} in the call graph", where=str(objects_dir))
    reset_key = next(k for k, f in functions.items() if f.name == RESET and f.frame is not None)
    handlers = [names for names in handlers if RESET not in names]
    _, main_path = deepest(reset_key)
    frame = FRAME_BASIC + (FRAME_FP if fpu else 0) + FRAME_ALIGN
    handler_rows = []
    for names in handlers:
        key = next((k for k, f in functions.items() if f.name in names and f.frame is not None), None)
        name = functions[key].name if key is not None else names[0]
        depth = deepest(key)[0] if key is not None else deepest(names[0])[0]
        handler_rows.append((name, depth + frame))
    opaque = opaque_callees(unknown)
    if opaque:
        raise StackError(
            f"no call-graph information for {len(opaque)} C++ function(s) the firmware calls "
            f"({', '.join(opaque[:3])}{', ...' if len(opaque) > 3 else ''}): a library compiled "
            f"without -fcallgraph-info, so the call graph gives no bound", where=str(elf),
            hint="the build keeps the board file's stack (stack_bytes)")
    return StackBound(main_path=main_path, handlers=tuple(handler_rows),
                      unknown=tuple(sorted(unknown)), exception_frame=frame)


def opaque_callees(unknown: set[str] | tuple[str, ...]) -> list[str]:
    """The callees without frame information that are C++ (demangled names: `ns::f(args)`):
    whole libraries, not the C library's or libgcc's helpers that UNKNOWN_CALLEE_BYTES covers."""
    return sorted(n for n in unknown if "::" in n or "(" in n)
