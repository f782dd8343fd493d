"""Which QEMU fwgen runs ($FWGEN_QEMU_SYSTEM_ARM or PATH's), what its --version says, and the
plugin API fwgen bench builds its counting plugin for: the version table, the compiler flag, what
each build of the plugin declares and imports, and QEMU's refusals turned into errors. No QEMU
runs here (stand-in scripts print what QEMU 7.2 and 10.0 print); the builds need the host gcc."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fwgen.bench import plugin, qemu_api
from fwgen.boards import get_board
from fwgen.errors import FwgenError, ToolMissingError
from fwgen.native import host_compiler
from fwgen.runners.qemu import PROGRAM_ENV, QemuRunner, parse_qemu_version, qemu_version

# What `qemu-system-arm --version` prints (Debian 12's and bookworm-backports' 10.0).
VERSION_72 = ("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"
              "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n")
VERSION_10 = ("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\n"
              "Copyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers\n")
# What QEMU 10.0.2 printed when given a plugin it would not load.
REFUSED_MIN = ("qemu-system-arm: Could not load plugin /c/v1.so: plugin requires API version 1, "
               "but this QEMU supports only a minimum version of 2")
REFUSED_MAX = ("qemu-system-arm: Could not load plugin /c/v9.so: plugin requires API version 9, "
               "but this QEMU supports only up to version 4")
REFUSED_SYMBOL = ("qemu-system-arm: Could not load plugin /c/r.so: /c/r.so: undefined symbol: "
                  "qemu_plugin_register_vcpu_insn_exec_inline")
# Functions API version 2 removed (QEMU 9.0): a build for it must call none of them.
REMOVED_IN_2 = {"qemu_plugin_register_vcpu_insn_exec_inline", "qemu_plugin_register_vcpu_tb_exec_inline",
                "qemu_plugin_register_vcpu_mem_inline", "qemu_plugin_n_vcpus",
                "qemu_plugin_n_max_vcpus"}

needs_gcc = pytest.mark.skipif(shutil.which(host_compiler()) is None,
                               reason=f"the plugin builds with the host's {host_compiler()}")


def _fake_qemu(folder: Path, text: str) -> Path:
    fake = folder / "qemu-10"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{text}EOF\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize("text,version", [
    (VERSION_72, (7, 2, 22)), (VERSION_10, (10, 0, 2)),
    ("QEMU emulator version 9.0 (self-built)\n", (9, 0, 0)),
    ("qemu-system-arm: unknown option\n", None), ("", None)])
def test_the_version_qemu_prints(text, version):
    assert parse_qemu_version(text) == version


@pytest.mark.parametrize("version,api", [
    ((4, 2, 0), 1), ((7, 2, 22), 1), ((8, 2, 9), 1), ((9, 0, 0), 2), ((9, 2, 1), 2),
    ((10, 0, 2), 2), ((10, 2, 0), 2), ((11, 0, 0), 2), ((11, 1, 3), 7), ((12, 0, 0), 7)])
def test_the_plugin_api_each_qemu_loads(version, api):
    assert qemu_api.plugin_api(version) == api


def test_a_qemu_without_plugins_is_named():
    with pytest.raises(FwgenError, match=r"QEMU 4\.1\.1 has no TCG plugins \(they came with QEMU "
                                         r"4\.2\)") as info:
        qemu_api.plugin_api((4, 1, 1))
    assert PROGRAM_ENV in info.value.hint


def test_the_compiler_flag_per_api():
    assert qemu_api.define(1) == "-DFWGEN_QEMU_PLUGIN_API=1"
    assert qemu_api.define(2) == "-DFWGEN_QEMU_PLUGIN_API=2"
    assert qemu_api.define(7) == "-DFWGEN_QEMU_PLUGIN_API=7"
    for undeclared in (0, 3, 6, 8):
        with pytest.raises(ValueError):
            qemu_api.define(undeclared)


def test_the_env_var_names_the_qemu_every_twin_runs(tmp_path, monkeypatch):
    fake = _fake_qemu(tmp_path, VERSION_10)
    monkeypatch.setenv(PROGRAM_ENV, str(fake))
    runner = QemuRunner(get_board("mps2_an505"))
    assert runner.argv(Path("fw.elf"), 1)[0] == str(fake)
    assert qemu_version() == (10, 0, 2)
    assert plugin.check_qemu() == 2
    fake.write_text(fake.read_text().replace("10.0.2", "7.2.22"))
    assert plugin.check_qemu() == 1
    fake.write_text(fake.read_text().replace("7.2.22", "11.1.3"))
    assert plugin.check_qemu() == 7


def test_a_missing_qemu_names_the_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(PROGRAM_ENV, str(tmp_path / "no-such-qemu"))
    with pytest.raises(ToolMissingError) as info:
        QemuRunner(get_board("mps2_an505")).argv(Path("fw.elf"), 1)
    assert str(tmp_path / "no-such-qemu") in str(info.value) and PROGRAM_ENV in info.value.hint
    with pytest.raises(ToolMissingError):
        plugin.check_qemu()


def test_a_program_that_prints_no_qemu_version_is_named(tmp_path, monkeypatch):
    fake = _fake_qemu(tmp_path, "something else 1.0\n")
    monkeypatch.setenv(PROGRAM_ENV, str(fake))
    with pytest.raises(FwgenError, match="cannot tell the version of") as info:
        plugin.check_qemu()
    assert info.value.where == str(fake)


def _declared_and_imported(so: Path) -> tuple[int, set[str]]:
    """The plugin's qemu_plugin_version and the qemu_plugin_* functions it imports."""
    from elftools.elf.elffile import ELFFile

    with open(so, "rb") as handle:
        elf = ELFFile(handle)
        symbol = elf.get_section_by_name(".symtab").get_symbol_by_name("qemu_plugin_version")[0]
        section = elf.get_section(symbol["st_shndx"])
        offset = symbol["st_value"] - section["sh_addr"]
        declared = int.from_bytes(section.data()[offset:offset + 4], "little")
        imported = {s.name for s in elf.get_section_by_name(".dynsym").iter_symbols()
                    if s["st_shndx"] == "SHN_UNDEF" and s.name.startswith("qemu_plugin_")}
    return declared, imported


@needs_gcc
def test_each_build_declares_its_api_and_calls_only_its_functions(tmp_path, monkeypatch):
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    v1, v2, v7 = plugin.build_plugin(1), plugin.build_plugin(2), plugin.build_plugin(7)
    assert len({v1, v2, v7}) == 3
    declared1, imported1 = _declared_and_imported(v1)
    declared2, imported2 = _declared_and_imported(v2)
    declared7, imported7 = _declared_and_imported(v7)
    assert (declared1, declared2, declared7) == (1, 2, 7)
    assert imported7 == imported2          # version 7 changed callback types, not functions
    assert "qemu_plugin_register_vcpu_insn_exec_inline" in imported1
    assert not any("scoreboard" in name for name in imported1)
    assert not imported2 & REMOVED_IN_2
    assert {"qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu", "qemu_plugin_scoreboard_new",
            "qemu_plugin_u64_get"} <= imported2
    # the rest of what each calls is common to both APIs
    assert imported1 - {"qemu_plugin_register_vcpu_insn_exec_inline"} == \
        imported2 - {n for n in imported2 if "scoreboard" in n or "u64" in n or "per_vcpu" in n}


@needs_gcc
def test_the_default_build_follows_the_qemu_in_use(tmp_path, monkeypatch):
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    fake = _fake_qemu(tmp_path, VERSION_10)
    monkeypatch.setenv(PROGRAM_ENV, str(fake))
    assert plugin.build_plugin() == plugin.build_plugin(2)
    fake.write_text(fake.read_text().replace("10.0.2", "7.2.22"))
    assert plugin.build_plugin() == plugin.build_plugin(1)


@pytest.mark.parametrize("output,why", [
    (REFUSED_MIN, "it loads plugin API version 2 and later"),
    (REFUSED_MAX, "it loads plugin API versions up to 4"),
    (REFUSED_SYMBOL, "it exports no qemu_plugin_register_vcpu_insn_exec_inline, which the plugin calls")])
def test_qemu_refusing_the_plugin_is_an_error_naming_both_versions(output, why):
    error = qemu_api.refusal(f"QEMU exited with status 1\n{output}\n", (11, 0, 0), 2)
    assert error is not None
    assert error.message.startswith(f"QEMU 11.0.0 refuses fwgen bench's counting plugin (built for "
                                    f"plugin API version 2): {why}")
    assert PROGRAM_ENV in error.hint


def test_other_failures_are_not_taken_for_a_refusal():
    assert qemu_api.refusal("QEMU exited with status 1\nqemu-system-arm: -kernel x: No such "
                            "file\n", (10, 0, 2), 2) is None
