"""Pictures fwgen writes (matplotlib, imported when drawn; a leaf every layer may use)."""
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
