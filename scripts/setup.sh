#!/usr/bin/env bash
# Installs what NoiseGraph needs on Debian 12 (only what is missing), then configures and
# builds with CMake + Ninja into build/. Idempotent: a second run with nothing changed
# takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config
  qt6-base-dev libgl-dev libtorch-dev libopenblas0-openmp libyaml-cpp-dev libboost-dev
  zlib1g-dev libpng-dev libjpeg62-turbo-dev libcli11-dev help2man dataset-fashion-mnist xvfb xauth
  qt6-httpserver-dev qt6-websockets-dev libqt6sql6-sqlite libhiredis-dev redis-server)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build_dir=${NOISEGRAPH_BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
# Each torch-heavy file needs ~1.2 GB to compile; two jobs fit the 2-core machine.
cmake --build "$build_dir" -j "${NOISEGRAPH_JOBS:-2}"
