"""Messages as JSON dicts and human lines."""
from __future__ import annotations

import json

from fwgen.link import (Audio, Credit, Detection, ErrorReport, Features, Hello, Log, Logits,
                        Reset, Stats)
from fwgen.link.messages import MESSAGES
from fwgen.link.text import describe, to_dict

HELLO = Hello(0, 3, 1, 0, 1, 1024, 4096, bytes(range(8)), "mps2_an505", 16000, 480, 320, 40, 49,
              1, 4, 1, 2, "silence\nunknown\nyes\nno")


def test_every_message_type_becomes_json():
    for spec in MESSAGES.values():
        msg = spec.cls(*[b"\0" * fs.wire.length if fs.wire.length and not fs.wire.text
                         else "" if fs.wire.text else 1 for fs in spec.fields])
        data = json.loads(json.dumps(to_dict(msg)))
        assert data["type"] == spec.name
        assert describe(msg, HELLO).startswith(spec.name)


def test_to_dict_values():
    assert to_dict(Detection(3, 48, 490, 2, 201)) == {
        "type": "DETECTION", "inference_index": 3, "frame_index": 48, "time_ms": 490,
        "class_index": 2, "score": 201}
    assert to_dict(Features(1, 0, b"\x01\x00\xff\xff"))["values"] == [1, 65535]
    assert to_dict(Features(1, 1, b"\x80\x7f"))["values"] == [-128, 127]
    assert to_dict(Audio.from_samples(5, [1, -1]))["samples"] == [1, -1]
    assert to_dict(Logits(0, 0, (-128, 127)))["values"] == [-128, 127]
    assert to_dict(HELLO)["model_hash"] == "0001020304050607"
    assert to_dict(Reset()) == {"type": "RESET"}


def test_describe_uses_class_names_and_enums():
    assert describe(Detection(3, 48, 490, 2, 201), HELLO) == \
        "DETECTION yes score 201 at 490 ms (inference 3)"
    assert describe(Detection(3, 48, 490, 9, 201), HELLO).startswith("DETECTION class 9 ")
    assert describe(Log(2, "hot")) == "LOG warning: hot"
    assert describe(Credit(1, 2, 3)) == "CREDIT consumed=1 received=2 lost=3"
    assert describe(ErrorReport(5, 2, 7, "bad")) == "ERROR status 5 cause type 2 detail 7: bad"
    assert "mps2_an505" in describe(HELLO) and "audio from link" in describe(HELLO)
    line = describe(Stats(16000, 49, 49, 1, 60, 1, 2, 0, 1, 0, 0, 10, 20, 30, 5, 2, 1000))
    assert "20 instructions total, max 5" in line and "4 dropped" in line
