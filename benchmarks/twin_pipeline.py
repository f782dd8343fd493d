"""Per-stage instruction counts of the micro_speech firmware on each QEMU twin, and flash/RAM by
section on every board.

Counts come from the firmware's own STATS (SysTick under `qemu -icount shift=0`: one count per
1e9 / clock_hz instructions, so the resolution is 40-50 instructions and SysTick interrupts taken
during a stage are included). They are instruction counts, not cycles: use them to compare
builds and kernels, never as a latency claim.

    .venv/bin/python benchmarks/twin_pipeline.py [--model TFLITE --settings FILE] > benchmarks/twin_pipeline.txt
    .venv/bin/python benchmarks/twin_pipeline.py --model yamnet_256 --settings none > benchmarks/twin_pipeline_yamnet_256.txt
    .venv/bin/python benchmarks/twin_pipeline.py --model micro_speech --settings none > benchmarks/twin_pipeline_micro_speech.txt

`fwgen build` reads the twin rows of these files (by the model's sha256) for its real-time
estimate per board (fwgen.project.realtime).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "micro_speech"


def main(argv: list[str] | None = None) -> int:
    from fwgen.boards import get_board, load_boards
    from fwgen.link import Output, read_wav
    from fwgen.deploy import DEFAULT_PAD_MODE, DeployOptions, default_pad, pad_clip, prepare
    from fwgen.device import TwinDevice
    from fwgen.project.build import build_firmware
    from fwgen.zoo import resolve_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHARED / "micro_speech_quantized.tflite"))
    parser.add_argument("--settings", default=str(ROOT / "models" / "micro_speech" / "model.yaml"),
                        help="settings file, or 'none' to use the model's own metadata")
    parser.add_argument("--clip", default=str(SHARED / "yes_1000ms.wav"))
    args = parser.parse_args(argv)

    from fwgen.errors import FwgenError

    source = resolve_model(args.model, None if args.settings == "none" else args.settings)
    deployment = prepare(source, DeployOptions())
    c = deployment.compiled
    samples, rate = read_wav(Path(args.clip))
    stream = pad_clip(samples, default_pad(deployment.frontend, deployment.n_frames))
    print(f"model {source.name} ({Path(args.model).name}, sha256 {source.sha256[:16]}): "
          f"{c.macs} MACs, arena {c.arena_bytes} B, weights {c.weights_bytes} B")
    print(f"clip {Path(args.clip).name}, padded ({DEFAULT_PAD_MODE}) to {stream.size} samples; "
          f"{deployment.frontend.kind} frontend; inference every {deployment.stride} frame(s)")
    print()
    print(f"{'twin':<12} {'core':<11} {'frontend/frame':>15} {'inference':>12} {'inference max':>14} "
          f"{'detector/inf':>13}   (instructions)")
    boards = load_boards()
    with tempfile.TemporaryDirectory() as tmp:
        for twin_id in ("mps2_an505", "mps2_an386", "mps2_an500"):
            twin = boards[twin_id]
            fw = build_firmware(deployment, twin, Path(tmp) / twin_id, include_twin=False,
                                envs=(twin_id,))
            with TwinDevice(fw.elf(twin_id), twin) as session:
                s = session.stream(stream, outputs=int(Output.DETECTIONS), timeout=300).stats
            print(f"{twin_id:<12} {twin.core:<11} {s.frontend_cycles // s.frames:>15} "
                  f"{s.inference_cycles // s.inferences:>12} {s.inference_cycles_max:>14} "
                  f"{s.detect_cycles // s.inferences:>13}")
        print()
        print(f"{'board':<16} {'code':>7} {'weights':>8} {'tables':>7} {'const':>6} {'flash':>8} "
              f"{'bss':>7} {'arena':>6} {'stack':>6} {'RAM':>7} {'flash%':>7} {'RAM%':>6}")
        for board_id in sorted(boards):
            board = get_board(board_id)
            try:
                fw = build_firmware(deployment, board, Path(tmp) / f"size-{board_id}",
                                    include_twin=False, envs=(board_id,))
            except FwgenError as exc:
                print(f"{board_id:<16} {exc.message}")
                continue
            r = fw.sizes[board_id]
            print(f"{board_id:<16} {r.bytes_of('code'):>7} {r.bytes_of('weights'):>8} "
                  f"{r.bytes_of('tables'):>7} {r.bytes_of('other const'):>6} {r.flash_used:>8} "
                  f"{r.bytes_of('bss'):>7} {r.bytes_of('arena'):>6} {r.bytes_of('stack'):>6} "
                  f"{r.ram_used:>7} {100 * r.flash_used / board.memory.flash.length:>6.1f}% "
                  f"{100 * r.ram_used / board.memory.ram.length:>5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
