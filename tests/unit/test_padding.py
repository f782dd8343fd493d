"""The padding `fwgen run` (and the compiled-in clip of --audio clip) adds around each clip: by
default the clip's own noise floor, never sound the user did not give (mirrored edges of a word
are the word played backwards); reflect and zeros stay as explicit --pad choices."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from fwgen.deploy import DEFAULT_PAD_MODE, PAD_MODES, pad_clip
from fwgen.deploy.clips import FLOOR_WINDOW, noise_floor
from fwgen.errors import FwgenError


def _word_then_hiss(rng) -> np.ndarray:
    """A loud 'word' at the start of the clip, then 0.5 s of faint hiss (about 3 LSB)."""
    word = (8000 * np.sin(np.arange(4000) * 0.3)).astype(np.int16)
    hiss = np.round(rng.normal(0.0, 3.0, 8000)).astype(np.int16)
    return np.concatenate([word, hiss])


def test_the_default_is_the_noise_floor():
    from fwgen.cli.run_cmd import RunCommand
    from fwgen.run.clips import run_clips

    assert DEFAULT_PAD_MODE == "floor" and PAD_MODES[0] == "floor"
    assert set(PAD_MODES) == {"floor", "reflect", "zeros"}
    assert inspect.signature(pad_clip).parameters["mode"].default == "floor"
    assert inspect.signature(run_clips).parameters["pad_mode"].default == "floor"
    import argparse
    parser = argparse.ArgumentParser()
    RunCommand().add_arguments(parser)
    assert parser.parse_args(["a.wav"]).pad == "floor"
    assert parser.parse_args(["--pad", "reflect", "a.wav"]).pad == "reflect"


def test_the_default_padding_adds_nothing_louder_than_the_clips_quietest_part():
    """Reflect padding would put the word, reversed, before the clip; the floor puts hiss."""
    clip = _word_then_hiss(np.random.default_rng(1))
    pad = 6000
    padded = pad_clip(clip, pad)
    assert padded.dtype == np.int16 and padded.size == clip.size + 2 * pad
    assert np.array_equal(padded[pad:-pad], clip)
    quiet = int(np.abs(clip[4000:]).max())
    assert int(np.abs(padded[:pad]).max()) <= quiet and int(np.abs(padded[-pad:]).max()) <= quiet
    # every padding sample is one of the quiet window's own samples
    floor = noise_floor(clip)
    assert floor.size == FLOOR_WINDOW and set(padded[:pad].tolist()) <= set(floor.tolist())
    mirrored = pad_clip(clip, pad, "reflect")
    assert int(np.abs(mirrored[:pad]).max()) > 1000          # the word, backwards


def test_the_noise_floor_is_the_quietest_window_played_back_and_forth():
    x = np.array([50, -50, 50, 1, 2, 3, 40, -40], dtype=np.int16)
    assert noise_floor(x, window=3, hop=1).tolist() == [1, 2, 3]
    padded = pad_clip(x, 7, "floor", window=3, hop=1)
    # after the clip: 1 2 3 3 2 1 1; before it the same, mirrored, so it ends on 1 next to the clip
    assert padded[-7:].tolist() == [1, 2, 3, 3, 2, 1, 1]
    assert padded[:7].tolist() == [1, 1, 2, 3, 3, 2, 1]
    assert pad_clip(x, 7, "floor", window=3, hop=1).tolist() == padded.tolist()   # deterministic


def test_short_clips_and_the_explicit_modes():
    x = np.arange(1, 6, dtype=np.int16)
    assert pad_clip(x, 2, "reflect").tolist() == [3, 2, 1, 2, 3, 4, 5, 4, 3]
    assert pad_clip(x, 2, "zeros").tolist() == [0, 0, 1, 2, 3, 4, 5, 0, 0]
    assert pad_clip(x, 2).size == 9                    # a clip shorter than the window: all of it
    assert pad_clip(np.array([7], dtype=np.int16), 3).tolist() == [7] * 7
    assert pad_clip(x, 0).tolist() == x.tolist()
    assert pad_clip(np.zeros(0, dtype=np.int16), 4).size == 0
    with pytest.raises(FwgenError, match="unknown padding"):
        pad_clip(x, 2, "noise")


def test_the_compiled_in_clip_is_padded_like_fwgen_run(tmp_path):
    from fwgen.audio import write_wav
    from fwgen.deploy.clips import clip_files

    clip = _word_then_hiss(np.random.default_rng(2))
    wav = write_wav(tmp_path / "c.wav", clip, 16000)
    files = clip_files(wav, 16000, 500)
    expected = pad_clip(clip, 500)
    assert f"fwgen_clip_length = {expected.size}u;" in files["clip.c"]
    values = [int(v) for row in files["clip.c"].split("{", 1)[1].split("}", 1)[0].split(",")
              if (v := row.strip().split("/*")[0].strip())]
    assert values == expected.tolist()


def _scores(deployment, path, mode) -> list[tuple[str, int]]:
    from fwgen.audio import read_wav
    from fwgen.deploy import default_pad, run_reference

    audio = read_wav(path, expect_rate=deployment.frontend.sample_rate)
    result = run_reference(pad_clip(audio, default_pad(deployment.frontend, deployment.n_frames),
                                    mode), deployment)
    return [(deployment.classes[e.class_index], e.score) for e in result.detections]


@pytest.mark.parametrize("mode,row", [("floor", "noise floor (default)"), ("reflect", "reflect"),
                                      ("zeros", "zeros")])
def test_models_readme_quotes_what_each_padding_gives(repo_root, shared_data, mode, row):
    """models/README.md's padding table, this model's columns: the averaged scores of the four
    word samples and the recorded yes, from the host pipeline (the firmware's C)."""
    import re

    from fwgen import zoo
    from fwgen.deploy import DeployOptions, prepare

    readme = (repo_root / "models" / "README.md").read_text()
    line = next(li for li in readme.splitlines() if li.startswith(f"| {row} |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    quoted = [int(v) for v in re.findall(r"\d+", cells[1])]
    deployment = prepare(zoo.resolve_model("micro_speech"), DeployOptions())
    samples = repo_root / "models" / "micro_speech" / "samples"
    got = [_scores(deployment, samples / f"{name}.wav", mode)
           for name in ("yes_0", "yes_1", "no_0", "no_1")]
    assert [[c for c, _ in g] for g in got] == [["yes"], ["yes"], ["no"], ["no"]]
    assert [g[0][1] for g in got] == quoted
    recorded = _scores(deployment, shared_data / "micro_speech" / "yes_1000ms.wav", mode)
    assert cells[2].startswith(f"*yes* ({recorded[0][1]})") and len(recorded) == 1
    for name in ("silence_0", "noise_0"):
        assert _scores(deployment, samples / f"{name}.wav", mode) == []


def test_zeros_are_not_silence_to_tflms_micro_speech_but_the_noise_floor_is(repo_root, shared_data):
    """Why the default is not digital zeros: TFLM's micro_speech (not trained on exact zeros)
    hears *yes* in its own near-silent recording padded with zeros, nothing with its floor."""
    from fwgen.deploy import DeployOptions, prepare
    from fwgen.zoo import resolve_model

    clips = shared_data / "micro_speech"
    deployment = prepare(resolve_model(clips / "micro_speech_quantized.tflite",
                                       repo_root / "models" / "micro_speech" / "model.yaml"),
                         DeployOptions())
    assert [c for c, _ in _scores(deployment, clips / "silence_1000ms.wav", "zeros")] == ["yes"]
    assert _scores(deployment, clips / "silence_1000ms.wav", "floor") == []
    assert [c for c, _ in _scores(deployment, clips / "yes_1000ms.wav", "floor")] == ["yes"]
