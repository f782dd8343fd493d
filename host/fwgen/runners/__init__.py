"""Runners: one module per tool that flashes or runs firmware, found by `registry`.

May import fwgen.errors and, for type hints only, fwgen.boards; `core` (the template-method base,
after Zephyr's runners/core.py) imports no runner, each runner module imports `core`, and
`registry` discovers the runner modules (pkgutil), so nothing names a concrete runner.

The tools: openocd (default for the ST boards), stflash, pyocd, stm32cubeprogrammer, commander
(default for the xG24 kit), jlink, and qemu for the emulator twins.

Adding a flashing tool is one module (a `core.FlashRunner` subclass) plus its board arguments
in YAML:

1. ``host/fwgen/runners/<tool>.py``: a frozen dataclass of the board arguments
   (``OpenocdArgs(config: tuple[str, ...], ...)``; str, int, bool, tuple[str, ...], optional
   fields with defaults) and the class: ``name = "<tool>"``, ``programs``, ``install_hint``
   (what to install), ``Args``, ``image_formats`` (("elf", "hex"), preferred first),
   ``messages`` (`core.ToolMessages`: the substrings of its output that mean no probe, access
   refused, a silent target), and the pure ``flash_argv(image, fmt, erase, address)``,
   ``erase_argv()`` and ``reset_argv()``; the base runs them through ``self.call`` (logged,
   dry-run aware, bounded in time, errors diagnosed). Options of its own go in
   ``add_options(parser)`` / ``from_options(board, options)`` (pyocd's ``--pack``).
2. ``runners: {<tool>: {...}}`` in each `boards/<id>.yaml` it serves; the mapping is checked
   against `Args` when the board is loaded (``fwgen boards`` reports a mistake with file and field).
3. Its rows in the exact-argv table of tests/unit/test_runners.py, and its real no-probe and
   permission messages in the fake programs of tests/unit/test_flash_errors.py.

A tool whose commands are not written yet is a `core.PendingRunner` (typed board arguments,
`RunnerCaps()`: every command is refused).
"""
from fwgen.runners.core import FlashRunner, PendingRunner, Runner, RunnerCaps
from fwgen.runners.registry import add_runner_options, get_runner, runner_names, runners

__all__ = ["FlashRunner", "PendingRunner", "Runner", "RunnerCaps", "add_runner_options",
           "get_runner", "runner_names", "runners"]
