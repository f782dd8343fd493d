"""fwgen bench on the M33 twin: the counting plugin is exact on a loop whose instruction count is
known, and `fwgen bench --json` reports per-op counts that add up to the inference."""
from __future__ import annotations

import json

import pytest

from fwgen.bench.plugin import build_plugin, find_marks, plugin_args, read_counts
from fwgen.runners.qemu import QemuRunner
from fwgen.testing.harness import Twin, build_image

LOOPS = (1000, 37)

# Regions 3 and 4 of a 5-word marker array, in assembly so that every instruction is known:
# region 3 is the loop (subs + bne per turn) and the store that starts region 4; region 4 is
# one movs and the store back to region 0.
MAIN = r"""
#include <stdint.h>
#include "app/harness/harness.h"

volatile uint32_t fwgen_bench_marks[5] __attribute__((section(".fwgen_arena.bench")));

static void marked_loop(uint32_t n)
{
    __asm__ volatile(
        "str %[one], [%[marks], #12]\n"
        "1: subs %[n], %[n], #1\n"
        "bne 1b\n"
        "str %[one], [%[marks], #16]\n"
        "movs %[n], #7\n"
        "str %[one], [%[marks], #0]\n"
        : [n] "+l"(n) : [one] "l"(1u), [marks] "l"(fwgen_bench_marks) : "cc", "memory");
}

int main(void)
{
    LOOPS
    return 0;
}
"""


def test_plugin_counts_a_known_loop_exactly(tmp_path):
    twin = Twin.from_board("mps2_an505")
    calls = " ".join(f"marked_loop({n}u);" for n in LOOPS)
    elf = build_image(twin, tmp_path / "image", MAIN.replace("LOOPS", calls), modules=("common",))
    marks = find_marks(elf)
    assert marks.regions == 5
    out = tmp_path / "counts.txt"
    runner = QemuRunner(twin.board, extra_args=plugin_args(build_plugin(), marks, out))
    status, output = runner.run_to_exit(elf, cwd=tmp_path, icount=False, timeout=60)
    assert status == 0, output
    counts = read_counts(out)
    assert counts.of(3) == sum(2 * n + 1 for n in LOOPS)
    assert counts.of(4) == 2 * len(LOOPS)
    assert counts.entered(3) == counts.entered(4) == len(LOOPS)
    assert counts.entered(0) == len(LOOPS)              # the startup zeroes no marker word
    assert sum(counts.instructions.values()) == counts.total


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory):
    from fwgen.cli import main

    out = tmp_path_factory.mktemp("bench")
    import contextlib
    import io

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        code = main(["bench", "--board", "mps2_an505", "--model", "micro_speech", "--json",
                     "--inferences", "2", "--out", str(out / "projects")])
    assert code == 0
    return json.loads(text.getvalue())


def test_bench_json_ops_add_up_to_the_inference(bench_json):
    d = bench_json
    from fwgen.compiler.compile import lower_all
    from fwgen.tflite.reader import read_model
    from fwgen.zoo import resolve_model

    steps = lower_all(read_model(resolve_model("micro_speech").path))
    assert [op["op"] for op in d["ops"]] == [s.op.opcode for s in steps]
    assert [op["macs"] for op in d["ops"]] == [s.macs for s in steps]
    total = d["inference"]["instructions"]
    assert sum(op["instructions"] for op in d["ops"]) + d["invoke_overhead"] == total
    assert d["inferences"] == 2 and d["inference"]["macs"] == sum(s.macs for s in steps)
    # MACs need instructions: no SMLAD-only kernel reaches the arithmetic limit
    assert total > d["inference"]["arithmetic_limit"]
    assert all(op["instructions"] > 0 for op in d["ops"] if op["macs"])
    assert 10_000 < d["frontend"]["instructions_per_window"] < 200_000
    assert 0 < d["memory"]["stack_used"] < d["memory"]["stack_size"]
    assert d["sizes"]["flash"]["used"] == sum(m["flash"] for m in d["modules"])
    assert d["sizes"]["ram"]["used"] == sum(m["ram"] for m in d["modules"])
    assert d["twin"] == d["board"] == "mps2_an505" and d["core"] == "cortex-m33"
