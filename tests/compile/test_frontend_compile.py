"""The frontend C and its rendered tables build for Cortex-M with -Wall -Wextra -Werror
(M4/M33/M55 take the DSP path of frontend/simd.h, M3/M0+ the plain C one).

Also checks the device promises on the object code: no floating point (built with the soft-float
ABI, any float operation would call an __aeabi_f*/__aeabi_d* helper), no malloc/free, and the
tables land in read-only data (const), not in RAM.
"""
from __future__ import annotations

import subprocess

import pytest

from fwgen.frontend import load_settings, render_tables

CPUS = ["cortex-m33", "cortex-m4", "cortex-m55", "cortex-m3", "cortex-m0plus"]  # DSP SIMD and plain C


def _frontend_sources(repo_root):
    return sorted(p for p in (repo_root / "firmware" / "frontend").glob("*.c")
                  if not p.name.startswith("logmel"))


def _compile(repo_root, tmp_path, cpu, entry, shared_data):
    settings = load_settings(shared_data / "frontend" / "settings.json", name=entry)
    gen = tmp_path / "gen"
    gen.mkdir()
    for name, text in render_tables(settings).items():
        (gen / name).write_text(text)
    objects = []
    for src in [gen / "frontend_config.c"] + _frontend_sources(repo_root):
        obj = tmp_path / (src.stem + ".o")
        argv = ["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", "-mfloat-abi=soft", "-std=c11",
                "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion",
                "-ffunction-sections", "-fdata-sections",
                f"-I{repo_root / 'firmware'}", f"-I{gen}", "-c", str(src), "-o", str(obj)]
        proc = subprocess.run(argv, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(argv)}\n{proc.stderr}"
        objects.append(obj)
    return objects


def _undefined_symbols(objects) -> set[str]:
    out = subprocess.run(["arm-none-eabi-nm", "-u", *map(str, objects)], capture_output=True,
                         text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines()
            if line.strip() and not line.endswith(":")}


def _float_helpers(symbols: set[str]) -> list[str]:
    return sorted(s for s in symbols if s.startswith("__aeabi_") and
                  any(t in s for t in ("f2", "d2", "2f", "2d", "fadd", "dadd", "fmul", "dmul",
                                       "fdiv", "ddiv", "fsub", "dsub", "fcmp", "dcmp")))


def _writable_sections(obj) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-objdump", "-h", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit() and parts[1].startswith((".data", ".bss")):
            sizes[parts[1]] = int(parts[2], 16)
    return {k: v for k, v in sizes.items() if v}


def test_the_float_check_can_fail(tmp_path):
    src = tmp_path / "f.c"
    src.write_text("float scale(int x) { return (float)x * 0.5f; }\n")
    obj = tmp_path / "f.o"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=soft",
                    "-O2", "-c", str(src), "-o", str(obj)], check=True)
    assert _float_helpers(_undefined_symbols([obj]))


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("entry", ["micro_speech", "mltk_on_off_v3"])
def test_frontend_builds_for_cortex_m_without_float_or_malloc(repo_root, shared_data, tmp_path,
                                                              cpu, entry):
    objects = _compile(repo_root, tmp_path, cpu, entry, shared_data)
    undefined = _undefined_symbols(objects)
    assert not _float_helpers(undefined), "floating point in the device frontend"
    assert not undefined & {"malloc", "free", "calloc", "realloc"}
    for obj in objects:  # tables are const (flash); the code keeps no static state
        assert _writable_sections(obj) == {}, obj.name


# The DSP instructions each stage's C is written to compile to (frontend/simd.h).
DSP_OPS = {
    "fft": {"smlabb", "smlatb", "smlsd", "smladx", "pkhtb", "sadd16", "ssub16", "sasx", "ssax",
            "shadd16", "shsub16"},
    "window": {"ssub16", "sel", "smulbb", "smultt"},
    "filterbank": {"smuad", "smlal", "udiv"},
}
SIMD_ONLY = {"smlabb", "smlatb", "smlsd", "smladx", "pkhtb", "sadd16", "ssub16", "sasx", "ssax",
             "shadd16", "shsub16", "sel", "smulbb", "smultt", "smuad"}


@pytest.mark.parametrize("stage", sorted(DSP_OPS))
@pytest.mark.parametrize("cpu,simd", [("cortex-m33", True), ("cortex-m4", True),
                                      ("cortex-m3", False)])
def test_frontend_uses_dsp_instructions_where_the_core_has_them(repo_root, tmp_path, cpu, simd,
                                                                stage):
    obj = tmp_path / f"{stage}.o"
    subprocess.run(["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", "-O2", "-std=c11",
                    f"-I{repo_root / 'firmware'}", "-c",
                    str(repo_root / "firmware" / "frontend" / f"{stage}.c"), "-o", str(obj)],
                   check=True)
    text = subprocess.run(["arm-none-eabi-objdump", "-d", str(obj)], capture_output=True,
                          text=True, check=True).stdout
    mnemonics = {line.split("\t")[2].split()[0].split(".")[0] for line in text.splitlines()
                 if line.count("\t") >= 2}
    want = DSP_OPS[stage] if simd else DSP_OPS[stage] - SIMD_ONLY
    assert want <= mnemonics, f"{stage}.c on {cpu}: missing {sorted(want - mnemonics)}"
    if not simd:
        assert not mnemonics & SIMD_ONLY, f"{stage}.c on {cpu}: {sorted(mnemonics & SIMD_ONLY)}"
