"""Flash and RAM of the shipped firmware by buffer, per board: the zoo micro_speech streaming over
the link and from the microphone, and yamnet_256 on every board (the STM32L475's RAM by bank).

Every figure is `fwgen build`'s own size report (fwgen.project.size: sections from the ELF,
buffers by their symbols, the stack the build reserved from the call graph,
fwgen.project.stack); the issue's targets are checked at the end.

    .venv/bin/python benchmarks/memory.py > benchmarks/memory.txt
"""
from __future__ import annotations

import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from fwgen.boards import get_board  # noqa: E402
from fwgen.deploy import DeployOptions, prepare  # noqa: E402
from fwgen.project.build import build_firmware  # noqa: E402
from fwgen.zoo import resolve_model  # noqa: E402

BUILDS = (   # (model, audio source, boards)
    ("micro_speech", "link", ("b_u585i_iot02a", "b_l475e_iot01a", "nucleo_h743zi", "xg24_dk2601b")),
    ("micro_speech", "mic", ("b_u585i_iot02a", "b_l475e_iot01a")),
    ("yamnet_256", "link", ("b_u585i_iot02a", "b_l475e_iot01a", "nucleo_h743zi", "xg24_dk2601b")),
)
BUFFERS = ("model arena", "frontend state", "feature window", "detector", "audio ring",
           "link rx frame", "link tx frame", "link state", "UART ring", "mic ring", "other", "stack")
SHORT = {"model arena": "arena", "frontend state": "frontend", "feature window": "window",
         "detector": "detect", "audio ring": "audio", "link rx frame": "rx", "link tx frame": "tx",
         "link state": "link", "UART ring": "uart", "mic ring": "mic", "other": "other",
         "stack": "stack"}
# the targets (micro_speech on the B-U585I-IOT02A): bytes
TARGETS = {("micro_speech", "link"): (40 * 1024, 16 * 1024), ("micro_speech", "mic"): (40 * 1024, 12 * 1024)}


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "?"


def main() -> int:
    tree = _version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    print(f"# fwgen firmware memory by buffer ({_version(['arm-none-eabi-gcc', '--version'])}; "
          f"python {platform.python_version()}; tree {tree})")
    print("# bytes; RAM = every buffer below (other: the app's and ports' small state, newlib);")
    print("# stack: the deepest call path the build found + interrupts + margin (fwgen.project.stack)")
    print()
    head = f"{'model':<13} {'audio':<5} {'board':<16} {'flash':>7} {'RAM':>7} " + " ".join(
        f"{SHORT[b]:>7}" for b in BUFFERS)
    print(head)
    print("-" * len(head))
    results = {}
    banks_lines = []
    stack_lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for model, audio, boards in BUILDS:
            deployment = prepare(resolve_model(model), DeployOptions(audio_source=audio))
            for board_id in boards:
                board = get_board(board_id)
                fw = build_firmware(deployment, board, Path(tmp) / f"{model}-{audio}-{board_id}",
                                    include_twin=False, envs=(board_id,))
                r = fw.sizes[board_id]
                by = dict(r.buffers)
                results[(model, audio, board_id)] = (r.flash_used, r.ram_used)
                print(f"{model:<13} {audio:<5} {board_id:<16} {r.flash_used:>7} {r.ram_used:>7} "
                      + " ".join(f"{by.get(b, 0):>7}" for b in BUFFERS))
                for name, size, parts in r.banks:
                    detail = ", ".join(f"{label} {n}" for label, n in parts) or "empty"
                    banks_lines.append(f"{model} {audio} {board_id} bank {name}: "
                                       f"{sum(n for _, n in parts)} of {size} B ({detail})")
                if r.stack is not None:
                    stack_lines.append(f"{model} {audio} {board_id}: " + r.stack.lines()[1].strip())
    print()
    print("RAM by bank (boards whose RAM region spans several banks):")
    for line in banks_lines:
        print(f"  {line}")
    print()
    print("Deepest call path per build (function frame bytes):")
    for line in stack_lines:
        print(f"  {line}")
    print()
    print("Targets (issue 11, B-U585I-IOT02A):")
    for (model, audio), (flash_max, ram_max) in TARGETS.items():
        flash, ram = results[(model, audio, "b_u585i_iot02a")]
        print(f"  {model} over the {audio}: flash {flash} B (target <= {flash_max}: "
              f"{'met' if flash <= flash_max else 'missed'}), RAM {ram} B (target <= {ram_max}: "
              f"{'met' if ram <= ram_max else 'missed'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
