"""Labelled audio sets for `fwgen test`, in three layouts:

- a folder of WAVs labelled by their first sub-folder (``DIR/yes/a.wav`` is "yes");
- a CSV file: ``path,label[,onset_ms,offset_ms]`` per line (a header line starting with "path"
  is skipped; paths are relative to the CSV's folder; onset/offset of the keyword in ms);
- Speech Commands: a folder holding ``testing_list.txt`` (one ``word/file.wav`` a line): those
  files only, labelled by their folder.

Negative streams (scored for false accepts, not accuracy): anything labelled
``_background_noise_``, ``background``, ``background_noise`` or ``negative``, and "silence"
recordings longer than LONG_SILENCE_S (a 1 s silence clip is an ordinary clip of its class).
A bad entry (missing or unreadable file, bad CSV line, a label the model lacks) is a `Skipped`
with its name and why; `strict` makes any of them an error instead.
"""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

BACKGROUND_LABELS = frozenset({"_background_noise_", "background", "background_noise",
                               "negative"})
SILENCE = "silence"
UNKNOWN = "unknown"
LONG_SILENCE_S = 3.0        # a silence recording longer than this is a negative stream
TESTING_LIST = "testing_list.txt"


@dataclass(frozen=True)
class Clip:
    path: Path
    name: str                   # as reports show it: relative to the dataset
    label: str
    onset_ms: int | None = None
    offset_ms: int | None = None
    negative: bool = False


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass
class Dataset:
    root: Path
    layout: str                 # "folders", "csv" or "speech_commands"
    clips: list[Clip] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class LoadedClip:
    clip: Clip
    label: str                  # the model class it is scored as (other words: "unknown")
    samples: np.ndarray         # mono int16 at the model's rate, unpadded


def _name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _is_negative(path: Path, label: str) -> bool:
    if label in BACKGROUND_LABELS:
        return True
    if label == SILENCE:
        from fwgen.audio import wav_info

        return wav_info(path).duration_s > LONG_SILENCE_S
    return False


def _clip(path: Path, root: Path, label: str, onset: int | None = None,
          offset: int | None = None) -> Clip | Skipped:
    name = _name(path, root)
    try:
        return Clip(path, name, label, onset, offset, _is_negative(path, label))
    except FwgenError as exc:
        return Skipped(name, exc.message)


def _folders(root: Path) -> Dataset:
    data = Dataset(root, "folders")
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() == ".wav"):
        parts = path.relative_to(root).parts
        if len(parts) < 2:
            data.skipped.append(Skipped(_name(path, root), "not in a label folder (DIR/LABEL/x.wav)"))
            continue
        _add(data, _clip(path, root, parts[0]))
    return data


def _speech_commands(root: Path) -> Dataset:
    data = Dataset(root, "speech_commands")
    lines = (root / TESTING_LIST).read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        entry = line.strip()
        if not entry:
            continue
        parts = Path(entry).parts
        if len(parts) < 2:
            data.skipped.append(Skipped(entry, f"{TESTING_LIST} line {number}: not WORD/FILE.wav"))
            continue
        _add(data, _clip(root / entry, root, parts[0]))
    background = root / "_background_noise_"
    for path in sorted(background.glob("*.wav")) if background.is_dir() else ():
        _add(data, _clip(path, root, "_background_noise_"))
    return data


def _int_ms(text: str, what: str, where: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(float(text))
    except ValueError:
        raise FwgenError(f"{what} must be a number of ms, got {text!r}", where=where) from None
    if value < 0:
        raise FwgenError(f"{what} must be >= 0 ms, got {value}", where=where)
    return value


def _csv(path: Path) -> Dataset:
    root = path.parent
    data = Dataset(root, "csv")
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        for number, row in enumerate(csv.reader(f), 1):
            where = f"{path.name} line {number}"
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if number == 1 and cells[0].lower() == "path":
                continue
            if len(cells) < 2 or not cells[0] or not cells[1]:
                data.skipped.append(Skipped(where, "expected path,label[,onset_ms,offset_ms]"))
                continue
            try:
                onset = _int_ms(cells[2], "onset_ms", where) if len(cells) > 2 else None
                offset = _int_ms(cells[3], "offset_ms", where) if len(cells) > 3 else None
            except FwgenError as exc:
                data.skipped.append(Skipped(where, exc.message))
                continue
            if onset is not None and offset is not None and offset < onset:
                data.skipped.append(Skipped(where, f"offset_ms {offset} is before onset_ms {onset}"))
                continue
            wav = Path(cells[0]) if Path(cells[0]).is_absolute() else root / cells[0]
            _add(data, _clip(wav, root, cells[1], onset, offset))
    return data


def _add(data: Dataset, entry: Clip | Skipped) -> None:
    (data.clips if isinstance(entry, Clip) else data.skipped).append(entry)


def load_dataset(path: Path, *, strict: bool = False) -> Dataset:
    """The clips of a dataset folder or CSV file (see the module docstring for layouts)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        data = _csv(path)
    elif path.is_dir():
        data = _speech_commands(path) if (path / TESTING_LIST).is_file() else _folders(path)
    elif path.exists():
        raise FwgenError("not a dataset: give a folder or a .csv file", where=str(path))
    else:
        raise FwgenError("dataset not found", where=str(path))
    _refuse_if_strict(data, strict)
    if not data.clips:
        raise FwgenError(f"no usable clips in the dataset ({len(data.skipped)} skipped)",
                         where=str(path), hint="WAVs go in label folders (DIR/yes/a.wav), a CSV "
                                               "(path,label,onset_ms,offset_ms) or testing_list.txt")
    return data


def _refuse_if_strict(data: Dataset, strict: bool) -> None:
    if strict and data.skipped:
        listing = "\n".join(f"  {s.name}: {s.reason}" for s in data.skipped)
        raise FwgenError(f"{len(data.skipped)} bad dataset entries:\n{listing}",
                         where=str(data.root), hint="leave out --strict to skip them")


def model_label(label: str, classes: tuple[str, ...]) -> str | None:
    """The class a dataset label is scored as: itself, or "unknown" for another word when the
    model has that class (Speech Commands' convention); None when the model cannot say it."""
    if label in classes:
        return label
    if UNKNOWN in classes:
        return UNKNOWN
    return None


def read_clips(data: Dataset, sample_rate: int, classes: tuple[str, ...], *, strict: bool = False,
               convert: bool = False) -> list[LoadedClip]:
    """Read every clip's audio (mono 16-bit at `sample_rate`, or converted when `convert`);
    bad files and labels the model lacks go to data.skipped (an error when `strict`)."""
    from fwgen.audio import read_wav

    loaded = []
    for clip in data.clips:
        label = clip.label if clip.negative else model_label(clip.label, classes)
        if label is None:
            data.skipped.append(Skipped(clip.name, f"label {clip.label!r} is not a class of the "
                                                   f"model ({', '.join(classes)})"))
            continue
        try:
            samples = read_wav(clip.path, expect_rate=sample_rate, convert=convert)
        except FwgenError as exc:
            data.skipped.append(Skipped(clip.name, exc.message))
            continue
        if samples.size == 0:
            data.skipped.append(Skipped(clip.name, "holds no samples"))
            continue
        loaded.append(LoadedClip(clip, label, samples))
    _refuse_if_strict(data, strict)
    if not loaded:
        raise FwgenError(f"no usable clips in the dataset ({len(data.skipped)} skipped)",
                         where=str(data.root))
    return loaded
