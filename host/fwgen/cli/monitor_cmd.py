"""`fwgen monitor`: watch a board or twin over its serial link (fwgen.monitor does the work)."""
from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.cli.options import add_board_option, add_serial_options, check_output_file

LOG = logging.getLogger(__name__)

#: --play shows a progress bar (on a terminal, not with --json) for clips at least this long.
LONG_CLIP_S = 5.0


def progress_wanted(clip_s: float | None, *, json_lines: bool, stream=None) -> bool:
    """A --play progress bar: for a long clip, on a terminal, never with --json or on a pipe."""
    stream = sys.stderr if stream is None else stream
    return bool(clip_s is not None and clip_s >= LONG_CLIP_S and not json_lines
                and stream.isatty())


class _Progress:
    """A rich progress bar on stderr for --play; no-op when not wanted."""

    def __init__(self, wanted: bool, label: str):
        self.wanted, self.label = wanted, label
        self.progress = self.task = None

    def __enter__(self) -> "_Progress":
        if self.wanted:
            from rich.console import Console
            from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.percentage:>3.0f} %"), TimeElapsedColumn(),
                                     TimeRemainingColumn(), console=Console(stderr=True),
                                     transient=True)
            self.progress.__enter__()
        return self

    def update(self, sent: int, total: int) -> None:
        if self.progress is not None:
            if self.task is None:
                self.task = self.progress.add_task(self.label, total=total)
            self.progress.update(self.task, completed=sent)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


class MonitorCommand(Command):
    name = "monitor"
    help = "watch a board or twin: detections, stats and logs from its link (--play streams a WAV)"
    description = (
        "Decode fwgen's serial link from a board or an emulator twin: detections (class, score, "
        "time), STATS (cycles per stage, stack high-water mark), LOG lines and HELLO (board, "
        "model hash, ABI, firmware version), or one JSON object per line with --json. The port "
        "is --serial, or the one with the board's USB VID:PID (its /dev/serial/by-id name when "
        "there is one); a twin's is the one fwgen flash started. When the port vanishes (cable "
        "pulled, board reset, socket closed) the monitor reports what it had decoded, keeps "
        "trying to reopen the port (until --timeout or Ctrl-C), reports the gap and the new "
        "HELLO. --play streams a WAV through the device: in real time on a board, as fast as "
        "the link allows on a twin.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_board_option(parser, required=False,
                         help="board id or alias: its port is found by USB VID:PID (a twin: the "
                              "running one fwgen flash started)")
        add_serial_options(parser)
        parser.add_argument("--json", action="store_true",
                            help="one JSON object per line (messages and port events)")
        parser.add_argument("--log", type=Path, metavar="FILE",
                            help="write everything received, raw frames (hex) and decoded "
                                 "messages, as JSON lines with timestamps")
        parser.add_argument("--play", type=Path, metavar="FILE.wav",
                            help="stream this WAV through the device and show what it detects "
                                 "(mono 16-bit at the rate the device announces)")
        parser.add_argument("--convert", action="store_true",
                            help="with --play: convert a stereo, non-16-bit or other-rate WAV "
                                 "(default: such files are an error)")
        parser.add_argument("--timeout", type=float, default=None, metavar="S",
                            help="stop after S seconds, also while waiting for a vanished port "
                                 "(default: until Ctrl-C, or until --play has finished)")
        parser.add_argument("--no-reset", action="store_true",
                            help="never send RESET (the monitor sends one to ask for the "
                                 "device's HELLO when none arrives; it restarts the stream)")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.boards import get_board
        from fwgen.errors import FwgenError
        from fwgen.monitor import HumanView, JsonView, LogWriter, MonitorSession, PortTarget
        from fwgen.monitor.events import Progress
        from fwgen.monitor.play import check_clip, load_clip

        if args.timeout is not None and not args.timeout > 0:
            raise FwgenError(f"must be more than 0 seconds, got {args.timeout:g}",
                             where="--timeout")
        if args.baud is not None and args.baud <= 0:
            raise FwgenError(f"must be a positive bit rate, got {args.baud}", where="--baud")
        if args.log is not None:
            check_output_file(args.log, "--log")
        if args.convert and args.play is None:
            raise FwgenError("--convert only applies to --play", where="--convert")
        info = check_clip(args.play, convert=args.convert) if args.play else None
        board = get_board(args.board) if args.board else None
        target = PortTarget(board, args.serial, args.serial_number)
        target.resolve()                         # port errors before anything is opened
        baud = args.baud or (board.uart.baud if board is not None else None)
        view = JsonView() if args.json else HumanView()

        def clip_for(hello):
            clip = load_clip(args.play, hello.sample_rate, convert=args.convert)
            if clip.converted:
                print(f"fwgen monitor: {clip.converted}", file=sys.stderr)
            return clip.samples

        wants_bar = progress_wanted(info.duration_s if info else None, json_lines=args.json)
        session = MonitorSession(target, baudrate=baud, timeout=args.timeout,
                                 ask_hello=not args.no_reset)
        with contextlib.ExitStack() as stack:
            stack.callback(self._summary, session)      # also after Ctrl-C or an error
            log = stack.enter_context(LogWriter(args.log)) if args.log else None
            stack.enter_context(session)
            bar = stack.enter_context(_Progress(wants_bar, f"playing {args.play}"))
            realtime = False if board is not None and board.is_emulator else None
            events = session.play(clip_for, realtime=realtime) if args.play else session.events()
            for event in events:
                if log is not None:
                    log.write(event)
                if isinstance(event, Progress):
                    bar.update(event.sent, event.total)
                    continue
                text = view.rx(event)
                if text:
                    print(text, flush=True)
        return 0

    @staticmethod
    def _summary(session) -> None:
        if session.choice is None:                  # never connected: nothing to sum up
            return
        gaps = "; ".join(f"{port} {seconds:.1f} s" for port, seconds in session.gaps)
        print(f"fwgen monitor: {session.received} messages, {session.dropped} corrupt frames "
              f"dropped" + (f"; gaps: {gaps}" if gaps else ""), file=sys.stderr)
