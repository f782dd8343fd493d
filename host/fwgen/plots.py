"""Pictures fwgen writes (matplotlib, imported when drawn; a leaf every layer may use): the
confusion matrix of fwgen evaluate and fwgen test, and one stream as the device saw it for the
HTML report (spectrogram over smoothed scores, PNG bytes)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np


def confusion_png(matrix: np.ndarray, rows: Sequence[str], columns: Sequence[str], path: Path, *,
                  title: str = "", xlabel: str = "predicted", max_annotated: int = 20) -> Path:
    """A labelled confusion-matrix heat map (rows: true class, columns: predicted), each cell
    written in when there are at most `max_annotated` rows. No timestamp in the file."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    matrix = np.asarray(matrix)
    size = max(4.0, 0.45 * len(columns) + 2.0)
    fig, ax = plt.subplots(figsize=(size, size), dpi=100)
    try:
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(columns)), labels=list(columns), rotation=90)
        ax.set_yticks(range(len(rows)), labels=list(rows))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("true")
        if title:
            ax.set_title(title)
        if len(rows) <= max_annotated:
            peak = matrix.max() if matrix.size else 0
            for (i, j), value in np.ndenumerate(matrix):
                ax.text(j, i, str(value), ha="center", va="center",
                        color="white" if peak and value > peak / 2 else "black", fontsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, metadata={"Software": None})
    finally:
        plt.close(fig)
    return path


# Detection markers: a true detection (the clip's own keyword), a false one, and one of an
# unlabelled clip (fwgen run).
DETECTION_MARKS = {
    "true": {"marker": "o", "color": "#1a7f37", "label": "detection (true)"},
    "false": {"marker": "X", "color": "#cf222e", "label": "detection (false)"},
    "unlabelled": {"marker": "D", "color": "#0969da", "label": "detection"},
}
# Class lines: tab10 without its green and red (those are the detection markers').
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                 "#17becf")
MAX_IMAGE_COLUMNS = 1600      # a long stream's spectrogram is max-pooled down to this many frames


def _pool_columns(image: np.ndarray, limit: int) -> np.ndarray:
    """(frames, channels) max-pooled along frames to at most `limit` rows (peaks stay visible)."""
    if image.shape[0] <= limit:
        return image
    step = -(-image.shape[0] // limit)
    pad = (-image.shape[0]) % step
    padded = np.concatenate([image, np.repeat(image[-1:], pad, axis=0)]) if pad else image
    return padded.reshape(-1, step, image.shape[1]).max(axis=1)


def _png_bytes(fig) -> bytes:
    """The figure as a 128-colour palette PNG (a third of matplotlib's RGBA size here; octree
    keeps the few line colours that median cut merges into the spectrogram's)."""
    import io

    from PIL import Image  # noqa: PLC0415  (matplotlib's own dependency)

    raw = io.BytesIO()
    fig.savefig(raw, format="png", metadata={"Software": None})
    raw.seek(0)
    with Image.open(raw) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE,
                                              dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def stream_png(*, features: np.ndarray, first_frame_ms: float, frame_step_ms: float,
               scores: np.ndarray, score_ms: np.ndarray, classes: Sequence[str],
               thresholds: Sequence[int | None], detections: Sequence[tuple[int, int, str]],
               clip_ms: float, onset_ms: int | None = None, score_label: str = "smoothed score",
               width_in: float = 7.5, dpi: int = 80) -> bytes:
    """One clip as the device saw it, as PNG bytes: the feature spectrogram over the scores of
    every class (one line each, its threshold dashed where it can fire), detections as markers
    (`(time_ms, score, kind)`, kind a key of DETECTION_MARKS), the keyword onset dotted, the
    padding around the clip shaded."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    image = _pool_columns(np.asarray(features), MAX_IMAGE_COLUMNS)
    end_ms = first_frame_ms + frame_step_ms * max(len(features) - 1, 0)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(width_in, 3.4), dpi=dpi, sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.25]})
    try:
        if image.size:
            top.imshow(image.T, origin="lower", aspect="auto", cmap="magma",
                       interpolation="nearest",
                       extent=(first_frame_ms, max(end_ms, first_frame_ms + 1), 0, image.shape[1]))
        top.set_ylabel("channel", fontsize=7)
        for c, name in enumerate(classes):
            colour = CLASS_COLOURS[c % len(CLASS_COLOURS)]
            if len(score_ms):
                bottom.plot(score_ms, scores[:, c], color=colour, linewidth=1.1, label=name)
            if thresholds[c] is not None:
                bottom.axhline(thresholds[c], color=colour, linewidth=0.8, linestyle="--")
        for kind, mark in DETECTION_MARKS.items():
            hits = [(t, s) for t, s, k in detections if k == kind]
            if hits:
                bottom.scatter([t for t, _ in hits], [s for _, s in hits], s=34, zorder=5,
                               edgecolors="black", linewidths=0.5, marker=mark["marker"],
                               color=mark["color"], label=mark["label"])
        for ax in (top, bottom):
            left, right = min(first_frame_ms, 0.0), max(end_ms, clip_ms)
            if left < 0:
                ax.axvspan(left, 0, color="grey", alpha=0.18, linewidth=0)
            if right > clip_ms:
                ax.axvspan(clip_ms, right, color="grey", alpha=0.18, linewidth=0)
            if onset_ms is not None:
                ax.axvline(onset_ms, color="#0969da", linestyle=":", linewidth=1.2)
            ax.tick_params(labelsize=7)
        bottom.set_ylim(-4, 260)
        bottom.set_ylabel(score_label, fontsize=7)
        bottom.set_xlabel("ms from the clip's start (shaded: padding; dotted: keyword onset)",
                          fontsize=7)
        bottom.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                      borderaxespad=0, frameon=False)
        # Fixed margins (tight_layout would draw the figure once more): room for the axis
        # labels on the left and the legend on the right.
        fig.subplots_adjust(left=0.75 / width_in, right=1 - 1.3 / width_in, top=0.97,
                            bottom=0.14, hspace=0.06)
        return _png_bytes(fig)
    finally:
        plt.close(fig)

