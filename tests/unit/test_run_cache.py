"""fwgen run's build cache: keyed by what was built (the model's sha256 and a digest of the
deployment's generated files), so models that share a name no longer share (and rebuild) one
folder, and bounded: the least recently used builds beyond RUN_CACHE_KEEP are removed."""
from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest

from fwgen.boards import get_board
from fwgen.deploy import DeployOptions, prepare
from fwgen.run.cache import RUN_CACHE_KEEP, cache_root, prune, touch
from fwgen.run.firmware import default_project_dir
from fwgen.zoo import resolve_model


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def zoo_and_tflm(shared_data, repo_root):
    zoo = prepare(resolve_model("micro_speech"), DeployOptions())
    tflm = prepare(resolve_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite",
                                 repo_root / "models" / "micro_speech" / "model.yaml"),
                   DeployOptions())
    return zoo, tflm


def test_two_models_called_micro_speech_get_their_own_folders(cache, zoo_and_tflm):
    zoo, tflm = zoo_and_tflm
    twin = get_board("mps2_an505")
    assert zoo.source.name == tflm.source.name == "micro_speech"
    a, b = default_project_dir(zoo, twin), default_project_dir(tflm, twin)
    assert a != b and a.parent == b.parent == cache_root() == cache / "run"
    assert a.name.startswith("micro_speech-mps2_an505-" + zoo.source.sha256[:12])
    assert default_project_dir(zoo, twin) == a                       # stable
    assert default_project_dir(zoo, get_board("mps2_an386")) != a    # another twin


def test_options_that_change_the_build_change_the_key(cache, zoo_and_tflm):
    zoo, _ = zoo_and_tflm
    twin = get_board("mps2_an505")
    strided = prepare(zoo.source, DeployOptions(stride=2))
    smoothed = prepare(zoo.source, DeployOptions(smoothing={"minimum_count": 1}))
    dirs = {default_project_dir(d, twin) for d in (zoo, strided, smoothed)}
    assert len(dirs) == 3
    same = prepare(zoo.source, DeployOptions(stride=1))              # the model's default stride
    assert default_project_dir(same, twin) == default_project_dir(zoo, twin)
    assert default_project_dir(replace(zoo, files={**zoo.files, "extra.h": "x"}), twin) not in dirs


def test_the_cache_keeps_the_most_recently_used(cache):
    root = cache_root()
    entries = []
    for i in range(RUN_CACHE_KEEP + 3):
        folder = root / f"m{i}-mps2_an505-0-0"
        (folder / "src").mkdir(parents=True)
        touch(folder)
        stamp = time.time() - 1000 + i
        os.utime(folder / ".fwgen-last-used", (stamp, stamp))
        entries.append(folder)
    os.utime(entries[0] / ".fwgen-last-used", None)                  # used just now
    removed = prune(keep=RUN_CACHE_KEEP, current=entries[1])
    assert sorted(removed) == sorted(entries[2:5])
    assert all(e.exists() for e in entries if e not in removed)
    assert entries[1].exists()                                       # the one in use stays
    assert prune(keep=RUN_CACHE_KEEP, current=entries[1]) == []
    (root / "stray.txt").write_text("not a build")
    assert prune(keep=1, current=entries[1]) and (root / "stray.txt").exists()
    assert [p for p in root.iterdir() if p.is_dir()] == [entries[1]]


def test_fwgen_run_says_where_its_cache_is(cache, monkeypatch, zoo_and_tflm):
    import fwgen.project.build
    from fwgen.run.firmware import twin_firmware

    said = []

    class Built:
        def elf(self, env):
            return cache / "x.elf"
    monkeypatch.setattr(fwgen.project.build, "build_firmware", lambda *a, **k: Built())
    zoo, _ = zoo_and_tflm
    twin_firmware(zoo, get_board("mps2_an505"), progress=said.append)
    text = "\n".join(said)
    assert str(cache_root()) in text and f"the {RUN_CACHE_KEEP} most recently used" in text
    assert "FWGEN_CACHE_DIR" in text and "--out" in text
