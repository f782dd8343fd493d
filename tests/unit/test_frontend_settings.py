"""Frontend settings: MLTK key names, derived sizes, and errors that name key, value and limit."""
from __future__ import annotations

import json

import pytest

from fwgen.errors import FwgenError
from fwgen.frontend import FrontendSettings, load_settings


def test_mltk_settings_file_loads_by_entry(shared_data):
    path = shared_data / "frontend" / "settings.json"
    s = load_settings(path, name="mltk_on_off_v3")
    assert (s.n_channels, s.window_size, s.window_step, s.sample_rate, s.fft_length) == \
        (104, 480, 160, 16000, 512)
    assert s.dc_notch_filter_enable and s.quantize_dynamic_scale_enable
    assert s.frames_per_clip == 98 and s.frames_for(64000) == 398 and s.frames_for(479) == 0
    raw = json.loads(path.read_text())["settings"]["mltk_on_off_v3"]
    assert s.to_dict() == dict(sorted(raw.items()))  # round trip, fe.fft_length included


def test_flat_dict_and_defaults():
    s = load_settings({"fe.window_size_ms": 30, "fe.window_step_ms": 20,
                       "fe.filterbank_n_channels": 40})
    assert (s.window_size, s.window_step, s.n_channels, s.output_dtype) == (480, 320, 40, "uint16")
    assert s.pcan_enable and s.noise_reduction_enable  # MLTK defaults
    assert load_settings(s, output_dtype="int8").output_dtype == "int8"


def test_several_entries_need_a_name(shared_data, tmp_path):
    with pytest.raises(FwgenError, match="3 settings entries") as err:
        load_settings(shared_data / "frontend" / "settings.json")
    assert "micro_speech" in err.value.hint and "--entry" in err.value.hint
    with pytest.raises(FwgenError, match="no settings entry named 'nope'"):
        load_settings(shared_data / "frontend" / "settings.json", name="nope")
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"kws": {"fe.filterbank_n_channels": 20}}))
    assert load_settings(one).n_channels == 20


@pytest.mark.parametrize("values,pattern", [
    ({"fe.filterbank_upper_band_limit": 9000.0},
     r"fe.filterbank_upper_band_limit = 9000.0 .*Nyquist frequency 8000 Hz"),
    ({"fe.filterbank_lower_band_limit": 8000.0, "fe.filterbank_upper_band_limit": 7000.0},
     r"fe.filterbank_lower_band_limit = 8000.0"),
    ({"fe.filterbank_lower_band_limit": 500.0, "fe.filterbank_upper_band_limit": 400.0},
     r"fe.filterbank_upper_band_limit = 400.0 .*above fe.filterbank_lower_band_limit"),
    ({"fe.window_size_ms": 100}, r"1600-sample window .* FFT of 2048"),
    ({"fe.window_size_ms": 5}, r"80-sample window"),
    ({"fe.window_step_ms": 40}, r"fe.window_step_ms = 40 .*fe.window_size_ms \(25\)"),
    ({"fe.filterbank_n_channels": 0}, r"fe.filterbank_n_channels = 0 .*1 \.\. 256"),
    ({"fe.fft_length": 1024}, r"fe.fft_length = 1024 does not match .*FFT of 512"),
    ({"fe.noise_reduction_enable": False}, r"fe.pcan_enable = True needs fe.noise_reduction"),
    ({"fe.pcan_gain_bits": 12}, r"fe.pcan_gain_bits = 12 .*15 \.\. 31"),
    ({"fe.log_scale_shift": 20}, r"fe.log_scale_shift = 20 .*0 \.\. 15"),
    ({"fe.noise_reduction_even_smoothing": 1.5}, r"even_smoothing = 1.5 .*0.0 \.\. 1.0"),
    ({"fe.dc_notch_filter_enable": True, "fe.dc_notch_filter_coefficient": 1.0},
     r"fe.dc_notch_filter_coefficient = 1.0"),
    ({"fe.sample_rate_hz": 1000}, r"fe.sample_rate_hz = 1000"),
    ({"fe.window_size_ms": 25.5}, r"fe.window_size_ms = 25.5 must be an integer"),
    ({"fe.pcan_enable": "yes"}, r"fe.pcan_enable = 'yes' must be true/false"),
    ({"fe.pcan_offset": float("nan")}, r"fe.pcan_offset = nan must be a finite number"),
])
def test_invalid_settings_name_key_value_and_limit(values, pattern):
    with pytest.raises(FwgenError, match=pattern):
        load_settings(values)


def test_model_parameters_with_other_keys():
    params = {"fe.filterbank_n_channels": 10, "classes": ["on", "off"], "volume_gain": 2.0}
    with pytest.raises(FwgenError, match="unexpected key 'classes'"):
        load_settings(params)
    assert load_settings(params, ignore_other_keys=True).n_channels == 10
    with pytest.raises(FwgenError, match="unknown setting 'fe.nope'"):
        load_settings({**params, "fe.nope": 1}, ignore_other_keys=True)


def test_unknown_key_suggests_the_right_one():
    with pytest.raises(FwgenError, match="unknown setting 'fe.filterbank_nchannels'") as err:
        load_settings({"fe.filterbank_nchannels": 40})
    assert "fe.filterbank_n_channels" in err.value.hint
    with pytest.raises(FwgenError, match="'fe.\\*' keys"):
        load_settings({"fe.window_size_ms": 30, "window_step_ms": 10})


def test_upper_limit_at_nyquist_reaching_past_the_spectrum_is_an_error():
    from fwgen.frontend import compute_tables
    with pytest.raises(FwgenError, match="reaches past the last FFT bin"):
        compute_tables(FrontendSettings(filterbank_upper_band_limit=8000.0))


def test_band_without_any_fft_bin_is_an_error():
    from fwgen.frontend import compute_tables
    with pytest.raises(FwgenError, match="no FFT bin lies between"):
        compute_tables(FrontendSettings(filterbank_lower_band_limit=1000.0,
                                        filterbank_upper_band_limit=1001.0))


def test_bad_files(tmp_path):
    with pytest.raises(FwgenError, match="settings file not found"):
        load_settings(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(FwgenError, match="cannot parse settings"):
        load_settings(bad)
    arr = tmp_path / "list.json"
    arr.write_text("[1, 2]")
    with pytest.raises(FwgenError, match="must be a JSON object"):
        load_settings(arr)
    yml = tmp_path / "s.yaml"
    yml.write_text("fe.filterbank_n_channels: 24\nfe.window_size_ms: 20\n")
    assert load_settings(yml).window_size == 320


def test_output_dtype_is_checked():
    with pytest.raises(FwgenError, match="output dtype 'float32'"):
        FrontendSettings(output_dtype="float32")


def test_fe_frontend_key(tmp_path):
    assert load_settings({"fe.frontend": "microfrontend", "fe.window_size_ms": 20}).window_size == 320
    with pytest.raises(FwgenError, match="fe.frontend = 'logmel'") as err:
        load_settings({"fe.frontend": "logmel"})
    assert "logmel" in err.value.hint


def test_settings_from_a_tflite_model(shared_data, tmp_path):
    from fwgen.tflite.metadata import ModelMetadata, write_model_metadata
    model = (shared_data / "micro_speech" / "micro_speech_quantized.tflite").read_bytes()
    with pytest.raises(FwgenError, match="carries no fwgen or MLTK"):
        path = tmp_path / "bare.tflite"
        path.write_bytes(model)
        load_settings(path)
    raw = json.loads((shared_data / "frontend" / "settings.json").read_text())
    meta = ModelMetadata(frontend=dict(raw["settings"]["micro_speech"]),
                         classes=("silence", "unknown", "yes", "no"))
    tagged = tmp_path / "tagged.tflite"
    tagged.write_bytes(write_model_metadata(model, meta))
    s = load_settings(tagged)
    assert (s.window_size, s.window_step, s.n_channels) == (480, 320, 40)


def test_module_doc_lists_every_key_with_its_default():
    import re

    from fwgen.frontend import settings as module

    for key, value in FrontendSettings().to_dict().items():
        row = re.search(rf"^{re.escape(key)}\s+(\S+)", module.__doc__, re.M)
        assert row, f"{key} is not documented in fwgen.frontend.settings"
        if key != "fe.fft_length":
            assert row.group(1) == str(int(value) if isinstance(value, bool) else value), key
