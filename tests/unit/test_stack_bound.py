"""fwgen.project.stack reads GCC's call graphs (-fcallgraph-info=su) as GCC writes them: static
functions by file, declarations resolved to their definition, calls through pointers marked,
frames whose size is dynamic flagged; the build then reserves what the deepest path needs."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from fwgen.project.stack import (INDIRECT, StackBound, StackError, opaque_callees,
                                 read_call_graph)

MAIN_CI = '''graph: { title: "src/main.c"
node: { title: "src/main.c:on_frame" label: "on_frame\\nsrc/main.c:3:13\\n40 bytes (static)" }
node: { title: "work" label: "work\\nsrc/main.c:1:6" shape : ellipse }
edge: { sourcename: "src/main.c:on_frame" targetname: "work" label: "src/main.c:4:5" }
node: { title: "main" label: "main\\nsrc/main.c:6:5\\n376 bytes (static)" }
edge: { sourcename: "main" targetname: "src/main.c:on_frame" label: "src/main.c:7:5" }
node: { title: "__indirect_call" label: "Indirect Call Placeholder" shape : ellipse }
edge: { sourcename: "main" targetname: "__indirect_call" label: "src/main.c:8:5" }
}
'''
WORK_CI = '''graph: { title: "src/work.c"
node: { title: "src/work.c:on_frame" label: "on_frame\\nsrc/work.c:2:13\\n8 bytes (static)" }
node: { title: "work" label: "work\\nsrc/work.c:5:6\\n1792 bytes (static)" }
node: { title: "grow" label: "grow\\nsrc/work.c:9:6\\n16 bytes (dynamic)" }
node: { title: "bounded" label: "bounded\\nsrc/work.c:12:6\\n24 bytes (dynamic,bounded)" }
}
'''


def test_the_call_graph_keeps_statics_apart_and_resolves_declarations(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.ci").write_text(MAIN_CI)
    (tmp_path / "src" / "work.ci").write_text(WORK_CI)
    fns = read_call_graph(tmp_path)
    assert fns["src/main.c:on_frame"].frame == 40 and fns["src/work.c:on_frame"].frame == 8
    assert fns["work"].frame == 1792                     # the definition wins over the declaration
    assert fns["main"].calls == ("src/main.c:on_frame", INDIRECT)
    assert fns["grow"].dynamic and not fns["bounded"].dynamic


def test_no_call_graph_is_an_error_that_says_how_to_get_one(tmp_path):
    with pytest.raises(StackError, match="no call graph") as err:
        read_call_graph(tmp_path)
    assert "-fcallgraph-info" in (err.value.hint or "")


def test_the_bound_adds_interrupts_and_a_margin_aligned_to_8():
    bound = StackBound(main_path=(("Reset_Handler", 8), ("main", 376), ("work", 1792)),
                       handlers=(("uart_isr", 108 + 24),), unknown=("memcpy",), exception_frame=108)
    assert bound.deepest == 8 + 376 + 1792 + 132
    assert bound.required % 8 == 0 and bound.required >= bound.deepest + 64
    assert "main 376 > work 1792" in "\n".join(bound.lines())


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
def test_gcc_writes_what_the_reader_reads(tmp_path):
    src = tmp_path / "t.c"
    src.write_text("extern void ext(int);\n"
                   "static void __attribute__((noinline)) leaf(int x) { volatile char b[40]; b[0] = x; ext(b[0]); }\n"
                   "void (*hook)(int);\n"
                   "void entry(int x) { char b[100]; b[0] = x; leaf(b[0]); hook(x); }\n")
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-O2", "-c", str(src), "-o",
                    str(tmp_path / "t.o"), "-fstack-usage", "-fcallgraph-info=su"], check=True)
    fns = read_call_graph(tmp_path)
    leaf = next(f for f in fns.values() if f.name == "leaf")
    assert leaf.frame is not None and leaf.frame >= 40 and ":" in leaf.key
    assert INDIRECT in fns["entry"].calls and leaf.key in fns["entry"].calls


def test_no_port_sets_an_interrupt_priority():
    """fwgen.project.stack counts one interrupt handler at a time (HANDLERS_NEST False) because
    every port leaves the NVIC priorities at reset: a port that sets one must make it nest."""
    from pathlib import Path

    from fwgen.project import stack

    ports = Path(__file__).resolve().parents[2] / "firmware" / "ports"
    writes = [p for p in ports.rglob("*.[ch]")
              if any(reg in p.read_text() for reg in ("NVIC_IPR", "SCB_SHPR", "0xE000E400", "0xE000ED18"))]
    assert stack.HANDLERS_NEST or not writes, writes


def test_a_cpp_library_without_frames_has_no_bound_but_c_helpers_do():
    # TFLM's framework is compiled by its own flags (no .ci files) and reached through vtables:
    # its frames are unknown, so the build must keep the board file's stack, not count 64 B.
    unknown = {"memcpy", "__aeabi_uldivmod", "TfLiteStatus tflite::MicroInterpreter::Invoke()",
               "tflite::MicroInterpreter::~MicroInterpreter()"}
    assert opaque_callees(unknown) == ["TfLiteStatus tflite::MicroInterpreter::Invoke()",
                                       "tflite::MicroInterpreter::~MicroInterpreter()"]
    assert opaque_callees({"memcpy", "__aeabi_ldivmod", "strlen"}) == []


CALLBACK_C = """
#define NOINLINE __attribute__((noinline))
typedef void (*write_fn)(const char *data, int len);
static void uart_write(const char *data, int len) { volatile char c = data[len - 1]; (void)c; }
write_fn volatile s_write = uart_write;
NOINLINE void send(const char *data, int len) { s_write(data, len); }
NOINLINE void feed(int x) { volatile char b[64]; b[0] = (char)x; send((const char *)b, 1); }
NOINLINE void drain(void) { feed(1); }
extern const int bias[4];
NOINLINE int main(void) { send("hello", 5); drain(); return bias[1]; }
void Reset_Handler(void) { main(); for (;;) { } }
__attribute__((section(".isr_vector"), used)) void (*const vectors[])(void) = {
    (void (*)(void))0x20001000, Reset_Handler };
"""
# drain() pinned at 0x2000 and a weight equal to its Thumb address, as on the M7 twin (flash at
# 0): drain_audio at 0x2c8, and 713 = 0x2c9 a bias of yamnet_256's op 9
CALLBACK_LD = """SECTIONS {
  .isr_vector 0x0 : { KEEP(*(.isr_vector)) }
  .drain 0x2000 : { *(.text.drain) }
  .text 0x100 : { *(.text*) }
  .rodata : { *(.rodata*) }
  .data : { *(.data*) }
}
"""


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
def test_a_weight_equal_to_a_function_address_is_no_call_through_a_pointer(tmp_path):
    from elftools.elf.elffile import ELFFile

    from fwgen.project.stack import address_taken, stack_bound

    (tmp_path / "app.c").write_text(CALLBACK_C)
    (tmp_path / "weights.c").write_text("const int bias[4] = {3, 0x2001, 7, 9};\n")
    (tmp_path / "link.ld").write_text(CALLBACK_LD)
    flags = ["-mcpu=cortex-m7", "-mthumb", "-O2", "-ffunction-sections", "-fdata-sections",
             "-fstack-usage", "-fcallgraph-info=su"]
    for name in ("app", "weights"):
        subprocess.run(["arm-none-eabi-gcc", *flags, "-c", f"{name}.c", "-o", f"{name}.o"],
                       cwd=tmp_path, check=True)
    elf = tmp_path / "firmware.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-nostdlib", "-T", "link.ld",
                    "app.o", "weights.o", "-o", str(elf)], cwd=tmp_path, check=True)
    with open(elf, "rb") as handle:
        image = ELFFile(handle)
        drain = next(s for s in image.get_section_by_name(".symtab").iter_symbols() if s.name == "drain")
        rodata = image.get_section_by_name(".rodata").data()
    assert drain["st_value"] == 0x2001 and (0x2001).to_bytes(4, "little") in rodata  # the case
    functions = read_call_graph(tmp_path)
    assert address_taken(elf, tmp_path, functions) == {"app.c:uart_write"}
    # main > send > (pointer) drain > feed > send would be a cycle: no bound
    bound = stack_bound(elf, tmp_path, fpu=True)
    assert [name for name, _ in bound.main_path] == ["Reset_Handler", "main", "drain", "feed",
                                                     "send", "uart_write"]
    assert bound.main_bytes == sum(functions[k].frame for k in
                                   ("Reset_Handler", "main", "drain", "feed", "send", "app.c:uart_write"))
