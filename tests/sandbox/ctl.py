#!/usr/bin/python3
"""Starts and stops the sandbox AWS endpoint.

  ctl.py start --state DIR   daemonised; writes DIR/sandbox.port and DIR/sandbox.pid, log in
                             DIR/sandbox.log; exits 0 once the server answers
  ctl.py start --state DIR --tls
                             the same serving HTTPS only, with a certificate from a CA made
                             for this run: DIR/tls/ca.pem is the CA file clients trust
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


def tls_dir(state):
    """Where a TLS sandbox keeps its CA (ca.pem) and server certificate."""
    return os.path.join(state, 'tls')


def _health(port, timeout=1.0, ca_file=None):
    """ca_file: ask over HTTPS, trusting only that CA (so a started TLS sandbox is known to
    present a certificate its clients can verify)."""
    scheme, context = 'http', None
    if ca_file:
        import ssl
        scheme, context = 'https', ssl.create_default_context(cafile=ca_file)
    try:
        with urllib.request.urlopen('%s://127.0.0.1:%d/_sandbox/health' % (scheme, port), timeout=timeout,
                                    context=context) as r:
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
    certs = tls_dir(state)
    if os.path.isdir(certs):  # a TLS sandbox's CA (and its key) go with it
        server_process.remove(*[os.path.join(certs, f) for f in os.listdir(certs)])
        os.rmdir(certs)
    return 0


def start(state, tls=False):
    os.makedirs(state, exist_ok=True)
    port_file, pid_file, log_file = _paths(state)
    old = server_process.read_int(pid_file)
    if old is not None and server_process.alive(old) and _is_sandbox(old):
        stop(state)  # a leftover from an interrupted run
    server_process.remove(port_file, pid_file, port_file + '.tmp')
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', PYTHONUNBUFFERED='1')
    argv = [sys.executable, SERVER, '--port-file', port_file + '.tmp', '--max-lifetime', str(MAX_LIFETIME)]
    ready, scheme = _health, 'http'
    if tls:
        # A new CA and certificate per run: the directory is emptied first.
        certs = tls_dir(state)
        server_process.remove(*[os.path.join(certs, f) for f in os.listdir(certs)] if os.path.isdir(certs) else [])
        argv += ['--tls-dir', certs]
        ca_file = os.path.join(certs, 'ca.pem')
        ready, scheme = (lambda port: _health(port, ca_file=ca_file)), 'https'
    started = server_process.start(
        argv, name='sandbox', log_file=log_file, pid_file=pid_file, port_file=port_file, cwd=HERE, env=env,
        ready=ready, timeout=START_TIMEOUT)
    if started is None:
        return 1
    print('sandbox pid %d on %s://127.0.0.1:%d' % (started[0], scheme, started[1]))
    if tls:
        print('CA file: %s' % os.path.join(tls_dir(state), 'ca.pem'))
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
    sub.choices['start'].add_argument('--tls', action='store_true',
                                      help='serve HTTPS with a CA made for this run (DIR/tls/ca.pem)')
    args = ap.parse_args(argv)
    if args.cmd == 'start':
        return start(os.path.abspath(args.state), args.tls)
    if args.cmd == 'stop':
        return stop(os.path.abspath(args.state))
    return run(args.port)


if __name__ == '__main__':
    sys.exit(main())
