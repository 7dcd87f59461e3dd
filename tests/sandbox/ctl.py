#!/usr/bin/python3
"""Starts and stops the sandbox AWS endpoint.

  ctl.py start --state DIR   daemonised; writes DIR/sandbox.port and DIR/sandbox.pid, log in
                             DIR/sandbox.log; exits 0 once the server answers
  ctl.py stop --state DIR    stops exactly that pid (SIGTERM, then SIGKILL); removes the files
  ctl.py run [--port N]      in the foreground (debugging, the demo)
"""

import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'support'))
import server_process  # noqa: E402  (tests/support)

SERVER = os.path.join(HERE, 'server.py')
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
MAX_LIFETIME = 3 * 3600  # an orphaned background sandbox goes away on its own


def _paths(state):
    return (os.path.join(state, 'sandbox.port'), os.path.join(state, 'sandbox.pid'),
            os.path.join(state, 'sandbox.log'))


def _is_sandbox(pid):
    """True when pid is a sandbox server (so a recycled pid is never killed)."""
    return server_process.runs(pid, SERVER)


def _health(port, timeout=1.0):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d/_sandbox/health' % port, timeout=timeout) as r:
            return json.loads(r.read().decode()).get('ok') is True
    except (OSError, ValueError):
        return False


def stop(state):
    port_file, pid_file, _ = _paths(state)
    pid = server_process.stop(pid_file, _is_sandbox, STOP_TIMEOUT)
    if pid is not None:
        print('sandbox pid %d stopped' % pid)
    else:
        print('no sandbox running for %s' % state)
    server_process.remove(port_file, pid_file, port_file + '.tmp')
    return 0


def start(state):
    os.makedirs(state, exist_ok=True)
    port_file, pid_file, log_file = _paths(state)
    old = server_process.read_int(pid_file)
    if old is not None and server_process.alive(old) and _is_sandbox(old):
        stop(state)  # a leftover from an interrupted run
    server_process.remove(port_file, pid_file, port_file + '.tmp')
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', PYTHONUNBUFFERED='1')
    started = server_process.start(
        [sys.executable, SERVER, '--port-file', port_file + '.tmp', '--max-lifetime', str(MAX_LIFETIME)],
        name='sandbox', log_file=log_file, pid_file=pid_file, port_file=port_file, cwd=HERE, env=env,
        ready=_health, timeout=START_TIMEOUT)
    if started is None:
        return 1
    print('sandbox pid %d on http://127.0.0.1:%d' % started)
    return 0


def run(port):
    sys.path.insert(0, HERE)
    import server
    server.main(['--port', str(port)])
    return 0


def main(argv=None):
    ap, sub = server_process.command_line(__doc__, 'sandbox.port, sandbox.pid, sandbox.log')
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
