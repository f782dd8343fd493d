"""A clip compiled into the image (--audio clip) runs at boot as a self-test: the firmware
reports its detections, STATS and END with no host input, then serves the link as usual."""
from __future__ import annotations

import time

import numpy as np

from fwgen.boards import get_board
from fwgen.deploy import DeployOptions
from fwgen.device import TwinDevice
from fwgen.link import Detection, End, Hello, Stats
from fwgen.project.build import build_firmware


def test_clip_selftest_at_boot(deployment, shared_data, tmp_path, reference, clip_stream):
    from fwgen.deploy import prepare

    options = DeployOptions(audio_source="clip",
                            clip=shared_data / "micro_speech" / "yes_1000ms.wav")
    dep = prepare(deployment.source, options)
    twin = get_board("mps2_an505")
    firmware = build_firmware(dep, twin, tmp_path / "p", include_twin=False, envs=(twin.id,))
    with TwinDevice(firmware.elf(twin.id), twin) as session:
        messages = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(isinstance(m, End) for m in messages):
            msg = session.link.receive(1.0)
            if msg is not None:
                messages.append(msg)
        hello = next(m for m in messages if isinstance(m, Hello))
        assert hello.audio_source == 1
        ref = reference("yes")              # the compiled-in clip is padded as fwgen run pads
        detections = [(m.inference_index, m.frame_index, m.time_ms, m.class_index, m.score)
                      for m in messages if isinstance(m, Detection)]
        assert detections == [(e.inference_index, e.frame_index, e.time_ms, e.class_index, e.score)
                              for e in ref.detections]
        assert [dep.classes[d[3]] for d in detections] == ["yes"]
        stats = next(m for m in messages if isinstance(m, Stats))
        assert stats.audio_samples == clip_stream("yes").size
        assert stats.inferences == ref.logits.shape[0]
        session.link.ping(timeout=10)       # and the link still serves the host
    assert np.asarray(ref.features).shape[0] == stats.frames
