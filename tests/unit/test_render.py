from fwgen import __version__
from fwgen.render import banner, c_array_rows, c_hex_rows, c_identifier, write_files


def test_banner_names_generator_and_inputs_without_timestamp():
    text = banner("model tables", {"model sha256": "ab12"})
    assert f"fwgen {__version__}" in text and "model sha256: ab12" in text
    assert text.startswith("/*") and text.endswith("*/")
    assert banner("model tables", {"model sha256": "ab12"}) == text


def test_c_rows_formatting():
    assert c_array_rows(range(5), per_row=2) == ["0, 1,", "2, 3,", "4,"]
    assert c_hex_rows([0, 255, 16], per_row=8) == ["0x00, 0xff, 0x10,"]
    assert c_identifier("3x-model.v1") == "_3x_model_v1"


def test_write_files_keeps_unchanged_files(tmp_path):
    (p,) = write_files(tmp_path, {"a/b.c": "int x;\n"})
    mtime = p.stat().st_mtime_ns
    write_files(tmp_path, {"a/b.c": "int x;\n"})
    assert p.stat().st_mtime_ns == mtime and p.read_text() == "int x;\n"
