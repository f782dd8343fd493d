"""The shared-library cache of fwgen.native (issue 14, item 10): `validate` used to leave a .so
and a .lock in ~/.cache/fwgen/shared per model that nothing removed (48 -> 1,760 files in one
run). Locks are now removed by their holder and the libraries are bounded, least recently used
first."""
from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from fwgen import native


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "shared"


def _source(folder: Path, value: int) -> Path:
    path = folder / f"lib{value}.c"
    path.write_text(f"int fwgen_cache_test(void) {{ return {value}; }}\n")
    return path


def test_a_build_leaves_its_library_and_no_lock(cache, tmp_path):
    src = _source(tmp_path, 7)
    so = native.compile_shared("cache_test", [src])
    assert so.parent == cache and sorted(p.name for p in cache.iterdir()) == [so.name]
    os.utime(so, (1, 1))
    assert native.compile_shared("cache_test", [src]) == so    # cached: not rebuilt ...
    assert so.stat().st_mtime > 1                              # ... but marked used
    assert sorted(p.name for p in cache.iterdir()) == [so.name]


def test_the_cache_keeps_the_most_recently_used_libraries(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(native, "SHARED_MAX_LIBRARIES", 3)
    monkeypatch.setattr(native, "SHARED_KEEP_RECENT_S", 0.0)
    built = []
    for value in range(4):      # 0 is the least recently used when 3 comes: removed
        built.append(native.compile_shared("cache_test", [_source(tmp_path, value)]))
        stamp = time.time() - 100 + value
        os.utime(built[-1], (stamp, stamp))
    assert sorted(cache.iterdir()) == sorted(built[1:])
    assert native.compile_shared("cache_test", [_source(tmp_path, 1)]) == built[1]   # a hit
    built.append(native.compile_shared("cache_test", [_source(tmp_path, 4)]))
    assert sorted(cache.iterdir()) == sorted([built[1], built[3], built[4]])   # 2 went


def _library(folder: Path, name: str, size: int, age_s: float) -> Path:
    path = folder / f"{name}.so"
    path.write_bytes(b"\0" * size)
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_prune_bounds_count_and_bytes_least_recently_used_first(tmp_path):
    libs = [_library(tmp_path, f"lib{i}", 1000, age_s=1000 + i) for i in range(6)]   # lib0 newest
    report = native.prune_shared(tmp_path, max_libraries=4, max_bytes=10**9, keep_recent_s=0)
    assert sorted(report.libraries) == sorted(libs[4:])
    assert sorted(tmp_path.iterdir()) == sorted(libs[:4])
    report = native.prune_shared(tmp_path, max_libraries=100, max_bytes=2500, keep_recent_s=0)
    assert sorted(report.libraries) == sorted(libs[2:4])
    assert sorted(tmp_path.iterdir()) == sorted(libs[:2])


def test_prune_never_removes_a_library_just_used_or_the_one_asked_for(tmp_path):
    recent = [_library(tmp_path, f"new{i}", 10, age_s=i) for i in range(3)]
    old = [_library(tmp_path, f"old{i}", 10, age_s=5000 + i) for i in range(3)]
    report = native.prune_shared(tmp_path, keep=old[2], max_libraries=1, max_bytes=10**9,
                                 keep_recent_s=60)
    assert sorted(report.libraries) == sorted(old[:2])
    assert sorted(tmp_path.iterdir()) == sorted(recent + [old[2]])


def test_prune_removes_unheld_locks_and_killed_builds_only(tmp_path):
    stale_lock = tmp_path / "a-1234.lock"
    stale_lock.write_text("")
    held_lock = tmp_path / "b-1234.lock"
    dead = tmp_path / "c-1234.999999999.tmp"          # no such pid
    running = tmp_path / f"d-1234.{os.getpid()}.tmp"   # a build of a live process
    old_running = tmp_path / f"e-1234.{os.getpid()}.tmp"
    for path in (dead, running, old_running):
        path.write_bytes(b"partial")
    os.utime(old_running, (1, 1))
    with open(held_lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        report = native.prune_shared(tmp_path)
    assert sorted(report.leftovers) == sorted([stale_lock, dead, old_running])
    assert sorted(tmp_path.iterdir()) == sorted([held_lock, running])


def test_a_lock_serialises_its_holders_and_is_gone_after_the_last(tmp_path):
    lock = tmp_path / "x.lock"
    inside: list[str] = []
    events: list[str] = []

    def hold(name: str, seconds: float) -> None:
        with native._locked(lock):
            inside.append(name)
            events.append(f"{name} in ({len(inside)} inside)")
            time.sleep(seconds)
            inside.remove(name)

    first = threading.Thread(target=hold, args=("first", 0.4))
    first.start()
    time.sleep(0.1)            # the others wait on the first one's lock file, then it is removed
    others = [threading.Thread(target=hold, args=(f"other{i}", 0.05)) for i in range(3)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)
    assert len(events) == 4 and all(event.endswith("(1 inside)") for event in events)
    assert not lock.exists()


def test_the_c_standard_is_a_flag_of_the_build_and_of_its_key(cache, tmp_path):
    # GNU C (typeof, as QEMU's plugin header uses it) builds as gnu11 and fails as c11
    src = tmp_path / "gnu.c"
    src.write_text("int fwgen_gnu(int x) { typeof(x) y = x; return y; }\n")
    gnu = native.compile_shared("gnu_test", [src], std="gnu11")
    assert gnu.is_file()
    with pytest.raises(native.FwgenError, match="host build failed"):
        native.compile_shared("gnu_test", [src])
    plain = _source(tmp_path, 3)
    assert native.compile_shared("cache_test", [plain]) != \
        native.compile_shared("cache_test", [plain], std="gnu11")
