"""A board keeps running between users: nothing one host configured or left half done may reach
the next host's stream. RESET (and boot) restore every default, a CONFIG the build cannot do is
refused with an ERROR naming the field, and hostile-but-valid conversations (CONFIG twice, AUDIO
before CONFIG, END twice, RESET mid-stream, PING storms, empty AUDIO) leave the M33 twin serving
the next stream bit-exactly with the host reference."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fwgen.boards import get_board
from fwgen.deploy import run_reference
from fwgen.device import TwinDevice
from fwgen.link import (Audio, Config, ConfigRefused, End, ErrorReport, Link, LinkError, Output,
                        Ping, Pong, Stats, StreamResult)

from test_pipeline import ALL, assert_matches_reference  # noqa: E402  (same folder)

TWIN = "mps2_an505"
UNSUPPORTED = 3          # FWGEN_ERR_UNSUPPORTED
CONFIG_TYPE = Config.SPEC.type_id


@pytest.fixture()
def session(twin_elf):
    with TwinDevice(twin_elf(TWIN), get_board(TWIN)) as s:
        yield s


@pytest.fixture(scope="module")
def stride3(deployment, clip_stream):
    """The host reference of the "yes" stream at an inference stride of 3 frames (17 inferences)."""
    return run_reference(clip_stream("yes"), replace(deployment, stride=3))


def stream_configured(link: Link, samples: np.ndarray, *, step: int = 1000,
                      between=None) -> StreamResult:
    """Stream `samples` as the device is configured now (no RESET, no CONFIG) in AUDIO runs of
    `step` samples, calling `between(link)` after each run; END -> everything the device sent."""
    result = StreamResult(hello=link.hello, samples_sent=0)
    for at in range(0, samples.size, step):
        link.send_audio(samples[at:at + step])
        if between is not None:
            between(link)
    result.samples_sent = link.samples_sent
    for msg in link.end(timeout=120):
        result.add(msg)
    return result


def assert_next_stream_is_bit_exact(session, samples, ref) -> None:
    """What the next host does: `fwgen run` (RESET, the default CONFIG, the clip, END)."""
    result = session.stream(samples, outputs=ALL, timeout=120)
    assert result.hello.stride_frames == 1
    assert len(result.logits) == len(ref.logit_frames) == 51
    assert_matches_reference(result, ref)
    assert result.errors == []


# --- state that must not outlive a stream -----------------------------------------------------

def test_a_stride_does_not_outlive_reset(session, clip_stream, reference, stride3):
    samples = clip_stream("yes")
    first = session.stream(samples, outputs=ALL, timeout=120, stride_frames=3)
    assert len(first.logits) == 17
    assert_matches_reference(first, stride3)
    assert_next_stream_is_bit_exact(session, samples, reference("yes"))


def test_a_stride_does_not_outlive_the_connection(session, clip_stream, reference):
    """Host A configures stride 3 and vanishes mid-stream; host B connects and runs `fwgen run`."""
    samples = clip_stream("yes")
    link = session.link
    link.reset()
    link.configure(Config(int(Output.LOGITS), 3))
    link.send_audio(samples[:9000])
    link.close()
    session.link = Link(session.qemu.connect())
    assert_next_stream_is_bit_exact(session, samples, reference("yes"))


def test_reset_reports_the_defaults_in_its_hello(session):
    link = session.link
    boot = link.reset()
    link.configure(Config(int(Output.FEATURES), 7))
    again = link.reset()
    assert boot.stride_frames == again.stride_frames == 1


# --- CONFIG the build cannot do -----------------------------------------------------------------

def test_unknown_output_bits_are_refused_naming_the_field(session, clip_stream, reference,
                                                          stride3):
    """Each ERROR names CONFIG.outputs and carries the value; the app keeps the previous valid
    CONFIG (stride 3, every output), so the stream sent next is stride 3 bit for bit."""
    samples = clip_stream("yes")
    link = session.link
    link.reset()
    link.configure(Config(ALL, 3))
    for outputs in (0x10, 0x80 | int(Output.LOGITS), 0xFF):
        with pytest.raises(ConfigRefused, match=r"CONFIG\.outputs") as refused:
            link.configure(Config(outputs, 1))
        report = refused.value.report
        assert (report.status, report.cause_type, report.detail) == \
            (UNSUPPORTED, CONFIG_TYPE, outputs)
        assert isinstance(refused.value, LinkError)
    kept = stream_configured(link, samples)
    assert_matches_reference(kept, stride3)
    assert kept.errors == []
    assert_next_stream_is_bit_exact(session, samples, reference("yes"))


def test_fwgen_run_with_an_impossible_config_is_a_clear_error(session, clip_stream, reference):
    samples = clip_stream("yes")
    with pytest.raises(LinkError, match=r"refused CONFIG.*CONFIG\.outputs"):
        session.stream(samples, outputs=ALL | 0x40, timeout=120)
    assert_next_stream_is_bit_exact(session, samples, reference("yes"))


# --- hostile but valid conversations -----------------------------------------------------------

def _config_twice(link, samples, ref):
    """The last CONFIG is the whole configuration: stride 0 means the build's, not "keep 3"."""
    link.configure(Config(ALL, 3))
    link.configure(Config(ALL, 0))
    assert_matches_reference(stream_configured(link, samples), ref)


def _audio_before_config(link, samples, ref):
    link.send_audio(samples[:5000])
    link.configure(Config(ALL, 3))
    stream_configured(link, samples[5000:])


def _end_twice(link, samples, ref):
    link.configure(Config(ALL, 0))
    first = stream_configured(link, samples)
    assert_matches_reference(first, ref)
    again = link.end(timeout=60)
    stats = [m for m in again if isinstance(m, Stats)]
    assert stats and stats[-1].audio_samples == first.stats.audio_samples == samples.size
    assert stats[-1].inferences == first.stats.inferences == 51
    assert isinstance(again[-1], End) and again[-1].total_samples == samples.size


def _reset_mid_stream(link, samples, ref):
    link.configure(Config(int(Output.LOGITS | Output.FEATURES), 3))
    link.send_audio(samples[:8000])
    hello = link.reset()
    assert hello.stride_frames == 1
    link.configure(Config(ALL, 0))
    assert_matches_reference(stream_configured(link, samples), ref)


def _ping_storm(link, samples, ref):
    def storm(link):
        for token in range(1000, 1020):
            link.send(Ping(token))
        while True:                     # every PING is answered, in order
            pong = link.wait_for(Pong, 30)
            if pong.token == 1019:
                return
    link.configure(Config(ALL, 0))
    assert_matches_reference(stream_configured(link, samples, step=700, between=storm), ref)


def _empty_audio(link, samples, ref):
    def poll(link):
        link.send(Audio(link.samples_sent, b""))
        link.send(Audio(link.samples_sent, b""))
    link.send(Audio(0, b""))
    link.configure(Config(ALL, 0))
    result = stream_configured(link, samples, step=900, between=poll)
    assert_matches_reference(result, ref)
    assert result.stats.audio_lost == 0 and result.stats.audio_overruns == 0


HOSTILE = {"config_twice": _config_twice, "audio_before_config": _audio_before_config,
           "end_twice": _end_twice, "reset_mid_stream": _reset_mid_stream,
           "ping_storm": _ping_storm, "empty_audio": _empty_audio}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_but_valid_conversation_leaves_the_next_stream_bit_exact(session, clip_stream,
                                                                         reference, name):
    samples = clip_stream("yes")
    link = session.link
    link.reset()
    HOSTILE[name](link, samples, reference("yes"))
    errors = [m for m in link.messages(timeout=0.2) if isinstance(m, ErrorReport)]
    assert errors == []
    assert_next_stream_is_bit_exact(session, samples, reference("yes"))
    assert session.qemu.running
