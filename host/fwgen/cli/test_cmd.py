"""`fwgen test`: score a labelled audio set on a device (an emulator twin or a board on a serial
port) against the host pipeline: a summary, a JSON report, JUnit XML and an exit code for CI."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.cli.hil_targets import (add_target_arguments, check_target_arguments, open_hardware_map,
                                   open_labgrid, shard_dataset)
from fwgen.cli.options import (add_board_option, add_model_options, add_runtime_options,
                               add_serial_options,
                               check_output_file, parse_smoothing)
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

EXIT_FAILED = 1     # a host/device difference or a missed floor


class _Progress:
    """Clips done, real-time factor (streamed audio / wall time) and time left: a rich bar on a
    terminal, one line per clip otherwise."""

    def __init__(self, total_clips: int, total_audio_s: float, bar: bool):
        self.total_audio_s = total_audio_s
        self.audio_s = 0.0
        self.start = time.monotonic()
        self.bar = None
        if bar:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[info]}"), transient=True)
            self.task = self.bar.add_task("clips", total=total_clips, info="")
        self.done, self.total = 0, total_clips

    def __enter__(self) -> "_Progress":
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.__exit__(*exc)

    def advance(self, outcome) -> None:
        self.done += 1
        self.audio_s += outcome.duration_s
        wall = max(time.monotonic() - self.start, 1e-6)
        rtf = self.audio_s / wall
        left = max(self.total_audio_s - self.audio_s, 0.0) / rtf if rtf > 0 else 0.0
        info = f"{rtf:.2f}x real time, {left:.0f} s left"
        if self.bar:
            self.bar.update(self.task, advance=1, info=info)
        else:
            mark = "differs" if outcome.differences else \
                ("" if outcome.negative else ("ok" if outcome.correct else "wrong"))
            heard = f"{len(outcome.false_accepts)} false accepts" if outcome.negative \
                else f"{outcome.label} -> {outcome.predicted}"
            print(f"[{self.done}/{self.total}] {outcome.name}: {heard} {mark} ({info})",
                  file=sys.stderr, flush=True)


class TestCommand(Command):
    name = "test"
    help = "score a labelled audio set on a twin or a board against the host pipeline (CI)"
    description = (
        "Stream every clip of a labelled dataset through the device (--emulate: the board's QEMU "
        "twin, built like fwgen run; --serial: a flashed board; --labgrid: a labgrid place, "
        "acquired, flashed and released; --hardware-map: the connected boards of a twister-style "
        "map, sharing the clips) and through the host pipeline, "
        "and report accuracy, the confusion matrix, precision and recall, miss rate, false "
        "accepts per hour on negative streams, detection latency, per-stage cycle counts, the "
        "stack high-water mark and any host/device difference per stage.\n\n"
        "--shard I/N scores one share of the dataset (the same split on every machine) for N CI "
        "jobs; fwgen report merges their --report files into one.\n\n"
        "Datasets: WAVs in label folders (DIR/yes/a.wav), a CSV (path,label,onset_ms,offset_ms) "
        "or Speech Commands (testing_list.txt). Background (_background_noise_, background, long "
        "silence) is scored for false accepts.\n\n"
        "A clip counts as its strongest keyword detection; with none it is 'not a keyword' "
        "(right for silence and unknown clips). Exit status 1 on any host/device difference or "
        "a missed --min-accuracy / --max-false-accepts-per-hour, 2 on errors, 130 on Ctrl-C "
        "(after writing a partial report).")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_model_options(parser, model_required=False)
        add_runtime_options(parser)
        add_board_option(parser, help="board id or alias; with --emulate its twin runs")
        parser.add_argument("--emulate", action="store_true",
                            help="run the board's emulator twin (QEMU), firmware built like fwgen run")
        add_serial_options(parser)
        add_target_arguments(parser)
        parser.add_argument("--dataset", type=Path, required=True, metavar="DIR_OR_CSV",
                            help="label folders, a CSV file or a Speech Commands folder")
        parser.add_argument("--strict", action="store_true",
                            help="refuse a dataset with bad entries (default: skip them, by name)")
        parser.add_argument("--convert", action="store_true",
                            help="convert WAVs that are not mono 16-bit at the model's rate")
        parser.add_argument("--report", type=Path, metavar="OUT.json", help="write the JSON report")
        parser.add_argument("--junit", type=Path, metavar="OUT.xml",
                            help="write JUnit XML, one test case per clip")
        parser.add_argument("--confusion-png", type=Path, metavar="OUT.png",
                            help="write the confusion matrix as a PNG")
        parser.add_argument("--html", type=Path, metavar="OUT.html",
                            help="write a self-contained HTML report: summary, confusion matrix, "
                                 "per clip the device's spectrogram, smoothed scores, detections "
                                 "and audio (implies --traces)")
        parser.add_argument("--traces", action="store_true",
                            help="keep each clip's features, logits and smoothed scores in the "
                                 "--report JSON (compressed), so fwgen report can draw them later")
        parser.add_argument("--min-accuracy", type=float, metavar="F",
                            help="fail (exit 1) when clip accuracy is below F (0..1)")
        parser.add_argument("--max-false-accepts-per-hour", type=float, metavar="F",
                            help="fail (exit 1) when negative streams give more false accepts per hour")
        parser.add_argument("--out", type=Path, metavar="DIR",
                            help="twin project folder (default: fwgen's cache, as fwgen run)")
        parser.add_argument("--jobs", "-j", type=int, metavar="N",
                            help="with --emulate: N twins in parallel, one QEMU each, clips "
                                 "shared out (default: one per core)")
        parser.add_argument("--twin-audio", choices=("semihost", "uart"), default="semihost",
                            help="with --emulate: clips reach the twin through a host file "
                                 "(semihosting, default: as fast as QEMU runs) or over the "
                                 "emulated UART (13-28 KiB/s, below real time)")
        parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                            help="seconds to wait for the device per clip (default 60)")
        parser.add_argument("--no-progress", action="store_true",
                            help="no progress bar (one line per clip instead)")

    @staticmethod
    def _check(args: argparse.Namespace):
        from fwgen.hil import Floors

        args.shard_parsed = check_target_arguments(args)
        if args.min_accuracy is not None and not 0.0 <= args.min_accuracy <= 1.0:
            raise FwgenError(f"must be 0..1, got {args.min_accuracy:g}", where="--min-accuracy")
        if args.max_false_accepts_per_hour is not None and not args.max_false_accepts_per_hour >= 0:
            raise FwgenError(f"must be >= 0, got {args.max_false_accepts_per_hour:g}",
                             where="--max-false-accepts-per-hour")
        if args.jobs is not None and (args.jobs < 1 or not args.emulate):
            raise FwgenError(f"must be 1 or more, got {args.jobs}" if args.jobs < 1 else
                             "only with --emulate (twins); boards of a --hardware-map score "
                             "in parallel by themselves", where="--jobs")
        if not args.timeout > 0:
            raise FwgenError(f"must be more than 0 seconds, got {args.timeout:g}", where="--timeout")
        for path, option in ((args.report, "--report"), (args.junit, "--junit"),
                             (args.confusion_png, "--confusion-png"), (args.html, "--html")):
            if path is not None:
                check_output_file(path, option)
        return Floors(args.min_accuracy, args.max_false_accepts_per_hour)

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.boards import get_board, twin_of
        from fwgen.hil import load_dataset, read_clips
        from fwgen.hil.parallel import stream_on
        from fwgen.hil.session import padding

        floors = self._check(args)
        dataset = load_dataset(args.dataset, strict=args.strict)
        if floors.max_false_accepts_per_hour is not None and not any(c.negative for c in dataset.clips):
            raise FwgenError("the dataset has no negative streams to count false accepts on",
                             where="--max-false-accepts-per-hour",
                             hint="add background recordings (DIR/_background_noise_/*.wav)")
        args.report_meta = shard_dataset(dataset, args.shard_parsed, floors)
        board = get_board(args.board)
        smoothing = parse_smoothing(args.smoothing)
        if args.emulate:
            from fwgen.run import twin_deployment

            target = twin_of(board)
            if target is not board:
                print(f"fwgen test: {board.id} runs on its emulator twin {target.id}", file=sys.stderr)
            from fwgen.hil.twins import twin_audio_source

            deployment = twin_deployment(model=args.model, settings=args.settings, twin=target,
                                         stride=args.stride, smoothing=smoothing,
                                         audio=twin_audio_source(args.twin_audio),
                                         runtime=args.runtime or "aot", tflm_dir=args.tflm_dir)
        else:
            from fwgen.deploy import DeployOptions, prepare
            from fwgen.zoo import resolve_model

            target = board
            deployment = prepare(resolve_model(args.model, args.settings),
                                 DeployOptions(stride=args.stride, smoothing=smoothing,
                                               runtime=args.runtime or "aot",
                                               tflm_dir=args.tflm_dir))
        clips = read_clips(dataset, deployment.frontend.sample_rate, deployment.classes,
                           strict=args.strict, convert=args.convert)
        for entry in dataset.skipped:
            print(f"fwgen test: skipped {entry.name}: {entry.reason}", file=sys.stderr)
        if args.emulate:   # one twin per core, never more twins than clips
            from fwgen.hil.twins import default_jobs

            args.jobs = min(args.jobs or default_jobs(), max(len(clips), 1))
        device = self._open(args, target, deployment)
        outcomes, interrupted = [], None
        pad = padding(deployment)[0]
        total_audio = sum(c.samples.size + 2 * pad for c in clips) / deployment.frontend.sample_rate
        bar = sys.stderr.isatty() and not args.no_progress
        try:
            with device, _Progress(len(clips), total_audio, bar) as progress:
                for outcome in stream_on(device, clips, deployment, timeout=args.timeout,
                                         traces=bool(args.traces or args.html)):
                    outcomes.append(outcome)
                    progress.advance(outcome)
        except (KeyboardInterrupt, FwgenError) as exc:   # the device is closed: report what was scored
            interrupted = exc
        stopped_by = None if interrupted is None else \
            ("interrupted" if isinstance(interrupted, KeyboardInterrupt) else
             f"stopped by an error ({interrupted.message})")
        code = self._finish(args, floors, deployment, target, device, dataset, outcomes,
                            stopped_by, clips)
        if interrupted is not None:
            raise interrupted
        return code

    @staticmethod
    def _open(args: argparse.Namespace, target, deployment):
        if args.labgrid:
            return open_labgrid(args, target)
        if args.hardware_map:
            return open_hardware_map(args, target)
        if args.emulate:
            from fwgen.hil.twins import open_twins

            return open_twins(deployment, target, jobs=args.jobs, audio=args.twin_audio,
                              out=args.out, progress=lambda text: print(text, file=sys.stderr))
        from fwgen.device import SerialDevice, find_serial_port

        # A given port is used as is, whatever the board: a twin's TCP UART or a farm's
        # network serial port scores like a board on USB.
        port = args.serial or find_serial_port(target, serial_number=args.serial_number)
        return SerialDevice(target, port, baudrate=args.baud)

    @staticmethod
    def _finish(args, floors, deployment, target, device, dataset, outcomes,
                stopped_by: str | None, clips=()) -> int:
        from fwgen import __version__
        from fwgen.hil import (check, compute_metrics, junit_xml, report_dict, summary_lines,
                               write_confusion_png)

        interrupted = stopped_by is not None
        metrics = compute_metrics(outcomes, deployment.classes)
        problems = check(metrics, floors)
        title = f"fwgen test: {deployment.source.name} on {target.id} ({device.description})"
        if args.report or args.html:
            meta = {"fwgen": __version__, "model": deployment.source.name,
                    "model_sha256": deployment.source.sha256, "board": target.id,
                    "device": device.description, "dataset": str(args.dataset),
                    "layout": dataset.layout, "classes": list(deployment.classes),
                    "stride": deployment.stride, "runtime": deployment.runtime,
                    **args.report_meta,
                    "smoothing": deployment.smoothing.to_dict(),
                    "floors": {"min_accuracy": floors.min_accuracy,
                               "max_false_accepts_per_hour": floors.max_false_accepts_per_hour}}
            report = report_dict(metrics, outcomes, dataset.skipped, meta=meta, problems=problems,
                                 interrupted=interrupted, stopped_by=stopped_by)
        if args.report:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(json.dumps(report, indent=1) + "\n")
        if args.html:
            from fwgen.hil.html import audio_from, write_report_html

            write_report_html(args.html, report, audio_from(
                {c.clip.name: c.samples for c in clips}, deployment.frontend.sample_rate))
        if args.junit:
            args.junit.parent.mkdir(parents=True, exist_ok=True)
            args.junit.write_text(junit_xml(outcomes, dataset.skipped, problems=problems,
                                            suite=f"fwgen.{deployment.source.name}.{target.id}"))
        if args.confusion_png and outcomes:
            write_confusion_png(metrics, args.confusion_png, title=title)
        print("\n".join(summary_lines(metrics, title=title, problems=problems,
                                      interrupted=interrupted, skipped=dataset.skipped,
                                      stopped_by=stopped_by or "")))
        return EXIT_FAILED if problems else 0
