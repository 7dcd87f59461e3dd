#pragma once
// Local sshd nodes for tests: starts tests/support/sshd_nodes.py once per test binary (a
// gtest global environment) and reads the node list it prints. With `login_shells`, every
// node's login shell sources a ~/.bashrc of the node's own (SshNode::home) that appends a line
// to ~/shell-starts for each shell start-up. The script lives as long as
// the pipe to its stdin stays open, so it cleans up (sshd processes by pid, namespaces,
// veths, temp dir) even when this process crashes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace awsdl_test {

struct SshNode {
  std::string address;
  std::string host_key;  // "ssh-ed25519 AAAA... comment"
  int pid = 0;
  std::string home;      // with login_shells: HOME on the node, with .bashrc and shell-starts
};

struct SshNodesInfo {
  std::string error;        // when the nodes could not be started
  std::string key;          // private key accepted by every node (user root)
  std::string known_hosts;  // an empty file the tests may use
  std::string tmp;
  std::vector<SshNode> nodes;
  std::string down_address, hang_address, other_host_key;
  bool bastion = false;
  std::string bastion_error;
  SshNode master;
  std::vector<SshNode> workers;  // reachable only through master
};

class SshNodesEnvironment : public ::testing::Environment {
 public:
  SshNodesEnvironment(int nodes, int bastion_workers, bool login_shells = false)
      : nodes_(nodes), bastion_workers_(bastion_workers), login_shells_(login_shells) {}

  static SshNodesInfo& info() {
    static SshNodesInfo i;
    return i;
  }

  void SetUp() override {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      info().error = "pipe failed";
      return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::string script = std::string(AWSDL_SOURCE_DIR) + "/tests/support/sshd_nodes.py";
    std::string n = std::to_string(nodes_), b = std::to_string(bastion_workers_);
    std::vector<std::string> args = {"/usr/bin/python3", script, "run", "--nodes", n, "--bastion-workers", b};
    if (login_shells_) args.push_back("--login-shells");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    lifeline_ = in[1];
    if (rc != 0) {
      info().error = "cannot start sshd_nodes.py";
      ::close(out[0]);
      return;
    }
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    parse(line);
  }

  void TearDown() override {
    if (lifeline_ >= 0) ::close(lifeline_);
    lifeline_ = -1;
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = 0;
    }
  }

 private:
  static std::string str(const rapidjson::Value& v, const char* key) {
    return v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
  }
  static SshNode node(const rapidjson::Value& v) {
    return {str(v, "address"), str(v, "host_key"), v.HasMember("pid") ? v["pid"].GetInt() : 0, str(v, "home")};
  }

  void parse(const std::string& line) {
    auto& i = info();
    rapidjson::Document d;
    if (d.Parse(line.c_str()).HasParseError() || !d.IsObject()) {
      i.error = "sshd_nodes.py printed no node list: '" + line + "'";
      return;
    }
    if (d.HasMember("error")) {
      i.error = str(d, "error");
      return;
    }
    i.key = str(d, "key");
    i.known_hosts = str(d, "known_hosts");
    i.tmp = str(d, "tmp");
    i.down_address = str(d, "down_address");
    i.hang_address = str(d, "hang_address");
    i.other_host_key = str(d, "other_host_key");
    for (auto& n : d["nodes"].GetArray()) i.nodes.push_back(node(n));
    i.bastion_error = str(d, "bastion_error");
    if (d.HasMember("bastion")) {
      i.bastion = true;
      i.master = node(d["bastion"]["master"]);
      for (auto& w : d["bastion"]["workers"].GetArray()) i.workers.push_back(node(w));
    }
  }

  int nodes_, bastion_workers_;
  bool login_shells_;
  pid_t pid_ = 0;
  int lifeline_ = -1;
};

inline const SshNodesInfo& ssh_nodes() { return SshNodesEnvironment::info(); }

#define AWSDL_REQUIRE_SSH_NODES()                                                         \
  do {                                                                                     \
    if (!::awsdl_test::ssh_nodes().error.empty())                                          \
      GTEST_FAIL() << "local sshd nodes did not start: " << ::awsdl_test::ssh_nodes().error; \
  } while (0)

}  // namespace awsdl_test
