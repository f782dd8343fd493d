"""`Link` over pyserial URLs, end to end against the C link in a simulated device."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import soundfile

from fwgen.errors import FwgenError
from fwgen.link import (Audio, Config, Detection, Direction, FeatureDtype, Features, Hello, Link,
                        LinkError, LinkTimeout, Logits, Output, Ping, stream_audio, stream_wav)
from fwgen.link import frame as F
from fwgen.link.simulator import DeviceSimulator, serve_tcp


class EnergyPipeline:
    """A small deterministic stand-in for frontend + model + detector (integer math only)."""

    def __init__(self, hop: int = 160, channels: int = 4, n_frames: int = 3, stride: int = 2):
        self.hop, self.channels, self.n_frames, self.stride = hop, channels, n_frames, stride
        self.reset()

    def reset(self) -> None:
        self.frame = 0
        self.inference = 0
        self.history: list[np.ndarray] = []

    def configure(self, stride_frames: int) -> None:
        self.stride = stride_frames

    def step(self, samples: np.ndarray) -> list:
        bands = np.abs(samples.astype(np.int64)).reshape(self.channels, -1).sum(axis=1)
        feats = np.minimum(bands // (self.hop // self.channels), 65535).astype("<u2")
        out: list = [Features(self.frame, FeatureDtype.UINT16, feats.tobytes())]
        self.history = (self.history + [feats])[-self.n_frames:]
        self.frame += 1
        if len(self.history) == self.n_frames and self.frame % self.stride == 0:
            mean = np.mean(self.history, axis=0).astype(np.int64)
            logits = tuple(int(v) for v in np.clip(mean // 16 - 128, -128, 127))
            out.append(Logits(self.inference, self.frame - 1, logits))
            best = int(np.argmax(logits))
            if logits[best] > 0:
                out.append(Detection(self.inference, self.frame - 1, self.frame * 10, best,
                                     logits[best] + 128))
            self.inference += 1
        return out


def _hello(window: int = 4096) -> Hello:
    return Hello(0, 3, 1, 0, 1, 0, window, bytes(range(8)), "host_sim", 16000, 480, 160, 4, 3, 2,
                 4, FeatureDtype.UINT16, 0, "a\nb\nc\nd")


def _audio(n: int = 16000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    envelope = np.repeat(rng.integers(0, 8000, n // 400 + 1), 400)[:n]
    return (rng.standard_normal(n) * envelope).clip(-32768, 32767).astype(np.int16)


def _expected(pcm: np.ndarray, stride: int = 2) -> list:
    pipe = EnergyPipeline(stride=stride)
    msgs = []
    for i in range(len(pcm) // pipe.hop):
        msgs += pipe.step(pcm[i * pipe.hop:(i + 1) * pipe.hop])
    return msgs


def _split(msgs):
    return ([m for m in msgs if isinstance(m, Features)], [m for m in msgs if isinstance(m, Logits)],
            [m for m in msgs if isinstance(m, Detection)])


ALL = Output.FEATURES | Output.LOGITS | Output.DETECTIONS


def test_loop_url_carries_frames_and_skips_garbage():
    with Link.open("loop://", accept=Direction.BOTH) as link:
        link.send(Ping(7))
        link.port.write(b"\x13\x37 noise")
        link.send(Audio.from_samples(0, [1, -2, 3]))
        link.port.write(b"\0")
        link.send(Config(3, 0))
        assert list(link.messages(timeout=0.2)) == [Ping(7), Config(3, 0)]
        assert link.stats.frames == 2 and link.stats.dropped == 1


def test_no_device_times_out_with_a_clear_error():
    with Link.open("loop://") as link:  # hears only its own TO_DEVICE frames: rejected
        t0 = time.monotonic()
        with pytest.raises(LinkTimeout, match="no HELLO"):
            link.reset(timeout=0.3)
        assert time.monotonic() - t0 < 2
        assert link.stats.type_errors == 1


def test_bad_port_is_a_user_error():
    with pytest.raises(LinkError, match="cannot open serial port"):
        Link.open("/dev/fwgen-no-such-port")


def test_send_audio_needs_hello():
    with Link.open("loop://") as link, pytest.raises(LinkError, match="HELLO"):
        link.send_audio(np.zeros(10, np.int16))


@pytest.mark.parametrize("window,chunk,hops_per_call",
                         [(4096, None, None), (480, 100, 1), (640, None, None), (330, None, 2)])
def test_stream_through_simulated_device_is_exact(window, chunk, hops_per_call):
    pcm = _audio(8000 + 77)
    device = DeviceSimulator(_hello(window), EnergyPipeline(), hops_per_call=hops_per_call)
    with serve_tcp(device) as url, Link.open(url) as link:
        result = stream_audio(link, pcm, outputs=ALL, chunk=chunk, timeout=5)
    feats, logits, dets = _split(_expected(pcm))
    assert result.hello.board == "host_sim" and result.hello.rx_max_payload == 1024
    assert result.features == feats and result.logits == logits and result.detections == dets
    assert len(dets) > 0 and result.feature_matrix().shape == (len(pcm) // 160, 4)
    s = result.stats
    assert (s.audio_samples, s.frames, s.inferences) == (len(pcm) // 160 * 160, len(feats),
                                                          len(logits))
    assert (s.audio_lost, s.audio_overruns, s.rx_crc_errors, s.rx_format_errors) == (0, 0, 0, 0)
    assert result.end.total_samples == s.audio_samples
    assert result.link_stats.dropped == 0 and result.link_stats.seq_gaps == 0


def test_config_selects_outputs_and_stride():
    pcm = _audio(4000, seed=3)
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url, Link.open(url) as link:
        result = stream_audio(link, pcm, outputs=Output.LOGITS, stride_frames=3)
        again = stream_audio(link, pcm, outputs=Output.DETECTIONS, stride_frames=3)
    _, logits, dets = _split(_expected(pcm, stride=3))
    assert result.features == [] and result.detections == [] and result.logits == logits
    assert again.logits == [] and again.detections == dets  # RESET restarted the stream
    assert again.stats.inferences == len(logits)


class CorruptAudioFrames:
    """Host -> device channel that breaks chosen AUDIO frames (counted by frame index)."""

    def __init__(self, victims: set[int], mode: str = "flip"):
        self.victims, self.mode = victims, mode
        self.pending = bytearray()
        self.audio_index = 0

    def __call__(self, data: bytes) -> bytes:
        self.pending += data
        out = bytearray()
        *frames, self.pending[:] = bytes(self.pending).split(b"\0")
        for raw in frames:
            is_audio = False
            if raw:
                try:
                    is_audio = F.cobs_decode(raw)[1] == 0x02 and len(raw) > 20
                except (F.CobsError, IndexError):
                    pass
            if is_audio:
                if self.audio_index in self.victims:
                    raw = b"" if self.mode == "drop" else raw[:10] + bytes([raw[10] ^ 0x40]) + raw[11:]
                self.audio_index += 1
            out += raw + b"\0"
        return bytes(out)


@pytest.mark.parametrize("mode,victims", [("flip", {2}), ("drop", {1, 5}), ("drop", {-1})])
def test_corrupt_or_lost_audio_is_counted_and_the_stream_finishes(mode, victims):
    pcm = _audio(6400, seed=5)
    chunk = 320
    n_frames = len(pcm) // chunk
    victims = {v % n_frames for v in victims}
    device = DeviceSimulator(_hello(window=640), EnergyPipeline())
    with serve_tcp(device, channel=CorruptAudioFrames(victims, mode)) as url, Link.open(url) as link:
        t0 = time.monotonic()
        result = stream_audio(link, pcm, outputs=ALL, chunk=chunk, timeout=5)
        assert time.monotonic() - t0 < 4  # a lost frame costs at most a credit poll
    s = result.stats
    assert s.audio_lost == chunk * len(victims)
    assert s.rx_crc_errors + s.rx_format_errors == (len(victims) if mode == "flip" else 0)
    assert s.audio_samples == (len(pcm) - chunk * len(victims)) // 160 * 160
    assert s.audio_overruns == 0


def test_host_disconnect_mid_stream_leaves_the_device_running():
    pcm = _audio(16000)
    device = DeviceSimulator(_hello(window=960), EnergyPipeline(), hops_per_call=1)
    with serve_tcp(device) as url:
        link = Link.open(url)
        link.reset(timeout=5)
        link.send_audio(pcm[:3200])
        link.close()
        time.sleep(0.2)
    assert not device.stream_ended
    # The same device object serves a new host from scratch.
    with serve_tcp(device) as url, Link.open(url) as link:
        result = stream_audio(link, pcm[:1600], outputs=ALL, timeout=5)
    assert result.stats.audio_samples == 1600 and result.stats.audio_lost == 0


def test_stream_wav_checks_the_sample_rate(tmp_path):
    path = tmp_path / "clip.wav"
    soundfile.write(path, _audio(800), 8000, subtype="PCM_16")
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url, Link.open(url) as link:
        with pytest.raises(FwgenError, match="8000 Hz but the firmware expects 16000 Hz"):
            stream_wav(link, path)
    with pytest.raises(FwgenError, match="missing.wav: audio file not found"):
        stream_wav(link, tmp_path / "missing.wav")


def test_stream_wav_reference_clip(shared_data):
    clip = shared_data / "micro_speech" / "yes_1000ms.wav"
    if not clip.exists():
        pytest.skip(f"{clip} not found")
    samples, rate = soundfile.read(clip, dtype="int16")
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url, Link.open(url) as link:
        result = stream_wav(link, clip, outputs=ALL)
    assert rate == 16000 and result.samples_sent == len(samples)
    assert result.features == _split(_expected(samples))[0]


def test_device_thread_stops_when_block_exits():
    device = DeviceSimulator(_hello(), EnergyPipeline())
    before = threading.active_count()
    with serve_tcp(device):
        pass
    assert threading.active_count() == before


def test_a_lost_end_is_sent_again():
    pcm = _audio(1600)
    dropped = []
    pending = bytearray()

    def drop_first_end(data: bytes) -> bytes:
        pending.extend(data)
        *frames, rest = bytes(pending).split(b"\0")
        pending[:] = rest
        out = bytearray()
        for raw in frames:
            try:
                is_end = bool(raw) and F.cobs_decode(raw)[1] == 0x0A
            except (F.CobsError, IndexError):
                is_end = False
            if is_end and not dropped:
                dropped.append(raw)
                raw = b"\x13\x37"  # the END frame arrives as garbage
            out += raw + b"\0"
        return bytes(out)

    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device, channel=drop_first_end) as url, Link.open(url) as link:
        result = stream_audio(link, pcm, outputs=ALL, timeout=5)
    assert dropped and result.end.total_samples == 1600
    assert result.stats.rx_format_errors + result.stats.rx_crc_errors == 1


def test_host_vanishing_mid_frame_costs_one_frame_and_nothing_else():
    pcm = _audio(3200)
    device = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device) as url:
        with Link.open(url) as link:
            link.reset(timeout=5)
            wire = F.encode_message(Audio.from_samples(0, pcm[:400]), 99)
            link.port.write(wire[:len(wire) // 2])  # the cable is pulled mid-frame
            time.sleep(0.1)
    with serve_tcp(device) as url, Link.open(url) as link:  # its 0x00 flushes the fragment
        result = stream_audio(link, pcm, outputs=ALL, timeout=5)
    s = result.stats
    assert s.audio_samples == 3200 and s.audio_lost == 0
    assert s.rx_format_errors + s.rx_crc_errors == 1  # the fragment, counted since boot
    assert result.features == _split(_expected(pcm))[0]
