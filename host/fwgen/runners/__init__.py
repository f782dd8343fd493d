"""Runners: one class per tool that flashes or runs firmware (QEMU today; pyOCD, OpenOCD,
st-flash, Simplicity Commander, J-Link next), on the template-method base in `core`."""
from fwgen.runners.core import Runner, RunnerCaps, get_runner, runners

__all__ = ["Runner", "RunnerCaps", "get_runner", "runners"]
