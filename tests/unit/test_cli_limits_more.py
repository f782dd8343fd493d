"""Issue 14 items 5, 6, 8 and 10 not covered elsewhere: each mistake is exit 2 with a clear
message and no traceback, before any work (no build, no dataset, no inference)."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.audio import write_wav
from fwgen.cli import main
from fwgen.zoo import get_model

MODEL = str(get_model("micro_speech").require_weights())


def _fails(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("argv,expected", [
    (["validate", MODEL, "--seed", "-5"], "--seed -5: a seed is 0 to 2**32 - 1"),
    (["validate", MODEL, "--random", "100000000000"], "must be at most 100,000"),
    (["train", "--model", "micro_speech", "--data", "synthetic", "--learning-rate", "-1"],
     "--learning-rate: must be more than 0"),
    (["train", "--model", "micro_speech", "--data", "synthetic", "--learning-rate", "nan"],
     "--learning-rate: must be more than 0"),
    (["train", "--model", "micro_speech", "--data", "synthetic", "--batch-size", "0"],
     "--batch-size: must be 1 to 65536"),
    (["models", "list", "X"], "'models list' takes no model name"),
])
def test_numbers_and_arguments_are_checked_first(capsys, argv, expected):
    assert expected in _fails(capsys, argv)


def test_run_names_a_folder_and_refuses_huge_padding_and_short_clips(capsys, tmp_path, monkeypatch):
    import fwgen.run.firmware

    def no_build(*args, **kwargs):
        raise AssertionError("the firmware was built although the arguments were wrong")
    monkeypatch.setattr(fwgen.run.clips, "twin_firmware", no_build)
    assert "is a folder, not a WAV file" in _fails(capsys, ["run", str(tmp_path)])
    clip = tmp_path / "ok.wav"
    write_wav(clip, np.zeros(16000, np.int16), 16000)
    assert "--pad-ms: must be at most 10000 ms" in _fails(capsys, ["run", "--pad-ms", "100000000",
                                                                str(clip)])
    for n in (0, 1, 100):
        short = tmp_path / f"short{n}.wav"
        write_wav(short, np.zeros(n, np.int16), 16000)
        err = _fails(capsys, ["run", str(short)])
        assert f"{short}: {n} samples, shorter than one frontend window (480 samples, 30 ms)" in err


def test_settings_that_are_not_utf8_are_named(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'\xff\xfe{"classes": ["a"]}')
    for verb in (["build", "--board", "stm32u5", "--render-only", "--out", str(tmp_path / "p")],
                 ["run", str(tmp_path / "x.wav")]):
        if verb[0] == "run":
            write_wav(tmp_path / "x.wav", np.zeros(16000, np.int16), 16000)
        err = _fails(capsys, [*verb, "--model", MODEL, "--settings", str(bad)])
        assert f"{bad}: not a UTF-8 text file (byte 0: 0xff)" in err
    assert not (tmp_path / "p").exists()


def test_a_path_the_os_refuses_is_named_not_a_traceback(capsys, monkeypatch, tmp_path):
    """A read-only --out (root ignores permissions, so the refusal is planted where the verb
    writes) ends in the path and a hint, exit 2."""
    import fwgen.project.render

    def refuse(out_dir, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(out_dir / "platformio.ini"))
    monkeypatch.setattr(fwgen.project.render, "write_project", refuse)
    err = _fails(capsys, ["build", "--model", "micro_speech", "--board", "stm32u5",
                          "--render-only", "--out", str(tmp_path / "p")])
    assert f"{tmp_path / 'p' / 'platformio.ini'}: Permission denied" in err
    assert "writable folder" in err
