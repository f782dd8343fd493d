"""`fwgen features`: run the bit-exact C frontend over a WAV file and save the features."""
from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import numpy as np

from fwgen.cli.base import Command
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


def _atomic_save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npy")
    try:
        np.save(tmp, array)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


def plot_features(features: np.ndarray, path: Path, title: str, step_ms: float) -> None:
    """Spectrogram image (time left to right, channel 0 at the bottom)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FwgenError("--plot needs matplotlib", hint="pip install 'fwgen[train]'") from None
    fig, ax = plt.subplots(figsize=(8, 3.5), dpi=100)
    n_frames, n_channels = features.shape if features.size else (0, features.shape[-1])
    extent = (0, n_frames * step_ms / 1000.0, -0.5, n_channels - 0.5)
    image = ax.imshow(features.T.astype(np.float32), origin="lower", aspect="auto",
                      interpolation="nearest", cmap="magma", extent=extent)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("channel")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=str(features.dtype))
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        fig.savefig(tmp)
        tmp.replace(path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()


class FeaturesCommand(Command):
    name = "features"
    help = "compute frontend features of a WAV file with the bit-exact C frontend"
    description = (
        "Compute the features a model sees for IN.wav with the same C frontend the board runs.\n"
        "SETTINGS is a JSON/YAML file of MLTK 'fe.*' keys, either flat or as named entries\n"
        "(e.g. {\"settings\": {\"micro_speech\": {...}}}; choose one with --entry).\n"
        "SETTINGS may also be a .tflite model carrying fwgen or MLTK metadata. The output .npy\n"
        "holds (frames, channels) uint16, or int8 with --dtype int8; settings with\n"
        "fe.frontend = logmel run the float log-mel frontend instead (float32).")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("input", type=Path, metavar="IN.wav", help="16-bit mono WAV file")
        parser.add_argument("--settings", type=Path, required=True, metavar="SETTINGS.json",
                            help="frontend settings (MLTK fe.* keys; JSON, YAML or a .tflite "
                                 "model with metadata)")
        parser.add_argument("--entry", metavar="NAME",
                            help="named entry in SETTINGS when it holds several")
        parser.add_argument("--dtype", choices=("uint16", "int8"), default="uint16",
                            help="feature type (int8: TFLM mapping, or MLTK dynamic scaling "
                                 "when fe.quantize_dynamic_scale_enable is set)")
        parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.npy",
                            help="where to write the features (.npy)")
        parser.add_argument("--plot", type=Path, metavar="OUT.png",
                            help="also write a spectrogram image")
        parser.add_argument("--convert", action="store_true",
                            help="convert stereo / non-16-bit / other-rate WAV files instead of "
                                 "failing (see fwgen.audio)")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.audio import read_wav
        from fwgen.frontend.settings import load_settings_dict

        for out in [args.output] + ([args.plot] if args.plot else []):
            if not out.parent.is_dir():
                raise FwgenError("output folder does not exist", where=str(out.parent))
        if args.output.suffix.lower() != ".npy":
            raise FwgenError("the output file must end in .npy", where=str(args.output))
        raw, where = load_settings_dict(args.settings, name=args.entry)
        kind = raw.get("fe.frontend", "microfrontend")
        if kind == "logmel":
            frontend, rate, step_ms, window = self._logmel(raw, args)
        else:
            from fwgen.frontend import FrontendSettings, Frontend
            settings = FrontendSettings.from_dict(raw, where=where, output_dtype=args.dtype)
            frontend, rate = Frontend(settings), settings.sample_rate_hz
            step_ms, window = settings.window_step_ms, settings.window_size
        audio = read_wav(args.input, expect_rate=rate, convert=args.convert)
        features = frontend.process(audio)
        if features.shape[0] == 0:
            raise FwgenError(f"the audio is {len(audio)} samples long, shorter than one "
                             f"{window}-sample window: no features", where=str(args.input))
        _atomic_save_npy(args.output, features)
        if args.plot:
            plot_features(features, args.plot, f"{args.input.name}: {features.shape[0]} frames x "
                          f"{features.shape[1]} channels ({features.dtype}, {kind})", step_ms)
        print(f"{args.output}: {features.shape[0]} frames x {features.shape[1]} channels "
              f"{features.dtype}" + (f"; plot {args.plot}" if args.plot else ""))
        return 0

    @staticmethod
    def _logmel(raw: dict, args: argparse.Namespace):
        """The float log-mel frontend (fe.frontend = logmel): float32 features, no --dtype."""
        if args.dtype != "uint16":
            raise FwgenError(f"--dtype {args.dtype} applies to the fixed-point microfrontend; "
                             "log-mel settings give float32 features", where=str(args.settings))
        from fwgen.frontend.logmel import LogMelFrontend
        frontend = LogMelFrontend(raw)
        s = frontend.settings
        return frontend, s.sample_rate_hz, s.window_step_ms, s.window_size
