#!/usr/bin/env bash
# The number of API calls one cluster create makes against the sandbox (issue 4, "Performance"),
# read from the sandbox's request log by the lifecycle integration test, which prints it:
#   API calls for one sandbox cluster create (2 workers, poll 100 ms): N: service:Operation=n ...
# A sandbox is started for the run (state in a temporary directory) and stopped after, by pid.
#
# usage: bench/cluster_calls.sh [BUILD_DIR]   (default build; needs integration_cluster_lifecycle_test)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
TEST=$BUILD/tests/integration_cluster_lifecycle_test
[[ -x $TEST ]] || { echo "build integration_cluster_lifecycle_test first: $TEST" >&2; exit 2; }

STATE=$(mktemp -d /tmp/awsdl-cluster-calls.XXXXXX)
cleanup() {
  /usr/bin/python3 "$ROOT/tests/sandbox/ctl.py" stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT
/usr/bin/python3 "$ROOT/tests/sandbox/ctl.py" start --state "$STATE" >&2

out=$(AWSDL_SANDBOX_PORT_FILE=$STATE/sandbox.port "$TEST" \
        --gtest_filter='ClusterLifecycleSandbox.CreateDescribeListResizeDeleteLeavesNothingButTheFileSystem' 2>&1) || {
  echo "$out" >&2
  exit 1
}
grep '^API calls for one sandbox cluster create' <<<"$out"
