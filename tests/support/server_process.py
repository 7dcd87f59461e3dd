"""Background servers for the tests (the sandbox, moto): started daemonised with their pid
and port published in a state directory once they answer, and stopped by that pid only,
never by name. Standard library only: both /usr/bin/python3 (the sandbox) and the python3
that has moto import it.
"""

import argparse
import os
import signal
import subprocess
import sys
import time


def alive(pid):
    """True when `pid` runs (a zombie child of ours does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def runs(pid, *args):
    """True when every one of `args` is an argument of `pid`'s command line (so that a
    recycled pid is never taken for the server)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            argv = f.read().split(b'\0')
    except OSError:
        return False
    return all(a.encode() in argv for a in args)


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def remove(*paths):
    for p in paths:
        try:
            os.remove(p)
        except FileNotFoundError:
            pass


def tail(path, n=40):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-n:])
    except OSError:
        return '(no log)'


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop(pid_file, is_ours, timeout=5.0):
    """Stops the server whose pid `pid_file` names, when it is alive and `is_ours(pid)`:
    SIGTERM, then SIGKILL after `timeout` seconds. Its pid, or None when none was running."""
    pid = read_int(pid_file)
    if pid is None or not alive(pid) or not is_ours(pid):
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive(pid):
        _reap(pid)
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            _reap(pid)
            if not alive(pid):
                break
            time.sleep(0.02)
    return pid


def command_line(doc, state_files):
    """The control script's parser with its "start" and "stop" commands (each takes --state, the
    directory for `state_files`), and the subparsers for the script's own commands."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name in ('start', 'stop'):
        p = sub.add_parser(name)
        p.add_argument('--state', required=True, help='directory for ' + state_files)
    return ap, sub


def start(argv, *, name, log_file, pid_file, port_file, cwd, env, ready, timeout, poll=0.05, on_ready=None):
    """Runs `argv` in a session of its own (stdin /dev/null, output appended to `log_file`); it
    must write its port to `port_file`.tmp. Once that port is `ready(port)` (and
    `on_ready(port)`, when given, returned True), the pid goes to `pid_file` and the port to
    `port_file`: (pid, port). Otherwise, after `timeout` seconds or when the server exits, it
    is killed, the log's tail goes to stderr and the answer is None."""
    port_tmp = port_file + '.tmp'
    with open(log_file, 'ab') as log, open(os.devnull, 'rb') as devnull:
        proc = subprocess.Popen(argv, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        port = read_int(port_tmp)
        if port is not None and ready(port):
            if on_ready is not None and not on_ready(port):
                break
            with open(pid_file + '.tmp', 'w') as f:
                f.write('%d\n' % proc.pid)
            os.replace(pid_file + '.tmp', pid_file)
            os.replace(port_tmp, port_file)
            return proc.pid, port
        time.sleep(poll)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)
    remove(port_tmp)
    sys.stderr.write('%s failed to start within %.0f s; log tail (%s):\n%s\n' % (name, timeout, log_file, tail(log_file)))
    return None
