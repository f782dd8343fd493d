"""The main stack a firmware image needs, from its compiled call graph.

GCC writes, beside every object, its functions' frames and calls (`-fstack-usage
-fcallgraph-info=su`, fwgen.project.toolchain.C_FLAGS): `<object>.ci`, one VCG graph per
translation unit. The bound is the deepest path from the reset handler, plus every interrupt
handler's deepest path on top of it (each with the exception frame the core pushes, as if all
of them nested), plus a margin:
  * a call through a pointer may reach any function whose address the image holds (a word
    equal to its Thumb address anywhere in the loaded sections: tables, literal pools);
  * a function with no frame information (newlib, libgcc) counts UNKNOWN_CALLEE_BYTES;
  * recursion, or a frame whose size is dynamic and unbounded, has no bound: StackError.

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
MARGIN_BYTES = 128               # what the analysis cannot see: startup, compiler helpers
MARGIN_SHARE = 0.10
RESET = "Reset_Handler"
INDIRECT = "__indirect_call"
_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_BYTES = re.compile(r"\\n(\d+) bytes \(([a-z,]+)\)")


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
        return sum(n for _, n in self.handlers)

    @property
    def deepest(self) -> int:
        return self.main_bytes + self.handler_bytes

    @property
    def required(self) -> int:
        need = self.deepest + MARGIN_BYTES + int(self.deepest * MARGIN_SHARE)
        return (need + 7) // 8 * 8

    def lines(self) -> list[str]:
        path = " > ".join(f"{name} {n}" for name, n in self.main_path)
        out = [f"stack: {self.required} B = deepest path {self.main_bytes} B + interrupts "
               f"{self.handler_bytes} B (exception frame {self.exception_frame} B each) + margin",
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


def address_taken(elf: Path, functions: dict[str, Function]) -> set[str]:
    """Keys of the functions whose Thumb address appears as a word in the image."""
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as handle:
        f = ELFFile(handle)
        symtab = f.get_section_by_name(".symtab")
        addr_of: dict[int, set[str]] = {}
        for sym in symtab.iter_symbols() if symtab is not None else ():
            if sym["st_info"]["type"] == "STT_FUNC" and sym["st_value"]:
                addr_of.setdefault(int(sym["st_value"]) | 1, set()).add(sym.name)
        words: set[int] = set()
        for section in f.iter_sections():
            # the vector table's entries are called by the core, not through pointers
            if (section["sh_type"] == "SHT_PROGBITS" and section["sh_flags"] & 2   # SHF_ALLOC
                    and section.name != ".isr_vector"):
                data = section.data()
                words.update(int.from_bytes(data[i:i + 4], "little")
                             for i in range(0, len(data) - 3, 2))
    names = {name for addr, found in addr_of.items() if addr in words for name in found}
    return {key for key, fn in functions.items() if fn.name in names and fn.frame is not None}


def vector_handlers(elf: Path) -> list[str]:
    """Names of the handlers in the image's vector tables (.isr_vector), reset first."""
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as handle:
        f = ELFFile(handle)
        vectors = f.get_section_by_name(".isr_vector")
        symtab = f.get_section_by_name(".symtab")
        if vectors is None or symtab is None:
            raise StackError("the image has no vector table or no symbols", where=str(elf))
        by_addr = {int(s["st_value"]) | 1: s.name for s in symtab.iter_symbols()
                   if s["st_info"]["type"] == "STT_FUNC"}
        data = vectors.data()
    names = [by_addr.get(int.from_bytes(data[i:i + 4], "little")) for i in range(4, len(data) - 3, 4)]
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
    pointed = sorted(address_taken(elf, functions))
    handlers = vector_handlers(elf)
    unknown: set[str] = set()
    memo: dict[str, tuple[int, tuple[tuple[str, int], ...]]] = {}
    open_: list[str] = []          # the path being explored (recursion shows as a key on it)

    def deepest(key: str) -> tuple[int, tuple[tuple[str, int], ...]]:
        key = resolve(key)
        fn = functions.get(key)
        if fn is None or fn.frame is None:
            name = fn.name if fn is not None else key
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
    _, main_path = deepest(reset_key)
    frame = FRAME_BASIC + (FRAME_FP if fpu else 0) + FRAME_ALIGN
    handler_rows = []
    for name in handlers[1:]:
        key = next((k for k, f in functions.items() if f.name == name and f.frame is not None), None)
        depth = deepest(key)[0] if key is not None else UNKNOWN_CALLEE_BYTES
        handler_rows.append((name, depth + frame))
    return StackBound(main_path=main_path, handlers=tuple(handler_rows),
                      unknown=tuple(sorted(unknown)), exception_frame=frame)
