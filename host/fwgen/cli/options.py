"""Option groups that several verbs share (pyOCD's common option parents): declared once here,
so every verb spells, defaults and explains them the same way. Verbs import options from this
module, never from each other.

    add_model_options(parser, model_required=True)   # --model --settings --stride --smoothing
    add_board_option(parser, default=None)            # --board
    add_force_option(parser)                          # --force (overwrite hand-edited files)
    add_serial_options(parser)                        # --serial --serial-number --baud
    add_runner_option(parser), add_probe_option(parser)   # --runner NAME, --probe SN
    parse_smoothing(args.smoothing) -> dict
    check_output_folder(path), check_output_file(path)   # --out checked before any work
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fwgen.errors import FwgenError

DEFAULT_MODEL = "micro_speech"


def add_model_options(parser: argparse.ArgumentParser, *, model_required: bool,
                      default_model: str | None = DEFAULT_MODEL, model_help: str = "") -> None:
    """The model to deploy and how: --model, --settings, --stride, --smoothing. An optional
    --model defaults to `default_model` (None: the verb decides, and says so in `model_help`)."""
    default = None if model_required else default_model
    parser.add_argument("--model", required=model_required, default=default,
                        metavar="NAME_OR_TFLITE",
                        help="zoo model name or .tflite file" + (f" (default {default})" if default
                                                                  else model_help))
    parser.add_argument("--settings", type=Path, metavar="FILE",
                        help="deployment settings (frontend fe.*, classes, smoothing) for a .tflite "
                             "without fwgen/MLTK metadata; a zoo model.yaml works too")
    parser.add_argument("--stride", type=int, default=None, metavar="N",
                        help="run an inference every N feature frames (default: 1, or the "
                             "model's fe.patch_hop_frames for log-mel models)")
    parser.add_argument("--smoothing", action="append", metavar="KEY=VALUE",
                        help="override detector smoothing, e.g. minimum_count=1,suppression_ms=500 "
                             "(repeatable; or a JSON object or file)")


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """--runtime aot|tflm|auto and --tflm-dir DIR (fwgen.runtime)."""
    from fwgen.runtime import RUNTIME_CHOICES

    parser.add_argument("--runtime", choices=RUNTIME_CHOICES, default=None,
                        help="the model's inference: aot (fwgen's compiler, the default), tflm "
                             "(TensorFlow Lite Micro + CMSIS-NN from a TFLM tree) or auto (aot "
                             "where the compiler takes the model, else tflm)")
    parser.add_argument("--tflm-dir", type=Path, metavar="DIR", default=None,
                        help="TFLM tree for --runtime tflm, as TFLM's create_tflm_tree.py "
                             "exports it (default $FWGEN_TFLM_DIR)")


def add_board_option(parser: argparse.ArgumentParser, *, default: str | None = None,
                     help: str | None = None, required: bool | None = None) -> None:
    """--board ID (an id or alias from boards/*.yaml); required unless a default is given
    (or `required=False`)."""
    parser.add_argument("--board", required=default is None if required is None else required,
                        default=default,
                        help=help or "board id or alias (see fwgen boards)")


def add_force_option(parser: argparse.ArgumentParser) -> None:
    """--force: overwrite generated project files changed by hand (fwgen.project.ownership)."""
    parser.add_argument("--force", action="store_true",
                        help="overwrite generated files of the project that were changed by hand "
                             "(default: stop and name them; src/user/ is never written)")


def add_serial_options(parser: argparse.ArgumentParser) -> None:
    """How to reach a board's link: a port or URL, or its USB serial number."""
    group = parser.add_argument_group("serial port")
    group.add_argument("--serial", metavar="PORT", default=None,
                       help="serial device or pyserial URL (/dev/ttyACM0, socket://HOST:PORT, "
                            "rfc2217://...); default: the one port with the board's USB VID:PID")
    group.add_argument("--serial-number", metavar="SN", default=None,
                       help="pick the board with this USB serial number when several are attached")
    group.add_argument("--baud", type=int, default=None, metavar="RATE",
                       help="UART bit rate (default: the board file's uart.baud)")


def add_runner_option(parser: argparse.ArgumentParser) -> None:
    """--runner NAME: the flashing tool (default: the board file's runners.default)."""
    from fwgen.runners import runner_names

    parser.add_argument("--runner", metavar="NAME", default=None,
                        help=f"flash tool, one of the board file's runners ({', '.join(runner_names())}); "
                             "default: the board's default runner (fwgen boards lists them)")


def add_probe_option(parser: argparse.ArgumentParser) -> None:
    """--probe SN (alias --serial-number): one debug probe of several, by its serial number."""
    parser.add_argument("--probe", "--serial-number", dest="probe", metavar="SN", default=None,
                        help="the debug probe's serial number when several are attached "
                             "(openocd adapter serial, st-flash --serial, pyocd -u, "
                             "commander --serialno, JLinkExe -USB)")


def _smoothing_pairs(text: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, raw = item.partition("=")
        if not sep:
            raise FwgenError(f"expected KEY=VALUE, got {item!r}", where="--smoothing",
                             hint="e.g. --smoothing minimum_count=1,suppression_ms=500")
        key, raw = key.strip(), raw.strip()
        if key in ("ignored_classes",):
            data[key] = [c for c in raw.split("+") if c]
        elif key == "detection_threshold_list":
            try:
                data[key] = [int(v) for v in raw.split("+") if v]
            except ValueError:
                raise FwgenError(f"detection_threshold_list must be integers joined by "
                                 f"'+', got {raw!r}", where="--smoothing",
                                 hint="e.g. detection_threshold_list=200+180+180") from None
        else:
            try:
                data[key] = int(raw)
            except ValueError:
                raise FwgenError(f"{key} must be an integer, got {raw!r}",
                                 where="--smoothing") from None
    return data


def parse_smoothing(values: list[str] | None) -> dict[str, Any]:
    """--smoothing KEY=VALUE[,KEY=VALUE] (repeatable), or a JSON object / JSON or YAML file."""
    out: dict[str, Any] = {}
    for value in values or []:
        text = value.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise FwgenError(f"invalid JSON: {exc}", where="--smoothing") from None
        elif "=" not in text and Path(text).is_file():
            import yaml
            try:
                data = yaml.safe_load(Path(text).read_text())
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                raise FwgenError(f"cannot read smoothing settings: {exc}", where=text,
                                 hint="give a YAML or JSON mapping, e.g. {minimum_count: 1}") from None
        else:
            data = _smoothing_pairs(text)
        if not isinstance(data, dict):
            raise FwgenError("expected a mapping of smoothing settings", where="--smoothing")
        out.update(data)
    return out


def check_output_folder(path: Path, option: str = "--out") -> None:
    """Reject an output folder that cannot be created, before minutes of work are spent."""
    if path.exists() and not path.is_dir():
        raise FwgenError("the output folder is a file", where=str(path),
                         hint=f"give {option} a folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise FwgenError("cannot create the output folder: a parent is a file",
                                 where=str(parent), hint=f"check {option}")
            break


def check_output_file(path: Path, option: str = "--out") -> None:
    """Reject an output file path that is a folder or lies under a file."""
    if path.is_dir():
        raise FwgenError("the output path is a folder", where=str(path),
                         hint=f"give {option} a file name, e.g. model_int8.tflite")
    check_output_folder(path.parent, option)
