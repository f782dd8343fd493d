"""Every reader and compiler error names the model's file first (then the op, tensor, table or
byte offset), with a hint: `fwgen build` compiles the bytes it resolved, so the file's name
must travel with them (issue 14: 518 of 1,437 build errors on mutated models said
`<model bytes>`, 310 were raw flatbuffers text such as "unpack_from requires a buffer of at
least 88 bytes")."""
from __future__ import annotations

import re

import pytest

from fwgen.cli import main
from fwgen.compiler import compile_model
from fwgen.errors import FwgenError
from fwgen.tflite.metadata import metadata_entries, read_model_metadata

from compiler_helpers import fused_tanh, mutate, to_float_only

RAW = re.compile(r"unpack_from|requires a buffer|struct\.error|IndexError|object has no attribute")


@pytest.fixture(scope="module")
def micro_speech(shared_data):
    return (shared_data / "micro_speech" / "micro_speech_quantized.tflite").read_bytes()


@pytest.fixture(scope="module")
def zoo_model(repo_root):
    return repo_root / "models" / "micro_speech" / "micro_speech.tflite"


def _error(fn) -> FwgenError:
    with pytest.raises(FwgenError) as info:
        fn()
    return info.value


@pytest.mark.parametrize("edit, says", [
    (fused_tanh, "operator 1 (DEPTHWISE_CONV_2D): fused activation TANH"),
    (to_float_only, "the model has no int8 activations"),
])
def test_compiler_errors_on_bytes_name_the_given_file(micro_speech, edit, says):
    exc = _error(lambda: compile_model(mutate(micro_speech, edit), where="kws.tflite"))
    assert str(exc).startswith("kws.tflite: ") and says in str(exc) and exc.hint


def test_reader_errors_on_bytes_name_the_given_file(micro_speech):
    exc = _error(lambda: compile_model(micro_speech[:5000], where="kws.tflite"))
    assert str(exc).startswith("kws.tflite: not a valid .tflite model") and "<model bytes>" not in str(exc)


def test_compiler_errors_on_a_path_name_it(micro_speech, tmp_path):
    path = tmp_path / "tanh.tflite"
    path.write_bytes(mutate(micro_speech, fused_tanh))
    exc = _error(lambda: compile_model(path))
    assert str(exc).startswith(f"{path}: operator 1 (DEPTHWISE_CONV_2D)")


@pytest.mark.parametrize("cut", [20, 60, 100, 1000, 10000])
def test_metadata_of_a_truncated_file_says_where_without_raw_text(zoo_model, tmp_path, cut):
    path = tmp_path / "cut.tflite"
    path.write_bytes(zoo_model.read_bytes()[:cut])
    for read in (read_model_metadata, metadata_entries):
        exc = _error(lambda: read(path))
        text = str(exc)
        assert text.startswith(f"{path}: ") and exc.hint and not RAW.search(text), text
        assert re.search(r"byte offset \d+|beyond the end|truncated", text), text


def _build(capsys, model, tmp_path) -> str:
    out = tmp_path / "project"
    rc = main(["build", "--model", str(model), "--board", "mps2_an505", "--render-only",
               "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and not out.exists()
    return err


@pytest.mark.parametrize("cut", [20, 100, 10000, 21000])
def test_build_names_the_file_of_a_truncated_model(capsys, tmp_path, zoo_model, cut):
    path = tmp_path / "cut.tflite"
    path.write_bytes(zoo_model.read_bytes()[:cut])
    err = _build(capsys, path, tmp_path)
    assert f"{path}: " in err and "<model bytes>" not in err and "hint:" in err
    assert not RAW.search(err), err


def test_build_names_the_file_and_the_op_of_a_compiler_error(capsys, tmp_path, zoo_model):
    def fused(m, s):
        m.subgraphs[0].operators[0].builtinOptions.fusedActivationFunction = s.ActivationFunctionType.TANH
    path = tmp_path / "tanh.tflite"
    path.write_bytes(mutate(zoo_model.read_bytes(), fused))
    err = _build(capsys, path, tmp_path)
    assert f"{path}: operator 0 (CONV_2D): fused activation TANH is not supported" in err
