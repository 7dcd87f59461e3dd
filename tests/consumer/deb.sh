#!/usr/bin/env bash
# The Debian packages: a build for /usr in BUILD-deb beside the main build directory (library
# and programs; no tests or benches), `cpack -G DEB`, then each package's control fields
# checked (the library dependencies computed by dpkg-shlibdeps, the packages' on each other),
# and the three unpacked into a scratch root with dpkg -x (the machine's dpkg database and /usr
# are left alone): the consumer builds against that root (CMake and pkg-config), and the
# programs, man pages and completions are where bash, zsh and man look for them.
#   deb.sh BUILD     BUILD: the main build directory (its build type and compiler)
set -euo pipefail
build=$(cd "$1" && pwd); src=$(cd "$(dirname "$0")" && pwd)
deb=$build-deb
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
cmake -S "$src/../.." -B "$deb" -G Ninja -DCMAKE_BUILD_TYPE="${type:-RelWithDebInfo}" -DCMAKE_INSTALL_PREFIX=/usr \
  -DAWSDL_BUILD_TESTS=OFF -DAWSDL_BUILD_EXAMPLES=ON -DAWSDL_BUILD_BENCH=OFF -DAWSDL_SANITIZE=OFF >/dev/null
cmake --build "$deb" -j "${AWSDL_CONSUMER_JOBS:-2}" >/dev/null
rm -rf "$deb/packages"
(cd "$deb" && cpack -G DEB -B "$deb/packages" >/dev/null)

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$deb/CMakeCache.txt")
arch=$(dpkg --print-architecture)
fail() { echo "deb: $*" >&2; exit 1; }
field() { dpkg-deb --field "$deb/packages/$1_${version}_$arch.deb" "$2"; }
for p in libawsdl libawsdl-dev awsdl-tools; do
  [ -f "$deb/packages/${p}_${version}_$arch.deb" ] || fail "no package $p (found: $(ls "$deb/packages"))"
  echo "$p: Depends: $(field $p Depends)"
done
# Computed by dpkg-shlibdeps from what libawsdl.so links, not listed by hand.
for dep in libcurl4 libssl3 libssh-4 libarchive13 libisal2 libcrcutil0 zlib1g libc6; do
  field libawsdl Depends | grep -Eq "(^|, )$dep( |,|$)" || fail "libawsdl does not depend on $dep"
done
for p in libawsdl-dev awsdl-tools; do
  field $p Depends | grep -Fq "libawsdl (= $version)" || fail "$p does not depend on libawsdl (= $version)"
done
# The dashboards: cpp-httplib found by dpkg-shlibdeps, Chart.js (a file they serve) listed by hand.
for dep in libcpp-httplib0.11 libjs-chart.js; do
  field awsdl-tools Depends | grep -Eq "(^|, )$dep( |,|$)" || fail "awsdl-tools does not depend on $dep"
done

root=$(mktemp -d "${TMPDIR:-/tmp}/awsdl-deb-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
for p in libawsdl libawsdl-dev awsdl-tools; do dpkg -x "$deb/packages/${p}_${version}_$arch.deb" "$root"; done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=$root/usr/lib/$multiarch
for f in "$libdir/libawsdl.so.0" "$libdir/libawsdl.so" "$libdir/pkgconfig/awsdl.pc" \
         "$libdir/cmake/awsdl/awsdl-config.cmake" "$root/usr/include/awsdl/awsdl.hpp" \
         "$root/usr/include/awsdl/version.hpp" "$root/usr/libexec/awsdl/awsdl-unpack"; do
  [ -e "$f" ] || fail "${f#"$root"} is not in the packages"
done
for program in awsdl-cluster awsdl-sagemaker awsdl-vm awsdl-whoami; do
  for f in "usr/bin/$program" "usr/share/man/man1/$program.1" "usr/share/bash-completion/completions/$program" \
           "usr/share/zsh/vendor-completions/_$program"; do
    [ -e "$root/$f" ] || fail "/$f is not in awsdl-tools"
  done
  LD_LIBRARY_PATH=$libdir "$root/usr/bin/$program" --version | grep -q "^$program $version$" ||
    fail "$program --version does not start with '$program $version'"
done
"$src/build_consumer.sh" "$root/usr" "$root/consumer"
echo "deb: the packages install into a scratch root and the consumer builds against them"
