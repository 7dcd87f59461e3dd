"""Tests of the sandbox's chaos for local SSH nodes (issue 16, services/_ec2_chaos.py): a
terminated instance's node loses what its sshd spawned and its address goes to the end of the
free list; per-node IMDSv2 with spot notices (the instance terminated after the notice's seconds)
and rebalance recommendations; an unreachable node (sshd stopped, continued on termination);
a lost GPU seen by tests/support/fake_nvidia_smi.py; SetInstanceHealth Unhealthy replaces.

Starts two real sshd nodes (tests/support/sshd_nodes.py as a module). Uses the sandbox named by
$AWSDL_SANDBOX_PORT_FILE (the ctest fixture); without it, starts its own."""

import http.client
import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'support'))

import testkit  # noqa: E402
import sshd_nodes  # noqa: E402

SANDBOX = testkit.Sandbox()
control = SANDBOX.control
NODES = None
DLAMI = 'ami-0d1b000000000004d'


def setUpModule():
    global NODES
    SANDBOX.start('sandbox-chaos-test-')
    NODES = sshd_nodes.Nodes(3)
    NODES.start()


def tearDownModule():
    if NODES is not None:
        NODES.stop()
    SANDBOX.stop()


def _state(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
        return s[s.rfind(')') + 2]
    except OSError:
        return None


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid) as f:
            return f.read()
    except OSError:
        return ''


class ChaosCase(unittest.TestCase):
    def setUp(self):
        control('reset')
        control('services/ec2/config', {'transition_seconds': 0.05})
        self.ec2 = SANDBOX.client('ec2')
        self.asg = SANDBOX.client('autoscaling')
        self.addresses = [n['address'] for n in NODES.info['nodes']]
        self.pids = {n['address']: n['pid'] for n in NODES.info['nodes']}
        pool = control('services/ec2/nodes', {'addresses': self.addresses, 'pids': self.pids})
        self.assertEqual(pool['pids'], self.pids)
        self.procs = []
        self.addCleanup(self._restore)

    def _restore(self):
        control('reset')   # continues any stopped sshd
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()
        self.ec2.close()
        self.asg.close()

    def launch(self):
        inst = self.ec2.run_instances(ImageId=DLAMI, InstanceType='p3.8xlarge', MinCount=1, MaxCount=1)['Instances'][0]
        time.sleep(0.1)
        return inst['InstanceId'], inst['PrivateIpAddress']

    def ssh(self, address, command):
        p = subprocess.Popen(['ssh', '-i', NODES.info['key'], '-o', 'StrictHostKeyChecking=no', '-o',
                              'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR',
                              'root@' + address, command], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def spawned(self, address):
        return sshd_nodes._descendants([self.pids[address]])

    def wait_for(self, what, pred, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return
            time.sleep(0.05)
        self.fail('timed out waiting for ' + what)

    def imds(self, method, address, path, headers=None):
        conn = http.client.HTTPConnection('127.0.0.1', SANDBOX.port, timeout=10)
        conn.request(method, '/_sandbox/imds/%s/%s' % (address, path), headers=headers or {})
        r = conn.getresponse()
        body = r.read().decode()
        conn.close()
        return r.status, body

    def token(self, address):
        status, tok = self.imds('PUT', address, 'latest/api/token', {'X-aws-ec2-metadata-token-ttl-seconds': '60'})
        self.assertEqual(status, 200)
        return {'X-aws-ec2-metadata-token': tok}

    def test_terminating_kills_what_the_nodes_sshd_spawned_and_the_address_goes_last(self):
        iid, address = self.launch()
        self.assertEqual(address, self.addresses[0])
        p = self.ssh(address, 'sleep 300')
        self.wait_for('the remote sleep', lambda: any('sleep' in _cmdline(c) for c in self.spawned(address)))
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.wait_for('the ssh session to end', lambda: p.poll() is not None)
        self.assertEqual(self.spawned(address), [])
        self.assertIsNotNone(_state(self.pids[address]), 'the listening sshd itself lives on')
        time.sleep(0.1)
        self.ec2.describe_instances(InstanceIds=[iid])   # terminated: the address is released
        _, fresh = self.launch()
        self.assertEqual(fresh, self.addresses[1], 'a fresh node, not the one just released')
        self.assertEqual(control('services/ec2/nodes')['addresses'][-1], address)

    def test_terminating_also_kills_what_left_the_sessions_tree(self):
        # A daemon (setsid, reparented to init) started over SSH, as Open MPI's orted
        # --daemonize: it carries the node's SSH_CONNECTION.
        iid, address = self.launch()
        p = self.ssh(address, 'setsid sh -c "exec sleep 301" </dev/null >/dev/null 2>&1 & echo $!')
        pid = int(p.stdout.readline().decode().strip())
        p.wait()
        self.wait_for('the daemon', lambda: 'sleep' in _cmdline(pid))
        self.assertNotIn(pid, self.spawned(address), 'no longer under the sshd')
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.wait_for('the daemon to die', lambda: _state(pid) in (None, 'Z'))

    def test_imds_v2_spot_notice_then_the_instance_is_terminated(self):
        iid, address = self.launch()
        self.assertEqual(self.imds('GET', address, 'latest/meta-data/instance-id')[0], 401, 'IMDSv2 wants a token')
        self.assertEqual(self.imds('PUT', address, 'latest/api/token')[0], 400, 'the TTL header is required')
        h = self.token(address)
        self.assertEqual(self.imds('GET', address, 'latest/meta-data/instance-id', h), (200, iid))
        self.assertEqual(self.imds('GET', address, 'latest/meta-data/spot/instance-action', h)[0], 404)
        self.assertEqual(self.imds('GET', self.addresses[2], 'latest/meta-data/instance-id', h)[0], 401,
                         "a token is the node's own")
        control('services/ec2/chaos', {'instance': iid, 'action': 'spot-notice', 'seconds': 1})
        status, body = self.imds('GET', address, 'latest/meta-data/spot/instance-action', h)
        self.assertEqual(status, 200)
        notice = json.loads(body)
        self.assertEqual(notice['action'], 'terminate')
        self.assertRegex(notice['time'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        self.assertEqual(self.ec2.describe_instances(InstanceIds=[iid])['Reservations'][0]['Instances'][0]
                         ['State']['Name'], 'running')
        self.wait_for('the termination', lambda: self.ec2.describe_instances(InstanceIds=[iid])['Reservations'][0]
                      ['Instances'][0]['State']['Name'] in ('shutting-down', 'terminated'), 5)

    def test_rebalance_recommendation(self):
        iid, address = self.launch()
        h = self.token(address)
        path = 'latest/meta-data/events/recommendations/rebalance'
        self.assertEqual(self.imds('GET', address, path, h)[0], 404)
        control('services/ec2/chaos', {'instance': iid, 'action': 'rebalance'})
        status, body = self.imds('GET', address, path, h)
        self.assertEqual(status, 200)
        self.assertIn('noticeTime', json.loads(body))
        self.assertEqual(self.imds('GET', address, 'latest/meta-data/spot/instance-action', h)[0], 404)

    def test_unreachable_stops_the_nodes_sshd_until_terminated(self):
        iid, address = self.launch()
        p = self.ssh(address, 'sleep 300')
        self.wait_for('the remote sleep', lambda: len(self.spawned(address)) >= 2)
        control('services/ec2/chaos', {'instance': iid, 'action': 'unreachable'})
        self.wait_for('the sshd to stop', lambda: _state(self.pids[address]) == 'T' and all(
            _state(c) in ('T', None) for c in self.spawned(address)), 5)
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.wait_for('the ssh session to end', lambda: p.poll() is not None)
        self.wait_for('the sshd to continue', lambda: _state(self.pids[address]) in ('S', 'R'), 5)
        self.assertEqual(self.spawned(address), [])

    def test_lose_gpu_seen_by_the_fake_nvidia_smi(self):
        iid, address = self.launch()   # p3.8xlarge: 4 GPUs
        smi = os.path.join(HERE, '..', 'support', 'fake_nvidia_smi.py')
        env = dict(os.environ, AWSDL_SANDBOX_ENDPOINT=SANDBOX.endpoint(), SSH_CONNECTION='127.0.0.1 5000 %s 22' % address)

        def listed():
            out = subprocess.run([sys.executable, smi, '-L'], env=env, capture_output=True, text=True, check=True)
            return out.stdout.count('GPU ')
        self.assertEqual(listed(), 4)
        control('services/ec2/chaos', {'instance': iid, 'action': 'lose-gpu'})
        self.assertEqual(listed(), 3)
        q = subprocess.run([sys.executable, smi, '--query-gpu=index,utilization.gpu', '--format=csv'], env=env,
                           capture_output=True, text=True, check=True)
        self.assertEqual(len(q.stdout.splitlines()), 3)

    def test_bad_chaos_requests(self):
        iid, _ = self.launch()
        for body, code in (({'instance': iid, 'action': 'explode'}, 'InvalidParameterValue'),
                           ({'instance': 'i-0000000000000dead', 'action': 'terminate'}, 'InvalidInstanceID.NotFound'),
                           ({'instance': iid, 'action': 'spot-notice', 'seconds': -1}, 'InvalidParameterValue')):
            status, answer = SANDBOX.request('POST', 'services/ec2/chaos', body)
            self.assertEqual((status, answer.get('code')), (400, code), body)
        status, _ = SANDBOX.request('POST', 'services/ec2/nodes', {'addresses': self.addresses, 'pids': {'8.8.8.8': 5}})
        self.assertEqual(status, 400)

    def test_set_instance_health_unhealthy_replaces_the_instance(self):
        control('autoscaling/create_group'.replace('autoscaling/', 'services/autoscaling/'),
                {'name': 'workers', 'min': 1, 'max': 2, 'desired': 1})
        g = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=['workers'])['AutoScalingGroups'][0]
        first = g['Instances'][0]['InstanceId']
        self.asg.set_instance_health(InstanceId=first, HealthStatus='Unhealthy')
        g = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=['workers'])['AutoScalingGroups'][0]
        self.assertEqual(len(g['Instances']), 1)
        self.assertNotEqual(g['Instances'][0]['InstanceId'], first)
        state = self.ec2.describe_instances(InstanceIds=[first])['Reservations'][0]['Instances'][0]['State']['Name']
        self.assertIn(state, ('shutting-down', 'terminated'))
        with self.assertRaises(Exception):
            self.asg.set_instance_health(InstanceId='i-0000000000000dead', HealthStatus='Unhealthy')


if __name__ == '__main__':
    unittest.main()
