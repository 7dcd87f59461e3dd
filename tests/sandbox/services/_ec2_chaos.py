"""Chaos for the local SSH nodes behind EC2 instances (issue 16), used by ec2.py.

The node pool (`POST /_sandbox/services/ec2/nodes {"addresses": [...], "pids": {"127.x": pid}}`)
may name each address's sshd listener pid. Then:

- When an instance holding a node is terminated (TerminateInstances, an Auto Scaling
  replacement or scale-in, a stack deletion, a chaos action), every process that node's sshd
  started is killed with SIGKILL, so the ranks running there die as on a lost machine: the
  descendants of the listener's pid (not the listener itself) and the processes whose
  SSH_CONNECTION names the node's address, with theirs (Open MPI's orted daemonizes, detached
  jobs call setsid: both leave the session's process tree). A node made unreachable gets
  SIGCONT first.
- The released address goes to the end of the pool's free list (ec2.py), so a replacement
  instance gets a fresh node when the pool has a spare.

Per-node instance metadata (IMDSv2), at `http://SANDBOX/_sandbox/imds/<address>/latest/...`:
`PUT latest/api/token` (header X-aws-ec2-metadata-token-ttl-seconds, 1..21600) gives a token;
every GET needs it (X-aws-ec2-metadata-token; 401 without or with an unknown one).
`meta-data/instance-id`, `meta-data/instance-type`, `meta-data/placement/availability-zone`,
`meta-data/local-ipv4` answer from the instance holding the address;
`meta-data/spot/instance-action` is 404 until a spot notice, then
`{"action": "terminate", "time": "2026-12-07T03:00:00Z"}`;
`meta-data/events/recommendations/rebalance` is 404 until a rebalance recommendation, then
`{"noticeTime": "..."}` (the EC2 user guide's paths and bodies).

Chaos control: `POST /_sandbox/services/ec2/chaos {"instance": ID, "action": A, ...}`:
- `terminate`: as TerminateInstances.
- `spot-notice` (`"seconds": N`, default 120): the notice now in the node's IMDS, the instance
  terminated N seconds (sandbox time: wall seconds) later.
- `rebalance`: a rebalance recommendation in the node's IMDS.
- `unreachable`: SIGSTOP to the node's sshd listener and every process it spawned (connections
  hang, its ranks stop); SIGCONT (and the kill above) when the instance is terminated.
- `lose-gpu`: the node reports one GPU fewer (down to 0).
`POST .../chaos {}` lists what is in effect. `POST /_sandbox/services/ec2/gpus {"address": A}`
answers `{"gpus": N}`: the instance type's GPU count minus those lost (tests/support's
fake_nvidia_smi.py asks this, with the address from $SSH_CONNECTION).
"""

import datetime
import json
import os
import secrets
import signal
import threading

from core.errors import AwsError
from core.proctree import descendants as _descendants


def _connected_to(address):
    """Processes whose environment says they were started over SSH to `address` (the third
    field of SSH_CONNECTION): what a node's sshd started, also after it left the session's
    process tree (orted --daemonize, setsid jobs)."""
    out = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/environ' % entry, 'rb') as f:
                env = f.read().split(b'\0')
        except OSError:
            continue
        for var in env:
            if var.startswith(b'SSH_CONNECTION='):
                fields = var[len(b'SSH_CONNECTION='):].split()
                if len(fields) >= 3 and fields[2].decode('ascii', 'replace') == address:
                    out.append(int(entry))
                break
    return out


def node_processes(address, pid):
    """Everything a node's sshd (listener `pid`) started: its descendants, the processes that
    carry the node's SSH_CONNECTION, and theirs. Never the listener itself."""
    roots = set(_connected_to(address))
    if pid:
        roots.update(_descendants([pid]))
    roots.discard(pid)
    roots.discard(os.getpid())
    return sorted(roots | set(_descendants(list(roots))))


def _signal(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _iso(t):
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


ACTIONS = ('terminate', 'spot-notice', 'rebalance', 'unreachable', 'lose-gpu')


class Chaos:
    def __init__(self, ec2):
        self.ec2 = ec2
        self.pids = {}          # address -> sshd listener pid
        self.notices = {}       # address -> {'spot': body, 'rebalance': body}
        self.gpus_lost = {}     # instance id -> GPUs lost
        self.stopped = set()    # addresses whose sshd is stopped
        self.tokens = {}        # token -> (address, expiry)
        self.timers = []

    def reset(self):
        for t in self.timers:
            t.cancel()
        self.timers = []
        for a in list(self.stopped):
            self._cont(a)
        self.pids, self.notices, self.gpus_lost, self.tokens = {}, {}, {}, {}

    # ---- the node pool's pids
    def set_pids(self, pids, pool):
        if not isinstance(pids, dict) or not all(
                isinstance(a, str) and a in pool and isinstance(p, int) and not isinstance(p, bool) and p > 1
                for a, p in pids.items()):
            raise AwsError('InvalidParameterValue', 'pids: {"<pool address>": <sshd pid>, ...}', 400)
        self.pids = dict(pids)

    def _cont(self, address):
        pid = self.pids.get(address)
        if pid:
            _signal([pid] + node_processes(address, pid), signal.SIGCONT)
        self.stopped.discard(address)

    def terminated(self, inst):
        """An instance went to shutting-down: its node's processes die, its IMDS forgets."""
        address = inst.get('node_address')
        if not address or self.ec2.node_owner.get(address) != inst['InstanceId']:
            return
        if address in self.stopped:
            self._cont(address)
        pid = self.pids.get(address)
        if pid:
            _signal(node_processes(address, pid), signal.SIGKILL)
        self.notices.pop(address, None)

    # ---- control
    def _instance(self, iid):
        for r in self.ec2.regions.values():
            if iid in r.instances:
                return r, r.instances[iid]
        raise AwsError('InvalidInstanceID.NotFound', "The instance ID '%s' does not exist" % iid, 400)

    def control(self, body):
        if not body:
            return {'ok': True, 'stopped': sorted(self.stopped), 'gpus_lost': dict(self.gpus_lost),
                    'notices': self.notices, 'pids': self.pids}
        iid, action = body.get('instance'), body.get('action')
        if action not in ACTIONS:
            raise AwsError('InvalidParameterValue', 'action: one of %s' % ', '.join(ACTIONS), 400)
        if not isinstance(iid, str):
            raise AwsError('InvalidParameterValue', 'instance: an instance id', 400)
        r, inst = self._instance(iid)
        if self.ec2.instance_state(r.name, iid) != 'running':
            raise AwsError('IncorrectInstanceState', "The instance '%s' is not running" % iid, 400)
        address = inst.get('node_address')
        now = datetime.datetime.now(datetime.timezone.utc)
        if action == 'terminate':
            self.ec2.terminate(r.name, [iid])
        elif action == 'spot-notice':
            seconds = body.get('seconds', 120)
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise AwsError('InvalidParameterValue', 'seconds: a number >= 0', 400)
            if address:
                self.notices.setdefault(address, {})['spot'] = {
                    'action': 'terminate', 'time': _iso(now + datetime.timedelta(seconds=seconds))}
            lock = self.ec2.sandbox.lock

            def later():
                with lock:
                    if self.ec2.instance_state(r.name, iid) not in (None, 'shutting-down', 'terminated'):
                        self.ec2.terminate(r.name, [iid])
            t = threading.Timer(seconds, later)
            t.daemon = True
            self.timers.append(t)
            t.start()
        elif action == 'rebalance':
            if address:
                self.notices.setdefault(address, {})['rebalance'] = {'noticeTime': _iso(now)}
        elif action == 'unreachable':
            pid = self.pids.get(address)
            if not pid:
                raise AwsError('InvalidParameterValue', 'the instance holds no node with a known sshd pid', 400)
            _signal([pid] + node_processes(address, pid), signal.SIGSTOP)
            self.stopped.add(address)
        elif action == 'lose-gpu':
            self.gpus_lost[iid] = self.gpus_lost.get(iid, 0) + 1
        return {'ok': True, 'instance': iid, 'action': action, 'address': address}

    def gpus(self, body):
        address = (body or {}).get('address')
        iid = self.ec2.node_owner.get(address)
        if iid is None:
            raise AwsError('InvalidParameterValue', 'no instance holds the address %r' % (address,), 400)
        _, inst = self._instance(iid)
        from services._ec2_capacity import INSTANCE_TYPES
        info = INSTANCE_TYPES.get(inst['InstanceType'])
        total = info[3][0] if info and info[3] else 0
        return {'gpus': max(0, total - self.gpus_lost.get(iid, 0)), 'instance': iid}

    # ---- IMDSv2
    def imds(self, method, address, rest, headers):
        """-> (status, text)."""
        h = {k.lower(): v for k, v in headers}
        now = datetime.datetime.now(datetime.timezone.utc)
        if rest == 'latest/api/token':
            if method != 'PUT':
                return 405, ''
            try:
                ttl = int(h.get('x-aws-ec2-metadata-token-ttl-seconds', ''))
            except ValueError:
                return 400, ''
            if not 1 <= ttl <= 21600:
                return 400, ''
            token = secrets.token_urlsafe(32)
            self.tokens[token] = (address, now + datetime.timedelta(seconds=ttl))
            return 200, token
        if method != 'GET':
            return 405, ''
        tok = self.tokens.get(h.get('x-aws-ec2-metadata-token', ''))
        if tok is None or tok[0] != address or tok[1] < now:
            return 401, ''
        iid = self.ec2.node_owner.get(address)
        inst = None
        if iid is not None:
            _, inst = self._instance(iid)
        if inst is None:
            return 404, ''
        notices = self.notices.get(address, {})
        if rest == 'latest/meta-data/spot/instance-action':
            return (200, json.dumps(notices['spot'])) if 'spot' in notices else (404, '')
        if rest == 'latest/meta-data/events/recommendations/rebalance':
            return (200, json.dumps(notices['rebalance'])) if 'rebalance' in notices else (404, '')
        simple = {'latest/meta-data/instance-id': inst['InstanceId'],
                  'latest/meta-data/instance-type': inst['InstanceType'],
                  'latest/meta-data/placement/availability-zone': inst['Placement']['AvailabilityZone'],
                  'latest/meta-data/local-ipv4': address}
        if rest in simple:
            return 200, simple[rest]
        return 404, ''
