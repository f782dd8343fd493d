"""fwgen's compiler (--runtime aot) against TensorFlow Lite Micro + CMSIS-NN (--runtime tflm) on
the same model, the same twin and the same clip, in one run of `fwgen bench` per runtime: exact
executed instructions per inference and per op, arena, flash and RAM by component.

    FWGEN_TFLM_DIR=~/tflm-tree .venv/bin/python benchmarks/bench_runtimes.py > benchmarks/bench_runtimes.txt

Needs a TFLM tree (TFLM's create_tflm_tree.py output with OPTIMIZED_KERNEL_DIR=cmsis_nn) in
FWGEN_TFLM_DIR: fwgen ships none (README, "TFLM + CMSIS-NN as the runtime"). Both builds are
fwgen's own app, frontend, detector and link; only the inference differs. A TFLM node's count
runs from its kernel's invoke to the next node's (the interpreter's step between them included).
Instructions are not cycles: no latency is claimed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

MODELS = ("micro_speech", "yamnet_256")
TWINS = ("mps2_an505",)
COMPONENTS = ("TFLM framework", "TFLM kernels", "CMSIS-NN", "generated/model_data",
              "generated/tflm_model", "generated/model", "nn")


def _version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def section(aot, tflm) -> list[str]:
    out = [f"== {aot.model} on {aot.twin.id} ({aot.twin.core}): sha256 {aot.sha256[:16]}, "
           f"{aot.macs:,} MACs; clip: {aot.clip}; {aot.inferences} inferences", ""]
    out.append(f"{'':<26} {'aot':>12} {'tflm':>12} {'aot/tflm':>9}")

    def row(name: str, a: int, t: int) -> None:
        out.append(f"{name:<26} {a:>12,} {t:>12,} {a / t if t else 0:>9.2f}")
    row("instructions/inference", aot.inference, tflm.inference)
    row("arena B", aot.arena_bytes, tflm.arena_bytes)
    row("flash B (shipped image)", aot.sizes.flash_used, tflm.sizes.flash_used)
    row("RAM B (shipped image)", aot.sizes.ram_used, tflm.sizes.ram_used)
    out.append("")
    out.append(f"{'#':>3}  {'op':<36} {'MACs':>10} {'aot':>12} {'tflm':>12} {'aot/tflm':>9}")
    if [op.opcode for op in aot.ops] == [op.opcode for op in tflm.ops]:
        for a, t in zip(aot.ops, tflm.ops):
            ratio = f"{a.instructions / t.instructions:>9.2f}" if t.instructions else f"{'-':>9}"
            out.append(f"{a.index:>3}  {a.label[:36]:<36} {a.macs:>10,} {a.instructions:>12,} "
                       f"{t.instructions:>12,} {ratio}")
    else:
        out.append("     (the runtimes' graphs differ op by op; totals only)")
    out.append(f"{'':>3}  {'(invoke, between ops)':<36} {'':>10} {aot.invoke_overhead:>12,} "
               f"{tflm.invoke_overhead:>12,}")
    out.append("")
    out.append(f"   flash/RAM by component, shipped {aot.board.id} image (aot | tflm):")
    mods = {m.module: m for m in aot.modules}, {m.module: m for m in tflm.modules}
    for name in sorted(set(mods[0]) | set(mods[1]), key=lambda n: -max(
            mods[0].get(n).flash if n in mods[0] else 0, mods[1].get(n).flash if n in mods[1] else 0)):
        a, t = mods[0].get(name), mods[1].get(name)
        out.append(f"   {name:<28} {a.flash if a else 0:>8} {a.ram if a else 0:>8} | "
                   f"{t.flash if t else 0:>8} {t.ram if t else 0:>8}")
    out.append("")
    return out


def main(argv: list[str] | None = None) -> int:
    from fwgen.bench import bench_model
    from fwgen.boards import get_board
    from fwgen.runners.qemu import qemu_program   # the one the twins run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--twins", nargs="*", default=list(TWINS))
    args = parser.parse_args(argv)
    tree = os.environ.get("FWGEN_TFLM_DIR")
    if not tree:
        print("bench_runtimes: set FWGEN_TFLM_DIR to a TFLM tree (create_tflm_tree.py output)",
              file=sys.stderr)
        return 2
    from fwgen.runtime.tflm import tree_kernels

    print("# fwgen bench --runtime aot and --runtime tflm: exact executed instructions per inference "
          "(QEMU TCG plugin), per op; instructions are not cycles")
    print(f"# {_version(['arm-none-eabi-gcc', '--version'])}; {_version([qemu_program(), '--version'])}")
    print(f"# TFLM: a create_tflm_tree.py tree with {tree_kernels(Path(tree))} kernels "
          f"(tensorflow/tflite-micro 90b983c, CMSIS-NN 4ab83cc, CMSIS_6 5782d6f); release flags")
    print()
    for model in args.models:
        for twin in args.twins:
            board = get_board(twin)
            results = [bench_model(model, board, runtime=r) for r in ("aot", "tflm")]
            print("\n".join(section(*results)))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
