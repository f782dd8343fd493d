"""`fwgen test` end to end without an emulator: the device is a stand-in that sends back what
the host pipeline computes for the same stream (optionally with a planted difference), so exit
codes, floors, the reports and Ctrl-C are checked in seconds. The emulator tier runs the same
verb on a real twin (tests/emu/test_hil_twin.py)."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest

import fwgen.run
from fwgen.cli import main
from fwgen.cli import test_cmd as verb
from fwgen.deploy import DeployOptions, prepare, run_reference
from fwgen.errors import FwgenError
from fwgen.zoo import resolve_model
from fwgen.link import Detection, Features, Log, Logits, Stats, StreamResult

SAMPLES = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "samples"
_REFERENCES: dict[bytes, object] = {}     # the host pipeline per stream, computed once


def reference(samples, deployment):
    key = samples.tobytes()
    if key not in _REFERENCES:
        _REFERENCES[key] = run_reference(samples, deployment)
    return _REFERENCES[key]


@pytest.fixture(scope="module")
def deployment():
    return prepare(resolve_model("micro_speech"), DeployOptions())


class MirrorDevice:
    """Answers each stream with the host pipeline's own results; `plant` = (clip number,
    inference, class) bumps one logit there; `interrupt_at` raises Ctrl-C at that clip."""

    description = "mirror"

    def __init__(self, deployment, plant=None, interrupt_at=None, model_hash=None, fail_at=None):
        self.deployment, self.plant, self.interrupt_at = deployment, plant, interrupt_at
        self.fail_at = fail_at
        self.model_hash = model_hash or bytes.fromhex(deployment.source.sha256)[:8]
        self.streams = 0
        self.closed = False

    def stream(self, samples, *, outputs, timeout=60.0):
        if self.streams == self.interrupt_at:
            raise KeyboardInterrupt
        if self.streams == self.fail_at:
            raise FwgenError("the firmware stopped: QEMU exited with status 1")
        ref = reference(samples, self.deployment)
        hello = SimpleNamespace(model_hash=self.model_hash, n_channels=ref.features.shape[1],
                                n_classes=len(self.deployment.classes))
        result = StreamResult(hello=hello, samples_sent=int(samples.size))
        for i, row in enumerate(ref.features):
            result.add(Features(i, 0, row.astype("<u2").tobytes()))
        logits = ref.logits.copy()
        if self.plant and self.plant[0] == self.streams:
            logits[self.plant[1], self.plant[2]] += 1
        for i, (frame, row) in enumerate(zip(ref.logit_frames, logits)):
            result.add(Logits(i, frame, tuple(int(v) for v in row)))
        for e in ref.detections:
            result.add(Detection(e.inference_index, e.frame_index, e.time_ms, e.class_index, e.score))
        result.add(Log(0, "stack 1200/16384 bytes"))
        result.add(Stats(**{**{f.name: 0 for f in fields(Stats)}, "frames": len(ref.features),
                            "inferences": len(logits), "cycle_unit": 2,
                            "inference_cycles": 1000 * len(logits)}))
        self.streams += 1
        return result

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "ds"
    for label, names in {"yes": ["yes_0", "yes_1"], "no": ["no_0", "no_1"],
                         "silence": ["silence_0"], "_background_noise_": ["noise_0"]}.items():
        (root / label).mkdir(parents=True)
        for name in names:
            shutil.copy(SAMPLES / f"{name}.wav", root / label / f"{name}.wav")
    return root


@pytest.fixture
def device(monkeypatch, deployment):
    made = {}
    monkeypatch.setattr(fwgen.run, "twin_deployment", lambda **kwargs: deployment)

    def install(**kwargs):
        def fake_open(args, target, deployment):
            made["device"] = MirrorDevice(deployment, **kwargs)
            return made["device"]
        monkeypatch.setattr(verb.TestCommand, "_open", staticmethod(fake_open))
        return made
    return install


def run(dataset, tmp_path, *extra):
    return main(["test", "--board", "mps2_an505", "--emulate", "--dataset", str(dataset),
                 "--report", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml"),
                 "--no-progress", *extra])


def test_a_bit_exact_device_passes_with_every_report(dataset, tmp_path, device, capsys):
    made = device()
    code = run(dataset, tmp_path, "--confusion-png", str(tmp_path / "c.png"),
               "--min-accuracy", "1.0", "--max-false-accepts-per-hour", "0")
    out = capsys.readouterr().out
    assert code == 0, out
    assert made["device"].closed
    report = json.loads((tmp_path / "r.json").read_text())
    m = report["metrics"]
    assert report["passed"] and m["accuracy"] == m["host_accuracy"] == 1.0
    assert (m["clips"], m["negative_streams"], m["clips_with_differences"]) == (5, 1, 0)
    assert m["stack"] == {"used": 1200, "size": 16384} and m["cycles"]["unit"] == "instructions"
    cases = ET.parse(tmp_path / "j.xml").getroot().find("testsuite").findall("testcase")
    assert sorted(c.attrib["name"] for c in cases) == [
        "_background_noise_/noise_0.wav", "no/no_0.wav", "no/no_1.wav", "silence/silence_0.wav",
        "yes/yes_0.wav", "yes/yes_1.wav"]
    assert not any(c.find("failure") is not None for c in cases)
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert "host/device differences: none" in out and "PASS" in out


def test_a_planted_difference_exits_1_naming_stage_clip_and_index(dataset, tmp_path, device, capsys):
    device(plant=(2, 5, 3))                     # third clip (no/no_1.wav), inference 5, class "no"
    assert run(dataset, tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAIL: 1 clip(s) differ between host and device; first: no/no_1.wav: logits: 1 values " \
           "differ, first at (5, 3)" in out
    case = [c for c in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")
            if c.attrib["name"] == "no/no_1.wav"][0]
    assert case.find("failure").attrib["type"] == "host-device-difference"


def test_a_missed_floor_exits_1(dataset, tmp_path, device, capsys):
    device()
    shutil.move(dataset / "yes" / "yes_1.wav", dataset / "no" / "yes_1.wav")   # mislabelled
    assert run(dataset, tmp_path, "--min-accuracy", "0.9") == 1
    out = capsys.readouterr().out
    assert "FAIL: accuracy 0.8000 is below --min-accuracy 0.9" in out
    assert json.loads((tmp_path / "r.json").read_text())["metrics"]["accuracy"] == 0.8
    assert run(dataset, tmp_path, "--min-accuracy", "0.8") == 0


def test_ctrl_c_writes_a_partial_report_and_closes_the_device(dataset, tmp_path, device, capsys):
    made = device(interrupt_at=2)
    assert run(dataset, tmp_path) == 130
    assert made["device"].closed
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] and not report["passed"] and len(report["clips"]) == 2
    assert len(list(ET.parse(tmp_path / "j.xml").getroot().iter("testcase"))) == 2
    assert "interrupted" in capsys.readouterr().err


def test_an_error_mid_run_writes_a_partial_report_and_exits_2(dataset, tmp_path, device, capsys):
    made = device(fail_at=3)
    assert run(dataset, tmp_path) == 2
    assert made["device"].closed
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] and len(report["clips"]) == 3
    assert report["stopped_by"] == "stopped by an error (the firmware stopped: QEMU exited with status 1)"
    captured = capsys.readouterr()
    assert "stopped by an error" in captured.out and "QEMU exited with status 1" in captured.err


def test_the_progress_bar_shows_real_time_factor_and_time_left():
    progress = verb._Progress(2, 4.0, bar=True)
    clip = SimpleNamespace(duration_s=2.0, differences=[], negative=False, correct=True,
                           label="yes", predicted="yes", name="yes/a.wav")
    with progress:
        progress.advance(clip)
        info = progress.bar.tasks[0].fields["info"]
    assert progress.bar.tasks[0].completed == 1
    assert "x real time" in info and "s left" in info


def test_bad_files_are_named_and_strict_refuses_them(dataset, tmp_path, device, capsys):
    device()
    (dataset / "no" / "broken.wav").write_bytes(b"RIFF....")
    assert run(dataset, tmp_path) == 0
    err = capsys.readouterr().err
    assert "skipped no/broken.wav: cannot read audio" in err and "Traceback" not in err
    skipped = [c for c in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")
               if c.find("skipped") is not None]
    assert [c.attrib["name"] for c in skipped] == ["no/broken.wav"]
    assert run(dataset, tmp_path, "--strict") == 2
    assert "no/broken.wav" in capsys.readouterr().err


def test_another_model_on_the_device_is_refused(dataset, tmp_path, device, capsys):
    device(model_hash=b"\x00" * 8)
    assert run(dataset, tmp_path) == 2
    assert "the device runs model 0000000000000000, not micro_speech" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    ([], "give one device: --emulate (the twin), --serial PORT (a board), --labgrid PLACE"),
    (["--emulate", "--serial", "socket://x:1"], "--serial: give one device"),
    (["--emulate", "--labgrid", "p"], "got --emulate and --labgrid"),
    (["--emulate", "--labgrid-coordinator", "h:1"], "only means something with --labgrid"),
    (["--emulate", "--no-flash"], "only with --labgrid or --hardware-map"),
    (["--labgrid", "p", "--image", "x.elf", "--no-flash"], "leave out --no-flash"),
    (["--emulate", "--shard", "3/2"], "--shard: I must be 1..N"),
    (["--hardware-map", "missing.yaml"], "missing.yaml: hardware map not found"),
    (["--emulate", "--min-accuracy", "1.5"], "--min-accuracy: must be 0..1"),
    (["--emulate", "--max-false-accepts-per-hour", "-1"], "must be >= 0"),
])
def test_option_errors(dataset, extra, message, capsys):
    assert main(["test", "--board", "mps2_an505", "--dataset", str(dataset), *extra]) == 2
    assert message in capsys.readouterr().err


def test_a_false_accept_floor_needs_negative_streams(dataset, capsys):
    shutil.rmtree(dataset / "_background_noise_")
    assert main(["test", "--board", "mps2_an505", "--emulate", "--dataset", str(dataset),
                 "--max-false-accepts-per-hour", "2"]) == 2
    assert "no negative streams" in capsys.readouterr().err


# -- board farms: --shard, --hardware-map, --labgrid (the loopback labgrid run is in
#    tests/emu/test_hil_labgrid.py) ------------------------------------------------------------


def test_shard_reports_merge_into_the_whole_run(dataset, tmp_path, device, capsys):
    from fwgen.hil.merge import load_report, merge_reports

    device()
    assert run(dataset, tmp_path / "whole") == 0
    parts = []
    for i in (1, 2, 3):
        assert run(dataset, tmp_path / f"s{i}", "--shard", f"{i}/3") == 0
        parts.append(load_report(tmp_path / f"s{i}" / "r.json"))
    whole = load_report(tmp_path / "whole" / "r.json")
    assert [p["shard"] for p in parts] == [{"index": i, "count": 3} for i in (1, 2, 3)]
    assert sorted(len(p["clips"]) for p in parts) == [2, 2, 2]
    assert len({p["dataset_id"] for p in parts}) == 1 and parts[0]["dataset_id"] == whole["dataset_id"]
    merged = merge_reports(parts)
    assert merged["metrics"] == merge_reports([whole])["metrics"]
    assert merged["passed"] and merged["shard"]["complete"]
    with pytest.raises(FwgenError, match="a whole-dataset report cannot merge with --shard"):
        merge_reports([whole, parts[0]])
    with pytest.raises(FwgenError, match="shard 1/3 is also in report 1"):
        merge_reports([parts[0], parts[0]])


def test_a_shard_without_negatives_under_a_false_accept_floor_is_refused(dataset, tmp_path,
                                                                           device, capsys):
    device()
    assert run(dataset, tmp_path, "--shard", "2/2", "--max-false-accepts-per-hour", "1") == 2
    assert "shard 2/2 holds no negative streams" in capsys.readouterr().err


def test_a_hardware_map_splits_the_clips_across_its_connected_boards(dataset, tmp_path,
                                                                      monkeypatch, deployment,
                                                                      capsys):
    import fwgen.device

    made = []

    def serial_device(board, port, *, baudrate=None):
        made.append(MirrorDevice(deployment))
        made[-1].description, made[-1].board = port, board
        return made[-1]

    monkeypatch.setattr(fwgen.device, "SerialDevice", serial_device)
    hw = tmp_path / "map.yaml"
    hw.write_text("- {id: twin-a, platform: an505, serial: 'socket://127.0.0.1:1'}\n"
                  "- {id: twin-b, platform: mps2_an505, serial: 'socket://127.0.0.1:2'}\n"
                  "- {id: twin-c, platform: mps2_an505, serial: 'socket://127.0.0.1:3', "
                  "connected: false}\n"
                  "- {id: u5, platform: stm32u5, serial: /dev/ttyACM0}\n")
    code = main(["test", "--board", "mps2_an505", "--hardware-map", str(hw), "--dataset",
                 str(dataset), "--report", str(tmp_path / "r.json"), "--no-progress"])
    assert code == 0, capsys.readouterr()
    assert len(made) == 2 and all(d.closed for d in made)
    assert sum(d.streams for d in made) == 6 and all(d.streams for d in made)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["device"] == "2 devices: socket://127.0.0.1:1, socket://127.0.0.1:2"
    assert [c["file"] for c in report["clips"]] == sorted(c["file"] for c in report["clips"])
    assert report["metrics"]["accuracy"] == 1.0 and report["passed"]
    assert "2 connected mps2_an505 in" in capsys.readouterr().err


def test_a_hardware_map_without_the_board_is_an_error(dataset, tmp_path, capsys):
    hw = tmp_path / "map.yaml"
    hw.write_text("- {id: u5, platform: stm32u5, serial: /dev/ttyACM0}\n")
    assert main(["test", "--board", "nucleo_h743zi", "--hardware-map", str(hw), "--dataset",
                 str(dataset)]) == 2
    err = capsys.readouterr().err
    assert "no connected nucleo_h743zi in the hardware map (connected platforms: " \
           "b_u585i_iot02a)" in err and "Traceback" not in err


def test_labgrid_missing_or_unreachable_is_a_clear_error(dataset, monkeypatch, capsys):
    import sys

    with monkeypatch.context() as absent:                    # as if not installed
        for name in ("labgrid", "labgrid.remote", "labgrid.remote.client"):
            absent.setitem(sys.modules, name, None)
        assert main(["test", "--board", "mps2_an505", "--labgrid", "p", "--dataset",
                     str(dataset)]) == 2
    err = capsys.readouterr().err
    assert "--labgrid: labgrid is not installed" in err and "fwgen[labgrid]" in err
    pytest.importorskip("labgrid")
    assert main(["test", "--board", "mps2_an505", "--labgrid", "p", "--dataset", str(dataset),
                 "--labgrid-coordinator", "127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "--labgrid-coordinator: cannot reach the labgrid coordinator at 127.0.0.1:9" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("board, commands", [
    ("b_u585i_iot02a", ["source [find interface/stlink-dap.cfg]", "transport select dapdirect_swd",
                        "source [find target/stm32u5x.cfg]",
                        "reset_config srst_only srst_nogate connect_assert_srst",
                        "program {filename} verify reset exit"]),
    ("b_l475e_iot01a", ["source [find board/st_b-l475e-iot01a.cfg]",
                        "program {filename} verify reset exit"]),
])
def test_a_place_is_flashed_with_the_board_files_openocd_scripts(board, commands):
    from fwgen.boards import get_board
    from fwgen.device.labgrid_place import openocd_load_commands

    assert openocd_load_commands(get_board(board)) == commands


def test_a_board_without_openocd_cannot_be_flashed_through_a_place():
    from fwgen.boards import get_board
    from fwgen.device.labgrid_place import openocd_load_commands

    with pytest.raises(FwgenError, match="xg24_dk2601b has no openocd runner"):
        openocd_load_commands(get_board("xg24_dk2601b"))


def test_each_board_of_a_map_is_flashed_with_its_runner_and_probe(dataset, tmp_path, monkeypatch,
                                                                   deployment, capsys):
    import fwgen.device
    import fwgen.flash
    from fwgen.flash import FirmwareImage

    flashed, made = [], []

    def serial_device(board, port, *, baudrate=None):
        made.append(MirrorDevice(deployment))
        made[-1].description, made[-1].board = port, board
        return made[-1]

    monkeypatch.setattr(fwgen.device, "SerialDevice", serial_device)
    monkeypatch.setattr(fwgen.flash, "find_image", lambda board, target=None: FirmwareImage(
        Path("/build/micro_speech-b_u585i_iot02a/firmware.elf"), "elf", "newest build"))
    monkeypatch.setattr(fwgen.flash, "flash_board", lambda runner, image, **kw: flashed.append(
        (runner.name, runner.probe, image.path.name)))
    hw = tmp_path / "map.yaml"
    hw.write_text("- {id: 004C0028, platform: stm32u5, runner: pyocd, serial: /dev/ttyACM0}\n"
                  "- {id: 0670FF51, platform: stm32u5, probe_id: '0670', serial: /dev/ttyACM1}\n")
    args = ["test", "--board", "b_u585i_iot02a", "--hardware-map", str(hw), "--dataset",
            str(dataset), "--no-progress"]
    assert main(args) == 0, capsys.readouterr()
    assert flashed == [("pyocd", "004C0028", "firmware.elf"), ("openocd", "0670", "firmware.elf")]
    assert [d.streams for d in made] != [0, 0] and sum(d.streams for d in made) == 6
    flashed.clear()
    assert main(args + ["--no-flash"]) == 0 and flashed == []
