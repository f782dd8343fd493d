"""`fwgen evaluate MODEL --data DIR`: float vs int8 clip-level accuracy, confusion matrix."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


class EvaluateCommand(Command):
    name = "evaluate"
    help = "float vs int8 clip-level accuracy of a model on a dataset, confusion matrix, JSON"
    description = (
        "Evaluate a model on one split of a dataset, float and int8 side by side (clip level:\n"
        "patch probabilities are averaged per clip). MODEL is a .tflite (the float column comes\n"
        "from the float model its metadata says it was quantized from, else its sibling .keras)\n"
        "or a .keras/SavedModel (with its sibling .tflite).\n"
        "Features come from fwgen's own frontend with the settings in the .tflite metadata or\n"
        "--settings. Writes evaluation.json and confusion.png to --out.\n\n"
        "  fwgen evaluate models/micro_speech/micro_speech.tflite --data synthetic")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", type=Path, help=".tflite, .keras or SavedModel folder")
        parser.add_argument("--data", required=True, help="dataset folder or 'synthetic'")
        parser.add_argument("--settings", type=Path,
                            help="settings JSON/YAML (frontend, classes) for models without "
                                 "metadata")
        parser.add_argument("--split", default="test", choices=["train", "validation", "test"])
        parser.add_argument("--runtime", default="litert", choices=["litert", "tflm"],
                            help="int8 interpreter (tflm: the TFLM interpreter, device oracle)")
        parser.add_argument("--out", type=Path, help="folder for evaluation.json and "
                                                     "confusion.png (default: beside MODEL)")

    def invoke(self, args: argparse.Namespace) -> int:
        if not args.model.exists():
            raise FwgenError("model not found", where=str(args.model))
        if args.data != "synthetic" and not Path(args.data).is_dir():
            raise FwgenError("dataset folder not found", where=str(args.data))
        if args.settings is not None and not args.settings.is_file():
            raise FwgenError("settings file not found", where=str(args.settings))
        out = args.out or (args.model.parent / f"{args.model.stem}-evaluation")

        from fwgen.cli.options import check_output_folder  # noqa: PLC0415
        from fwgen.cli.terminal import print_evaluation  # noqa: PLC0415

        check_output_folder(out)
        from fwgen import zoo  # noqa: PLC0415
        from fwgen.train.tf_logging import quiet_tensorflow  # noqa: PLC0415

        quiet_tensorflow(getattr(args, "verbose", 0))
        from fwgen.train.evaluate import evaluate_model, model_metadata  # noqa: PLC0415  (TF later)

        # Score a zoo model on the partition its recipe trained against.
        options = zoo.dataset_options_for(model_metadata(args.model, args.settings))
        report = evaluate_model(args.model, args.data, settings=args.settings, split=args.split,
                                runtime=args.runtime, out_dir=out, dataset_options=options)
        print_evaluation(report, f"{args.model.name}: {args.split} clips ({report['clips']})")
        if report.get("float_model_note"):
            print(f"float column: none, {report['float_model_note']}")
        if "float_int8_agreement" in report:
            print(f"float/int8 agreement: {100 * report['float_int8_agreement']:.1f} % of clips")
        print(f"report: {out / 'evaluation.json'}  confusion matrix: {out / 'confusion.png'}")
        return 0
