#!/usr/bin/python3
"""Local SSH test nodes: one OpenSSH sshd per node on its own loopback address.

    sshd_nodes.py run --nodes N [--bastion-workers W] [--state DIR] [--login-shells]

prints one JSON line on stdout describing the nodes once every sshd accepts connections,
then waits until its stdin reaches end of file (the parent test process closed the pipe or
died) or it receives SIGTERM/SIGINT, and then stops every process it started, by pid, and
removes its network namespaces, veth pairs and temporary directory. Tying the lifetime to
the stdin pipe means a crashed test still cleans up.

Nodes listen on 127.0.<b>.<i>:22 where <b> is a block picked so that two test binaries
running at once do not collide. With --bastion-workers W, one more sshd (the "master") listens
on 127.0.<b>.200 in this namespace and W worker sshds listen inside network namespaces
awsdl-test-<pid>-<j>, each reachable only over a veth pair from this namespace, on
10.213.<b>.<4j+2>. The test process connects to the master only; the master's sshd opens
the direct-tcpip connections to the workers (the jump). Nothing leaves the machine.

By default the nodes' sshd sets SHLVL=1, so that the user's ~/.bashrc does not run for each
command (see _config). With --login-shells (or Nodes(bashrc=TEXT)) each node has a home
directory of its own (HOME, "home" in the node list) holding a ~/.bashrc, and SHLVL is left
alone: bash, the login shell, sources that .bashrc once for every shell sshd starts, as on a
real cluster node. The --login-shells .bashrc appends "<pid> <SHLVL>" to ~/shell-starts, so
a test can count the shells a command started.

Also usable as a module (the fan-out bench imports it).
"""
import argparse
import glob
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "/usr/bin/ssh-keygen"
IP = shutil.which("ip") or "/usr/sbin/ip"
BASTION_MASTER_HOST = 200
DOWN_HOST = 250     # an address where nothing listens (connection refused)
HANG_HOST = 251     # accepts TCP connections but never speaks SSH

# The ~/.bashrc of --login-shells nodes: one line per shell start-up, in a file beside it.
COUNTING_BASHRC = 'echo "$$ ${SHLVL:-unset}" >> "$HOME/shell-starts"\n'


def _keygen(path, comment):
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                   check=True, stdout=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return f.read().strip()


def _port_free(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _pick_block(count):
    """A 127.0.<b>.0/24 block whose node addresses are all free on port 22, claimed: the
    returned socket is bound to the block's hang address, so that another run picking at the
    same moment (ctest runs test binaries side by side) finds the block taken."""
    start = 1 + os.getpid() % 200
    for k in range(200):
        b = 1 + (start + k) % 240
        claim = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            claim.bind((f"127.0.{b}.{HANG_HOST}", 22))
        except OSError:
            claim.close()
            continue
        hosts = list(range(1, count + 1)) + [BASTION_MASTER_HOST]
        if all(_port_free(f"127.0.{b}.{h}", 22) for h in hosts):
            # the worker subnet must not be in use either (another run's veths)
            routes = subprocess.run([IP, "-4", "route", "show", f"10.213.{b}.0/24"],
                                    capture_output=True, text=True).stdout
            out = subprocess.run([IP, "-4", "addr", "show"], capture_output=True, text=True).stdout
            if f"10.213.{b}." not in routes and f"10.213.{b}." not in out:
                return b, claim
        claim.close()
    raise RuntimeError("no free 127.0.x.0/24 block for test nodes")


def _load_proctree():
    """The sandbox's process-tree walk (tests/sandbox/core/proctree.py), loaded by its path:
    the sandbox's `core` package is not on this script's import path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sandbox", "core", "proctree.py")
    spec = importlib.util.spec_from_file_location("awsdl_sandbox_proctree", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Every live descendant of the given pids (sshd forks a child per connection, and that child
# calls setsid, so process groups do not catch them).
_descendants = _load_proctree().descendants


class Nodes:
    def __init__(self, count, bastion_workers=0, state=None, max_startups="400:30:800", bashrc=None):
        self.count = count
        self.bashrc = bashrc     # text of every node's ~/.bashrc; None: SHLVL=1, no rc cost
        self.bastion_workers = bastion_workers
        self.max_startups = max_startups
        self.tmp = tempfile.mkdtemp(prefix="awsdl-sshd-", dir=state)
        self.addresses = []      # the nodes' loopback addresses
        self.procs = []          # Popen of every sshd we started
        self.namespaces = []
        self.veths = []
        self.hang_socket = None
        self.info = {}

    # -- setup ---------------------------------------------------------------------------
    def _config(self, name, listen, host_key):
        path = os.path.join(self.tmp, name + ".sshd_config")
        # Each node its own TMPDIR, as separate machines have their own /tmp: Open MPI's
        # daemons keep session directories there, named by host name, and nodes that share
        # one /tmp (and one host name) race creating and removing them.
        node_tmp = os.path.join(self.tmp, name + ".tmp")
        os.makedirs(node_tmp, exist_ok=True)
        os.chmod(node_tmp, 0o1777)
        # And its own cache directory, where awsdl-unpack is copied (not this machine's ~/.cache).
        node_cache = os.path.join(self.tmp, name + ".cache")
        os.makedirs(node_cache, exist_ok=True)
        if self.bashrc is None:
            # The login shell is bash: with SSH_CLIENT set and SHLVL < 2 it sources ~/.bashrc
            # even for `bash -c`, and a developer's .bashrc (pyenv init, say) then costs more
            # than SSH itself. Every client pays it alike; leaving it out keeps tests fast and
            # benches about SSH.
            env = f"SHLVL=1 TMPDIR={node_tmp} XDG_CACHE_HOME={node_cache}"
        else:
            # A home of the node's own (sshd's SetEnv wins over the HOME it sets from the
            # password entry), with the .bashrc bash sources for every shell sshd starts.
            home = self.home(name)
            os.makedirs(home, exist_ok=True)
            with open(os.path.join(home, ".bashrc"), "w") as rc:
                rc.write(self.bashrc)
            env = f"HOME={home} TMPDIR={node_tmp} XDG_CACHE_HOME={node_cache}"
        with open(path, "w") as f:
            f.write(f"""ListenAddress {listen}
HostKey {host_key}
PidFile none
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile {self.tmp}/authorized_keys
StrictModes no
Subsystem sftp internal-sftp
MaxStartups {self.max_startups}
MaxSessions 256
LogLevel ERROR
AllowAgentForwarding yes
AllowTcpForwarding yes
PrintMotd no
PrintLastLog no
UseDNS no
AcceptEnv AWSDL_TEST_*
SetEnv {env}
""")
        return path

    def home(self, name):
        """The home directory of node `name` ("node1", "master", "worker1") with a .bashrc."""
        return os.path.join(self.tmp, name + ".home")

    def _start_sshd(self, name, listen, netns=None):
        key = os.path.join(self.tmp, name + ".host_ed25519")
        pub = _keygen(key, name)
        cfg = self._config(name, listen, key)
        cmd = [SSHD, "-D", "-e", "-f", cfg]
        if netns:
            cmd = [IP, "netns", "exec", netns] + cmd
        log = open(os.path.join(self.tmp, name + ".log"), "wb")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        self.procs.append(p)
        return p, pub

    def _log_tail(self, name):
        try:
            with open(os.path.join(self.tmp, name + ".log"), "rb") as f:
                lines = f.read().decode(errors="replace").strip().splitlines()
            return " / ".join(lines[-3:]) if lines else "(no output)"
        except OSError:
            return "(no log)"

    def _wait_listening(self, addr, port, proc, name, netns=None, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise RuntimeError(f"sshd for {addr} exited with {proc.returncode}: {self._log_tail(name)}")
            # Asked of the kernel's socket table, never by binding the address: a bind made
            # to see whether it is taken could take it at the moment sshd binds, and sshd
            # would exit with 255 ("Cannot bind any address").
            cmd = ["ss", "-ltnH", f"sport = :{port}"]
            if netns:
                cmd = [IP, "netns", "exec", netns] + cmd
            out = subprocess.run(cmd, capture_output=True, text=True).stdout
            if f"{addr}:{port} " in out:
                return
            time.sleep(0.02)
        raise RuntimeError(f"sshd for {addr} did not start listening in {timeout}s")

    def _bastion(self, block):
        pid = os.getpid()
        master_addr = f"127.0.{block}.{BASTION_MASTER_HOST}"
        mp, mpub = self._start_sshd("master", f"{master_addr}:22")
        workers = []
        for j in range(1, self.bastion_workers + 1):
            ns = f"awsdl-test-{pid}-{j}"
            host_if, ns_if = f"aw{pid}h{j}", f"aw{pid}n{j}"
            subprocess.run([IP, "netns", "add", ns], check=True)
            self.namespaces.append(ns)
            subprocess.run([IP, "link", "add", host_if, "type", "veth", "peer", "name", ns_if,
                            "netns", ns], check=True)
            self.veths.append(host_if)
            root_addr, ns_addr = f"10.213.{block}.{4 * j + 1}", f"10.213.{block}.{4 * j + 2}"
            subprocess.run([IP, "addr", "add", f"{root_addr}/30", "dev", host_if], check=True)
            subprocess.run([IP, "link", "set", host_if, "up"], check=True)
            subprocess.run([IP, "-n", ns, "addr", "add", f"{ns_addr}/30", "dev", ns_if], check=True)
            subprocess.run([IP, "-n", ns, "link", "set", ns_if, "up"], check=True)
            subprocess.run([IP, "-n", ns, "link", "set", "lo", "up"], check=True)
            p, pub = self._start_sshd(f"worker{j}", f"{ns_addr}:22", netns=ns)
            workers.append({"address": ns_addr, "pid": p.pid, "host_key": pub, "netns": ns, "proc": p})
        self._wait_listening(master_addr, 22, mp, "master")
        for j, w in enumerate(workers, 1):
            self._wait_listening(w["address"], 22, w.pop("proc"), f"worker{j}", netns=w["netns"])
        return {"master": {"address": master_addr, "pid": mp.pid, "host_key": mpub},
                "workers": workers}

    def start(self):
        if not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        block, self.hang_socket = _pick_block(self.count)
        key = os.path.join(self.tmp, "id_ed25519")
        user_pub = _keygen(key, "awsdl-test")
        other_key = os.path.join(self.tmp, "other_host_ed25519")
        other_pub = _keygen(other_key, "not-the-node")
        with open(os.path.join(self.tmp, "authorized_keys"), "w") as f:
            f.write(user_pub + "\n")
        os.chmod(os.path.join(self.tmp, "authorized_keys"), 0o600)
        known_hosts = os.path.join(self.tmp, "known_hosts")
        open(known_hosts, "w").close()

        nodes = []
        started = []
        for i in range(1, self.count + 1):
            addr = f"127.0.{block}.{i}"
            self.addresses.append(addr)
            p, pub = self._start_sshd(f"node{i}", f"{addr}:22")
            started.append((addr, p, f"node{i}"))
            node = {"address": addr, "pid": p.pid, "host_key": pub}
            if self.bashrc is not None:
                node["home"] = self.home(f"node{i}")
            nodes.append(node)
        for addr, p, name in started:
            self._wait_listening(addr, 22, p, name)

        hang_addr = f"127.0.{block}.{HANG_HOST}"
        self.hang_socket.listen(64)   # never accepted: the kernel completes the handshake, no banner follows

        self.info = {
            "tmp": self.tmp, "key": key, "known_hosts": known_hosts, "user": "root", "port": 22,
            "block": block, "nodes": nodes,
            "down_address": f"127.0.{block}.{DOWN_HOST}", "hang_address": hang_addr,
            "other_host_key": other_pub,
        }
        if self.bastion_workers:
            try:
                self.info["bastion"] = self._bastion(block)
            except (subprocess.CalledProcessError, RuntimeError, OSError) as e:
                self.info["bastion_error"] = f"cannot build the namespace topology: {e}"
        return self.info

    # -- teardown ------------------------------------------------------------------------
    def stop(self):
        pids = [p.pid for p in self.procs if p.poll() is None]
        for pid in _descendants(pids) + pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 5
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for pid in _descendants([p.pid for p in self.procs]):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.hang_socket:
            self.hang_socket.close()
        for v in self.veths:
            subprocess.run([IP, "link", "del", v], stderr=subprocess.DEVNULL)
        for ns in self.namespaces:
            subprocess.run([IP, "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)
        # A node's own /tmp goes with it, as an instance's does; these nodes share the machine's,
        # so what the library leaves there is removed by the nodes' addresses: the supervisor's
        # IMDS notices files (/tmp/awsdl-notices-<run>-<address>), which a watcher on a node
        # the sandbox terminated (SIGKILL) could not remove itself.
        for addr in self.addresses:
            for path in glob.glob(f"/tmp/awsdl-notices-*-{addr}") + glob.glob(f"/tmp/awsdl-notices-*-{addr}.tmp"):
                try:
                    os.remove(path)
                except OSError:
                    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--nodes", type=int, default=4)
    run.add_argument("--bastion-workers", type=int, default=0)
    run.add_argument("--state", default=None, help="parent directory for the temporary directory")
    run.add_argument("--login-shells", action="store_true",
                     help="nodes whose login shell sources a ~/.bashrc that records every start-up")
    args = ap.parse_args()

    nodes = Nodes(args.nodes, args.bastion_workers, args.state,
                  bashrc=COUNTING_BASHRC if args.login_shells else None)
    def _stop(*_):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        info = nodes.start()
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        # Lifeline: block until the parent closes our stdin (or dies) or a signal arrives.
        while sys.stdin.buffer.read(4096):
            pass
    except Exception as e:  # report, then clean up whatever was started
        sys.stdout.write(json.dumps({"error": str(e)}) + "\n")
        sys.stdout.flush()
    finally:
        nodes.stop()


if __name__ == "__main__":
    main()
