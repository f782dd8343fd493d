"""`fwgen build`: model + board -> PlatformIO project -> firmware, with flash/RAM by section."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from fwgen.boards import get_board
from fwgen.cli.base import Command
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


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
            data = {}
            for item in filter(None, (p.strip() for p in text.split(","))):
                key, sep, raw = item.partition("=")
                if not sep:
                    raise FwgenError(f"expected KEY=VALUE, got {item!r}", where="--smoothing",
                                     hint="e.g. --smoothing minimum_count=1,suppression_ms=500")
                raw = raw.strip()
                if key.strip() in ("ignored_classes",):
                    data[key.strip()] = [c for c in raw.split("+") if c]
                elif key.strip() == "detection_threshold_list":
                    try:
                        data[key.strip()] = [int(v) for v in raw.split("+") if v]
                    except ValueError:
                        raise FwgenError(f"detection_threshold_list must be integers joined by "
                                         f"'+', got {raw!r}", where="--smoothing",
                                         hint="e.g. detection_threshold_list=200+180+180") from None
                else:
                    try:
                        data[key.strip()] = int(raw)
                    except ValueError:
                        raise FwgenError(f"{key.strip()} must be an integer, got {raw!r}",
                                         where="--smoothing") from None
        if not isinstance(data, dict):
            raise FwgenError("expected a mapping of smoothing settings", where="--smoothing")
        out.update(data)
    return out


def add_model_arguments(parser: argparse.ArgumentParser, *, model_required: bool) -> None:
    parser.add_argument("--model", required=model_required, default=None if model_required else "micro_speech",
                        metavar="NAME_OR_TFLITE",
                        help="zoo model name or .tflite file" + ("" if model_required else
                                                                  " (default micro_speech)"))
    parser.add_argument("--settings", type=Path, metavar="FILE",
                        help="deployment settings (frontend fe.*, classes, smoothing) for a .tflite "
                             "without fwgen/MLTK metadata; a zoo model.yaml works too")
    parser.add_argument("--stride", type=int, default=None, metavar="N",
                        help="run an inference every N feature frames (default: 1, or the "
                             "model's fe.patch_hop_frames for log-mel models)")
    parser.add_argument("--smoothing", action="append", metavar="KEY=VALUE",
                        help="override detector smoothing, e.g. minimum_count=1,suppression_ms=500 "
                             "(repeatable; or a JSON object or file)")


class BuildCommand(Command):
    name = "build"
    help = "build firmware for a board (and its emulator twin) from a model, offline"
    description = ("Render a PlatformIO project (fwgen's own platform, the firmware library, "
                   "generated frontend tables, model and detector) and build it with `pio run`.\n"
                   "Prints flash and RAM by section against the board's limits.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_model_arguments(parser, model_required=True)
        parser.add_argument("--board", required=True, help="board id or alias (see fwgen boards)")
        parser.add_argument("--out", type=Path, metavar="DIR",
                            help="project folder (default build/<model>-<board>)")
        parser.add_argument("--audio", choices=["link", "clip", "mic"], default="link",
                            help="audio source at boot (default link: streamed over the UART)")
        parser.add_argument("--clip", type=Path, metavar="WAV",
                            help="clip compiled into the image (for --audio clip self-tests)")
        parser.add_argument("--no-twin", action="store_true",
                            help="do not add the emulator twin's environment to the project")
        parser.add_argument("--render-only", action="store_true",
                            help="write the project but do not run pio")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.project.build import BuildOptions, build_firmware, prepare, resolve_model
        from fwgen.project.render import ProjectSpec, render_project

        board = get_board(args.board)
        options = BuildOptions(stride=args.stride, smoothing=parse_smoothing(args.smoothing),
                               audio_source=args.audio, clip=args.clip,
                               include_twin=not args.no_twin)
        source = resolve_model(args.model, args.settings)
        out = args.out or Path("build") / f"{source.name}-{board.id}"
        deployment = prepare(source, options)
        if args.render_only:
            project = render_project(ProjectSpec(board=board, generated=deployment.files,
                                                 inputs=deployment.inputs,
                                                 include_twin=options.include_twin), out)
            print(f"project: {project.path} (environments: {', '.join(project.envs)})")
            return 0
        firmware = build_firmware(deployment, board, options, out, verbose=args.verbose > 1)
        if args.json:
            print(json.dumps({"project": str(firmware.project.path),
                              "envs": {env: r.as_dict() for env, r in firmware.sizes.items()}},
                             indent=2))
            return 0
        c = firmware.compiled
        print(f"project: {firmware.project.path}")
        print(f"model:   {source.name} ({source.path}), {c.macs} MACs, arena {c.arena_bytes} B, "
              f"weights {c.weights_bytes} B; inference every {firmware.stride} frame(s)")
        for env, report in firmware.sizes.items():
            print()
            print("\n".join(report.lines()))
        return 0
