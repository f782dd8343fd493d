"""`fwgen features`: WAV in, .npy (and a PNG) out, errors without tracebacks."""
from __future__ import annotations

import json
from pathlib import Path

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


# -- every user mistake: exit 2, a message naming what and where, no traceback, nothing written --

def _write_inputs(folder, shared_data):
    """Good and bad inputs in `folder` (audio derived from the shared 'yes' clip)."""
    raw = json.loads((shared_data / "frontend" / "settings.json").read_text())["settings"]
    ms = raw["micro_speech"]
    yes, _ = sf.read(str(shared_data / "micro_speech" / "yes_1000ms.wav"), dtype="int16")
    folder.mkdir()
    files = {
        "ok.json": json.dumps(ms),
        "bad.json": '{"fe.window_size_ms": 30,',
        "empty.json": "",
        "list.json": "[1, 2]",
        "typo.json": json.dumps({**ms, "fe.windw_size_ms": 30}),
        "nyquist.json": json.dumps({**ms, "fe.filterbank_upper_band_limit": 9000.0}),
        "channels.json": json.dumps({**ms, "fe.filterbank_n_channels": -3}),
        "text.json": json.dumps({**ms, "fe.window_size_ms": "thirty"}),
        "window.json": json.dumps({**ms, "fe.window_size_ms": 200}),
        "frontend.json": json.dumps({"fe.frontend": "mfcc"}),
        "lm_nyquist.json": json.dumps({"fe.frontend": "logmel", "fe.filterbank_upper_band_limit": 9e3}),
        "lm_typo.json": json.dumps({"fe.frontend": "logmel", "fe.fft_len": 512}),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    sf.write(str(folder / "44k.wav"), yes, 44100, subtype="PCM_16")
    sf.write(str(folder / "stereo.wav"), np.stack([yes, yes], axis=1), 16000, subtype="PCM_16")
    for subtype in ("PCM_U8", "PCM_24", "FLOAT"):
        sf.write(str(folder / f"{subtype}.wav"), yes / 32768.0, 16000, subtype=subtype)
    data = (shared_data / "micro_speech" / "yes_1000ms.wav").read_bytes()
    (folder / "truncated.wav").write_bytes(data[:len(data) // 2])
    (folder / "header_only.wav").write_bytes(data[:30])
    (folder / "empty.wav").write_bytes(b"")
    (folder / "text.wav").write_bytes(b"this is not audio " * 20)
    sf.write(str(folder / "short.wav"), yes[:100], 16000, subtype="PCM_16")
    (folder / "sub").mkdir()
    return folder


YES = "YES"  # placeholder for the shared clip in the table below

USER_MISTAKES = [  # (wav, settings, extra args, expected text in the error)
    ("44k.wav", "ok.json", [], "sample rate is 44100 Hz, expected 16000 Hz"),
    ("stereo.wav", "ok.json", [], "has 2 channels; fwgen needs mono"),
    ("PCM_U8.wav", "ok.json", [], "holds 8-bit samples (PCM_U8); fwgen needs 16-bit PCM"),
    ("PCM_24.wav", "ok.json", [], "holds 24-bit samples (PCM_24)"),
    ("FLOAT.wav", "ok.json", [], "holds 32-bit float samples (FLOAT)"),
    ("truncated.wav", "ok.json", [], "is truncated: its header declares 16000 samples"),
    ("header_only.wav", "ok.json", [], "cannot read audio"),
    ("empty.wav", "ok.json", [], "the audio file is empty"),
    ("text.wav", "ok.json", [], "cannot read audio"),
    ("short.wav", "ok.json", [], "shorter than one 480-sample window"),
    ("missing.wav", "ok.json", [], "audio file not found"),
    ("sub", "ok.json", [], "not a file"),
    (YES, "bad.json", [], "cannot parse settings"),
    (YES, "empty.json", [], "cannot parse settings"),
    (YES, "list.json", [], "frontend settings must be a JSON object"),
    (YES, "typo.json", [], "unknown setting 'fe.windw_size_ms'\n  hint: did you mean 'fe.window_size_ms'?"),
    (YES, "nyquist.json", [], "fe.filterbank_upper_band_limit = 9000.0 is out of range: must not "
                              "exceed the Nyquist frequency 8000 Hz"),
    (YES, "channels.json", [], "fe.filterbank_n_channels = -3 is out of range: must be 1 .. 256"),
    (YES, "text.json", [], "fe.window_size_ms = 'thirty' must be an integer"),
    (YES, "window.json", [], "supported FFT lengths are 256, 512, 1024"),
    (YES, "frontend.json", [], "fe.frontend = 'mfcc' is not a frontend fwgen has"),
    (YES, "lm_nyquist.json", [], "lm_nyquist.json: fe.filterbank_upper_band_limit = 9000.0: above "
                                 "the Nyquist frequency 8000 Hz"),
    (YES, "lm_typo.json", [], "hint: did you mean 'fe.fft_length'?"),
    (YES, "lm_nyquist.json", ["--dtype", "int8"], "log-mel settings give float32 features"),
    (YES, "missing.json", [], "settings file not found"),
    (YES, "sub", [], "the settings path is a folder"),
    (YES, "ok.json", ["-o", "OUT/f.txt"], "the output file must end in .npy"),
    (YES, "ok.json", ["-o", "OUT/nowhere/f.npy"], "output folder does not exist"),
    (YES, "ok.json", ["-o", "OUT/dir.npy"], "the output path is a folder"),
    (YES, "ok.json", ["--plot", "OUT/f.txt"], "the --plot file must end in .png or .svg or .pdf"),
    (YES, "ok.json", ["--plot", "OUT/dir.png"], "the --plot path is a folder"),
]


@pytest.mark.parametrize("wav, settings, extra, expected", USER_MISTAKES,
                         ids=[f"{w}-{s}-{'_'.join(e)}" for w, s, e, _ in USER_MISTAKES])
def test_user_mistakes_give_a_clear_error_and_write_nothing(shared_data, tmp_path, capsys, wav,
                                                            settings, extra, expected):
    inputs = _write_inputs(tmp_path / "in", shared_data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "dir.npy").mkdir()
    (out_dir / "dir.png").mkdir()
    wav_path = shared_data / "micro_speech" / "yes_1000ms.wav" if wav == YES else inputs / wav
    args = ["features", str(wav_path), "--settings", str(inputs / settings)]
    extra = [a.replace("OUT", str(out_dir)) for a in extra]
    if "-o" not in extra:
        args += ["-o", str(out_dir / "f.npy")]
    before = sorted(inputs.iterdir())
    rc = main(args + extra)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("fwgen features: error: ") and expected in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["dir.npy", "dir.png"]  # nothing written
    assert sorted(inputs.iterdir()) == before


def test_missing_required_options_are_usage_errors(shared_data, tmp_path, capsys):
    wav = str(shared_data / "micro_speech" / "yes_1000ms.wav")
    for args, option in ((["-o", str(tmp_path / "f.npy")], "--settings"),
                         (["--settings", str(shared_data / "frontend" / "settings.json")], "-o")):
        with pytest.raises(SystemExit) as exit_info:
            main(["features", wav, *args])
        assert exit_info.value.code == 2
        assert f"the following arguments are required: {option}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_write_failures_leave_nothing_behind(shared_data, tmp_path, capsys, monkeypatch):
    from fwgen.cli import features_cmd

    wav = str(shared_data / "micro_speech" / "yes_1000ms.wav")
    settings = ["--settings", str(shared_data / "frontend" / "settings.json"), "--entry",
                "micro_speech"]

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    # the plot fails after the features were computed and saved to a temporary file
    monkeypatch.setattr(features_cmd, "plot_features", disk_full)
    assert main(["features", wav, *settings, "-o", str(tmp_path / "f.npy"),
                 "--plot", str(tmp_path / "f.png")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'f.png'}: cannot write: No space left on device" in err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []
    # the .npy itself cannot be written
    monkeypatch.setattr(features_cmd.np, "save", disk_full)
    assert main(["features", wav, *settings, "-o", str(tmp_path / "f.npy")]) == 2
    assert "f.npy: cannot write: No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_convert_reads_a_truncated_file_up_to_its_end(shared_data, tmp_path):
    data = (shared_data / "micro_speech" / "yes_1000ms.wav").read_bytes()
    wav = tmp_path / "cut.wav"
    wav.write_bytes(data[:44 + 2 * 8000])  # the canonical 44-byte header, then 8000 samples
    out = tmp_path / "f.npy"
    assert main(["features", str(wav), "--settings", str(shared_data / "frontend" / "settings.json"),
                 "--entry", "micro_speech", "-o", str(out), "--convert"]) == 0
    from fwgen.audio import read_wav
    from fwgen.frontend import Frontend, load_settings
    full = read_wav(shared_data / "micro_speech" / "yes_1000ms.wav")
    want = Frontend(load_settings(shared_data / "frontend" / "settings.json",
                                  name="micro_speech")).process(full[:8000])
    assert np.array_equal(np.load(out), want)


def test_plot_formats(shared_data, tmp_path):
    wav = str(shared_data / "micro_speech" / "yes_1000ms.wav")
    settings = ["--settings", str(shared_data / "frontend" / "settings.json"), "--entry", "tf_defaults"]
    assert main(["features", wav, *settings, "-o", str(tmp_path / "f.npy"),
                 "--plot", str(tmp_path / "f.svg")]) == 0
    assert b"<svg" in (tmp_path / "f.svg").read_bytes()[:2000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.npy", "f.svg"]  # no temporaries


def test_help_documents_keys_conversions_and_layout(capsys):
    from fwgen.frontend import FrontendSettings
    from fwgen.frontend.logmel import SETTING_KEYS

    with pytest.raises(SystemExit):
        main(["features", "--help"])
    text = capsys.readouterr().out
    for key in list(FrontendSettings().to_dict()) + list(SETTING_KEYS):
        if key not in ("fe.fft_length", "fe.frontend", "fe.sample_length_ms"):
            assert f"{key}=" in text, key
    for needle in ("averages the channels", "resamples", "(frames, channels)", "--entry NAME",
                   "clip((u16 * 256 + 333) // 666 - 128)", "float32", "truncated"):
        assert needle in text, needle


def test_a_failed_rename_keeps_neither_output(tmp_path, monkeypatch):
    from fwgen.cli import features_cmd

    outputs = {}
    for name in ("f.npy", "f.png"):
        tmp = tmp_path / f".{name}.tmp"
        tmp.write_bytes(b"x")
        outputs[tmp_path / name] = tmp
    real_replace = Path.replace

    def replace(self, target):
        if Path(target).name == "f.png":
            raise OSError(13, "Permission denied")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(features_cmd.FwgenError) as err:
        features_cmd._commit(outputs)
    assert str(err.value).startswith(f"{tmp_path / 'f.png'}: cannot write: Permission denied")
    assert not (tmp_path / "f.npy").exists()


def test_host_frontend_is_the_model_spec_made_strict():
    """fwgen features asks fwgen.frontend.spec for its frontend: the same kinds as a model's
    spec, but a settings file's fe.fft_length must agree with the window (a model's metadata
    only records it), and an output type the kind has not is refused first."""
    from fwgen.errors import FwgenError
    from fwgen.frontend.spec import LOGMEL, frontend_spec, host_frontend

    wrong_fft = {"fe.window_size_ms": 30, "fe.fft_length": 1024}
    assert frontend_spec(wrong_fft).window_size == 480
    with pytest.raises(FwgenError, match="fe.fft_length = 1024 does not match the window"):
        host_frontend(wrong_fft)
    spec, frontend = host_frontend({"fe.window_size_ms": 30, "fe.fft_length": 512}, output="int8")
    assert spec.kind == "microfrontend" and frontend.settings.output_dtype == "int8"
    assert host_frontend({})[1].settings.output_dtype == "uint16"
    with pytest.raises(FwgenError, match="log-mel settings give float32 features"):
        host_frontend({"fe.frontend": LOGMEL, "fe.filterbank_upper_band_limit": 9e3}, output="int8")
    assert host_frontend({"fe.frontend": LOGMEL})[0].kind == LOGMEL
