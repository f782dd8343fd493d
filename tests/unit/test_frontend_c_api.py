"""The C API's documented contract (firmware/frontend/frontend.h), called directly: status codes
for NULL pointers, misaligned or short state memory, tables for another ABI and inconsistent
configurations, so a firmware mistake is a status, never memory corruption."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from fwgen.frontend import FrontendSettings, compute_tables
from fwgen.frontend.binding import FWGEN_NEED_MORE, FWGEN_OK, _lib, build_config

ERR_ARG, ERR_SIZE, ERR_FORMAT = 1, 2, 5


@pytest.fixture()
def api():
    lib = _lib()
    cfg, keep = build_config(compute_tables(FrontendSettings()), lib.fwgen_abi_version())
    size = lib.fwgen_frontend_get_state_size(ctypes.byref(cfg))
    memory = np.zeros(size // 8 + 2, dtype=np.uint64)
    return lib, cfg, keep, size, memory


def _init(lib, cfg, address, size):
    handle = ctypes.c_void_p()
    status = lib.fwgen_frontend_init(ctypes.byref(cfg) if cfg is not None else None, address, size,
                                     ctypes.byref(handle))
    return status, handle


def test_init_checks_its_arguments(api):
    lib, cfg, _keep, size, memory = api
    base = memory.ctypes.data
    assert _init(lib, cfg, base, size)[0] == FWGEN_OK
    assert _init(lib, None, base, size)[0] == ERR_ARG
    assert _init(lib, cfg, None, size)[0] == ERR_ARG
    assert _init(lib, cfg, base + 4, size)[0] == ERR_ARG          # not 8-byte aligned
    assert _init(lib, cfg, base, size - 1)[0] == ERR_SIZE
    assert lib.fwgen_frontend_get_state_size(None) == 0
    cfg.abi += 1
    assert _init(lib, cfg, base, size)[0] == ERR_FORMAT          # tables of another ABI


@pytest.mark.parametrize("field, value", [
    ("window_step", 0), ("window_size", 0), ("n_channels", 0), ("fft_length", 384),
    ("fft_n_stages", 0), ("spectrum_start", 0), ("smoothing_bits", 17), ("window", None),
    ("noise_reduction_enable", 0),                                  # PCAN without NR
])
def test_inconsistent_configurations_are_rejected(api, field, value):
    lib, cfg, _keep, size, memory = api
    setattr(cfg, field, value)
    assert _init(lib, cfg, memory.ctypes.data, memory.nbytes)[0] == ERR_ARG


def test_process_and_to_s8_check_pointers(api):
    lib, cfg, _keep, size, memory = api
    status, handle = _init(lib, cfg, memory.ctypes.data, size)
    assert status == FWGEN_OK
    lib.fwgen_frontend_process.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                           ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
    lib.fwgen_frontend_process.restype = ctypes.c_int
    audio = np.zeros(100, dtype=np.int16)
    frame = np.zeros(32, dtype=np.uint16)
    used = ctypes.c_size_t()
    assert lib.fwgen_frontend_process(handle, audio.ctypes.data, 100, ctypes.byref(used),
                                      frame.ctypes.data) == FWGEN_NEED_MORE
    assert used.value == 100
    assert lib.fwgen_frontend_process(None, audio.ctypes.data, 100, ctypes.byref(used),
                                      frame.ctypes.data) == ERR_ARG
    assert lib.fwgen_frontend_process(handle, audio.ctypes.data, 100, None,
                                      frame.ctypes.data) == ERR_ARG
    out = np.zeros(4, dtype=np.int8)
    assert lib.fwgen_frontend_to_s8(None, frame.ctypes.data, out.ctypes.data, 4) == ERR_ARG
    assert lib.fwgen_frontend_to_s8(ctypes.byref(cfg), None, out.ctypes.data, 4) == ERR_ARG
