#!/usr/bin/env bash
# Set up (idempotently), then the main job on the embedded defaults: build the default zoo
# model for the default board's emulator twin, run it in QEMU on bundled test audio and print
# the detections.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/bootstrap.sh"
cd "$root"
exec .venv/bin/fwgen run --board mps2_an505 --model micro_speech models/micro_speech/samples/*.wav "$@"
