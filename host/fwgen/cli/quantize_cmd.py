"""`fwgen quantize MODEL.keras|SAVEDMODEL|MODEL.pt --data DIR`: full-int8 .tflite with metadata."""
from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

# EfficientAT width multipliers fwgen imports: (MIN_WIDTH, MAX_WIDTH] (fwgen.train.efficientat)
MIN_WIDTH, MAX_WIDTH = 0.0, 4.0


class QuantizeCommand(Command):
    name = "quantize"
    help = "quantize a float Keras/SavedModel model to full int8 with a representative dataset"
    description = (
        "Post-training full-integer quantization (int8 weights, activations, input and output;\n"
        "batch size 1) with representative features computed by fwgen's own frontend, then the\n"
        "frontend settings, classes and smoothing embedded in the .tflite metadata.\n\n"
        "Settings come from --settings FILE, from a zoo model (--zoo NAME), or from the\n"
        "metadata of a .tflite beside MODEL.\n\n"
        "An EfficientAT MobileNetV3 PyTorch checkpoint (.pt, needs the torch extra) is imported\n"
        "first (fwgen.train.efficientat); its input patch comes from the settings.\n\n"
        "  fwgen quantize build/train/micro_speech/micro_speech.keras --data synthetic")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", type=Path, help="float model: .keras, SavedModel folder "
                                                     "or EfficientAT .pt checkpoint")
        parser.add_argument("--width", type=float, default=0.4,
                            help="width multiplier of an EfficientAT .pt checkpoint (default 0.4)")
        parser.add_argument("--data", required=True,
                            help="dataset folder or 'synthetic' (calibration clips)")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--settings", type=Path, help="settings JSON/YAML (frontend fe.* "
                                                         "keys, classes, smoothing)")
        group.add_argument("--zoo", metavar="NAME", help="take the settings of a zoo model")
        parser.add_argument("--out", type=Path, help="output .tflite (default: MODEL with "
                                                     ".tflite suffix)")
        parser.add_argument("--examples", type=int, default=300,
                            help="representative clips (default 300)")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen import zoo  # noqa: PLC0415
        from fwgen.tflite.metadata import load_settings, read_model_metadata  # noqa: PLC0415

        model: Path = args.model
        if not model.exists():
            raise FwgenError("model not found", where=str(model))
        if not (model.suffix in (".keras", ".pt") or (model.is_dir() and
                                             (model / "saved_model.pb").is_file())):
            raise FwgenError("expected a .keras file or a SavedModel folder (or an "
                             "EfficientAT .pt checkpoint)", where=str(model))
        if args.data != "synthetic" and not Path(args.data).is_dir():
            raise FwgenError("dataset folder not found", where=str(args.data))
        if args.examples < 1:
            raise FwgenError("--examples must be at least 1")
        if not MIN_WIDTH < args.width <= MAX_WIDTH:   # also refuses nan
            raise FwgenError(f"must be more than {MIN_WIDTH:g} and at most {MAX_WIDTH:g}, "
                             f"got {args.width:g}", where="--width",
                             hint="the width multiplier the checkpoint was trained with "
                                  "(0.4 for mn04)")
        out = args.out or model.with_suffix(".tflite")
        from fwgen.cli.options import check_output_file  # noqa: PLC0415

        check_output_file(out)
        if args.settings is not None:
            metadata = load_settings(args.settings)
        elif args.zoo is not None:
            metadata = zoo.get_model(args.zoo).metadata
        else:
            sibling = model.with_suffix(".tflite")
            metadata = read_model_metadata(sibling) if sibling.is_file() else None
            if metadata is None:
                raise FwgenError("no settings for this model", where=str(model),
                                 hint="pass --settings FILE or --zoo NAME")

        from fwgen.cli.terminal import RichProgress  # noqa: PLC0415
        from fwgen.train.tf_logging import quiet_tensorflow  # noqa: PLC0415

        quiet_tensorflow(getattr(args, "verbose", 0))   # before TensorFlow is imported
        from fwgen.train.training import quantize_saved_model  # noqa: PLC0415  (TensorFlow)

        float_source = None
        with contextlib.ExitStack() as stack:
            if model.suffix == ".pt":
                float_source = model       # what the int8 model records as its float model
                from fwgen.train.efficientat import import_for_settings  # noqa: PLC0415

                imported = import_for_settings(model, metadata.frontend, metadata.classes,
                                               width=args.width)
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                model = folder / f"{model.stem}.keras"
                imported.save(model)
            with RichProgress() as progress:
                path = quantize_saved_model(model, args.data, metadata, out,
                                            examples=args.examples,
                                            dataset_options=zoo.dataset_options_for(metadata),
                                            float_source=float_source, progress=progress)
        print(f"int8 model: {path} ({path.stat().st_size} bytes, metadata embedded)")
        return 0
