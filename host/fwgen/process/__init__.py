"""Process hygiene: every child fwgen starts dies with fwgen, and SIGTERM/SIGHUP unwind as Ctrl-C.
Imports only the standard library (and nothing of fwgen), so any package may import it.

    start(argv, detached=False, **popen_kwargs) -> Popen    # own session; dies with fwgen
    run(argv, timeout=None, capture_output=False, ...) -> CompletedProcess   # group ended on error
    end_group(proc, grace=KILL_GRACE_S)                     # SIGTERM, then SIGKILL, to its group
    with signals_as_interrupts(): ...                       # TERM/HUP raise Interrupted(signum)
    interrupt_signal(exc) -> int                            # SIGINT, or the Interrupted's signal
"""
from fwgen.process.children import KILL_GRACE_S, end_group, run, start
from fwgen.process.signals import Interrupted, interrupt_signal, signals_as_interrupts

__all__ = ["KILL_GRACE_S", "Interrupted", "end_group", "interrupt_signal", "run",
           "signals_as_interrupts", "start"]
