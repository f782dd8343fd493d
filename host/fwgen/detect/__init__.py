"""Detector: per-inference class scores to detection events (MLTK smoothing semantics).
May import only fwgen's leaves (errors, native, render): the C detector and its Python twin.

- `SmoothingSettings`: validated settings with MLTK names (to/from dict for model metadata).
- `Detector`: the pure-Python twin (host reference for the monitor and HIL), bit-exact with the C;
- `NativeDetector`: the C code the firmware runs, through the host build.
- `render_detector_config(classes, smoothing)`: the generated C configuration.
- `repeat_detection_notes(detections, smoothing)`: why one class was reported twice in a row.
"""
from fwgen.detect.native import NativeDetector
from fwgen.detect.notes import repeat_detection_notes
from fwgen.detect.render import render_detector_config
from fwgen.detect.settings import SMOOTHING_KEYS, SmoothingSettings
from fwgen.detect.twin import DetectionResult, Detector, DetectorConfig

__all__ = ["SMOOTHING_KEYS", "DetectionResult", "Detector", "DetectorConfig", "NativeDetector", "SmoothingSettings",
           "render_detector_config", "repeat_detection_notes"]
