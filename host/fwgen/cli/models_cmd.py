"""`fwgen models [show NAME]`: the model zoo, or one model explained."""
from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from fwgen.cli.base import Command
from fwgen.errors import FwgenError
from fwgen.frontend.spec import frontend_kind

LOG = logging.getLogger(__name__)


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def _budget(compiled: Any, board: Any) -> str:
    ram = board.memory.ram.length
    flash = board.memory.flash.length
    arena, weights = compiled.arena_bytes, compiled.weights_bytes
    fits = arena <= ram and weights <= flash
    return (f"arena {100 * arena / ram:5.1f} % of {_size(ram)} RAM, weights "
            f"{100 * weights / flash:5.1f} % of {_size(flash)} flash"
            + ("" if fits else "  DOES NOT FIT"))


def explain(name: str) -> dict[str, Any]:
    """Everything `models show` prints, as data."""
    from fwgen import zoo  # noqa: PLC0415
    from fwgen.zoo import graph_stats  # noqa: PLC0415

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
    blob = model.weights.read_bytes()
    stats = graph_stats(blob)
    info.update({"tflite_bytes": len(blob), "input_shape": stats.input_shape,
                 "output_shape": stats.output_shape, "params": stats.params, "macs": stats.macs,
                 "ops": stats.ops})
    if model.report.is_file():
        report = json.loads(model.report.read_text())
        evaluation = report.get("evaluation", {})
        info["accuracy"] = {"split": report.get("split"), "clips": evaluation.get("clips"),
                            "float": evaluation.get("float", {}).get("accuracy"),
                            "int8": evaluation.get("int8", {}).get("accuracy"),
                            "dataset": report.get("provenance", {}).get("dataset")}
    try:
        from fwgen.compiler import compile_model  # noqa: PLC0415
    except ImportError:
        info["boards"] = None
        info["boards_note"] = "fwgen's compiler is not available in this installation"
        return info
    try:
        compiled = compile_model(blob, name=model.name)
    except FwgenError as exc:
        info["boards"] = None
        info["boards_note"] = f"the compiler rejected the model: {exc}"
        return info
    info["arena_bytes"] = compiled.arena_bytes
    info["weights_bytes"] = compiled.weights_bytes
    info["compiler_macs"] = compiled.macs
    from fwgen.boards import load_boards  # noqa: PLC0415

    info["boards"] = {board_id: {"ram": board.memory.ram.length,
                                 "flash": board.memory.flash.length,
                                 "arena_fits": compiled.arena_bytes <= board.memory.ram.length,
                                 "weights_fit": compiled.weights_bytes <= board.memory.flash.length,
                                 "summary": _budget(compiled, board)}
                      for board_id, board in load_boards().items()}
    info["boards_note"] = ("arena and weights from fwgen's compiler; code size (kernels, "
                           "frontend, app) comes on top: see the size report of fwgen build")
    return info


def describe(info: dict[str, Any]) -> list[str]:
    fe = info["frontend"]
    lines = [f"{info['name']} (version {info['version']}, architecture {info['architecture']})"]
    if info["description"]:
        lines.append(f"  {info['description']}")
    lines.append(f"  classes     {', '.join(info['classes'])}")
    kind = frontend_kind(fe, where=f"zoo model {info['name']}")
    step = fe.get("fe.window_step_ms")
    lines.append(f"  frontend    {kind}: {fe.get('fe.window_size_ms')} ms windows every {step} ms, "
                 f"{fe.get('fe.filterbank_n_channels')} channels, "
                 f"{fe.get('fe.sample_rate_hz', 16000)} Hz"
                 + (", noise reduction" if fe.get("fe.noise_reduction_enable") else "")
                 + (", PCAN" if fe.get("fe.pcan_enable") else "")
                 + (", log" if fe.get("fe.log_scale_enable") else ""))
    sm = info["smoothing"]
    if sm:
        lines.append("  smoothing   " + ", ".join(f"{k} {v}" for k, v in sm.items()))
    if info.get("weights") is None:
        lines.append(f"  weights     none shipped — {info.get('note', '')}")
        return lines
    lines.append(f"  weights     {info['weights']} ({_size(info['tflite_bytes'])}, int8)")
    lines.append(f"  input       {info['input_shape']} int8   output {info['output_shape']}")
    lines.append(f"  params      {info['params']:,}   MACs {info['macs']:,}")
    lines.append("  ops         " + ", ".join(f"{k}×{v}" for k, v in sorted(info["ops"].items())))
    acc = info.get("accuracy")
    if acc:
        def pct(v: Any) -> str:
            return "-" if v is None else f"{100 * v:.1f} %"
        lines.append(f"  accuracy    float {pct(acc['float'])}, int8 {pct(acc['int8'])} on "
                     f"{acc['clips']} {acc['split']} clips of {acc['dataset']}")
    if info.get("boards") is None:
        lines.append(f"  boards      {info.get('boards_note')}")
    else:
        lines.append(f"  memory      arena {_size(info['arena_bytes'])}, weights "
                     f"{_size(info['weights_bytes'])} (fwgen compiler)")
        for board_id, b in info["boards"].items():
            lines.append(f"    {board_id:<16} {b['summary']}")
        lines.append(f"  note        {info['boards_note']}")
    if info.get("samples"):
        lines.append(f"  samples     {len(info['samples'])} clips in "
                     f"{info['samples'][0].rsplit('/', 1)[0]}")
    return lines


class ModelsCommand(Command):
    name = "models"
    help = "list the model zoo, or explain one model (models show NAME)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", nargs="?", choices=["list", "show"], default="list")
        parser.add_argument("model", nargs="?", help="zoo model name (for show)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen import zoo  # noqa: PLC0415

        if args.action == "show":
            if not args.model:
                raise FwgenError("'models show' needs a model name", hint="see 'fwgen models'")
            info = explain(args.model)
            print(json.dumps(info, indent=2, sort_keys=True) if args.json
                  else "\n".join(describe(info)))
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
