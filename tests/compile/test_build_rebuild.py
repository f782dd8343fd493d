"""A project the user owns, built for real: `fwgen build` inside the folder rebuilds it from the
recorded settings, compiling the user's own code in src/user/ and taking the settings of
src/user/fwgen_user_config.h (a larger link window shows in .bss: the twin's audio ring)."""
from __future__ import annotations

import json

from fwgen.cli import main


def test_rebuild_in_the_folder_with_user_code_and_settings(tmp_path, capsys, monkeypatch):
    out = tmp_path / "p"
    assert main(["build", "--model", "micro_speech", "--board", "mps2_an505", "--out", str(out),
                 "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["envs"]["mps2_an505"]
    (out / "src" / "user" / "fwgen_user_config.h").write_text(
        "#ifndef FWGEN_USER_CONFIG_H\n#define FWGEN_USER_CONFIG_H\n"
        "#define FWGEN_APP_AUDIO_WINDOW 8192u\n#endif\n")
    (out / "src" / "user" / "mine.c").write_text(
        '#include "app_config.h"\nconst unsigned fwgen_user_window = FWGEN_APP_AUDIO_WINDOW;\n')
    monkeypatch.chdir(out)
    assert main(["build", "--json"]) == 0
    captured = capsys.readouterr()
    assert "rebuilding from the settings recorded in fwgen-project.json" in captured.err
    again = json.loads(captured.out)["envs"]["mps2_an505"]
    window = first["ram_buffers"]["audio ring"] // 2                      # int16 samples
    assert again["sections"]["bss"] - first["sections"]["bss"] == (8192 - window) * 2
    assert (out / ".pio" / "build" / "mps2_an505" / "src" / "user" / "mine.o").is_file()
