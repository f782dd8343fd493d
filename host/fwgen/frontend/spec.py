"""Which frontend a model runs, decided in one place: `frontend_spec(settings)`.

A model's ``fe.*`` settings name their frontend with ``fe.frontend`` ("microfrontend", the
default, or "logmel"). `frontend_spec` reads that key, validates the settings with the named
frontend's own settings class and returns a `FrontendSpec`: the numbers the app, the host
reference and training share (rate, window, step, channels, what FEATURES carry on the link),
plus the kind-specific work behind one interface (tables for the project, the host frontend,
features as the device sends them, the int8 model input of a window). Every other module asks
the spec instead of looking at ``fe.frontend``. Adding a frontend kind is one `FrontendSpec`
subclass and one entry in `_KINDS`. `host_frontend(settings)` is the same for a settings file a
person wrote (`fwgen features`): the spec, validated strictly, and its host frontend.

    spec = frontend_spec(metadata.frontend, where="model.tflite")
    spec.kind, spec.sample_rate, spec.window_samples(49)
    spec.tables(inputs, input_quantization=(scale, zero_point))   # generated C files
    spec.link_features(pcm, input_quantization)                    # what FEATURES carry
    spec.model_input(window, input_quantization)                   # int8 model input
    spec, frontend = host_frontend(raw, where, output="int8")       # features of a WAV file
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Mapping

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

FRONTEND_KEY = "fe.frontend"
MICROFRONTEND = "microfrontend"
LOGMEL = "logmel"

#: (scale, zero_point) of the model's int8 input tensor.
Quantization = tuple[float, int]


def frontend_kind(settings: Mapping[str, Any], where: str = "model settings") -> str:
    """The frontend that ``fe.*`` settings name (``fe.frontend``; microfrontend when absent)."""
    kind = str(settings.get(FRONTEND_KEY, MICROFRONTEND))
    if kind not in _KINDS:
        raise FwgenError(f"{FRONTEND_KEY} = {kind!r} is not a frontend fwgen has", where=where,
                         hint=f"use one of {', '.join(_KINDS)}")
    return kind


def without_kind(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``fe.*`` settings without ``fe.frontend``, as the frontend modules take them."""
    return {k: v for k, v in settings.items() if k != FRONTEND_KEY}


@dataclass(frozen=True)
class FrontendSpec:
    """Which frontend the app runs and the numbers the app and the host reference share."""
    kind: str                  # "microfrontend" (fixed point) or "logmel" (float32)
    settings: Any              # FrontendSettings or LogMelSettings
    sample_rate: int
    window_size: int           # samples
    window_step: int           # samples
    n_channels: int
    feature_dtype: int         # FEATURES on the link: 0 uint16 (microfrontend), 1 int8 (logmel)
    default_stride: int
    channels_major: bool = False   # model input [channel][frame] (log-mel "channels_frames")
    #: The feature types its host frontend gives, the default first; and its name for a person.
    OUTPUTS: ClassVar[tuple[str, ...]] = ()
    LABEL: ClassVar[str] = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], where: str,
                      strict: bool = False) -> "FrontendSpec":
        """The spec `settings` describe (validated; `strict`: a settings file a person wrote,
        where keys a model's metadata only records must agree too)."""
        raise NotImplementedError

    @classmethod
    def check_output(cls, output: str | None, where: str) -> None:
        """FwgenError unless the host frontend gives `output` features (None: the default)."""
        if output is not None and output not in cls.OUTPUTS:
            raise FwgenError(f"{output} features are not the {cls.LABEL} frontend's: {cls.LABEL} "
                             f"settings give {' or '.join(cls.OUTPUTS)} features", where=where,
                             hint=f"ask for {cls.OUTPUTS[0]} features (the default)")

    def window_samples(self, n_frames: int) -> int:
        return (n_frames - 1) * self.window_step + self.window_size

    def check_window(self, n_frames: int, where: str) -> None:
        """Refuse a model whose input window this frontend cannot fill."""

    def tables(self, inputs: Mapping[str, str], input_quantization: Quantization) -> dict[str, str]:
        """The frontend's generated C for a project (tables as `static const`)."""
        raise NotImplementedError

    def host(self, output: str | None = None) -> Any:
        """The same C frontend built for this machine (fresh state), giving `output` features
        (one of OUTPUTS; None: the first)."""
        raise NotImplementedError

    def link_features(self, pcm: np.ndarray, input_quantization: Quantization) -> np.ndarray:
        """(frames, channels) features of a stream, exactly as the device sends FEATURES."""
        raise NotImplementedError

    def model_input(self, window: np.ndarray, input_quantization: Quantization) -> np.ndarray:
        """The int8 model input for a window of `link_features` rows, as the app builds it."""
        raise NotImplementedError


@dataclass(frozen=True)
class MicroFrontendSpec(FrontendSpec):
    """TFLM's fixed-point microfrontend as MLTK runs it: uint16 frames, int8 per window."""
    OUTPUTS = ("uint16", "int8")
    LABEL = "fixed-point microfrontend"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], where: str,
                      strict: bool = False) -> "MicroFrontendSpec":
        from fwgen.frontend.settings import FrontendSettings

        fe = without_kind(settings)
        if not strict:
            fe.pop("fe.fft_length", None)  # derived from the window; MLTK files carry it
        s = FrontendSettings.from_dict(fe, where=f"{where}: frontend settings",
                                       output_dtype="int8")
        return cls(kind=MICROFRONTEND, settings=s, sample_rate=s.sample_rate,
                   window_size=s.window_size, window_step=s.window_step,
                   n_channels=s.n_channels, feature_dtype=0, default_stride=1)

    def tables(self, inputs: Mapping[str, str], input_quantization: Quantization) -> dict[str, str]:
        from fwgen.frontend.render import render_tables

        return render_tables(self.settings)

    def host(self, output: str | None = None) -> Any:
        from fwgen.frontend.binding import Frontend

        return Frontend(self.settings, output=output or self.OUTPUTS[0])

    def link_features(self, pcm: np.ndarray, input_quantization: Quantization) -> np.ndarray:
        return self.host().process(pcm)

    def model_input(self, window: np.ndarray, input_quantization: Quantization) -> np.ndarray:
        # The int8 mapping runs over the whole window (MLTK's dynamic scaling needs all of it).
        return self._converter.to_int8(window)

    @cached_property
    def _converter(self) -> Any:
        return self.host()


@dataclass(frozen=True)
class LogMelSpec(FrontendSpec):
    """The float log-mel frontend (YAMNet / ST model zoo): int8 features at the model's scale."""
    OUTPUTS = ("float32",)
    LABEL = "log-mel"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], where: str,
                      strict: bool = False) -> "LogMelSpec":
        from fwgen.frontend.logmel import LogMelSettings

        s = LogMelSettings.from_dict(dict(settings), where=where)
        return cls(kind=LOGMEL, settings=s, sample_rate=s.sample_rate_hz,
                   window_size=s.window_size, window_step=s.window_step,
                   n_channels=s.n_channels, feature_dtype=1,
                   default_stride=s.patch_hop_frames,
                   channels_major=s.patch_layout == "channels_frames")

    def check_window(self, n_frames: int, where: str) -> None:
        if n_frames != self.settings.patch_frames:
            raise FwgenError(f"model input holds {n_frames} frames, fe.patch_frames is "
                             f"{self.settings.patch_frames}", where=where)

    def tables(self, inputs: Mapping[str, str], input_quantization: Quantization) -> dict[str, str]:
        from fwgen.frontend.logmel import render_logmel_tables

        return render_logmel_tables(self.settings, dict(inputs),
                                    input_quantization=input_quantization)

    def host(self, output: str | None = None) -> Any:
        from fwgen.frontend.logmel import LogMelFrontend

        self.check_output(output, where="log-mel frontend")
        return LogMelFrontend(self.settings)

    def link_features(self, pcm: np.ndarray, input_quantization: Quantization) -> np.ndarray:
        scale, zero_point = input_quantization
        logmel = self.host()
        return logmel.quantize(logmel.process(pcm), float(scale), int(zero_point))

    def model_input(self, window: np.ndarray, input_quantization: Quantization) -> np.ndarray:
        return window.T if self.channels_major else window


# The one dispatch: frontend kind -> its spec (made from ``fe.*`` settings by from_settings).
_KINDS: dict[str, type[FrontendSpec]] = {
    MICROFRONTEND: MicroFrontendSpec,
    LOGMEL: LogMelSpec,
}
FRONTENDS = tuple(_KINDS)


def frontend_spec(settings: Mapping[str, Any], where: str = "model settings") -> FrontendSpec:
    """The validated frontend that ``fe.*`` settings (a model's metadata.frontend) describe."""
    return _KINDS[frontend_kind(settings, where)].from_settings(settings, where)


def host_frontend(settings: Mapping[str, Any], where: str = "frontend settings", *,
                  output: str | None = None) -> tuple[FrontendSpec, Any]:
    """The spec of a settings file a person wrote (strict: fe.fft_length, which a model's
    metadata records beside the window, must agree with it) and its host frontend giving
    `output` features (None: the kind's default). An output the kind has not is refused
    before the settings are validated."""
    kind = _KINDS[frontend_kind(settings, where)]
    kind.check_output(output, where)
    spec = kind.from_settings(settings, where, strict=True)
    return spec, spec.host(output)
