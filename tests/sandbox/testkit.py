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

    def endpoint(self):
        return 'http://127.0.0.1:%d' % self.port

    def session(self):
        """The botocore session the clients of this module share."""
        return self._session

    def request(self, method, path, doc=None):
        """<method> /_sandbox/<path>, with `doc` as a JSON body when given: (status, answer)."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        body = json.dumps(doc).encode() if doc is not None else None
        conn.request(method, '/_sandbox/' + path, body=body, headers={'Content-Type': 'application/json'})
        r = conn.getresponse()
        data = json.loads(r.read().decode())
        conn.close()
        return r.status, data

    def control(self, path, doc=None):
        """POST /_sandbox/<path> with a JSON body; the answer, or AssertionError unless 200."""
        status, data = self.request('POST', path, doc or {})
        if status != 200:
            raise AssertionError('control %s -> %d %s' % (path, status, data))
        return data

    def client(self, service):
        return self._session.create_client(service, region_name='us-east-1',
                                           endpoint_url=self.endpoint(),
                                           aws_access_key_id=KEY1[0], aws_secret_access_key=KEY1[1],
                                           config=Config(retries={'total_max_attempts': 1}))
