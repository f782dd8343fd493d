"""`fwgen validate MODEL.tflite`: generated C vs the TFLM interpreter, element by element."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


class ValidateCommand(Command):
    name = "validate"
    help = "prove a model's generated C bit-exact with TFLM and compare memory"
    description = ("Compile MODEL.tflite to C, build it for this machine, run it and the TFLM\n"
                   "interpreter on the same inputs and report differing output elements (must be\n"
                   "0), fwgen's arena vs TFLM's arena_used_bytes, const data and code bytes.\n"
                   "Exit status 1 on any mismatch, 2 on an unsupported or malformed model.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", type=Path, help="an int8 .tflite model")
        parser.add_argument("--inputs", type=Path, metavar="X.npy",
                            help=".npy (one example, or a batch along the first axis) or .npz (one "
                                 "array per model input)")
        parser.add_argument("--random", type=int, default=0, metavar="N",
                            help="also run N random inputs (default 10 when --inputs is not given)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
        parser.add_argument("--emit", type=Path, metavar="DIR",
                            help="also write the generated model.h/model.c into DIR")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def invoke(self, args: argparse.Namespace) -> int:
        if args.random < 0:
            raise FwgenError("--random must be >= 0")
        if not args.model.is_file():
            raise FwgenError("model file not found", where=str(args.model))
        if args.inputs is not None and not args.inputs.is_file():
            raise FwgenError("inputs file not found", where=str(args.inputs))
        from fwgen.compiler import compile_model  # noqa: PLC0415 (heavy imports)
        from fwgen.compiler.validate import validate_model  # noqa: PLC0415
        from fwgen.render import write_files  # noqa: PLC0415

        compiled = compile_model(args.model)
        report = validate_model(args.model, inputs=args.inputs, random=args.random, seed=args.seed,
                                compiled=compiled)
        if args.emit is not None:
            for path in write_files(args.emit, dict(compiled.files)):
                LOG.info("wrote %s", path)
        if args.json:
            print(json.dumps(report.as_dict(), indent=2))
        else:
            ratio = (f" ({100.0 * report.arena_bytes / report.tflm_arena_bytes:.0f} % of TFLM)"
                     if report.tflm_arena_bytes else "")
            code = f"{report.code_bytes:,} B (Cortex-M33, -Os)" if report.code_bytes is not None else "n/a"
            print(f"model            {report.model}")
            print(f"runs             {report.runs}")
            print(f"differing        {report.differing_elements} of {report.total_elements} output elements")
            print(f"arena            {report.arena_bytes:,} B{ratio}")
            tflm = f"{report.tflm_arena_bytes:,} B" if report.tflm_arena_bytes is not None else "n/a"
            print(f"TFLM arena       {tflm}")
            print(f"weights+consts   {report.weights_bytes:,} B")
            print(f"code             {code}")
            print(f"MACs             {report.macs:,}")
            if report.first_mismatch:
                print(f"first mismatch   {report.first_mismatch}")
            print("result           " + ("BIT-EXACT" if report.ok else "MISMATCH"))
        return 0 if report.ok else 1
