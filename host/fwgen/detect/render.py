"""Render the detector configuration (classes, thresholds, smoothing) as C for the firmware."""
from __future__ import annotations

import json
import logging
from typing import Mapping, Sequence

from fwgen.detect.settings import SmoothingSettings
from fwgen.detect.twin import DetectorConfig
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


def _c_string(text: str) -> str:
    """A C string literal (printable ASCII kept, everything else escaped as octal)."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in "\\\"":
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F and ch != "?":
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def render_detector_config(classes: Sequence[str], smoothing: SmoothingSettings | Mapping | None = None,
                           *, inference_interval_ms: int | None = None,
                           inputs: Mapping[str, str] | None = None) -> dict[str, str]:
    """`detect_config.h` / `detect_config.c`: `const fwgen_detect_config_t fwgen_detect_config`,
    the class names and FWGEN_DETECT_* size macros for static allocation.

    With `inference_interval_ms` (the app's stride) the queue capacity is checked against the
    averaging window: max_results must hold window / interval + 1 results.
    """
    from fwgen.render import abi_version, banner, json_digest, render

    if smoothing is None:
        smoothing = SmoothingSettings()
    elif not isinstance(smoothing, SmoothingSettings):
        smoothing = SmoothingSettings.from_dict(smoothing)
    cfg = DetectorConfig.build(classes, smoothing)
    if inference_interval_ms is not None:
        if isinstance(inference_interval_ms, bool) or not isinstance(inference_interval_ms, int) \
                or inference_interval_ms < 1:
            raise FwgenError(f"inference interval {inference_interval_ms!r} must be a positive number of ms",
                             where="detector configuration")
        needed = cfg.average_window_duration_ms // inference_interval_ms + 1
        if cfg.max_results < needed:
            raise FwgenError(
                f"max_results = {cfg.max_results}: a {cfg.average_window_duration_ms} ms window with an "
                f"inference every {inference_interval_ms} ms holds up to {needed} results",
                where="smoothing settings", hint=f"set max_results to at least {needed}")
    digest = json_digest({"classes": list(classes), **smoothing.to_dict()})
    meta = {"detector settings": digest, **dict(inputs or {})}
    view = {
        "banner_h": banner("detector configuration (declarations)", meta),
        "banner_c": banner("detector configuration", meta),
        "abi": abi_version(),
        "cfg": cfg,
        "smoothing_json": json.dumps(smoothing.to_dict(), sort_keys=True),
        "classes": [
            {"index": i, "name": _c_string(name), "comment": name.replace("*/", "* /"),
             "threshold": t, "can_trigger": int(trig)}
            for i, (name, t, trig) in enumerate(zip(cfg.classes, cfg.thresholds, cfg.can_trigger))
        ],
        "buffer_bytes": cfg.max_results * (4 + ((cfg.n_classes + 3) & ~3)),
    }
    return {
        "detect_config.h": render("detect_config.h.j2", **view),
        "detect_config.c": render("detect_config.c.j2", **view),
    }
