"""The `_util` half of TFLM's microfrontend, in Python: settings -> integer tables and constants.

TFLM (and MLTK) compute these at start-up in C, partly in float32 and with libm's `cosf`,
`powf` and `log1p`. fwgen computes them once here, emulating the same float32/double steps
(numpy float32 scalars round like C float; the libm functions are called through ctypes so
that their results are the very ones the reference gets), and renders them as `static const`
data. `FrontendTables` is the single source for the generated C and for the host binding.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.fft_plan import dit_input_order, radix_stages
from fwgen.frontend.settings import FrontendSettings

WINDOW_BITS = 12
FILTERBANK_BITS = 12
NOISE_BITS = 14
PCAN_SNR_BITS = 12
PCAN_LUT_SIZE = 125
LOG_LUT_SIZE = 130
MAX_FFT_STAGES = 8
LN10_DIV_20 = 0.11512925465  # MLTK's constant, as written there

f32 = np.float32


@lru_cache(maxsize=None)
def _libm() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    for name, ctype in (("cosf", ctypes.c_float), ("powf", ctypes.c_float),
                        ("log1p", ctypes.c_double)):
        fn = getattr(lib, name)
        fn.restype = ctype
        fn.argtypes = [ctype] * (2 if name == "powf" else 1)
    return lib


def _cosf(x: np.float32) -> np.float32:
    return f32(_libm().cosf(float(x)))


def _powf(x: np.float32, y: np.float32) -> np.float32:
    return f32(_libm().powf(float(x), float(y)))


def _freq_to_mel(freq: np.float32) -> np.float32:
    """TFLM FreqToMel: float in, 1127 * log1p(f / 700) in double, float out."""
    return f32(1127.0 * _libm().log1p(float(freq) / 700.0))


def _trunc_int(x: float) -> int:
    """C conversion of a floating value to an integer type (toward zero)."""
    return int(math.trunc(float(x)))


def _msb(x: int) -> int:
    return int(x).bit_length()


# ---- window ---------------------------------------------------------------------------------
def hann_window(size: int) -> np.ndarray:
    """TFLM/MLTK window_util.c: float32 periodic-offset Hann in Q12 (cosf, floor(x*4096 + 0.5))."""
    arg = f32(math.pi * 2.0 / float(f32(size)))
    out = np.empty(size, dtype=np.int16)
    for i in range(size):
        c = _cosf(f32(float(arg) * (i + 0.5)))
        value = f32(0.5 - 0.5 * float(c))
        out[i] = math.floor(float(value * f32(1 << WINDOW_BITS)) + 0.5)
    return out


# ---- FFT ------------------------------------------------------------------------------------
def fft_radices(n_complex: int) -> list[int]:
    """kiss_fft's factorization of a power of two: as many 4s as possible, then a 2."""
    return radix_stages(n_complex)


def fft_input_order(n_complex: int, radices: list[int]) -> np.ndarray:
    """Decimation-in-time input order of kiss_fft's recursive kf_work, flattened."""
    return dit_input_order(n_complex, radices)


def _kiss_cexp(phase: float) -> tuple[int, int]:
    """kiss_fft FIXED_POINT twiddle: floor(.5 + 32767 * cos/sin(phase)) in double."""
    return math.floor(0.5 + 32767 * math.cos(phase)), math.floor(0.5 + 32767 * math.sin(phase))


def fft_twiddles(n_complex: int) -> np.ndarray:
    pi = 3.14159265358979323846264338327
    return np.array([_kiss_cexp(-2 * pi * i / n_complex) for i in range(n_complex)],
                    dtype=np.int16).reshape(-1)


def fft_super_twiddles(n_complex: int) -> np.ndarray:
    pi = 3.14159265358979323846264338327
    return np.array([_kiss_cexp(-pi * (float(i + 1) / n_complex + 0.5))
                     for i in range(n_complex // 2)], dtype=np.int16).reshape(-1)


# ---- filterbank -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Filterbank:
    band_edges: np.ndarray  # uint16 [n_channels + 2]
    weights: np.ndarray     # int16 [spectrum_end - spectrum_start]
    unweights: np.ndarray   # int16 [spectrum_end - spectrum_start]

    @property
    def spectrum_start(self) -> int:
        return int(self.band_edges[0])

    @property
    def spectrum_end(self) -> int:
        return int(self.band_edges[-1])


def filterbank(s: FrontendSettings) -> Filterbank:
    """TFLM filterbank_util.c in float32: mel-spaced band edges and Q12 triangle weights."""
    n_bands = s.n_channels + 1
    spectrum_size = s.fft_length // 2 + 1
    lower = f32(s.filterbank_lower_band_limit)
    upper = f32(s.filterbank_upper_band_limit)
    mel_low = _freq_to_mel(lower)
    mel_hi = _freq_to_mel(upper)
    mel_spacing = f32(f32(mel_hi - mel_low) / f32(n_bands))
    centers = [f32(mel_low + f32(mel_spacing * f32(i + 1))) for i in range(n_bands)]
    hz_per_sbin = f32(0.5 * s.sample_rate_hz / float(f32(f32(spectrum_size) - f32(1))))
    start_index = _trunc_int(1.5 + float(f32(lower / hz_per_sbin)))

    def mel_of_bin(index: int) -> np.float32:
        return _freq_to_mel(f32(f32(index) * hz_per_sbin))

    edges = [start_index]
    for chan in range(n_bands):
        freq_index = edges[-1]
        while mel_of_bin(freq_index) <= centers[chan]:
            freq_index += 1
            if freq_index > spectrum_size + 1:
                break
        edges.append(freq_index)
    end_index = edges[-1]
    if end_index >= spectrum_size:
        raise FwgenError(
            f"fe.filterbank_upper_band_limit = {s.filterbank_upper_band_limit:g} Hz reaches past "
            f"the last FFT bin ({spectrum_size - 1}) of a {s.fft_length}-point FFT at "
            f"{s.sample_rate_hz} Hz", where=s.where,
            hint="lower fe.filterbank_upper_band_limit slightly below the Nyquist frequency")
    width = end_index - start_index
    if width == 0:
        raise FwgenError(
            f"no FFT bin lies between fe.filterbank_lower_band_limit = "
            f"{s.filterbank_lower_band_limit:g} Hz and fe.filterbank_upper_band_limit = "
            f"{s.filterbank_upper_band_limit:g} Hz (bins are {float(hz_per_sbin):.2f} Hz apart "
            f"with a {s.fft_length}-point FFT)", where=s.where,
            hint="widen the band limits")
    weights = np.zeros(width, dtype=np.int16)
    unweights = np.zeros(width, dtype=np.int16)
    for chan in range(n_bands):
        denom = mel_low if chan == 0 else centers[chan - 1]
        for freq in range(edges[chan], edges[chan + 1]):
            weight = f32(f32(centers[chan] - mel_of_bin(freq)) / f32(centers[chan] - denom))
            weights[freq - start_index] = math.floor(float(weight * f32(1 << FILTERBANK_BITS)) + 0.5)
            unweights[freq - start_index] = math.floor((1.0 - float(weight)) * (1 << FILTERBANK_BITS) + 0.5)
    return Filterbank(np.array(edges, dtype=np.uint16), weights, unweights)


# ---- PCAN -----------------------------------------------------------------------------------
def pcan_gain_lut(s: FrontendSettings, input_bits: int) -> np.ndarray:
    """TFLM pcan_gain_control_util.c: piecewise-quadratic gain segments per power of two."""
    strength = f32(s.pcan_strength)
    offset = f32(s.pcan_offset)
    scale = f32(float(1 << s.pcan_gain_bits))
    divisor = f32(float(1 << input_bits))

    def gain(x: int) -> int:
        x_f = f32(f32(float(x)) / divisor)
        g = f32(scale * _powf(f32(x_f + offset), f32(-strength)))
        if g > 0x7FFF:
            return 0x7FFF
        return _trunc_int(f32(g + f32(0.5)))

    def wrap16(v: int) -> int:
        return (v + 0x8000) % 0x10000 - 0x8000

    lut = np.zeros(PCAN_LUT_SIZE, dtype=np.int16)
    lut[0] = gain(0)
    lut[1] = gain(1)
    for interval in range(2, 33):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == 32 else 2 * x0
        y0, y1, y2 = gain(x0), gain(x1), gain(x2)
        diff1, diff2 = y1 - y0, y2 - y0
        a1 = 4 * diff1 - diff2
        a2 = diff2 - a1
        base = 4 * interval - 6
        lut[base] = y0
        lut[base + 1] = wrap16(a1)
        lut[base + 2] = wrap16(a2)
    return lut


# ---- log ------------------------------------------------------------------------------------
def log_lut() -> np.ndarray:
    """Correction log2(1 + x) - x at 128 segments in Q16, plus one zero of padding."""
    values = [round((math.log2(1.0 + i / 128.0) - i / 128.0) * 65536.0) for i in range(129)]
    return np.array(values + [0], dtype=np.uint16)


# ---- everything together --------------------------------------------------------------------
@dataclass(frozen=True)
class FrontendTables:
    """Integer form of a FrontendSettings: what `fwgen_frontend_config_t` holds (same names)."""

    settings: FrontendSettings
    sample_rate_hz: int
    window_size: int
    window_step: int
    dc_notch_enable: int
    dc_notch_coef: int
    window: np.ndarray
    fft_length: int
    fft_radix: list[int]
    fft_input_order: np.ndarray
    fft_twiddles: np.ndarray
    fft_super_twiddles: np.ndarray
    n_channels: int
    spectrum_start: int
    spectrum_end: int
    band_edges: np.ndarray
    weights: np.ndarray
    unweights: np.ndarray
    noise_reduction_enable: int
    smoothing_bits: int
    even_smoothing: int
    odd_smoothing: int
    min_signal_remaining: int
    pcan_enable: int
    pcan_snr_shift: int
    pcan_gain_lut: np.ndarray | None
    log_enable: int
    log_scale_shift: int
    log_correction_bits: int
    log_lut: np.ndarray
    activity_enable: int
    activity_scale: int
    activity_alpha_a: int
    activity_alpha_b: int
    activity_arm_threshold: int
    activity_trip_threshold: int
    dynamic_scale_enable: int
    dynamic_scale_range: int

    @property
    def fft_n_stages(self) -> int:
        return len(self.fft_radix)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every table by its config field name (None tables left out)."""
        names = ("window", "fft_input_order", "fft_twiddles", "fft_super_twiddles", "band_edges",
                 "weights", "unweights", "pcan_gain_lut", "log_lut")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def state_buffers_size(self) -> int:
        """Bytes of state buffers after the header (mirrors layout_of() in frontend.c)."""
        def a8(n: int) -> int:
            return (n + 7) & ~7
        half = self.fft_length // 2
        return (a8(2 * self.window_size) + a8(2 * self.fft_length) + a8(4 * half)
                + a8(4 * (half + 1)) + 2 * a8(4 * self.n_channels))

    def scratch_size(self) -> int:
        """Bytes of those buffers one frame uses and no later one reads (fft_*, channels:
        fwgen_frontend_get_scratch_size in frontend.c)."""
        def a8(n: int) -> int:
            return (n + 7) & ~7
        half = self.fft_length // 2
        return (a8(2 * self.fft_length) + a8(4 * half) + a8(4 * (half + 1))
                + a8(4 * self.n_channels))


@lru_cache(maxsize=64)
def compute_tables(s: FrontendSettings) -> FrontendTables:
    """Tables for settings `s` (cached: equal settings share one read-only FrontendTables)."""
    tables = _compute_tables(s)
    for array in tables.arrays().values():
        array.flags.writeable = False
    return tables


def _compute_tables(s: FrontendSettings) -> FrontendTables:
    n_complex = s.fft_length // 2
    radices = fft_radices(n_complex)
    fb = filterbank(s)
    correction = _msb(s.fft_length) - 1 - FILTERBANK_BITS // 2
    snr_shift = s.pcan_gain_bits - correction - PCAN_SNR_BITS
    q14 = f32(1 << NOISE_BITS)
    return FrontendTables(
        settings=s,
        sample_rate_hz=s.sample_rate_hz,
        window_size=s.window_size,
        window_step=s.window_step,
        dc_notch_enable=int(s.dc_notch_filter_enable),
        dc_notch_coef=_trunc_int(f32(f32(s.dc_notch_filter_coefficient) * f32(1 << 15))),
        window=hann_window(s.window_size),
        fft_length=s.fft_length,
        fft_radix=radices,
        fft_input_order=fft_input_order(n_complex, radices),
        fft_twiddles=fft_twiddles(n_complex),
        fft_super_twiddles=fft_super_twiddles(n_complex),
        n_channels=s.n_channels,
        spectrum_start=fb.spectrum_start,
        spectrum_end=fb.spectrum_end,
        band_edges=fb.band_edges,
        weights=fb.weights,
        unweights=fb.unweights,
        noise_reduction_enable=int(s.noise_reduction_enable),
        smoothing_bits=s.noise_reduction_smoothing_bits,
        even_smoothing=_trunc_int(f32(f32(s.noise_reduction_even_smoothing) * q14)),
        odd_smoothing=_trunc_int(f32(f32(s.noise_reduction_odd_smoothing) * q14)),
        min_signal_remaining=_trunc_int(f32(f32(s.noise_reduction_min_signal_remaining) * q14)),
        pcan_enable=int(s.pcan_enable),
        pcan_snr_shift=snr_shift if s.pcan_enable else 0,
        pcan_gain_lut=(pcan_gain_lut(s, s.noise_reduction_smoothing_bits - correction)
                       if s.pcan_enable else None),
        log_enable=int(s.log_scale_enable),
        log_scale_shift=s.log_scale_shift,
        log_correction_bits=correction,
        log_lut=log_lut(),
        activity_enable=int(s.activity_detection_enable),
        activity_scale=math.ceil(math.log2(s.n_channels)),
        activity_alpha_a=_trunc_int(f32(f32(s.activity_detection_alpha_a) * f32(1 << 8))),
        activity_alpha_b=_trunc_int(f32(f32(s.activity_detection_alpha_b) * f32(1 << 8))),
        activity_arm_threshold=_trunc_int(f32(f32(s.activity_detection_arm_threshold) * f32(1 << 12))),
        activity_trip_threshold=_trunc_int(f32(f32(s.activity_detection_trip_threshold) * f32(1 << 12))),
        dynamic_scale_enable=int(s.quantize_dynamic_scale_enable),
        dynamic_scale_range=(_trunc_int(float(f32(f32(s.quantize_dynamic_scale_range_db)
                                                  * f32(1 << s.log_scale_shift))) * LN10_DIV_20)
                             if s.quantize_dynamic_scale_enable else 0),
    )
