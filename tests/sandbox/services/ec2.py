"""EC2: instances (with state changes over time and ClientToken idempotency), images,
instance types, zones, the default VPC and subnets, security groups and key pairs.

State is per region. Each region starts with a default VPC (172.31.0.0/16), one default
subnet per zone (<region>a, b, c), the VPC's default security group and a few images
("Deep Learning AMI ..." and Amazon Linux, owner "amazon").

Instances move pending -> running, stopping -> stopped and shutting-down -> terminated once
`transition_seconds` (default 0.3) have passed; StopInstances and StartInstances stop a running
instance and start a stopped one (it gives its public address up while stopped and gets the same
one back; a spot instance cannot be stopped: UnsupportedOperation); DescribeInstanceStatus reports "initializing" for the same time
after running, then "ok". Terminated instances stay visible. The delay is set with
`POST /_sandbox/services/ec2/config {"transition_seconds": 0.05}`.

ClientToken works like AWS: the same token with the same parameters returns the original
reservation (no new instances); with different parameters IdempotentParameterMismatch.

Capacity (issue 15; the catalog, rules and texts live in _ec2_capacity.py): RunInstances and
every Auto Scaling launch go through `launch()`, which checks, in this order, the type, the
image and its architecture, the subnet (or a NetworkInterfaces[0].SubnetId), groups and key,
the type's offering in the zone (Unsupported), EFA (interface type efa on an EFA type, network
card index below MaximumNetworkCards, a placement group, security groups with a
self-referencing all-traffic rule in and out), a targeted capacity reservation (type, zone,
free count; a capacity block needs MarketType capacity-block), the vCPU quota of the type's
family and market (servicequotas.py; VcpuLimitExceeded / MaxSpotInstanceCountExceeded) and the
capacity rules (InsufficientInstanceCapacity). MinCount/MaxCount launch as many as allowed.
Controls: `capacity` (rules, GET lists), `offerings` ({"instance_type", "zones"}),
`capacity_reservations` ({"instance_type", "zone", "count", "market"} -> its id; {} lists).
Fault rules can still inject any error on top.

Local nodes: `POST /_sandbox/services/ec2/nodes {"addresses": ["127.0.5.1", ...]}` gives the
sandbox a pool of loopback addresses where real SSH nodes listen (tests/support/sshd_nodes.py).
Each instance launched while the pool has a free address takes the next one as both its private
and (when its subnet maps public addresses) public address, so the cluster workflow can SSH to
"its" instances; the address goes back to the pool when the instance is terminated. With the
pool empty or used up, instances get the usual documentation-range addresses. The answer (and
`GET`-style `POST .../nodes {}`) lists the pool and which instance holds each address.

Chaos (issue 16, _ec2_chaos.py): the pool may name each address's sshd pid
(`{"addresses": [...], "pids": {"127.x": pid}}`); terminating an instance then kills what its
node's sshd spawned, and the released address goes to the end of the free list. Per-node IMDSv2
at /_sandbox/imds/<address>/latest/...; `POST .../ec2/chaos {"instance", "action": terminate |
spot-notice | rebalance | unreachable | lose-gpu}`; `POST .../ec2/gpus {"address"}`.

Not modelled: placement groups are accepted by name without existing (any named group counts as
a cluster placement group for EFA); spot requests are launched at once as spot-lifecycle
instances (no spot prices: SpotMaxPrice is validated, never compared); key material is random text, not a real key;
hibernation, ENIs, EBS volumes as resources."""

import base64
import datetime
import fnmatch
import hashlib
import json
import os
import threading

from core.errors import AwsError
from core.service import Service
from services import _ec2_capacity as cap
from services._ec2_chaos import Chaos
from services._ec2_console import Console
from services._cfn_tick import tick
from services._ec2_capacity import INSTANCE_TYPES

IMAGES = [
    # (image id, name, creation date, architecture)
    ('ami-0d1a000000000001a', 'Deep Learning AMI (Ubuntu 18.04) Version 60.0', '2022-01-10T10:00:00.000Z', 'x86_64'),
    ('ami-0d1a000000000002b', 'Deep Learning AMI (Ubuntu 18.04) Version 61.0', '2022-06-20T10:00:00.000Z', 'x86_64'),
    ('ami-0d1a000000000003c', 'Deep Learning AMI (Ubuntu 18.04) Version 62.0', '2023-02-14T10:00:00.000Z', 'x86_64'),
    ('ami-0d1b000000000004d', 'Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20240101',
     '2024-01-01T08:00:00.000Z', 'x86_64'),
    ('ami-0d1c000000000006f', 'Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20231201',
     '2023-12-01T08:00:00.000Z', 'arm64'),
    ('ami-0a1b000000000005e', 'amzn2-ami-hvm-2.0.20240109.0-x86_64-gp2', '2024-01-09T20:00:00.000Z', 'x86_64'),
]

PENDING, RUNNING, SHUTTING_DOWN, TERMINATED = (0, 'pending'), (16, 'running'), (32, 'shutting-down'), (48, 'terminated')
STOPPING, STOPPED = (64, 'stopping'), (80, 'stopped')


def _hex(n):
    return os.urandom(n).hex()[:n * 2]


def _not_found(kind, ident):
    codes = {'instance': ('InvalidInstanceID.NotFound', "The instance ID '%s' does not exist"),
             'group': ('InvalidGroup.NotFound', "The security group '%s' does not exist"),
             'vpc': ('InvalidVpcID.NotFound', "The vpc ID '%s' does not exist"),
             'subnet': ('InvalidSubnetID.NotFound', "The subnet ID '%s' does not exist"),
             'key': ('InvalidKeyPair.NotFound', "The key pair '%s' does not exist"),
             'image': ('InvalidAMIID.NotFound', "The image id '[%s]' does not exist")}
    code, msg = codes[kind]
    return AwsError(code, msg % ident, 400)


def _match(value, patterns):
    """EC2 filter values allow * and ? wildcards."""
    if value is None:
        return False
    value = str(value).lower() if isinstance(value, bool) else str(value)
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _tags_match(tags, name, values):
    if name.startswith('tag:'):
        return _match(tags.get(name[4:]), values)
    if name == 'tag-key':
        return any(_match(k, values) for k in tags)
    if name == 'tag-value':
        return any(_match(v, values) for v in tags.values())
    return None


def _tag_list(tags):
    return [{'Key': k, 'Value': v} for k, v in tags.items()]


def _page(items, params, default=1000):
    """MaxResults / NextToken over a list: the token is the offset, opaque to clients."""
    start = 0
    token = params.get('NextToken')
    if token:
        try:
            start = int(base64.b64decode(token.encode()).decode())
        except Exception:
            raise AwsError('InvalidParameterValue', 'The token %s is invalid' % token, 400)
    size = params.get('MaxResults') or default
    page = items[start:start + size]
    nxt = base64.b64encode(str(start + size).encode()).decode() if start + size < len(items) else None
    return page, nxt


class Region:
    def __init__(self, name):
        self.name = name
        self.vpc_id = 'vpc-' + _hex(8)
        self.vpcs = {self.vpc_id: {'VpcId': self.vpc_id, 'CidrBlock': '172.31.0.0/16', 'State': 'available',
                                   'IsDefault': True, 'tags': {}}}
        self.subnets = {}
        for i, z in enumerate('abc'):
            sid = 'subnet-' + _hex(8)
            self.subnets[sid] = {'SubnetId': sid, 'VpcId': self.vpc_id, 'AvailabilityZone': name + z,
                                 'CidrBlock': '172.31.%d.0/20' % (16 * i), 'AvailableIpAddressCount': 4091,
                                 'DefaultForAz': True, 'MapPublicIpOnLaunch': True, 'State': 'available',
                                 'tags': {}}
        gid = 'sg-' + _hex(8)
        self.groups = {gid: {'GroupId': gid, 'GroupName': 'default', 'Description': 'default VPC security group',
                             'VpcId': self.vpc_id, 'ingress': [], 'tags': {}}}
        self.instances = {}      # id -> dict, in launch order
        self.reservations = {}   # id -> list of instance ids
        self.tokens = {}         # client token -> (fingerprint, reservation id)
        self.keys = {}           # name -> dict
        self.capacity_reservations = {}   # id -> dict (DescribeCapacityReservations shape)
        self.ip_counter = 10


class Ec2(Service):
    name = 'ec2'

    def reset(self):
        self.regions = {}
        self.transition_seconds = 0.3
        self.lock = threading.RLock()
        self.node_pool = []       # loopback addresses of local SSH nodes (control action 'nodes')
        self.node_owner = {}                                # address -> instance id
        self.capacity = cap.CapacityRules()                 # control action 'capacity'
        self.offerings = {}                                 # type -> zones offering it (control 'offerings')
        if getattr(self, 'chaos', None) is not None:
            self.chaos.reset()
        self.chaos = Chaos(self)                            # node pids, IMDS, control 'chaos' (_ec2_chaos.py)
        self.console = Console()                            # console output, control 'bootstrap-failures'

    def control(self, action, body):
        body = body or {}
        if action == 'config':
            if 'transition_seconds' in body:
                self.transition_seconds = max(0.0, float(body['transition_seconds']))
            return {'transition_seconds': self.transition_seconds}
        if action == 'instances':  # the whole inventory, for tests (counts instances made)
            out = []
            for r in self.regions.values():
                for i in r.instances.values():
                    self._advance(i)
                    out.append({'InstanceId': i['InstanceId'], 'State': i['State']['Name'],
                                'Region': r.name, 'ClientToken': i['ClientToken']})
            return {'instances': out}
        if action == 'capacity':   # GET (body None) or POST {} lists; POST with a rule adds it
            with self.lock:
                if body:
                    self.capacity.add(body)
                live = {iid for r in self.regions.values() for iid in self._live_ids(r)}
                return {'ok': True, 'rules': self.capacity.listing(lambda iid: iid in live)}
        if action == 'offerings':
            with self.lock:
                if body:
                    itype, zones = body.get('instance_type'), body.get('zones')
                    if itype not in INSTANCE_TYPES:
                        raise AwsError('InvalidParameterValue', 'instance_type: one of %s' % ', '.join(INSTANCE_TYPES),
                                       400)
                    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
                        raise AwsError('InvalidParameterValue', 'zones: a list of zone names', 400)
                    self.offerings[itype] = list(zones)
                region = (body or {}).get('region', 'us-east-1')
                return {'ok': True, 'offerings': {t: self.offered_zones(region, t) for t in INSTANCE_TYPES}}
        if action == 'capacity_reservations':
            with self.lock:
                if body:
                    return dict(self.create_capacity_reservation(body), ok=True)
                return {'ok': True, 'capacity_reservations': [
                    self._capacity_reservation_out(r, c) for r in self.regions.values()
                    for c in r.capacity_reservations.values()]}
        if action == 'bootstrap-failures':   # _ec2_console.py
            with self.lock:
                return self.console.control(body)
        if action == 'nodes':
            with self.lock:
                if 'addresses' in body:
                    addresses = body['addresses']
                    if not isinstance(addresses, list) or not all(
                            isinstance(a, str) and (a.startswith('127.') or a == '::1') for a in addresses):
                        raise AwsError('InvalidParameterValue', 'addresses: a list of loopback addresses', 400)
                    self.node_pool = list(addresses)
                    self.node_owner = {a: i for a, i in self.node_owner.items() if a in self.node_pool}
                    self.chaos.set_pids(body.get('pids', {}), self.node_pool)
                return {'addresses': self.node_pool, 'pids': self.chaos.pids,
                        'assigned': {a: self.node_owner[a] for a in self.node_pool if a in self.node_owner}}
        if action == 'chaos':
            with self.lock:
                return self.chaos.control(body)
        if action == 'gpus':
            with self.lock:
                return self.chaos.gpus(body)
        return super().control(action, body)

    def create_capacity_reservation(self, body):
        region = body.get('region', 'us-east-1')
        r = self.region(region)
        itype, zone = body.get('instance_type'), body.get('zone')
        count, market = body.get('count', 1), body.get('market', 'on-demand')
        if itype not in INSTANCE_TYPES:
            raise AwsError('InvalidParameterValue', 'instance_type: one of %s' % ', '.join(INSTANCE_TYPES), 400)
        if zone not in self.zones(region):
            raise AwsError('InvalidParameterValue', 'zone: one of %s' % ', '.join(self.zones(region)), 400)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise AwsError('InvalidParameterValue', 'count: a whole number >= 1', 400)
        if market not in ('on-demand', 'capacity-block'):
            raise AwsError('InvalidParameterValue', 'market: "on-demand" or "capacity-block"', 400)
        crid = 'cr-' + _hex(9)[:17]
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        res = {'CapacityReservationId': crid, 'OwnerId': self.sandbox.account,
               'CapacityReservationArn': 'arn:aws:ec2:%s:%s:capacity-reservation/%s' % (
                   region, self.sandbox.account, crid),
               'AvailabilityZoneId': 'use1-az%d' % (self.zones(region).index(zone) + 1),
               'InstanceType': itype, 'InstancePlatform': 'Linux/UNIX', 'AvailabilityZone': zone, 'Tenancy': 'default',
               'TotalInstanceCount': count, 'EbsOptimized': True, 'EphemeralStorage': False, 'State': 'active',
               'StartDate': now, 'EndDateType': 'unlimited',
               'InstanceMatchCriteria': 'targeted' if market == 'capacity-block' else 'open', 'CreateDate': now,
               'ReservationType': 'capacity-block' if market == 'capacity-block' else 'default'}
        if market == 'capacity-block':
            res['EndDateType'] = 'limited'
            res['EndDate'] = now + datetime.timedelta(days=1)
        r.capacity_reservations[crid] = res
        return {'capacity_reservation_id': crid, 'CapacityReservationId': crid}

    def _capacity_reservation_out(self, r, res):
        return dict(res, AvailableInstanceCount=self._reservation_free(r, res))

    def _take_node(self, iid):
        for a in self.node_pool:
            if a not in self.node_owner:
                self.node_owner[a] = iid
                return a
        return None

    def _release_node(self, inst):
        a = inst.get('node_address')
        if a and self.node_owner.get(a) == inst['InstanceId']:
            del self.node_owner[a]
            # To the end of the free list: a replacement gets a fresh node when there is a spare.
            if a in self.node_pool:
                self.node_pool.remove(a)
                self.node_pool.append(a)

    # ---- helpers (also used by autoscaling.py)
    def region(self, name):
        with self.lock:
            r = self.regions.get(name)
            if r is None:
                r = self.regions[name] = Region(name)
            return r

    def _advance(self, inst, now=None):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        elapsed = (now - inst['since']).total_seconds()
        if inst['State'] == dict(Code=PENDING[0], Name=PENDING[1]) and elapsed >= self.transition_seconds:
            inst['State'] = {'Code': RUNNING[0], 'Name': RUNNING[1]}
            inst['since'] = inst['since'] + datetime.timedelta(seconds=self.transition_seconds)
            inst.setdefault('first_running', inst['since'])
        elif inst['State']['Name'] == STOPPING[1] and elapsed >= self.transition_seconds:
            inst['State'] = {'Code': STOPPED[0], 'Name': STOPPED[1]}
            inst['since'] = inst['since'] + datetime.timedelta(seconds=self.transition_seconds)
            if 'PublicIpAddress' in inst:
                inst['stopped_public'] = (inst.pop('PublicIpAddress'), inst['PublicDnsName'])
                inst['PublicDnsName'] = ''
        elif inst['State']['Name'] == SHUTTING_DOWN[1] and elapsed >= self.transition_seconds:
            inst['State'] = {'Code': TERMINATED[0], 'Name': TERMINATED[1]}
            inst['since'] = inst['since'] + datetime.timedelta(seconds=self.transition_seconds)
            inst.pop('PublicIpAddress', None)
            inst.pop('stopped_public', None)
            inst['PublicDnsName'] = ''
            self._release_node(inst)

    def _instance_out(self, inst):
        self._advance(inst)
        out = {k: v for k, v in inst.items() if k[:1].isupper() and k not in ('Tags',)}
        if inst['Tags']:
            out['Tags'] = _tag_list(inst['Tags'])
        return out

    def _reservation_out(self, r, rid, ids):
        first = r.instances[ids[0]]
        return {'ReservationId': rid, 'OwnerId': first['owner'], 'Groups': [],
                'Instances': [self._instance_out(r.instances[i]) for i in ids]}

    def launch(self, ctx, region, image_id, instance_type, count, subnet_id=None, group_ids=(), key_name=None,
               tags=None, token='', placement=None, profile=None, lifecycle=None, block_devices=None,
               network_interfaces=None, reservation_id=None, min_count=None):
        """Creates up to `count` (at least `min_count`, default `count`) pending instances in one
        reservation, after the checks EC2 makes (type, image and its architecture, subnet, groups,
        key, offering in the zone, EFA, capacity reservation, vCPU quota, capacity); returns
        (reservation id, ids). lifecycle: None (on-demand), 'spot' or 'capacity-block'."""
        r = self.region(region)
        info = cap.type_info(instance_type)
        if info is None:
            raise AwsError('InvalidParameterValue', "Invalid value '%s' for InstanceType." % instance_type, 400)
        if not image_id.startswith('ami-'):
            raise AwsError('InvalidAMIID.Malformed', "Invalid id: \"%s\" (expecting \"ami-...\")" % image_id, 400)
        image = next((i for i in IMAGES if i[0] == image_id), None)
        if image is None:
            raise _not_found('image', image_id)
        if image[3] != info['arch']:
            raise AwsError('InvalidParameterValue', "The architecture '%s' of the specified instance type does not "
                           "match the architecture '%s' of the specified AMI. Specify an instance type and an AMI "
                           "that have matching architectures, and try again." % (info['arch'], image[3]), 400)
        placement = dict(placement or {})
        reservation = None
        if reservation_id:
            reservation = r.capacity_reservations.get(reservation_id)
            if reservation is None:
                raise AwsError('InvalidCapacityReservationId.NotFound', "The capacity reservation ID '%s' does not "
                               "exist" % reservation_id, 400)
            if not placement.get('AvailabilityZone') and not subnet_id:
                placement['AvailabilityZone'] = reservation['AvailabilityZone']
        if subnet_id:
            subnet = r.subnets.get(subnet_id)
            if subnet is None:
                raise _not_found('subnet', subnet_id)
            if placement.get('AvailabilityZone') and placement['AvailabilityZone'] != subnet['AvailabilityZone']:
                raise AwsError('InvalidParameterValue', 'The subnet %s is not in availability zone %s'
                               % (subnet_id, placement['AvailabilityZone']), 400)
        else:
            az = placement.get('AvailabilityZone')
            subnet = next((s for s in r.subnets.values() if s['DefaultForAz'] and (not az or s['AvailabilityZone'] == az)),
                          None)
            if subnet is None:
                raise AwsError('InvalidParameterValue', 'Invalid availability zone: [%s]' % az, 400)
        zone = subnet['AvailabilityZone']
        groups = []
        for g in group_ids or [gid for gid, g in r.groups.items() if g['GroupName'] == 'default'
                               and g['VpcId'] == subnet['VpcId']]:
            if g not in r.groups:
                raise _not_found('group', g)
            groups.append({'GroupId': g, 'GroupName': r.groups[g]['GroupName']})
        if key_name and key_name not in r.keys:
            raise _not_found('key', key_name)
        offered = self.offered_zones(region, instance_type)
        if zone not in offered:
            raise cap.unsupported_in_zone(instance_type, zone, offered)
        self._check_efa(r, instance_type, info, network_interfaces, placement, [g['GroupId'] for g in groups])
        min_count = count if min_count is None else min_count
        market = 'spot' if lifecycle == 'spot' else 'on-demand'
        if reservation is not None:
            if lifecycle == 'spot':
                raise AwsError('InvalidParameterCombination', 'Spot Instances cannot be launched into a Capacity '
                               'Reservation.', 400)
            if (reservation['ReservationType'] == 'capacity-block') != (lifecycle == 'capacity-block'):
                raise AwsError('InvalidParameterCombination', "The market type 'capacity-block' is required to launch "
                               "into Capacity Block %s, and only into a Capacity Block." % reservation_id, 400)
            if reservation['InstanceType'] != instance_type or reservation['AvailabilityZone'] != zone:
                raise AwsError('InvalidParameterCombination', "The Capacity Reservation %s is for %s in %s; the "
                               "request is for %s in %s." % (reservation_id, reservation['InstanceType'],
                                                             reservation['AvailabilityZone'], instance_type, zone),
                               400)
            free = self._reservation_free(r, reservation)
            if free < min_count:
                raise AwsError('ReservationCapacityExceeded', 'The requested number of instances exceeds the '
                               'available capacity in the Capacity Reservation %s (%d available).'
                               % (reservation_id, free), 400)
            count = min(count, free)
        elif lifecycle == 'capacity-block':
            raise AwsError('InvalidParameterCombination', "The market type 'capacity-block' requires a "
                           "CapacityReservationTarget naming the Capacity Block.", 400)
        if lifecycle != 'capacity-block':
            count = self._check_quota(region, instance_type, info, market, count, min_count)
        rule = None
        if reservation is None:
            def live(iid):
                return self.instance_state(region, iid) in ('pending', 'running')
            allowed, rule = self.capacity.allows(instance_type, zone, market, live)
            if allowed < min_count:
                others = [z for z in offered if z != zone and self.capacity.allows(instance_type, z, market, live)[0] > 0]
                raise cap.insufficient_capacity(instance_type, zone, market, others)
            count = int(min(count, allowed))
        rid = 'r-' + _hex(9)[:17]
        now = ctx.now() if ctx else datetime.datetime.now(datetime.timezone.utc)
        ids = []
        for n in range(count):
            iid = 'i-' + _hex(9)[:17]
            r.ip_counter += 1
            host = r.ip_counter
            private_ip = '172.31.%d.%d' % (host // 250 % 250, host % 250 + 2)
            public_ip = '198.51.100.%d' % (host % 250 + 2)
            with self.lock:
                node = self._take_node(iid)
            if node:
                private_ip = public_ip = node
            inst = {
                'InstanceId': iid, 'ImageId': image_id, 'InstanceType': instance_type,
                'State': {'Code': PENDING[0], 'Name': PENDING[1]}, 'since': datetime.datetime.now(datetime.timezone.utc),
                'PrivateIpAddress': private_ip, 'PublicIpAddress': public_ip,
                'PrivateDnsName': 'ip-%s.ec2.internal' % private_ip.replace('.', '-'),
                'PublicDnsName': 'ec2-%s.compute-1.amazonaws.com' % public_ip.replace('.', '-'),
                'SubnetId': subnet['SubnetId'], 'VpcId': subnet['VpcId'],
                'Placement': {'AvailabilityZone': subnet['AvailabilityZone'], 'Tenancy': 'default',
                              **({'GroupName': placement['GroupName']} if placement.get('GroupName') else {})},
                'LaunchTime': now.replace(microsecond=0), 'AmiLaunchIndex': n, 'ClientToken': token or '',
                'SecurityGroups': groups, 'Architecture': 'x86_64', 'RootDeviceName': '/dev/sda1',
                'RootDeviceType': 'ebs', 'Hypervisor': 'xen', 'VirtualizationType': 'hvm',
                'Tags': dict(tags or {}), 'owner': ctx.account if ctx else self.sandbox.account,
            }
            if node:
                inst['node_address'] = node
                inst['PrivateDnsName'] = node
                inst['PublicDnsName'] = node
            if not subnet.get('MapPublicIpOnLaunch', True):
                del inst['PublicIpAddress']
                inst['PublicDnsName'] = ''
            if key_name:
                inst['KeyName'] = key_name
            if lifecycle:
                inst['InstanceLifecycle'] = lifecycle
            inst['Architecture'] = info['arch']
            if reservation is not None:
                inst['CapacityReservationId'] = reservation_id
            if network_interfaces:
                inst['efa_interfaces'] = sum(1 for n in network_interfaces
                                             if str(n.get('InterfaceType', '')).startswith('efa'))
            if profile:
                arn = profile.get('Arn') or 'arn:aws:iam::%s:instance-profile/%s' % (inst['owner'], profile.get('Name'))
                inst['IamInstanceProfile'] = {'Arn': arn, 'Id': 'AIPA' + _hex(8).upper()}
            if block_devices:
                inst['BlockDeviceMappings'] = [
                    {'DeviceName': b['DeviceName'],
                     'Ebs': {'VolumeId': 'vol-' + _hex(8), 'Status': 'attached',
                             'DeleteOnTermination': b.get('Ebs', {}).get('DeleteOnTermination', True),
                             'AttachTime': now.replace(microsecond=0)}}
                    for b in block_devices]
            self.console.on_launch(inst)
            r.instances[iid] = inst
            ids.append(iid)
        r.reservations[rid] = ids
        self.capacity.consumed(rule, ids)
        return rid, ids

    # ---- capacity, offerings, reservations, quotas and EFA (see _ec2_capacity.py)
    def zones(self, region):
        return [region + z for z in 'abc']

    def offered_zones(self, region, itype):
        zones = self.zones(region)
        if itype in self.offerings:
            return [z for z in zones if z in self.offerings[itype]]
        if itype == 'p5.48xlarge':
            return zones[1:2]   # the default: p5 only in the region's second zone
        return zones

    def _live_ids(self, r):
        return [iid for iid, i in r.instances.items() if self.instance_state(r.name, iid) in ('pending', 'running')]

    def _reservation_free(self, r, res):
        used = sum(1 for iid in self._live_ids(r) if r.instances[iid].get('CapacityReservationId')
                   == res['CapacityReservationId'])
        return max(0, res['TotalInstanceCount'] - used)

    def vcpus_in_use(self, region, code):
        """vCPUs of the running and pending instances counting against a quota code."""
        r = self.region(region)
        total = 0
        for iid in self._live_ids(r):
            inst = r.instances[iid]
            if inst.get('InstanceLifecycle') == 'capacity-block':
                continue
            market = 'spot' if inst.get('InstanceLifecycle') == 'spot' else 'on-demand'
            if cap.quota_of(inst['InstanceType'], market)[0] == code:
                total += cap.type_info(inst['InstanceType'])['vcpus']
        return total

    def _check_quota(self, region, itype, info, market, count, min_count):
        quotas = self.sandbox.services.get('servicequotas')
        if quotas is None:
            return count
        code = cap.quota_of(itype, market)[0]
        limit = quotas.value(region, 'ec2', code)
        room = int((limit - self.vcpus_in_use(region, code)) // info['vcpus'])
        if room < min_count:
            raise cap.max_spot() if market == 'spot' else cap.vcpu_limit(limit)
        return min(count, room)

    def _check_efa(self, r, itype, info, interfaces, placement, group_ids):
        efa = [n for n in interfaces or [] if str(n.get('InterfaceType', '')) in ('efa', 'efa-only')]
        if not efa:
            return
        if not info['efa']:
            raise AwsError('InvalidParameterCombination', '%s instances do not support Elastic Fabric Adapters.'
                           % itype, 400)
        for n in interfaces:
            if int(n.get('NetworkCardIndex', 0) or 0) >= info['cards']:
                raise cap.unsupported_configuration()
        if not placement.get('GroupName'):
            raise AwsError('InvalidParameterCombination', 'An instance with an Elastic Fabric Adapter must be '
                           'launched into a cluster placement group.', 400)
        for n in efa:
            for gid in n.get('Groups') or group_ids:
                g = r.groups.get(gid)
                if g is None:
                    raise _not_found('group', gid)
                inbound = any(p['IpProtocol'] == '-1' and gid in p.get('groups', []) for p in g['ingress'])
                outbound = any(p['IpProtocol'] == '-1' and gid in p.get('groups', []) for p in self._egress(g))
                if not (inbound and outbound):
                    raise AwsError('InvalidParameterCombination', 'The EFA must be a member of a security group '
                                   'that allows all inbound and outbound traffic to and from the security group '
                                   'itself; %s has no such %s rule.' % (gid, 'inbound' if not inbound else
                                                                        'outbound'), 400)

    @staticmethod
    def _egress(g):
        if 'egress' in g:
            return g['egress']
        return [{'IpProtocol': '-1', 'cidrs': ['0.0.0.0/0'], 'groups': []}]

    def terminate(self, region, ids):
        """shutting-down now, terminated after the transition delay; returns state changes."""
        r = self.region(region)
        out = []
        for iid in ids:
            inst = r.instances[iid]
            self._advance(inst)
            prev = dict(inst['State'])
            if prev['Name'] != TERMINATED[1]:
                if prev['Name'] != SHUTTING_DOWN[1]:
                    self.chaos.terminated(inst)   # the node's processes die (_ec2_chaos.py)
                inst['State'] = {'Code': SHUTTING_DOWN[0], 'Name': SHUTTING_DOWN[1]}
                inst['since'] = datetime.datetime.now(datetime.timezone.utc)
            out.append({'InstanceId': iid, 'PreviousState': prev, 'CurrentState': dict(inst['State'])})
        return out

    def stop(self, region, ids):
        """stopping now, stopped after the transition delay; returns state changes."""
        r = self.region(region)
        for iid in ids:
            inst = r.instances[iid]
            self._advance(inst)
            if inst.get('InstanceLifecycle') == 'spot':
                raise AwsError('UnsupportedOperation', 'The instance \'%s\' is a spot instance, which cannot be '
                               'stopped.' % iid, 400)
            if inst['State']['Name'] not in (RUNNING[1], STOPPING[1], STOPPED[1]):
                raise AwsError('IncorrectInstanceState', 'This instance \'%s\' is not in a state from which it can '
                               'be stopped.' % iid, 400)
        out = []
        for iid in ids:
            inst = r.instances[iid]
            prev = dict(inst['State'])
            if prev['Name'] == RUNNING[1]:
                inst['State'] = {'Code': STOPPING[0], 'Name': STOPPING[1]}
                inst['since'] = datetime.datetime.now(datetime.timezone.utc)
            out.append({'InstanceId': iid, 'PreviousState': prev, 'CurrentState': dict(inst['State'])})
        return out

    def start(self, region, ids):
        """pending now (running after the transition delay) for stopped instances."""
        r = self.region(region)
        for iid in ids:
            inst = r.instances[iid]
            self._advance(inst)
            if inst['State']['Name'] not in (PENDING[1], RUNNING[1], STOPPED[1]):
                raise AwsError('IncorrectInstanceState', 'The instance \'%s\' is not in a state from which it can '
                               'be started.' % iid, 400)
        out = []
        for iid in ids:
            inst = r.instances[iid]
            prev = dict(inst['State'])
            if prev['Name'] == STOPPED[1]:
                inst['State'] = {'Code': PENDING[0], 'Name': PENDING[1]}
                inst['since'] = datetime.datetime.now(datetime.timezone.utc)
                inst['restarted'] = True
                if 'stopped_public' in inst:
                    inst['PublicIpAddress'], inst['PublicDnsName'] = inst.pop('stopped_public')
            out.append({'InstanceId': iid, 'PreviousState': prev, 'CurrentState': dict(inst['State'])})
        return out

    def restarted(self, region, iid):
        """Whether the instance was started again after a stop (Auto Scaling keeps it InService)."""
        inst = self.region(region).instances.get(iid)
        return bool(inst and inst.get('restarted'))

    def instance_state(self, region, iid):
        inst = self.region(region).instances.get(iid)
        if inst is None:
            return None
        self._advance(inst)
        return inst['State']['Name']

    # ---- instances
    def RunInstances(self, ctx, params):
        r = self.region(ctx.region)
        mn, mx = params['MinCount'], params['MaxCount']
        if mn < 1 or mx < mn:
            raise AwsError('InvalidParameterValue', 'Invalid value for MinCount/MaxCount: %d/%d' % (mn, mx), 400)
        token = params.get('ClientToken', '')
        if token:
            fingerprint = json.dumps({k: v for k, v in params.items() if k != 'ClientToken'}, sort_keys=True,
                                     default=str)
            seen = r.tokens.get(token)
            if seen:
                if seen[0] != fingerprint:
                    raise AwsError('IdempotentParameterMismatch',
                                   'Arguments on this idempotent request are inconsistent with arguments used in '
                                   'previous request(s).', 400)
                return self._reservation_out(r, seen[1], r.reservations[seen[1]])
        tags = {}
        for spec in params.get('TagSpecifications', []):
            if spec.get('ResourceType') == 'instance':
                tags.update({t['Key']: t.get('Value', '') for t in spec.get('Tags', [])})
        if 'UserData' in params:
            try:
                base64.b64decode(params['UserData'].encode(), validate=True)
            except Exception:
                raise AwsError('InvalidParameterValue', 'Invalid BASE64 encoding of user data.', 400)
        market = (params.get('InstanceMarketOptions') or {}).get('MarketType')
        interfaces = params.get('NetworkInterfaces') or []
        primary = next((n for n in interfaces if n.get('DeviceIndex', 0) == 0 and n.get('NetworkCardIndex', 0) == 0),
                       interfaces[0] if interfaces else {})
        groups = list(params.get('SecurityGroupIds', []))
        for n in interfaces:
            groups.extend(g for g in n.get('Groups') or [] if g not in groups)
        target = ((params.get('CapacityReservationSpecification') or {}).get('CapacityReservationTarget') or {})
        rid, ids = self.launch(ctx, ctx.region, params['ImageId'], params.get('InstanceType', 'm1.small'), mx,
                               subnet_id=params.get('SubnetId') or primary.get('SubnetId'), group_ids=groups,
                               key_name=params.get('KeyName'), tags=tags, token=token,
                               placement=params.get('Placement'), profile=params.get('IamInstanceProfile'),
                               lifecycle=market if market in ('spot', 'capacity-block') else None,
                               block_devices=params.get('BlockDeviceMappings'), network_interfaces=interfaces,
                               reservation_id=target.get('CapacityReservationId'), min_count=mn)
        if token:
            r.tokens[token] = (fingerprint, rid)
        return self._reservation_out(r, rid, ids)

    def bootstrap_failed(self, region, iid):
        """Whether the instance's user data fails (a bootstrap-failures rule took it)."""
        return self.console.failed(self.region(region).instances.get(iid))

    def GetConsoleOutput(self, ctx, params):
        tick(self.sandbox)
        r = self.region(ctx.region)
        inst = r.instances.get(params['InstanceId'])
        if inst is None:
            raise _not_found('instance', params['InstanceId'])
        self._dry_run(params)
        self._advance(inst)
        since = inst.get('first_running')
        out = {'InstanceId': inst['InstanceId'], 'Timestamp': datetime.datetime.now(datetime.timezone.utc)}
        text = self.console.output(inst, since)
        if text is not None:
            # Only the most recent 64 KB is kept, as on AWS.
            out['Output'] = base64.b64encode(text.encode()[-65536:]).decode()
        return out

    def _instance_filter(self, inst, name, values):
        t = _tags_match(inst['Tags'], name, values)
        if t is not None:
            return t
        fields = {
            'instance-id': inst['InstanceId'], 'instance-state-name': inst['State']['Name'],
            'instance-state-code': inst['State']['Code'], 'instance-type': inst['InstanceType'],
            'image-id': inst['ImageId'], 'vpc-id': inst['VpcId'], 'subnet-id': inst['SubnetId'],
            'availability-zone': inst['Placement']['AvailabilityZone'], 'key-name': inst.get('KeyName'),
            'client-token': inst['ClientToken'], 'private-ip-address': inst.get('PrivateIpAddress'),
            'ip-address': inst.get('PublicIpAddress'), 'instance-lifecycle': inst.get('InstanceLifecycle'),
            'placement-group-name': inst['Placement'].get('GroupName'),
        }
        if name == 'instance.group-id':
            return any(_match(g['GroupId'], values) for g in inst['SecurityGroups'])
        if name not in fields:
            raise AwsError('InvalidParameterValue', "The filter '%s' is invalid" % name, 400)
        return _match(fields[name], values)

    def DescribeInstances(self, ctx, params):
        tick(self.sandbox)
        r = self.region(ctx.region)
        ids = params.get('InstanceIds', [])
        if ids and 'MaxResults' in params:
            raise AwsError('InvalidParameterCombination',
                           'The parameter instancesSet cannot be used with the parameter maxResults', 400)
        if 'MaxResults' in params and not 5 <= params['MaxResults'] <= 1000:
            raise AwsError('InvalidParameterValue', 'Value ( %d ) for parameter maxResults is invalid. Expecting a '
                           'value between 5 and 1000.' % params['MaxResults'], 400)
        missing = [i for i in ids if i not in r.instances]
        if missing:
            raise _not_found('instance', ', '.join(missing))
        chosen = []
        for iid, inst in r.instances.items():
            self._advance(inst)
            if ids and iid not in ids:
                continue
            if all(self._instance_filter(inst, f['Name'], f.get('Values', [])) for f in params.get('Filters', [])):
                chosen.append(iid)
        page, nxt = _page(chosen, params, default=len(chosen) or 1)
        by_res = {}
        for rid, members in r.reservations.items():
            for iid in members:
                if iid in page:
                    by_res.setdefault(rid, []).append(iid)
        out = {'Reservations': [self._reservation_out(r, rid, members) for rid, members in by_res.items()]}
        if nxt:
            out['NextToken'] = nxt
        return out

    def TerminateInstances(self, ctx, params):
        r = self.region(ctx.region)
        missing = [i for i in params['InstanceIds'] if i not in r.instances]
        if missing:
            raise _not_found('instance', ', '.join(missing))
        return {'TerminatingInstances': self.terminate(ctx.region, params['InstanceIds'])}

    def _dry_run(self, params):
        if params.get('DryRun'):
            raise AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412)

    def StopInstances(self, ctx, params):
        r = self.region(ctx.region)
        missing = [i for i in params['InstanceIds'] if i not in r.instances]
        if missing:
            raise _not_found('instance', ', '.join(missing))
        self._dry_run(params)
        return {'StoppingInstances': self.stop(ctx.region, params['InstanceIds'])}

    def StartInstances(self, ctx, params):
        r = self.region(ctx.region)
        missing = [i for i in params['InstanceIds'] if i not in r.instances]
        if missing:
            raise _not_found('instance', ', '.join(missing))
        self._dry_run(params)
        return {'StartingInstances': self.start(ctx.region, params['InstanceIds'])}

    def DescribeInstanceStatus(self, ctx, params):
        tick(self.sandbox)
        r = self.region(ctx.region)
        ids = params.get('InstanceIds', [])
        missing = [i for i in ids if i not in r.instances]
        if missing:
            raise _not_found('instance', ', '.join(missing))
        now = datetime.datetime.now(datetime.timezone.utc)
        out = []
        for iid, inst in r.instances.items():
            if ids and iid not in ids:
                continue
            self._advance(inst, now)
            running = inst['State']['Name'] == RUNNING[1]
            if not running and not params.get('IncludeAllInstances'):
                continue
            if running:
                ok = (now - inst['since']).total_seconds() >= self.transition_seconds
                status = 'ok' if ok else 'initializing'
            else:
                status = 'not-applicable'
            detail = [{'Name': 'reachability', 'Status': 'passed' if status == 'ok' else status}]
            out.append({'InstanceId': iid, 'AvailabilityZone': inst['Placement']['AvailabilityZone'],
                        'InstanceState': inst['State'],
                        'InstanceStatus': {'Status': status, 'Details': detail},
                        'SystemStatus': {'Status': status, 'Details': detail}})
        page, nxt = _page(out, params, default=len(out) or 1)
        res = {'InstanceStatuses': page}
        if nxt:
            res['NextToken'] = nxt
        return res

    def CreateTags(self, ctx, params):
        r = self.region(ctx.region)
        targets = []
        for rid in params['Resources']:
            for table in (r.instances, r.groups, r.vpcs, r.subnets):
                if rid in table:
                    targets.append(table[rid].setdefault('Tags' if table is r.instances else 'tags', {}))
                    break
            else:
                prefix = rid.split('-')[0]
                kind = {'i': 'instance', 'sg': 'group', 'vpc': 'vpc', 'subnet': 'subnet'}.get(prefix)
                if kind is None:
                    raise AwsError('InvalidID', 'The ID \'%s\' is not valid' % rid, 400)
                raise _not_found(kind, rid)
        for t in targets:
            t.update({tag['Key']: tag.get('Value', '') for tag in params['Tags']})
        return {}

    # ---- catalog
    def DescribeImages(self, ctx, params):
        owners = params.get('Owners', [])
        ids = params.get('ImageIds', [])
        account = ctx.account
        out = []
        for iid, name, created, arch in IMAGES:
            if ids and iid not in ids:
                continue
            if owners and not any(o in ('amazon', '137112412989', '898082745236') for o in owners):
                continue  # every seeded image belongs to Amazon
            img = {'ImageId': iid, 'Name': name, 'CreationDate': created, 'Architecture': arch, 'State': 'available',
                   'OwnerId': '137112412989', 'ImageOwnerAlias': 'amazon', 'Public': True, 'ImageType': 'machine',
                   'RootDeviceType': 'ebs', 'VirtualizationType': 'hvm', 'Description': name}
            fields = {'name': name, 'image-id': iid, 'architecture': arch, 'state': 'available',
                      'owner-alias': 'amazon', 'owner-id': '137112412989', 'is-public': 'true'}
            ok = True
            for f in params.get('Filters', []):
                if f['Name'] not in fields:
                    raise AwsError('InvalidParameterValue', "The filter '%s' is invalid" % f['Name'], 400)
                ok = ok and _match(fields[f['Name']], f.get('Values', []))
            if ok:
                out.append(img)
        del account
        return {'Images': out}

    def DescribeInstanceTypes(self, ctx, params):
        wanted = params.get('InstanceTypes', [])
        unknown = [t for t in wanted if t not in INSTANCE_TYPES]
        if unknown:
            raise AwsError('InvalidInstanceType', 'The following supplied instance types do not exist: [%s]'
                           % ', '.join(unknown), 400)
        out = []
        for name in INSTANCE_TYPES:
            if wanted and name not in wanted:
                continue
            info = cap.describe_type(name)
            fields = {'instance-type': name, 'current-generation': 'true',
                      'processor-info.supported-architecture': info['ProcessorInfo']['SupportedArchitectures'],
                      'network-info.efa-supported': str(info['NetworkInfo']['EfaSupported']).lower(),
                      'vcpu-info.default-vcpus': str(info['VCpuInfo']['DefaultVCpus']),
                      'network-info.maximum-network-cards': str(info['NetworkInfo']['MaximumNetworkCards'])}
            if 'GpuInfo' in info:
                fields['gpu-info.total-gpu-memory-in-mib'] = str(info['GpuInfo']['TotalGpuMemoryInMiB'])
            ok = True
            for f in params.get('Filters', []):
                if f['Name'] not in fields and not f['Name'].startswith('gpu-info.'):
                    raise AwsError('InvalidParameterValue', "The filter '%s' is invalid" % f['Name'], 400)
                v = fields.get(f['Name'])
                vals = v if isinstance(v, list) else [v]
                ok = ok and any(_match(x, f.get('Values', [])) for x in vals)
            if ok:
                out.append(info)
        page, nxt = _page(out, params, default=100)
        res = {'InstanceTypes': page}
        if nxt:
            res['NextToken'] = nxt
        return res

    def DescribeInstanceTypeOfferings(self, ctx, params):
        kind = params.get('LocationType', 'region')
        zones = self.zones(ctx.region)
        out = []
        for name in INSTANCE_TYPES:
            offered = self.offered_zones(ctx.region, name)
            if kind == 'region':
                locations = [ctx.region] if offered else []
            elif kind == 'availability-zone':
                locations = offered
            elif kind == 'availability-zone-id':
                locations = ['use1-az%d' % (zones.index(z) + 1) for z in offered]
            else:
                raise AwsError('InvalidParameterValue', "The value '%s' for LocationType is not supported." % kind, 400)
            for loc in locations:
                fields = {'instance-type': name, 'location': loc}
                ok = True
                for f in params.get('Filters', []):
                    if f['Name'] not in fields:
                        raise AwsError('InvalidParameterValue', "The filter '%s' is invalid" % f['Name'], 400)
                    ok = ok and _match(fields[f['Name']], f.get('Values', []))
                if ok:
                    out.append({'InstanceType': name, 'LocationType': kind, 'Location': loc})
        page, nxt = _page(out, params, default=1000)
        res = {'InstanceTypeOfferings': page}
        if nxt:
            res['NextToken'] = nxt
        return res

    def DescribeCapacityReservations(self, ctx, params):
        r = self.region(ctx.region)
        ids = params.get('CapacityReservationIds', [])
        for i in ids:
            if i not in r.capacity_reservations:
                raise AwsError('InvalidCapacityReservationId.NotFound', "The capacity reservation ID '%s' does not "
                               "exist" % i, 400)
        out = []
        for res in r.capacity_reservations.values():
            if ids and res['CapacityReservationId'] not in ids:
                continue
            o = self._capacity_reservation_out(r, res)
            fields = {'instance-type': o['InstanceType'], 'availability-zone': o['AvailabilityZone'],
                      'state': o['State'], 'reservation-type': o['ReservationType'],
                      'capacity-reservation-id': o['CapacityReservationId']}
            ok = True
            for f in params.get('Filters', []):
                if f['Name'] not in fields:
                    raise AwsError('InvalidParameterValue', "The filter '%s' is invalid" % f['Name'], 400)
                ok = ok and _match(fields[f['Name']], f.get('Values', []))
            if ok:
                known = ctx.model.shape_for('CapacityReservation').members   # older models lack ReservationType
                out.append({k: v for k, v in o.items() if k in known})
        page, nxt = _page(out, params, default=1000)
        res = {'CapacityReservations': page}
        if nxt:
            res['NextToken'] = nxt
        return res

    def DescribeAvailabilityZones(self, ctx, params):
        out = []
        for i, z in enumerate('abc'):
            zone = {'ZoneName': ctx.region + z, 'ZoneId': 'use1-az%d' % (i + 1), 'State': 'available',
                    'RegionName': ctx.region, 'ZoneType': 'availability-zone', 'OptInStatus': 'opt-in-not-required'}
            fields = {'zone-name': zone['ZoneName'], 'zone-id': zone['ZoneId'], 'state': 'available',
                      'region-name': ctx.region}
            if all(_match(fields.get(f['Name']), f.get('Values', [])) for f in params.get('Filters', [])):
                out.append(zone)
        return {'AvailabilityZones': out}

    def DescribeVpcs(self, ctx, params):
        tick(self.sandbox)
        r = self.region(ctx.region)
        ids = params.get('VpcIds', [])
        for v in ids:
            if v not in r.vpcs:
                raise _not_found('vpc', v)
        out = []
        for v in r.vpcs.values():
            fields = {'vpc-id': v['VpcId'], 'is-default': str(v['IsDefault']).lower(),
                      'isDefault': str(v['IsDefault']).lower(), 'cidr': v['CidrBlock'], 'state': v['State']}
            if ids and v['VpcId'] not in ids:
                continue
            if all(_tags_match(v['tags'], f['Name'], f.get('Values', []))
                   if f['Name'].startswith('tag') else _match(fields.get(f['Name']), f.get('Values', []))
                   for f in params.get('Filters', [])):
                out.append({k: val for k, val in v.items() if k != 'tags'})
                if v['tags']:
                    out[-1]['Tags'] = _tag_list(v['tags'])
        return {'Vpcs': out}

    def DescribeSubnets(self, ctx, params):
        tick(self.sandbox)
        r = self.region(ctx.region)
        ids = params.get('SubnetIds', [])
        for s in ids:
            if s not in r.subnets:
                raise _not_found('subnet', s)
        out = []
        for s in r.subnets.values():
            fields = {'subnet-id': s['SubnetId'], 'vpc-id': s['VpcId'], 'availability-zone': s['AvailabilityZone'],
                      'default-for-az': str(s['DefaultForAz']).lower(), 'cidr-block': s['CidrBlock']}
            if ids and s['SubnetId'] not in ids:
                continue
            if all(_tags_match(s['tags'], f['Name'], f.get('Values', []))
                   if f['Name'].startswith('tag') else _match(fields.get(f['Name']), f.get('Values', []))
                   for f in params.get('Filters', [])):
                out.append({k: val for k, val in s.items() if k != 'tags'})
                if s['tags']:
                    out[-1]['Tags'] = _tag_list(s['tags'])
        return {'Subnets': out}

    # ---- security groups
    def _perm_out(self, p):
        q = {'IpProtocol': p['IpProtocol']}
        if 'FromPort' in p:
            q['FromPort'] = p['FromPort']
        if 'ToPort' in p:
            q['ToPort'] = p['ToPort']
        q['IpRanges'] = [{'CidrIp': c} for c in p.get('cidrs', [])]
        q['UserIdGroupPairs'] = [{'GroupId': s, 'UserId': self.sandbox.account} for s in p.get('groups', [])]
        return q

    def _group_out(self, g):
        perms = [self._perm_out(p) for p in g['ingress']]
        out = {'GroupId': g['GroupId'], 'GroupName': g['GroupName'], 'Description': g['Description'],
               'VpcId': g['VpcId'], 'OwnerId': self.sandbox.account, 'IpPermissions': perms,
               'IpPermissionsEgress': [self._perm_out(p) for p in self._egress(g)]}
        if g['tags']:
            out['Tags'] = _tag_list(g['tags'])
        return out

    def DescribeSecurityGroups(self, ctx, params):
        tick(self.sandbox)
        r = self.region(ctx.region)
        ids = params.get('GroupIds', [])
        names = params.get('GroupNames', [])
        for gid in ids:
            if gid not in r.groups:
                raise _not_found('group', gid)
        out = []
        for g in r.groups.values():
            if ids and g['GroupId'] not in ids:
                continue
            if names and g['GroupName'] not in names:
                continue
            fields = {'group-id': g['GroupId'], 'group-name': g['GroupName'], 'vpc-id': g['VpcId'],
                      'description': g['Description']}
            if all(_tags_match(g['tags'], f['Name'], f.get('Values', []))
                   if f['Name'].startswith('tag') else _match(fields.get(f['Name']), f.get('Values', []))
                   for f in params.get('Filters', [])):
                out.append(self._group_out(g))
        return {'SecurityGroups': out}

    def CreateSecurityGroup(self, ctx, params):
        r = self.region(ctx.region)
        vpc = params.get('VpcId') or r.vpc_id
        if vpc not in r.vpcs:
            raise _not_found('vpc', vpc)
        name = params['GroupName']
        if name.startswith('sg-'):
            raise AwsError('InvalidParameterValue', "Group names may not be in the format sg-*", 400)
        if any(g['GroupName'] == name and g['VpcId'] == vpc for g in r.groups.values()):
            raise AwsError('InvalidGroup.Duplicate', "The security group '%s' already exists for VPC '%s'"
                           % (name, vpc), 400)
        gid = 'sg-' + _hex(9)[:17]
        tags = {}
        for spec in params.get('TagSpecifications', []):
            tags.update({t['Key']: t.get('Value', '') for t in spec.get('Tags', [])})
        r.groups[gid] = {'GroupId': gid, 'GroupName': name, 'Description': params['Description'], 'VpcId': vpc,
                         'ingress': [], 'tags': tags}
        out = {'GroupId': gid}
        if tags:
            out['Tags'] = _tag_list(tags)
        return out

    def AuthorizeSecurityGroupEgress(self, ctx, params):
        return self.AuthorizeSecurityGroupIngress(ctx, params, egress=True)

    def AuthorizeSecurityGroupIngress(self, ctx, params, egress=False):
        r = self.region(ctx.region)
        gid = params.get('GroupId')
        if not gid:
            raise AwsError('MissingParameter', 'The request must contain the parameter groupId', 400)
        g = r.groups.get(gid)
        if g is None:
            raise _not_found('group', gid)
        rules = []
        for p in params.get('IpPermissions', []):
            rule = {'IpProtocol': p['IpProtocol']}
            if 'FromPort' in p:
                rule['FromPort'] = p['FromPort']
            if 'ToPort' in p:
                rule['ToPort'] = p['ToPort']
            rule['cidrs'] = [c['CidrIp'] for c in p.get('IpRanges', [])]
            rule['groups'] = [u['GroupId'] for u in p.get('UserIdGroupPairs', [])]
            for src in rule['groups']:
                if src not in r.groups:
                    raise _not_found('group', src)
            existing = self._egress(g) if egress else g['ingress']
            if rule in existing:
                raise AwsError('InvalidPermission.Duplicate', 'the specified rule "peer: %s, %s, ALLOW" already exists'
                               % (','.join(rule['cidrs'] + rule['groups']), rule['IpProtocol']), 400)
            rules.append(rule)
        if egress:
            g['egress'] = self._egress(g) + rules
        else:
            g['ingress'].extend(rules)
        return {'Return': True}

    def DescribeKeyPairs(self, ctx, params):
        r = self.region(ctx.region)
        names = params.get('KeyNames', [])
        ids = params.get('KeyPairIds', [])
        for n in names:
            if n not in r.keys:
                raise _not_found('key', n)
        for i in ids:
            if not any(k['KeyPairId'] == i for k in r.keys.values()):
                raise AwsError('InvalidKeyPair.NotFound', "The key pair ID '%s' does not exist" % i, 400)
        out = []
        for k in r.keys.values():
            if (names and k['KeyName'] not in names) or (ids and k['KeyPairId'] not in ids):
                continue
            fields = {'key-name': k['KeyName'], 'key-pair-id': k['KeyPairId'], 'fingerprint': k['KeyFingerprint']}
            ok = True
            for f in params.get('Filters', []):
                if f['Name'] not in fields:
                    raise AwsError('InvalidParameterValue', "The filter '%s' is invalid" % f['Name'], 400)
                ok = ok and _match(fields[f['Name']], f.get('Values', []))
            if ok:
                out.append(dict(k, KeyType='rsa'))
        return {'KeyPairs': out}

    def DeleteSecurityGroup(self, ctx, params):
        r = self.region(ctx.region)
        gid = params.get('GroupId')
        g = r.groups.get(gid) if gid else None
        if g is None:
            raise _not_found('group', gid or params.get('GroupName'))
        if g['GroupName'] == 'default':
            raise AwsError('CannotDelete', 'the specified group: "%s" name: "default" cannot be deleted by a user'
                           % gid, 400)
        for inst in r.instances.values():
            self._advance(inst)
            if inst['State']['Name'] != TERMINATED[1] and any(s['GroupId'] == gid for s in inst['SecurityGroups']):
                raise AwsError('DependencyViolation', 'resource %s has a dependent object' % gid, 400)
        del r.groups[gid]
        return {}

    # ---- key pairs
    def CreateKeyPair(self, ctx, params):
        r = self.region(ctx.region)
        name = params['KeyName']
        if name in r.keys:
            raise AwsError('InvalidKeyPair.Duplicate', "The keypair '%s' already exists." % name, 400)
        material = ('-----BEGIN RSA PRIVATE KEY-----\n' + base64.b64encode(os.urandom(96)).decode()
                    + '\n-----END RSA PRIVATE KEY-----')
        fp = ':'.join(hashlib.sha1(material.encode()).hexdigest()[i:i + 2] for i in range(0, 40, 2))
        key = {'KeyName': name, 'KeyPairId': 'key-' + _hex(9)[:17], 'KeyFingerprint': fp}
        r.keys[name] = key
        return dict(key, KeyMaterial=material)

    def ImportKeyPair(self, ctx, params):
        r = self.region(ctx.region)
        name = params['KeyName']
        if name in r.keys:
            raise AwsError('InvalidKeyPair.Duplicate', "The keypair '%s' already exists." % name, 400)
        material = params['PublicKeyMaterial']
        if not material.startswith((b'ssh-rsa ', b'ssh-ed25519 ', b'ecdsa-sha2-')):
            raise AwsError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format', 400)
        fp = ':'.join(hashlib.md5(material).hexdigest()[i:i + 2] for i in range(0, 32, 2))
        key = {'KeyName': name, 'KeyPairId': 'key-' + _hex(9)[:17], 'KeyFingerprint': fp}
        r.keys[name] = key
        return dict(key)

    def DescribeKeyPairs(self, ctx, params):
        keys = self.region(ctx.region).keys
        names = params.get('KeyNames', [])
        ids = params.get('KeyPairIds', [])
        for name in names:
            if name not in keys:
                raise _not_found('key', name)
        out = [dict(k) for n, k in keys.items()
               if (not names or n in names) and (not ids or k['KeyPairId'] in ids)]
        for i in ids:
            if not any(k['KeyPairId'] == i for k in out):
                raise AwsError('InvalidKeyPair.NotFound', "The key pair ID '%s' does not exist" % i, 400)
        return {'KeyPairs': out}

    def DeleteKeyPair(self, ctx, params):
        # AWS answers success for a key that does not exist.
        self.region(ctx.region).keys.pop(params.get('KeyName', ''), None)
        return {}


SERVICE = Ec2
