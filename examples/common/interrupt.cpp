#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace awsdl_cli {
namespace {

// The notes live in fixed buffers: a signal handler may read them, never allocate. Each is
// written under `writing` (a handler that sees it set prints nothing rather than half a note).
struct Note {
  char text[2048] = {};
  std::atomic<std::size_t> length{0};
  std::atomic<bool> writing{false};

  void set(const std::string& s) {
    writing.store(true);
    const std::size_t n = std::min(s.size(), sizeof text - 1);
    std::memcpy(text, s.data(), n);
    length.store(n);
    writing.store(false);
  }
  void print() const {
    if (writing.load()) return;
    const std::size_t n = length.load();
    if (n == 0) return;
    (void)!::write(STDERR_FILENO, text, n);
    (void)!::write(STDERR_FILENO, "\n", 1);
  }
};

Note g_first, g_second;
awsdl::CancellationSource* g_source = nullptr;
std::atomic<int> g_signal{0};
std::atomic<int> g_count{0};

extern "C" void on_interrupt(int sig) {
  const int saved_errno = errno;
  if (g_count.fetch_add(1) == 0) {
    g_signal.store(sig);
    if (g_source) g_source->cancel();
    (void)!::write(STDERR_FILENO, "\n", 1);
    g_first.print();
    errno = saved_errno;
    return;
  }
  g_second.print();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
  errno = saved_errno;
}

}  // namespace

awsdl::CancellationToken install_interrupt_handler() {
  static awsdl::CancellationSource source;  // made before any signal can arrive
  if (!g_source) {
    g_source = &source;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
  }
  return source.token();
}

void set_interrupt_notes(const std::string& on_first, const std::string& on_second) {
  g_first.set(on_first);
  g_second.set(on_second);
}

int interrupt_signal() { return g_signal.load(); }

void end_interrupted() {
  std::fflush(nullptr);
  const int sig = g_signal.load() ? g_signal.load() : SIGINT;
  ::signal(sig, SIG_DFL);
  ::raise(sig);
  std::_Exit(128 + sig);  // not reached: the default action of SIGINT and SIGTERM ends the program
}

}  // namespace awsdl_cli
