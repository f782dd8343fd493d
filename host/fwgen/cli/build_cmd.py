"""`fwgen build`: model + board -> PlatformIO project -> firmware, with flash/RAM by section."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from fwgen.boards import get_board
from fwgen.cli.base import Command
from fwgen.cli.options import add_board_option, add_model_options, parse_smoothing

LOG = logging.getLogger(__name__)


def upload_specs(board) -> dict:
    """env -> fwgen.project.render.Upload: the command `fwgen flash` runs for the board with its
    default runner, for `pio run -t upload` (a twin has none: fwgen flash starts QEMU)."""
    from fwgen.flash import make_runner, upload_command
    from fwgen.project.render import Upload

    if board.is_emulator:
        return {}
    fmt = make_runner(board, dry_run=True).image_formats[0]
    return {board.id: Upload(runner=board.runners.default, image_format=fmt,
                             command=upload_command(board, image="$SOURCE", fmt=fmt))}


class BuildCommand(Command):
    name = "build"
    help = "build firmware for a board (and its emulator twin) from a model, offline"
    description = ("Render a PlatformIO project (fwgen's own platform, the firmware library, "
                   "generated frontend tables, model and detector) and build it with `pio run`.\n"
                   "Prints flash and RAM by section against the board's limits.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_model_options(parser, model_required=True)
        add_board_option(parser)
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
        from fwgen.deploy import DeployOptions, prepare
        from fwgen.project.build import build_firmware, project_spec
        from fwgen.project.render import render_project
        from fwgen.zoo import resolve_model

        board = get_board(args.board)
        options = DeployOptions(stride=args.stride, smoothing=parse_smoothing(args.smoothing),
                                audio_source=args.audio, clip=args.clip)
        source = resolve_model(args.model, args.settings)
        out = args.out or Path("build") / f"{source.name}-{board.id}"
        deployment = prepare(source, options)
        uploads = upload_specs(board)
        if args.render_only:
            project = render_project(project_spec(deployment, board, include_twin=not args.no_twin,
                                                  uploads=uploads), out)
            print(f"project: {project.path} (environments: {', '.join(project.envs)})")
            return 0
        firmware = build_firmware(deployment, board, out, include_twin=not args.no_twin,
                                  verbose=args.verbose > 1, uploads=uploads)
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
