"""`fwgen run`: build (or reuse) twin firmware, run it in QEMU, stream WAV files over its UART."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from fwgen.boards import get_board, twin_of
from fwgen.cli.base import Command
from fwgen.cli.options import (DEFAULT_MODEL, add_board_option, add_force_option,
                               add_model_options, add_runtime_options, parse_smoothing)
from fwgen.deploy.clips import DEFAULT_PAD_MODE, PAD_MODES

LOG = logging.getLogger(__name__)


def clip_notes(report) -> list[str]:
    """Why a class was reported twice, naming the setting that allowed it
    (fwgen.detect.repeat_detection_notes); [] without a repeat or the detector's settings."""
    from fwgen.detect import repeat_detection_notes

    if report.smoothing is None:
        return []
    return repeat_detection_notes(report.detections, report.smoothing, input_ms=report.input_ms)


def report_json(report) -> str:
    """One clip as a JSON line: `ClipReport.as_dict()`, with "notes" when there are any."""
    data = report.as_dict()
    notes = clip_notes(report)
    if notes:
        data["notes"] = notes
    return json.dumps(data)


def clip_lines(report) -> list[str]:
    """A `fwgen.run.ClipReport` for the terminal: detections, notes on repeated ones, then
    per-stage figures."""
    out = [f"{report.path}:"]
    if not report.detections:
        out.append("  no detection")
    for d in report.detections:
        out.append(f"  {d['time_ms']:>6} ms  {d['class']:<12} score {d['score']:>3}")
    out += [f"  note: {note}" for note in clip_notes(report)]
    s = report.stats
    if s:
        unit = {1: "cycles", 2: "instructions"}.get(s.get("cycle_unit", 0), "")
        frames, inferences = max(s.get("frames", 0), 1), max(s.get("inferences", 0), 1)
        out.append(f"  {s.get('frames', 0)} frames, {s.get('inferences', 0)} inferences; "
                   f"frontend {s.get('frontend_cycles', 0) // frames} {unit}/frame, inference "
                   f"{s.get('inference_cycles', 0) // inferences} {unit} (max "
                   f"{s.get('inference_cycles_max', 0)})")
    if report.features is not None:
        rows, cols = report.features.shape
        out.append(f"  features  {rows} frames x {cols} values ({report.features.dtype}), "
                   f"min {report.features.min(initial=0)} max {report.features.max(initial=0)}")
    if report.logits is not None:
        classes = report.classes
        top = np.bincount(report.logits.argmax(axis=1), minlength=len(classes)) \
            if report.logits.size else np.zeros(len(classes), dtype=int)
        counts = ", ".join(f"{name} {int(n)}" for name, n in zip(classes, top) if n)
        out.append(f"  logits    {report.logits.shape[0]} inferences; top class: {counts or '-'}")
    return out


class RunCommand(Command):
    name = "run"
    help = "run a model on a board's emulator twin (QEMU) and print detections for WAV files"
    description = ("Build (or reuse) the emulator-twin firmware, start QEMU, stream each WAV file "
                   "over the emulated UART with fwgen's serial link, print what the firmware "
                   "reports, and stop QEMU (also on Ctrl-C or errors).")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_model_options(parser, model_required=False, default_model=None,
                          model_help=f" (default {DEFAULT_MODEL})")
        add_board_option(parser, default="mps2_an505",
                         help="emulator twin, or a board (its twin runs); default mps2_an505")
        parser.add_argument("wavs", nargs="+", type=Path, metavar="FILE.wav",
                            help="mono 16-bit WAV files at the model's sample rate")
        parser.add_argument("--pad-ms", type=int, default=None, metavar="MS",
                            help="audio streamed before and after each clip (default: half the "
                                 "model's window, so a clip-length keyword is seen by several "
                                 "inferences); detection times are given relative to the clip")
        parser.add_argument("--pad", choices=PAD_MODES, default=DEFAULT_PAD_MODE,
                            help="what the padding is: the clip's own noise floor (default: its "
                                 "quietest 100 ms, played back and forth), its mirrored edges "
                                 "(reflect: a word at an edge plays backwards) or digital zeros")
        parser.add_argument("--convert", action="store_true",
                            help="convert stereo, non-16-bit or other-rate WAVs to the model's "
                                 "mono 16-bit rate (default: such files are an error)")
        parser.add_argument("--features", action="store_true", help="also stream FEATURES back (all values in --json; a summary otherwise)")
        parser.add_argument("--logits", action="store_true", help="also stream LOGITS back (all values in --json; a summary otherwise)")
        parser.add_argument("--out", type=Path, metavar="DIR",
                            help="project folder (default: fwgen's cache)")
        add_runtime_options(parser)
        add_force_option(parser)
        parser.add_argument("--elf", type=Path, metavar="FILE",
                            help="run this firmware ELF (built by hand, or by fwgen build) instead "
                                 "of building one: it must be an ARM ELF for the twin's core and "
                                 "flash, speaking fwgen's link; model and build options do not "
                                 "apply")
        parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                            help="seconds to wait for the firmware (default 60)")
        parser.add_argument("--json", action="store_true", help="one JSON object per file")
        parser.add_argument("--html", type=Path, metavar="FILE",
                            help="also write a self-contained HTML page: per clip the device's "
                                 "spectrogram, every class's smoothed score with thresholds and "
                                 "detections, an audio player and the host/device status per stage")
        parser.add_argument("--dry-run", action="store_true",
                            help="build the firmware, print the QEMU command line, run nothing")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.errors import FwgenError
        from fwgen.run import run_clips

        if not args.timeout > 0:
            raise FwgenError(f"must be more than 0 seconds, got {args.timeout:g}",
                             where="--timeout")
        for wav in args.wavs:
            if wav.is_dir():
                raise FwgenError("is a folder, not a WAV file", where=str(wav),
                                 hint="give the WAV files, e.g. DIR/*.wav")
            if not wav.is_file():
                raise FwgenError("audio file not found", where=str(wav))
        if args.elf is not None:
            self._check_elf_options(args)
        if args.html is not None:
            from fwgen.cli.options import check_output_file

            check_output_file(args.html, "--html")
            if args.dry_run:
                raise FwgenError("--dry-run runs nothing, so there is nothing to draw",
                                 where="--html", hint="leave out --dry-run or --html")
        board = get_board(args.board)
        twin = twin_of(board)
        if twin is not board:
            print(f"fwgen run: {board.id} runs on its emulator twin {twin.id}", file=sys.stderr)
        if args.elf is not None:
            return self._run_elf(args, twin)
        args.model = args.model or DEFAULT_MODEL
        if args.dry_run:
            return self._dry_run(args, twin)
        reports = run_clips(model=args.model, settings=args.settings, twin=twin, wavs=args.wavs,
                            stride=args.stride, smoothing=parse_smoothing(args.smoothing),
                            pad_ms=args.pad_ms, pad_mode=args.pad, convert=args.convert,
                            runtime=args.runtime or "aot", tflm_dir=args.tflm_dir,
                            features=args.features, logits=args.logits,
                            out=args.out, timeout=args.timeout, force=args.force,
                            progress=None if args.json else lambda text: print(text, file=sys.stderr),
                            trace=args.html is not None)
        self._print(args, reports)
        self._write_html(args, reports, model=str(args.model))
        return 0

    @staticmethod
    def _write_html(args: argparse.Namespace, reports, model: str) -> None:
        """The page of `--html`: the clips as the device saw them (their audio read again)."""
        if args.html is None:
            return
        from fwgen.audio import read_wav
        from fwgen.hil.html import audio_from, run_report, write_report_html

        rate = reports[0].trace.sample_rate
        audio = audio_from({str(r.path): read_wav(r.path, expect_rate=rate, convert=args.convert)
                            for r in reports}, rate)
        first = reports[0]
        report = run_report(reports, model=model, runtime=first.runtime,
                            model_sha256=first.model_sha256,
                            smoothing=first.smoothing.to_dict() if first.smoothing else None)
        write_report_html(args.html, report, audio)
        print(f"fwgen run: wrote {args.html}", file=sys.stderr)

    @staticmethod
    def _print(args: argparse.Namespace, reports) -> None:
        for report in reports:
            if args.json:
                print(report_json(report))
            else:
                print("\n".join(clip_lines(report)))

    @staticmethod
    def _check_elf_options(args: argparse.Namespace) -> None:
        """Options that make or place a build mean nothing with --elf: refuse them."""
        from fwgen.errors import FwgenError

        given = {"--model": args.model, "--settings": args.settings, "--stride": args.stride,
                 "--runtime": args.runtime, "--tflm-dir": args.tflm_dir,
                 "--smoothing": args.smoothing, "--out": args.out, "--force": args.force or None}
        for option, value in given.items():
            if value is not None:
                raise FwgenError("--elf runs the ELF as it is: nothing is built, so there is no "
                                 "model, build option or project to use", where=option,
                                 hint=f"leave out {option}, or leave out --elf to build firmware")

    def _run_elf(self, args: argparse.Namespace, twin) -> int:
        import shlex

        from fwgen.run import run_elf_clips
        from fwgen.run.elf import check_twin_elf
        from fwgen.runners.qemu import QemuRunner

        if args.dry_run:
            check_twin_elf(args.elf, twin)
            runner = QemuRunner(twin, dry_run=True)
            runner.run("emulate", elf=args.elf)
            print(" ".join(shlex.quote(a) for a in runner.commands[0]))
            return 0
        reports = run_elf_clips(elf=args.elf, twin=twin, wavs=args.wavs, pad_ms=args.pad_ms,
                                pad_mode=args.pad, convert=args.convert, features=args.features,
                                logits=args.logits, timeout=args.timeout,
                                progress=None if args.json else lambda text: print(text, file=sys.stderr),
                                trace=args.html is not None)
        self._print(args, reports)
        self._write_html(args, reports, model=str(args.elf))
        return 0

    @staticmethod
    def _dry_run(args: argparse.Namespace, twin) -> int:
        import shlex

        from fwgen.run import twin_deployment, twin_firmware
        from fwgen.runners.qemu import QemuRunner

        deployment = twin_deployment(model=args.model, settings=args.settings, twin=twin,
                                     stride=args.stride, smoothing=parse_smoothing(args.smoothing),
                                     runtime=args.runtime or "aot", tflm_dir=args.tflm_dir)
        elf = twin_firmware(deployment, twin, out=args.out, force=args.force, model=args.model,
                            settings=args.settings)
        runner = QemuRunner(twin, dry_run=True)
        runner.run("emulate", elf=elf)
        print(" ".join(shlex.quote(a) for a in runner.commands[0]))
        return 0
