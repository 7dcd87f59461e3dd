#!/usr/bin/python3
"""The cost of `awsdl-cluster dashboard` on N local nodes (issue 19's measurement).

Starts N local sshd nodes (tests/support/sshd_nodes.py, loopback only) and a sandbox AWS
endpoint of its own (tests/sandbox/ctl.py), creates a cluster of them with `awsdl-cluster
create` (1 master, N-1 workers), starts a training loop on the master writing a loss line every
100 ms, serves the dashboard with --interval S, and opens the page in headless Chromium
(tests/support/chromium_page.py) for --seconds. Meanwhile it reads /api/snapshot every second:
the SSH commands and wall time of each refresh. The dashboard's CPU is its utime + stime from
/proc/PID/stat over the window. Everything it started is stopped by pid at the end.

    bench/dashboard_refresh.py --build build [--nodes 16] [--interval 5] [--seconds 60]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(SRC, "tests", "support"))
import sshd_nodes  # noqa: E402

KEY_ID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # AWS's documented example keys
FAKE_SMI = """#!/bin/sh
case "$*" in
  *-L*) echo "GPU 0: Tesla T4 (UUID: GPU-0)" ;;
  *--query-gpu*) echo "0, 93, 14000, 15360" ;;
  *) exit 1 ;;
esac
"""
TRAINING = ("import math, random, time\n"
            "for step in range(100000):\n"
            "    print('step %d loss=%.4f' % (step, 2.5 * math.exp(-step / 600) + 0.1 + random.random() * 0.05))\n"
            "    time.sleep(0.1)\n")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--nodes", type=int, default=16)
    ap.add_argument("--interval", type=float, default=5)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    cluster = os.path.abspath(os.path.join(args.build, "examples", "cluster", "awsdl-cluster"))
    tmp = tempfile.mkdtemp(prefix="awsdl-dash-bench-")
    started = []  # Popen objects to stop
    nodes = sshd_nodes.Nodes(args.nodes)
    sandbox_state = os.path.join(tmp, "sandbox")
    ctl = os.path.join(SRC, "tests", "sandbox", "ctl.py")
    try:
        info = nodes.start()
        addrs = [n["address"] for n in info["nodes"]]
        subprocess.run([sys.executable, ctl, "start", "--state", sandbox_state], check=True)
        port = int(open(os.path.join(sandbox_state, "sandbox.port")).read().strip())
        endpoint = "http://127.0.0.1:%d" % port

        def control(path, body):
            req = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req).read()

        control("/_sandbox/services/ec2/config", {"transition_seconds": 0.05})
        control("/_sandbox/services/cloudformation/config", {"transition_seconds": 0.05})
        control("/_sandbox/services/ec2/nodes", {"addresses": addrs})
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "AWS_CONFIG_FILE": tmp + "/no-config",
               "AWS_SHARED_CREDENTIALS_FILE": tmp + "/no-credentials", "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "us-east-1"}
        import botocore.session
        ec2 = botocore.session.get_session().create_client(
            "ec2", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET)
        ec2.import_key_pair(KeyName="bench", PublicKeyMaterial=open(info["key"] + ".pub", "rb").read())
        shared, state = os.path.join(tmp, "shared"), os.path.join(tmp, "state")
        os.makedirs(shared)
        smi = os.path.join(tmp, "nvidia-smi")
        with open(smi, "w") as f:
            f.write(FAKE_SMI)
        os.chmod(smi, 0o755)
        flags = ["--config", os.path.join(SRC, "examples", "cluster", "cluster.ini"), "--name", "bench",
                 "--user", "root", "--key-path", info["key"], "--state-dir", state, "--mount-point", shared,
                 "--endpoint-url", endpoint]
        t0 = time.monotonic()
        subprocess.run([cluster, "create", "--instance-type", "g4dn.xlarge", "--workers", str(args.nodes - 1),
                        "--min-workers", str(args.nodes - 1), "--key-name", "bench", "--ssh-cidr", "127.0.0.0/8",
                        "--staging-bucket", "", "--slots-per-node", "1", "--mpirun-options", "", "--poll-interval",
                        "0.2", "--output", "json"] + flags, env=env, check=True, capture_output=True)
        print("created a cluster of %d nodes in %.1f s" % (args.nodes, time.monotonic() - t0))

        # The training loop on the master, in a process group of its own, recorded as `run` records it.
        master = addrs[0]
        log = os.path.join(shared, "train.log")
        ssh = ["ssh", "-i", info["key"], "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@" + master]
        script = os.path.join(shared, "train.py")
        with open(script, "w") as f:
            f.write(TRAINING)
        pgid = subprocess.run(ssh + ["setsid nohup python3 -u %s > %s 2>&1 < /dev/null & echo $!" % (script, log)],
                              check=True, capture_output=True, text=True).stdout.strip()
        with open(os.path.join(state, "jobs"), "a") as f:
            f.write("root@%s\t%s\t%s\t%s\n" % (master, pgid, "bench0000000000000000000000000001", log))

        dash = subprocess.Popen([cluster, "dashboard", "--interval", str(args.interval), "--no-mount-check",
                                 "--nvidia-smi", smi, "--metric", "loss=loss=([0-9.]+)"] + flags,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started.append(dash)
        url = dash.stdout.readline().strip()
        base, token = url.split("/?token=")

        def snapshot():
            with urllib.request.urlopen(base + "/api/snapshot?token=" + token) as r:
                return json.loads(r.read())

        while not snapshot().get("nodes"):
            time.sleep(0.2)
        page = subprocess.Popen([sys.executable, os.path.join(SRC, "tests", "support", "chromium_page.py"), url,
                                 "--timeout", str(args.seconds + 30), "--report", "document.querySelectorAll('tr.node').length",
                                 "--wait", "performance.now() > %d" % (args.seconds * 1000)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started.append(page)
        time.sleep(2)  # the page loaded
        c0, w0 = cpu_seconds(dash.pid), time.monotonic()
        seen = {}
        while time.monotonic() - w0 < args.seconds:
            s = snapshot()
            facts = dict(s.get("facts", []))
            seen[s["at"]] = (s["took_ms"], int(facts.get("SSH commands", "0")), len(s.get("nodes", [])))
            time.sleep(1)
        c1, w1 = cpu_seconds(dash.pid), time.monotonic()
        page.wait(timeout=60)
        took = [t for t, _, _ in seen.values()]
        sshc = sorted({c for _, c, _ in seen.values()})
        print("nodes on the page: %s" % page.stdout.read().strip())
        print("refreshes seen: %d (interval %g s), nodes per refresh: %s" %
              (len(seen), args.interval, sorted({n for _, _, n in seen.values()})))
        print("SSH commands per refresh: %s" % sshc)
        print("wall time per snapshot: median %.0f ms, min %d, max %d ms" %
              (statistics.median(took), min(took), max(took)))
        print("dashboard CPU over %.0f s with the page open: %.2f s (%.1f%% of one core)" %
              (w1 - w0, c1 - c0, 100 * (c1 - c0) / (w1 - w0)))
        subprocess.run(ssh + ["kill -TERM -- -%s" % pgid], check=False)
    finally:
        for p in started:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        subprocess.run([sys.executable, ctl, "stop", "--state", sandbox_state], check=False)
        nodes.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
