#!/usr/bin/env bash
# The supervisor's detection time (a worker's instance terminated -> the first event) and
# recovery time (terminated -> the job running again on the new node set) on the sandbox with
# real sshd nodes and Open MPI, with a 1 s poll interval (issue 16, "Measured"), printed by the
# supervisor integration test:
#   supervisor, poll interval 1000 ms: detection D s, recovery R s, downtime T s
# A sandbox is started for the run (state in a temporary directory) and stopped after, by pid.
#
# usage: bench/supervisor_recovery.sh [BUILD_DIR] [RUNS]   (default build, 3 runs; needs
#        integration_cluster_supervisor_test)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RUNS=${2:-3}
TEST=$BUILD/tests/integration_cluster_supervisor_test
[[ -x $TEST ]] || { echo "build integration_cluster_supervisor_test first: $TEST" >&2; exit 2; }

STATE=$(mktemp -d /tmp/awsdl-supervisor-bench.XXXXXX)
cleanup() {
  /usr/bin/python3 "$ROOT/tests/sandbox/ctl.py" stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT
/usr/bin/python3 "$ROOT/tests/sandbox/ctl.py" start --state "$STATE" >&2

for _ in $(seq "$RUNS"); do
  out=$(AWSDL_SANDBOX_PORT_FILE=$STATE/sandbox.port AWS_EC2_METADATA_DISABLED=true AWSDL_SUPERVISOR_POLL_MS=1000 \
          "$TEST" --gtest_filter='SupervisorSandbox.AWorkerTerminatedMidRunRecoversOnAReplacementAndResumes' 2>&1) || {
    echo "$out" >&2
    exit 1
  }
  grep '^supervisor, poll interval' <<<"$out"
done
