"""User mistakes on `fwgen boards`, `fwgen build` and `fwgen run`: a clear error naming what and
where, exit status 2, no traceback, and nothing half-written (no project folder left behind).

No toolchain is needed: every mistake here is caught before `pio run` or QEMU starts (`pio run`
is replaced by a failing stand-in to prove it is never reached)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fwgen.project.build
from fwgen.audio import write_wav
from fwgen.cli import main
from fwgen.cli.options import parse_smoothing
from fwgen.errors import FwgenError
from fwgen.project.render import removed_on_error


@pytest.fixture
def no_build(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the firmware was built although the arguments were wrong")
    monkeypatch.setattr(fwgen.project.build, "run_pio", refuse)


def run_cli(capsys, argv: list[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("argv,expected", [
    (["boards", "show", "nope"], "unknown board 'nope'"),
    (["build", "--model", "micro_speech", "--board", "nope"], "unknown board 'nope'"),
    (["build", "--model", "nope", "--board", "stm32u5"], "no zoo model named 'nope'"),
    (["build", "--model", "micro_speech", "--board", "stm32u5", "--stride", "0"], "--stride"),
    (["build", "--model", "micro_speech", "--board", "stm32u5", "--smoothing", "foo"],
     "expected KEY=VALUE"),
    (["build", "--model", "micro_speech", "--board", "stm32u5", "--smoothing", "minimum_count=x"],
     "minimum_count must be an integer"),
    (["build", "--model", "micro_speech", "--board", "stm32u5", "--smoothing",
      "detection_threshold_list=a+b"], "detection_threshold_list must be integers"),
    (["build", "--model", "micro_speech", "--board", "stm32u5", "--smoothing", "bogus=3"],
     "unknown smoothing setting"),
    # mn04_tagger's 1.08 MB of weights against the L475's 1 MB of flash (yamnet_256 fits it
    # since the lean build: RAM in both banks)
    (["build", "--model", "mn04_tagger", "--board", "stm32l4"], "does not fit b_l475e_iot01a"),
])
def test_build_mistakes(capsys, tmp_path, no_build, argv, expected):
    out = tmp_path / "project"
    err = run_cli(capsys, argv + (["--out", str(out)] if argv[0] == "build" else []))
    assert expected in err
    assert not out.exists()


def test_missing_and_corrupt_tflite(capsys, tmp_path, no_build):
    err = run_cli(capsys, ["build", "--model", str(tmp_path / "missing.tflite"), "--board", "stm32u5"])
    assert "missing.tflite: model file not found" in err
    err = run_cli(capsys, ["build", "--model", str(tmp_path), "--board", "stm32u5"])
    assert f"{tmp_path}: is a folder, not a .tflite model file" in err
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"garbage, not a flatbuffer")
    err = run_cli(capsys, ["build", "--model", str(bad), "--board", "stm32u5"])
    assert "bad.tflite" in err and "not a TFLite flatbuffer" in err


def test_tflite_without_metadata_needs_settings(capsys, shared_data, tmp_path, no_build):
    model = shared_data / "micro_speech" / "micro_speech_quantized.tflite"
    err = run_cli(capsys, ["build", "--model", str(model), "--board", "stm32u5",
                           "--out", str(tmp_path / "p")])
    assert "no fwgen or MLTK (SL_PARAMSv1) metadata" in err and "--settings" in err
    assert not (tmp_path / "p").exists()


def test_smoothing_file_that_is_not_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(": :\n")
    with pytest.raises(FwgenError, match="cannot read smoothing settings") as err:
        parse_smoothing([str(bad)])
    assert err.value.where == str(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n")
    with pytest.raises(FwgenError, match="expected a mapping"):
        parse_smoothing([str(listing)])


def test_out_onto_a_file(capsys, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    err = run_cli(capsys, ["build", "--model", "micro_speech", "--board", "stm32u5", "--render-only",
                           "--out", str(afile)])
    assert "the project folder is a file" in err
    err = run_cli(capsys, ["build", "--model", "micro_speech", "--board", "stm32u5", "--render-only",
                           "--out", str(afile / "sub")])
    assert "cannot create the project folder" in err
    assert afile.read_text() == "mine"


def test_failed_build_removes_a_fresh_project_but_keeps_an_existing_one(tmp_path):
    fresh = tmp_path / "fresh"
    with pytest.raises(FwgenError):
        with removed_on_error(fresh):
            fresh.mkdir()
            (fresh / "platformio.ini").write_text("half")
            raise FwgenError("pio failed")
    assert not fresh.exists()
    nested = tmp_path / "new" / "deeper" / "project"
    with pytest.raises(FwgenError):
        with removed_on_error(nested):
            nested.mkdir(parents=True)
            raise FwgenError("pio failed")
    assert not (tmp_path / "new").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "platformio.ini").write_text("a previous project")
    with pytest.raises(KeyboardInterrupt):
        with removed_on_error(existing):
            raise KeyboardInterrupt
    assert (existing / "platformio.ini").read_text() == "a previous project"


@pytest.fixture
def clips(tmp_path, shared_data) -> dict[str, Path]:
    from fwgen.audio import read_wav

    yes = read_wav(shared_data / "micro_speech" / "yes_1000ms.wav")
    stereo = tmp_path / "stereo.wav"
    import soundfile
    soundfile.write(stereo, np.stack([yes, yes], axis=1), 16000, subtype="PCM_16")
    return {"yes": shared_data / "micro_speech" / "yes_1000ms.wav", "stereo": stereo,
            "8k": write_wav(tmp_path / "r8k.wav", yes[::2], 8000)}


@pytest.mark.parametrize("clip,expected", [
    ("stereo", "has 2 channels"),
    ("8k", "sample rate is 8000 Hz, expected 16000 Hz"),
])
def test_run_rejects_audio_before_building(capsys, tmp_path, clips, no_build, clip, expected):
    out = tmp_path / "twin"
    err = run_cli(capsys, ["run", "--out", str(out), str(clips[clip])])
    assert f"{clips[clip]}: {expected}" in err and "--convert" in err
    assert not out.exists()


@pytest.mark.parametrize("argv,expected", [
    (["run", "missing.wav"], "missing.wav: audio file not found"),
    (["run", "--model", "nope", "YES"], "no zoo model named 'nope'"),
    (["run", "--board", "bogus", "YES"], "unknown board 'bogus'"),
    (["run", "--pad-ms", "-1", "YES"], "--pad-ms: must be >= 0 ms, got -1"),
    (["run", "--timeout", "0", "YES"], "--timeout: must be more than 0 seconds"),
])
def test_run_mistakes(capsys, clips, no_build, argv, expected):
    err = run_cli(capsys, [str(clips["yes"]) if a == "YES" else a for a in argv])
    assert expected in err


@pytest.mark.parametrize("clip,expected", [
    ("8k", "sample rate is 8000 Hz, expected 16000 Hz"),
    ("stereo", "has 2 channels"),
])
def test_compiled_in_clip_is_checked_like_streamed_audio(capsys, tmp_path, clips, no_build, clip,
                                                         expected):
    out = tmp_path / "p"
    err = run_cli(capsys, ["build", "--model", "micro_speech", "--board", "mps2_an505", "--audio",
                           "clip", "--clip", str(clips[clip]), "--out", str(out)])
    assert f"{clips[clip]}: {expected}" in err
    assert not out.exists()


def test_failed_pio_run_in_a_fresh_folder_says_how_to_debug(capsys, tmp_path, monkeypatch):
    def fail(project, env, **kwargs):
        raise FwgenError(f"firmware build failed (pio run -e {env}, exit 1)\nerror: boom",
                         where=str(project), hint="run 'pio run' in that folder")
    monkeypatch.setattr(fwgen.project.build, "run_pio", fail)
    out = tmp_path / "p"
    err = run_cli(capsys, ["build", "--model", "micro_speech", "--board", "mps2_an505", "--out", str(out)])
    assert "firmware build failed (pio run -e mps2_an505, exit 1)" in err and "error: boom" in err
    assert "--render-only" in err and str(out) not in err
    assert not out.exists()
    out.mkdir()                      # a build into an existing folder keeps it and its hint
    err = run_cli(capsys, ["build", "--model", "micro_speech", "--board", "mps2_an505", "--out", str(out)])
    assert f"{out}: firmware build failed" in err and "run 'pio run' in that folder" in err
    assert (out / "platformio.ini").is_file()
