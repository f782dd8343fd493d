"""fwgen metadata and MLTK SL_PARAMSv1 inside .tflite files."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import flatbuffers
import numpy as np
import pytest

from fwgen.errors import FwgenError
from fwgen.tflite import metadata as md

MODEL = "micro_speech/micro_speech_quantized.tflite"

SETTINGS = {
    "frontend": {"fe.sample_rate_hz": 16000, "fe.window_size_ms": 30, "fe.window_step_ms": 20,
                 "fe.filterbank_n_channels": 40},
    "classes": ["silence", "unknown", "yes", "no"],
    "smoothing": {"average_window_duration_ms": 1000, "detection_threshold": 185,
                  "suppression_ms": 1500, "minimum_count": 3},
}


@pytest.fixture()
def tflm_model(shared_data: Path) -> bytes:
    return (shared_data / MODEL).read_bytes()


def _tflm_outputs(model: bytes, inputs: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model)
    rows = []
    for x in inputs:
        interpreter.set_input(x.reshape(1, -1), 0)
        interpreter.invoke()
        rows.append(np.array(interpreter.get_output(0)).reshape(-1))
    return np.stack(rows)


def test_round_trip_keeps_the_graph_bit_exact(tflm_model: bytes) -> None:
    meta = md.ModelMetadata.from_dict(SETTINGS)
    tagged = md.write_model_metadata(tflm_model, meta)
    assert tagged[4:8] == b"TFL3"
    entries = md.metadata_entries(tagged)
    assert set(entries) == {"min_runtime_version", "fwgen"}
    assert entries["min_runtime_version"] == md.metadata_entries(tflm_model)["min_runtime_version"]
    assert json.loads(entries["fwgen"]) == {**SETTINGS, "format": md.FORMAT,
                                            "format_version": md.FORMAT_VERSION}
    back = md.read_model_metadata(tagged)
    assert back is not None
    assert back.classes == tuple(SETTINGS["classes"])
    assert back.frontend == SETTINGS["frontend"]
    assert back.smoothing == SETTINGS["smoothing"]
    # The TFLM interpreter (the device oracle) computes exactly the same outputs.
    inputs = np.random.default_rng(7).integers(-128, 128, (6, 1960)).astype(np.int8)
    np.testing.assert_array_equal(_tflm_outputs(tagged, inputs), _tflm_outputs(tflm_model, inputs))
    # The original flatbuffer is carried verbatim, 64-byte aligned.
    start = tagged.find(tflm_model)
    assert start > 0 and start % 64 == 0


def test_rewriting_replaces_the_entry(tflm_model: bytes) -> None:
    first = md.write_model_metadata(tflm_model, md.ModelMetadata.from_dict(SETTINGS))
    changed = dict(SETTINGS, classes=["a", "b", "c", "d"], name="renamed")
    second = md.write_model_metadata(first, md.ModelMetadata.from_dict(changed))
    from tflite import Model

    root = Model.GetRootAsModel(second, 0)
    names = [root.Metadata(i).Name().decode() for i in range(root.MetadataLength())]
    assert sorted(names) == ["fwgen", "min_runtime_version"]
    meta = md.read_model_metadata(second)
    assert meta is not None and meta.classes == ("a", "b", "c", "d") and meta.name == "renamed"


def test_identical_inputs_give_identical_bytes(tflm_model: bytes) -> None:
    meta = md.ModelMetadata.from_dict(SETTINGS)
    assert md.write_model_metadata(tflm_model, meta) == md.write_model_metadata(tflm_model, meta)


def test_model_without_metadata_needs_settings(tflm_model: bytes, tmp_path: Path) -> None:
    path = tmp_path / "plain.tflite"
    path.write_bytes(tflm_model)
    assert md.read_model_metadata(path) is None
    with pytest.raises(FwgenError) as err:
        md.resolve_metadata(path)
    assert "--settings" in str(err.value)
    settings = tmp_path / "settings.yaml"
    settings.write_text(json.dumps(SETTINGS))  # JSON is valid YAML
    assert md.resolve_metadata(path, settings).classes == tuple(SETTINGS["classes"])


def test_not_a_tflite(tmp_path: Path) -> None:
    path = tmp_path / "x.tflite"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(FwgenError, match="TFL3"):
        md.read_model_metadata(path)
    with pytest.raises(FwgenError, match="cannot read"):
        md.read_model_metadata(tmp_path / "missing.tflite")


@pytest.mark.parametrize("change, message", [
    ({"classes": []}, "classes"),
    ({"classes": ["a", "a"]}, "duplicate"),
    ({"frontend": {"window_size_ms": 30}}, "fe."),
    ({"smoothing": {"threshold": 3}}, "unknown smoothing"),
    ({"smoothing": {"minimum_count": -1}}, "non-negative"),
    ({"format_version": 99}, "newer"),
    ({"colour": "red"}, "unknown field"),
])
def test_settings_validation(change: dict, message: str) -> None:
    with pytest.raises(FwgenError, match=message):
        md.ModelMetadata.from_dict({**SETTINGS, **change}, source="s.yaml")


# ------------------------------------------------------------------------------------------
# MLTK SL_PARAMSv1
# ------------------------------------------------------------------------------------------

def _mltk_blob_by_hand() -> bytes:
    """Build an SL_PARAMSv1 dictionary straight from MLTK's dictionary.fbs, independently of
    fwgen's encoder: Dictionary{schema_version:uint8, entries:[Entry]},
    Entry{key:string, value_type:uint8 (union tag), value:table}; union tags in declaration
    order (boolean=1, i8=2, u8=3, i16=4, u16=5, i32=6, u32=7, i64=8, u64=9, f32=10, f64=11,
    str=12, str_list=13, int32_list=14, float_list=15, bin=16)."""
    b = flatbuffers.Builder(256)

    def scalar(tag: int, prepend: str, value: object) -> tuple[int, int]:
        b.StartObject(1)
        getattr(b, prepend)(0, value, 0)
        return tag, b.EndObject()

    def strtab(text: str) -> tuple[int, int]:
        s = b.CreateString(text)
        b.StartObject(1)
        b.PrependUOffsetTRelativeSlot(0, s, 0)
        return 12, b.EndObject()

    def strlist(items: list[str]) -> tuple[int, int]:
        offs = [b.CreateString(s) for s in items]
        b.StartVector(4, len(offs), 4)
        for o in reversed(offs):
            b.PrependUOffsetTRelative(o)
        vec = b.EndVector()
        b.StartObject(1)
        b.PrependUOffsetTRelativeSlot(0, vec, 0)
        return 13, b.EndObject()

    values = [
        ("fe.sample_rate_hz", scalar(5, "PrependUint16Slot", 16000)),
        ("fe.window_size_ms", scalar(3, "PrependUint8Slot", 30)),
        ("fe.window_step_ms", scalar(3, "PrependUint8Slot", 10)),
        ("fe.filterbank_n_channels", scalar(3, "PrependUint8Slot", 104)),
        ("fe.noise_reduction_min_signal_remaining", scalar(10, "PrependFloat32Slot", 0.4)),
        ("fe.pcan_enable", scalar(1, "PrependBoolSlot", False)),
        ("fe.dc_notch_filter_enable", scalar(1, "PrependBoolSlot", True)),
        ("classes", strlist(["on", "off", "_unknown_"])),
        ("average_window_duration_ms", scalar(6, "PrependInt32Slot", 1000)),
        ("detection_threshold", scalar(3, "PrependUint8Slot", 160)),
        ("suppression_ms", scalar(5, "PrependUint16Slot", 750)),
        ("minimum_count", scalar(3, "PrependUint8Slot", 2)),
        ("volume_gain", scalar(11, "PrependFloat64Slot", 2.0)),
        ("latency_ms", scalar(2, "PrependInt8Slot", -5)),
        ("name", strtab("keyword_spotting_on_off_v3")),
        ("version", scalar(3, "PrependUint8Slot", 3)),
    ]
    entries = []
    for key, (tag, value) in values:
        k = b.CreateString(key)
        b.StartObject(3)
        b.PrependUOffsetTRelativeSlot(0, k, 0)
        b.PrependUint8Slot(1, tag, 0)
        b.PrependUOffsetTRelativeSlot(2, value, 0)
        entries.append(b.EndObject())
    b.StartVector(4, len(entries), 4)
    for e in reversed(entries):
        b.PrependUOffsetTRelative(e)
    vec = b.EndVector()
    b.StartObject(2)
    b.PrependUint8Slot(0, 1, 0)
    b.PrependUOffsetTRelativeSlot(1, vec, 0)
    b.Finish(b.EndObject())
    return bytes(b.Output())


def test_decode_mltk_dictionary_built_from_the_schema() -> None:
    params = md.decode_mltk_parameters(_mltk_blob_by_hand())
    assert params == {
        "fe.sample_rate_hz": 16000, "fe.window_size_ms": 30, "fe.window_step_ms": 10,
        "fe.filterbank_n_channels": 104, "fe.noise_reduction_min_signal_remaining": 0.4,
        "fe.pcan_enable": False, "fe.dc_notch_filter_enable": True,
        "classes": ["on", "off", "_unknown_"], "average_window_duration_ms": 1000,
        "detection_threshold": 160, "suppression_ms": 750, "minimum_count": 2,
        "volume_gain": 2.0, "latency_ms": -5, "name": "keyword_spotting_on_off_v3",
        "version": 3}


def test_mltk_model_deploys_without_flags(tflm_model: bytes, tmp_path: Path) -> None:
    path = tmp_path / "mltk.tflite"
    path.write_bytes(md.add_metadata_entry(tflm_model, md.MLTK_METADATA_NAME,
                                           _mltk_blob_by_hand()))
    meta = md.resolve_metadata(path)
    assert meta.classes == ("on", "off", "_unknown_")
    assert meta.frontend["fe.filterbank_n_channels"] == 104
    assert meta.frontend["fe.dc_notch_filter_enable"] is True
    assert "fe.frontend" not in meta.frontend  # microfrontend: FrontendSettings takes the dict
    assert meta.smoothing == {"average_window_duration_ms": 1000, "detection_threshold": 160,
                              "suppression_ms": 750, "minimum_count": 2}
    assert meta.name == "keyword_spotting_on_off_v3" and meta.version == "3"
    assert meta.provenance == {"mltk": {"volume_gain": 2.0, "latency_ms": -5}}


def test_fwgen_metadata_wins_over_mltk(tflm_model: bytes) -> None:
    both = md.add_metadata_entry(tflm_model, md.MLTK_METADATA_NAME, _mltk_blob_by_hand())
    both = md.write_model_metadata(both, md.ModelMetadata.from_dict(SETTINGS))
    meta = md.read_model_metadata(both)
    assert meta is not None and meta.classes == tuple(SETTINGS["classes"])


def test_mltk_encoder_round_trip_and_layout() -> None:
    params = {"flag": True, "small": 7, "neg": -300, "big": 70000, "ratio": 0.25,
              "text": "hi", "names": ["a", "bc"], "ints": [1, -2, 3], "floats": [0.5, 1.5],
              "blob": b"\x00\x01\xff"}
    blob = md.encode_mltk_parameters(params)
    assert md.decode_mltk_parameters(blob) == params
    # The root table's first field is schema_version = 1 (uint8), as MLTK's reader checks.
    root = struct.unpack_from("<I", blob, 0)[0]
    vtable = root - struct.unpack_from("<i", blob, root)[0]
    field0 = struct.unpack_from("<H", blob, vtable + 4)[0]
    assert blob[root + field0] == 1


def test_corrupt_mltk_dictionary() -> None:
    with pytest.raises(FwgenError, match="SL_PARAMSv1"):
        md.decode_mltk_parameters(b"\xff\xff\xff\x7f" + b"\x00" * 8)


def test_flat_mltk_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"fe.window_size_ms": 30, "classes": ["x", "y"],
                                "detection_threshold": 200}))
    meta = md.load_settings(path)
    assert meta.classes == ("x", "y") and meta.smoothing == {"detection_threshold": 200}


def _render(tmp_path: Path, model: Path, name: str) -> str:
    """`fwgen build --render-only` with the .tflite alone (no --settings); the generated
    detector configuration as text."""
    from fwgen.cli import main

    out = tmp_path / name
    assert main(["build", "--model", str(model), "--board", "mps2_an505", "--render-only",
                 "--out", str(out)]) == 0
    generated = sorted((out / "src" / "generated").glob("detect_config.*"))
    assert generated
    return "\n".join(p.read_text() for p in generated)


def test_a_tflite_alone_is_enough_for_fwgen_build(tflm_model: bytes, tmp_path: Path) -> None:
    """The issue's promise, through the real `fwgen build`: the settings travel inside the
    .tflite, as fwgen metadata or as MLTK SL_PARAMSv1; without either it is a clear error."""
    micro = {**SETTINGS["frontend"], "fe.noise_reduction_enable": True, "fe.pcan_enable": True,
             "fe.log_scale_enable": True}
    fwgen_tagged = tmp_path / "fwgen.tflite"
    fwgen_tagged.write_bytes(md.write_model_metadata(tflm_model, md.ModelMetadata.from_dict(
        {**SETTINGS, "frontend": micro,
         "smoothing": {**SETTINGS["smoothing"], "detection_threshold": 201}})))
    mltk_tagged = tmp_path / "mltk.tflite"
    mltk_tagged.write_bytes(md.add_metadata_entry(tflm_model, md.MLTK_METADATA_NAME,
                                                  md.encode_mltk_parameters(
        {**micro, "classes": ["_silence_", "_unknown_", "up", "down"],
         "average_window_duration_ms": 1000, "detection_threshold": 173,
         "suppression_ms": 1500, "minimum_count": 3})))
    fwgen_config = _render(tmp_path, fwgen_tagged, "fwgen")
    assert "201" in fwgen_config and '"yes"' in fwgen_config
    mltk_config = _render(tmp_path, mltk_tagged, "mltk")
    assert "173" in mltk_config and '"down"' in mltk_config
    plain = tmp_path / "plain.tflite"
    plain.write_bytes(tflm_model)
    from fwgen.cli import main

    assert main(["build", "--model", str(plain), "--board", "mps2_an505", "--render-only",
                 "--out", str(tmp_path / "plain")]) == 2
    assert not (tmp_path / "plain").exists()
