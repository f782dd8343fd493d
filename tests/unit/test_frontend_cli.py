"""`fwgen features`: WAV in, .npy (and a PNG) out, errors without tracebacks."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from fwgen.cli import main


@pytest.fixture()
def settings_file(shared_data):
    return shared_data / "frontend" / "settings.json"


def test_features_int8_match_golden_and_plot(shared_data, settings_file, tmp_path, capsys):
    out, png = tmp_path / "f.npy", tmp_path / "f.png"
    rc = main(["features", str(shared_data / "micro_speech" / "no_1000ms.wav"),
               "--settings", str(settings_file), "--entry", "micro_speech", "--dtype", "int8",
               "-o", str(out), "--plot", str(png)])
    assert rc == 0
    golden = np.load(shared_data / "frontend" / "golden.npz")["micro_speech/no_1000ms/int8"]
    assert np.array_equal(np.load(out), golden)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "49 frames x 40 channels int8" in capsys.readouterr().out


def test_flat_settings_file_uint16(shared_data, settings_file, tmp_path):
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(json.loads(settings_file.read_text())["settings"]["tf_defaults"]))
    out = tmp_path / "f.npy"
    assert main(["features", str(shared_data / "micro_speech" / "yes_1000ms.wav"),
                 "--settings", str(flat), "-o", str(out)]) == 0
    golden = np.load(shared_data / "frontend" / "golden.npz")["tf_defaults/yes_1000ms/uint16"]
    assert np.array_equal(np.load(out), golden)


def test_errors_are_reported_without_traceback(shared_data, settings_file, tmp_path, capsys):
    wav = str(shared_data / "micro_speech" / "yes_1000ms.wav")
    out = tmp_path / "f.npy"
    assert main(["features", wav, "--settings", str(settings_file), "-o", str(out)]) == 2
    assert "--entry" in capsys.readouterr().err
    stereo = tmp_path / "stereo.wav"
    sf.write(str(stereo), np.zeros((16000, 2), dtype=np.int16), 16000, subtype="PCM_16")
    assert main(["features", str(stereo), "--settings", str(settings_file), "--entry",
                 "micro_speech", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "2 channels" in err and "Traceback" not in err
    assert main(["features", str(stereo), "--settings", str(settings_file), "--entry",
                 "micro_speech", "-o", str(out), "--convert"]) == 0
    short = tmp_path / "short.wav"
    sf.write(str(short), np.zeros(100, dtype=np.int16), 16000, subtype="PCM_16")
    out2 = tmp_path / "g.npy"
    assert main(["features", str(short), "--settings", str(settings_file), "--entry",
                 "micro_speech", "-o", str(out2)]) == 2
    assert "shorter than one 480-sample window" in capsys.readouterr().err
    assert not out2.exists()
    assert main(["features", wav, "--settings", str(settings_file), "--entry", "micro_speech",
                 "-o", str(tmp_path / "nodir" / "f.npy")]) == 2


def test_logmel_settings_run_the_float_frontend(shared_data, tmp_path):
    settings = tmp_path / "yamnet.json"
    settings.write_text(json.dumps({"fe.frontend": "logmel", "fe.filterbank_n_channels": 64}))
    out = tmp_path / "m.npy"
    wav = str(shared_data / "micro_speech" / "yes_1000ms.wav")
    assert main(["features", wav, "--settings", str(settings), "-o", str(out)]) == 0
    features = np.load(out)
    assert features.dtype == np.float32 and features.shape == (98, 64)
    from fwgen.frontend.logmel import LogMelFrontend
    from fwgen.audio import read_wav
    expected = LogMelFrontend({"fe.frontend": "logmel", "fe.filterbank_n_channels": 64}).process(
        read_wav(wav))
    assert np.array_equal(features, expected)
    assert main(["features", wav, "--settings", str(settings), "--dtype", "int8",
                 "-o", str(out)]) == 2


def test_settings_from_model_metadata_file(shared_data, tmp_path):
    meta = tmp_path / "model.json"
    raw = json.loads((shared_data / "frontend" / "settings.json").read_text())
    frontend = {"fe.frontend": "microfrontend", **raw["settings"]["micro_speech"]}
    meta.write_text(json.dumps({"format": "fwgen-model-metadata", "frontend": frontend,
                                "classes": ["silence", "unknown", "yes", "no"]}))
    out = tmp_path / "f.npy"
    assert main(["features", str(shared_data / "micro_speech" / "yes_1000ms.wav"),
                 "--settings", str(meta), "--dtype", "int8", "-o", str(out)]) == 0
    golden = np.load(shared_data / "frontend" / "golden.npz")["micro_speech/yes_1000ms/int8"]
    assert np.array_equal(np.load(out), golden)
