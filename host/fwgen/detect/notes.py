"""Why the detector reported one class twice in quick succession: a note per repeat.

The detector follows MLTK's RecognizeCommands: a class that fired is suppressed for
`suppression_ms`, and only while no other class fired since. When `suppression_ms` is shorter
than the time a sound's averaged score stays above the threshold (its scores stay in the
`average_window_duration_ms` window, and the model sees the sound for its whole input window),
one sound is reported twice: MLTK's keyword models (1000 ms window, suppression_ms 750, an
inference every 20 ms) repeat a word 760 ms later. These notes name the setting that allowed
the repeat, so `fwgen run` can say it instead of leaving the user to guess.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Mapping

from fwgen.detect.settings import SmoothingSettings

LOG = logging.getLogger(__name__)


def _pairs(detections: Iterable[Any]) -> list[tuple[int, str]]:
    """(time_ms, class) from (time_ms, class) pairs or dicts with 'time_ms' and 'class'."""
    out = []
    for d in detections:
        if isinstance(d, Mapping):
            out.append((int(d["time_ms"]), str(d["class"])))
        else:
            time_ms, name = d
            out.append((int(time_ms), str(name)))
    return out


def _settings(smoothing: SmoothingSettings | Mapping[str, Any] | None) -> SmoothingSettings:
    if smoothing is None:
        return SmoothingSettings()
    if isinstance(smoothing, SmoothingSettings):
        return smoothing
    return SmoothingSettings.from_model_parameters(smoothing)


def repeat_detection_notes(detections: Iterable[Any],
                           smoothing: SmoothingSettings | Mapping[str, Any] | None = None, *,
                           input_ms: int = 0) -> list[str]:
    """One line per detection that repeats the class of an earlier one soon enough to be the
    same sound, naming the setting that let it through; [] when nothing repeats.

    `detections`: in time order, (time_ms, class) pairs or `fwgen run`'s detection dicts
    (keys 'time_ms', 'class'). `smoothing`: the detector's settings (a `SmoothingSettings` or
    a smoothing/model-parameters mapping; None = the defaults). `input_ms`: how long the
    model's input window is (a sound stays in view that long); a repeat within
    suppression_ms + the averaging window + input_ms of the previous one gets a note.
    """
    s = _settings(smoothing)
    window = s.average_window_duration_ms if s.minimum_count > 0 else 0
    reach = s.suppression_ms + window + max(0, int(input_ms))
    events = _pairs(detections)
    notes = []
    for i, (now, name) in enumerate(events):
        previous = next((j for j in range(i - 1, -1, -1) if events[j][1] == name), None)
        if previous is None:
            continue
        then = events[previous][0]
        gap = now - then
        between = [f"'{other}' at {t} ms" for t, other in events[previous + 1:i]]
        head = f"'{name}' at {now} ms repeats the '{name}' at {then} ms ({gap} ms earlier): "
        if between and gap <= s.suppression_ms:
            notes.append(head + f"suppression_ms ({s.suppression_ms} ms) holds back only the class "
                                f"detected last, and {', '.join(between)} came in between")
        elif gap <= reach:
            held = (f"while the {s.average_window_duration_ms} ms averaging window "
                    f"(average_window_duration_ms) still held scores from the first one"
                    if window else "while the model still heard the same sound")
            notes.append(head + f"suppression_ms = {s.suppression_ms} ms had ended {held}; "
                                f"to report one sound once, raise it to at least {gap} ms "
                                f"(--smoothing suppression_ms={gap})")
    return notes
