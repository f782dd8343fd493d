from fwgen import native


def test_core_library_reports_abi_of_headers(repo_root):
    header = (repo_root / "firmware/common/fwgen_abi.h").read_text()
    expected = int(header.split("#define FWGEN_ABI ")[1].split()[0])
    assert native.load_core().fwgen_abi_version() == expected
