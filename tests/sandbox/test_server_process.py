"""tests/support/server_process.py, the start and stop of the tests' background servers (the
sandbox's ctl.py and moto_ctl.py use it), with small throwaway servers of its own."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'support'))

import server_process  # noqa: E402

# A server in the shape start() expects: writes its port to argv[1] (a port file's .tmp),
# prints a line to its log, then sleeps; with argv[2] == 'exit' it exits at once instead.
SERVER = r'''
import sys, time
print('throwaway server up', flush=True)
if len(sys.argv) > 2 and sys.argv[2] == 'exit':
    sys.exit(3)
with open(sys.argv[1], 'w') as f:
    f.write('4242\n')
time.sleep(60)
'''


def setUpModule():
    warnings.simplefilter('ignore', ResourceWarning)  # start() leaves its server running, by design


class ServerProcessTest(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix='server-process-test-')
        self.addCleanup(shutil.rmtree, self.state, True)
        self.files = {n: os.path.join(self.state, 'x.' + n) for n in ('port', 'pid', 'log')}
        self.script = os.path.join(self.state, 'throwaway_server.py')
        with open(self.script, 'w') as f:
            f.write(SERVER)

    def _start(self, *extra, ready=lambda port: port == 4242, on_ready=None, timeout=20.0):
        started = server_process.start(
            [sys.executable, self.script, self.files['port'] + '.tmp'] + list(extra), name='throwaway',
            log_file=self.files['log'], pid_file=self.files['pid'], port_file=self.files['port'], cwd=self.state,
            env=dict(os.environ), ready=ready, timeout=timeout, on_ready=on_ready)
        if started is not None:
            self.addCleanup(server_process.stop, self.files['pid'], self._ours, 2.0)
        return started

    def _ours(self, pid):
        return server_process.runs(pid, self.script)

    def test_start_publishes_pid_and_port_and_stop_ends_exactly_that_pid(self):
        started = self._start()
        self.assertIsNotNone(started)
        pid, port = started
        self.assertEqual(port, 4242)
        self.assertEqual(server_process.read_int(self.files['pid']), pid)
        self.assertEqual(server_process.read_int(self.files['port']), 4242)
        self.assertFalse(os.path.exists(self.files['port'] + '.tmp'))
        self.assertTrue(server_process.alive(pid))
        self.assertTrue(self._ours(pid))
        # Not ours by its command line: left alone.
        self.assertIsNone(server_process.stop(self.files['pid'], lambda p: server_process.runs(p, 'not-this-one')))
        self.assertTrue(server_process.alive(pid))
        self.assertEqual(server_process.stop(self.files['pid'], self._ours, 2.0), pid)
        self.assertFalse(server_process.alive(pid))
        # Its pid file still names it, but nothing runs there any more.
        self.assertIsNone(server_process.stop(self.files['pid'], self._ours, 2.0))

    def test_a_server_that_exits_is_a_failed_start_with_its_log_tail(self):
        err = self._run_child('exit')
        self.assertIn('throwaway failed to start', err)
        self.assertIn('throwaway server up', err)
        self.assertFalse(os.path.exists(self.files['pid']))
        self.assertFalse(os.path.exists(self.files['port']))

    def test_a_server_never_ready_is_killed_after_the_timeout(self):
        t0 = time.monotonic()
        started = self._start(ready=lambda port: False, timeout=1.0)
        self.assertIsNone(started)
        self.assertLess(time.monotonic() - t0, 15.0)
        self.assertFalse(os.path.exists(self.files['port'] + '.tmp'))
        self.assertFalse(os.path.exists(self.files['pid']))

    def test_on_ready_refusing_is_a_failed_start(self):
        seen = []
        started = self._start(on_ready=lambda port: seen.append(port) or False)
        self.assertIsNone(started)
        self.assertEqual(seen, [4242])
        self.assertFalse(os.path.exists(self.files['pid']))

    def test_alive_and_runs_on_a_reaped_and_a_zombie_child(self):
        child = subprocess.Popen([sys.executable, '-c', 'pass'])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server_process.alive(child.pid):
            time.sleep(0.02)  # not reaped yet: a zombie, which is not alive
        self.assertFalse(server_process.alive(child.pid))
        child.wait()
        self.assertFalse(server_process.alive(child.pid))
        self.assertFalse(server_process.runs(child.pid, sys.executable))
        self.assertTrue(server_process.runs(os.getpid(), sys.executable))

    def test_command_line_has_start_and_stop_with_a_state_directory(self):
        ap, sub = server_process.command_line('doc', 'x.port, x.pid')
        sub.add_parser('serve')
        self.assertEqual(vars(ap.parse_args(['start', '--state', 'dir'])), {'cmd': 'start', 'state': 'dir'})
        self.assertEqual(vars(ap.parse_args(['stop', '--state', 'dir'])), {'cmd': 'stop', 'state': 'dir'})
        self.assertEqual(ap.parse_args(['serve']).cmd, 'serve')
        with open(os.devnull, 'w') as quiet:
            stderr, sys.stderr = sys.stderr, quiet
            try:
                with self.assertRaises(SystemExit):
                    ap.parse_args(['start'])  # --state is required
                with self.assertRaises(SystemExit):
                    ap.parse_args([])  # so is a command
            finally:
                sys.stderr = stderr

    def _run_child(self, *extra):
        """start() in a child interpreter, for what it writes to stderr."""
        code = ('import sys; sys.path.insert(0, %r); import server_process; '
                'r = server_process.start([sys.executable, %r, %r] + %r, name="throwaway", log_file=%r, '
                'pid_file=%r, port_file=%r, cwd=%r, env=None, ready=lambda p: True, timeout=20.0); '
                'sys.exit(0 if r is None else 1)'
                % (os.path.join(HERE, '..', 'support'), self.script, self.files['port'] + '.tmp', list(extra),
                   self.files['log'], self.files['pid'], self.files['port'], self.state))
        r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stderr


if __name__ == '__main__':
    unittest.main()
