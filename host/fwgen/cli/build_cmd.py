"""`fwgen build`: model + board -> PlatformIO project -> firmware, with flash/RAM by section."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from fwgen.boards import get_board
from fwgen.cli.base import Command
from fwgen.cli.options import (add_board_option, add_force_option, add_model_options,
                               add_runtime_options, parse_smoothing)
from fwgen.errors import FwgenError
from fwgen.project.ownership import MANIFEST, read_manifest
from fwgen.project.settings import BuildSettings

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
                   "Prints flash and RAM by section against the board's limits.\n"
                   "In a project folder fwgen wrote (or with --out on one), --model and --board "
                   "may be left out: the project is rebuilt from the settings recorded in its "
                   "fwgen-project.json (other options given change those settings). A generated "
                   "file changed by hand is not overwritten without --force; src/user/ is yours.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_model_options(parser, model_required=False, default_model=None,
                          model_help=" (in a project folder: the recorded one)")
        add_board_option(parser, required=False,
                         help="board id or alias (see fwgen boards; in a project folder: the "
                              "recorded one)")
        parser.add_argument("--out", type=Path, metavar="DIR",
                            help="project folder (default build/<model>-<board>)")
        add_runtime_options(parser)
        parser.add_argument("--audio", choices=["link", "clip", "mic"], default=None,
                            help="audio source at boot (default link: streamed over the UART)")
        parser.add_argument("--clip", type=Path, metavar="WAV",
                            help="clip compiled into the image (for --audio clip self-tests)")
        parser.add_argument("--no-twin", action="store_true", default=None,
                            help="do not add the emulator twin's environment to the project")
        parser.add_argument("--render-only", action="store_true",
                            help="write the project but do not run pio")
        add_force_option(parser)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    @staticmethod
    def _settings(args: argparse.Namespace) -> tuple[BuildSettings, Path | None]:
        """The settings to build with and the project folder: from the options, or (no --model
        and no --board) the ones recorded in the project at --out or in the current folder."""
        smoothing = parse_smoothing(args.smoothing) if args.smoothing else None
        twin = None if args.no_twin is None else not args.no_twin
        if args.model is None and args.board is None:
            folder = args.out or Path.cwd()
            if args.out is None and read_manifest(folder) is None:
                raise FwgenError("--model and --board are needed (or run fwgen build in a project "
                                 "folder it wrote, or give --out that folder, to rebuild it from "
                                 "its recorded settings)", where="--model")
            recorded = BuildSettings.load(folder)
            merged = {**recorded.smoothing, **(smoothing or {})}
            return recorded.replace(settings=args.settings, stride=args.stride, smoothing=merged,
                                    audio=args.audio, clip=args.clip, twin=twin,
                                    runtime=args.runtime, tflm_dir=args.tflm_dir), folder
        if args.model is None or args.board is None:
            missing = "--model" if args.model is None else "--board"
            raise FwgenError("--model and --board are needed together (both left out: rebuild "
                             "the project in the current folder or at --out)", where=missing)
        return BuildSettings(model=args.model, board=get_board(args.board).id,
                             settings=args.settings, stride=args.stride,
                             smoothing=smoothing or {}, audio=args.audio or "link",
                             clip=args.clip, twin=True if twin is None else twin,
                             runtime=args.runtime or "aot", tflm_dir=args.tflm_dir), args.out

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.deploy import DeployOptions, prepare
        from fwgen.project.build import build_firmware, project_spec
        from fwgen.project.render import render_project
        from fwgen.zoo import resolve_model

        settings, out = self._settings(args)
        rebuild = args.model is None
        board = get_board(settings.board)
        options = DeployOptions(stride=settings.stride, smoothing=dict(settings.smoothing),
                                audio_source=settings.audio, clip=settings.clip,
                                runtime=settings.runtime, tflm_dir=settings.tflm_dir)
        source = resolve_model(settings.model, settings.settings)
        out = out or Path("build") / f"{source.name}-{board.id}"
        if rebuild:
            print(f"{out}: rebuilding from the settings recorded in {MANIFEST} "
                  f"(model {settings.model}, board {board.id})", file=sys.stderr)
        deployment = prepare(source, options)
        _say_runtime(deployment)
        uploads = upload_specs(board)
        record = replace(settings, model_sha256=source.sha256).record(out)
        if args.render_only:
            project = render_project(project_spec(deployment, board, include_twin=settings.twin,
                                                  uploads=uploads, settings=record),
                                     out, force=args.force)
            _say_overwritten(project)
            print(f"project: {project.path} (environments: {', '.join(project.envs)})")
            _print_realtime(deployment, project.envs)
            return 0
        firmware = build_firmware(deployment, board, out, include_twin=settings.twin,
                                  verbose=args.verbose > 1, uploads=uploads, settings=record,
                                  force=args.force)
        _say_overwritten(firmware.project)
        if args.json:
            print(json.dumps({"project": str(firmware.project.path),
                              "envs": {env: {**r.as_dict(), "realtime": _realtime_dict(deployment, env)}
                                       for env, r in firmware.sizes.items()}},
                             indent=2))
            return 0
        c = firmware.compiled
        print(f"project: {firmware.project.path}")
        print(f"model:   {source.name} ({source.path}), {c.macs} MACs, arena {c.arena_bytes} B, "
              f"weights {c.weights_bytes} B; inference every {firmware.stride} frame(s)")
        for line in getattr(c, "report_lines", lambda: [])():
            print(line)
        for env, report in firmware.sizes.items():
            print()
            print("\n".join(report.lines()))
        print()
        _print_realtime(deployment, tuple(firmware.sizes))
        return 0


def _print_realtime(deployment, envs) -> None:
    """Per board: the inference interval against a lower bound on the work in it (measured on
    its twin, fwgen.project.realtime); a warning when it cannot keep up."""
    from fwgen.project.realtime import feasibility

    for env in envs:
        board = get_board(env)
        if board.is_emulator:
            print(f"{board.id} is a QEMU twin: it runs as fast as this machine, with no real-time "
                  f"bound (its STATS count instructions)")
            continue
        estimate = feasibility(deployment, board)
        print("\n".join(estimate.lines()))
        warning = estimate.warning()
        if warning:
            print(f"fwgen build: warning: {warning}", file=sys.stderr)


def _realtime_dict(deployment, env: str) -> dict | None:
    from fwgen.project.realtime import feasibility

    board = get_board(env)
    if board.is_emulator:
        return None
    f = feasibility(deployment, board)
    return {"interval_ms": f.interval_ms, "instructions": f.instructions,
            "lower_bound_ms": f.lower_bound_ms, "keeps_up": f.keeps_up,
            "min_stride": f.min_stride, "source": f.cost.source if f.cost else None}


def _say_runtime(deployment) -> None:
    """Which runtime runs the model, why (--runtime auto), and where TFLM comes from."""
    if deployment.runtime_reason:
        print(f"runtime: {deployment.runtime} (--runtime auto: {deployment.runtime_reason})",
              file=sys.stderr)
    elif deployment.runtime != "aot":
        print(f"runtime: {deployment.runtime}", file=sys.stderr)
    if deployment.runtime == "tflm":
        from fwgen.runtime import RuntimeConfig
        from fwgen.runtime.tflm import find_tree, tree_kernels

        tree = find_tree(RuntimeConfig(tflm_dir=deployment.options.tflm_dir))
        kernels = "CMSIS-NN" if tree_kernels(tree) == "cmsis_nn" else "TFLM's reference"
        print(f"TFLM:    the tree at {tree} ({kernels} kernels; given by --tflm-dir or "
              f"FWGEN_TFLM_DIR: fwgen ships no TFLM sources and downloads none)", file=sys.stderr)


def _say_overwritten(project) -> None:
    if project.overwritten:
        what = "file" if len(project.overwritten) == 1 else "files"
        print(f"fwgen build: overwrote {len(project.overwritten)} {what} changed by hand: "
              f"{', '.join(project.overwritten)} (--force)", file=sys.stderr)
