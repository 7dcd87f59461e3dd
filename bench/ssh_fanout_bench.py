#!/usr/bin/python3
"""Fan-out bench: `awsdl-cluster exec` and the library against pdsh, parallel-ssh and clush.

Starts N local sshd nodes (tests/support/sshd_nodes.py, loopback only), then, in the same
run and interleaved round by round, times `true` on every node at the same width (fan-out
64) with each tool; then the library's second command on kept sessions (ssh_fanout_bench
BM_KeptSessions); then the peak RSS of 512 concurrent sessions (/usr/bin/time -v). Prints a
table and ratios to pdsh, and writes the figures as JSON when --json is given.

    bench/ssh_fanout_bench.py --build build [--nodes 64] [--rounds 5] [--sessions 512]
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
    ap.add_argument("--json")
    args = ap.parse_args()

    cluster = os.path.join(args.build, "examples", "cluster", "awsdl-cluster")
    bench = os.path.join(args.build, "bench", "ssh_fanout_bench")
    for p in (cluster, bench):
        if not os.access(p, os.X_OK):
            sys.exit(f"missing {p}: build the awsdl-cluster and ssh_fanout_bench targets first")

    nodes = sshd_nodes.Nodes(args.nodes, max_startups="1000:30:2000")
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
        times = {name: [] for name in tools}
        for name, (cmd, e) in tools.items():  # warm-up: page cache, sshd binaries
            timed(cmd, e)
        for _ in range(args.rounds):
            for name, (cmd, e) in tools.items():
                times[name].append(timed(cmd, e))

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

        senv = dict(benv, AWSDL_BENCH_SESSIONS=str(args.sessions))
        r = subprocess.run(["/usr/bin/time", "-v", bench, "--benchmark_filter=^BM_KeptSessions",
                            "--benchmark_min_time=0.5"], env=senv, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("512-session run failed: " + r.stderr[-1500:])
        rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
        sessions_line = re.search(r"BM_KeptSessions\S*\s+([\d.]+) ms.*sessions=(\S+)", r.stdout)
        if not sessions_line:
            raise RuntimeError("the %d-session run did not report: %s" % (args.sessions, r.stdout[-1500:]))

        med = {k: statistics.median(v) for k, v in times.items()}
        pdsh = med["pdsh"]
        figures = {"nodes": len(hosts), "width": int(width), "rounds": args.rounds,
                   "median_seconds": med,
                   "library_first_fanout_seconds": lib.get("BM_FirstFanOut"),
                   "library_kept_sessions_seconds": lib.get("BM_KeptSessions"),
                   "sessions": args.sessions, "sessions_peak_rss_mib": rss_kb / 1024.0,
                   "sessions_kept_run_ms": float(sessions_line.group(1)) if sessions_line else None}
        print(f"{len(hosts)} sshd nodes, fan-out {width}, `true` on every node, median of {args.rounds} rounds:")
        rows = list(med.items()) + [("library FanOut, first (connect+run)", lib.get("BM_FirstFanOut")),
                                    ("library FanOut, second on kept sessions", lib.get("BM_KeptSessions"))]
        for name, t in rows:
            if t is None:
                continue
            print(f"  {name:42s} {t * 1000:9.1f} ms   {t / pdsh:6.3f} x pdsh")
        print(f"{args.sessions} concurrent kept sessions: peak RSS {rss_kb / 1024:.1f} MiB"
              + (f", `true` on all of them {sessions_line.group(1)} ms" if sessions_line else ""))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=2)
    finally:
        nodes.stop()


if __name__ == "__main__":
    main()
