"""What creating, updating and deleting each resource type does in the sandbox.

Types with real effects elsewhere in the sandbox:
  AWS::EC2::VPC / Subnet / SecurityGroup / SecurityGroupIngress  -> EC2 state (DescribeVpcs,
      DescribeSubnets, DescribeSecurityGroups show them; a VPC gets its default group)
  AWS::AutoScaling::AutoScalingGroup -> an Auto Scaling group (autoscaling.py) launching EC2
      instances with its launch template's image, type, key, security groups, instance
      profile and block devices, in the VPCZoneIdentifier subnets, with its tags and
      aws:cloudformation:{stack-name,stack-id,logical-id} propagated to the instances
  AWS::EFS::FileSystem / MountTarget -> the EFS store (efs.py)
Every other type (IAM, SQS, SNS, Lambda, EIP, NAT gateway, route tables, placement group,
launch template, wait condition handle, ...) is a stored record: a physical id shaped like
AWS's and the GetAtt values the specification lists.

A handler's create() returns (physical id, attributes) or raises Failure(reason); poll()
says whether a resource in progress has finished (creation policies, wait conditions,
capacity); delete() and poll_delete() undo it."""

import ipaddress
import json
import os
import random
import re
import string
import urllib.parse

from core.errors import AwsError
from services import _cfn_spec
from services.autoscaling import mixed_policy

DONE, WAIT = 'done', 'wait'


class Failure(Exception):
    pass


def hex17():
    return os.urandom(9).hex()[:17]


def suffix(n=13):
    return ''.join(random.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def iso_seconds(text, default):
    """PT30M / PT1H5M10S / 600 -> seconds."""
    if text is None:
        return default
    if isinstance(text, (int, float)) or (isinstance(text, str) and text.isdigit()):
        return float(text)
    m = re.fullmatch(r'PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?', str(text))
    if not m or not any(m.groups()):
        raise Failure('Invalid timeout %s' % text)
    h, mi, s = (int(x or 0) for x in m.groups())
    return float(h * 3600 + mi * 60 + s)


def tags_of(props, key='Tags'):
    return {t['Key']: str(t.get('Value', '')) for t in props.get(key) or [] if isinstance(t, dict) and 'Key' in t}


def _int(props, name, default=None):
    v = props.get(name, default)
    try:
        return int(v)
    except (TypeError, ValueError):
        raise Failure('Property validation failure: [Value of property {/%s} does not match type {Integer}]' % name)


class Handler:
    """A stored record: physical id and spec attributes, no effect elsewhere."""
    prefix = None       # physical ids like "<prefix>-<17 hex>"; None: "<stack>-<LogicalId>-<RANDOM>"

    def physical(self, env, lid, props):
        return '%s-%s' % (self.prefix, hex17()) if self.prefix else env.name(lid)

    def attributes(self, env, lid, physical, props):
        out = {}
        for name, a in _cfn_spec.spec_attributes(env.type_of(lid)).items():
            if name in ('Arn',):
                out[name] = env.arn(env.type_of(lid), physical)
            elif name.endswith('Id') and a.get('PrimitiveType') == 'String':
                out[name] = physical   # InternetGatewayId, RouteTableId, ...: the physical id itself
            elif a.get('Type') == 'List':
                out[name] = []
            else:
                out[name] = '%s-%s' % (physical, name)
        return out

    def create(self, env, lid, props):
        physical = self.physical(env, lid, props)
        return physical, self.attributes(env, lid, physical, props)

    def poll(self, env, lid, rec, now):
        return DONE

    def update(self, env, lid, rec, props):
        return rec['attrs']

    def delete(self, env, lid, rec):
        pass

    def poll_delete(self, env, lid, rec):
        return True


class Vpc(Handler):
    def create(self, env, lid, props):
        r = env.ec2_region()
        vid = 'vpc-' + hex17()
        r.vpcs[vid] = {'VpcId': vid, 'CidrBlock': props['CidrBlock'], 'State': 'available', 'IsDefault': False,
                       'InstanceTenancy': props.get('InstanceTenancy', 'default'), 'OwnerId': env.account,
                       'DhcpOptionsId': 'dopt-' + hex17(), 'tags': env.tags(lid, props)}
        gid = 'sg-' + hex17()
        r.groups[gid] = {'GroupId': gid, 'GroupName': 'default', 'Description': 'default VPC security group',
                         'VpcId': vid, 'ingress': [{'IpProtocol': '-1', 'cidrs': [], 'groups': [gid]}], 'tags': {}}
        return vid, {'VpcId': vid, 'CidrBlock': props['CidrBlock'], 'DefaultSecurityGroup': gid,
                     'DefaultNetworkAcl': 'acl-' + hex17(), 'CidrBlockAssociations': ['vpc-cidr-assoc-' + hex17()],
                     'Ipv6CidrBlocks': []}

    def update(self, env, lid, rec, props):
        v = env.ec2_region().vpcs.get(rec['physical'])
        if v is not None:
            v['tags'] = env.tags(lid, props)
        return rec['attrs']

    def delete(self, env, lid, rec):
        r = env.ec2_region()
        r.vpcs.pop(rec['physical'], None)
        for gid in [g for g, grp in r.groups.items() if grp['VpcId'] == rec['physical']]:
            del r.groups[gid]


class Subnet(Handler):
    def create(self, env, lid, props):
        r = env.ec2_region()
        vpc = r.vpcs.get(props['VpcId'])
        if vpc is None:
            raise Failure("The vpc ID '%s' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: "
                          "InvalidVpcID.NotFound)" % props['VpcId'])
        zone = props.get('AvailabilityZone') or env.zones()[0]
        if zone not in env.zones():
            raise Failure("Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created "
                          "in the following availability zones: %s." % (zone, ', '.join(env.zones())))
        cidr = props.get('CidrBlock', '')
        try:
            prefix = int(cidr.split('/')[1])
        except (IndexError, ValueError):
            raise Failure("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block." % cidr)
        sid = 'subnet-' + hex17()
        r.subnets[sid] = {'SubnetId': sid, 'VpcId': vpc['VpcId'], 'AvailabilityZone': zone, 'CidrBlock': cidr,
                          'AvailableIpAddressCount': max(0, 2 ** (32 - prefix) - 5), 'DefaultForAz': False,
                          'MapPublicIpOnLaunch': str(props.get('MapPublicIpOnLaunch', False)).lower() == 'true',
                          'State': 'available', 'tags': env.tags(lid, props)}
        return sid, {'SubnetId': sid, 'VpcId': vpc['VpcId'], 'AvailabilityZone': zone,
                     'AvailabilityZoneId': 'use1-az%d' % (env.zones().index(zone) + 1), 'CidrBlock': cidr,
                     'NetworkAclAssociationId': 'aclassoc-' + hex17(), 'Ipv6CidrBlocks': [], 'OutpostArn': ''}

    # Changing these replaces the subnet (the specification's UpdateType Immutable): the new
    # one is made first, with its own id that every Ref to it then carries, and the old one is
    # deleted; a CIDR block the old subnet still holds conflicts, as on AWS.
    REPLACING = ('AvailabilityZone', 'CidrBlock', 'VpcId')

    def update(self, env, lid, rec, props):
        r = env.ec2_region()
        if any(props.get(k) != rec['props'].get(k) for k in self.REPLACING):
            old = rec['physical']
            cidr = props.get('CidrBlock', '')
            for other in r.subnets.values():
                if other['VpcId'] == props.get('VpcId') and _overlaps(other['CidrBlock'], cidr):
                    raise Failure("The CIDR '%s' conflicts with another subnet (Service: AmazonEC2; Status Code: "
                                  "400; Error Code: InvalidSubnet.Conflict)" % cidr)
            if env.svc.sandbox.services['fsx'].users_of(env.region, subnet=old):
                raise Failure("The subnet '%s' has dependencies and cannot be deleted. (Service: AmazonEC2; Status "
                              "Code: 400; Error Code: DependencyViolation)" % old)
            physical, attrs = self.create(env, lid, props)
            r.subnets.pop(old, None)
            rec['physical'] = physical
            return attrs
        s = r.subnets.get(rec['physical'])
        if s is not None:
            s['tags'] = env.tags(lid, props)
            s['MapPublicIpOnLaunch'] = str(props.get('MapPublicIpOnLaunch', False)).lower() == 'true'
        return rec['attrs']

    def delete(self, env, lid, rec):
        # An FSx file system's interfaces keep the subnet in use, as on AWS.
        if env.svc.sandbox.services['fsx'].users_of(env.region, subnet=rec['physical']):
            raise Failure("The subnet '%s' has dependencies and cannot be deleted. (Service: AmazonEC2; Status Code: "
                          "400; Error Code: DependencyViolation)" % rec['physical'])
        env.ec2_region().subnets.pop(rec['physical'], None)


def _overlaps(a, b):
    try:
        return ipaddress.ip_network(a, strict=False).overlaps(ipaddress.ip_network(b, strict=False))
    except ValueError:
        return False


def _rule(p, peer='SourceSecurityGroupId'):
    rule = {'IpProtocol': str(p.get('IpProtocol', '-1'))}
    for k in ('FromPort', 'ToPort'):
        if k in p and rule['IpProtocol'] != '-1':
            rule[k] = int(p[k])
    rule['cidrs'] = [p['CidrIp']] if p.get('CidrIp') else []
    rule['groups'] = [p[peer]] if p.get(peer) else []
    return rule


def _egress_rules(props):
    """A SecurityGroup's egress: its SecurityGroupEgress, else AWS's default allow-all."""
    if props.get('SecurityGroupEgress') is None:
        return [{'IpProtocol': '-1', 'cidrs': ['0.0.0.0/0'], 'groups': []}]
    return [_rule(p, 'DestinationSecurityGroupId') for p in props['SecurityGroupEgress']]


class SecurityGroup(Handler):
    def create(self, env, lid, props):
        r = env.ec2_region()
        vpc = props.get('VpcId') or r.vpc_id
        if vpc not in r.vpcs:
            raise Failure("The vpc ID '%s' does not exist" % vpc)
        name = props.get('GroupName') or env.name(lid, 255)
        if any(g['GroupName'] == name and g['VpcId'] == vpc for g in r.groups.values()):
            raise Failure("The security group '%s' already exists for VPC '%s'" % (name, vpc))
        gid = 'sg-' + hex17()
        rules = []
        for p in props.get('SecurityGroupIngress') or []:
            rule = _rule(p)
            for src in rule['groups']:
                if src not in r.groups:
                    raise Failure("The security group '%s' does not exist" % src)
            rules.append(rule)
        r.groups[gid] = {'GroupId': gid, 'GroupName': name, 'Description': props['GroupDescription'], 'VpcId': vpc,
                         'ingress': rules, 'egress': _egress_rules(props), 'tags': env.tags(lid, props)}
        return gid, {'GroupId': gid, 'VpcId': vpc}

    def update(self, env, lid, rec, props):
        g = env.ec2_region().groups.get(rec['physical'])
        if g is not None:
            g['tags'] = env.tags(lid, props)
            keep = [x for x in g['ingress'] if x.get('standalone')]
            g['ingress'] = [_rule(p) for p in props.get('SecurityGroupIngress') or []] + keep
            keep = [x for x in g.get('egress', []) if x.get('standalone')]
            g['egress'] = _egress_rules(props) + keep
        return rec['attrs']

    def delete(self, env, lid, rec):
        if env.svc.sandbox.services['fsx'].users_of(env.region, group=rec['physical']):
            raise Failure("resource %s has a dependent object (Service: AmazonEC2; Status Code: 400; Error Code: "
                          "DependencyViolation)" % rec['physical'])
        env.ec2_region().groups.pop(rec['physical'], None)


class SecurityGroupIngress(Handler):
    def create(self, env, lid, props):
        r = env.ec2_region()
        gid = props.get('GroupId')
        g = r.groups.get(gid)
        if g is None:
            raise Failure("The security group '%s' does not exist" % gid)
        rule = _rule(props)
        for src in rule['groups']:
            if src not in r.groups:
                raise Failure("The security group '%s' does not exist" % src)
        rule['standalone'] = lid
        g['ingress'].append(rule)
        return 'sgr-' + hex17(), {'Id': 'sgr-' + hex17()}

    def delete(self, env, lid, rec):
        g = env.ec2_region().groups.get(rec['props'].get('GroupId'))
        if g is not None:
            g['ingress'] = [x for x in g['ingress'] if x.get('standalone') != lid]


class SecurityGroupEgress(Handler):
    def create(self, env, lid, props):
        r = env.ec2_region()
        g = r.groups.get(props.get('GroupId'))
        if g is None:
            raise Failure("The security group '%s' does not exist" % props.get('GroupId'))
        rule = _rule(props, 'DestinationSecurityGroupId')
        for dst in rule['groups']:
            if dst not in r.groups:
                raise Failure("The security group '%s' does not exist" % dst)
        rule['standalone'] = lid
        g['egress'] = env.ec2()._egress(g) + [rule]
        return 'sgr-' + hex17(), {'Id': 'sgr-' + hex17()}

    def delete(self, env, lid, rec):
        g = env.ec2_region().groups.get(rec['props'].get('GroupId'))
        if g is not None and 'egress' in g:
            g['egress'] = [x for x in g['egress'] if x.get('standalone') != lid]


class Eip(Handler):
    def create(self, env, lid, props):
        ip = '198.51.100.%d' % random.randint(2, 250)
        return ip, {'AllocationId': 'eipalloc-' + hex17(), 'PublicIp': ip}


class Prefixed(Handler):
    def __init__(self, prefix):
        self.prefix = prefix


class Route(Handler):
    def create(self, env, lid, props):
        return env.name(lid), {}


class LaunchTemplate(Handler):
    def create(self, env, lid, props):
        ltid = 'lt-' + hex17()
        return ltid, {'LaunchTemplateId': ltid, 'LatestVersionNumber': '1', 'DefaultVersionNumber': '1'}

    def update(self, env, lid, rec, props):
        attrs = dict(rec['attrs'])
        attrs['LatestVersionNumber'] = str(int(attrs['LatestVersionNumber']) + 1)
        return attrs


class PlacementGroup(Handler):
    def create(self, env, lid, props):
        name = props.get('GroupName') or env.name(lid, 255)
        return name, {'GroupName': name}


class IamNamed(Handler):
    """Role / InstanceProfile / User / ManagedPolicy: Ref is the name, Arn and ids as AWS."""

    def __init__(self, kind, name_prop, id_prefix):
        self.kind, self.name_prop, self.id_prefix = kind, name_prop, id_prefix

    def create(self, env, lid, props):
        name = props.get(self.name_prop) or env.name(lid, 64)
        path = props.get('Path', '/')
        arn = 'arn:aws:iam::%s:%s%s%s' % (env.account, self.kind, path, name)
        attrs = {'Arn': arn}
        if self.id_prefix:
            attrs[{'role': 'RoleId', 'policy': 'PolicyId'}.get(self.kind, 'Id')] = \
                self.id_prefix + suffix(17)
        if self.kind == 'policy':
            return arn, dict(attrs, PolicyArn=arn)  # Ref of a managed policy is its ARN
        return name, attrs


class Queue(Handler):
    def create(self, env, lid, props):
        name = props.get('QueueName') or env.name(lid, 80)
        url = 'https://sqs.%s.amazonaws.com/%s/%s' % (env.region, env.account, name)
        return url, {'Arn': 'arn:aws:sqs:%s:%s:%s' % (env.region, env.account, name), 'QueueName': name,
                     'QueueUrl': url}


class Topic(Handler):
    def create(self, env, lid, props):
        name = props.get('TopicName') or env.name(lid, 256)
        arn = 'arn:aws:sns:%s:%s:%s' % (env.region, env.account, name)
        return arn, {'TopicArn': arn, 'TopicName': name}


class Subscription(Handler):
    def create(self, env, lid, props):
        return '%s:%s' % (props.get('TopicArn'), env.uuid()), {}


class Function(Handler):
    def create(self, env, lid, props):
        name = props.get('FunctionName') or env.name(lid, 64)
        return name, {'Arn': 'arn:aws:lambda:%s:%s:function:%s' % (env.region, env.account, name)}


class FileSystem(Handler):
    def create(self, env, lid, props):
        tags = {t['Key']: str(t.get('Value', '')) for t in props.get('FileSystemTags') or []}
        fs = env.efs().create_file_system(env.region, env.account, env.name(lid), tags,
                                          encrypted=str(props.get('Encrypted', False)).lower() == 'true',
                                          performance=props.get('PerformanceMode', 'generalPurpose'),
                                          throughput=props.get('ThroughputMode', 'bursting'))
        return fs['FileSystemId'], {'FileSystemId': fs['FileSystemId'], 'Arn': fs['FileSystemArn']}

    def delete(self, env, lid, rec):
        env.efs().delete_file_system(rec['physical'])


class FsxFileSystem(Handler):
    """AWS::FSx::FileSystem through fsx.py: complete when AVAILABLE; deleted on stack deletion
    unless its DeletionPolicy is Retain (the engine then skips delete())."""

    def create(self, env, lid, props):
        fsx = env.svc.sandbox.services['fsx']
        params = dict(props)
        params['Tags'] = [{'Key': k, 'Value': v} for k, v in env.tags(lid, props).items()]
        try:
            f = fsx.create_file_system(env.region, env.account, params)
        except AwsError as e:
            raise Failure('%s (Service: AmazonFSx; Status Code: 400; Error Code: %s)' % (e.message, e.code))
        return f['FileSystemId'], {'DNSName': f['DNSName'], 'LustreMountName': f['LustreConfiguration']['MountName'],
                                   'ResourceARN': f['ResourceARN'], 'RootVolumeId': ''}

    def poll(self, env, lid, rec, now):
        state = env.svc.sandbox.services['fsx'].lifecycle(rec['physical'])
        if state is None:
            raise Failure('File system %s was deleted' % rec['physical'])
        return DONE if state == 'AVAILABLE' else WAIT

    def delete(self, env, lid, rec):
        env.svc.sandbox.services['fsx'].delete_file_system(rec['physical'])

    def poll_delete(self, env, lid, rec):
        return env.svc.sandbox.services['fsx'].lifecycle(rec['physical']) is None


class MountTarget(Handler):
    def create(self, env, lid, props):
        r = env.ec2_region()
        subnet = r.subnets.get(props.get('SubnetId'))
        if subnet is None:
            raise Failure("The subnet ID '%s' does not exist" % props.get('SubnetId'))
        for g in props.get('SecurityGroups') or []:
            if g not in r.groups:
                raise Failure("The security group '%s' does not exist" % g)
        base = subnet['CidrBlock'].split('/')[0].rsplit('.', 1)[0]
        try:
            mt = env.efs().create_mount_target(env.region, env.account, props.get('FileSystemId'), subnet,
                                               '%s.%d' % (base, random.randint(4, 250)),
                                               props.get('SecurityGroups') or [])
        except AwsError as e:
            raise Failure(e.message)
        return mt['MountTargetId'], {'Id': mt['MountTargetId'], 'IpAddress': mt['IpAddress']}

    def delete(self, env, lid, rec):
        env.efs().delete_mount_target(rec['physical'])


class WaitConditionHandle(Handler):
    def create(self, env, lid, props):
        # The URL the instances would PUT their signal to (no credentials in it: the sandbox
        # plays the instances' part itself).
        url = 'https://cloudformation-waitcondition-%s.s3.amazonaws.com/%s/%s' % (
            env.region, urllib.parse.quote(env.stack_id, safe=''), lid)
        return url, {}


class AutoScalingGroup(Handler):
    """An Auto Scaling group made through autoscaling.py. poll() plays the part of the
    instances' cfn-signal (CreationPolicy: one SUCCESS signal per running instance) and of
    the template's capacity Lambda (a shortfall is accepted down to its MIN_WORKERS by lowering
    the group's desired capacity; below it the group fails to stabilise)."""

    def _launch(self, env, props):
        lt = props.get('LaunchTemplate') or ((props.get('MixedInstancesPolicy') or {}).get('LaunchTemplate') or {}
                                             ).get('LaunchTemplateSpecification') or {}
        data = env.launch_template_data(lt.get('LaunchTemplateId') or lt.get('LaunchTemplateName'))
        if (lt or props.get('MixedInstancesPolicy')) and data is None and lt:
            raise Failure("The specified launch template, with template ID %s, does not exist."
                          % (lt.get('LaunchTemplateId') or lt.get('LaunchTemplateName')))
        data = data or {}
        launch = {}
        if data.get('KeyName'):
            launch['key_name'] = data['KeyName']
        groups = list(data.get('SecurityGroupIds') or [])
        for ni in data.get('NetworkInterfaces') or []:
            groups.extend(ni.get('Groups') or [])
        if groups:
            launch['group_ids'] = groups
        if data.get('IamInstanceProfile'):
            launch['profile'] = data['IamInstanceProfile']
        if data.get('BlockDeviceMappings'):
            launch['block_devices'] = data['BlockDeviceMappings']
        if data.get('NetworkInterfaces'):
            launch['network_interfaces'] = [dict(n, NetworkCardIndex=_int(n, 'NetworkCardIndex', 0))
                                            for n in data['NetworkInterfaces']]
        market = (data.get('InstanceMarketOptions') or {}).get('MarketType')
        if market in ('spot', 'capacity-block'):
            launch['lifecycle'] = market
        target = ((data.get('CapacityReservationSpecification') or {}).get('CapacityReservationTarget') or {})
        if target.get('CapacityReservationId'):
            launch['reservation_id'] = target['CapacityReservationId']
        if (data.get('Placement') or {}).get('GroupName'):
            launch['placement'] = {'GroupName': data['Placement']['GroupName']}
        template = None
        if lt:
            template = {'LaunchTemplateId': env.launch_template_id(lt.get('LaunchTemplateId') or
                                                                   lt.get('LaunchTemplateName')),
                        'Version': str(lt.get('Version', '$Default'))}
        return data.get('ImageId'), data.get('InstanceType'), launch, template

    def create(self, env, lid, props):
        asg = env.autoscaling()
        name = props.get('AutoScalingGroupName') or env.name(lid, 255)
        mn, mx = _int(props, 'MinSize'), _int(props, 'MaxSize')
        desired = _int(props, 'DesiredCapacity', mn)
        image, itype, launch, template = self._launch(env, props)
        subnets = props.get('VPCZoneIdentifier') or []
        if isinstance(subnets, str):
            subnets = [x.strip() for x in subnets.split(',') if x.strip()]
        tags = {}
        propagate = set()
        for t in props.get('Tags') or []:
            tags[t['Key']] = str(t.get('Value', ''))
            if str(t.get('PropagateAtLaunch', False)).lower() == 'true':
                propagate.add(t['Key'])
        for k, v in env.stack_tags(lid).items():
            tags[k] = v
            propagate.add(k)
        try:
            asg.create(env.region, name, mn, mx, desired, image_id=image, instance_type=itype, subnets=subnets,
                       tags=tags, placement_group=props.get('PlacementGroup'), account=env.account,
                       propagate=propagate, launch=launch, launch_template=template,
                       mixed=mixed_policy(props.get('MixedInstancesPolicy')))
        except AwsError as e:
            g = asg.groups.pop((env.region, name), None)
            if g is not None:
                live = asg._live(g)
                if live:
                    env.ec2().terminate(env.region, live)
            raise Failure('%s (Service: AutoScaling; Error Code: %s)' % (e.message, e.code))
        return name, {}

    def _group(self, env, rec):
        return env.autoscaling().groups.get((env.region, rec['physical']))

    def poll(self, env, lid, rec, now):
        g = self._group(env, rec)
        if g is None:
            raise Failure('Auto Scaling group %s was deleted' % rec['physical'])
        asg = env.autoscaling()
        live = asg._live(g)
        policy = rec.get('creation_policy')
        fn = env.capacity_function(g['AutoScalingGroupName'], rec['props'])
        # A group with a creation policy and no capacity function waits for its signals (and
        # times out without them), as on AWS; otherwise a shortfall is judged at once.
        if len(live) < g['DesiredCapacity'] and not rec.get('capacity_checked') and (fn is not None or not policy):
            rec['capacity_checked'] = True
            failed = next((a for a in g['activities'] if a['StatusCode'] == 'Failed'), None)
            cause = failed['StatusMessage'] if failed else 'instances failed to launch'
            if fn is not None and len(live) >= fn['minimum']:
                old = g['DesiredCapacity']
                g['DesiredCapacity'] = len(live)
                env.report_capacity(fn, {'group': g['AutoScalingGroupName'], 'desired': old, 'launched': len(live),
                                         'minimum': fn['minimum'], 'cause': cause, 'action': 'lowered',
                                         'new_desired': len(live)})
                env.event(lid, 'CREATE_IN_PROGRESS', 'Insufficient capacity: %d of %d instances launched; the '
                          'capacity function %s lowered the desired capacity to %d (minimum %d). %s'
                          % (len(live), old, fn['name'], len(live), fn['minimum'], cause))
            else:
                if fn is not None:
                    env.report_capacity(fn, {'group': g['AutoScalingGroupName'], 'desired': g['DesiredCapacity'],
                                             'launched': len(live), 'minimum': fn['minimum'], 'cause': cause,
                                             'action': 'below-minimum'})
                raise Failure('Group did not stabilize. {current/minSize/maxSize} group size = {%d/%d/%d}. Failed '
                              'Scaling Activity: %s' % (len(live), g['MinSize'], g['MaxSize'], cause))
        if not policy:
            return DONE
        for iid in live:
            if env.ec2().instance_state(env.region, iid) == 'running' and iid not in rec.setdefault('signals', {}):
                # An instance whose bootstrap fails (ec2's bootstrap-failures) signals FAILURE, as
                # awsdl's master does when its mount fails.
                status = 'FAILURE' if env.ec2().bootstrap_failed(env.region, iid) else 'SUCCESS'
                rec['signals'][iid] = status
                env.event(lid, 'CREATE_IN_PROGRESS', 'Received %s signal with UniqueId %s' % (status, iid))
        bad = [u for u, st in rec.get('signals', {}).items() if st == 'FAILURE']
        if bad:
            raise Failure('Received 1 FAILURE signal(s) out of %d.  Unable to satisfy 100%% '
                          'MinSuccessfulInstancesPercent requirement' % policy['count'])
        if sum(1 for st in rec.get('signals', {}).values() if st == 'SUCCESS') >= policy['count']:
            return DONE
        if (now - rec['started']).total_seconds() >= policy['timeout']:
            raise Failure('Failed to receive %d resource signal(s) within the specified duration' % policy['count'])
        return WAIT

    def update(self, env, lid, rec, props):
        g = self._group(env, rec)
        if g is None:
            raise Failure('Auto Scaling group %s not found' % rec['physical'])
        mn, mx = _int(props, 'MinSize'), _int(props, 'MaxSize')
        old = rec['props']
        if 'DesiredCapacity' in props and props.get('DesiredCapacity') != old.get('DesiredCapacity'):
            desired = _int(props, 'DesiredCapacity')
        else:
            desired = min(max(g['DesiredCapacity'], mn), mx)
        if not mn <= desired <= mx:
            raise Failure('Desired capacity:%d must be between the specified min size:%d and max size:%d'
                          % (desired, mn, mx))
        image, itype, launch, template = self._launch(env, props)
        asg = env.autoscaling()
        try:
            mixed = mixed_policy(props.get('MixedInstancesPolicy'))
            subnets = props.get('VPCZoneIdentifier') or []
            if isinstance(subnets, str):
                subnets = [x.strip() for x in subnets.split(',') if x.strip()]
            old_subnets = g['VPCZoneIdentifier']
            if subnets:
                asg.set_subnets(g, subnets)
        except AwsError as e:
            raise Failure('%s (Service: AutoScaling; Error Code: %s)' % (e.message, e.code))
        old_pct = g['mixed']['od_pct'] if g['mixed'] else None
        g.update(MinSize=mn, MaxSize=mx, DesiredCapacity=desired)
        if image:
            g['image_id'] = image
        if itype:
            g['instance_type'] = itype
        g['launch'] = launch
        g['mixed'] = mixed
        if mixed and mixed['overrides']:
            g['instance_type'] = mixed['overrides'][0][0]
        if template:
            g['LaunchTemplate'] = template
        # No UpdatePolicy modelled: a new subnet (zone) or a new on-demand share replaces the
        # instances at once (terminate, then launch under the new settings).
        if (subnets and g['VPCZoneIdentifier'] != old_subnets) or (mixed['od_pct'] if mixed else None) != old_pct:
            asg.replace_instances(g, 'an instance was taken out of service in response to an update of the group '
                                     '(VPCZoneIdentifier or MixedInstancesPolicy).')
        else:
            asg.reconcile(g)
        return rec['attrs']

    def delete(self, env, lid, rec):
        asg = env.autoscaling()
        g = asg.groups.pop((env.region, rec['physical']), None)
        rec['terminating'] = []
        if g is not None:
            live = asg._live(g)
            if live:
                env.ec2().terminate(env.region, live)
            rec['terminating'] = live

    def poll_delete(self, env, lid, rec):
        return all(env.ec2().instance_state(env.region, i) in (None, 'terminated') for i in rec.get('terminating', []))


class WaitCondition(Handler):
    """Completes when the instances of the group whose user data holds the handle's URL (the
    master) run and every other group of the stack has all its instances running, with the
    Data the awsdl master sends: {"master": "master=<private ip> public=<public ip> workers=<n>"}
    where n counts the master and the workers, as the master's workers file does."""

    def create(self, env, lid, props):
        return props.get('Handle') or env.name(lid), {'Data': '{}'}

    def poll(self, env, lid, rec, now):
        props = rec['props']
        count = _int(props, 'Count', 1)
        timeout = env.signal_timeout(iso_seconds(props.get('Timeout'), 43200))
        groups = env.groups()
        handle = env.handle_of(props.get('Handle'))
        masters = [g for lg, g in groups if handle and env.user_data_mentions(lg, handle)]
        others = [g for lg, g in groups if g not in masters]

        def running(g):
            # A node whose bootstrap failed never registers: it does not count as ready.
            return [i for i in env.autoscaling()._live(g) if env.ec2().instance_state(env.region, i) == 'running'
                    and not env.ec2().bootstrap_failed(env.region, i)]
        if masters or others:
            ready = all(len(running(g)) >= max(1, g['DesiredCapacity']) for g in masters) and all(
                len(running(g)) >= g['DesiredCapacity'] for g in others)
        else:
            ready = True
        if ready:
            data = {}
            if masters:
                inst = env.ec2_region().instances[running(masters[0])[0]]
                workers = 1 + sum(len(running(g)) for g in others)
                data['master'] = 'master=%s public=%s workers=%d' % (
                    inst.get('PrivateIpAddress', ''), inst.get('PublicIpAddress', ''), workers)
            rec['attrs'] = {'Data': json.dumps(data, separators=(',', ':'))}
            if count > 1 and len(data) < count and masters:
                for n in range(2, count + 1):
                    data[str(n)] = 'sandbox'
                rec['attrs'] = {'Data': json.dumps(data, separators=(',', ':'))}
            return DONE
        if (now - rec['started']).total_seconds() >= timeout:
            raise Failure('WaitCondition timed out. Received 0 conditions when expecting %d' % count)
        return WAIT


HANDLERS = {
    'AWS::EC2::VPC': Vpc(),
    'AWS::EC2::Subnet': Subnet(),
    'AWS::EC2::SecurityGroup': SecurityGroup(),
    'AWS::EC2::SecurityGroupIngress': SecurityGroupIngress(),
    'AWS::EC2::SecurityGroupEgress': SecurityGroupEgress(),
    'AWS::EC2::InternetGateway': Prefixed('igw'),
    'AWS::EC2::NatGateway': Prefixed('nat'),
    'AWS::EC2::RouteTable': Prefixed('rtb'),
    'AWS::EC2::SubnetRouteTableAssociation': Prefixed('rtbassoc'),
    'AWS::EC2::VPCGatewayAttachment': Route(),
    'AWS::EC2::Route': Route(),
    'AWS::EC2::EIP': Eip(),
    'AWS::EC2::LaunchTemplate': LaunchTemplate(),
    'AWS::EC2::PlacementGroup': PlacementGroup(),
    'AWS::IAM::Role': IamNamed('role', 'RoleName', 'AROA'),
    'AWS::IAM::InstanceProfile': IamNamed('instance-profile', 'InstanceProfileName', None),
    'AWS::IAM::ManagedPolicy': IamNamed('policy', 'ManagedPolicyName', 'ANPA'),
    'AWS::SQS::Queue': Queue(),
    'AWS::SNS::Topic': Topic(),
    'AWS::SNS::Subscription': Subscription(),
    'AWS::Lambda::Function': Function(),
    'AWS::EFS::FileSystem': FileSystem(),
    'AWS::EFS::MountTarget': MountTarget(),
    'AWS::FSx::FileSystem': FsxFileSystem(),
    'AWS::AutoScaling::AutoScalingGroup': AutoScalingGroup(),
    'AWS::CloudFormation::WaitConditionHandle': WaitConditionHandle(),
    'AWS::CloudFormation::WaitCondition': WaitCondition(),
}
_GENERIC = Handler()


def handler(rtype):
    return HANDLERS.get(rtype, _GENERIC)
