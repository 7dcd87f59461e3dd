// What the example programs say about themselves, checked against what they say in --help:
// --version names the libraries they run with; the man pages made at build time render with
// man(1) and hold every command, flag and example; the bash and zsh completions offer the
// commands, each command's flags, and awsdl-cluster's cluster names for --name.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "awsdl/version.hpp"
#include "support/run_process.hpp"
#include "support/tar_test_support.hpp"

namespace {

namespace fs = std::filesystem;
using awsdl::testsupport::ProcessResult;
using awsdl::testsupport::run_process;

const std::string kBin = AWSDL_BINARY_DIR;
const std::vector<std::string> kPrograms = {"awsdl-cluster", "awsdl-sagemaker", "awsdl-vm", "awsdl-whoami"};
const std::vector<std::string> kWithCommands = {"awsdl-cluster", "awsdl-sagemaker", "awsdl-vm"};

std::string binary(const std::string& program) {
  return kBin + "/examples/" + program.substr(std::string("awsdl-").size()) + "/" + program;
}

std::map<std::string, std::string> env(const std::string& home = "/nonexistent") {
  return {{"PATH", "/usr/bin:/bin"}, {"HOME", home}, {"LC_ALL", "C.UTF-8"}};
}

ProcessResult run(const std::string& program, const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& e = env()) {
  return run_process(program, args, e, std::chrono::seconds(60));
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The lines of a --help section ("Commands:", "Flags:", "Examples:") up to the next blank line.
std::vector<std::string> section(const std::string& help, const std::string& heading) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& l : lines(help)) {
    if (l == heading) in = true;
    else if (in && l.empty()) break;
    else if (in) out.push_back(l);
  }
  return out;
}

std::vector<std::string> commands_of(const std::string& program) {
  auto help = run(binary(program), {"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  std::vector<std::string> out;
  for (const auto& l : section(help.out, "Commands:")) out.push_back(l.substr(2, l.find(' ', 2) - 2));
  return out;
}

// The flags and examples a command's --help shows (the program's own with an empty command).
struct Help {
  std::vector<std::string> flags;  // "--name"
  std::vector<std::string> examples;
};
Help help_of(const std::string& program, const std::string& command) {
  auto r = command.empty() ? run(binary(program), {"--help"}) : run(binary(program), {command, "--help"});
  EXPECT_EQ(r.exit_code, 0) << program << " " << command << ": " << r.err;
  Help h;
  static const std::regex flag(R"(^  (?:-h, )?(--[a-z0-9-]+))");
  for (const auto& l : section(r.out, "Flags:")) {
    std::smatch m;
    if (std::regex_search(l, m, flag)) h.flags.push_back(m[1]);
  }
  for (const auto& l : section(r.out, "Examples:")) h.examples.push_back(l.substr(2));
  return h;
}

std::string squeeze(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == ' ' && !o.empty() && o.back() == ' ') continue;
    o += c;
  }
  return o;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string function_for(const std::string& program) {
  std::string f = "_" + program;
  std::replace(f.begin(), f.end(), '-', '_');
  return f;
}

// What bash offers for `words` (the last one being completed), with the generated script.
std::set<std::string> bash_offers(const std::string& program, const std::vector<std::string>& words,
                                  const std::string& home = "/nonexistent") {
  std::vector<std::string> args = {
      "-c",
      "source \"$1\" || exit 3; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); " +
          function_for(program) + "; printf '%s\\n' \"${COMPREPLY[@]}\"",
      "bash", kBin + "/docs/bash/" + program};
  args.insert(args.end(), words.begin(), words.end());
  auto r = run("/bin/bash", args, env(home));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::set<std::string> out;
  for (const auto& l : lines(r.out))
    if (!l.empty()) out.insert(l);
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string o;
  for (const auto& w : s) o += w + " ";
  return o;
}

TEST(ProgramVersionTest, NamesItsVersionCommitAndTheLibrariesItRunsWith) {
  const awsdl::VersionInfo v = awsdl::version();
  std::string commit = v.commit;
  if (fs::exists(fs::path(AWSDL_SOURCE_DIR) / ".git")) {
    // Built from this checkout: its HEAD (the build reads it again at every build).
    auto head = run("/usr/bin/git", {"-C", AWSDL_SOURCE_DIR, "rev-parse", "HEAD"});
    ASSERT_EQ(head.exit_code, 0) << head.err;
    EXPECT_EQ(commit.substr(0, 40) + "\n", head.out) << "rebuild: the commit is taken at build time";
    EXPECT_TRUE(commit.size() == 40 || commit == commit.substr(0, 40) + "-dirty") << commit;
  }
  for (const auto& program : kPrograms) {
    auto r = run(binary(program), {"--version"});
    ASSERT_EQ(r.exit_code, 0) << program << ": " << r.err;
    EXPECT_EQ(r.out, program + " " + v.version + "\nlibawsdl " + v.version + " (commit " + v.commit + ")\nlibcurl " +
                         v.curl + "\nOpenSSL " + v.openssl + "\nlibssh " + v.libssh + "\n");
  }  // awsdl-unpack, the static helper the library copies to nodes: what is linked into it.
  auto unpack = run(kBin + "/tools/unpack/awsdl-unpack", {"--version"});
  ASSERT_EQ(unpack.exit_code, 0) << unpack.err;
  EXPECT_TRUE(std::regex_match(unpack.out, std::regex("awsdl-unpack " + v.version + " \\(commit " + v.commit +
                                                      "\\)\nlibarchive [0-9.]+\nOpenSSL [0-9.]+\n")))
      << unpack.out;
}

TEST(ProgramManPageTest, EveryPageRendersWithManAndHoldsEveryCommandFlagAndExample) {
  for (const auto& program : kPrograms) {
    const fs::path page = kBin + "/docs/man/" + program + ".1";
    ASSERT_TRUE(fs::exists(page)) << page << " is not built (target awsdl_docs)";
    // Made from the program as it is now: not a stale or hand-kept copy.
    auto fresh = run(binary(program), {"--man"});
    ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
    EXPECT_EQ(read(page), fresh.out) << page << " differs from `" << program << " --man`";

    auto e = env();
    e["MANWIDTH"] = "400";  // no line is broken: the examples are compared whole
    e["MANPAGER"] = "cat";
    auto r = run("/usr/bin/man", {"--warnings", "-E", "ascii", "-l", page.string()}, e);
    ASSERT_EQ(r.exit_code, 0) << program << ": " << r.err;
    EXPECT_EQ(r.err, "") << program << ": man(1) warned";
    const std::string text = squeeze(r.out);
    EXPECT_NE(text.find("NAME"), std::string::npos);
    EXPECT_NE(text.find(program + " --version"), std::string::npos) << text;

    std::vector<std::string> cmds = {""};
    if (program != "awsdl-whoami") cmds = commands_of(program);
    ASSERT_FALSE(cmds.empty()) << program;
    for (const auto& c : cmds) {
      if (!c.empty()) {
        EXPECT_NE(text.find(program + " " + c + "\n"), std::string::npos) << program << ": no " << c;
      }
      const Help h = help_of(program, c);
      EXPECT_FALSE(h.flags.empty()) << program << " " << c;
      for (const auto& f : h.flags)
        EXPECT_NE(text.find(f), std::string::npos) << program << " " << c << ": flag " << f << " missing";
      for (const auto& x : h.examples)
        EXPECT_NE(text.find(squeeze(x)), std::string::npos) << program << " " << c << ": example missing: " << x;
    }
  }
}

TEST(ProgramCompletionTest, BashOffersTheCommandsAndEachCommandsFlags) {
  for (const auto& program : kWithCommands) {
    ASSERT_TRUE(fs::exists(kBin + "/docs/bash/" + program)) << "not built (target awsdl_docs)";
    const auto cmds = commands_of(program);
    ASSERT_FALSE(cmds.empty());
    auto first = bash_offers(program, {program, ""});
    for (const auto& c : cmds) EXPECT_EQ(first.count(c), 1u) << program << ": " << c << " not offered: " << joined(first);
    EXPECT_EQ(first.count("--version"), 1u) << joined(first);
    for (const auto& c : cmds) {
      auto offered = bash_offers(program, {program, c, "--"});
      for (const auto& f : help_of(program, c).flags)
        EXPECT_EQ(offered.count(f), 1u) << program << " " << c << ": " << f << " not offered: " << joined(offered);
    }
  }
  auto whoami = bash_offers("awsdl-whoami", {"awsdl-whoami", "--"});
  for (const auto& f : help_of("awsdl-whoami", "").flags) EXPECT_EQ(whoami.count(f), 1u) << f << ": " << joined(whoami);
  EXPECT_EQ(whoami.count("--version"), 1u);
  // A prefix narrows the offer.
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "del"}), std::set<std::string>{"delete"});
}

TEST(ProgramCompletionTest, BashCompletesValuesClusterNamesFilesAndWords) {
  awsdl::testing_support::ScratchDir home;
  // Two clusters' state directories (hostfile, known_hosts); awsdl-vm's directory and an
  // empty one are no clusters.
  for (const auto& [dir, file] : std::vector<std::pair<std::string, std::string>>{
           {"maskrcnn", "hostfile"}, {"bert", "known_hosts"}, {"vm", "vm1.known_hosts"}, {"empty", ""}}) {
    fs::create_directories(home / ".awsdl" / dir);
    if (!file.empty()) std::ofstream(home / ".awsdl" / dir / file) << "x\n";
  }
  const std::string h = home.path().string();
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "status", "--name", ""}, h),
            (std::set<std::string>{"bert", "maskrcnn"}));
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "ssh", "--name", "m"}, h), std::set<std::string>{"maskrcnn"});
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "nodes", "--output", ""}, h),
            (std::set<std::string>{"text", "json"}));
  // --flag=VALUE, which bash hands over as three words.
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "status", "--name", "=", ""}, h),
            (std::set<std::string>{"bert", "maskrcnn"}));
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "status", "--name", "="}, h),
            (std::set<std::string>{"bert", "maskrcnn"}));
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "nodes", "--output", "=", "j"}, h),
            (std::set<std::string>{"json"}));
  std::ofstream(home / "cluster.ini") << "[cluster]\n";
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "create", "--config", h + "/clu"}, h),
            std::set<std::string>{h + "/cluster.ini"});
  // A value nobody can guess: nothing, rather than the flags.
  EXPECT_EQ(bash_offers("awsdl-cluster", {"awsdl-cluster", "create", "--region", ""}, h), std::set<std::string>{});
}

TEST(ProgramCompletionTest, ZshOffersTheCommandsAndEachCommandsFlags) {
  // zsh's completion system needs a terminal; the generated function runs here with
  // _arguments, _describe and compadd replaced by functions that print what they are given.
  const std::string stubs =
      "_arguments() { if [[ $1 == -C ]]; then state=$STATE; return 1; fi; printf 'SPEC %s\\n' \"$@\"; }\n"
      "_describe() { printf 'CMD %s\\n' \"${(@P)4}\"; }\n"
      "_files() { :; }\ncompadd() { :; }\n";
  for (const auto& program : kPrograms) {
    const std::string file = kBin + "/docs/zsh/_" + program;
    ASSERT_TRUE(fs::exists(file)) << "not built (target awsdl_docs)";
    auto syntax = run("/usr/bin/zsh", {"-n", file});
    EXPECT_EQ(syntax.exit_code, 0) << program << ": " << syntax.err;
    EXPECT_EQ(read(file).rfind("#compdef " + program + "\n", 0), 0u);

    std::vector<std::string> cmds = {""};
    if (program != "awsdl-whoami") {
      cmds = commands_of(program);
      auto e = env();
      e["STATE"] = "command";
      auto r = run("/usr/bin/zsh", {"-f", "-c", stubs + "source \"$1\"", "zsh", file}, e);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      for (const auto& c : cmds) EXPECT_NE(r.out.find("CMD " + c + ":"), std::string::npos) << program << ": " << c;
    }
    for (const auto& c : cmds) {
      auto e = env();
      e["STATE"] = "argument";
      auto r = run("/usr/bin/zsh", {"-f", "-c", stubs + "words=(\"$2\" ''); source \"$1\"", "zsh", file, c}, e);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      for (const auto& f : help_of(program, c).flags) {
        std::regex spec("SPEC (\\([^)]*\\))?\\*?" + f + "[=\\[]");
        EXPECT_TRUE(std::regex_search(r.out, spec)) << program << " " << c << ": " << f << " not offered:\n" << r.out;
      }
    }
  }
}

}  // namespace
