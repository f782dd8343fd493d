"""Arguments that were ignored or accepted with no sanity limit (issue 14, items 6 and 10):
`boards list X` and `quantize --width 0` are errors that say what to do, before any work."""
from __future__ import annotations

import pytest

from fwgen.cli import main


def test_boards_list_with_a_board_id_is_an_error_that_points_to_show(capsys):
    assert main(["boards", "list", "stm32u5"]) == 2
    err = capsys.readouterr().err
    assert "fwgen boards: error: 'boards list' takes no board id (got 'stm32u5')" in err
    assert "fwgen boards show stm32u5" in err
    assert "Traceback" not in err


def test_boards_list_and_show_still_work(capsys):
    assert main(["boards", "list"]) == 0
    assert main(["boards"]) == 0
    listing = capsys.readouterr().out
    assert "mps2_an505" in listing and "stm32u5" in listing
    assert main(["boards", "show", "stm32u5"]) == 0
    assert "stm32u5" in capsys.readouterr().out


@pytest.mark.parametrize("width", ["0", "-0.4", "4.5", "nan", "inf"])
def test_quantize_refuses_a_width_outside_the_importable_range(width, tmp_path, capsys):
    model = tmp_path / "mn04.pt"
    model.write_bytes(b"not read: the width is checked first")
    out = tmp_path / "out.tflite"
    assert main(["quantize", str(model), "--width", width, "--data", "synthetic",
                 "--zoo", "micro_speech", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "fwgen quantize: error: --width: must be more than 0 and at most 4, got" in err
    assert "0.4 for mn04" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [model]
