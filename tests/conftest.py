"""Shared fixtures and tier rules.

Tiers live in folders: unit (no toolchain), compile (arm-none-eabi-gcc), emu (QEMU),
hw (a real board, configured with FWGEN_HW_BOARD and FWGEN_HW_SERIAL). A tier whose tool is
missing is skipped with the reason, except under CI, where a missing tool is an error: CI must
exercise every tier that can run here.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

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
