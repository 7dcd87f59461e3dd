"""The sandbox serving HTTPS (ctl.py start --tls): a CA made per run, a certificate for
127.0.0.1 / localhost signed by it, HTTPS only, and nothing of the CA left after stop."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CTL = os.path.join(HERE, 'ctl.py')


def ctl(*args):
    return subprocess.run([sys.executable, CTL, *args], capture_output=True, text=True, timeout=60)


def openssl(*args):
    return subprocess.run(['openssl', *args], capture_output=True, text=True, timeout=60)


class SandboxTlsTest(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix='sandbox-tls-test-')
        self.addCleanup(shutil.rmtree, self.state, True)
        self.addCleanup(ctl, 'stop', '--state', self.state)
        started = ctl('start', '--state', self.state, '--tls')
        self.assertEqual(started.returncode, 0, started.stderr)
        self.assertIn('https://127.0.0.1:', started.stdout)
        self.ca = os.path.join(self.state, 'tls', 'ca.pem')
        self.assertIn('CA file: ' + self.ca, started.stdout)
        with open(os.path.join(self.state, 'sandbox.port')) as f:
            self.port = int(f.read())

    def health(self, scheme='https', context=None, host='127.0.0.1'):
        url = '%s://%s:%d/_sandbox/health' % (scheme, host, self.port)
        with urllib.request.urlopen(url, timeout=10, context=context) as r:
            return json.loads(r.read().decode())

    def test_the_certificate_is_signed_by_the_runs_ca_for_loopback(self):
        tls = os.path.join(self.state, 'tls')
        server = os.path.join(tls, 'server.pem')
        verified = openssl('verify', '-CAfile', self.ca, server)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        # Signed by the CA, not self-signed: the leaf alone is no trust anchor.
        alone = openssl('verify', '-CAfile', server, server)
        self.assertNotEqual(alone.returncode, 0, alone.stdout)
        san = openssl('x509', '-in', server, '-noout', '-ext', 'subjectAltName').stdout
        self.assertIn('IP Address:127.0.0.1', san)
        self.assertIn('DNS:localhost', san)
        self.assertIn('CA:TRUE', openssl('x509', '-in', self.ca, '-noout', '-ext', 'basicConstraints').stdout)

    def test_https_with_the_ca_works_by_ip_and_by_name(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        self.assertTrue(self.health(context=ctx)['ok'])
        self.assertTrue(self.health(context=ctx, host='localhost')['ok'])

    def test_without_the_ca_the_certificate_is_refused(self):
        with self.assertRaises(urllib.error.URLError) as caught:
            self.health(context=ssl.create_default_context())
        self.assertIsInstance(caught.exception.reason, ssl.SSLCertVerificationError)

    def test_plain_http_is_not_served(self):
        with self.assertRaises((OSError, urllib.error.URLError)):
            self.health(scheme='http')

    def test_each_start_makes_a_new_ca_and_stop_removes_it(self):
        with open(self.ca) as f:
            first = f.read()
        self.assertEqual(ctl('stop', '--state', self.state).returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(self.state, 'tls')))
        again = ctl('start', '--state', self.state, '--tls')
        self.assertEqual(again.returncode, 0, again.stderr)
        with open(self.ca) as f:
            self.assertNotEqual(f.read(), first)
        with open(os.path.join(self.state, 'sandbox.port')) as f:
            self.port = int(f.read())
        self.assertTrue(self.health(context=ssl.create_default_context(cafile=self.ca))['ok'])


if __name__ == '__main__':
    unittest.main()
