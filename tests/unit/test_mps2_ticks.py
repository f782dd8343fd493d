"""The MPS2 twins' tick counter (firmware/ports/mps2/mps2_ticks.h) against a model of SysTick:
monotonic by one tick at every step, through init and every period boundary, whether the wrap's
exception handler has already run or is still pending."""
from __future__ import annotations

import ctypes

import pytest

from fwgen import native

PERIOD = 1 << 24
SOURCE = r"""
#include <stdint.h>
#include "ports/mps2/mps2_ticks.h"
uint32_t ticks(uint32_t wraps, uint32_t pending, uint32_t value)
{
    return fwgen_mps2_ticks(wraps, pending, value);
}
"""


@pytest.fixture(scope="module")
def ticks(tmp_path_factory):
    src = tmp_path_factory.mktemp("ticks") / "ticks.c"
    src.write_text(SOURCE)
    lib = ctypes.CDLL(str(native.compile_shared("mps2_ticks", [src],
                                                include_dirs=[native.repo_root() / "firmware"])))
    lib.ticks.restype = ctypes.c_uint32
    lib.ticks.argtypes = [ctypes.c_uint32] * 3
    return lib.ticks


def systick(t: int) -> tuple[int, int]:
    """(SYST_CVR, wraps counted by the hardware) t ticks after init cleared CVR to 0."""
    if t == 0:
        return 0, 0
    return (PERIOD - t) % PERIOD, t // PERIOD


@pytest.mark.parametrize("handler_ran", [True, False])
def test_every_step_counts_one_tick(ticks, handler_ran):
    times = sorted({t for k in range(4) for t in range(k * PERIOD - 3, k * PERIOD + 4) if t >= 0})
    readings = []
    for t in times:
        value, wraps = systick(t)
        if handler_ran or value != 0:
            readings.append(ticks(wraps, 0, value))
        else:     # the wrap that just happened is still pending: its handler has not counted it
            readings.append(ticks(wraps - 1, 1, value))
    assert readings == times


def test_a_pending_wrap_after_the_reload_is_counted(ticks):
    """The exception may stay pending for a few instructions after the reload."""
    assert ticks(0, 1, PERIOD - 1) == PERIOD + 1
    assert ticks(2, 1, PERIOD - 5) == 3 * PERIOD + 5
