"""`fwgen validate`: exit codes, JSON report, inputs files, user errors."""
from __future__ import annotations

import json
import subprocess

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
    # fwgen_nn_paths.h: the one-channel path of TFLM micro_speech's depthwise layer
    assert sorted(p.name for p in (tmp_path / "gen").iterdir()) == ["fwgen_nn_paths.h", "model.c", "model.h"]
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


def _files(tmp_path, model):
    """Every kind of bad file a user can hand to `fwgen validate`, by name."""
    from compiler_helpers import fused_tanh, mutate, softmax_to_tanh, to_float_only

    data = model.read_bytes()
    made = {"dir": tmp_path / "a_dir", "text": tmp_path / "notes.tflite", "truncated": tmp_path / "cut.tflite",
            "float": tmp_path / "float.tflite", "tanh": tmp_path / "tanh.tflite",
            "tanh_act": tmp_path / "tanh_act.tflite", "junk_npy": tmp_path / "junk.npy",
            "cut_npy": tmp_path / "cut.npy", "pickle_npy": tmp_path / "obj.npy",
            "float_npy": tmp_path / "float.npy", "wide_npy": tmp_path / "wide.npy",
            "short_npy": tmp_path / "short.npy", "two_npz": tmp_path / "two.npz",
            "text_npy": tmp_path / "text.npy", "a_file": tmp_path / "a_file"}
    made["dir"].mkdir()
    made["text"].write_text("hello, not a model\n")
    made["truncated"].write_bytes(data[:5000])
    made["float"].write_bytes(mutate(data, to_float_only))
    made["tanh"].write_bytes(mutate(data, softmax_to_tanh))
    made["tanh_act"].write_bytes(mutate(data, fused_tanh))
    made["junk_npy"].write_text("garbage")
    np.save(made["cut_npy"], np.zeros(1960, np.int8))
    made["cut_npy"].write_bytes(made["cut_npy"].read_bytes()[:500])
    np.save(made["pickle_npy"], np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(made["float_npy"], np.full(1960, 0.5, np.float32))
    np.save(made["wide_npy"], np.full(1960, 300, np.int32))
    np.save(made["short_npy"], np.zeros(10, np.int8))
    np.savez(made["two_npz"], a=np.zeros(1960, np.int8), b=np.zeros(1960, np.int8))
    np.save(made["text_npy"], np.array(["a"] * 1960))
    made["a_file"].write_text("")
    return made


# (arguments with {placeholders}, what the message must say). Every row: exit 2, no traceback,
# nothing written.
USER_MISTAKES = [
    (["{tmp}/missing.tflite"], "missing.tflite: model file not found"),
    (["{dir}"], "is a directory, not a .tflite model file"),
    (["{text}"], "not a valid .tflite model: only 19 bytes|not a valid .tflite model: missing the TFL3"),
    (["{truncated}"], r"beyond the end of the 5000-byte file \(truncated\?\)"),
    (["{float}"], r"operator 0 \(.*\): the model has no int8 activations"),
    (["{tanh}"], r"operator 3 \(TANH\): operator TANH is not supported.*supported operators: .*CONV_2D"),
    (["{tanh_act}"], r"operator 1 \(DEPTHWISE_CONV_2D\): fused activation TANH.*RELU6"),
    (["{model}", "--random", "-1"], "--random -1: the number of random inputs must be >= 0"),
    (["{model}", "--random", "0"], "--random 0 without --inputs leaves nothing to run"),
    (["{model}", "--inputs", "{tmp}/none.npy"], "none.npy: inputs file not found"),
    (["{model}", "--inputs", "{dir}"], "is a directory, not a .npy/.npz file"),
    (["{model}", "--inputs", "{junk_npy}"], "not a NumPy .npy/.npz file"),
    (["{model}", "--inputs", "{cut_npy}"], "not a readable NumPy .npy/.npz file"),
    (["{model}", "--inputs", "{pickle_npy}"], "it holds Python objects"),
    (["{model}", "--inputs", "{float_npy}"], r"must hold int8 values, got float32.*round\(x / 0.1017"),
    (["{model}", "--inputs", "{wide_npy}"], r"must hold int8 values, got int32 with values in \[300, 300\]"),
    (["{model}", "--inputs", "{short_npy}"], r"got 10 values of shape \[10\], not a multiple of 1960"),
    (["{model}", "--inputs", "{two_npz}"], "2 input arrays for a model with 1 inputs.*'Reshape_1' \\[1, 1960\\]"),
    (["{model}", "--inputs", "{text_npy}"], "got an array of type <U1"),
    (["{model}", "--emit", "{a_file}"], "--emit needs a directory"),
    (["{model}", "--emit", "{a_file}/sub"], "--emit needs a directory"),
]


@pytest.mark.parametrize("argv, message", USER_MISTAKES, ids=[" ".join(a) for a, _ in USER_MISTAKES])
def test_every_user_mistake_is_a_clear_error(argv, message, tmp_path, capsys, model):
    import re

    files = {k: str(v) for k, v in _files(tmp_path, model).items()}
    before = sorted(p.name for p in tmp_path.rglob("*"))
    args = [a.format(tmp=tmp_path, model=model, **files) for a in argv]
    assert main(["validate", *args, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert re.search(message, captured.err, re.S), captured.err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_emit_writes_nothing_when_a_file_cannot_be_written(model, tmp_path, capsys, monkeypatch):
    import os

    out = tmp_path / "gen"
    out.mkdir()
    (out / "model.c").write_text("old")
    real_replace = os.replace
    calls = []

    def fail_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    assert main(["validate", str(model), "--random", "1", "--emit", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot write the generated files: No space left on device" in err and "Traceback" not in err
    # the file renamed before the failure and the old model.c; no temporaries left behind
    assert sorted(p.name for p in out.iterdir()) == ["fwgen_nn_paths.h", "model.c"]


def _beta_zero(m, s):
    m.subgraphs[0].operators[3].builtinOptions.beta = 0.0   # SOFTMAX: TFLM aborts (SIGABRT)


def _python(code: str, *args: str, tmp_path) -> "subprocess.CompletedProcess[str]":
    """Run `code` in a fresh interpreter (a crash there cannot take the test run with it), with a
    private TMPDIR so leftovers show."""
    import os
    import sys

    tmp = tmp_path / "tmpdir"
    tmp.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, TMPDIR=str(tmp)))


def test_validate_refuses_a_model_that_crashes_tflm_before_either_runs(model, tmp_path):
    from compiler_helpers import mutate

    crash = tmp_path / "beta0.tflite"
    crash.write_bytes(mutate(model.read_bytes(), _beta_zero))
    proc = _python("import sys; from fwgen.cli import main; sys.exit(main(sys.argv[1:]))",
                   "validate", str(crash), "--random", "1", tmp_path=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert f"{crash}: operator 3 (SOFTMAX): option Beta 0.0 is not supported" in proc.stderr
    assert "Traceback" not in proc.stderr and not list((tmp_path / "tmpdir").iterdir())


def test_a_tflm_crash_is_reported_with_its_signal(model, tmp_path):
    # fwgen's checks refuse beta 0; pair the crashing file with the good model's compiled C to
    # reach the oracle, which must report the crash instead of dying with it
    from compiler_helpers import mutate

    crash = tmp_path / "beta0.tflite"
    crash.write_bytes(mutate(model.read_bytes(), _beta_zero))
    code = ("import sys\n"
            "from fwgen.compiler import compile_model\n"
            "from fwgen.compiler.validate import validate_model\n"
            "from fwgen.errors import FwgenError\n"
            "try:\n"
            "    validate_model(sys.argv[1], random=1, compiled=compile_model(sys.argv[2]),\n"
            "                   measure_code=False)\n"
            "except FwgenError as exc:\n"
            "    print(exc)\n"
            "    sys.exit(exc.exit_code)\n")
    proc = _python(code, str(crash), str(model), tmp_path=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert f"{crash}: the TFLM interpreter crashed on this model (signal 6, SIGABRT)" in proc.stdout
    assert "hint:" in proc.stdout
    assert not list((tmp_path / "tmpdir").iterdir())     # the exchange folder is removed


def test_the_oracle_runs_in_a_child_and_agrees_with_the_in_process_interpreter(model):
    from fwgen.compiler.oracle import run_isolated
    from fwgen.compiler.reference import TflmModel

    data = model.read_bytes()
    sets = [[np.full((1, 1960), v, np.int8)] for v in (-128, 0, 100)]
    result = run_isolated(data, sets, where=str(model))
    tflm = TflmModel(data)
    assert len(result.outputs) == 3
    for run, outs in zip(sets, result.outputs):
        assert np.array_equal(outs[0], tflm.run(run)[0])
    assert result.arena_used_bytes == tflm.arena_used_bytes()


def test_the_oracle_has_a_time_limit(model):
    from fwgen.compiler.oracle import run_isolated
    from fwgen.errors import FwgenError

    with pytest.raises(FwgenError, match="did not finish within") as info:
        run_isolated(model.read_bytes(), [[np.zeros((1, 1960), np.int8)]], where="m.tflite",
                     timeout=0.01)
    assert info.value.where == "m.tflite"
