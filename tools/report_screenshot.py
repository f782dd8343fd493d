#!/usr/bin/env python3
"""The README's report picture (docs/report.png), made by the project itself: `fwgen test
--emulate --html` on the M33 twin over the micro_speech samples (label folders by their names,
the noise sample as a negative stream), then the page's top in headless Chromium, network off,
stored as a 128-colour PNG.

    .venv/bin/python tools/report_screenshot.py [--out docs/report.png] [--project DIR]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import headless_page  # noqa: E402

LABELS = {"yes": "yes", "no": "no", "silence": "silence", "noise": "_background_noise_"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--project", type=Path, help="twin project folder (default: a temporary one)")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args()
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="fwgen-shot-") as tmp:
        data = Path(tmp) / "samples"
        for wav in sorted((ROOT / "models" / "micro_speech" / "samples").glob("*.wav")):
            folder = data / LABELS[wav.stem.split("_")[0]]
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(wav, folder / wav.name)
        page = Path(tmp) / "report.html"
        subprocess.run([sys.executable, "-m", "fwgen", "test", "--board", "mps2_an505", "--emulate",
                        "--dataset", str(data), "--out", str(args.project or Path(tmp) / "proj"),
                        "--html", str(page), "--no-progress"], check=True)
        shot = Path(tmp) / "shot.png"
        result = headless_page.load_page(page, screenshot=shot, width=args.width,
                                         height=args.height)
        if result.broken_images or result.broken_audio or result.resources or result.console:
            print(f"the page did not load cleanly: {result}", file=sys.stderr)
            return 1
        with Image.open(shot) as image:
            small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        small.save(args.out, format="PNG", optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
