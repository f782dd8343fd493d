"""`fwgen bench`: exact instructions per op, per inference and per frontend window on a board's
QEMU twin, flash and RAM by section and by module, beside the peer's figures (fwgen.bench)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.cli.options import add_board_option, check_output_folder


class BenchCommand(Command):
    name = "bench"
    help = "count a model's instructions per op on a board's QEMU twin, with flash/RAM by module"
    description = (
        "Build the firmware as shipped (for its flash and RAM by section and by module) and a "
        "bench build whose invoke marks each op, run the bench build on the board's QEMU twin "
        "with fwgen's instruction-counting plugin while a clip streams over the link, and print "
        "per op: MACs, instructions, instructions per MAC and share; the inference against the "
        "arithmetic limit (MACs / 2); the frontend per window; arena and stack high-water mark; "
        "and TensorFlow Lite Micro + CMSIS-NN's figures beside them where "
        "../shared/data/peers/tflm_cmsis_nn.json holds them. Instructions are not cycles.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from fwgen.bench import DEFAULT_INFERENCES

        add_board_option(parser, help="board id or alias (its QEMU twin runs), or a twin")
        parser.add_argument("--model", required=True, metavar="NAME_OR_TFLITE",
                            help="zoo model name or .tflite file")
        parser.add_argument("--settings", type=Path, metavar="FILE",
                            help="deployment settings for a .tflite without fwgen/MLTK metadata")
        parser.add_argument("--runtime", default="aot", metavar="NAME",
                            help="the inference runtime to measure (default aot, fwgen's "
                                 "ahead-of-time compiler)")
        parser.add_argument("--tflm-dir", type=Path, metavar="DIR", default=None,
                            help="TFLM tree for --runtime tflm (default $FWGEN_TFLM_DIR)")
        parser.add_argument("--clip", type=Path, metavar="FILE.wav",
                            help="audio to stream (default: seeded synthetic noise, just long "
                                 "enough for --inferences)")
        parser.add_argument("--inferences", type=int, default=DEFAULT_INFERENCES, metavar="N",
                            help=f"inferences of the synthetic clip (default {DEFAULT_INFERENCES}; "
                                 "the counts are per inference)")
        parser.add_argument("--out", type=Path, metavar="DIR",
                            help="keep the two projects and the plugin's counts here (default: "
                                 "a temporary folder, removed)")
        parser.add_argument("--timeout", type=float, default=600.0, metavar="S",
                            help="seconds to wait for the firmware (default 600)")
        parser.add_argument("--json", action="store_true", help="the same figures as one JSON object")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.bench import bench_model
        from fwgen.boards import get_board
        from fwgen.errors import FwgenError

        if not args.timeout > 0:
            raise FwgenError(f"must be more than 0 seconds, got {args.timeout:g}", where="--timeout")
        if args.clip is not None and not args.clip.is_file():
            raise FwgenError("audio file not found", where=str(args.clip))
        if args.out is not None:
            check_output_folder(args.out)
        board = get_board(args.board)
        result = bench_model(args.model, board, settings=args.settings, runtime=args.runtime,
                             tflm_dir=args.tflm_dir,
                             clip=args.clip, inferences=args.inferences, out=args.out,
                             timeout=args.timeout,
                             progress=None if args.json else lambda t: print(t, file=sys.stderr))
        if args.json:
            print(json.dumps(result.as_dict(), indent=1))
        else:
            print("\n".join(result.lines()))
        return 0
