#!/usr/bin/env bash
# Installs the build tree's awsdl into a scratch prefix, builds the consumer against it and runs it.
set -euo pipefail
build=$1; src=$(cd "$(dirname "$0")" && pwd)
prefix=$build/consumer-install; out=$build/consumer-build
rm -rf "$prefix" "$out"
cmake --install "$build" --prefix "$prefix" >/dev/null
# The installed package has no test hook: nothing in it names the suite's error log variable.
/usr/bin/python3 "$src/../support/check_no_test_hooks.py" "$prefix"
cmake -S "$src" -B "$out" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$out" >/dev/null
LD_LIBRARY_PATH="$prefix/lib:${LD_LIBRARY_PATH:-}" "$out/consumer"
rm -rf "$prefix" "$out"
