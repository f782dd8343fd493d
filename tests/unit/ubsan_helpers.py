"""UndefinedBehaviorSanitizer runs of fwgen's C (shared by the *_ubsan tests).

`run_sanitized(repo_root, name, sources, module, function)` builds `sources` (paths relative to
the repo) with -O1 -g -fsanitize=undefined -fno-sanitize-recover=all, points
fwgen.native.load_core at that library in a fresh Python process, calls `module.function()`
(a module in tests/unit that returns JSON-able results through fwgen's host bindings) and
returns what it returned. The first UB report aborts that process; the caller compares the
result with the same function run on the regular build (so -O1 vs -O2 agree too).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytest

_SCRIPT = textwrap.dedent("""
    import ctypes, importlib, json, sys
    from pathlib import Path
    from fwgen import native
    root, name, module, function = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    sources = [root / s for s in json.loads(sys.argv[5])]
    so = native.compile_shared(name, sources, include_dirs=[root / "firmware"],
                               flags=("-O1", "-g", "-fsanitize=undefined", "-fno-sanitize-recover=all"))
    native.load_core = lambda: ctypes.CDLL(str(so))
    sys.path.insert(0, str(root / "tests" / "unit"))
    print(json.dumps(getattr(importlib.import_module(module), function)()))
""")


def run_sanitized(repo_root: Path, name: str, sources: Sequence[str], module: str,
                  function: str) -> Any:
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, str(repo_root), name, module, function,
                           json.dumps(list(sources))], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "sanitize" in proc.stderr and "cannot find" in proc.stderr:
        pytest.skip("the host compiler has no UBSan runtime")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def extreme_signal() -> np.ndarray:
    """Full-scale DC both ways, a full-scale square wave, white noise, a sine, then silence."""
    rng = np.random.default_rng(0)
    t = np.arange(16000)
    return np.concatenate([
        np.full(8000, -32768, np.int16), np.full(8000, 32767, np.int16),
        np.where((t // 7) % 2 == 0, 32767, -32768).astype(np.int16),
        rng.integers(-32768, 32768, 16000).astype(np.int16),
        (np.sin(t * 0.3) * 32767).astype(np.int16), np.zeros(4000, np.int16)])
