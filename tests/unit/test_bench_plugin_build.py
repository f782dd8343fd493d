"""fwgen bench's counting plugin is built by fwgen.native.compile_shared: into the bounded cache of
shared libraries, once per content of its sources and flags, as GNU C (QEMU's header) with only
QEMU's entry points visible, and for the plugin API asked for."""
from __future__ import annotations

import shutil

import pytest

from fwgen import native
from fwgen.bench import plugin


@pytest.mark.skipif(shutil.which(native.host_compiler()) is None,
                    reason=f"the plugin builds with the host's {native.host_compiler()}")
def test_the_plugin_is_a_cached_shared_library_of_compile_shared(tmp_path, monkeypatch):
    from elftools.elf.elffile import ELFFile

    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    runs: list[list[str]] = []
    real_run = native._run
    monkeypatch.setattr(native, "_run", lambda argv, cwd=None: (runs.append(argv),
                                                                real_run(argv, cwd))[1])
    so = plugin.build_plugin(1)
    assert so.parent == tmp_path / "cache" / "shared" and so.name.startswith("fwgen_regions-")
    [argv] = runs
    assert argv[:2] == [native.host_compiler(), "-shared"] and str(plugin.SOURCE) in argv
    assert {"-std=gnu11", "-O2", "-fvisibility=hidden", "-DFWGEN_QEMU_PLUGIN_API=1",
            "-Werror"} <= set(argv)
    inode = so.stat().st_ino
    assert plugin.build_plugin(1) == so and so.stat().st_ino == inode and len(runs) == 1  # a hit
    assert plugin.build_plugin(2) != so and len(runs) == 2            # other flags: another .so
    assert sorted(p.name for p in so.parent.iterdir() if p.suffix != ".so") == []   # no lock, no .tmp
    with open(so, "rb") as handle:
        exported = {s.name for s in ELFFile(handle).get_section_by_name(".dynsym").iter_symbols()
                    if s["st_shndx"] != "SHN_UNDEF" and s.name}
    assert exported == {"qemu_plugin_version", "qemu_plugin_install"}
