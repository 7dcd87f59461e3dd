#!/usr/bin/env bash
# Installs the build tree's awsdl into a scratch prefix, builds the consumer against it (CMake
# and pkg-config: build_consumer.sh) and runs it.
set -euo pipefail
build=$1; src=$(cd "$(dirname "$0")" && pwd)
prefix=$build/consumer-install; out=$build/consumer-build
rm -rf "$prefix" "$out"
cmake --install "$build" --prefix "$prefix" >/dev/null
# The installed package has no test hook: nothing in it names the suite's error log variable.
/usr/bin/python3 "$src/../support/check_no_test_hooks.py" "$prefix"
"$src/build_consumer.sh" "$prefix" "$out"
rm -rf "$prefix" "$out"
