"""SIGTERM and SIGHUP handled as Ctrl-C: the same unwinding, so children and files go.

Python turns SIGINT into KeyboardInterrupt, and every `finally` and `with` in fwgen then ends
what it started (QEMU's group, PlatformIO's group, temporary folders). SIGTERM (kill, systemd,
a CI runner's timeout) and SIGHUP (the terminal closed) would end the interpreter with no
unwinding at all; `signals_as_interrupts()` makes them raise `Interrupted`, a KeyboardInterrupt
that names its signal. Only the first one raises: a repeat while fwgen cleans up is ignored, so
the cleanup it is waiting for is not cut short.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import threading
from typing import Any, Iterator

LOG = logging.getLogger(__name__)

HANDLED = (signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """fwgen was asked to stop by a signal (`signum`); handled wherever Ctrl-C is."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


def interrupt_signal(exc: BaseException) -> int:
    """The signal behind a KeyboardInterrupt: its `signum`, SIGINT for Ctrl-C."""
    return int(getattr(exc, "signum", signal.SIGINT))


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise `Interrupted` in the main thread. Elsewhere than
    the main thread (where Python runs no signal handler) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if raised:
            LOG.debug("%s again while stopping: ignored", signal.Signals(signum).name)
            return
        raised.append(signum)
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
