"""The `_util` half of the log-mel frontend, in Python: settings -> the float32/uint16 tables.

The C code (firmware/frontend/logmel.c) builds no tables of its own: the periodic Hann window
times the int16 input scale (split into a high and a low float32 part so that int16 * hi is
exact), the pre-emphasised window and the gain that undoes the pre-emphasis, the FFT twiddles and
input order, and the sparse HTK mel weights all come from here. `LogMelTables` is the single
source for the generated C (fwgen.frontend.logmel.render) and for the host binding (.binding).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.fft_plan import dit_input_order, radix_stages
from fwgen.frontend.logmel.settings import LogMelSettings, parse_settings, setting_error

INPUT_SCALE = 1.0 / 32768.0
# Circular pre-emphasis coefficient of the FFT input (a numerical device, not a setting: its
# effect on magnitudes is undone exactly; see firmware/frontend/logmel.h).
PREEMPHASIS = 0.9
HI_BITS = 8  # significant bits of the window's high part: int16 * hi is exact in float32


@dataclass(frozen=True)
class LogMelTables:
    """Everything the C code reads, as the exact float32/uint16 arrays it gets."""

    settings: LogMelSettings
    window_hi: np.ndarray     # float32 [window_size]: hann/32768 to HI_BITS significant bits
    window_lo: np.ndarray     # float32 [window_size]: the rest
    preemph_hi: np.ndarray    # float32 [window_size]: PREEMPHASIS * hann/32768, high part
    preemph_lo: np.ndarray    # float32 [window_size]: the rest
    preemph_inv_gain: np.ndarray  # float32 [n_bins]: 1 / |1 - a exp(-2 pi i k/N)|
    twiddles: np.ndarray      # float32 [fft_length/2, 2]: cos(2 pi k/N), -sin(2 pi k/N)
    permutation: np.ndarray   # uint16 [fft_length/2]: FFT input order (see fft_permutation)
    band_start: np.ndarray    # uint16 [n_channels]
    band_len: np.ndarray      # uint16 [n_channels]
    band_weights: np.ndarray  # float32 [sum(band_len)]: HTK triangle weights

    def dense_mel_matrix(self) -> np.ndarray:
        """The float32 weights as a dense (n_bins, n_channels) matrix (for checks and plots)."""
        s = self.settings
        out = np.zeros((s.n_bins, s.n_channels), dtype=np.float32)
        off = 0
        for c in range(s.n_channels):
            start, n = int(self.band_start[c]), int(self.band_len[c])
            out[start:start + n, c] = self.band_weights[off:off + n]
            off += n
        return out


def hertz_to_mel(freq: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: 1127 ln(1 + f / 700)."""
    return 1127.0 * np.log1p(np.asarray(freq, dtype=np.float64) / 700.0)


def mel_weight_matrix(settings: LogMelSettings) -> np.ndarray:
    """Dense float64 (n_bins, n_channels) HTK mel triangle weights (fe.filterbank_weights style)."""
    s = settings
    if s.filterbank_weights == "librosa":
        return _librosa_weights(s)
    linear = np.linspace(0.0, s.sample_rate_hz / 2.0, s.n_bins)[1:]
    bins_mel = hertz_to_mel(linear)[:, None]
    edges = np.linspace(hertz_to_mel(s.lower_band_limit), hertz_to_mel(s.upper_band_limit),
                        s.n_channels + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes))
    return np.concatenate([np.zeros((1, s.n_channels)), weights], axis=0)


def split_hi_lo(values: np.ndarray, bits: int = HI_BITS) -> tuple[np.ndarray, np.ndarray]:
    """float64 values as float32 hi (`bits` significant bits) + float32 lo (the remainder)."""
    mantissa, exponent = np.frexp(np.asarray(values, dtype=np.float64))
    hi = np.ldexp(np.round(mantissa * (1 << bits)) / (1 << bits), exponent)
    return hi.astype(np.float32), (values - hi).astype(np.float32)


def preemphasis_gain(settings: LogMelSettings) -> np.ndarray:
    """|H[k]| = |1 - a exp(-2 pi i k / N)| for k = 0 .. N/2 (float64)."""
    k = np.arange(settings.n_bins, dtype=np.float64)
    return np.abs(1.0 - PREEMPHASIS * np.exp(-2j * np.pi * k / settings.fft_length))


def fft_permutation(m: int) -> np.ndarray:
    """Input order of the C's m-point complex FFT (radix-4 stages, plus radix-2 if m = 2*4^k).

    Position p holds complex sample permutation[p]: base-4 digit reversal when m is a power of
    four; otherwise the even samples' digit-reversed order in the first half, the odd samples'
    in the second (fwgen.frontend.fft_plan, radix-2 stage outermost).
    """
    if m & (m - 1) or m < 4:
        raise FwgenError(f"the FFT size {m} must be a power of two >= 4")
    return dit_input_order(m, radix_stages(m, radix2_first=True))


def _librosa_weights(s: LogMelSettings) -> np.ndarray:
    """Triangles linear in Hz between HTK-mel-spaced edges, unnormalized (htk=True, norm=None)."""
    freqs = np.linspace(0.0, s.sample_rate_hz / 2.0, s.n_bins)
    mels = np.linspace(hertz_to_mel(s.lower_band_limit), hertz_to_mel(s.upper_band_limit), s.n_channels + 2)
    edges = 700.0 * np.expm1(mels / 1127.0)
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    weights = np.zeros((s.n_bins, s.n_channels))
    for c in range(s.n_channels):
        lower = -ramps[c] / widths[c]
        upper = ramps[c + 2] / widths[c + 1]
        weights[:, c] = np.maximum(0.0, np.minimum(lower, upper))
    return weights


def compute_tables(settings: Mapping[str, Any] | LogMelSettings | None) -> LogMelTables:
    """Every table of a log-mel configuration (validates the settings first)."""
    s = parse_settings(settings)
    n = np.arange(s.window_size, dtype=np.float64)
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / s.window_size)  # periodic
    window = hann * INPUT_SCALE
    window_hi, window_lo = split_hi_lo(window)
    preemph_hi, preemph_lo = split_hi_lo(PREEMPHASIS * window)
    half = s.fft_length // 2
    k = np.arange(half, dtype=np.float64)
    twiddles = np.stack([np.cos(2.0 * np.pi * k / s.fft_length),
                         -np.sin(2.0 * np.pi * k / s.fft_length)], axis=1).astype(np.float32)
    permutation = fft_permutation(half)
    mel = mel_weight_matrix(s)
    dense = mel.astype(np.float32)
    starts, lens, weights = [], [], []
    for c in range(s.n_channels):
        nz = np.flatnonzero(mel[:, c])
        if nz.size == 0:
            starts.append(0)
            lens.append(0)
            continue
        first, last = int(nz[0]), int(nz[-1])
        starts.append(first)
        lens.append(last - first + 1)
        weights.append(dense[first:last + 1, c])
    if not any(lens):
        raise setting_error("fe.filterbank_n_channels", s.n_channels,
                            "no FFT bin falls inside any mel band: widen the band limits or raise "
                            "fe.fft_length")
    return LogMelTables(
        settings=s, window_hi=window_hi, window_lo=window_lo, preemph_hi=preemph_hi,
        preemph_lo=preemph_lo, preemph_inv_gain=(1.0 / preemphasis_gain(s)).astype(np.float32),
        twiddles=twiddles, permutation=permutation,
        band_start=np.array(starts, dtype=np.uint16), band_len=np.array(lens, dtype=np.uint16),
        band_weights=np.concatenate(weights).astype(np.float32))
