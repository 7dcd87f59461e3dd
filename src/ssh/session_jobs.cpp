// Detached jobs: started in their own session (setsid) with a marker in their environment,
// and stopped by that marker, so that only the job's own processes are ever signalled.
#include <charconv>

#include "awsdl/ssh/quote.hpp"
#include "ssh/session_impl.hpp"

namespace awsdl::ssh {

namespace {

// Prints the pids whose environment holds the marker (zombies have none, so they drop out).
const char* kListJob =
    "awsdl_list() { grep -l -a -x -z -F \"AWSDL_JOB_ID=$id\" /proc/[0-9]*/environ 2>/dev/null"
    " | sed -n 's#^/proc/\\([0-9]*\\)/environ$#\\1#p' | grep -vx \"$$\"; }\n";

std::optional<long> field(const std::string& out, const std::string& key) {
  auto pos = out.find(key + "=");
  if (pos == std::string::npos) return std::nullopt;
  pos += key.size() + 1;
  long v = 0;
  auto [p, ec] = std::from_chars(out.data() + pos, out.data() + out.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

Error job_error(const std::string& what, const ExecResult& r) {
  return Error::make(ErrorKind::kService, "RemoteJobFailed",
                     what + " (exit " + std::to_string(r.exit_status) + "): " + r.err.substr(0, 400));
}

}  // namespace

Result<RemoteJob> Session::start_detached(const std::string& command, const DetachOptions& options) {
  RemoteJob job;
  job.host = target().to_string();
  job.id = internal::random_hex_id();
  job.command = command;
  job.log_path = options.log_path.empty() ? "/tmp/awsdl-job-" + job.id + ".log" : options.log_path;
  std::string script = "set +m\n";
  if (!options.workdir.empty()) script += "cd " + shell_quote(options.workdir) + " || exit 97\n";
  for (const auto& [k, v] : options.env) {
    if (!valid_env_name(k)) return Error::invalid_argument("InvalidEnvName", "'" + k + "' is not a variable name");
    script += "export " + k + "=" + shell_quote(v) + "\n";
  }
  script += "export AWSDL_JOB_ID=" + job.id + "\n";
  // Without job control the background child is not a group leader, so setsid(1) calls
  // setsid() in place: $! is then the session leader and its pid the process group id.
  script += "setsid /bin/sh -c " + shell_quote(command) + " </dev/null >>" + shell_quote(job.log_path) +
            " 2>&1 &\necho \"pgid=$!\"\n";
  AWSDL_ASSIGN_OR_RETURN(ExecResult r, exec("/bin/sh -c " + shell_quote(script)));
  auto pgid = field(r.out, "pgid");
  if (!r.ok() || !pgid || *pgid <= 1) return job_error("could not start the job on " + job.host, r);
  job.pgid = static_cast<int>(*pgid);
  return job;
}

Result<int> Session::job_processes(const RemoteJob& job) {
  std::string script = "id=" + shell_quote(job.id) + "\n" + kListJob + "echo \"count=$(awsdl_list | wc -l)\"\n";
  AWSDL_ASSIGN_OR_RETURN(ExecResult r, exec("/bin/sh -c " + shell_quote(script)));
  auto n = field(r.out, "count");
  if (!r.ok() || !n) return job_error("could not list the job's processes on " + job.host, r);
  return static_cast<int>(*n);
}

Result<StopResult> Session::stop(const RemoteJob& job, Millis grace) {
  if (job.id.size() != 32 || job.id.find_first_not_of("0123456789abcdef") != std::string::npos || job.pgid <= 1)
    return Error::invalid_argument("InvalidJob", "not a job started by start_detached");
  long ticks = std::max<long>(1, static_cast<long>(grace.count() / 100));
  std::string script = "id=" + job.id + "\npg=" + std::to_string(job.pgid) + "\n" + kListJob +
                       "pids=$(awsdl_list)\n"
                       "n=$(printf '%s\\n' $pids | grep -c .)\n"
                       "signal_all() {\n"
                       "  for p in $pids; do\n"
                       // The group as a whole only while its leader is still one of ours.
                       "    if [ \"$p\" = \"$pg\" ]; then kill -$1 -- \"-$pg\" 2>/dev/null; fi\n"
                       "    kill -$1 \"$p\" 2>/dev/null\n"
                       "  done\n"
                       "}\n"
                       "signal_all TERM\n"
                       "i=0\n"
                       "while [ $i -lt " + std::to_string(ticks) + " ]; do\n"
                       "  pids=$(awsdl_list); [ -z \"$pids\" ] && break\n"
                       "  sleep 0.1; i=$((i+1))\n"
                       "done\n"
                       "killed=0\n"
                       "pids=$(awsdl_list)\n"
                       "if [ -n \"$pids\" ]; then killed=1; signal_all KILL; fi\n"
                       "echo \"processes=$n killed=$killed\"\n";
  ExecOptions eo;
  eo.timeout = grace + std::max(impl_->core->options.command_timeout, Millis(30000));
  AWSDL_ASSIGN_OR_RETURN(ExecResult r, exec("/bin/sh -c " + shell_quote(script), eo));
  auto n = field(r.out, "processes");
  auto killed = field(r.out, "killed");
  if (!r.ok() || !n || !killed) return job_error("could not stop the job on " + job.host, r);
  return StopResult{static_cast<int>(*n), *killed != 0};
}

}  // namespace awsdl::ssh
