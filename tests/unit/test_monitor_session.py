"""fwgen monitor against devices on 127.0.0.1: the link's device simulator (--play), a chatty
fake board (passive monitoring, HELLO on RESET), ports that vanish and come back, and the
CLI's output (--json, --log) and error paths."""
from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest
import serial
import soundfile

from fwgen.cli import main
from fwgen.device.serial_port import PortChoice
from fwgen.errors import FwgenError
from fwgen.link import (Detection, Direction, End, Hello, Link, LinkError, Log, Reset, Stats,
                        StreamDecoder, encode_message, to_dict)
from fwgen.link.simulator import DeviceSimulator, serve_tcp
from fwgen.monitor import (Connected, MonitorSession, Note, PortLost, PortTarget, Progress,
                           Received, Reconnected)

from test_link_transport import EnergyPipeline, _audio, _expected, _hello, _split  # noqa: E402


def detections(events) -> list[Detection]:
    return [e.message for e in events if isinstance(e, Received)
            and isinstance(e.message, Detection)]


def messages(events, kind) -> list:
    return [e.message for e in events if isinstance(e, Received) and isinstance(e.message, kind)]


class FakeBoard:
    """A board listening to its microphone: HELLO at boot (unless `boot_hello` is off) and on
    RESET, then `burst` DETECTIONs numbered from `first`, and a LOG. Speaks through
    `start()`/`handle()` like DeviceSimulator, so serve_tcp and a pty loop can both run it."""

    def __init__(self, hello: Hello, first: int = 0, burst: int = 5, boot_hello: bool = True):
        self.hello, self.first, self.burst, self.boot_hello = hello, first, burst, boot_hello
        self.decoder = StreamDecoder(role=Direction.TO_DEVICE)
        self.seq = 0
        self.resets = 0

    def _send(self, *msgs) -> bytes:
        out = b""
        for msg in msgs:
            out += encode_message(msg, self.seq)
            self.seq += 1
        return out

    def events(self) -> bytes:
        dets = [Detection(i, i, 10 * i, i % 4, 200) for i in range(self.first,
                                                                  self.first + self.burst)]
        return self._send(self.hello, *dets, Log(1, f"burst of {self.burst} done"))

    def start(self) -> bytes:
        return b"\x00" + self.events() if self.boot_hello else b""

    def handle(self, data: bytes) -> bytes:
        out = b""
        for frame in self.decoder.feed(data):
            if isinstance(frame.message(), Reset):
                self.resets += 1
                out += self.events()
        return out


MIC_HELLO = dataclasses.replace(_hello(), audio_source=2, board="fake_board")


# --- --play through the device simulator --------------------------------------------------------

@pytest.mark.parametrize("cycle_unit,realtime", [(0, True), (2, False)])
def test_play_gives_the_devices_detections_paced_by_the_kind_of_device(cycle_unit, realtime):
    pcm = _audio(12000, seed=4)
    hello = dataclasses.replace(_hello(window=2048), cycle_unit=cycle_unit)
    device = DeviceSimulator(hello, EnergyPipeline())
    # A twin is never paced: with the session's clock frozen, real-time pacing would wait forever.
    clock = time.monotonic if realtime else (lambda: 0.0)
    with serve_tcp(device) as url, MonitorSession(PortTarget(None, url),
                                                  monotonic=clock) as session:
        t0 = time.monotonic()
        events = list(session.play(lambda h: pcm))
        elapsed = time.monotonic() - t0
    _, _, expected = _split(_expected(pcm))
    assert detections(events) == expected and len(expected) > 5
    assert isinstance(events[0], Connected) and messages(events, End) == [End(12000)]
    assert messages(events, Stats)[0].audio_samples == 12000
    assert [e.sent for e in events if isinstance(e, Progress)][-1] == 12000
    note = [e.text for e in events if isinstance(e, Note)]
    assert note == ["streaming 12000 samples (0.8 s) " +
                    ("in real time" if realtime else "as fast as the link allows")]
    if realtime:     # never more than the window (2048 samples) ahead of the clip's clock
        assert elapsed >= (12000 - 2048 - 1600) / 16000
    assert session.link is None or session.link._closed


def test_play_resets_a_device_that_did_not_just_boot():
    pcm = _audio(3200, seed=1)
    device = DeviceSimulator(_hello(), EnergyPipeline())
    device.start = lambda: b""                 # already running: no boot HELLO
    with serve_tcp(device) as url, MonitorSession(PortTarget(None, url), hello_wait=0.1) as s:
        events = list(s.play(lambda h: pcm))
    assert len(messages(events, Hello)) == 1
    assert detections(events) == _split(_expected(pcm))[2]


def test_play_refuses_firmware_that_listens_to_its_microphone():
    device = DeviceSimulator(MIC_HELLO, EnergyPipeline())
    with serve_tcp(device) as url, MonitorSession(PortTarget(None, url)) as session:
        with pytest.raises(FwgenError, match="takes its audio from the microphone"):
            list(session.play(lambda h: np.zeros(100, np.int16)))


# --- passive monitoring ---------------------------------------------------------------------

def test_monitor_shows_a_boards_events_and_asks_for_a_hello_only_when_none_came():
    board = FakeBoard(MIC_HELLO)
    with serve_tcp(board) as url:
        with MonitorSession(PortTarget(None, url), timeout=1.5, hello_wait=1.0) as session:
            events = list(session.events())
    assert board.resets == 0 and not [e for e in events if isinstance(e, Note)]
    assert [d.inference_index for d in detections(events)] == [0, 1, 2, 3, 4]
    assert session.hello == MIC_HELLO

    quiet = FakeBoard(MIC_HELLO, boot_hello=False)
    with serve_tcp(quiet) as url:
        with MonitorSession(PortTarget(None, url), timeout=1.0, hello_wait=0.2) as session:
            events = list(session.events())
    assert quiet.resets == 1
    kinds = [type(e).__name__ for e in events]
    assert kinds[:3] == ["Connected", "Note", "Received"]
    assert "sent RESET to ask for one" in events[1].text
    assert messages(events, Hello) == [MIC_HELLO] and len(detections(events)) == 5

    silent = FakeBoard(MIC_HELLO, boot_hello=False)
    with serve_tcp(silent) as url:
        with MonitorSession(PortTarget(None, url), timeout=0.5, hello_wait=0.1,
                            ask_hello=False) as session:
            assert [type(e).__name__ for e in session.events()] == ["Connected"]
    assert silent.resets == 0


class Twins:
    """A target like a twin that fwgen flash restarts on a new TCP port: `resolve()` finds
    nothing for `absent_for` calls, then starts the next board and returns its URL."""

    def __init__(self, stack, boards, absent_for: int = 2):
        self.stack, self.boards, self.absent_for = stack, list(boards), absent_for
        self.url = stack.enter_context(serve_tcp(self.boards.pop(0)))
        self.server = stack
        self.calls = 0

    def resolve(self) -> PortChoice:
        if self.url is None:
            self.calls += 1
            if self.calls <= self.absent_for:
                raise FwgenError("no running twin")
            self.url = self.stack.enter_context(serve_tcp(self.boards.pop(0)))
        return PortChoice(self.url, "test twin")


def test_a_socket_that_closes_is_reopened_and_nothing_is_lost():
    import contextlib

    with contextlib.ExitStack() as outer:
        inner = contextlib.ExitStack()
        twins = Twins(inner, [FakeBoard(MIC_HELLO, 0, 4),
                              FakeBoard(dataclasses.replace(MIC_HELLO, fw_patch=9), 4, 3)])
        outer.callback(inner.close)
        session = outer.enter_context(MonitorSession(twins, timeout=10, retry_interval=0.05))
        events = []
        for event in session.events():
            events.append(event)
            if len(detections(events)) == 4 and twins.url is not None and twins.calls == 0:
                inner.close()                   # the twin (QEMU) exits: its socket closes
                twins.url = None
            if len(detections(events)) == 7:
                break
    assert [d.inference_index for d in detections(events)] == list(range(7))
    lost = next(i for i, e in enumerate(events) if isinstance(e, PortLost))
    back = next(i for i, e in enumerate(events) if isinstance(e, Reconnected))
    assert len(detections(events[:lost])) == 4 and lost < back
    assert events[lost].error.startswith("reading from socket://127.0.0.1:")
    assert events[back].previous == events[lost].port != events[back].port
    assert events[back].gap_s >= 0.1 and session.gaps[0][0] == events[lost].port
    assert [h.fw_patch for h in messages(events[back:], Hello)] == [9]


class ScriptedPort:
    """A pyserial stand-in: hands out `chunks`, then fails like a pulled cable; `in_waiting`
    claims more bytes so the Link's second read in the same pump is the one that fails."""

    def __init__(self, chunks):
        self.chunks, self.timeout, self.written, self.is_open = list(chunks), None, b"", True

    @property
    def in_waiting(self) -> int:
        return len(self.chunks[0]) if self.chunks else 1

    def read(self, size: int = 1) -> bytes:
        if not self.chunks:
            raise serial.SerialException("device reports readiness to read but returned no data")
        return self.chunks.pop(0)

    def write(self, data: bytes) -> int:
        self.written += data
        return len(data)

    def close(self) -> None:
        self.is_open = False


def _wire(*msgs, first_seq: int = 0) -> bytes:
    return b"".join(encode_message(m, first_seq + i) for i, m in enumerate(msgs))


def test_events_read_just_before_the_port_fails_are_reported_before_the_gap():
    dets = [Detection(i, i, 10 * i, 1, 200) for i in range(3)]
    before = _wire(MIC_HELLO, *dets)
    partial = _wire(Log(1, "cut"))[:5]
    after = _wire(dataclasses.replace(MIC_HELLO, fw_patch=2), Detection(3, 3, 30, 2, 210))
    ports = [ScriptedPort([before + partial]), ScriptedPort([after])]
    opened = []

    def opener(url, baudrate):
        opened.append(url)
        if len(opened) == 2:
            raise serial.SerialException("could not open port: no such file")
        return ports.pop(0)

    # A plain Link loses the chunk that came with the failing read:
    with Link(ScriptedPort([before + partial])) as plain:
        with pytest.raises(LinkError):
            plain.receive(0.1)
        assert plain.receive(0) is None
    session = MonitorSession(PortTarget(None, "/dev/ttyACM0"), timeout=5, retry_interval=0.01,
                             port_opener=opener)
    events = []
    for event in session.events():
        events.append(event)
        if isinstance(event, Received) and event.message == Detection(3, 3, 30, 2, 210):
            break
    session.close()
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Connected"] + ["Received"] * 4 + ["PortLost", "Reconnected"] + \
        ["Received"] * 2
    assert detections(events[:5]) == dets
    assert events[5].partial == 5 and events[5].port == "/dev/ttyACM0"
    assert "returned no data" in events[5].error
    assert opened == ["/dev/ttyACM0"] * 3 and events[6].gap_s >= 0.01


def test_a_port_that_never_comes_back_ends_with_an_error_after_the_timeout():
    def opener(url, baudrate):
        if opener.calls:
            raise OSError(2, "No such file or directory")
        opener.calls += 1
        return ScriptedPort([_wire(MIC_HELLO, Detection(0, 0, 0, 1, 200))])
    opener.calls = 0
    events = []
    t0 = time.monotonic()
    with MonitorSession(PortTarget(None, "/dev/ttyACM0"), timeout=0.6, retry_interval=0.05,
                        port_opener=opener) as session:
        with pytest.raises(FwgenError, match="vanished and did not come back within"):
            for event in session.events():
                events.append(event)
    assert time.monotonic() - t0 < 2
    assert [type(e).__name__ for e in events] == ["Connected", "Received", "Received", "PortLost"]


def test_a_port_lost_during_play_is_an_error_after_its_events():
    device = DeviceSimulator(_hello(window=960), EnergyPipeline(), hops_per_call=1)
    events = []
    with serve_tcp(device) as url:
        session = MonitorSession(PortTarget(None, url))
        play = session.play(lambda h: _audio(32000))
        for event in play:
            events.append(event)
            if isinstance(event, Progress):
                break
    with pytest.raises(FwgenError, match="the port went away during --play"):
        for event in play:
            events.append(event)
    session.close()
    assert isinstance(events[-1], PortLost)


# --- the CLI --------------------------------------------------------------------------------

def _wav(path, samples, rate=16000, channels=1, subtype="PCM_16"):
    data = samples if channels == 1 else np.stack([samples] * channels, axis=1)
    soundfile.write(path, data, rate, subtype=subtype)
    return path


def test_cli_json_and_log_hold_everything_received(tmp_path, capsys):
    pcm = _audio(8000, seed=2)
    wav = _wav(tmp_path / "clip.wav", pcm)
    log = tmp_path / "monitor.jsonl"
    device = DeviceSimulator(dataclasses.replace(_hello(), cycle_unit=2), EnergyPipeline())
    with serve_tcp(device) as url:
        rc = main(["monitor", "--serial", url, "--play", str(wav), "--json", "--log", str(log)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    _, _, expected = _split(_expected(pcm))
    assert lines[0] == {"type": "CONNECTED", "port": url, "reason": "given with --serial"}
    assert lines[1]["type"] == "HELLO" and lines[1]["board"] == "host_sim"
    assert [x for x in lines if x["type"] == "DETECTION"] == [to_dict(d) for d in expected]
    assert [x["type"] for x in lines[-2:]] == ["STATS", "END"]
    assert not [x for x in lines if x["type"] in ("CREDIT", "PONG")]

    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[0]["event"] == "start" and records[1]["event"] == "connected"
    rx = [r for r in records if r["event"] == "rx"]
    decoder = StreamDecoder()
    for r in rx:                                 # raw frames decode to the logged message
        assert r["raw"].endswith("00") and r["time"].endswith("+00:00")
        frame, = decoder.feed(bytes.fromhex(r["raw"]))
        assert to_dict(frame.message()) == r["message"] and frame.seq == r["seq"]
    types = [r["message"]["type"] for r in rx]
    assert {"CREDIT", "PONG", "HELLO", "DETECTION", "STATS", "END"} <= set(types)
    assert [r["message"] for r in rx if r["message"]["type"] == "DETECTION"] == \
        [to_dict(d) for d in expected]
    assert f"{len(rx)} messages, 0 corrupt frames dropped" in err


def test_cli_human_view_converts_a_wav_and_says_so(tmp_path, capsys):
    pcm = _audio(4000, seed=3)
    wav = _wav(tmp_path / "clip8k.wav", pcm, rate=8000, channels=2)
    device = DeviceSimulator(dataclasses.replace(_hello(), cycle_unit=2), EnergyPipeline())
    with serve_tcp(device) as url:
        rc = main(["monitor", "--serial", url, "--play", str(wav), "--convert"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "converted clip8k.wav: 8000 Hz 2 channels 16-bit -> 16000 Hz mono 16-bit" in err
    assert f"-- connected to {url} (given with --serial)" in out
    assert "HELLO board host_sim" in out and "STATS 8000 samples" in out
    assert "streaming 8000 samples (0.5 s) as fast as the link allows" in out


def test_cli_a_twin_board_plays_as_fast_as_the_link_allows(tmp_path, capsys):
    wav = _wav(tmp_path / "clip.wav", _audio(4000))
    device = DeviceSimulator(_hello(), EnergyPipeline())          # says cycle_unit 0
    with serve_tcp(device) as url:
        rc = main(["monitor", "--board", "mps2_an505", "--serial", url, "--play", str(wav)])
    assert rc == 0
    assert "as fast as the link allows" in capsys.readouterr().out


def test_cli_wrong_rate_without_convert_is_an_error_after_the_hello(tmp_path, capsys):
    wav = _wav(tmp_path / "clip8k.wav", _audio(800), rate=8000)
    with serve_tcp(DeviceSimulator(_hello(), EnergyPipeline())) as url:
        rc = main(["monitor", "--serial", url, "--play", str(wav)])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "sample rate is 8000 Hz, expected 16000 Hz" in err and "--convert" in err


@pytest.mark.parametrize("argv,expected", [
    ([], "no port to monitor"),
    (["--serial", "socket://127.0.0.1"], "needs a host and a port number"),
    (["--serial", "tcp://127.0.0.1:5"], "unknown URL scheme 'tcp'"),
    (["--serial", "/dev/fwgen-no-such-port"], "cannot open serial port /dev/fwgen-no-such-port"),
    (["--board", "mps2_an505"], "no running twin: start one with fwgen flash --board mps2_an505"),
    (["--board", "b_u585i_iot02a"], "no serial port with b_u585i_iot02a's USB id 0483:374e"),
    (["--board", "nope"], "unknown board"),
    (["--serial", "loop://", "--timeout", "0"], "--timeout: must be more than 0 seconds"),
    (["--serial", "loop://", "--baud", "-5"], "--baud: must be a positive bit rate"),
    (["--serial", "loop://", "--play", "{tmp}/missing.wav"], "missing.wav: audio file not found"),
    (["--serial", "loop://", "--play", "{tmp}/stereo.wav"],
     "has 2 channels; fwgen needs mono audio"),
    (["--serial", "loop://", "--play", "{tmp}/float.wav"], "holds 32-bit float samples"),
    (["--serial", "loop://", "--convert"], "--convert only applies to --play"),
    (["--serial", "loop://", "--log", "{tmp}/no/such/folder/log.jsonl"],
     "the log file's folder does not exist\n  hint: create it, or give --log"),
    (["--serial", "loop://", "--log", "{tmp}"], "the output path is a folder"),
])
def test_cli_mistakes_exit_2_without_a_traceback(argv, expected, tmp_path, capsys, monkeypatch):
    from fwgen.device import serial_port, twin_state

    monkeypatch.setattr(serial_port, "_comports", lambda: [])
    monkeypatch.setattr(twin_state, "state_dir", lambda: tmp_path)     # no twin runs here
    _wav(tmp_path / "stereo.wav", _audio(800), channels=2)
    _wav(tmp_path / "float.wav", _audio(800).astype(np.float32) / 32768, subtype="FLOAT")
    rc = main(["monitor", *[a.replace("{tmp}", str(tmp_path)) for a in argv]])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and err.startswith("fwgen monitor: error:")
    assert expected in err


def test_cli_loop_url_with_no_device_ends_at_the_timeout(capsys):
    rc = main(["monitor", "--serial", "loop://", "--timeout", "0.8", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["type"] == "CONNECTED"
    assert lines[1]["type"] == "NOTE" and "sent RESET" in lines[1]["text"]
    assert {x["type"] for x in lines[2:]} <= {"DROPPED"}   # loop:// echoes what was sent


def test_a_progress_bar_only_for_long_clips_on_a_terminal(tmp_path, capsys, monkeypatch):
    from fwgen.cli import monitor_cmd

    class Tty:
        def isatty(self):
            return True

    class Pipe:
        def isatty(self):
            return False

    assert monitor_cmd.progress_wanted(6.0, json_lines=False, stream=Tty())
    assert not monitor_cmd.progress_wanted(1.0, json_lines=False, stream=Tty())
    assert not monitor_cmd.progress_wanted(6.0, json_lines=True, stream=Tty())
    assert not monitor_cmd.progress_wanted(6.0, json_lines=False, stream=Pipe())
    assert not monitor_cmd.progress_wanted(None, json_lines=False, stream=Tty())
    # With the bar on (as on a terminal) the detections still reach stdout, and all of them.
    monkeypatch.setattr(monitor_cmd, "progress_wanted", lambda *a, **k: True)
    pcm = _audio(16000 * 6, seed=6)
    wav = _wav(tmp_path / "long.wav", pcm)
    device = DeviceSimulator(dataclasses.replace(_hello(), cycle_unit=2), EnergyPipeline())
    with serve_tcp(device) as url:
        rc = main(["monitor", "--serial", url, "--play", str(wav)])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.count(" score ") == len(_split(_expected(pcm))[2]) > 0
