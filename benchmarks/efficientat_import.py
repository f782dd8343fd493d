"""Import time, size and int8 exactness of an EfficientAT mn04 checkpoint at full size.

A random-weight mn04 (EfficientAT's structure and state_dict naming, the test's PyTorch module)
at 100 frames x 128 mels: import time, Keras parameters, float max |Keras - PyTorch|, int8
.tflite size, fwgen-vs-TFLM differing elements. Needs the torch extra.

    .venv/bin/python benchmarks/efficientat_import.py > benchmarks/efficientat_import.txt
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

import test_efficientat as t  # noqa: E402  (the test's EfficientAT-structured torch module)
from fwgen.compiler.validate import validate_model  # noqa: E402
from fwgen.train import efficientat  # noqa: E402
from fwgen.train.quantize import to_int8_tflite  # noqa: E402

FRAMES, MELS = 100, 128


def main() -> None:
    print(f"{'classes':>7} {'import s':>8} {'params':>9} {'max|torch|':>11} {'max|keras-torch|':>16} "
          f"{'int8 bytes':>10} {'fwgen!=TFLM':>11}")
    for classes in (10, 527):
        torch_model = t._randomise(t.TorchMN(0.4, n_classes=classes), seed=1)
        with tempfile.TemporaryDirectory() as tmp:
            path = t._save(torch_model, Path(tmp) / "mn04.pt")
            start = time.perf_counter()
            model = efficientat.import_efficientat(path, n_frames=FRAMES, n_mels=MELS,
                                                   output="logits")
            seconds = time.perf_counter() - start
        rng = np.random.default_rng(0)
        x = rng.normal(-4.0, 1.5, size=(4, FRAMES, MELS, 1)).astype(np.float32)
        t.N_FRAMES, t.N_MELS = FRAMES, MELS
        want = t._torch_logits(torch_model, x)
        diff = float(np.abs(model(x).numpy() - want).max())
        tflite = to_int8_tflite(model, list(x))
        report = validate_model(tflite, random=2, measure_code=False)
        print(f"{classes:>7} {seconds:>8.2f} {model.count_params():>9} "
              f"{float(np.abs(want).max()):>11.2f} {diff:>16.2e} "
              f"{len(tflite):>10} {report.differing_elements:>5}/{report.total_elements}")


if __name__ == "__main__":
    main()
