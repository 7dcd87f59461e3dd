#!/usr/bin/env bash
# Pushes a generated docker-save image (LAYERS layers, MIB MiB in total, text-like content)
# to a local docker-registry with libawsdl and with `skopeo copy docker-archive:`, in the same
# run against the same registry, then re-pushes the unchanged image. Prints wall times, peak
# RSS, the compressed size each pushed, and the ratios the issues set targets for (push <= 0.6x
# skopeo, re-push <= 0.1x push).
#   bench/registry_push_compare.sh [BUILD_DIR] [MIB=1024] [LAYERS=5]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
mib=${2:-1024}
layers=${3:-5}
tool=$build/bench/registry_push_bench
[ -x "$tool" ] || { echo "build $tool first (ninja -C $build registry_push_bench)"; exit 1; }

work=$(mktemp -d /tmp/awsdl-push-bench-XXXXXX)
reg_pid=""
cleanup() {
  if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null || true; wait "$reg_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

user=bench pass=bench-password
htpasswd -Bbn "$user" "$pass" > "$work/htpasswd"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
  secret: bench
auth:
  htpasswd:
    realm: bench
    path: $work/htpasswd
YML
/usr/bin/docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
  [ "$code" = 401 ] && break
  sleep 0.1
done

echo "generating a ${mib} MiB image in $layers layers..."
"$tool" generate "$work/image.tar" "$layers" "$mib"
ls -l "$work/image.tar" | awk '{printf "image.tar: %.1f MiB\n", $5/1048576}'

timed() {  # label, command...: prints wall seconds and peak RSS, returns the seconds in $secs
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2>&1 < "$work/pw" || { cat "$work/out"; exit 1; }
  read -r secs rss < "$work/time"
  printf "%-28s %8.2f s   peak RSS %6d MiB\n" "$label" "$secs" $((rss / 1024))
}
echo "$pass" > "$work/pw"

timed "awsdl push" "$tool" push "$work/image.tar" "127.0.0.1:$port" bench/awsdl v1 "$user"
awsdl_first=$secs
timed "skopeo copy" skopeo --insecure-policy copy --quiet --dest-tls-verify=false --dest-creds "$user:$pass" \
  "docker-archive:$work/image.tar" "docker://127.0.0.1:$port/bench/skopeo:v1"
skopeo_first=$secs
timed "awsdl re-push (unchanged)" "$tool" push "$work/image.tar" "127.0.0.1:$port" bench/awsdl v1 "$user"
awsdl_again=$secs
timed "skopeo re-push (unchanged)" skopeo --insecure-policy copy --quiet --dest-tls-verify=false --dest-creds "$user:$pass" \
  "docker-archive:$work/image.tar" "docker://127.0.0.1:$port/bench/skopeo:v1"

# What each pushed: the layers' compressed sizes from the two manifests, against the image's.
layer_bytes() {
  curl -s -u "$user:$pass" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$port/v2/bench/$1/manifests/v1" |
    /usr/bin/python3 -c 'import json, sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))'
}
image_bytes=$(stat -c %s "$work/image.tar")
for repo in awsdl skopeo; do
  b=$(layer_bytes $repo)
  printf "%-28s %8.1f MiB of layers   compressed/image %.3f\n" "$repo pushed" "$(echo "$b / 1048576" | bc -l)" \
    "$(echo "$b / $image_bytes" | bc -l)"
done

echo "ratio awsdl/skopeo push:       $(echo "scale=3; $awsdl_first / $skopeo_first" | bc)  (target <= 0.6)"
echo "ratio awsdl re-push/push:      $(echo "scale=3; $awsdl_again / $awsdl_first" | bc)  (target <= 0.1)"
