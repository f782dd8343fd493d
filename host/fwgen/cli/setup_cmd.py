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
        # PlatformIO offline: tool-scons from PyPI's scons into the core dir `pio run` uses.
        from fwgen.project.platformio import core_dir, provision

        package = provision()
        print(f"PlatformIO core: {core_dir()} (tool-scons at {package})")
        return 0
