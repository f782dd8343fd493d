"""Serial link figures: wire overhead, codec speed (Python and C), device footprint.

Run: .venv/bin/python benchmarks/link_throughput.py > benchmarks/link_throughput.txt
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fwgen.link import Audio, Direction, Features, Output, Link, stream_audio
from fwgen.link import frame as F
from fwgen.link import native
from fwgen.link.messages import FeatureDtype, Hello
from fwgen.native import repo_root

RATE = 16000


def rate(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def wire_overhead() -> None:
    print("## AUDIO wire cost at 16 kHz int16 (frame = COBS(10 B header+CRC + 4 B offset + pcm) + 0x00)")
    print(f"{'chunk (samples)':>16} {'wire bytes/frame':>17} {'overhead':>9} {'KiB/s on wire':>14}"
          f" {'x realtime at 13 KiB/s':>23} {'at 28 KiB/s':>12}")
    rng = np.random.default_rng(0)
    for chunk in (64, 128, 256, 510):
        pcm = rng.integers(-3000, 3000, chunk).astype(np.int16)
        wire = len(F.encode_message(Audio.from_samples(0, pcm), 0))
        per_s = wire * RATE / chunk
        print(f"{chunk:>16} {wire:>17} {wire / (2 * chunk) - 1:>8.1%} {per_s / 1024:>14.1f}"
              f" {13 * 1024 / per_s:>23.2f} {28 * 1024 / per_s:>12.2f}")
    print()


def codec_speed() -> None:
    rng = np.random.default_rng(1)
    frames = [F.encode_message(Audio.from_samples(i * 510, rng.integers(-3000, 3000, 510)
                                                  .astype(np.int16)), i) for i in range(200)]
    stream = b"".join(frames)
    mb = len(stream) / 1e6
    msgs = [Audio.from_samples(0, rng.integers(-3000, 3000, 510).astype(np.int16))] * 200
    t_enc = rate(lambda: [F.encode_message(m, 0) for m in msgs])
    t_py = rate(lambda: F.StreamDecoder(role=Direction.TO_DEVICE).feed(stream))
    t_c = rate(lambda: native.NativeDecoder(Direction.TO_DEVICE).feed(stream))
    print("## Codec speed on this host (200 AUDIO frames of 510 samples, best of 3)")
    print(f"{'path':<44} {'MB/s':>8} {'x 16 kHz realtime':>18}")
    for name, t in (("Python encode_message", t_enc), ("Python StreamDecoder.feed", t_py),
                    ("C fwgen_link_rx_feed via ctypes", t_c)):
        print(f"{name:<44} {mb / t:>8.1f} {mb / t * 1e6 / (RATE * 2):>18.0f}")
    print()


def footprint() -> None:
    print("## Device footprint (arm-none-eabi-gcc 12, -Os, firmware/link/link.c)")
    print(f"{'cpu':<12} {'text B':>7} {'data B':>7} {'bss B':>6} {'sizeof(fwgen_link_t)':>21}"
          f" {'rx buf':>7} {'tx buf':>7}")
    root = repo_root()
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.c"
        probe.write_text('#include "link/link.h"\n'
                         'char link_size[sizeof(fwgen_link_t)];\n'
                         'char rx_size[FWGEN_LINK_RX_BUFFER_SIZE];\n'
                         'char tx_size[FWGEN_LINK_TX_BUFFER_SIZE];\n')
        for cpu in ("cortex-m4", "cortex-m33", "cortex-m7"):
            obj = Path(tmp) / "link.o"
            flags = ["arm-none-eabi-gcc", "-std=c11", f"-mcpu={cpu}", "-mthumb", "-Os",
                     f"-I{root / 'firmware'}", "-c"]
            subprocess.run(flags + [str(root / "firmware/link/link.c"), "-o", str(obj)], check=True)
            text, data, bss = subprocess.run(["arm-none-eabi-size", str(obj)], check=True,
                                             capture_output=True, text=True
                                             ).stdout.splitlines()[1].split()[:3]
            pobj = Path(tmp) / "probe.o"
            subprocess.run(flags + ["-fno-common", str(probe), "-o", str(pobj)], check=True)
            sizes = {}
            for line in subprocess.run(["arm-none-eabi-nm", "-S", str(pobj)], check=True,
                                       capture_output=True, text=True).stdout.splitlines():
                parts = line.split()
                sizes[parts[-1]] = int(parts[1], 16)
            print(f"{cpu:<12} {text:>7} {data:>7} {bss:>6} {sizes['link_size']:>21}"
                  f" {sizes['rx_size']:>7} {sizes['tx_size']:>7}")
    print()


class _Pipe:
    hop = 160

    def __init__(self):
        self.frame = 0

    def reset(self):
        self.frame = 0

    def configure(self, stride):
        pass

    def step(self, samples):
        self.frame += 1
        return [Features(self.frame - 1, FeatureDtype.INT8, bytes(40))]


def simulated_stream() -> None:
    from fwgen.link.simulator import DeviceSimulator, serve_tcp

    print("## Host <-> simulated device (C link via ctypes) over socket://, 10 s of audio")
    print(f"{'outputs':<26} {'window':>7} {'seconds':>8} {'x realtime':>11} {'frames in':>10}")
    pcm = np.random.default_rng(2).integers(-3000, 3000, 10 * RATE).astype(np.int16)
    for outputs, window in ((Output.DETECTIONS, 4096), (Output.FEATURES, 4096),
                            (Output.FEATURES, 640)):
        hello = Hello(0, 1, 0, 0, 1, 0, window, bytes(8), "sim", RATE, 480, 160, 40, 49, 1, 4, 1,
                      0, "")
        device = DeviceSimulator(hello, _Pipe())
        with serve_tcp(device) as url, Link.open(url) as link:
            t0 = time.perf_counter()
            result = stream_audio(link, pcm, outputs=outputs)
            dt = time.perf_counter() - t0
        name = "FEATURES (40 B/frame)" if outputs & Output.FEATURES else "DETECTIONS only"
        print(f"{name:<26} {window:>7} {dt:>8.2f} {10 / dt:>11.1f} {result.link_stats.frames:>10}")
    print()


def main() -> int:
    print(f"# fwgen serial link benchmark (python {sys.version.split()[0]})\n")
    wire_overhead()
    codec_speed()
    footprint()
    simulated_stream()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
