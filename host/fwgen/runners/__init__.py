"""Runners: one module per tool that flashes or runs firmware, found by `registry`.

May import fwgen.errors and, for type hints only, fwgen.boards; `core` (the template-method base,
after Zephyr's runners/core.py) imports no runner, each runner module imports `core`, and
`registry` discovers the runner modules (pkgutil), so nothing names a concrete runner.

Adding a runner is one module (a `core.Runner` subclass with `name`, `caps`, `programs`, `Args`,
`add_options`, `do_run`) plus its board arguments in YAML:

1. ``host/fwgen/runners/<tool>.py``: a frozen dataclass of the board arguments
   (``QemuArgs(machine: str, cpu: str)``; str, int, bool, tuple[str, ...], optional fields with
   defaults) and the class: ``name = "<tool>"``, ``caps = RunnerCaps(flash=True, ...)``,
   ``programs``, ``Args``, ``do_run(command, **kwargs)`` running every program through
   ``self.call`` / ``self.popen``, and if it has options of its own, ``add_options(parser)`` and
   ``from_options(board, options)``.
2. ``runners: {<tool>: {...}}`` in each `boards/<id>.yaml` it serves; the mapping is checked
   against `Args` when the board is loaded (``fwgen boards`` reports a mistake with file and field).
3. A test of the exact argv it runs (dry run) in tests/unit/test_runners.py.

A tool whose commands are not written yet is a `core.PendingRunner` (typed board arguments,
`RunnerCaps()`: every command is refused): pyocd, openocd, stflash, stm32cubeprogrammer,
commander, jlink until ``fwgen flash``.
"""
from fwgen.runners.core import PendingRunner, Runner, RunnerCaps
from fwgen.runners.registry import add_runner_options, get_runner, runner_names, runners

__all__ = ["PendingRunner", "Runner", "RunnerCaps", "add_runner_options", "get_runner",
           "runner_names", "runners"]
