#!/usr/bin/env bash
# Set up (idempotently) and run the whole test suite: unit, compile, emulator tiers;
# the hardware tier skips itself unless a board is configured (FWGEN_HW_BOARD).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/bootstrap.sh"
cd "$root"
workers=${FWGEN_TEST_WORKERS:-$(nproc)}
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@" tests
