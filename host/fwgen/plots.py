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


# Detection markers: a true detection (the clip's own keyword) and a false one.
TRUE_MARK = {"marker": "o", "color": "#1a7f37", "label": "detection (true)"}
FALSE_MARK = {"marker": "X", "color": "#cf222e", "label": "detection (false)"}
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
    """The figure as a palette PNG (a tenth of matplotlib's RGBA size for these plots)."""
    import io

    from PIL import Image  # noqa: PLC0415  (matplotlib's own dependency)

    raw = io.BytesIO()
    fig.savefig(raw, format="png", metadata={"Software": None})
    raw.seek(0)
    with Image.open(raw) as image:
        small = image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def stream_png(*, features: np.ndarray, first_frame_ms: float, frame_step_ms: float,
               scores: np.ndarray, score_ms: np.ndarray, classes: Sequence[str],
               thresholds: Sequence[int | None], detections: Sequence[tuple[int, int, bool]],
               clip_ms: float, onset_ms: int | None = None, score_label: str = "smoothed score",
               width_in: float = 7.5, dpi: int = 80) -> bytes:
    """One clip as the device saw it, as PNG bytes: the feature spectrogram over the scores of
    every class (one line each, its threshold dashed where it can fire), detections as markers
    (`(time_ms, score, true)`), the keyword onset dotted, the padding around the clip shaded."""
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
        palette = plt.get_cmap("tab10")
        for c, name in enumerate(classes):
            colour = palette(c % 10)
            if len(score_ms):
                bottom.plot(score_ms, scores[:, c], color=colour, linewidth=1.1, label=name)
            if thresholds[c] is not None:
                bottom.axhline(thresholds[c], color=colour, linewidth=0.8, linestyle="--")
        for mark, true in ((TRUE_MARK, True), (FALSE_MARK, False)):
            hits = [(t, s) for t, s, ok in detections if ok == true]
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
        bottom.legend(fontsize=6, ncol=min(len(classes) + 2, 6), loc="upper left",
                      framealpha=0.8)
        fig.tight_layout(pad=0.3, h_pad=0.2)
        return _png_bytes(fig)
    finally:
        plt.close(fig)

