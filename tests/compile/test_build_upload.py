"""`pio run -t upload` in a project `fwgen build` wrote runs what `fwgen flash` runs: the board's
flash tool (here a stand-in that records its argv) on the image PlatformIO just built."""
from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.cli import main
from fwgen.project.platformio import run_pio

FAKE_TOOL = """#!{python}
import json, os, sys
with open(os.environ["FWGEN_FAKE_TOOL_LOG"], "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
"""


def _normalized(argv: list[str], project: Path) -> list[str]:
    """Paths made absolute against the project folder; Tcl's {word} read as word (openocd)."""
    out = []
    for arg in argv:
        words = []
        for word in arg.split(" "):
            bare = word[1:-1] if word.startswith("{") and word.endswith("}") else word
            if ".pio/build/" in bare:
                bare = str((project / bare).resolve()) if not os.path.isabs(bare) else bare
                word = bare
            words.append(word)
        out.append(" ".join(words))
    return out


@pytest.mark.parametrize("board_id,tool", [("stm32l4", "openocd"), ("efr32xg24", "pycommander-cli")])
def test_pio_upload_runs_the_fwgen_flash_command(tmp_path, capsys, monkeypatch, board_id, tool):
    board = get_board(board_id)
    project = tmp_path / "p"
    assert main(["build", "--model", "micro_speech", "--board", board_id, "--no-twin",
                 "--render-only", "--out", str(project)]) == 0
    capsys.readouterr()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / tool
    fake.write_text(FAKE_TOOL.format(python=sys.executable))
    fake.chmod(0o755)
    log = tmp_path / "tool.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FWGEN_FAKE_TOOL_LOG", str(log))
    run_pio(project, board.id, targets=("upload",))
    uploaded = [json.loads(line) for line in log.read_text().splitlines()]
    assert main(["flash", "--board", board_id, "--dry-run", str(project)]) == 0
    lines = [line[len("would run: "):] for line in capsys.readouterr().out.splitlines()
             if line.startswith("would run: ")]
    flashed = [shlex.split(line) for line in lines]
    assert [a[0] for a in flashed] == [tool] and len(uploaded) == 1
    assert _normalized(uploaded[0], project) == _normalized(flashed[0], project)


def test_another_upload_protocol_points_to_fwgen_flash(tmp_path, capsys):
    from fwgen.errors import FwgenError

    project = tmp_path / "p"
    assert main(["build", "--model", "micro_speech", "--board", "stm32u5", "--render-only",
                 "--out", str(project)]) == 0
    with pytest.raises(FwgenError, match="flash with fwgen flash"):
        run_pio(project, "mps2_an505", targets=("upload",))
