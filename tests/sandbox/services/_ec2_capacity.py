"""What EC2 knows about instance types, where they are offered, how much capacity there is, the
vCPU quotas a launch counts against, and the texts AWS answers with when a launch is refused.

Instance types (DescribeInstanceTypes): the values of the AWS instance type pages / the
DescribeInstanceTypes answers for each type (vCPUs, memory, GPUs, EFA, network cards,
architecture).

Capacity rules (`POST /_sandbox/services/ec2/capacity`): per (instance type, zone, market),
`available` = how many instances launched under the rule may be live at once (0: sold out;
null: unlimited; an instance that terminates gives its place back), `fail_after` = how many more
launches succeed before the rule sells out. The most specific rule (fewest "*") wins; of equally
specific rules the latest. Launches into a capacity reservation use the reservation, not these
rules.

Error texts, and where they come from:
- on-demand shortfall, RunInstances `InsufficientInstanceCapacity` (500): "We currently do not
  have sufficient <type> capacity in the Availability Zone you requested (<zone>). Our system will
  be working on provisioning additional capacity. You can currently get <type> capacity by not
  specifying an Availability Zone in your request or choosing <zones>." (as quoted in
  openshift/installer#7088 and danvk/mapsnap#432);
- spot shortfall, `InsufficientInstanceCapacity`: "There is no Spot capacity available that
  matches your request." (AWS knowledge center, ec2-spot-instance-insufficient-capacity);
- spot quota, `MaxSpotInstanceCountExceeded`: "Max spot instance count exceeded" (the EC2 answer
  quoted in gist lightsofapollo/9d5de02a99cae2a065ed; listed as a fast-failover code by
  aws/aws-parallelcluster-node#673);
- type not offered in the zone, `Unsupported`: "Your requested instance type (<type>) is not
  supported in your requested Availability Zone (<zone>). Please retry your request by not
  specifying an Availability Zone or choosing <zones>." (trailofbits/algo#314);
- on-demand vCPU quota, `VcpuLimitExceeded`: "You have requested more vCPU capacity than your
  current vCPU limit of <n> allows for the instance bucket that the specified instance type
  belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment
  to this limit." (aws/amazon-cloudwatch-agent-test#256, bentoml/bentoctl#202);
- an EFA on a type without EFA: "<type> instances do not support Elastic Fabric Adapters."
  (devopsacademyau/academy#277); a configuration EC2 does not support (an EFA on a network card
  the type does not have): `Unsupported` "The requested configuration is currently not supported.
  Please check the documentation for supported configurations." (openshift/cluster-api-actuator-
  pkg#430, an EFA launch);
- Auto Scaling activities append " Launching EC2 instance failed." to the EC2 message; groups
  with a MixedInstancesPolicy prefix "Could not launch On-Demand Instances. <Code> - " or "Could
  not launch Spot Instances. <Code> - " (gruntwork-io/intro-to-terraform#6 for the activity
  shape; the prefixes as the Auto Scaling console shows them for mixed groups).

Sandbox's own strictness (AWS accepts these launches, the EFA then does not work): an EFA
interface without a cluster placement group, or whose security group lacks the self-referencing
all-traffic rule in and out that the EFA user guide requires ("The EFA must be a member of a
security group that allows all inbound and outbound traffic to and from the security group
itself"), is refused with `InvalidParameterCombination` quoting that requirement."""

import math

from core.errors import AwsError

# name: vcpus, memory MiB, architecture, gpus (count, name, manufacturer, MiB per gpu) or None,
#       efa supported, maximum network cards, maximum network interfaces
INSTANCE_TYPES = {
    'p3.2xlarge': (8, 62464, 'x86_64', (1, 'V100', 'NVIDIA', 16384), False, 1, 4),
    'p3.8xlarge': (32, 249856, 'x86_64', (4, 'V100', 'NVIDIA', 16384), False, 1, 8),
    'p3.16xlarge': (64, 499712, 'x86_64', (8, 'V100', 'NVIDIA', 16384), False, 1, 8),
    'p3dn.24xlarge': (96, 786432, 'x86_64', (8, 'V100', 'NVIDIA', 32768), True, 1, 15),
    'p4d.24xlarge': (96, 1179648, 'x86_64', (8, 'A100', 'NVIDIA', 40960), True, 4, 60),
    'p5.48xlarge': (192, 2097152, 'x86_64', (8, 'H100', 'NVIDIA', 81920), True, 32, 64),
    'g4dn.xlarge': (4, 16384, 'x86_64', (1, 'T4', 'NVIDIA', 16384), False, 1, 3),
    'g4dn.12xlarge': (48, 196608, 'x86_64', (4, 'T4', 'NVIDIA', 16384), True, 1, 8),
    'g5.xlarge': (4, 16384, 'x86_64', (1, 'A10G', 'NVIDIA', 24576), False, 1, 4),
    'g5.12xlarge': (48, 196608, 'x86_64', (4, 'A10G', 'NVIDIA', 24576), True, 1, 15),
    'g5.48xlarge': (192, 786432, 'x86_64', (8, 'A10G', 'NVIDIA', 24576), True, 1, 7),
    'g6.xlarge': (4, 16384, 'x86_64', (1, 'L4', 'NVIDIA', 22888), False, 1, 4),
    'g5g.xlarge': (4, 8192, 'arm64', (1, 'T4g', 'NVIDIA', 16384), False, 1, 4),
    'c5.xlarge': (4, 8192, 'x86_64', None, False, 1, 4),
    'c5n.18xlarge': (72, 196608, 'x86_64', None, True, 1, 15),
    'm5.xlarge': (4, 16384, 'x86_64', None, False, 1, 4),
    't3.micro': (2, 1024, 'x86_64', None, False, 1, 2),
    'trn1.32xlarge': (128, 524288, 'x86_64', None, True, 8, 40),
}

MARKETS = ('on-demand', 'spot')


def type_info(name):
    t = INSTANCE_TYPES.get(name)
    if t is None:
        return None
    vcpus, mem, arch, gpus, efa, cards, enis = t
    return {'vcpus': vcpus, 'memory': mem, 'arch': arch, 'gpus': gpus, 'efa': efa, 'cards': cards, 'enis': enis}


def describe_type(name):
    """The DescribeInstanceTypes entry of one type."""
    i = type_info(name)
    info = {'InstanceType': name, 'CurrentGeneration': True, 'BareMetal': False, 'Hypervisor': 'nitro',
            'SupportedUsageClasses': ['on-demand', 'spot'], 'SupportedRootDeviceTypes': ['ebs'],
            'SupportedVirtualizationTypes': ['hvm'],
            'ProcessorInfo': {'SupportedArchitectures': [i['arch']]},
            'VCpuInfo': {'DefaultVCpus': i['vcpus']}, 'MemoryInfo': {'SizeInMiB': i['memory']},
            'NetworkInfo': {'EfaSupported': i['efa'], 'MaximumNetworkCards': i['cards'],
                            'MaximumNetworkInterfaces': i['enis'], 'DefaultNetworkCardIndex': 0,
                            'EnaSupport': 'required',
                            'NetworkCards': [{'NetworkCardIndex': n, 'MaximumNetworkInterfaces':
                                              max(1, i['enis'] // i['cards'])} for n in range(i['cards'])]},
            'PlacementGroupInfo': {'SupportedStrategies': ['cluster', 'partition', 'spread']}}
    if i['efa']:
        info['NetworkInfo']['EfaInfo'] = {'MaximumEfaInterfaces': i['cards']}
    if i['gpus']:
        count, gname, maker, gmem = i['gpus']
        info['GpuInfo'] = {'Gpus': [{'Name': gname, 'Manufacturer': maker, 'Count': count,
                                     'MemoryInfo': {'SizeInMiB': gmem}}],
                           'TotalGpuMemoryInMiB': gmem * count}
    return info


# ---- vCPU quotas (Service Quotas, service code ec2): bucket -> (on-demand, spot) (code, name)
QUOTAS = {
    'standard': (('L-1216C47A', 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances'),
                 ('L-34B43A08', 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests')),
    'p': (('L-417A185B', 'Running On-Demand P instances'), ('L-7212CCBC', 'All P Spot Instance Requests')),
    'g': (('L-DB2E81BA', 'Running On-Demand G and VT instances'),
          ('L-3819A6DF', 'All G and VT Spot Instance Requests')),
    'trn': (('L-2C3B7624', 'Running On-Demand Trn instances'), ('L-6B0D517C', 'All Trn Spot Instance Requests')),
    'inf': (('L-1945791B', 'Running On-Demand Inf instances'), ('L-B5D1601B', 'All Inf Spot Instance Requests')),
}
# What AWS gives a new account (GetAWSDefaultServiceQuota) ...
AWS_DEFAULTS = {'L-1216C47A': 5.0, 'L-34B43A08': 5.0}
# ... and what the sandbox's account has (GetServiceQuota): large enough for every test.
SANDBOX_DEFAULT = 4096.0


def bucket(itype):
    family = itype.split('.')[0]
    for prefix, b in (('trn', 'trn'), ('inf', 'inf'), ('vt', 'g'), ('p', 'p'), ('g', 'g')):
        if family.startswith(prefix):
            return b
    return 'standard'


def quota_of(itype, market):
    od, spot = QUOTAS[bucket(itype)]
    return spot if market == 'spot' else od


# ---- error texts (sources in the module docstring)
def insufficient_capacity(itype, zone, market, other_zones):
    if market == 'spot':
        return AwsError('InsufficientInstanceCapacity', 'There is no Spot capacity available that matches your '
                        'request.', 500)
    msg = ('We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). Our '
           'system will be working on provisioning additional capacity.' % (itype, zone))
    if other_zones:
        msg += (' You can currently get %s capacity by not specifying an Availability Zone in your request or '
                'choosing %s.' % (itype, ', '.join(other_zones)))
    return AwsError('InsufficientInstanceCapacity', msg, 500)


def unsupported_in_zone(itype, zone, other_zones):
    msg = 'Your requested instance type (%s) is not supported in your requested Availability Zone (%s).' % (
        itype, zone)
    if other_zones:
        msg += ' Please retry your request by not specifying an Availability Zone or choosing %s.' % (
            ', '.join(other_zones))
    return AwsError('Unsupported', msg, 400)


def vcpu_limit(limit):
    return AwsError('VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit of %d '
                    'allows for the instance bucket that the specified instance type belongs to. Please visit '
                    'http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.'
                    % int(limit), 400)


def max_spot():
    return AwsError('MaxSpotInstanceCountExceeded', 'Max spot instance count exceeded', 400)


def unsupported_configuration():
    return AwsError('Unsupported', 'The requested configuration is currently not supported. Please check the '
                    'documentation for supported configurations.', 400)


def activity_message(error, mixed, market):
    """An Auto Scaling activity's StatusMessage for a launch EC2 refused."""
    text = error.message if error.message.endswith('.') else error.message + '.'
    if mixed:
        kind = 'Spot' if market == 'spot' else 'On-Demand'
        return 'Could not launch %s Instances. %s - %s Launching EC2 instance failed.' % (kind, error.code, text)
    return '%s Launching EC2 instance failed.' % text


# ---- capacity rules
class CapacityRules:
    def __init__(self):
        self.rules = []
        self.serial = 0

    def add(self, body):
        if not isinstance(body, dict):
            raise AwsError('InvalidParameterValue', 'a capacity rule is a JSON object', 400)
        itype = body.get('instance_type', '*')
        zone = body.get('zone', '*')
        market = body.get('market', '*')
        if not isinstance(itype, str) or (itype != '*' and itype not in INSTANCE_TYPES):
            raise AwsError('InvalidParameterValue', 'instance_type: "*" or one of %s' % ', '.join(INSTANCE_TYPES), 400)
        if not isinstance(zone, str):
            raise AwsError('InvalidParameterValue', 'zone: "*" or a zone name', 400)
        if market not in MARKETS + ('*',):
            raise AwsError('InvalidParameterValue', 'market: "on-demand", "spot" or "*"', 400)
        available = body.get('available')
        fail_after = body.get('fail_after')
        for name, v in (('available', available), ('fail_after', fail_after)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise AwsError('InvalidParameterValue', '%s: a whole number >= 0 or null' % name, 400)
        # A rule for the same (type, zone, market) replaces the older one.
        self.rules = [r for r in self.rules if (r['instance_type'], r['zone'], r['market']) != (itype, zone, market)]
        self.serial += 1
        rule = {'id': self.serial, 'instance_type': itype, 'zone': zone, 'market': market, 'available': available,
                'fail_after': fail_after, 'launched': 0, 'ids': []}
        self.rules.append(rule)
        return rule

    def listing(self, live):
        out = []
        for r in self.rules:
            n = sum(1 for i in r['ids'] if live(i))
            out.append({'id': r['id'], 'instance_type': r['instance_type'], 'zone': r['zone'], 'market': r['market'],
                        'available': r['available'], 'fail_after': r['fail_after'], 'launched': r['launched'],
                        'live': n})
        return out

    def rule_for(self, itype, zone, market):
        best = None
        for r in self.rules:
            if (r['instance_type'] not in ('*', itype) or r['zone'] not in ('*', zone)
                    or r['market'] not in ('*', market)):
                continue
            score = (r['instance_type'] != '*') + (r['zone'] != '*') + (r['market'] != '*')
            if best is None or score >= best[0]:
                best = (score, r)
        return best[1] if best else None

    def allows(self, itype, zone, market, live):
        """How many more instances may launch now (math.inf: no limit), and the rule deciding it."""
        r = self.rule_for(itype, zone, market)
        if r is None:
            return math.inf, None
        n = math.inf
        if r['available'] is not None:
            n = max(0, r['available'] - sum(1 for i in r['ids'] if live(i)))
        if r['fail_after'] is not None:
            n = min(n, max(0, r['fail_after'] - r['launched']))
        return n, r

    @staticmethod
    def consumed(rule, ids):
        if rule is not None:
            rule['launched'] += len(ids)
            rule['ids'].extend(ids)
