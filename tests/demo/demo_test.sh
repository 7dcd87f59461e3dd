#!/usr/bin/env bash
# The README's main command, in the test suite: scripts/demo on the programs this build made
# (AWSDL_DEMO_BUILD_DIR), run twice in a row (the second with --chaos: a worker terminated
# during a supervised run, which recovers and resumes), then interrupted with Ctrl-C (SIGINT to its
# process group) while `create` waits. Each time, nothing may be left behind: the demo's
# state directory is gone, and so are the sandbox and the SSH node processes it started.
#   usage: tests/demo/demo_test.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export AWSDL_DEMO_BUILD_DIR=${1:?usage: demo_test.sh BUILD_DIR}
work=$(mktemp -d /tmp/awsdl-demo-test.XXXXXX)
# The programs' errors reach the suite's error log (AWSDL_ERROR_LOG, set by ctest) only through
# the test-built hook preloaded into them (tests/support/error_log_preload.cpp): the shipped
# library reads no such variable. In the other processes the demo starts it does nothing.
if [ -n "${AWSDL_ERROR_LOG:-}" ] && [ -n "${AWSDL_ERROR_LOG_PRELOAD:-}" ]; then
  export LD_PRELOAD="${AWSDL_ERROR_LOG_PRELOAD}${LD_PRELOAD:+:$LD_PRELOAD}"
fi
demo_pid=""
cleanup() {
  # Only if this test is itself interrupted: end the demo's process group (we started it).
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then kill -INT -- "-$demo_pid" 2>/dev/null; sleep 5; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Everything the demo started must be gone: its state directory and the sandbox pid.
check_left_nothing() {  # check_left_nothing OUTPUT_FILE
  local state sandbox_pid
  state=$(sed -n 's/^state directory: \([^ ]*\) .*/\1/p' "$1" | head -1)
  sandbox_pid=$(sed -n 's/^sandbox pid \([0-9]*\) on .*/\1/p' "$1" | head -1)
  [ -n "$state" ] && [ -n "$sandbox_pid" ] || fail "the demo did not say where its state and sandbox were"
  [ ! -e "$state" ] || fail "the demo left $state behind"
  if kill -0 "$sandbox_pid" 2>/dev/null && grep -q sandbox "/proc/$sandbox_pid/cmdline" 2>/dev/null; then
    fail "the demo left its sandbox (pid $sandbox_pid) running"
  fi
  if pgrep -f -- "$state" >/dev/null; then fail "processes under $state are still running"; fi
}

for run in 1 2; do
  start=$(date +%s)
  args=()
  [ "$run" = 2 ] && args=(--chaos)
  "$root/scripts/demo" "${args[@]}" >"$work/run$run.out" 2>&1
  rc=$?
  cat "$work/run$run.out"
  [ "$rc" = 0 ] || fail "demo run $run exited $rc"
  grep -q '^demo finished' "$work/run$run.out" || fail "demo run $run did not finish"
  grep -q 'allreduce sum 3' "$work/run$run.out" || fail "demo run $run: the MPI program did not run on 3 ranks"
  grep -q 'unstaged tree is identical' "$work/run$run.out" || fail "demo run $run: unstage differed"
  if [ "$run" = 2 ]; then
    grep -q '^outcome: succeeded, exit status 0, 1 restart$' "$work/run2.out" || fail "demo --chaos: no recovery"
    grep -q '^incident: .* instance terminated, downtime ' "$work/run2.out" || fail "demo --chaos: no incident"
    grep -q '^training on 3 ranks from step [1-9]' "$work/run2.out" || fail "demo --chaos: not resumed"
    grep -q '^training done at step 60$' "$work/run2.out" || fail "demo --chaos: the training did not finish"
  fi
  check_left_nothing "$work/run$run.out"
  echo "== demo run $run${args[*]:+ ${args[*]}}: ok in $(( $(date +%s) - start )) s"
done

# Ctrl-C while create waits: the whole process group gets SIGINT, as from a terminal.
setsid "$root/scripts/demo" >"$work/int.out" 2>&1 &
demo_pid=$!
for _ in $(seq 1 600); do
  grep -q 'CREATE_IN_PROGRESS' "$work/int.out" && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q 'CREATE_IN_PROGRESS' "$work/int.out" || { cat "$work/int.out"; fail "create never started"; }
kill -INT -- "-$demo_pid"
rc=0
for _ in $(seq 1 1200); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$demo_pid" 2>/dev/null && fail "the interrupted demo did not end within 120 s"
wait "$demo_pid"; rc=$?
demo_pid=""
cat "$work/int.out"
[ "$rc" != 0 ] || fail "the interrupted demo exited 0"
grep -q 'demo finished' "$work/int.out" && fail "the interrupted demo claims it finished"
check_left_nothing "$work/int.out"
echo "== interrupted demo: exit $rc, nothing left behind"
