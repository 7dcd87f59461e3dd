#!/usr/bin/python3
"""Starts and stops the sandbox AWS endpoint.

  ctl.py start --state DIR   daemonised; writes DIR/sandbox.port and DIR/sandbox.pid, log in
                             DIR/sandbox.log; exits 0 once the server answers
  ctl.py stop --state DIR    stops exactly that pid (SIGTERM, then SIGKILL); removes the files
  ctl.py run [--port N]      in the foreground (debugging, the demo)
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, 'server.py')
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
MAX_LIFETIME = 3 * 3600  # an orphaned background sandbox goes away on its own


def _paths(state):
    return (os.path.join(state, 'sandbox.port'), os.path.join(state, 'sandbox.pid'),
            os.path.join(state, 'sandbox.log'))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours is not alive.
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def _is_sandbox(pid):
    """True when pid is a sandbox server (so a recycled pid is never killed)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return SERVER.encode() in f.read()
    except OSError:
        return False


def _read_pid(pid_file):
    try:
        with open(pid_file) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _tail(path, n=40):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-n:])
    except OSError:
        return '(no log)'


def _health(port, timeout=1.0):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d/_sandbox/health' % port, timeout=timeout) as r:
            return json.loads(r.read().decode()).get('ok') is True
    except (OSError, ValueError):
        return False


def _remove(*paths):
    for p in paths:
        try:
            os.remove(p)
        except FileNotFoundError:
            pass


def stop(state):
    port_file, pid_file, _ = _paths(state)
    pid = _read_pid(pid_file)
    if pid is not None and _alive(pid) and _is_sandbox(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and _alive(pid):
            _reap(pid)
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            for _ in range(100):
                _reap(pid)
                if not _alive(pid):
                    break
                time.sleep(0.02)
        print('sandbox pid %d stopped' % pid)
    else:
        print('no sandbox running for %s' % state)
    _remove(port_file, pid_file, port_file + '.tmp')
    return 0


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def start(state):
    os.makedirs(state, exist_ok=True)
    port_file, pid_file, log_file = _paths(state)
    old = _read_pid(pid_file)
    if old is not None and _alive(old) and _is_sandbox(old):
        stop(state)  # a leftover from an interrupted run
    _remove(port_file, pid_file, port_file + '.tmp')
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', PYTHONUNBUFFERED='1')
    with open(log_file, 'ab') as log, open(os.devnull, 'rb') as devnull:
        proc = subprocess.Popen([sys.executable, SERVER, '--port-file', port_file + '.tmp',
                                 '--max-lifetime', str(MAX_LIFETIME)],
                                stdin=devnull, stdout=log, stderr=subprocess.STDOUT, cwd=HERE, env=env,
                                start_new_session=True, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT
    port = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if port is None:
            try:
                with open(port_file + '.tmp') as f:
                    port = int(f.read().strip())
            except (OSError, ValueError):
                port = None
        if port is not None and _health(port):
            with open(pid_file + '.tmp', 'w') as f:
                f.write('%d\n' % proc.pid)
            os.replace(pid_file + '.tmp', pid_file)
            os.replace(port_file + '.tmp', port_file)
            print('sandbox pid %d on http://127.0.0.1:%d' % (proc.pid, port))
            return 0
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)
    _remove(port_file + '.tmp')
    sys.stderr.write('sandbox failed to start within %.0f s; log tail (%s):\n%s\n'
                     % (START_TIMEOUT, log_file, _tail(log_file)))
    return 1


def run(port):
    sys.path.insert(0, HERE)
    import server
    server.main(['--port', str(port)])
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name in ('start', 'stop'):
        p = sub.add_parser(name)
        p.add_argument('--state', required=True, help='directory for sandbox.port, sandbox.pid, sandbox.log')
    p = sub.add_parser('run')
    p.add_argument('--port', type=int, default=0)
    args = ap.parse_args(argv)
    if args.cmd == 'start':
        return start(os.path.abspath(args.state))
    if args.cmd == 'stop':
        return stop(os.path.abspath(args.state))
    return run(args.port)


if __name__ == '__main__':
    sys.exit(main())
