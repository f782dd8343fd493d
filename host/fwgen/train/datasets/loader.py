"""`open_dataset(data, classes, options)`: the dataset that `--data` and a recipe name.

``synthetic`` (generated with espeak-ng, cached: keywords, or sound events for ``kind: esc50``),
a Speech Commands folder, or an ESC-50 folder (``meta/esc50.csv``). The dataset classes are
imported when asked for, so opening one never loads the others' dependencies.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

from fwgen.errors import FwgenError
from fwgen.train.progress import Progress, no_progress

LOG = logging.getLogger(__name__)

def open_dataset(data: str | Path, classes: Sequence[str], options: Mapping[str, Any], *,
                 sample_rate_hz: int = 16_000, progress: Progress = no_progress) -> Any:
    """The dataset named by `data` (``synthetic`` or a folder), set up for `classes`."""
    from fwgen.train.datasets.esc50 import Esc50  # noqa: PLC0415
    from fwgen.train.datasets.speech_commands import SILENCE, UNKNOWN, SpeechCommands  # noqa
    from fwgen.train.datasets.synthetic import (SyntheticKeywordSpec,  # noqa: PLC0415
                                                ensure_synthetic_keywords)

    opts = {k: v for k, v in options.items() if k != "kind"}
    kind = str(options.get("kind", "speech_commands"))
    if kind not in ("speech_commands", "esc50"):
        raise FwgenError(f"unknown dataset kind '{kind}'", hint="use speech_commands or esc50")
    synthetic_options = dict(opts.pop("synthetic", {}) or {})
    wanted = tuple(c for c in classes if c not in (SILENCE, UNKNOWN))
    esc_fields = {k: v for k, v in opts.items() if k in Esc50.__dataclass_fields__}
    if str(data) == "synthetic":
        if kind == "esc50":
            from fwgen.train.datasets.sound_events import (SoundEventSpec,  # noqa: PLC0415
                                                           ensure_sound_events)

            spec = SoundEventSpec(**synthetic_options)
            root = ensure_sound_events(
                spec, progress=lambda d, t: progress("generate", d, t, {}))
            esc_fields["clip_ms"] = spec.clip_ms
            return Esc50(root, sample_rate_hz=sample_rate_hz, **esc_fields)
        spec = SyntheticKeywordSpec(keywords=wanted, **synthetic_options)
        root = ensure_synthetic_keywords(
            spec, progress=lambda d, t: progress("generate", d, t, {}))
        return SpeechCommands(root, wanted_words=wanted, sample_rate_hz=sample_rate_hz,
                              name="synthetic", **opts)
    root = Path(data)
    if not root.is_dir():
        raise FwgenError("dataset folder not found", where=str(root),
                         hint="pass a Speech Commands or ESC-50 folder, or 'synthetic'")
    if (root / "meta" / "esc50.csv").is_file():
        # Sound-event datasets bring their own classes (ESC-10 / ESC-50 categories).
        return Esc50(root, sample_rate_hz=sample_rate_hz, **esc_fields)
    if kind == "esc50":
        raise FwgenError("not an ESC-50 folder (meta/esc50.csv missing)", where=str(root))
    allowed = SpeechCommands.__dataclass_fields__
    return SpeechCommands(root, wanted_words=wanted, sample_rate_hz=sample_rate_hz,
                          **{k: v for k, v in opts.items() if k in allowed and k != "root"})
