"""The bit-exact fixed-point audio frontend (TFLM microfrontend semantics, as MLTK runs it), the
float log-mel frontend (`logmel/`) and `spec`, the one dispatch between them. May import tflite
and fwgen's leaves (errors, native, render); deploy/ and train/ build on it.

Public interface (stable; other parts of fwgen build on it):

* `FrontendSettings`: validated `fe.*` settings; `n_channels`, `window_size`, `window_step`
  (samples), `sample_rate`, `fft_length`, `output_dtype`, `frames_for(n_samples)`,
  `frames_per_clip`, `to_dict()`.
* `load_settings(source, name=None, output_dtype=None) -> FrontendSettings` from a dict, a
  FrontendSettings or a JSON/YAML file (flat `fe.*` keys or named entries).
* `Frontend(settings, output="uint16"|"int8")`: the C frontend on the host; `.process(audio)`
  -> (frames, channels), state carried across calls, `.reset()`, `.process_clips(clips)`,
  `.to_int8(features)`.
* `render_tables(settings) -> {"frontend_config.c": ..., "frontend_config.h": ...}`: the tables
  as C for a firmware project (defines `fwgen_frontend_config`, FWGEN_FRONTEND_STATE_SIZE).
* `compute_tables(settings) -> FrontendTables`: the integer tables both of those use.
* `fwgen.frontend.logmel`: the float log-mel frontend (YAMNet / ST model zoo), same pattern.
* Test images that run this C on the QEMU twins (tests, benchmarks) are built like shipped
  firmware by `fwgen.testing.harness`.

The C API is firmware/frontend/frontend.h.
"""
from fwgen.frontend.binding import Frontend
from fwgen.frontend.render import render_tables
from fwgen.frontend.settings import FrontendSettings, load_settings
from fwgen.frontend.tables import FrontendTables, compute_tables

__all__ = ["Frontend", "FrontendSettings", "FrontendTables", "compute_tables", "load_settings",
           "render_tables"]
