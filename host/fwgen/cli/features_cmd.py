"""`fwgen features`: run the bit-exact C frontend over a WAV file and save the features.

    fwgen features IN.wav --settings SETTINGS.json [--entry NAME] [--dtype int8] -o OUT.npy
                   [--plot OUT.png] [--convert]

SETTINGS holds MLTK `fe.*` keys (fwgen.frontend.settings lists them; `fe.frontend = logmel`
selects fwgen.frontend.logmel): `fwgen.frontend.spec.host_frontend` decides the kind, as for
every verb, and builds its host frontend.
The WAV must be 16-bit mono at fe.sample_rate_hz, or `--convert` converts it as fwgen.audio
documents. OUT.npy is (frames, channels): uint16, int8 with --dtype int8, float32 for log-mel
settings. Outputs are checked before any work and written to temporary files that are renamed
at the end, so an error leaves nothing behind.
`fwgen features --help` prints the keys with their defaults (built from the settings classes).
"""
from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import numpy as np

from fwgen.cli.base import Command
from fwgen.errors import FwgenError
from fwgen.frontend.spec import host_frontend

LOG = logging.getLogger(__name__)


PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _temp_path(path: Path) -> Path:
    """A hidden sibling of `path` (same folder, so the final rename is atomic)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def _check_output(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    """Fail before any work if `path` cannot be an output file of this kind."""
    if path.suffix.lower() not in suffixes:
        raise FwgenError(f"the {what} file must end in {' or '.join(suffixes)}", where=str(path))
    if path.is_dir():
        raise FwgenError(f"the {what} path is a folder", where=str(path),
                         hint=f"give a file name, e.g. {path / ('features' + suffixes[0])}")
    if not path.parent.is_dir():
        raise FwgenError("output folder does not exist", where=str(path.parent),
                         hint=f"create it first (mkdir -p {path.parent})")
    if not os.access(path.parent, os.W_OK):
        raise FwgenError("output folder is not writable", where=str(path.parent))


def _write_error(path: Path, exc: OSError) -> FwgenError:
    return FwgenError(f"cannot write: {exc.strerror or exc}", where=str(path),
                      hint="check the output path and its folder's permissions")


def _commit(outputs: dict[Path, Path]) -> None:
    """Rename finished temporary files to their final names; all of them or none is kept."""
    done: list[Path] = []
    for final, tmp in outputs.items():
        try:
            tmp.replace(final)
        except OSError as exc:
            for path in done:
                path.unlink(missing_ok=True)
            raise _write_error(final, exc) from None
        done.append(final)


def plot_features(features: np.ndarray, path: Path, title: str, step_ms: float) -> None:
    """Spectrogram image (time left to right, channel 0 at the bottom), written to `path`
    (its suffix names the format: .png, .svg or .pdf). OSError propagates."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FwgenError("--plot needs matplotlib", hint="pip install 'fwgen[train]'") from None
    fig, ax = plt.subplots(figsize=(8, 3.5), dpi=100)
    try:
        n_frames, n_channels = features.shape
        extent = (0, n_frames * step_ms / 1000.0, -0.5, n_channels - 0.5)
        image = ax.imshow(features.T.astype(np.float32), origin="lower", aspect="auto",
                          interpolation="nearest", cmap="magma", extent=extent)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("channel")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, label=str(features.dtype))
        fig.tight_layout()
        fig.savefig(path, format=path.suffix.lstrip(".").lower())
    finally:
        plt.close(fig)


def _key_lines(pairs: list[tuple[str, object]], width: int = 92) -> list[str]:
    """'fe.key=default' items wrapped into indented lines."""
    lines, line = [], "   "
    for key, default in pairs:
        item = f" {key}={default}"
        if len(line) + len(item) > width:
            lines.append(line)
            line = "   "
        line += item
    return lines + [line]


def _description() -> str:
    """--help text; the key lists come from the settings classes themselves (one source)."""
    from fwgen.frontend.logmel import SETTING_CHOICES, LogMelSettings
    from fwgen.frontend.settings import FrontendSettings

    micro = [(k, v) for k, v in FrontendSettings().to_dict().items() if k != "fe.fft_length"]
    logmel = [(k, "|".join(SETTING_CHOICES[k]) if k in SETTING_CHOICES else v)
              for k, v in LogMelSettings().to_dict().items() if k != "fe.frontend"]
    return "\n".join([
        "Compute the features a model sees for IN.wav with the same C frontend the board runs",
        "(compiled for this machine; bit-exact with the device build).",
        "",
        "SETTINGS: a JSON or YAML file of MLTK 'fe.*' keys, flat ({\"fe.window_size_ms\": 30, ...})",
        "  or as named entries ({\"settings\": {\"NAME\": {...}}}, pick one with --entry NAME), fwgen",
        "  model metadata ({\"frontend\": {...}}), or a .tflite model carrying fwgen or MLTK metadata.",
        "  Missing keys take the defaults below; unknown keys and out-of-range values are errors",
        "  that name the key, the value and the limit. fe.frontend picks the frontend:",
        "  microfrontend (default): TFLM's fixed-point microfrontend as MLTK runs it; keys and",
        "  defaults (booleans as 0/1; fe.fft_length may be given but is derived from the window):",
        *_key_lines(micro),
        "  logmel: the float log-mel spectrogram of YAMNet / the ST model zoo; keys and defaults:",
        *_key_lines(logmel),
        "",
        "AUDIO: 16-bit PCM mono WAV at fe.sample_rate_hz. Another rate, several channels, 8/24/32-bit",
        "  or float samples, or a truncated data chunk are errors; --convert instead reads what is",
        "  present, maps samples to float (full scale 1.0), averages the channels, resamples by",
        "  FFT (band-limited) and rounds back to int16 with clipping. A 16-bit mono file at the",
        "  right rate is used untouched either way.",
        "",
        "OUTPUT: OUT.npy holds one row per frame in time order and one column per mel channel,",
        "  lowest frequency first: shape (frames, channels) with frames = 1 + (samples - window)",
        "  // step (window, step = fe.window_size_ms, fe.window_step_ms in samples). dtype uint16",
        "  by default; --dtype int8 maps u16 -> clip((u16 * 256 + 333) // 666 - 128) (TFLM), or",
        "  scales the clip's dynamic range (MLTK) when fe.quantize_dynamic_scale_enable = 1;",
        "  float32 natural-log values for logmel settings. --plot writes a spectrogram image",
        "  (.png, .svg or .pdf; time left to right, channel 0 at the bottom). Files are written",
        "  whole or not at all.",
    ])


class FeaturesCommand(Command):
    name = "features"
    help = "compute frontend features of a WAV file with the bit-exact C frontend"
    description = _description()

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("input", type=Path, metavar="IN.wav", help="16-bit mono WAV file (see AUDIO)")
        parser.add_argument("--settings", type=Path, required=True, metavar="SETTINGS.json",
                            help="frontend settings (MLTK fe.* keys; JSON, YAML or a .tflite "
                                 "model with metadata)")
        parser.add_argument("--entry", metavar="NAME",
                            help="named entry in SETTINGS when it holds several")
        parser.add_argument("--dtype", choices=("uint16", "int8"),
                            help="microfrontend feature type (default uint16; int8: TFLM "
                                 "mapping, or MLTK dynamic scaling when "
                                 "fe.quantize_dynamic_scale_enable is set); log-mel settings "
                                 "give float32 and take none")
        parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.npy",
                            help="where to write the features (.npy)")
        parser.add_argument("--plot", type=Path, metavar="OUT.png",
                            help="also write a spectrogram image (.png, .svg or .pdf)")
        parser.add_argument("--convert", action="store_true",
                            help="convert stereo / non-16-bit / other-rate / truncated WAV files "
                                 "instead of failing (see AUDIO)")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.audio import read_wav
        from fwgen.frontend.settings import load_settings_dict

        _check_output(args.output, (".npy",), "output")
        if args.plot:
            _check_output(args.plot, PLOT_SUFFIXES, "--plot")
        raw, where = load_settings_dict(args.settings, name=args.entry)
        spec, frontend = host_frontend(raw, where, output=args.dtype)
        audio = read_wav(args.input, expect_rate=spec.sample_rate, convert=args.convert)
        features = frontend.process(audio)
        if features.shape[0] == 0:
            raise FwgenError(f"the audio is {len(audio)} samples long, shorter than one "
                             f"{spec.window_size}-sample window: no features",
                             where=str(args.input))
        # Everything goes to temporary files first, then is renamed: an error at any point
        # leaves neither a partial .npy nor a plot without its features.
        outputs = {args.output: _temp_path(args.output)}
        if args.plot:
            outputs[args.plot] = _temp_path(args.plot)
        try:
            try:
                np.save(outputs[args.output], features)
            except OSError as exc:
                raise _write_error(args.output, exc) from None
            if args.plot:
                try:
                    plot_features(features, outputs[args.plot],
                                  f"{args.input.name}: {features.shape[0]} frames x "
                                  f"{features.shape[1]} channels ({features.dtype}, "
                                  f"{spec.kind})", 1000.0 * spec.window_step / spec.sample_rate)
                except OSError as exc:
                    raise _write_error(args.plot, exc) from None
            _commit(outputs)
        finally:
            for tmp in outputs.values():
                tmp.unlink(missing_ok=True)
        print(f"{args.output}: {features.shape[0]} frames x {features.shape[1]} channels "
              f"{features.dtype}" + (f"; plot {args.plot}" if args.plot else ""))
        return 0
