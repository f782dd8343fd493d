"""Unit tier fixtures: the tier's command lines are the default ones, whatever QEMU the shell
names for the emulator tier ($FWGEN_QEMU_SYSTEM_ARM): its tests assert exact qemu-system-arm
argv and put stand-in QEMUs on PATH. A test of that variable sets it itself (monkeypatch)."""
from __future__ import annotations

import pytest

from fwgen.runners.qemu import PROGRAM_ENV


@pytest.fixture(autouse=True)
def _default_qemu(monkeypatch):
    monkeypatch.delenv(PROGRAM_ENV, raising=False)
