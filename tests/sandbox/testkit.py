"""What the sandbox's Python tests share: the sandbox to talk to (the ctest fixture's, named by
$AWSDL_SANDBOX_PORT_FILE, or one of their own in a temporary directory, stopped afterwards),
its control API, and botocore clients signed with the documented example key."""

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile

import botocore.session
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
KEY1 = ('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY')


class Sandbox:
    def __init__(self):
        self.port = None
        self.port_file = None
        self._own_state = None
        self._session = botocore.session.get_session()

    def start(self, prefix):
        """For setUpModule: the fixture's sandbox, else a new one (`prefix` names its directory)."""
        self.port_file = os.environ.get('AWSDL_SANDBOX_PORT_FILE')
        if not self.port_file:
            self._own_state = tempfile.mkdtemp(prefix=prefix)
            subprocess.run([sys.executable, os.path.join(HERE, 'ctl.py'), 'start', '--state', self._own_state],
                           check=True)
            self.port_file = os.path.join(self._own_state, 'sandbox.port')
        with open(self.port_file) as f:
            self.port = int(f.read().strip())

    def stop(self):
        """For tearDownModule: stops (by pid) and removes only a sandbox that start() began."""
        if self._own_state:
            subprocess.run([sys.executable, os.path.join(HERE, 'ctl.py'), 'stop', '--state', self._own_state],
                           check=True)
            shutil.rmtree(self._own_state, ignore_errors=True)
            self._own_state = None

    def control(self, path, doc=None):
        """POST /_sandbox/<path> with a JSON body; the answer, or AssertionError unless 200."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        conn.request('POST', '/_sandbox/' + path, body=json.dumps(doc or {}).encode(),
                     headers={'Content-Type': 'application/json'})
        r = conn.getresponse()
        data = json.loads(r.read().decode())
        conn.close()
        if r.status != 200:
            raise AssertionError('control %s -> %d %s' % (path, r.status, data))
        return data

    def client(self, service):
        return self._session.create_client(service, region_name='us-east-1',
                                           endpoint_url='http://127.0.0.1:%d' % self.port,
                                           aws_access_key_id=KEY1[0], aws_secret_access_key=KEY1[1],
                                           config=Config(retries={'total_max_attempts': 1}))
