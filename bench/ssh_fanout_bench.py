#!/usr/bin/python3
"""Fan-out bench: `awsdl-cluster exec` and the library against pdsh, parallel-ssh and clush.

Starts N local sshd nodes (tests/support/sshd_nodes.py, loopback only), then, in the same
run and interleaved round by round, times `true` on every node at the same width (fan-out
64) with each tool; then the library's second command on kept sessions (ssh_fanout_bench
BM_KeptSessions); then the peak RSS of 512 concurrent sessions (/usr/bin/time -v; --sessions 0
leaves it out). Prints a table and ratios to pdsh, and writes the figures as JSON when --json
is given.

By default the nodes' sshd sets SHLVL=1, so that bash, their login shell, skips ~/.bashrc:
the figures are about SSH and the tools alone. With --login-shells every node has a home of
its own whose ~/.bashrc does what a deep learning node's does for every command sshd runs
(paths, a conda-style hook that runs a program), SHLVL is left alone, and every tool pays for
each shell it makes the node start: a tool that starts two shells per command shows it.

    bench/ssh_fanout_bench.py --build build [--nodes 64] [--rounds 5] [--sessions 512] [--login-shells]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
import sshd_nodes  # noqa: E402

# The part of a deep learning node's ~/.bashrc that runs for non-interactive shells too: it
# comes before Ubuntu's "not interactive: return" line (conda init and module setups put
# themselves there). The hook stands for `conda shell.bash hook`, a Python program that
# prints shell code; the real one takes longer.
TYPICAL_BASHRC = r"""# ~/.bashrc of a training node (bench/ssh_fanout_bench.py --login-shells)
echo "$$" >> "$HOME/.shell-starts"   # for the bench: shells started per command
export PATH="$HOME/.local/bin:/usr/local/cuda/bin:$PATH"
export LD_LIBRARY_PATH="/usr/local/cuda/lib64:/usr/local/cuda/extras/CUPTI/lib64:${LD_LIBRARY_PATH:-}"
export NCCL_SOCKET_IFNAME=^lo,docker0
__conda_setup="$(/usr/bin/python3 -c 'import os, json, shlex; print("export CONDA_SHLVL=0 CONDA_PREFIX=" + shlex.quote(os.path.expanduser("~/conda")))' 2>/dev/null)"
if [ $? -eq 0 ]; then
    eval "$__conda_setup"
fi
unset __conda_setup
[ -f /etc/bash_completion.d/git-prompt ] && . /etc/bash_completion.d/git-prompt
case $- in
    *i*) ;;
      *) return;;
esac
HISTCONTROL=ignoreboth
shopt -s histappend checkwinsize
"""


def timed(cmd, env=None):
    t0 = time.monotonic()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({r.returncode}): {r.stderr[-800:]}")
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build directory with awsdl-cluster and ssh_fanout_bench")
    ap.add_argument("--nodes", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=512)
    ap.add_argument("--login-shells", action="store_true",
                    help="nodes whose login shell sources a typical ~/.bashrc for every command")
    ap.add_argument("--json")
    args = ap.parse_args()

    cluster = os.path.join(args.build, "examples", "cluster", "awsdl-cluster")
    bench = os.path.join(args.build, "bench", "ssh_fanout_bench")
    for p in (cluster, bench):
        if not os.access(p, os.X_OK):
            sys.exit(f"missing {p}: build the awsdl-cluster and ssh_fanout_bench targets first")

    nodes = sshd_nodes.Nodes(args.nodes, max_startups="1000:30:2000",
                             bashrc=TYPICAL_BASHRC if args.login_shells else None)
    try:
        info = nodes.start()
        hosts = [n["address"] for n in info["nodes"]]
        key, kh = info["key"], info["known_hosts"]
        with open(kh, "w") as f:  # every tool checks host keys against the same file
            for n in info["nodes"]:
                f.write(n["address"] + " " + " ".join(n["host_key"].split()[:2]) + "\n")
        hostfile = os.path.join(info["tmp"], "hosts")
        with open(hostfile, "w") as f:
            f.write("\n".join(hosts) + "\n")
        width = str(min(64, len(hosts)))
        ssh_opts = ["-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", "UserKnownHostsFile=" + kh, "-o", "LogLevel=ERROR"]
        env = dict(os.environ)
        env.pop("SSH_AUTH_SOCK", None)
        pdsh_env = dict(env, PDSH_SSH_ARGS_APPEND=" ".join(ssh_opts))
        tools = {
            "pdsh": (["pdsh", "-R", "ssh", "-f", width, "-l", "root", "-w", ",".join(hosts), "true"], pdsh_env),
            "parallel-ssh": (["parallel-ssh", "-p", width, "-h", hostfile, "-l", "root", "-t", "120",
                              "-x", " ".join(ssh_opts), "true"], env),
            "clush": (["clush", "-f", width, "-l", "root", "-o", " ".join(ssh_opts), "-w", ",".join(hosts),
                       "true"], env),
            "awsdl-cluster exec": ([cluster, "exec", "--hosts", ",".join(hosts), "--user", "root", "--identity", key,
                                    "--no-agent", "--known-hosts", kh, "--host-key-policy", "strict",
                                    "--fanout", width, "--connect-timeout", "60", "--", "true"], env),
        }
        def shell_starts():
            n = 0
            for node in info["nodes"]:
                try:
                    with open(os.path.join(node["home"], ".shell-starts")) as f:
                        n += sum(1 for _ in f)
                except (KeyError, FileNotFoundError):
                    pass
            return n

        times = {name: [] for name in tools}
        starts = {name: [] for name in tools}   # shell start-ups per host and command
        for name, (cmd, e) in tools.items():  # warm-up: page cache, sshd binaries
            timed(cmd, e)
        for _ in range(args.rounds):
            for name, (cmd, e) in tools.items():
                before = shell_starts()
                times[name].append(timed(cmd, e))
                starts[name].append((shell_starts() - before) / len(hosts))

        benv = dict(env, AWSDL_BENCH_HOSTS=",".join(hosts), AWSDL_BENCH_KEY=key, AWSDL_BENCH_KNOWN_HOSTS=kh)
        out = subprocess.run([bench, "--benchmark_format=json", "--benchmark_repetitions=%d" % args.rounds,
                              "--benchmark_report_aggregates_only=true"],
                             env=benv, capture_output=True, text=True, check=True).stdout
        gb = json.loads(out)
        lib = {}
        for b in gb["benchmarks"]:
            if b.get("aggregate_name") == "median" and not b.get("error_occurred"):
                lib[b["run_name"].split("/")[0]] = b["real_time"] / 1000.0  # ms -> s
            if b.get("error_occurred"):
                print("library bench failed:", b["name"], b.get("error_message"), file=sys.stderr)

        rss_kb, sessions_line = None, None
        if args.sessions > 0:
            senv = dict(benv, AWSDL_BENCH_SESSIONS=str(args.sessions))
            r = subprocess.run(["/usr/bin/time", "-v", bench, "--benchmark_filter=^BM_KeptSessions",
                                "--benchmark_min_time=0.5"], env=senv, capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("%d-session run failed: %s" % (args.sessions, r.stderr[-1500:]))
            rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
            sessions_line = re.search(r"BM_KeptSessions\S*\s+([\d.]+) ms.*sessions=(\S+)", r.stdout)
            if not sessions_line:
                raise RuntimeError("the %d-session run did not report: %s" % (args.sessions, r.stdout[-1500:]))

        med = {k: statistics.median(v) for k, v in times.items()}
        pdsh = med["pdsh"]
        figures = {"nodes": len(hosts), "width": int(width), "rounds": args.rounds,
                   "login_shells": args.login_shells,
                   "median_seconds": med,
                   "library_first_fanout_seconds": lib.get("BM_FirstFanOut"),
                   "library_kept_sessions_seconds": lib.get("BM_KeptSessions"),
                   "sessions": args.sessions, "sessions_peak_rss_mib": rss_kb / 1024.0 if rss_kb else None,
                   "sessions_kept_run_ms": float(sessions_line.group(1)) if sessions_line else None}
        if args.login_shells:
            figures["shell_starts_per_host"] = {k: statistics.median(v) for k, v in starts.items()}
        print(f"{len(hosts)} sshd nodes, fan-out {width}, `true` on every node, median of {args.rounds} rounds, "
              + ("login shells source a typical ~/.bashrc:" if args.login_shells else "no ~/.bashrc (SHLVL=1):"))
        rows = list(med.items()) + [("library FanOut, first (connect+run)", lib.get("BM_FirstFanOut")),
                                    ("library FanOut, second on kept sessions", lib.get("BM_KeptSessions"))]
        for name, t in rows:
            if t is None:
                continue
            shells = ""
            if args.login_shells and name in starts:
                shells = f"   {statistics.median(starts[name]):.2f} shell start-ups per host"
            print(f"  {name:42s} {t * 1000:9.1f} ms   {t / pdsh:6.3f} x pdsh{shells}")
        if rss_kb:
            print(f"{args.sessions} concurrent kept sessions: peak RSS {rss_kb / 1024:.1f} MiB"
                  + (f", `true` on all of them {sessions_line.group(1)} ms" if sessions_line else ""))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=2)
    finally:
        nodes.stop()


if __name__ == "__main__":
    main()
