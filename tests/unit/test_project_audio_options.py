"""`fwgen build` options that would otherwise be ignored or build something that cannot work
are refused with the reason, before anything is written: a --clip without --audio clip, and
--audio mic where nothing drives a microphone (also with --render-only)."""
from __future__ import annotations

import pytest

import fwgen.project.build
from fwgen.cli import main
from fwgen.deploy import DeployOptions, prepare
from fwgen.errors import FwgenError
from fwgen.zoo import resolve_model


@pytest.fixture
def no_build(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the firmware was built although the arguments were wrong")
    monkeypatch.setattr(fwgen.project.build, "run_pio", refuse)


def _refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("extra", [[], ["--render-only"], ["--audio", "link"], ["--audio", "mic"]])
def test_a_clip_without_audio_clip_is_refused(capsys, tmp_path, shared_data, no_build, extra):
    out = tmp_path / "p"
    err = _refused(capsys, ["build", "--model", "micro_speech", "--board", "stm32u5", "--clip",
                            str(shared_data / "micro_speech" / "yes_1000ms.wav"), "--out", str(out),
                            *extra])
    assert "--clip: a clip is compiled in only with --audio clip" in err
    assert not out.exists()


def test_the_library_refuses_it_too(shared_data):
    with pytest.raises(FwgenError, match="only with --audio clip") as err:
        prepare(resolve_model("micro_speech"),
                DeployOptions(clip=shared_data / "micro_speech" / "yes_1000ms.wav"))
    assert err.value.where == "--clip"


@pytest.mark.parametrize("board,reason", [
    ("mps2_an505", "mps2_an505 has no microphone"),
    ("mps2_an386", "mps2_an386 has no microphone"),
    ("stm32h7", "nucleo_h743zi has no microphone"),
])
@pytest.mark.parametrize("render_only", [True, False])
def test_audio_mic_without_a_microphone_is_refused(capsys, tmp_path, no_build, board, reason,
                                                   render_only):
    out = tmp_path / "p"
    err = _refused(capsys, ["build", "--model", "micro_speech", "--board", board, "--audio", "mic",
                            "--out", str(out)] + (["--render-only"] if render_only else []))
    assert f"--audio: {reason}" in err and "--audio link" in err
    assert not out.exists()


def test_audio_mic_renders_where_a_driver_exists(capsys, tmp_path, no_build):
    out = tmp_path / "p"
    assert main(["build", "--model", "micro_speech", "--board", "stm32u5", "--audio", "mic",
                 "--render-only", "--out", str(out)]) == 0
    assert "#define FWGEN_APP_AUDIO_SOURCE    2" in (out / "src/generated/app_config.h").read_text()
