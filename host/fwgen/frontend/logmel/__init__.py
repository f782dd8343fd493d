"""The float log-mel frontend (YAMNet / ST model zoo spectrogram) for cores with an FPU.
May import numpy, fwgen.errors and fwgen.frontend.fft_plan; fwgen.native, fwgen.render at call time.

One C implementation (firmware/frontend/logmel.c) runs on the board and, through this package,
on the host. Python's job is the `_util` half, split as in the fixed-point microfrontend:

* `settings`: `LogMelSettings` (the `fe.*` keys, their defaults and checks), `SETTING_KEYS`,
  `SETTING_CHOICES`, `parse_settings`.
* `tables`: `compute_tables(settings) -> LogMelTables`: periodic Hann window times the int16
  input scale, FFT twiddles and input order, sparse HTK mel weights (`mel_weight_matrix`).
* `render`: `render_logmel_tables(settings) -> {"logmel_tables.h": ..., "logmel_tables.c": ...}`,
  the tables as `static const` C data for a firmware project.
* `binding`: `LogMelFrontend(settings)`, the C code on the host through ctypes (`process`,
  `features`, `patches`, `quantize`), and `quantize_s8`.
* `patches`: `frames_to_patches`, `pad_like_yamnet`: the model's windows over the frames.

Semantics (as tf.signal.stft + tf.signal.linear_to_mel_weight_matrix in YAMNet's features.py):
waveform = int16 / 32768, frames of window_size samples every window_step samples (no padding),
periodic Hann window, |rfft| zero-padded to fft_length, HTK mel (1127 ln(1 + f/700)) triangles
between the band limits with FFT bin 0 excluded, natural log of (mel + log_offset).
"""
from fwgen.frontend.logmel.binding import LogMelFrontend, quantize_s8
from fwgen.frontend.logmel.patches import frames_to_patches, pad_like_yamnet
from fwgen.frontend.logmel.render import c_float, render_logmel_tables
from fwgen.frontend.logmel.settings import (FRONTEND_NAME, INFORMATIONAL_KEYS, MAX_CHANNELS, MAX_FFT_LENGTH,
                                            MIN_FFT_LENGTH, SETTING_CHOICES, SETTING_KEYS, LogMelSettings,
                                            parse_settings)
from fwgen.frontend.logmel.tables import (HI_BITS, INPUT_SCALE, PREEMPHASIS, LogMelTables, compute_tables,
                                          fft_permutation, hertz_to_mel, mel_weight_matrix, preemphasis_gain,
                                          split_hi_lo)

__all__ = ["FRONTEND_NAME", "HI_BITS", "INFORMATIONAL_KEYS", "INPUT_SCALE", "MAX_CHANNELS", "MAX_FFT_LENGTH",
           "MIN_FFT_LENGTH", "PREEMPHASIS", "SETTING_CHOICES", "SETTING_KEYS", "LogMelFrontend", "LogMelSettings",
           "LogMelTables", "c_float", "compute_tables", "fft_permutation", "frames_to_patches", "hertz_to_mel",
           "mel_weight_matrix", "pad_like_yamnet", "parse_settings", "preemphasis_gain", "quantize_s8",
           "render_logmel_tables", "split_hi_lo"]
