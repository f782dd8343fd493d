"""Messages as JSON-ready dicts and as one-line human text (for `fwgen run`, a monitor, logs).

Both are pure functions of a message (and, for class names and units, the device's HELLO), so
they are testable without a port.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from fwgen.link.messages import (AudioSource, CycleUnit, Detection, ErrorReport, FeatureDtype,
                                 Features, Hello, Log, LogLevel, Logits, Message, Stats, spec_of)


def to_dict(msg: Message) -> dict[str, Any]:
    """``{"type": "DETECTION", field: value, ...}`` with JSON types only.

    Byte fields become hex strings; FEATURES values and AUDIO samples become integer lists.
    """
    spec = spec_of(msg)
    out: dict[str, Any] = {"type": spec.name}
    for f in dataclasses.fields(msg):
        value = getattr(msg, f.name)
        if isinstance(msg, Features) and f.name == "data":
            out["values"] = msg.values.tolist()
        elif spec.name == "AUDIO" and f.name == "pcm":
            out["samples"] = msg.samples.tolist()  # type: ignore[attr-defined]
        elif isinstance(value, bytes):
            out[f.name] = value.hex()
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        else:
            out[f.name] = value
    return out


def _class_name(hello: Hello | None, index: int) -> str:
    names = hello.class_names.split("\n") if hello and hello.class_names else []
    return names[index] if 0 <= index < len(names) else f"class {index}"


def _enum_name(enum_type: Any, value: int) -> str:
    try:
        return enum_type(value).name.lower()
    except ValueError:
        return str(value)


def describe(msg: Message, hello: Hello | None = None) -> str:
    """One line for a person; `hello` supplies class names."""
    if isinstance(msg, Detection):
        return (f"DETECTION {_class_name(hello, msg.class_index)} score {msg.score} "
                f"at {msg.time_ms} ms (inference {msg.inference_index})")
    if isinstance(msg, Hello):
        return (f"HELLO {msg.board} firmware {msg.fw_major}.{msg.fw_minor}.{msg.fw_patch} "
                f"model {msg.model_hash.hex()} {msg.sample_rate} Hz hop {msg.hop_samples} "
                f"{msg.n_classes} classes, audio from {_enum_name(AudioSource, msg.audio_source)}")
    if isinstance(msg, Logits):
        return f"LOGITS #{msg.inference_index} frame {msg.frame_index}: {list(msg.values)}"
    if isinstance(msg, Features):
        return (f"FEATURES frame {msg.frame_index} "
                f"({_enum_name(FeatureDtype, msg.dtype)}): {msg.values.tolist()}")
    if isinstance(msg, Log):
        return f"LOG {_enum_name(LogLevel, msg.level)}: {msg.text}"
    if isinstance(msg, ErrorReport):
        text = f": {msg.text}" if msg.text else ""
        return f"ERROR status {msg.status} cause type {msg.cause_type} detail {msg.detail}{text}"
    if isinstance(msg, Stats):
        unit = _enum_name(CycleUnit, msg.cycle_unit)
        dropped = (msg.rx_crc_errors + msg.rx_format_errors + msg.rx_overflows + msg.rx_rejected)
        return (f"STATS {msg.audio_samples} samples, {msg.frames} frames, {msg.inferences} "
                f"inferences, {msg.detections} detections; inference {msg.inference_cycles} "
                f"{unit} total, max {msg.inference_cycles_max}; rx {msg.rx_frames} ok, "
                f"{dropped} dropped; audio lost {msg.audio_lost}, refused {msg.audio_overruns}")
    fields = " ".join(f"{k}={v}" for k, v in to_dict(msg).items() if k != "type")
    return f"{spec_of(msg).name} {fields}".rstrip()
