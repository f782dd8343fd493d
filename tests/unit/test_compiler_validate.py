"""`fwgen validate`: exit codes, JSON report, inputs files, user errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from fwgen.cli import main
from fwgen.compiler import host as host_module


@pytest.fixture(scope="module")
def model(shared_data):
    return shared_data / "micro_speech" / "micro_speech_quantized.tflite"


def test_validate_json_reports_bit_exact_run(model, capsys):
    assert main(["validate", str(model), "--random", "5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["differing_elements"] == 0
    assert report["runs"] == 5 and report["total_elements"] == 20
    assert 0 < report["arena_bytes"] <= 0.65 * report["tflm_arena_bytes"]
    assert report["weights_bytes"] > 16000 and report["macs"] == 336004


def test_validate_emits_generated_files(model, tmp_path, capsys):
    assert main(["validate", str(model), "--random", "1", "--emit", str(tmp_path / "gen")]) == 0
    assert sorted(p.name for p in (tmp_path / "gen").iterdir()) == ["model.c", "model.h"]
    assert "fwgen_model_invoke" in (tmp_path / "gen" / "model.c").read_text()


def test_validate_with_inputs_file(model, shared_data, tmp_path, capsys):
    golden = np.load(shared_data / "frontend" / "golden.npz")
    batch = np.stack([golden[f"micro_speech/{c}_1000ms/int8"].reshape(-1) for c in ("yes", "no")]).astype(np.int8)
    np.save(tmp_path / "x.npy", batch)
    assert main(["validate", str(model), "--inputs", str(tmp_path / "x.npy")]) == 0
    out = capsys.readouterr().out
    assert "runs             2" in out and "BIT-EXACT" in out and "0 of 8" in out


def test_validate_reports_mismatch_with_exit_1(model, monkeypatch, capsys):
    real_run = host_module.HostModel.run

    def off_by_one(self, inputs):
        outs = real_run(self, inputs)
        outs[0].reshape(-1)[0] = np.int8(outs[0].reshape(-1)[0] ^ 1)
        return outs

    monkeypatch.setattr(host_module.HostModel, "run", off_by_one)
    assert main(["validate", str(model), "--random", "3", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["differing_elements"] == 3 and report["first_mismatch"]["index"] == [0, 0]


def test_validate_user_errors(tmp_path, capsys, model):
    assert main(["validate", str(tmp_path / "missing.tflite")]) == 2
    (tmp_path / "bad.tflite").write_bytes(b"not a model at all")
    assert main(["validate", str(tmp_path / "bad.tflite")]) == 2
    np.save(tmp_path / "wrong.npy", np.zeros(7, np.int8))
    assert main(["validate", str(model), "--inputs", str(tmp_path / "wrong.npy")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "not a valid .tflite model" in err and "multiple of 1960" in err
    assert "Traceback" not in err
