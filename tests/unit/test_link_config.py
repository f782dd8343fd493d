"""Stream state and CONFIG: the rule in the C link (fwgen_link_config_check) and the simulated
device that follows it as the firmware does. RESET and boot restore every default; each CONFIG
is the whole configuration (stride 0: the build's); one the build cannot do is refused with an
ERROR naming the field and changes nothing; the host raises ConfigRefused (a LinkError)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fwgen.link import (Config, ConfigRefused, Direction, ErrorReport, Link, LinkError, Output,
                        StreamResult, stream_audio)
from fwgen.link.frame import StreamDecoder
from fwgen.link.native import NativeLink
from fwgen.link.simulator import DeviceSimulator, serve_tcp

from test_link_transport import ALL, EnergyPipeline, _audio, _expected, _hello, _split  # noqa: E402

UNSUPPORTED = 3          # FWGEN_ERR_UNSUPPORTED
CONFIG_TYPE = Config.SPEC.type_id


def _check(config: Config, outputs_supported: int = 0x0F, max_stride: int = 0xFFFF
           ) -> tuple[int, list]:
    """fwgen_link_config_check() on a fresh C link: (status, messages it sent)."""
    out = bytearray()
    link = NativeLink(out.extend)
    status = link.config_check(config, outputs_supported, max_stride)
    decoder = StreamDecoder(role=Direction.TO_HOST)
    return status, [frame.message() for frame in decoder.feed(bytes(out))]


# --- the rule in the C link -------------------------------------------------------------------

@pytest.mark.parametrize("config,max_stride", [(Config(0x0F, 65535), 65535), (Config(0, 0), 0),
                                               (Config(0x05, 4), 4), (Config(0x08, 0), 1)])
def test_a_config_the_app_can_do_is_accepted_silently(config, max_stride):
    assert _check(config, max_stride=max_stride) == (0, [])


@pytest.mark.parametrize("config,field,value", [
    (Config(0x10, 1), "outputs", 0x10),
    (Config(0xFF, 0), "outputs", 0xFF),
    (Config(0x04, 9), "stride_frames", 9),
    (Config(0x84, 9), "outputs", 0x84),              # the outputs are checked first
])
def test_a_config_out_of_range_gets_one_error_naming_the_field(config, field, value):
    status, sent = _check(config, max_stride=8)
    assert status == UNSUPPORTED and len(sent) == 1
    error = sent[0]
    assert isinstance(error, ErrorReport)
    assert (error.status, error.cause_type, error.detail) == (UNSUPPORTED, CONFIG_TYPE, value)
    assert error.text.startswith(f"CONFIG.{field}: ")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(0, 0xFFFF))
def test_the_rule_is_exactly_the_documented_one(outputs, stride, supported, max_stride):
    status, sent = _check(Config(outputs, stride), supported, max_stride)
    accepted = outputs & ~supported == 0 and stride <= max_stride
    assert status == (0 if accepted else UNSUPPORTED)
    assert len(sent) == (0 if accepted else 1)


# --- the simulated device (the reference of how firmware drives the rule) ----------------------

def _stream_as_configured(link: Link, pcm) -> StreamResult:
    """AUDIO and END with whatever configuration the device has now (no RESET, no CONFIG)."""
    result = StreamResult(hello=link.hello, samples_sent=link.send_audio(pcm, timeout=5))
    for msg in link.end(timeout=5):
        result.add(msg)
    return result


def test_a_stride_does_not_outlive_reset():
    """Host A runs stride 3; host B's default CONFIG (stride 0) gets the build's stride 2."""
    pcm = _audio(4000, seed=3)
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url, Link.open(url) as link:
        first = stream_audio(link, pcm, outputs=ALL, stride_frames=3)
        second = stream_audio(link, pcm, outputs=ALL)
    assert first.logits == _split(_expected(pcm, stride=3))[1]
    assert second.hello.stride_frames == 2
    assert second.logits == _split(_expected(pcm, stride=2))[1]


def test_state_does_not_outlive_the_connection():
    """Host A configures stride 3 and every output, then vanishes mid-stream; host B connects
    to the same (still running) device and gets the defaults."""
    pcm = _audio(4000, seed=4)
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url, Link.open(url) as link:
        link.reset(timeout=5)
        link.configure(Config(int(ALL), 3))
        link.send_audio(pcm[:1600], timeout=5)
    with serve_tcp(device) as url, Link.open(url) as link:
        hello = link.reset(timeout=5)
        result = _stream_as_configured(link, pcm)
    assert hello.stride_frames == 2
    assert result.features == [] and result.logits == []          # the default outputs
    assert result.detections == _split(_expected(pcm, stride=2))[2]
    assert result.stats.audio_samples == len(pcm) // 160 * 160


def test_a_refused_config_keeps_the_previous_one():
    pcm = _audio(3200, seed=5)
    device = DeviceSimulator(_hello(), EnergyPipeline(), max_stride=8)
    with serve_tcp(device) as url, Link.open(url) as link:
        link.reset(timeout=5)
        link.configure(Config(int(Output.LOGITS), 3))
        for bad, field in ((Config(0x40 | int(ALL), 1), "outputs"), (Config(int(ALL), 9),
                                                                     "stride_frames")):
            with pytest.raises(ConfigRefused, match=rf"CONFIG\.{field}") as refused:
                link.configure(bad)
            assert isinstance(refused.value, LinkError)
            assert refused.value.report.cause_type == CONFIG_TYPE
        result = _stream_as_configured(link, pcm)
    assert result.features == [] and result.errors == []
    assert result.logits == _split(_expected(pcm, stride=3))[1]


def test_the_last_config_is_the_whole_configuration():
    """CONFIG twice: stride 0 in the second means the build's stride, not "keep 3"."""
    pcm = _audio(3200, seed=6)
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url, Link.open(url) as link:
        link.reset(timeout=5)
        link.configure(Config(int(ALL), 3))
        link.configure(Config(int(Output.LOGITS), 0))
        result = _stream_as_configured(link, pcm)
    assert result.features == []
    assert result.logits == _split(_expected(pcm, stride=2))[1]


def test_stream_audio_with_an_impossible_config_is_a_clear_error():
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url, Link.open(url) as link:
        with pytest.raises(LinkError, match=r"refused CONFIG .*CONFIG\.outputs") as refused:
            stream_audio(link, _audio(1600), outputs=0x20 | int(Output.LOGITS), timeout=5)
        assert "hint:" in str(refused.value)
        again = stream_audio(link, _audio(1600), outputs=ALL, timeout=5)   # still serving
    assert again.errors == [] and again.logits == _split(_expected(_audio(1600)))[1]
