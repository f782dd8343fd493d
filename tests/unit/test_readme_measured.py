"""The README's "Measured" table quotes the committed benchmark output (and the peer's file):
each figure is read from where it was measured, so a re-run benchmark that moves a figure fails
here until the README says the same."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
PEERS = ROOT.parent / "shared" / "data" / "peers" / "tflm_cmsis_nn.json"


def _measured_table() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Measured")
    return text[start:text.index("\n## ", start + 1)]


def _twin_row(name: str, twin: str = "mps2_an505") -> list[str]:
    for line in (BENCH / name).read_text().splitlines():
        if line.startswith(twin + " "):
            return line.split()
    raise AssertionError(f"{name} has no {twin} row")


def _n(value: str | int) -> str:
    return f"{int(str(value).replace(',', '')):,}"


def test_instruction_counts_are_the_benchmarks():
    table = _measured_table()
    frontend = next(line.split() for line in (BENCH / "frontend_device.txt").read_text().splitlines()
                    if line.startswith("mps2-an505") and "micro_speech 30/20 ms" in line)
    assert f"| {frontend[-3]} |" in table                       # per-window mean, M33
    assert f"{_n(_twin_row('twin_pipeline.txt')[3])} for TFLM's model" in table
    assert f"{_n(_twin_row('twin_pipeline_micro_speech.txt')[3])} for the zoo model" in table
    assert f"| {_n(_twin_row('twin_pipeline_yamnet_256.txt')[3])} (" in table


def _memory_row(model: str, audio: str, board: str) -> list[str]:
    for line in (BENCH / "memory.txt").read_text().splitlines():
        parts = line.split()
        if parts[:3] == [model, audio, board]:
            return parts
    raise AssertionError(f"memory.txt has no {model} {audio} {board} row")


def test_firmware_size_is_the_benchmarks():
    link = _memory_row("micro_speech", "link", "b_u585i_iot02a")
    mic = _memory_row("micro_speech", "mic", "b_u585i_iot02a")
    assert (f"{_n(link[3])} B flash, {_n(link[4])} B RAM over the link, {_n(mic[4])} B "
            f"with the microphone") in _measured_table()


@pytest.mark.skipif(not PEERS.is_file(), reason="the peer's figures live in ../shared/data/peers")
def test_peer_figures_and_ratios_are_the_peers_file():
    models = json.loads(PEERS.read_text())["models"]
    table = _measured_table()
    micro = next(v for k, v in models.items() if k.startswith("micro_speech"))
    yamnet = next(v for k, v in models.items() if k.lower().startswith("yamnet"))
    m33 = "cortex-m33 (mps2-an505)"
    for peer, ours_file in ((micro, "twin_pipeline.txt"), (yamnet, "twin_pipeline_yamnet_256.txt")):
        theirs = peer[m33]["cmsis_nn"]["instructions"]
        assert f"TFLM + CMSIS-NN {_n(theirs)}" in table
        ours = int(_twin_row(ours_file)[3])
        assert re.search(rf"\({ours / theirs:.2f} of the peer\)", table), (ours_file, ours / theirs)
