"""A fixed `fwgen test` JSON report for the HTML report's tests (unit and browser), built from
outcomes through the real report code, and a small DOM built with html.parser to check pages."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

import numpy as np

from fwgen.deploy.trace import StreamTrace
from fwgen.hil import ClipOutcome, Floors, Hit, check, compute_metrics, predicted_label, report_dict

CLASSES = ("silence", "unknown", "yes", "no")
ODD_NAME = "no/<b>odd</b> & 'quoted'.wav"      # must come out escaped, never as markup
DIFFERENCE = "logits: 1 values differ, first at (5, 3): device 59 != host 58"
# (file, label, negative, seconds, onset, device hits, differences)
CLIPS = [
    ("yes/yes_a.wav", "yes", False, 1.0, 300, [Hit(520, "yes", 230)], []),
    ("yes/yes_b.wav", "yes", False, 1.0, None, [Hit(610, "no", 200)], []),
    ("no/no_a.wav", "no", False, 1.0, None, [Hit(700, "no", 210)], [DIFFERENCE]),
    (ODD_NAME, "no", False, 1.0, None, [Hit(650, "no", 240)], []),
    ("silence/s.wav", "silence", False, 1.0, None, [], []),
    ("_background_noise_/noise.wav", "_background_noise_", True, 60.0, None,
     [Hit(10_000, "yes", 190), Hit(11_000, "yes", 200), Hit(40_000, "no", 187)], []),
]
FAILURES = ["_background_noise_/noise.wav", "no/no_a.wav", "yes/yes_b.wav"]   # by name
PASSING = [ODD_NAME, "silence/s.wav", "yes/yes_a.wav"]


def synthetic_trace(seconds: float, seed: int) -> StreamTrace:
    """What a device might send for `seconds` of audio: 50 frames/s of 40 uint16 channels,
    one inference per frame after the first 49."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * 50) + 49
    inferences = frames - 48
    return StreamTrace(
        features=rng.integers(0, 1000, (frames, 40)).astype(np.uint16),
        logits=rng.integers(-128, 128, (inferences, len(CLASSES))).astype(np.int8),
        inference_ms=(np.arange(inferences) * 20 + 10).astype(np.int32),
        smoothed=rng.integers(0, 256, (inferences, len(CLASSES))).astype(np.uint8),
        thresholds=[185] * len(CLASSES), can_trigger=[False, False, True, True],
        first_frame_ms=-470.0, frame_step_ms=20.0, sample_rate=16000, pad_ms=490)


def fixed_report(*, traces: bool = True) -> dict:
    """The report of CLIPS as fwgen test writes it (through report_dict, then JSON)."""
    outcomes = []
    for seed, (name, label, negative, seconds, onset, hits, differences) in enumerate(CLIPS):
        predicted = predicted_label(hits, CLASSES, label) if not negative else ""
        outcomes.append(ClipOutcome(
            name=name, label=label, negative=negative, duration_s=seconds + 0.98,
            onset_ms=onset, detections=hits, host_detections=hits, predicted=predicted,
            host_predicted=predicted, differences=differences,
            trace=synthetic_trace(seconds, seed) if traces else None))
    metrics = compute_metrics(outcomes, CLASSES)
    floors = Floors(min_accuracy=0.5, max_false_accepts_per_hour=1.0)
    meta = {"fwgen": "0.1.0", "model": "micro_speech", "model_sha256": "ab" * 32,
            "board": "mps2_an505", "device": "QEMU mps2-an505", "dataset": "/data/set",
            "layout": "folders", "classes": list(CLASSES), "stride": 1, "runtime": "aot",
            "smoothing": {"detection_threshold": 185, "suppression_ms": 1500},
            "floors": {"min_accuracy": 0.5, "max_false_accepts_per_hour": 1.0}}
    report = report_dict(metrics, outcomes, [], meta=meta, problems=check(metrics, floors),
                         interrupted=False)
    return json.loads(json.dumps(report))


def tone(seconds: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)


def audio_for_all_but_silence(clip: dict):
    return None if clip["file"] == "silence/s.wav" else (tone(1.0), 16000)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)
    parent: "Node | None" = None

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self, tag: str | None = None):
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter(tag)

    def find_all(self, tag: str, **attrs) -> list["Node"]:
        return [n for n in self.iter(tag) if all(
            (value in n.attrs.get(key.rstrip("_"), "").split()) if key == "class_"
            else n.attrs.get(key) == value for key, value in attrs.items())]

    def ids(self) -> dict[str, "Node"]:
        return {n.attrs["id"]: n for n in self.iter() if "id" in n.attrs}


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
