#pragma once
// What `stage` and `unstage` share: sizes like "16MiB" and a progress
// display (a redrawn bar on a terminal, a plain line every few seconds otherwise).

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <awsdl/core/result.hpp>

#include "cli.hpp"
#include "interrupt.hpp"

namespace awsdl_cluster {

/// "16MiB", "16M", "5242880", "1GiB", "64k": binary multiples, case-insensitive.
inline awsdl::Result<std::uint64_t> parse_size(const std::string& flag, const std::string& text) {
  auto bad = [&] {
    return awsdl::Error::invalid_argument(
        "BadFlag", "--" + flag + " takes a size such as 16MiB, 64M or 8388608, not '" + text + "'");
  };
  std::size_t i = 0;
  std::uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > (UINT64_MAX - 9) / 10) return bad();
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return bad();
  std::string unit;
  for (; i < text.size(); ++i) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  int shift = 0;
  if (unit.empty() || unit == "b") shift = 0;
  else if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  else return bad();
  if (shift && n > (UINT64_MAX >> shift)) return bad();
  return n << shift;
}

/// A failed stage: after an interrupt, what the cleanup did, and the program ends by the
/// signal (exit status 130 or 143); otherwise the error as report() prints it.
inline int report_stage_failure(const awsdl::Error& error, const std::string& destination,
                                const std::string& kept_hint = {}) {
  if (awsdl_cli::interrupt_signal() == 0) return awsdl_cli::report(error);
  std::fprintf(stderr, "interrupted: %s\n", error.message.c_str());
  if (!kept_hint.empty() && error.message.find("left in place for a resume") != std::string::npos)
    std::fprintf(stderr, "%s\n", kept_hint.c_str());
  if (error.message.find("failed too") != std::string::npos)
    std::fprintf(stderr,
                 "hint: a multipart upload of %s may be left: run the same stage again with --resume to finish it, "
                 "or remove it with `aws s3api abort-multipart-upload`\n",
                 destination.c_str());
  awsdl_cli::end_interrupted();
}

inline std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

/// Draws progress on stderr: a bar redrawn at most 10 times a second on a terminal, one
/// plain line every 5 seconds when stderr is a file or a pipe (logs stay readable).
class ProgressDisplay {
 public:
  explicit ProgressDisplay(std::string verb) : verb_(std::move(verb)), tty_(::isatty(STDERR_FILENO) == 1) {}

  void update(std::uint64_t done, std::uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    const auto every = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
    if (last_ && now - *last_ < every && done < total) return;
    if (!last_ && !tty_ && done < total) {  // the first plain line only after a while
      last_ = now;
      return;
    }
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double frac = total ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 0;
    if (tty_) {
      const int width = 30;
      const int filled = static_cast<int>(frac * width);
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.append(static_cast<std::size_t>(width - filled), '-');
      std::fprintf(stderr, "\r%s [%s] %5.1f%% %s / %s  %s/s   ", verb_.c_str(), bar.c_str(), frac * 100,
                   human_bytes(static_cast<double>(done)).c_str(), human_bytes(static_cast<double>(total)).c_str(),
                   human_bytes(rate).c_str());
      drawn_ = true;
    } else {
      std::fprintf(stderr, "%s: %.1f%% (%s of %s, %s/s)\n", verb_.c_str(), frac * 100,
                   human_bytes(static_cast<double>(done)).c_str(), human_bytes(static_cast<double>(total)).c_str(),
                   human_bytes(rate).c_str());
    }
    std::fflush(stderr);
  }

  /// Ends the bar's line so that what follows starts on a fresh one.
  void finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  std::string verb_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> last_;
};

}  // namespace awsdl_cluster
