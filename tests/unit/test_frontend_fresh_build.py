"""Issue 2's install promise: on a fresh machine the host build of the C code happens on first
use, with no manual cmake step. A new Python process with an empty FWGEN_CACHE_DIR imports
fwgen.frontend, runs a clip and must get the golden features (and leave the built library in
that cache)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import sys
import numpy as np
from fwgen.audio import read_wav
from fwgen.frontend import Frontend, load_settings
fe = Frontend(load_settings(sys.argv[1], name="micro_speech"), output="int8")
np.save(sys.argv[3], fe.process(read_wav(sys.argv[2])))
"""


def test_first_use_builds_the_host_library(shared_data, tmp_path):
    cache = tmp_path / "cache"
    out = tmp_path / "features.npy"
    env = {**os.environ, "FWGEN_CACHE_DIR": str(cache)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(shared_data / "frontend" / "settings.json"),
                           str(shared_data / "micro_speech" / "yes_1000ms.wav"), str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    golden = np.load(shared_data / "frontend" / "golden.npz")["micro_speech/yes_1000ms/int8"]
    assert np.array_equal(np.load(out), golden)
    assert any(p.suffix == ".so" for p in cache.rglob("*")), "the library was not built in the cache"
