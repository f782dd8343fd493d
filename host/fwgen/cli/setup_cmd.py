"""`fwgen setup`: one-time provisioning that needs no network beyond PyPI/Debian."""
from __future__ import annotations

import argparse
import logging

from fwgen import native
from fwgen.cli.base import Command

LOG = logging.getLogger(__name__)


class SetupCommand(Command):
    name = "setup"
    help = "build the host C library and provision offline tooling (idempotent)"

    def invoke(self, args: argparse.Namespace) -> int:
        lib = native.build_core()
        print(f"host library: {lib}")
        return 0
