"""fwgen's command line: one module per verb (`<verb>_cmd.py`), each a `Command` subclass.
The top layer: it may import every package; nothing imports it but `fwgen.__main__`.

Verbs are discovered from this package, so adding a verb means adding one file. SIGTERM and
SIGHUP stop a verb as Ctrl-C does (fwgen.process.signals), so its children and temporary files
go; the exit status is then 128 + the signal (130 for Ctrl-C).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import signal
import sys
from typing import Sequence

from fwgen import __version__
from fwgen.cli.base import Command
from fwgen.errors import FwgenError
from fwgen.process import interrupt_signal, signals_as_interrupts

LOG = logging.getLogger(__name__)


def _discover_commands() -> list[type[Command]]:
    commands: list[type[Command]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.endswith("_cmd"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Command) and value is not Command \
                    and value.__module__ == module.__name__:
                commands.append(value)
    return sorted(commands, key=lambda c: c.name)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    parser = argparse.ArgumentParser(
        prog="fwgen",
        description="Turn an audio ML model into bit-exact microcontroller firmware, "
                    "run it on an emulator twin or a board, and talk to it.")
    parser.add_argument("--version", action="version", version=f"fwgen {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    instances: dict[str, Command] = {}
    for cls in _discover_commands():
        cmd = cls()
        p = sub.add_parser(cls.name, help=cls.help, description=cls.description or cls.help,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_arguments(p)
        instances[cls.name] = cmd
    return parser, instances


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not args.verb:
        parser.print_help()
        return 2
    try:
        with signals_as_interrupts():
            return int(commands[args.verb].invoke(args) or 0)
    except FwgenError as exc:
        print(f"fwgen {args.verb}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        # A path the OS refuses (a read-only --out, a file where a folder must go) is the
        # user's to fix, wherever a verb first touches it: say which path, no traceback.
        error = FwgenError(exc.strerror or str(exc), where=exc.filename or None,
                           hint="choose a writable folder (--out), or fix the path's permissions")
        print(f"fwgen {args.verb}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt as exc:
        signum = interrupt_signal(exc)
        by = "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"
        try:
            print(f"fwgen {args.verb}: interrupted{by}", file=sys.stderr)
        except OSError:   # SIGHUP: the terminal may be gone
            pass
        return 128 + signum
