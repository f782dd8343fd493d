#!/usr/bin/env bash
# Set up (idempotently) and run the whole test suite: unit, compile, emulator tiers;
# the hardware tier skips itself unless a board is configured (FWGEN_HW_BOARD).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/bootstrap.sh"
cd "$root"

# A third oracle for the frontend: MLTK's own compiled audio feature generator, taken from its
# PyPI wheel (no MLTK dependency; only this libc-only .so is used, by tests/unit/test_frontend_mltk.py).
# The same wheel ships MLTK's keyword_spotting_on_off_v3 TENet (int8 .tflite with MLTK metadata),
# taken unchanged as a real user's model for the compiler, validate, build and bench tests
# (tests/unit/test_mltk_on_off_v3.py, tests/emu/test_mltk_on_off_twin.py, benchmarks/bench_models.py).
oracle=.venv/oracles/mltk
on_off=keyword_spotting_on_off_v3.tflite
if [ ! -f "$oracle/.done" ] || [ ! -f "$oracle/$on_off" ]; then
  mkdir -p "$oracle"
  .venv/bin/python -m pip download -q --no-deps -d "$oracle" silabs-mltk==0.20.0 >/dev/null 2>&1 &&
  .venv/bin/python - "$oracle" "$on_off" <<'PY' && touch "$oracle/.done" || echo "test: MLTK oracle unavailable; its tests will skip"
import io, sys, zipfile, pathlib
out, on_off = pathlib.Path(sys.argv[1]), sys.argv[2]
wheel = next(out.glob("silabs_mltk-*.whl"))
with zipfile.ZipFile(wheel) as zf:
    name = next(n for n in zf.namelist() if "_audio_feature_generator_wrapper" in n and n.endswith(".so"))
    (out / pathlib.Path(name).name).write_bytes(zf.read(name))
    archive = next(n for n in zf.namelist() if n.endswith("/keyword_spotting_on_off_v3.mltk.zip"))
    with zipfile.ZipFile(io.BytesIO(zf.read(archive))) as model_zip:
        (out / on_off).write_bytes(model_zip.read(on_off))
wheel.unlink()
PY
fi
[ -f "$oracle/.done" ] && export FWGEN_MLTK_WRAPPER="$root/$oracle" FWGEN_MLTK_ON_OFF_V3="$root/$oracle/$on_off"
# Optional: PyTorch (CPU build, the `torch` extra) for the EfficientAT importer tests
# (tests/unit/test_efficientat.py); without it those tests skip.
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q "torch==2.13.0" >/dev/null 2>&1 ||
    echo "test: torch==2.13.0 could not be installed; the EfficientAT importer tests will skip"
fi
# Optional: Chromium (Debian) for the HTML report's browser test (tests/unit/test_html_browser.py),
# about 30 s of apt once; where it cannot be installed that test skips.
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  apt_chromium() { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }
  apt_chromium || { $sudo apt-get update -qq >/dev/null 2>&1 && apt_chromium; } ||
    echo "test: chromium could not be installed; the HTML report's browser test will skip"
fi
workers=${FWGEN_TEST_WORKERS:-$(nproc)}
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@" tests
