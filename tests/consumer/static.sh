#!/usr/bin/env bash
# The static flavour (BUILD_SHARED_LIBS=OFF): the library alone (no tests, examples or benches:
# CI's time) is built in BUILD-static beside the main build directory, installed and consumed
# as run.sh does, with pkg-config --static.
#   static.sh BUILD     BUILD: the main build directory (its build type and compiler)
set -euo pipefail
build=$(cd "$1" && pwd); src=$(cd "$(dirname "$0")" && pwd)
static=$build-static
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
cmake -S "$src/../.." -B "$static" -G Ninja -DCMAKE_BUILD_TYPE="${type:-RelWithDebInfo}" -DBUILD_SHARED_LIBS=OFF \
  -DAWSDL_BUILD_TESTS=OFF -DAWSDL_BUILD_EXAMPLES=OFF -DAWSDL_BUILD_BENCH=OFF -DAWSDL_SANITIZE=OFF >/dev/null
cmake --build "$static" -j "${AWSDL_CONSUMER_JOBS:-2}" --target awsdl >/dev/null
"$src/run.sh" "$static"
