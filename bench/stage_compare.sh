#!/usr/bin/env bash
# Compares `awsdl-cluster stage` / `unstage` with the shell pipelines they replace, against the
# same local sandbox S3 in the same run:
#   stage:   awsdl-cluster stage           vs  tar cf x.tar ... && aws s3 cp x.tar s3://...
#                                          vs  tar cf - ... | aws s3 cp - s3://...
#   unstage: awsdl-cluster unstage         vs  aws s3 cp s3://... x.tar && tar xf x.tar
# and, where python3-awscrt is installed, with its S3 client (aws-c-s3, in C):
#   stage:   tar cf x.tar ... && stage_crt_put.py put x.tar s3://...
#   unstage: stage_crt_put.py get x.tar s3://... && tar xf x.tar
# (awscrt 0.16's S3 client connects to port 80 whatever the endpoint says, so for it the
# sandbox listens on 127.0.0.1:80, which needs root and a free port; otherwise it is skipped,
# and the script says why.)
# Each command runs under /usr/bin/time -v (wall seconds, user+system CPU seconds, peak RSS of
# the largest process). Ratios are printed at the end.
#
# usage: bench/stage_compare.sh [SIZE_MIB] [BUILD_DIR]
#   SIZE_MIB   MiB of 100-220 KB "images" (default 1024); plus an annotations JSON of
#              SIZE/16 MiB and a 170 MB weights file. Generated once under /tmp and reused.
#   BUILD_DIR  where awsdl-cluster was built (default build).
# Environment: STAGE_SANDBOX_CHECKSUMS=0 (the sandbox does not check checksums; see below),
# STAGE_PART_SIZE (default 16MiB), STAGE_CONCURRENCY (default 8), STAGE_TLS=1:
#   the sandbox serves HTTPS with a CA made for the run (ctl.py start --tls) and every client
#   (awsdl-cluster and awscli) trusts it through AWS_CA_BUNDLE; the awscrt comparison is then
#   skipped (its S3 client goes to port 80 over plain HTTP).
set -euo pipefail

SIZE_MIB=${1:-1024}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${2:-$ROOT/build}
CLI=$BUILD/examples/cluster/awsdl-cluster
PART=${STAGE_PART_SIZE:-16MiB}
TLS=${STAGE_TLS:-0}
CONC=${STAGE_CONCURRENCY:-8}
[[ -x $CLI ]] || { echo "build awsdl-cluster first: $CLI" >&2; exit 2; }
command -v aws >/dev/null || { echo "awscli is not installed" >&2; exit 2; }

DATA=/tmp/awsdl-bench-coco-$SIZE_MIB
if [[ ! -f $DATA/.complete ]]; then
  echo "generating a COCO-shaped dataset of $SIZE_MIB MiB in $DATA ..." >&2
  rm -rf "$DATA"
  /usr/bin/python3 - "$DATA" "$SIZE_MIB" <<'PY'
import json, os, random, sys
root, size_mib = sys.argv[1], int(sys.argv[2])
rng = random.Random(2017)
img = os.path.join(root, 'coco', 'train2017')
os.makedirs(img)
total, i = 0, 0
target = size_mib << 20
while total < target:
    n = min(rng.randint(100_000, 220_000), target - total)
    with open(os.path.join(img, '%012d.jpg' % i), 'wb') as f:
        f.write(os.urandom(n))  # JPEG data does not compress; neither does this
    total += n
    i += 1
ann = os.path.join(root, 'coco', 'annotations')
os.makedirs(ann)
with open(os.path.join(ann, 'instances_train2017.json'), 'w') as f:
    f.write('{"images":[')
    written, k, limit = 0, 0, target // 16
    while written < limit:
        s = json.dumps({"id": k, "file_name": "%012d.jpg" % k, "height": rng.randint(200, 640),
                        "width": rng.randint(200, 640), "segmentation": [[rng.random() * 600 for _ in range(16)]]})
        f.write(('' if k == 0 else ',') + s)
        written += len(s) + 1
        k += 1
    f.write(']}')
w = os.path.join(root, 'weights')
os.makedirs(w)
with open(os.path.join(w, 'R50.npz'), 'wb') as f:
    for _ in range(170):
        f.write(os.urandom(1_000_000))
print('%d images' % i)
PY
  touch "$DATA/.complete"
fi
INPUT_BYTES=$(du -sb --exclude=.complete "$DATA" | cut -f1)

WORK=$(mktemp -d /tmp/awsdl-bench-stage-XXXXXX)
STATE=$WORK/sandbox
mkdir -p "$STATE"
PART_BYTES=$(/usr/bin/python3 -c 'import re,sys; m=re.fullmatch(r"(\d+)\s*([kmg]?)(i?b?)", sys.argv[1].lower()); print(int(m.group(1)) << {"":0,"k":10,"m":20,"g":30}[m.group(2)])' "$PART")

CRT=0
if [[ $TLS == 1 ]]; then
  echo "python3-awscrt: STAGE_TLS=1, and its S3 client goes to port 80 over plain HTTP: comparison skipped"
elif ! /usr/bin/python3 -c 'import awscrt.s3' 2>/dev/null; then
  echo "python3-awscrt: not installed (scripts/install-deps installs it where Debian packages it): comparison skipped"
elif [[ $(id -u) != 0 ]]; then
  echo "python3-awscrt: installed, but its S3 client needs the sandbox on port 80, which needs root: comparison skipped"
elif (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null; then
  echo "python3-awscrt: installed, but 127.0.0.1:80 is taken (its S3 client connects to port 80): comparison skipped"
else
  CRT=1
fi

SANDBOX_PID=
cleanup() {
  if [[ -n $SANDBOX_PID ]]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
  else
    /usr/bin/python3 "$ROOT/tests/sandbox/ctl.py" stop --state "$STATE" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  [[ -z ${OUT:-} ]] || rm -rf "$OUT"
}
trap cleanup EXIT
if (( CRT )); then
  /usr/bin/python3 "$ROOT/tests/sandbox/server.py" --port 80 --port-file "$STATE/sandbox.port" --max-lifetime 14400 \
    >"$STATE/sandbox.log" 2>&1 &
  SANDBOX_PID=$!
  for _ in $(seq 100); do [[ -s $STATE/sandbox.port ]] && break; sleep 0.1; done
  [[ -s $STATE/sandbox.port ]] || { echo "the sandbox did not start on port 80" >&2; cat "$STATE/sandbox.log" >&2; exit 1; }
else
  /usr/bin/python3 "$ROOT/tests/sandbox/ctl.py" start --state "$STATE" $([[ $TLS == 1 ]] && echo --tls) >/dev/null
fi
if [[ $TLS == 1 ]]; then
  ENDPOINT=https://127.0.0.1:$(cat "$STATE/sandbox.port")
  export AWS_CA_BUNDLE=$STATE/tls/ca.pem  # awscli and awsdl-cluster both read it
else
  ENDPOINT=http://127.0.0.1:$(cat "$STATE/sandbox.port")
fi

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
BUCKET=bench-stage
aws --endpoint-url "$ENDPOINT" s3 mb "s3://$BUCKET" >/dev/null
# STAGE_SANDBOX_CHECKSUMS=0: the sandbox takes x-amz-checksum-* values as sent. S3 checks
# them on its own machines; here the sandbox's Python CRC64NVME (~4 s of CPU per GiB) runs on
# the cores the measured clients use, and only stage sends CRC64NVME. Say so with a figure.
if [[ ${STAGE_SANDBOX_CHECKSUMS:-1} == 0 ]]; then
  /usr/bin/python3 - "$ENDPOINT" "${AWS_CA_BUNDLE:-}" <<'PY'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2]) if sys.argv[2] else None
req = urllib.request.Request(sys.argv[1] + "/_sandbox/services/s3/config", method="POST",
                             data=json.dumps({"verify_checksums": False}).encode())
urllib.request.urlopen(req, context=ctx, timeout=10).read()
PY
  echo "sandbox: checksums taken as sent (STAGE_SANDBOX_CHECKSUMS=0)"
fi

# Warm-up, so that no command pays for running first: the dataset is read once (every command
# then reads it from the page cache), and memory for six copies of it (the sandbox's three
# objects, x.tar, y.tar, an extracted tree), at most 60 % of what is available, is written and
# freed again. On this VM the first touch of memory the guest has not used before is slow (here
# `dd` of 1.3 GB into a new file: 2.3 s of system time the first time, 0.27 s after `rm`),
# and the sandbox's part files, tar's x.tar and the extracted trees all take new page cache;
# without this, whichever command ran first paid it.
WARM_MIB=$(awk -v b="$INPUT_BYTES" -v f="$(awk '/MemAvailable/ {print $2}' /proc/meminfo)" \
  'BEGIN {w = 6 * b / 1048576; m = f / 1024 * 0.6; printf "%d", (w < m ? w : m)}')
find "$DATA" -type f -exec cat {} + >/dev/null
dd if=/dev/zero of="$WORK/warm" bs=16M count=$(( (WARM_MIB + 15) / 16 )) status=none
rm -f "$WORK/warm"
echo "warm-up: dataset read once, ${WARM_MIB} MiB of memory touched and freed"

declare -A WALL CPU RSS
# measure NAME COMMAND: runs it with bash -c under /usr/bin/time -v.
measure() {
  local name=$1 cmd=$2
  sync
  if ! /usr/bin/time -v -o "$WORK/$name.time" bash -c "$cmd" >"$WORK/$name.out" 2>&1; then
    echo "FAILED: $name" >&2
    cat "$WORK/$name.out" >&2
    exit 1
  fi
  WALL[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$WORK/$name.time")
  CPU[$name]=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$WORK/$name.time")
  RSS[$name]=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$WORK/$name.time")
  printf '%-22s wall %7.2f s   cpu %7.2f s   peak RSS %8s MiB\n' "$name" "${WALL[$name]}" "${CPU[$name]}" "${RSS[$name]}"
}

IN="-C $DATA coco weights"
echo "dataset: $DATA ($(numfmt --to=iec "$INPUT_BYTES")), part size $PART, concurrency $CONC, sandbox $ENDPOINT"
measure stage "$CLI stage --quiet --part-size $PART --concurrency $CONC $DATA/coco $DATA/weights s3://$BUCKET/stage.tar --endpoint-url $ENDPOINT"
measure tar_then_cp "tar cf $WORK/x.tar $IN && aws --endpoint-url $ENDPOINT s3 cp --only-show-errors $WORK/x.tar s3://$BUCKET/cp.tar"
if (( CRT )); then
  measure tar_then_crt "tar cf $WORK/x.tar $IN && /usr/bin/python3 $ROOT/bench/stage_crt_put.py put $WORK/x.tar s3://$BUCKET/crt.tar $ENDPOINT $PART_BYTES"
fi
rm -f "$WORK/x.tar"
measure tar_pipe_cp "tar cf - $IN | aws --endpoint-url $ENDPOINT s3 cp --only-show-errors - s3://$BUCKET/pipe.tar"
# The extracted trees go to OUT (STAGE_EXTRACT_DIR, default a directory in /dev/shm when it has
# room for one tree, else under WORK). This machine's root file system is ext4 without a journal,
# whose inode allocator passes over every inode freed in the last 60 s (360 s while its inode
# table block is dirty): a tree made within minutes of another's deletion spent most of its CPU
# in recently_deleted/find_inode_bit (perf), whichever command made it, and the order of the
# commands decided the ratio. On tmpfs both extractions pay only for their own work.
if [[ -n ${STAGE_EXTRACT_DIR:-} ]]; then
  OUT=$(mktemp -d "$STAGE_EXTRACT_DIR/awsdl-bench-out-XXXXXX")
elif (( $(df -k --output=avail /dev/shm 2>/dev/null | tail -1 || echo 0) * 1024 > INPUT_BYTES * 3 / 2 )); then
  OUT=$(mktemp -d /dev/shm/awsdl-bench-out-XXXXXX)
else
  OUT=$WORK/out
  mkdir -p "$OUT"
fi
echo "extracting into $OUT ($(findmnt -no FSTYPE -T "$OUT" 2>/dev/null || echo ?))"
measure unstage "$CLI unstage --quiet --part-size $PART --concurrency $CONC s3://$BUCKET/stage.tar $OUT/out1 --endpoint-url $ENDPOINT"
rm -rf "$OUT/out1"
measure cp_then_untar "aws --endpoint-url $ENDPOINT s3 cp --only-show-errors s3://$BUCKET/cp.tar $WORK/y.tar && mkdir -p $OUT/out2 && tar xf $WORK/y.tar -C $OUT/out2"
rm -rf "$OUT/out2" "$WORK/y.tar"
if (( CRT )); then
  measure crt_then_untar "/usr/bin/python3 $ROOT/bench/stage_crt_put.py get $WORK/y.tar s3://$BUCKET/crt.tar $ENDPOINT $PART_BYTES && mkdir -p $OUT/out3 && tar xf $WORK/y.tar -C $OUT/out3"
  rm -rf "$OUT/out3" "$WORK/y.tar"
fi

GB=$(awk -v b="$INPUT_BYTES" 'BEGIN {print b / 1e9}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
echo
echo "ratios (target in brackets):"
echo "  stage wall / tar-then-cp wall        $(ratio "${WALL[stage]}" "${WALL[tar_then_cp]}")  [<= 0.6]"
echo "  stage wall / tar | aws s3 cp - wall  $(ratio "${WALL[stage]}" "${WALL[tar_pipe_cp]}")  [<= 0.8]"
echo "  stage CPU s/GB                       $(awk -v c="${CPU[stage]}" -v g="$GB" 'BEGIN {printf "%.2f", c / g}')"
echo "  tar|aws CPU s/GB                     $(awk -v c="${CPU[tar_pipe_cp]}" -v g="$GB" 'BEGIN {printf "%.2f", c / g}')"
echo "  stage CPU / piped awscli CPU         $(ratio "${CPU[stage]}" "${CPU[tar_pipe_cp]}")  [<= $([[ $TLS == 1 ]] && echo 0.25 || echo 0.5)]"
echo "  stage peak RSS                       ${RSS[stage]} MiB  [<= 64 + concurrency x part size]"
echo "  unstage wall / cp-then-untar wall    $(ratio "${WALL[unstage]}" "${WALL[cp_then_untar]}")  [<= 0.6]"
echo "  unstage CPU / cp-then-untar CPU      $(ratio "${CPU[unstage]}" "${CPU[cp_then_untar]}")"
echo "  unstage peak RSS                     ${RSS[unstage]} MiB  [<= 64 + concurrency x part size]"
if (( CRT )); then
  echo "  stage wall / tar-then-awscrt wall    $(ratio "${WALL[stage]}" "${WALL[tar_then_crt]}")"
  echo "  stage CPU / tar-then-awscrt CPU      $(ratio "${CPU[stage]}" "${CPU[tar_then_crt]}")"
  echo "  unstage wall / awscrt-then-untar     $(ratio "${WALL[unstage]}" "${WALL[crt_then_untar]}")"
  echo "  unstage CPU / awscrt-then-untar CPU  $(ratio "${CPU[unstage]}" "${CPU[crt_then_untar]}")"
fi
