"""fwgen bench without an emulator: the plugin's output format, the peer file's matching, ELF
sizes by module, the figures of a result (text and JSON alike), and the CLI's argument errors
(before anything is built)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fwgen.bench import peer as peers
from fwgen.bench.measure import BenchResult, OpCount, synthetic_clip
from fwgen.bench.modules import ModuleSize, module_of
from fwgen.bench.ops import regions
from fwgen.bench.plugin import Marks, plugin_args, read_counts
from fwgen.boards import get_board
from fwgen.cli import main
from fwgen.errors import FwgenError
from fwgen.native import repo_root

PEERS = {"models": {
    "micro_speech_quantized.tflite (../shared/data/micro_speech)": {
        "macs": 336000,
        "cortex-m33 (mps2-an505)": {"cmsis_nn": {"instructions": 1000, "arena": 600, "flash": 6000,
                                                 "ram": 700}},
        "per_op_cortex-m33_cmsis_nn": {
            "DEPTHWISE_CONV_2D 10x8/2 SAME x8 (1 input channel)": {"macs": 320000, "instructions": 900},
            "FULLY_CONNECTED 4000->4": {"macs": 16000, "instructions": 90}}},
    "Yamnet-256 64x96 (six layers)": {
        "macs": 5, "cortex-m4 (mps2-an386)": {"cmsis_nn": {"instructions": 50, "arena": 1,
                                                           "flash": 2, "ram": 3}}},
    "TFLM legacy microfrontend, one 30 ms window, cortex-m33": {"instructions": 85390}}}


@pytest.fixture
def peer_file(tmp_path, monkeypatch):
    path = tmp_path / "peers.json"
    path.write_text(json.dumps(PEERS))
    monkeypatch.setenv(peers.PEERS_ENV, str(path))
    return path


def test_regions_come_from_the_c_header():
    text = (repo_root() / "firmware" / "common" / "fwgen_bench.h").read_text()
    assert regions() == {name: int(v) for name, v in
                         re.findall(r"#define FWGEN_BENCH_(\w+)\s+(\d+)u", text)}
    assert regions()["OP0"] > max(regions()["OTHER"], regions()["FRONTEND"], regions()["INVOKE"])


def test_plugin_output_is_parsed_and_bad_output_is_an_error(tmp_path):
    out = tmp_path / "regions.txt"
    out.write_text("total 120\nregion 0 20 3\nregion 3 100 2\n")
    counts = read_counts(out)
    assert (counts.total, counts.of(3), counts.entered(3), counts.of(4)) == (120, 100, 2, 0)
    out.write_text("total 120\nregion 3 x\n")
    with pytest.raises(FwgenError, match="unexpected line"):
        read_counts(out)
    with pytest.raises(FwgenError, match="wrote no counts"):
        read_counts(tmp_path / "absent.txt")


def test_plugin_arguments_name_the_marker_array_and_refuse_commas(tmp_path):
    args = plugin_args(Path("/x/p.so"), Marks(0x38000010, 7), tmp_path / "c.txt")
    assert args == ["-plugin", f"/x/p.so,marks=0x38000010,regions=7,out={tmp_path / 'c.txt'}"]
    with pytest.raises(FwgenError, match="comma"):
        plugin_args(Path("/x/p.so"), Marks(0, 1), tmp_path / "a,b.txt")


def test_peer_matches_by_file_or_zoo_name_core_and_ops(peer_file):
    p = peers.find_peer(("micro_speech", "micro_speech_quantized.tflite"), "cortex-m33")
    assert (p.instructions, p.arena, p.macs, len(p.ops)) == (1000, 600, 336000, 2)
    assert peers.find_peer(("micro_speech", "micro_speech.tflite"), "cortex-m33") is None
    assert peers.find_peer(("yamnet_256", "yamnet_256.tflite"), "cortex-m4").instructions == 50
    assert peers.find_peer(("yamnet_256",), "cortex-m33") is None        # not measured there
    assert peers.peer_frontend("microfrontend", "cortex-m33")[1] == 85390
    assert peers.peer_frontend("logmel", "cortex-m33") is None
    ours = [("RESHAPE", 0), ("DEPTHWISE_CONV_2D", 320000), ("FULLY_CONNECTED", 16000),
            ("SOFTMAX", 4)]
    matched = peers.match_ops(ours, p.ops)
    assert [m.instructions if m else None for m in matched] == [None, 900, 90, None]


def test_absent_peer_file_gives_a_note_not_a_column(tmp_path, monkeypatch):
    monkeypatch.setenv(peers.PEERS_ENV, str(tmp_path / "none.json"))
    assert not peers.available()
    assert peers.find_peer(("micro_speech",), "cortex-m33") is None
    assert str(tmp_path / "none.json") in peers.peer_note()
    r = _result(peer=None, notes=[peers.peer_note()])
    text = "\n".join(r.lines())
    assert peers.PEER_NAME not in text.split("note:")[0] and "note: peer" in text


@pytest.mark.parametrize("path, module", [
    ("src/fwgen/nn/dsp/nn_conv2d_s8.o", "nn"), ("src/fwgen/frontend/fft.o", "frontend"),
    ("src/fwgen/ports/mps2/port_mps2.o", "port"), ("src/generated/model.o", "generated/model"),
    ("src/user/mine.o", "user"), ("src/fwgen/app/main.o", "app")])
def test_objects_map_to_modules(path, module):
    assert module_of(path) == module


def test_synthetic_clip_is_seeded():
    a, b = synthetic_clip(1000), synthetic_clip(1000)
    assert a.dtype.name == "int16" and (a == b).all() and 500 < a.std() < 1500


class _Sizes:
    rows = (("code", 100, True, False), ("bss", 40, False, True))
    flash_used, ram_used = 100, 40

    def as_dict(self):
        return {"flash": {"used": 100}, "ram": {"used": 40}}


def _result(peer="default", notes=(), frontend_total=600) -> BenchResult:
    board = get_board("mps2_an505")
    if peer == "default":
        peer = peers.PeerFigures(model="m", core="cortex-m33", instructions=2000, arena=800,
                                 flash=1, ram=1, macs=300,
                                 ops=(peers.PeerOp("CONV_2D x", 200, 1500),))
    conv_peer = peer.ops[0] if peer else None
    ops = [OpCount(0, "CONV_2D", "CONV_2D 3x3", "1x4x4x8", 200, 700, conv_peer),
           OpCount(1, "SOFTMAX", "SOFTMAX", "1x4", 0, 290)]
    return BenchResult(model="m", sha256="ab" * 32, runtime="aot", board=board, twin=board,
                       clip="clip", macs=200, arena_bytes=400, weights_bytes=50, inferences=2,
                       frames=10, ops=ops, invoke_overhead=10, frontend_kind="microfrontend",
                       window_ms=30.0, frontend_total=frontend_total, stack_used=1000, stack_size=4096,
                       sizes=_Sizes(), modules=[ModuleSize("nn", 100, 0)], peer=peer,
                       peer_frontend=("fe", 120) if peer else None, notes=list(notes))


def test_result_figures_add_up_in_text_and_json():
    r = _result()
    assert r.inference == 1000 and r.frontend_per_window == 60 and r.arithmetic_limit == 100
    d = r.as_dict()
    assert sum(op["instructions"] for op in d["ops"]) + d["invoke_overhead"] == \
        d["inference"]["instructions"] == 1000
    assert d["inference"]["ratio_to_limit"] == 10.0 and d["inference"]["ratio_to_peer"] == 0.5
    assert d["ops"][0]["peer"] == {"label": "CONV_2D x", "instructions": 1500, "ratio": 0.4667}
    assert d["ops"][1]["peer"] is None and d["frontend"]["ratio_to_peer"] == 0.5
    assert {"ops", "inference", "frontend", "memory", "sizes", "modules", "peer", "notes"} <= set(d)
    text = "\n".join(r.lines())
    assert re.search(r"CONV_2D 3x3 .* 200 +700 +3\.50 +70\.0% +1,500 +0\.47", text), text
    assert re.search(r"inference .* 1,000 +5\.00 100\.0% +2,000 +0\.50", text)
    assert "10.00 x the limit" in text and "stack high-water 1,000 of 4,096 B (on the twin)" in text


def _bench_models_script():
    import importlib.util

    path = repo_root() / "benchmarks" / "bench_models.py"
    spec = importlib.util.spec_from_file_location("bench_models_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_frontend_never_marked_is_not_measured_as_0():
    # A bench build whose app lost its frontend markers once printed "0" and a ratio of 0.00 to
    # TFLM's frontend in benchmarks/bench_models.txt, as if measured.
    note = "the firmware's app marks no frontend region"
    r = _result(frontend_total=None, notes=[note])
    assert r.frontend_per_window is None
    d = r.as_dict()
    assert d["frontend"]["instructions_per_window"] is None and d["frontend"]["ratio_to_peer"] is None
    row = next(line for line in r.lines() if "frontend (microfrontend)" in line)
    assert row.split()[-3:] == ["-", "120", "-"], row
    section = _bench_models_script().model_section("m", [r])
    twin_row = next(line for line in section if line.startswith("mps2_an505 "))
    assert twin_row.split()[7:10] == ["-", "120", "-"], twin_row
    assert f"   note (mps2_an505): {note}" in section
    measured = _bench_models_script().model_section("m", [_result()])
    assert next(line for line in measured if line.startswith("mps2_an505 ")).split()[7:10] == \
        ["60", "120", "0.50"]


def _cli(capsys, *argv) -> tuple[int, str]:
    code = main(["bench", *argv])
    return code, capsys.readouterr().err


def test_cli_unknown_board(capsys):
    code, err = _cli(capsys, "--board", "nope", "--model", "micro_speech")
    assert code == 2 and "unknown board 'nope'" in err and "Traceback" not in err


def test_cli_bad_model_and_missing_clip(capsys, tmp_path):
    code, err = _cli(capsys, "--board", "mps2_an505", "--model", str(tmp_path / "x.tflite"))
    assert code == 2 and "model file not found" in err and str(tmp_path / "x.tflite") in err
    code, err = _cli(capsys, "--board", "stm32u5", "--model", "micro_speech",
                     "--clip", str(tmp_path / "a.wav"))
    assert code == 2 and "audio file not found" in err


@pytest.mark.parametrize("argv, message", [
    (("--runtime", "nope"), "unknown runtime 'nope'"),
    (("--inferences", "0"), "--inferences: must be 1..1000"),
    (("--timeout", "0"), "--timeout: must be more than 0"),
])
def test_cli_bad_options_before_any_build(capsys, tmp_path, argv, message):
    out = tmp_path / "out"
    code, err = _cli(capsys, "--board", "mps2_an505", "--model", "micro_speech",
                     "--out", str(out), *argv)
    assert code == 2 and message in err, err
    assert not out.exists()                 # nothing half-written


def test_a_board_without_an_emulator_twin_is_refused_before_any_build(tmp_path):
    import dataclasses

    from fwgen.bench import bench_model

    board = dataclasses.replace(get_board("stm32u5"), twin=None)
    with pytest.raises(FwgenError, match="has no emulator twin"):
        bench_model("micro_speech", board, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_qemu_on_path_chooses_the_plugin_api(tmp_path, monkeypatch):
    from fwgen.bench import plugin

    fake = tmp_path / "qemu-system-arm"
    fake.write_text("#!/bin/sh\necho 'QEMU emulator version 9.2.1 (Debian 1:9.2.1)'\n")
    fake.chmod(0o755)
    monkeypatch.delenv("FWGEN_QEMU_SYSTEM_ARM", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    assert plugin.check_qemu() == 2            # QEMU >= 9.0 loads API version 2 and later
    fake.write_text("#!/bin/sh\necho 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)'\n")
    assert plugin.check_qemu() == 1
    fake.write_text("#!/bin/sh\necho 'QEMU emulator version 4.1.1'\n")
    with pytest.raises(FwgenError, match="QEMU 4.1.1 has no TCG plugins"):
        plugin.check_qemu()


def test_a_runtime_without_an_op_table_is_refused_before_any_build(tmp_path, monkeypatch):
    from fwgen.bench import bench_model
    from fwgen.bench.ops import OP_TABLES
    from fwgen.runtime import RUNTIMES

    monkeypatch.setitem(RUNTIMES, "other", RUNTIMES["aot"])
    assert "other" not in OP_TABLES
    with pytest.raises(FwgenError, match="cannot count the ops of runtime 'other' yet"):
        bench_model("micro_speech", get_board("mps2_an505"), runtime="other", out=tmp_path / "o")
    assert not (tmp_path / "o").exists()
