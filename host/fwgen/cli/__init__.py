"""fwgen's command line: one module per verb (`<verb>_cmd.py`), each a `Command` subclass.
The top layer: it may import every package; nothing imports it but `fwgen.__main__`.

Verbs are discovered from this package, so adding a verb means adding one file.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from typing import Sequence

from fwgen import __version__
from fwgen.cli.base import Command
from fwgen.errors import FwgenError

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
        return int(commands[args.verb].invoke(args) or 0)
    except FwgenError as exc:
        print(f"fwgen {args.verb}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"fwgen {args.verb}: interrupted", file=sys.stderr)
        return 130
