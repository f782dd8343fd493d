"""A project a user can own: fwgen records what it generated (fwgen-project.json: a digest per
file, and the settings it was built with), refuses to overwrite a generated file changed by
hand unless --force (naming the files), never writes to src/user/ after creating it, and
`fwgen build` in an existing project folder rebuilds from the recorded settings."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import fwgen.project.build
from fwgen.cli import main
from fwgen.errors import FwgenError
from fwgen.project.render import MANIFEST, ProjectSpec, render_project
from fwgen.boards import get_board

DETECT = "src/generated/detect_config.c"


@pytest.fixture
def no_build(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pio run was reached")
    monkeypatch.setattr(fwgen.project.build, "run_pio", refuse)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def render(capsys, out: Path, *extra: str) -> None:
    code, _, err = run(capsys, "build", "--model", "micro_speech", "--board", "stm32u5",
                       "--render-only", "--out", str(out), *extra)
    assert code == 0, err


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_hand_edit_is_not_overwritten_without_force(capsys, tmp_path, no_build):
    out = tmp_path / "p"
    render(capsys, out)
    original = (out / DETECT).read_text()
    edited = original.replace(".suppression_ms = 1500u", ".suppression_ms = 900u")
    assert edited != original
    (out / DETECT).write_text(edited)
    (out / "platformio.ini").write_text((out / "platformio.ini").read_text() + "; mine\n")
    code, _, err = run(capsys, "build", "--model", "micro_speech", "--board", "stm32u5",
                       "--render-only", "--out", str(out))
    assert code == 2
    assert "2 generated files were changed by hand" in err
    assert DETECT in err and "platformio.ini" in err and "--force" in err and "src/user/" in err
    assert (out / DETECT).read_text() == edited               # nothing was written
    code, _, err = run(capsys, "build", "--model", "micro_speech", "--board", "stm32u5",
                       "--render-only", "--out", str(out), "--force")
    assert code == 0, err
    assert f"overwrote 2 files changed by hand: platformio.ini, {DETECT}" in err
    assert (out / DETECT).read_text() == original


def test_an_unchanged_project_rerenders_quietly_and_a_deleted_file_comes_back(capsys, tmp_path,
                                                                             no_build):
    out = tmp_path / "p"
    render(capsys, out)
    before = tree(out)
    (out / DETECT).unlink()
    render(capsys, out)
    assert tree(out) == before
    assert "changed by hand" not in capsys.readouterr().err


def test_a_stale_file_changed_by_hand_is_not_removed(capsys, tmp_path, shared_data, no_build):
    out = tmp_path / "p"
    clip = str(shared_data / "micro_speech" / "yes_1000ms.wav")
    render(capsys, out, "--audio", "clip", "--clip", clip)
    (out / "src/generated/clip.c").write_text("/* mine */\n")
    code, _, err = run(capsys, "build", "--model", "micro_speech", "--board", "stm32u5",
                       "--render-only", "--out", str(out))
    assert code == 2 and "src/generated/clip.c" in err
    assert (out / "src/generated/clip.c").read_text() == "/* mine */\n"


def test_fwgen_run_refuses_to_overwrite_an_edited_project(capsys, tmp_path, shared_data, no_build):
    out = tmp_path / "twin"
    code, _, err = run(capsys, "build", "--model", "micro_speech", "--board", "mps2_an505",
                       "--no-twin", "--render-only", "--out", str(out))
    assert code == 0, err
    (out / DETECT).write_text("/* my thresholds */\n")
    code, _, err = run(capsys, "run", "--board", "mps2_an505", "--out", str(out),
                       str(shared_data / "micro_speech" / "yes_1000ms.wav"))
    assert code == 2 and DETECT in err and "--force" in err
    assert (out / DETECT).read_text() == "/* my thresholds */\n"


def test_src_user_is_created_once_and_never_written_again(capsys, tmp_path, no_build):
    out = tmp_path / "p"
    render(capsys, out)
    config = out / "src" / "user" / "fwgen_user_config.h"
    assert config.is_file() and (out / "src" / "user" / "README.md").is_file()
    app_config = (out / "src/generated/app_config.h").read_text()
    assert '#include "fwgen_user_config.h"' in app_config
    assert '#include "fwgen_memory.h"' in app_config
    assert "#ifndef FWGEN_APP_AUDIO_WINDOW" in (
        out / "src/generated/boards/b_u585i_iot02a/fwgen_memory.h").read_text()
    ini = (out / "platformio.ini").read_text()
    assert "-I$PROJECT_SRC_DIR/user" in ini and "src/user/" in ini
    manifest = json.loads((out / MANIFEST).read_text())
    assert not any(name.startswith("src/user/") for name in manifest["files"])
    config.write_text("#define FWGEN_APP_AUDIO_WINDOW 8192u\n")
    (out / "src" / "user" / "my_code.c").write_text("int mine;\n")
    (out / "src" / "user" / "README.md").unlink()
    render(capsys, out, "--stride", "2")
    render(capsys, out, "--force")
    assert config.read_text() == "#define FWGEN_APP_AUDIO_WINDOW 8192u\n"
    assert (out / "src" / "user" / "my_code.c").read_text() == "int mine;\n"
    assert not (out / "src" / "user" / "README.md").exists()     # deleted stays deleted


def test_the_user_area_is_deterministic(tmp_path):
    spec = ProjectSpec(board=get_board("stm32u5"), generated={"model.c": "x\n"})
    a, b = render_project(spec, tmp_path / "a").path, render_project(spec, tmp_path / "b").path
    assert tree(a) == tree(b) and "src/user/fwgen_user_config.h" in tree(a)
    smoke = render_project(ProjectSpec(board=get_board("stm32u5"), app="smoke"), tmp_path / "s")
    assert not (smoke.path / "src" / "user").exists()


def test_fwgen_build_in_a_project_folder_rebuilds_from_its_recorded_settings(
        capsys, tmp_path, shared_data, repo_root, monkeypatch, no_build):
    clips = shared_data / "micro_speech"
    out = tmp_path / "proj"
    code, _, err = run(capsys, "build", "--model", str(clips / "micro_speech_quantized.tflite"),
                       "--settings", str(repo_root / "models/micro_speech/model.yaml"),
                       "--board", "stm32l4", "--stride", "2", "--smoothing", "minimum_count=1",
                       "--audio", "clip", "--clip", str(clips / "yes_1000ms.wav"), "--no-twin",
                       "--render-only", "--out", str(out))
    assert code == 0, err
    recorded = json.loads((out / MANIFEST).read_text())["build"]
    assert recorded == {
        "model_path": os.path.relpath(clips / "micro_speech_quantized.tflite", out),
        "settings": os.path.relpath(repo_root / "models/micro_speech/model.yaml", out),
        "board": "b_l475e_iot01a", "stride": 2, "smoothing": {"minimum_count": 1},
        "audio": "clip", "clip": os.path.relpath(clips / "yes_1000ms.wav", out), "twin": False,
        "runtime": "aot", "model_sha256": recorded["model_sha256"]}
    assert len(recorded["model_sha256"]) == 64
    before = tree(out)
    monkeypatch.chdir(out)                       # `fwgen build` inside the folder
    code, stdout, err = run(capsys, "build", "--render-only")
    assert code == 0, err
    assert "rebuilding from the settings recorded in fwgen-project.json" in stdout + err
    assert tree(out) == before
    monkeypatch.chdir(tmp_path)                  # `fwgen build --out DIR`, one setting changed
    code, _, err = run(capsys, "build", "--out", "proj", "--render-only", "--stride", "3")
    assert code == 0, err
    assert "#define FWGEN_APP_STRIDE_FRAMES   3u" in (out / "src/generated/app_config.h").read_text()
    assert (out / "src/generated/clip.c").is_file()
    assert json.loads((out / MANIFEST).read_text())["build"]["stride"] == 3


def test_zoo_models_are_recorded_by_name(capsys, tmp_path, no_build):
    out = tmp_path / "p"
    render(capsys, out)
    recorded = json.loads((out / MANIFEST).read_text())["build"]
    assert recorded["model"] == "micro_speech" and "model_path" not in recorded
    assert recorded["board"] == "b_u585i_iot02a" and recorded["twin"] is True


@pytest.mark.parametrize("argv,expected", [
    (["build"], "--model and --board are needed"),
    (["build", "--board", "stm32u5"], "--model and --board are needed"),
    (["build", "--out", "nowhere"], "nowhere: no fwgen project here to rebuild"),
])
def test_without_model_and_board_outside_a_project(capsys, tmp_path, monkeypatch, no_build, argv,
                                                   expected):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2 and expected in err


def test_a_project_without_recorded_settings_says_so(capsys, tmp_path, no_build):
    project = render_project(ProjectSpec(board=get_board("stm32u5"), generated={"model.c": "x\n"}),
                             tmp_path / "p").path
    code, _, err = run(capsys, "build", "--out", str(project), "--render-only")
    assert code == 2 and "records no build settings" in err and "--model" in err


def test_render_project_raises_naming_the_files(tmp_path):
    spec = ProjectSpec(board=get_board("stm32u5"), generated={"model.c": "x\n"})
    out = render_project(spec, tmp_path / "p").path
    (out / "src/generated/model.c").write_text("y\n")
    with pytest.raises(FwgenError, match="src/generated/model.c") as err:
        render_project(spec, out)
    assert err.value.where == str(out)
    assert render_project(spec, out, force=True).overwritten == ("src/generated/model.c",)
