#!/bin/sh
# Builds cuda_check against the LibTorch of a Python PyTorch installation (which has CUDA
# on a GPU machine), without CMake, Qt or the rest of the project: the SDK sources plus
# bench/cuda/cuda_check.cpp. zlib's header may come from ZLIB_INCLUDE (a folder holding
# zlib.h) where the machine has no zlib development package; CXXSTD overrides -std=c++17.
# Usage, from the repository root:  bench/cuda/build-standalone.sh OUT_DIR [PYTHON]
set -eu
out=$1
py=${2:-python3}
torch=$($py -c 'import os, torch; print(os.path.dirname(torch.__file__))')
abi=$($py -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
mkdir -p "$out/obj"
flags="-std=${CXXSTD:-c++17} -O2 -fPIC -DQT_NO_KEYWORDS -D_GLIBCXX_USE_CXX11_ABI=$abi -Isdk/include \
  -I$torch/include -I$torch/include/torch/csrc/api/include ${ZLIB_INCLUDE:+-I$ZLIB_INCLUDE}"
rm -f "$out/failed"
# Every file is compiled even after a failure, so one run shows all errors.
ls sdk/src/*.cpp sdk/src/*/*.cpp bench/cuda/cuda_check.cpp |
  xargs -P "$(nproc)" -I{} sh -c 'o="$1/obj/$(echo "$2" | tr / _).o"; c++ '"$flags"' -c "$2" -o "$o" || echo "$2" >> "$1/failed"' _ "$out" {}
if [ -e "$out/failed" ]; then echo "failed to compile:"; cat "$out/failed"; exit 1; fi
libs="-L$torch/lib -Wl,-rpath,$torch/lib -ltorch -ltorch_cpu -lc10"
[ -e "$torch/lib/libtorch_cuda.so" ] && libs="$libs -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed"
c++ "$out"/obj/*.o -o "$out/cuda_check" $libs -l:libz.so.1 -lpthread
echo "built $out/cuda_check against $torch"
