#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "awsdl/mpi/launch.hpp"
#include "awsdl/ssh/quote.hpp"

namespace {

using namespace awsdl::mpi;
using Args = std::vector<std::string>;

bool has_seq(const Args& a, const Args& seq) {
  return std::search(a.begin(), a.end(), seq.begin(), seq.end()) != a.end();
}

TEST(Mpirun, ReferenceHorovodLine) {
  MpirunOptions o;
  o.hosts = {{"w1", 8}, {"w2", 8}};
  o.hostfile = "/opt/deeplearning/workers";
  o.export_vars = {"LD_LIBRARY_PATH", "PATH"};
  o.env = {{"NCCL_DEBUG", "INFO"}, {"WEIRD", "a b $c 'd'"}};
  o.output_filename = "/mnt/efs/logs";
  o.allow_run_as_root = false;
  auto a = mpirun_command(o, {"python3", "train.py", "--lr", "0.1"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->front(), "mpirun");
  EXPECT_TRUE(has_seq(*a, {"-np", "16"}));
  EXPECT_TRUE(has_seq(*a, {"--hostfile", "/opt/deeplearning/workers"}));
  EXPECT_TRUE(has_seq(*a, {"-bind-to", "none", "-map-by", "slot"}));
  EXPECT_TRUE(has_seq(*a, {"-mca", "btl_tcp_if_exclude", "lo,docker0"}));
  EXPECT_TRUE(has_seq(*a, {"-mca", "oob_tcp_if_exclude", "lo,docker0"}));
  EXPECT_TRUE(has_seq(*a, {"-x", "LD_LIBRARY_PATH"}));
  EXPECT_TRUE(has_seq(*a, {"-x", "NCCL_DEBUG=INFO"}));
  EXPECT_TRUE(has_seq(*a, {"-x", "WEIRD=a b $c 'd'"}));
  EXPECT_TRUE(has_seq(*a, {"--output-filename", "/mnt/efs/logs"}));
  EXPECT_EQ(std::count(a->begin(), a->end(), "--allow-run-as-root"), 0);
  EXPECT_TRUE(has_seq(*a, {"python3", "train.py", "--lr", "0.1"}));
  EXPECT_EQ(a->back(), "0.1");
}

TEST(Mpirun, RootHostsIncludeAndNp) {
  MpirunOptions o;
  o.hosts = {{"a", 2}, {"b", 3}};
  o.allow_run_as_root = true;
  o.tcp_include = {"lo"};
  o.horovod = false;
  o.np = 4;
  o.rsh_agent = "ssh";
  o.rsh_args = "-i /k -p 2222";
  auto a = mpirun_command(o, {"./hello"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(has_seq(*a, {"-np", "4"}));
  EXPECT_TRUE(has_seq(*a, {"-H", "a:2,b:3"}));
  EXPECT_TRUE(has_seq(*a, {"--allow-run-as-root"}));
  EXPECT_TRUE(has_seq(*a, {"-mca", "btl_tcp_if_include", "lo"}));
  EXPECT_TRUE(has_seq(*a, {"-mca", "plm_rsh_args", "-i /k -p 2222"}));
  EXPECT_FALSE(has_seq(*a, {"-bind-to"}));
  EXPECT_EQ(std::count(a->begin(), a->end(), "btl_tcp_if_exclude"), 0);
  // Unset: decided by who runs this process.
  o.allow_run_as_root.reset();
  auto b = mpirun_command(o, {"./hello"});
  EXPECT_EQ(std::count(b->begin(), b->end(), "--allow-run-as-root"), ::geteuid() == 0 ? 1 : 0);
}

TEST(Mpirun, Errors) {
  MpirunOptions o;
  EXPECT_FALSE(mpirun_command(o, {"x"}).ok());  // no hosts
  o.hosts = {{"a", 0}};
  EXPECT_FALSE(mpirun_command(o, {"x"}).ok());  // zero slots
  o.hosts = {{"a", 1}};
  EXPECT_FALSE(mpirun_command(o, {}).ok());
  o.env = {{"BAD NAME", "x"}};
  EXPECT_FALSE(mpirun_command(o, {"x"}).ok());
}

// A host that is not a host never reaches mpirun, horovodrun or a generated script: mpirun
// hands host names to ssh as arguments, where "-oProxyCommand=..." is an option.
TEST(Launch, HostileHostsAreRefused) {
  for (const char* bad : {"-oProxyCommand=touch /tmp/x", "a;b", "$(id)", "a b", "a\nb", "a,b"}) {
    MpirunOptions m;
    m.hosts = {{"w1", 1}, {bad, 1}};
    auto a = mpirun_command(m, {"x"});
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.error().code, "InvalidHost") << bad;
    m.hostfile = "/hf";  // named in the file instead: the hosts still count the slots
    EXPECT_FALSE(mpirun_command(m, {"x"}).ok()) << bad;
    HorovodrunOptions h;
    h.hosts = {{bad, 2}};
    EXPECT_FALSE(horovodrun_command(h, {"x"}).ok()) << bad;
    EXPECT_FALSE(tf_ps_scripts({{bad, 1}}, {"x"}, {}).ok()) << bad;
  }
}

TEST(Horovodrun, Command) {
  HorovodrunOptions o;
  o.hosts = {{"w1", 4}, {"w2", 4}};
  o.ssh_port = 2222;
  o.ssh_identity_file = "/k";
  auto a = horovodrun_command(o, {"python", "train.py"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (Args{"horovodrun", "-np", "8", "-H", "w1:4,w2:4", "-p", "2222", "--ssh-identity-file", "/k",
                      "python", "train.py"}));
  o.hostfile = "/hf";
  a = horovodrun_command(o, {"p"});
  EXPECT_TRUE(has_seq(*a, {"--hostfile", "/hf"}));
  EXPECT_FALSE(has_seq(*a, {"-H"}));
}

// Runs the generated script of each host with a fake "program" that records its arguments
// and CUDA_VISIBLE_DEVICES, and checks one PS per host and one worker per GPU.
TEST(TfPs, ScriptsStartOnePsPerHostAndOneWorkerPerGpu) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("awsdl-tfps-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path prog = dir / "fake train.py";
  std::ofstream(prog) << "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --job_name=*) j=${a#*=};; --task_index=*) "
                         "t=${a#*=};; esac; done\nprintf 'cuda=[%s] args=%s\\n' \"$CUDA_VISIBLE_DEVICES\" \"$*\" > "
                         "\"$OUT/$j$t\"\n";
  fs::permissions(prog, fs::perms::owner_all);
  TfPsOptions o;
  o.log_dir = (dir / "logs").string();
  o.env = {{"OUT", dir.string()}};
  auto scripts = tf_ps_scripts({{"h1", 2}, {"h2", 3}}, {prog.string(), "--data dir=x y"}, o);
  ASSERT_TRUE(scripts.ok());
  ASSERT_EQ(scripts->size(), 2u);
  for (const auto& s : *scripts) {
    fs::path f = dir / ("run-" + s.host + ".sh");
    std::ofstream(f) << s.script;
    int rc = std::system(("/bin/sh " + awsdl::ssh::shell_quote(f.string())).c_str());
    ASSERT_EQ(rc, 0) << s.script;
  }
  auto read = [&](const std::string& name) {
    std::ifstream in(dir / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::string lists = "--ps_hosts=h1:2222,h2:2222 --worker_hosts=h1:2230,h1:2231,h2:2230,h2:2231,h2:2232";
  EXPECT_EQ(read("ps0"), "cuda=[] args=--data dir=x y --job_name=ps --task_index=0 " + lists + "\n");
  EXPECT_EQ(read("ps1"), "cuda=[] args=--data dir=x y --job_name=ps --task_index=1 " + lists + "\n");
  EXPECT_EQ(read("worker0"), "cuda=[0] args=--data dir=x y --job_name=worker --task_index=0 " + lists + "\n");
  EXPECT_EQ(read("worker1"), "cuda=[1] args=--data dir=x y --job_name=worker --task_index=1 " + lists + "\n");
  EXPECT_EQ(read("worker2"), "cuda=[0] args=--data dir=x y --job_name=worker --task_index=2 " + lists + "\n");
  EXPECT_EQ(read("worker4"), "cuda=[2] args=--data dir=x y --job_name=worker --task_index=4 " + lists + "\n");
  EXPECT_FALSE(fs::exists(dir / "worker5"));
  EXPECT_TRUE(fs::exists(dir / "logs" / "worker4.log"));
  fs::remove_all(dir);
}

}  // namespace
