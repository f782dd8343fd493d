"""Base class for CLI verbs (pyOCD's subcommand pattern)."""
from __future__ import annotations

import argparse


class Command:
    """One CLI verb. Subclasses set `name` and `help` and implement `invoke`.

    `add_arguments` declares options; `invoke` validates them before touching files,
    toolchains or hardware, and returns the process exit code. User mistakes are raised
    as `fwgen.errors.FwgenError`, which the CLI prints without a traceback.
    """

    name: str = ""
    help: str = ""
    description: str = ""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare this verb's options on its sub-parser."""

    def invoke(self, args: argparse.Namespace) -> int:
        raise NotImplementedError
