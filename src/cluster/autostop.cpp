// Idle stop (autostop.hpp): durations, the watcher's script and its status file.
#include "awsdl/cluster/autostop.hpp"

#include <cctype>
#include <cstdlib>
#include <limits>

#include "awsdl/ssh/quote.hpp"
#include "cluster/probe_lines.hpp"

namespace awsdl::cluster {

namespace {

using ssh::shell_quote;

constexpr long long kMaxDurationSeconds = 30LL * 24 * 3600;

Error bad_duration(std::string_view text, std::string_view what, const std::string& why) {
  return Error::invalid_argument("BadDuration", std::string(what) + ": '" + std::string(text) + "' " + why +
                                                    "; give a whole number with a unit s, m, h or d, such as 30m or "
                                                    "1h30m (a bare number is seconds)");
}

long long seconds_of(Millis d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }

template <typename T>
bool parse_int(std::string_view v, T& out) {
  if (v.empty() || v.size() > 18) return false;
  long long n = 0;
  bool negative = false;
  std::size_t i = 0;
  if (v[0] == '-') {
    negative = true;
    i = 1;
    if (v.size() == 1) return false;
  }
  for (; i < v.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
    n = n * 10 + (v[i] - '0');
  }
  if (negative) n = -n;
  if (n < static_cast<long long>(std::numeric_limits<T>::min()) || n > static_cast<long long>(std::numeric_limits<T>::max()))
    return false;
  out = static_cast<T>(n);
  return true;
}

}  // namespace

const char* autostop_parameter(AutostopAction action) {
  switch (action) {
    case AutostopAction::kOff: return "off";
    case AutostopAction::kScaleToZero: return "scale";
    case AutostopAction::kDeleteStack: return "delete";
  }
  return "off";
}

Result<Millis> parse_duration(std::string_view text, std::string_view what) {
  if (text.empty()) return bad_duration(text, what, "is empty");
  long long total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    std::size_t start = i;
    long long n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > kMaxDurationSeconds) return bad_duration(text, what, "is longer than 30 days");
      ++i;
    }
    if (i == start) return bad_duration(text, what, "is not a duration");
    long long unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return bad_duration(text, what, "is not a duration");
      }
      ++i;
    } else if (any) {
      return bad_duration(text, what, "is not a duration");  // "1h30": the last number needs its unit
    }
    total += n * unit;
    if (total > kMaxDurationSeconds) return bad_duration(text, what, "is longer than 30 days");
    any = true;
  }
  if (total < 1) return bad_duration(text, what, "is not above zero");
  return Millis(std::chrono::seconds(total));
}

std::string format_duration(Millis d) {
  long long s = seconds_of(d);
  if (s <= 0) return "0s";
  std::string out;
  const std::pair<long long, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (const auto& [size, name] : units)
    if (s >= size) {
      out += std::to_string(s / size) + name;
      s %= size;
    }
  return out;
}

Status validate(const AutostopSettings& s) {
  auto bad = [](const std::string& m) { return Error::invalid_argument("BadAutostop", "autostop: " + m); };
  if (s.cluster.empty()) return bad("no cluster name");
  if (s.status_path.empty()) return bad("no status file path");
  if (s.action == AutostopAction::kOff) return bad("no action (scale the workers to zero or delete the stack)");
  if (s.action == AutostopAction::kScaleToZero && s.worker_group.empty()) return bad("no worker group to scale");
  if (s.action == AutostopAction::kDeleteStack && s.stack.empty()) return bad("no stack to delete");
  if (s.idle < std::chrono::seconds(1)) return bad("the idle period must be at least 1 s");
  if (s.interval < std::chrono::seconds(1)) return bad("the check interval must be at least 1 s");
  if (s.gpu_busy_percent < 1 || s.gpu_busy_percent > 100) return bad("the GPU busy threshold must be 1..100 percent");
  if (s.nvidia_smi.empty() || s.aws.empty()) return bad("no nvidia-smi or aws command");
  return {};
}

Result<std::string> autostop_script(const AutostopSettings& s) {
  AWSDL_TRY(validate(s));
  std::string out = "set -u\n";
  out += "CLUSTER=" + shell_quote(s.cluster) + "\n";
  out += "REGION=" + shell_quote(s.region) + "\n";
  out += "GROUP=" + shell_quote(s.worker_group) + "\n";
  out += "STACK=" + shell_quote(s.stack) + "\n";
  out += std::string("ACTION=") + autostop_parameter(s.action) + "\n";
  out += "IDLE=" + std::to_string(seconds_of(s.idle)) + "\n";
  out += "INTERVAL=" + std::to_string(seconds_of(s.interval)) + "\n";
  out += "BUSY=" + std::to_string(s.gpu_busy_percent) + "\n";
  out += "AWS_CLI=" + shell_quote(s.aws) + "\n";
  out += "STATUS=" + shell_quote(s.status_path) + "\n";
  out += "gpu_lines() {\n" + internal::probe::gpu_query(s.nvidia_smi) + "}\n";
  out += R"SH(OWN=${AWSDL_JOB_ID:-none}
started=$(date +%s)
now=$started
idle_since=$started
idle=0 gpus=0 busy=0 jobs=0
state=watching
message=
write_status() {
  mkdir -p "$(dirname "$STATUS")"
  {
    echo "state=$state"; echo "action=$ACTION"; echo "idle_limit=$IDLE"; echo "interval=$INTERVAL"
    echo "started=$started"; echo "checked=$now"; echo "idle=$idle"; echo "gpus=$gpus"; echo "busy_gpus=$busy"
    echo "jobs=$jobs"; echo "message=$message"
  } >"$STATUS.tmp" && mv -f "$STATUS.tmp" "$STATUS"
}
# The cluster's jobs: distinct AWSDL_JOB_ID markers of processes started with
# AWSDL_CLUSTER=<this cluster>, the watcher's own marker left out.
count_jobs() {
  grep -l -a -z -x -F "AWSDL_CLUSTER=$CLUSTER" /proc/[0-9]*/environ 2>/dev/null |
    xargs -r grep -a -o -z -h '^AWSDL_JOB_ID=[0-9a-f]*' 2>/dev/null | tr '\0' '\n' | sort -u |
    grep -v -x -F "AWSDL_JOB_ID=$OWN" | grep -c . || true
}
act() {
  local out attempt
  # AWS_ENDPOINT_URL given explicitly: AWS CLI versions before 2.13 do not read it.
  local ep=()
  [ -n "${AWS_ENDPOINT_URL:-}" ] && ep=(--endpoint-url "$AWS_ENDPOINT_URL")
  for attempt in 1 2 3 4 5; do
    if [ "$ACTION" = scale ]; then
      if out=$(AWS_PAGER= "$AWS_CLI" ${ep[@]+"${ep[@]}"} autoscaling update-auto-scaling-group --region "$REGION" \
          --auto-scaling-group-name "$GROUP" --min-size 0 --desired-capacity 0 2>&1); then
        state=stopped message="worker group $GROUP scaled to zero"
        return 0
      fi
    else
      if out=$(AWS_PAGER= "$AWS_CLI" ${ep[@]+"${ep[@]}"} cloudformation delete-stack --region "$REGION" --stack-name "$STACK" 2>&1); then
        state=deleted message="deletion of stack $STACK started"
        return 0
      fi
    fi
    sleep "$INTERVAL"
  done
  state=failed message=$(printf '%s' "$out" | tr '\r\n' '  ' | cut -c1-400)
}
while :; do
  now=$(date +%s)
  read -r gpus busy <<EOF
$(gpu_lines | awk -F'[=,]' -v b="$BUSY" '$1 == "gpu" { n++; if ($3 + 0 >= b) k++ } END { print n + 0, k + 0 }')
EOF
  jobs=$(count_jobs)
  if [ "$busy" -gt 0 ] || [ "$jobs" -gt 0 ]; then idle_since=$now; fi
  idle=$((now - idle_since))
  write_status
  if [ "$idle" -ge "$IDLE" ]; then
    act
    now=$(date +%s)
    write_status
    [ "$state" = failed ] && exit 1
    exit 0
  fi
  sleep "$INTERVAL"
done
)SH";
  return out;
}

Result<AutostopStatus> read_autostop_status(std::string_view text) {
  AutostopStatus st;
  bool have_state = false, have_action = false, have_limit = false;
  auto secs = [](std::string_view v, Millis& into) {
    long long n = 0;
    if (parse_int(v, n) && n >= 0) into = std::chrono::seconds(n);
  };
  internal::probe::for_each_field(text, [&](std::string_view key, std::string_view v) {
    if (key == "state") {
      have_state = true;
      if (v == "watching") st.state = AutostopState::kWatching;
      else if (v == "stopped") st.state = AutostopState::kStopped;
      else if (v == "deleted") st.state = AutostopState::kDeleted;
      else if (v == "failed") st.state = AutostopState::kFailed;
      else have_state = false;
    } else if (key == "action") {
      have_action = v == "scale" || v == "delete";
      st.action = v == "delete" ? AutostopAction::kDeleteStack : AutostopAction::kScaleToZero;
    } else if (key == "idle_limit") {
      long long n = 0;
      have_limit = parse_int(v, n) && n > 0;
      if (have_limit) st.idle_limit = std::chrono::seconds(n);
    } else if (key == "interval") {
      secs(v, st.interval);
    } else if (key == "idle") {
      secs(v, st.idle_for);
    } else if (key == "started") {
      parse_int(v, st.started);
    } else if (key == "checked") {
      parse_int(v, st.checked);
    } else if (key == "gpus") {
      parse_int(v, st.gpus);
    } else if (key == "busy_gpus") {
      parse_int(v, st.busy_gpus);
    } else if (key == "jobs") {
      parse_int(v, st.jobs);
    } else if (key == "message") {
      st.message = std::string(v);
    }
  });
  if (!have_state || !have_action || !have_limit)
    return Error::make(ErrorKind::kParse, "BadAutostopStatus",
                       "the autostop watcher's status file is not one it wrote (no state, action or idle limit)");
  return st;
}

}  // namespace awsdl::cluster
