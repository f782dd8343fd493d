"""`fwgen models [show NAME|FILE.tflite]`: the model zoo, or one model explained.

`models show` is fwgen's `mltk summarize`: the layers (op, input and output shapes, options,
parameters, MACs), the deployment metadata found in the file (frontend, classes, smoothing) or
what is missing and how to supply it (--settings), and whether the model fits each board
(arena + stack against RAM, weights against flash), from fwgen's compiler.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from fwgen.cli.base import Command
from fwgen.errors import FwgenError
from fwgen.frontend.spec import frontend_kind

LOG = logging.getLogger(__name__)

SETTINGS_HINT = ("pass --settings FILE (JSON/YAML with frontend fe.* keys, classes and smoothing; "
                 "the deploy section of models/micro_speech/model.yaml is an example)")
_MAC_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape) if shape else "scalar"


# -- the layers ---------------------------------------------------------------------------------

def _options_text(opcode: str, options: dict[str, Any]) -> str:
    """MLTK summarize's Config column, short: padding, stride, filter, multiplier, activation."""
    parts = []
    if "Padding" in options:
        parts.append(str(options["Padding"]).lower())
    if "StrideH" in options:
        parts.append(f"stride {options['StrideH']}x{options['StrideW']}")
    if "FilterHeight" in options:
        parts.append(f"filter {options['FilterHeight']}x{options['FilterWidth']}")
    if options.get("DepthMultiplier", 1) != 1:
        parts.append(f"multiplier {options['DepthMultiplier']}")
    activation = options.get("FusedActivationFunction", "NONE")
    if activation not in ("NONE", None):
        parts.append(str(activation).lower())
    return " ".join(parts)


def _layer_macs(opcode: str, weights: tuple[int, ...], output: tuple[int, ...]) -> int:
    """Multiply-accumulates of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (one per weight
    use), as `fwgen.zoo.graph_stats` counts them; other ops count 0."""
    out = int(np.prod(output, dtype=np.int64))
    if opcode == "CONV_2D":            # weights [out_c, kh, kw, in_c]
        return out * int(np.prod(weights[1:], dtype=np.int64))
    if opcode == "DEPTHWISE_CONV_2D":  # weights [1, kh, kw, out_c]
        return out * weights[1] * weights[2]
    if opcode == "FULLY_CONNECTED":    # weights [units, depth]
        return out * weights[1]
    return 0


def layer_table(model: Any) -> list[dict[str, Any]]:
    """One row per operator of a `fwgen.tflite.Model`: op, activation inputs and outputs
    (shape, dtype), constant inputs (shape, dtype), parameters (elements of constant inputs
    not counted by an earlier layer), MACs and the options that shape the computation."""
    seen: set[int] = set()
    rows = []
    for op in model.operators:
        tensors = [model.tensors[i] for i in op.inputs if i >= 0]
        consts = [t for t in tensors if t.is_constant]
        params = sum(t.size for t in consts if t.index not in seen)
        seen.update(t.index for t in consts)
        outputs = [model.tensors[i] for i in op.outputs]
        weights = consts[0].shape if op.opcode in _MAC_OPS and consts else ()
        rows.append({
            "index": op.index, "op": op.opcode,
            "inputs": [{"shape": list(t.shape), "dtype": t.dtype}
                       for t in tensors if not t.is_constant],
            "constants": [{"shape": list(t.shape), "dtype": t.dtype} for t in consts],
            "outputs": [{"shape": list(t.shape), "dtype": t.dtype} for t in outputs],
            "params": params,
            "macs": _layer_macs(op.opcode, weights, outputs[0].shape) if weights else 0,
            "options": _options_text(op.opcode, op.options),
        })
    return rows


def layer_lines(layers: list[dict[str, Any]]) -> list[str]:
    """The layers as a fixed-width table (MLTK summarize's columns)."""
    def shapes(items: list[dict[str, Any]]) -> str:
        return ", ".join(f"{_shape(tuple(i['shape']))} {i['dtype']}" for i in items) or "-"

    rows = [(str(r["index"]), r["op"], shapes(r["inputs"]), shapes(r["outputs"]),
             shapes(r["constants"]), f"{r['params']:,}", f"{r['macs']:,}", r["options"])
            for r in layers]
    header = ("#", "op", "input", "output", "constants", "params", "MACs", "options")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    right = {0, 5, 6}

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return ["    " + fmt(header)] + ["    " + fmt(row) for row in rows]


# -- metadata and boards -------------------------------------------------------------------------

def _metadata_info(path: Path, settings: Path | None, n_outputs: int) -> dict[str, Any]:
    """What the deployment settings are, where they came from, and what is missing."""
    from fwgen.detect import SmoothingSettings  # noqa: PLC0415
    from fwgen.tflite.metadata import load_settings, read_model_metadata  # noqa: PLC0415

    meta = load_settings(settings) if settings is not None else read_model_metadata(path)
    if meta is None:
        return {"metadata": None, "missing": ["frontend", "classes", "smoothing"],
                "metadata_note": ("the model carries no fwgen or MLTK (SL_PARAMSv1) metadata: "
                                  "its frontend settings, classes and smoothing are unknown; "
                                  + SETTINGS_HINT)}
    info: dict[str, Any] = {"metadata": {
        "source": str(settings) if settings is not None else meta.source,
        "name": meta.name, "version": meta.version, "frontend": dict(meta.frontend),
        "classes": list(meta.classes), "smoothing": dict(meta.smoothing),
        "input": dict(meta.input), "provenance": dict(meta.provenance)}, "missing": []}
    notes = []
    defaults = SmoothingSettings().to_dict()
    absent = [k for k in ("average_window_duration_ms", "detection_threshold", "suppression_ms",
                          "minimum_count") if k not in meta.smoothing
              and not (k == "detection_threshold" and "detection_threshold_list" in meta.smoothing)]
    if absent:
        info["missing"].append("smoothing")
        notes.append("smoothing " + ", ".join(absent) + " not given: the detector uses "
                     + ", ".join(f"{k} {defaults[k]}" for k in absent)
                     + " (override with --smoothing KEY=VALUE or --settings FILE)")
    if len(meta.classes) != n_outputs:
        notes.append(f"{len(meta.classes)} class names for {n_outputs} model outputs: "
                     f"fwgen build will refuse it; {SETTINGS_HINT}")
    try:
        kind = frontend_kind(meta.frontend, where=info["metadata"]["source"])
        info["metadata"]["frontend_kind"] = kind
    except FwgenError as exc:
        notes.append(f"frontend settings rejected: {exc}")
    if notes:
        info["metadata_note"] = "; ".join(notes)
    return info


def _board_fit(arena: int, weights: int, board: Any) -> dict[str, Any]:
    ram, flash, stack = board.memory.ram.length, board.memory.flash.length, board.stack_bytes
    fits_ram, fits_flash = arena + stack <= ram, weights <= flash
    summary = (f"arena + stack {_size(arena + stack)} = {100 * (arena + stack) / ram:5.1f} % of "
               f"{_size(ram)} RAM, weights {100 * weights / flash:5.1f} % of {_size(flash)} flash"
               + ("" if fits_ram and fits_flash else "  DOES NOT FIT"))
    return {"ram": ram, "flash": flash, "stack": stack, "arena_plus_stack": arena + stack,
            "arena_fits": fits_ram, "weights_fit": fits_flash, "summary": summary}


def _compiler_info(blob: bytes, where: str) -> dict[str, Any]:
    """fwgen's compiler figures and the fit on every board, or why there are none."""
    try:
        from fwgen.compiler import compile_model  # noqa: PLC0415
    except ImportError:
        return {"boards": None, "boards_note": "fwgen's compiler is not available in this "
                                               "installation"}
    try:
        compiled = compile_model(blob, name="model", where=where)
    except FwgenError as exc:
        return {"boards": None, "boards_note": f"the compiler rejected the model: {exc}"}
    from fwgen.boards import load_boards  # noqa: PLC0415

    boards = {board_id: _board_fit(compiled.arena_bytes, compiled.weights_bytes, board)
              for board_id, board in load_boards().items()}
    return {"arena_bytes": compiled.arena_bytes, "weights_bytes": compiled.weights_bytes,
            "compiler_macs": compiled.macs, "boards": boards,
            "boards_note": ("arena and weights from fwgen's compiler, stack from the board file; "
                            "code size (kernels, frontend, app) comes on top: see the size "
                            "report of fwgen build")}


def explain_file(path: Path, settings: Path | None = None) -> dict[str, Any]:
    """Everything `models show FILE.tflite` prints, as data (errors name the file)."""
    from fwgen.tflite import read_model  # noqa: PLC0415
    from fwgen.zoo import graph_stats  # noqa: PLC0415

    path = Path(path)
    if path.is_dir():
        raise FwgenError("is a folder, not a .tflite model file", where=str(path),
                         hint="give a .tflite file or a zoo model name (fwgen models)")
    if not path.is_file():
        raise FwgenError("model file not found", where=str(path),
                         hint="give a .tflite file or a zoo model name (fwgen models)")
    if settings is not None and not Path(settings).is_file():
        raise FwgenError("settings file not found", where=str(settings))
    blob = path.read_bytes()
    model = read_model(blob, where=str(path))
    try:
        stats = graph_stats(blob)
    except FwgenError as exc:
        exc.where = exc.where or str(path)
        raise
    layers = layer_table(model)
    n_outputs = int(np.prod(stats.output_shape, dtype=np.int64))
    info: dict[str, Any] = {
        "file": str(path), "sha256": hashlib.sha256(blob).hexdigest(), "tflite_bytes": len(blob),
        "input_shape": stats.input_shape, "output_shape": stats.output_shape,
        "params": stats.params, "macs": stats.macs, "ops": stats.ops, "layers": layers}
    info.update(_metadata_info(path, settings, n_outputs))
    info.update(_compiler_info(blob, str(path)))
    return info


def explain(name: str) -> dict[str, Any]:
    """Everything `models show NAME` prints for a zoo model, as data."""
    from fwgen import zoo  # noqa: PLC0415

    model = zoo.get_model(name)
    info: dict[str, Any] = {
        "name": model.name, "version": model.version, "description": model.description,
        "architecture": model.architecture, "architecture_options": model.architecture_options,
        "reference": model.reference, "frontend": model.metadata.frontend,
        "classes": list(model.classes), "smoothing": model.metadata.smoothing,
        "training": {"data": model.training.data, "epochs": model.training.epochs},
        "weights": str(model.weights) if model.has_weights else None,
        "samples": [str(p) for p in model.samples()],
    }
    if not model.has_weights:
        info["note"] = (f"no trained weights shipped; train them with: fwgen train --model "
                        f"{model.name} --data {model.training.data} --out {model.folder}")
        return info
    shown = explain_file(model.weights)
    for key in ("tflite_bytes", "input_shape", "output_shape", "params", "macs", "ops", "layers",
                "arena_bytes", "weights_bytes", "compiler_macs", "boards", "boards_note"):
        if key in shown:
            info[key] = shown[key]
    if model.report.is_file():
        report = json.loads(model.report.read_text())
        evaluation = report.get("evaluation", {})
        info["accuracy"] = {"split": report.get("split"), "clips": evaluation.get("clips"),
                            "float": evaluation.get("float", {}).get("accuracy"),
                            "int8": evaluation.get("int8", {}).get("accuracy"),
                            "dataset": report.get("provenance", {}).get("dataset")}
    return info


# -- text ------------------------------------------------------------------------------------------

def _frontend_line(fe: dict[str, Any], where: str) -> str:
    kind = frontend_kind(fe, where=where)
    return (f"{kind}: {fe.get('fe.window_size_ms')} ms windows every "
            f"{fe.get('fe.window_step_ms')} ms, {fe.get('fe.filterbank_n_channels')} channels, "
            f"{fe.get('fe.sample_rate_hz', 16000)} Hz"
            + (", noise reduction" if fe.get("fe.noise_reduction_enable") else "")
            + (", PCAN" if fe.get("fe.pcan_enable") else "")
            + (", log" if fe.get("fe.log_scale_enable") else ""))


def _graph_lines(info: dict[str, Any]) -> list[str]:
    lines = [f"  input       {_shape(tuple(info['input_shape']))}   output "
             f"{_shape(tuple(info['output_shape']))}",
             f"  params      {info['params']:,}   MACs {info['macs']:,} (conv/FC)",
             "  ops         " + ", ".join(f"{k}×{v}" for k, v in sorted(info["ops"].items())),
             "  layers"]
    return lines + layer_lines(info["layers"])


def _board_lines(info: dict[str, Any]) -> list[str]:
    if info.get("boards") is None:
        return [f"  boards      {info.get('boards_note')}"]
    lines = [f"  memory      arena {_size(info['arena_bytes'])}, weights "
             f"{_size(info['weights_bytes'])} (fwgen compiler)"]
    for board_id, b in info["boards"].items():
        lines.append(f"    {board_id:<16} {b['summary']}")
    lines.append(f"  note        {info['boards_note']}")
    return lines


def describe_file(info: dict[str, Any]) -> list[str]:
    lines = [f"{info['file']} ({_size(info['tflite_bytes'])}, sha256 {info['sha256'][:16]})"]
    meta = info["metadata"]
    if meta is None:
        lines.append("  metadata    none: frontend, classes and smoothing unknown")
    else:
        named = f"{meta['name']} version {meta['version']}, " if meta.get("name") else ""
        lines.append(f"  metadata    {named}from {meta['source']}")
        lines.append(f"  classes     {', '.join(meta['classes'])}")
        if "frontend_kind" in meta:
            lines.append(f"  frontend    {_frontend_line(meta['frontend'], meta['source'])}")
        if meta["smoothing"]:
            lines.append("  smoothing   " + ", ".join(f"{k} {v}"
                                                      for k, v in meta["smoothing"].items()))
    if info.get("metadata_note"):
        lines.append(f"  missing     {info['metadata_note']}")
    return lines + _graph_lines(info) + _board_lines(info)


def describe(info: dict[str, Any]) -> list[str]:
    fe = info["frontend"]
    lines = [f"{info['name']} (version {info['version']}, architecture {info['architecture']})"]
    if info["description"]:
        lines.append(f"  {info['description']}")
    lines.append(f"  classes     {', '.join(info['classes'])}")
    lines.append(f"  frontend    {_frontend_line(fe, 'zoo model ' + info['name'])}")
    sm = info["smoothing"]
    if sm:
        lines.append("  smoothing   " + ", ".join(f"{k} {v}" for k, v in sm.items()))
    if info.get("weights") is None:
        lines.append(f"  weights     none shipped — {info.get('note', '')}")
        return lines
    lines.append(f"  weights     {info['weights']} ({_size(info['tflite_bytes'])}, int8)")
    acc = info.get("accuracy")
    if acc:
        def pct(v: Any) -> str:
            return "-" if v is None else f"{100 * v:.1f} %"
        lines.append(f"  accuracy    float {pct(acc['float'])}, int8 {pct(acc['int8'])} on "
                     f"{acc['clips']} {acc['split']} clips of {acc['dataset']}")
    lines += _graph_lines(info) + _board_lines(info)
    if info.get("samples"):
        lines.append(f"  samples     {len(info['samples'])} clips in "
                     f"{info['samples'][0].rsplit('/', 1)[0]}")
    return lines


def _is_file(text: str) -> bool:
    return text.endswith(".tflite") or Path(text).exists()


class ModelsCommand(Command):
    name = "models"
    help = "list the model zoo, or explain one model (models show NAME|FILE.tflite)"
    description = ("List the zoo, or explain one model: its layers (shapes, parameters, MACs), "
                   "the deployment metadata it carries (frontend, classes, smoothing) or what is "
                   "missing, and whether it fits each board (arena + stack vs RAM, weights vs "
                   "flash).\n\n"
                   "  fwgen models show micro_speech\n"
                   "  fwgen models show my_model.tflite [--settings settings.yaml] [--json]")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", nargs="?", choices=["list", "show"], default="list")
        parser.add_argument("model", nargs="?", help="zoo model name or .tflite file (for show)")
        parser.add_argument("--settings", type=Path,
                            help="deployment settings (JSON/YAML) for a .tflite without "
                                 "metadata, shown instead of the file's own")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen import zoo  # noqa: PLC0415

        if args.action == "list" and args.model:
            raise FwgenError(f"'models list' takes no model name, got {args.model!r}",
                             hint=f"fwgen models show {args.model}")
        if args.action == "show":
            if not args.model:
                raise FwgenError("'models show' needs a model name or a .tflite file",
                                 hint="see 'fwgen models'")
            if _is_file(args.model):
                info = explain_file(Path(args.model), args.settings)
                text = describe_file
            else:
                if args.settings is not None:
                    raise FwgenError("--settings applies to a .tflite file, not a zoo model",
                                     where="--settings")
                info = explain(args.model)
                text = describe
            print(json.dumps(info, indent=2, sort_keys=True) if args.json
                  else "\n".join(text(info)))
            return 0
        models = zoo.list_models()
        if args.json:
            print(json.dumps([{"name": m.name, "version": m.version,
                               "architecture": m.architecture, "classes": list(m.classes),
                               "weights": m.has_weights} for m in models], indent=2))
            return 0
        width = max([len(m.name) for m in models] + [4])
        for m in models:
            weights = "int8 weights" if m.has_weights else "recipe only (no weights)"
            classes = ", ".join(m.classes[:6]) + (" …" if len(m.classes) > 6 else "")
            print(f"{m.name:<{width}}  {m.architecture:<20} {weights:<24} {classes}")
        return 0
