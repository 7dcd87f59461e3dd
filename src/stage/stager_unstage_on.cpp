// Stager::unstage_on: the checks of unstage here, the download and extraction on another host
// by awsdl-unpack (tools/unpack/main.cpp, which describes the protocol of its output), the
// final check against the manifest here again.
#include <charconv>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>

#include "awsdl/ssh/quote.hpp"
#include "awsdl/ssh/session.hpp"
#include "awsdl/stage/stager.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "stage/stager_internal.hpp"

namespace awsdl::stage {
namespace {

struct Helper {
  std::string content;
  std::string sha256;
  std::string name;  // awsdl-unpack-<16 hex digits of its SHA-256>
};

Result<Helper> load_helper(const std::string& configured) {
  std::vector<std::string> candidates;
  if (!configured.empty()) {
    candidates.push_back(configured);
  } else {
    // The build tree's first: it is the one built with this very library.
    candidates.push_back(AWSDL_UNPACK_BUILT);
    candidates.push_back(AWSDL_UNPACK_INSTALLED);
  }
  for (const auto& path : candidates) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    Helper h;
    h.content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (h.content.size() < 4 || h.content.compare(0, 4, "\x7f" "ELF") != 0)
      return Error::make(ErrorKind::kInvalidArgument, "UnpackHelperNotFound", path + " is not an executable program");
    h.sha256 = internal::sha256_hex(h.content);
    h.name = "awsdl-unpack-" + h.sha256.substr(0, 16);
    return h;
  }
  return Error::make(ErrorKind::kNotFound, "UnpackHelperNotFound",
                     "awsdl-unpack was not found (looked at " + candidates.front() +
                         (candidates.size() > 1 ? " and " + candidates.back() : std::string()) +
                         "); build or install it with the library, or name it in UnstageOptions::unpack_helper");
}

std::string summary(const ssh::ExecResult& r) {
  std::string text = r.err.empty() ? r.out : r.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 400) text = text.substr(0, 400) + "...";
  return text.empty() ? "exit status " + std::to_string(r.exit_status) : text;
}

// The remote shell's words for the helper's directory and path (expanded there).
constexpr const char* kRemoteDir = "\"${XDG_CACHE_HOME:-$HOME/.cache}/awsdl\"";
std::string remote_helper_path(const Helper& h) { return std::string(kRemoteDir) + "/" + h.name; }

// Copies the helper unless the host has it already. Returns nothing on success.
Status install_helper(ssh::Session& host, const Helper& h, ssh::ExecOptions exec) {
  const std::string where = host.target().host;
  exec.capture = true;
  // A copy already there is used only if it is whole and unchanged (its SHA-256 is checked).
  auto probe = host.exec("uname -m; test -x " + remote_helper_path(h) + " && sha256sum " + remote_helper_path(h) +
                             " 2>/dev/null; true",
                         exec);
  if (!probe) return probe.error();
  std::istringstream lines(probe->out);
  std::string arch, present;
  std::getline(lines, arch);
  std::getline(lines, present);
  present = present.substr(0, present.find(' '));
  if (!probe->ok() || arch.empty()) return Error::make(ErrorKind::kIo, "UnpackFailed", where + ": " + summary(*probe));
  if (arch != AWSDL_UNPACK_ARCH)
    return Error::invalid_argument("ArchitectureMismatch", where + " is " + arch + " but this awsdl-unpack is built for " +
                                                               AWSDL_UNPACK_ARCH + ": unstage there with a build of that architecture");
  if (present == h.sha256) return {};
  // Written under a temporary name and renamed only once complete, so that a dropped
  // connection never leaves a truncated program under the real name.
  exec.stdin_data = h.content;
  const std::string script = "set -e; d=" + std::string(kRemoteDir) + "; mkdir -p \"$d\"; t=\"$d/." + h.name +
                             ".$$\"; cat > \"$t\"; if [ \"$(wc -c < \"$t\")\" -ne " +
                             std::to_string(h.content.size()) +
                             " ]; then rm -f \"$t\"; echo 'the copy arrived truncated' >&2; exit 1; fi; chmod 755 \"$t\"; "
                             "mv -f \"$t\" \"$d/" + h.name + "\"";
  auto copied = host.exec(script, exec);
  if (!copied) return copied.error();
  if (!copied->ok())
    return Error::make(ErrorKind::kIo, "UnpackFailed", "cannot copy awsdl-unpack to " + where + ": " + summary(*copied));
  return {};
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "done entries=N files=N file_bytes=N archive_bytes=N crc64nvme=HEX sha256=[HEX] compression=NAME"
// (the SHA-256 only when the manifest has one, or there is no manifest)
Result<std::pair<internal::ArchiveStats, internal::Compression>> parse_done(std::string_view line) {
  std::map<std::string, std::string, std::less<>> kv;
  std::istringstream words{std::string(line)};
  std::string word;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
  }
  internal::ArchiveStats stats;
  auto num = [&](const char* key, std::uint64_t& out) {
    auto it = kv.find(key);
    auto v = it == kv.end() ? std::nullopt : to_u64(it->second);
    if (v) out = *v;
    return v.has_value();
  };
  auto compression = internal::parse_compression(kv["compression"]);
  stats.archive_sha256 = kv["sha256"];
  stats.archive_crc64nvme = kv["crc64nvme"];
  if (!num("entries", stats.entries) || !num("files", stats.files) || !num("file_bytes", stats.file_bytes) ||
      !num("archive_bytes", stats.archive_bytes) || (stats.archive_sha256.size() != 64 && !stats.archive_sha256.empty()) ||
      !internal::parse_crc64nvme_hex(stats.archive_crc64nvme) || !compression)
    return Error::make(ErrorKind::kParse, "UnpackFailed", "awsdl-unpack reported something unreadable");
  return std::make_pair(stats, *compression);
}

// "error KIND CODE MESSAGE"
Error parse_error(std::string_view line) {
  std::istringstream in{std::string(line.substr(6))};
  int kind = -1;
  std::string code, message;
  in >> kind >> code;
  std::getline(in, message);
  if (!message.empty() && message.front() == ' ') message.erase(0, 1);
  if (kind < static_cast<int>(ErrorKind::kService) || kind > static_cast<int>(ErrorKind::kInternal) || code.empty())
    return Error::make(ErrorKind::kIo, "UnpackFailed", std::string(line));
  return Error::make(static_cast<ErrorKind>(kind), code, message);
}

// Runs `awsdl-unpack --clean` on the host; says what happened, for an error message.
std::string clean_up(ssh::Session& host, const Helper& helper, const std::string& directory) {
  ssh::ExecOptions exec;  // not the cancelled token: this must run
  exec.capture = true;
  exec.timeout = Millis(30000);
  auto cleaned = host.exec(remote_helper_path(helper) + " --clean " + ssh::shell_quote(directory), exec);
  if (cleaned && cleaned->ok() && cleaned->out.rfind("cleaned ", 0) == 0)
    return " (what was extracted on the host was removed; " + directory + " is as it was)";
  return " (the host keeps what was extracted in a staging directory .awsdl-unstage-* in " + directory +
         ", which the next unstage there removes: " + (cleaned ? summary(*cleaned) : cleaned.error().message) + ")";
}

}  // namespace

Result<UnstageResult> Stager::unstage_on(ssh::Session& host, std::string_view s3_uri, const std::string& directory,
                                         const UnstageOptions& options) const {
  Clock& clock = internal::stager_clock(client_);
  const SteadyTime started = clock.steady_now();
  AWSDL_ASSIGN_OR_RETURN(internal::UnstagePlan plan, internal::prepare_unstage(client_, s3_uri, directory, options));
  const std::string where = plan.uri.to_string();
  const std::string onto = host.target().host + ":" + directory;
  AWSDL_ASSIGN_OR_RETURN(Helper helper, load_helper(options.unpack_helper));

  ssh::ExecOptions exec;
  exec.cancel = options.call.cancel;
  if (options.call.deadline.at) {
    // The deadline is on the runtime's clock (Deadline::after(d, clock)), never compare it
    // with another.
    const Millis left = options.call.deadline.remaining(clock, Millis(0));
    if (left <= Millis(0)) return Error::make(ErrorKind::kTimeout, "DeadlineExceeded", "unstaging " + where + ": the deadline has passed");
    exec.timeout = left;
  }
  if (auto installed = install_helper(host, helper, exec); !installed)
    return internal::with_context(std::move(installed).error(), "unstaging " + where + " onto " + onto);

  auto url = client_.presign_get(plan.uri.bucket, plan.uri.key, kUnstageUrlLifetime);
  if (!url) return internal::with_context(std::move(url).error(), "unstaging " + where);

  std::vector<std::string> argv = {"--size", std::to_string(plan.object_size), "--part-size",
                                   std::to_string(options.part_size), "--concurrency",
                                   std::to_string(options.concurrency)};
  if (!plan.etag.empty()) argv.insert(argv.end(), {"--if-match", plan.etag});
  // The host checks it too, before anything moves into the directory, and bounds by it.
  if (plan.manifest) argv.insert(argv.end(), {"--manifest", internal::serialize_manifest(*plan.manifest)});
  argv.insert(argv.end(), {"--", directory});
  // A dataset takes as long as it takes: the session's command timeout (meant for short
  // commands) does not limit the download; options.call.deadline does.
  if (!options.call.deadline.at) exec.timeout = Millis(0);
  exec.stdin_data = *url + "\n";
  exec.capture = true;
  exec.max_capture = 64 * 1024;  // stderr: a usage message at most; stdout is read below

  std::string partial;
  std::optional<std::pair<internal::ArchiveStats, internal::Compression>> done;
  std::optional<Error> failed;
  UnstageProgress progress{0, plan.object_size};
  exec.on_output = [&](ssh::Stream stream, std::string_view chunk) {
    if (stream != ssh::Stream::kStdout) return;
    partial.append(chunk);
    std::size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      const std::string line = partial.substr(0, nl);
      partial.erase(0, nl + 1);
      if (line.rfind("progress ", 0) == 0) {
        if (auto n = to_u64(std::string_view(line).substr(9)); n && options.on_progress) {
          progress.bytes_done = *n;
          options.on_progress(progress);
        }
      } else if (line.rfind("done ", 0) == 0) {
        auto parsed = parse_done(line);
        if (parsed) done = *parsed;
        else failed = parsed.error();
      } else if (line.rfind("error ", 0) == 0) {
        failed = parse_error(line);
      }
    }
  };
  auto ran = host.exec(remote_helper_path(helper) + " " + ssh::shell_join(argv), exec);
  if (!ran) {
    // The program was killed (cancellation, the deadline) or the channel failed: what it had
    // extracted is still in its staging directory, which only a later run would remove.
    Error e = internal::with_context(std::move(ran).error(), "unstaging " + where + " onto " + onto);
    e.message += clean_up(host, helper, directory);
    return e;
  }
  if (failed) return internal::with_context(*failed, "unstaging " + where + " onto " + onto);
  if (!ran->ok() || !done)
    return Error::make(ErrorKind::kIo, "UnpackFailed",
                       "unstaging " + where + " onto " + onto + ": awsdl-unpack failed: " + summary(*ran));

  const auto& [stats, compression] = *done;
  if (plan.manifest) {
    if (auto verified = internal::verify_manifest(*plan.manifest, stats, compression); !verified)
      return internal::with_context(std::move(verified).error(), "unstaging " + where + " onto " + onto);
  }
  return internal::unstage_result(stats, compression, plan.manifest.has_value(), clock, started);
}

}  // namespace awsdl::stage
