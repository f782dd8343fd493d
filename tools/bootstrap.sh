#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian machine for fwgen: the cross toolchain and emulator
# (apt), a virtual environment with pinned packages (.venv), the host build of the C library,
# and PlatformIO's offline provisioning. Safe to run again: each step checks before it acts.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

apt_packages=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
              qemu-system-arm gcc cmake make espeak-ng sox socat libsndfile1 python3-venv
              openocd stlink-tools)   # fwgen flash: OpenOCD 0.12, st-flash 1.7 (and their udev rules)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $python"
  "$python" -m venv .venv
fi
stamp=.venv/.fwgen-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing Python packages (pinned by constraints.txt)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[train,dev]"
  echo "$want" > "$stamp"
fi

# Everything after this point is fwgen's own provisioning (host C build, PlatformIO).
.venv/bin/fwgen setup
