"""Runs the C tests of firmware/link (tests/c/test_link.c: codec, errors, flow control, fuzz;
tests/c/test_link_app.c: the app usage documented in link.h driven through a whole stream) as
CMake builds them, and again compiled with AddressSanitizer + UndefinedBehaviorSanitizer
(link.c and the test only, so it stays cheap and independent of the rest of the library)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from fwgen import native


C_TESTS = ["test_link", "test_link_app"]


@pytest.mark.parametrize("name", C_TESTS)
def test_c_link_test_passes_in_the_cmake_build(name):
    exe = native.build_c_test(name)
    assert exe.exists(), f"CMake did not build tests/c/{name}.c"
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all checks passed" in proc.stdout


def _sanitizers_work(cc: str, tmp_path) -> bool:
    probe = tmp_path / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    proc = subprocess.run([cc, "-fsanitize=address,undefined", str(probe), "-o",
                           str(tmp_path / "probe")], capture_output=True)
    return proc.returncode == 0 and subprocess.run([str(tmp_path / "probe")]).returncode == 0


@pytest.mark.parametrize("name", C_TESTS)
def test_c_link_test_is_clean_under_asan_and_ubsan(repo_root, tmp_path, name):
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None or not _sanitizers_work(cc, tmp_path):
        pytest.skip(f"{cc} cannot build sanitized binaries here")
    exe = tmp_path / f"{name}_asan"
    subprocess.run([cc, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-fno-omit-frame-pointer", f"-I{repo_root / 'firmware'}",
                    str(repo_root / "firmware/link/link.c"), str(repo_root / f"tests/c/{name}.c"),
                    "-o", str(exe)], check=True, capture_output=True)
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "runtime error" not in proc.stderr


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m33", "cortex-m7"])
def test_link_builds_for_cortex_m_with_strict_warnings(repo_root, tmp_path, cpu):
    """The device build: no libc beyond string.h, -Wconversion clean, a small footprint."""
    obj = tmp_path / "link.o"
    subprocess.run(["arm-none-eabi-gcc", "-std=c11", f"-mcpu={cpu}", "-mthumb", "-Os",
                    "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-Wconversion", "-Wshadow",
                    "-Wcast-align", "-pedantic", f"-I{repo_root / 'firmware'}", "-c",
                    str(repo_root / "firmware/link/link.c"), "-o", str(obj)],
                   check=True, capture_output=True)
    size = subprocess.run(["arm-none-eabi-size", str(obj)], check=True, capture_output=True,
                          text=True).stdout.splitlines()[1].split()
    text, data, bss = (int(v) for v in size[:3])
    assert data == 0 and bss == 0  # all state is caller-owned
    undefined = subprocess.run(["arm-none-eabi-nm", "-u", str(obj)], check=True,
                               capture_output=True, text=True).stdout.split()
    assert set(undefined) - {"U"} <= {"memset", "memcpy", "strlen"}
    assert "malloc" not in undefined
