"""fwgen.monitor's pure parts on constructed messages: each view (filter), the frame reader,
the --log records, the PlatformIO filter and port/URL choice. No port is opened here."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from fwgen.boards import get_board
from fwgen.errors import FwgenError
from fwgen.link import (Credit, Detection, End, ErrorReport, FeatureDtype, Features, Hello, Log,
                        Logits, Pong, Stats, encode_message, to_dict)
from fwgen.monitor import (Connected, DetectionView, Dropped, FrameReader, HelloView, HumanView,
                           JsonView, LastHello, LinkTextFilter, LogView, LogWriter, Note, PortLost,
                           PortView, Received, Reconnected, StatsView, check_port_name,
                           choose_port)
from fwgen.monitor.views import OtherView

HELLO = Hello(0, 3, 1, 0, 7, 1024, 4096, bytes.fromhex("0011223344556677"), "mps2_an505", 16000,
              480, 320, 40, 49, 1, 4, FeatureDtype.INT8, 2, "silence\nunknown\nyes\nno")
T = 1_767_225_600.25        # 2026-01-01T00:00:00.25Z


def rx(msg, seq: int = 0) -> Received:
    return Received(msg, encode_message(msg, seq), seq, T)


def stats(**kw) -> Stats:
    base = dict(audio_samples=32000, frames=98, inferences=50, detections=1, rx_frames=120,
                rx_crc_errors=1, rx_format_errors=0, rx_overflows=0, rx_rejected=2, audio_lost=3,
                audio_overruns=0, frontend_cycles=98 * 12_345, inference_cycles=50 * 456_789,
                detect_cycles=50 * 321, inference_cycles_max=460_000, cycle_unit=1,
                uptime_ms=12_500)
    base.update(kw)
    return Stats(**base)


def test_hello_view_names_board_model_abi_and_firmware():
    assert HelloView().rx(rx(HELLO)) == (
        "HELLO board mps2_an505, firmware 0.3.1, model 0011223344556677, ABI 7; 16000 Hz, hop "
        "320, audio from link; 4 classes: silence, unknown, yes, no")
    assert HelloView().rx(rx(Log(1, "x"))) is None


def test_detection_view_takes_class_names_from_the_last_hello():
    last = LastHello()
    view = DetectionView(last)
    det = Detection(inference_index=57, frame_index=60, time_ms=1230, class_index=2, score=211)
    assert view.rx(rx(det)) == "    1.230 s  class 2      score 211  (inference 57)"
    assert view.rx(rx(HELLO)) is None and last.hello is None    # the view keeps no HELLO
    assert last.rx(rx(HELLO)) is None and last.hello == HELLO
    assert view.rx(rx(det)) == "    1.230 s  yes          score 211  (inference 57)"
    assert view.rx(rx(Detection(1, 2, 3, 9, 4))) == \
        "    0.003 s  class 9      score   4  (inference 1)"


def test_stats_view_gives_cycles_per_stage_and_the_stack_mark():
    view = StatsView()
    assert view.rx(rx(Log(0, "stack 1234/4096 bytes"))) is None
    assert view.rx(rx(stats())) == (
        "STATS 32000 samples, 98 frames, 50 inferences, 1 detections; frontend 12,345 "
        "cycles/frame, inference 456,789 cycles (max 460,000), detector 321 cycles/inference; "
        "stack 1234/4096 bytes (30 %); rx 120 ok, 3 dropped; audio lost 3, refused 0; up 12.5 s")
    plain = StatsView().rx(rx(stats(cycle_unit=0, uptime_ms=0, frames=0, inferences=0)))
    assert plain == ("STATS 32000 samples, 0 frames, 0 inferences, 1 detections; rx 120 ok, "
                     "3 dropped; audio lost 3, refused 0")
    assert "instructions/frame" in StatsView().rx(rx(stats(cycle_unit=2)))


def test_log_view_shows_logs_and_errors():
    view = LogView()
    assert view.rx(rx(Log(2, "no microphone driver"))) == "LOG warning: no microphone driver"
    assert view.rx(rx(ErrorReport(5, 2, 99, "bad audio"))) == \
        "ERROR status 5 cause type 2 detail 99: bad audio"
    assert view.rx(rx(stats())) is None


def test_port_view_reports_connection_gaps_and_notes():
    view = PortView()
    assert view.rx(Connected("/dev/ttyACM0", "given with --serial", T)) == \
        "-- connected to /dev/ttyACM0 (given with --serial)"
    assert view.rx(PortLost("/dev/ttyACM0", "read failed", 5, T)) == \
        "-- /dev/ttyACM0 lost: read failed; 5 bytes of an unfinished frame lost; reconnecting"
    assert view.rx(PortLost("/dev/ttyACM0", "read failed", 0, T)) == \
        "-- /dev/ttyACM0 lost: read failed; reconnecting"
    assert view.rx(Reconnected("/dev/ttyACM1", "/dev/ttyACM0", 2.345, T)) == \
        "-- reconnected to /dev/ttyACM1 (was /dev/ttyACM0) after a 2.3 s gap"
    assert view.rx(Reconnected("a", "a", 0.5, T)) == "-- reconnected to a after a 0.5 s gap"
    assert view.rx(Note("sent RESET", T)) == "-- sent RESET"
    assert view.rx(Dropped(b"\x05abc\x00", "crc error", T)) == "-- dropped 5 bytes: crc error"
    assert view.rx(rx(HELLO)) is None


def test_other_view_and_flow_control():
    view = OtherView()
    assert view.rx(rx(End(32000))) == "END after 32000 samples"
    assert view.rx(rx(Logits(3, 50, (1, -2, 3, 4)))) == "LOGITS #3 frame 50: [1, -2, 3, 4]"
    assert view.rx(rx(Credit(1, 2, 0))) is None and view.rx(rx(Pong(1))) is None
    assert view.rx(rx(Features(0, FeatureDtype.INT8, b"\x01\xff"))) == \
        "FEATURES frame 0 (int8): [1, -1]"


def test_human_view_runs_every_view_and_hides_flow_control():
    view = HumanView()
    assert view.rx(rx(HELLO)).startswith("HELLO board mps2_an505")
    assert view.rx(rx(Detection(1, 2, 1000, 3, 200))) == \
        "    1.000 s  no           score 200  (inference 1)"
    # one HELLO for every view: a device that restarts with other classes renames at once
    assert [v.last for v in view.views if hasattr(v, "last")] == [view.last]
    view.rx(rx(replace(HELLO, n_classes=4, class_names="a\nb\nc\nd")))
    assert view.rx(rx(Detection(1, 2, 1000, 3, 200))).split()[2] == "d"
    assert view.rx(rx(Credit(1, 2, 0))) is None and view.rx(rx(Pong(7))) is None
    assert view.rx(rx(Log(0, "stack 10/20 bytes"))) == "LOG debug: stack 10/20 bytes"
    assert "stack 10/20 bytes (50 %)" in view.rx(rx(stats()))


def test_json_view_is_to_dict_per_line_plus_port_events():
    view = JsonView()
    det = Detection(1, 2, 1000, 3, 200)
    assert json.loads(view.rx(rx(det))) == to_dict(det) == {
        "type": "DETECTION", "inference_index": 1, "frame_index": 2, "time_ms": 1000,
        "class_index": 3, "score": 200}
    assert json.loads(view.rx(rx(HELLO)))["model_hash"] == "0011223344556677"
    assert view.rx(rx(Credit(1, 2, 0))) is None
    assert json.loads(view.rx(PortLost("p", "gone", 3, T))) == \
        {"type": "PORT_LOST", "port": "p", "error": "gone", "partial_bytes": 3}
    assert json.loads(view.rx(Reconnected("q", "p", 1.23456, T))) == \
        {"type": "RECONNECTED", "port": "q", "previous": "p", "gap_s": 1.235}
    assert json.loads(view.rx(Connected("p", "why", T))) == \
        {"type": "CONNECTED", "port": "p", "reason": "why"}
    assert json.loads(view.rx(Dropped(b"abc\x00", "format error", T))) == \
        {"type": "DROPPED", "reason": "format error", "bytes": 4}


# --- frames ---------------------------------------------------------------------------------

def test_frame_reader_keeps_each_frames_raw_bytes_across_chunks():
    msgs = [HELLO, Detection(1, 2, 3, 2, 9), Log(1, "hi")]
    wire = b"".join(encode_message(m, i) for i, m in enumerate(msgs))
    reader = FrameReader(clock=lambda: T)
    events = []
    for i in range(0, len(wire), 7):               # arbitrary chunk boundaries
        events += reader.feed(wire[i:i + 7])
    assert [e.message for e in events] == msgs
    assert [e.raw for e in events] == [encode_message(m, i) for i, m in enumerate(msgs)]
    assert [e.seq for e in events] == [0, 1, 2] and {e.time for e in events} == {T}
    assert reader.pending == 0 and reader.stats.frames == 3


def test_frame_reader_names_why_a_frame_was_dropped():
    good = encode_message(Log(1, "ok"), 0)
    bad_crc = bytearray(encode_message(Log(1, "xy"), 1))
    bad_crc[-3] ^= 0x01
    reader = FrameReader(clock=lambda: T)
    events = reader.feed(b"\x00boot text\x00" + bytes(bad_crc) + good + b"\x00" + good[:4])
    assert [(type(e).__name__, getattr(e, "reason", None)) for e in events] == [
        ("Dropped", "format error"), ("Dropped", "crc error"), ("Received", None)]
    assert events[0].raw == b"boot text\x00" and events[1].raw == bytes(bad_crc)
    assert reader.pending == 4                      # an unfinished frame
    assert reader.feed(good[4:])[0].message == Log(1, "ok")


def test_frame_reader_bounds_a_frame_that_never_ends():
    reader = FrameReader()
    reader.feed(b"\x01" * 200_000)
    assert reader.pending < 70_000
    assert [e.reason for e in reader.feed(b"\x00")] == ["too long"]


# --- --log ----------------------------------------------------------------------------------

def test_log_writer_records_raw_frames_and_decoded_messages(tmp_path):
    path = tmp_path / "monitor.jsonl"
    det = Detection(1, 2, 1000, 3, 200)
    with LogWriter(path) as log:
        for event in (Connected("p", "why", T), rx(det, 5), rx(Credit(1, 2, 0), 6),
                      Dropped(b"zz\x00", "format error", T), PortLost("p", "gone", 2, T),
                      Reconnected("p", "p", 1.5, T), Note("n", T)):
            log.write(event)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["event"] == "start" and "fwgen" in records[0]
    assert [r["event"] for r in records[1:]] == ["connected", "rx", "rx", "dropped", "port_lost",
                                                 "reconnected", "note"]
    assert records[2] == {"time": "2026-01-01T00:00:00.250000+00:00", "event": "rx", "seq": 5,
                          "raw": encode_message(det, 5).hex(), "message": to_dict(det)}
    assert records[3]["message"]["type"] == "CREDIT"          # flow control is logged too
    assert records[4]["raw"] == "7a7a00"
    assert records[5]["partial_bytes"] == 2 and records[6]["gap_s"] == 1.5


def test_log_writer_needs_a_folder(tmp_path):
    with pytest.raises(FwgenError, match="folder does not exist"):
        LogWriter(tmp_path / "no" / "log.jsonl")


# --- the PlatformIO filter ------------------------------------------------------------------

def test_pio_filter_decodes_bytes_or_latin1_text_to_lines():
    wire = encode_message(HELLO, 0) + encode_message(Detection(1, 2, 1500, 2, 250), 1)
    as_bytes, as_text = LinkTextFilter(), LinkTextFilter()
    out_bytes = as_bytes.rx(wire[:10]) + as_bytes.rx(wire[10:])
    out_text = as_text.rx(wire.decode("latin-1"))
    assert out_bytes == out_text
    assert out_bytes.splitlines() == [HelloView().rx(rx(HELLO)),
                                      "    1.500 s  yes          score 250  (inference 1)"]
    assert LinkTextFilter().rx(wire[:5]) == ""
    assert json.loads(LinkTextFilter(JsonView()).rx(wire).splitlines()[1])["score"] == 250


# --- ports and URLs -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["/dev/ttyACM0", "COM3", "socket://127.0.0.1:5555",
                                  "rfc2217://board.lab:2217", "loop://", "spy:///dev/ttyACM0",
                                  "hwgrep://0483:374e"])
def test_port_names_and_urls_fwgen_can_open(name):
    assert check_port_name(name) == name


@pytest.mark.parametrize("name,expected", [
    ("socket://127.0.0.1", "needs a host and a port number"),
    ("socket://:5555", "needs a host and a port number"),
    ("rfc2217://host:99999", "needs a host and a port number"),
    ("socket://host:port", "needs a host and a port number"),
    ("tcp://127.0.0.1:5555", "unknown URL scheme 'tcp'"),
    ("  ", "empty port name"),
])
def test_bad_urls_are_user_errors(name, expected):
    with pytest.raises(FwgenError, match=expected):
        check_port_name(name)


def test_choose_port_needs_a_port_or_a_board():
    with pytest.raises(FwgenError, match="no port to monitor"):
        choose_port(None)
    assert choose_port(None, serial="loop://").reason == "given with --serial"
    assert choose_port(get_board("b_u585i_iot02a"), serial="socket://h:1").port == "socket://h:1"


def test_a_twin_without_a_running_emulator_says_how_to_start_one():
    with pytest.raises(FwgenError) as err:
        choose_port(get_board("mps2_an505"))
    assert "no running twin: start one with fwgen flash --board mps2_an505, or pass " \
           "--serial socket://..." in str(err.value)


def test_a_board_port_is_chosen_by_usb_id(monkeypatch):
    from fwgen.device import serial_port
    from fwgen.device.serial_port import PortInfo

    link = "/dev/serial/by-id/usb-STMicroelectronics_STLINK-V3_0668FF-if02"
    monkeypatch.setattr(serial_port, "_comports", lambda: [
        PortInfo("/dev/ttyACM0", 0x0483, 0x374E, "0668FF", "STLINK-V3", link)])
    choice = choose_port(get_board("b_u585i_iot02a"))
    assert choice.port == link and "by-id name of /dev/ttyACM0" in choice.reason


def test_a_running_twin_is_found_through_fwgen_flashs_record(tmp_path, monkeypatch):
    """`fwgen flash --board mps2_an505` records its QEMU; the monitor opens that UART (the
    record's process here is this test's own Python, standing in for QEMU)."""
    import os
    import sys

    from fwgen.device import twin_state

    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path))
    twin = get_board("mps2_an505")
    twin_state.write_record(twin_state.TwinRecord(
        board=twin.id, pid=os.getpid(), port=45678, elf="fw.elf", log="qemu.log",
        argv=(sys.executable, "-serial", "tcp:127.0.0.1:45678,server=on"), started=0.0))
    monkeypatch.setattr(twin_state, "is_running", lambda record: record.pid == os.getpid())
    choice = choose_port(twin)
    assert choice.port == "socket://127.0.0.1:45678"
    assert choice.reason == "the running twin of mps2_an505 (started by fwgen flash)"
    twin_state.clear_record(twin)
    with pytest.raises(FwgenError, match="no running twin"):
        choose_port(twin)
