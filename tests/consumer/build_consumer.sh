#!/usr/bin/env bash
# Builds main.cpp against an installed awsdl twice, as users do: with CMake's find_package(awsdl)
# and with `pkg-config --cflags --libs awsdl` (--static for the static flavour), and runs both.
#   build_consumer.sh PREFIX OUT      PREFIX: where awsdl is installed (any place: the CMake and
#                                     pkg-config files are relocatable); OUT: a scratch directory
set -euo pipefail
prefix=$1; out=$2; src=$(cd "$(dirname "$0")" && pwd)
pc=$(find "$prefix" -path '*/pkgconfig/awsdl.pc' | head -n 1)
[ -n "$pc" ] || { echo "build_consumer: no pkgconfig/awsdl.pc under $prefix" >&2; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
static=""
[ -e "$libdir/libawsdl.a" ] && static=--static
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Only this prefix's awsdl: never one installed on the machine.
export PKG_CONFIG_PATH="$libdir/pkgconfig"

cmake -S "$src" -B "$out/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >/dev/null
cmake --build "$out/cmake" >/dev/null
echo "find_package: $("$out/cmake/consumer")"

pkg-config --exists --print-errors awsdl
[ "$(pkg-config --modversion awsdl)" = "$(sed -n 's/^Version: //p' "$pc")" ]
flags=$(pkg-config $static --cflags --libs awsdl)
mkdir -p "$out/pkg-config"
# shellcheck disable=SC2086  # the flags are words
${CXX:-c++} -std=c++20 -o "$out/pkg-config/consumer" "$src/main.cpp" $flags
echo "pkg-config${static:+ $static}: $("$out/pkg-config/consumer")"
if [ -n "$static" ]; then
  # Linked in: the program does not need libawsdl.so at run time.
  if ldd "$out/pkg-config/consumer" | grep -q libawsdl; then
    echo "build_consumer: the static flavour's consumer needs libawsdl.so" >&2; exit 1
  fi
fi
