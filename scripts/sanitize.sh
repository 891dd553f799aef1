#!/bin/sh
# Builds the host core, the SDK, the image plugin and the fuzz and hardening tests with
# AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/ (separate from build/), then
# runs them. Any sanitizer report fails the run (halt_on_error). LibTorch and Qt are not
# instrumented; their memory is still checked where our code touches it.
#
# Usage, from the repository root:  scripts/sanitize.sh [FUZZ_SCALE_PERCENT]
#   FUZZ_SCALE_PERCENT scales the fuzz case counts (default 100; ASan makes them ~3x slower).
# CPU-heavy: a first build compiles the SDK (~40 files) and the tests; on a 2-core machine
# expect 20-40 minutes. NOISEGRAPH_JOBS sets the parallel jobs (default 2).
set -eu
build=build-asan
scale=${1:-100}
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined"
fi
tests="test_fuzz_graph test_fuzz_files test_fuzz_plugins test_path_rule test_plugin_registry test_graph_io
       test_image_io test_model_hardening test_safetensors"
# shellcheck disable=SC2086
cmake --build "$build" -j "${NOISEGRAPH_JOBS:-2}" --target $tests

# LibTorch and Qt keep allocations until exit: leak reports would be theirs, not ours.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:detect_odr_violation=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export NG_FUZZ_SCALE="$scale"
regex=$(echo $tests | sed 's/ /|/g')
ctest --test-dir "$build" -R "^($regex)\$" --output-on-failure
