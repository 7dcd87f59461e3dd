"""Tests of the sandbox's capacity model (issue 15) through botocore: EC2 capacity rules per
(type, zone, market), instance types and offerings, capacity reservations, EFA validation,
Service Quotas with usage, Auto Scaling launches and MixedInstancesPolicy (API and
CloudFormation), and stack updates that move a group.

Uses the sandbox named by $AWSDL_SANDBOX_PORT_FILE (the ctest fixture); without it, starts its
own in a temporary directory."""

import json
import os
import sys
import time
import unittest

from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import testkit  # noqa: E402

SANDBOX = testkit.Sandbox()
control = SANDBOX.control
request = SANDBOX.request
client = SANDBOX.client

DLAMI = 'ami-0d1b000000000004d'    # x86_64
ARMAMI = 'ami-0d1c000000000006f'   # arm64


def setUpModule():
    SANDBOX.start('sandbox-capacity-test-')


def tearDownModule():
    SANDBOX.stop()


class CapacityCase(unittest.TestCase):
    def setUp(self):
        control('reset')
        self.ec2 = client('ec2')
        self.asg = client('autoscaling')
        self.sq = client('service-quotas')
        self.cfn = client('cloudformation')
        self.addCleanup(self._restore)
        self.subnets = {s['AvailabilityZone']: s['SubnetId'] for s in self.ec2.describe_subnets()['Subnets']}

    def _restore(self):
        control('reset')
        for c in (self.ec2, self.asg, self.sq, self.cfn):
            c.close()

    def run_one(self, itype='p4d.24xlarge', zone='us-east-1a', spot=False, count=1, min_count=None, **extra):
        args = dict(ImageId=DLAMI, InstanceType=itype, MinCount=min_count or count, MaxCount=count,
                    SubnetId=self.subnets[zone], **extra)
        if spot:
            args['InstanceMarketOptions'] = {'MarketType': 'spot'}
        return self.ec2.run_instances(**args)['Instances']

    def error(self, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        return cm.exception.response['Error']


class Ec2Capacity(CapacityCase):
    def test_default_is_unlimited_and_the_control_lists_rules(self):
        self.assertEqual(len(self.run_one(count=3)), 3)
        status, doc = request('GET', 'services/ec2/capacity')
        self.assertEqual((status, doc['rules']), (200, []))
        control('services/ec2/capacity', {'instance_type': 'p4d.24xlarge', 'zone': 'us-east-1a', 'available': 0})
        status, doc = request('GET', 'services/ec2/capacity')
        self.assertEqual([(r['instance_type'], r['zone'], r['market'], r['available']) for r in doc['rules']],
                         [('p4d.24xlarge', 'us-east-1a', '*', 0)])
        control('reset')
        self.assertEqual(request('GET', 'services/ec2/capacity')[1]['rules'], [])

    def test_sold_out_on_demand_names_the_zones_that_have_capacity(self):
        control('services/ec2/capacity', {'instance_type': 'p4d.24xlarge', 'zone': 'us-east-1a', 'available': 0})
        e = self.error(self.run_one)
        self.assertEqual(e['Code'], 'InsufficientInstanceCapacity')
        self.assertEqual(e['Message'], 'We currently do not have sufficient p4d.24xlarge capacity in the Availability '
                         'Zone you requested (us-east-1a). Our system will be working on provisioning additional '
                         'capacity. You can currently get p4d.24xlarge capacity by not specifying an Availability '
                         'Zone in your request or choosing us-east-1b, us-east-1c.')
        self.assertEqual(len(self.run_one(zone='us-east-1b')), 1)
        self.assertEqual(len(self.run_one(itype='p3.16xlarge')), 1)   # other types are not affected

    def test_the_most_specific_rule_wins(self):
        control('services/ec2/capacity', {'instance_type': '*', 'zone': '*', 'market': '*', 'available': 0})
        control('services/ec2/capacity', {'instance_type': 'p4d.24xlarge', 'zone': 'us-east-1b', 'market': 'spot',
                                          'available': None})
        self.assertEqual(self.error(self.run_one, zone='us-east-1b')['Code'], 'InsufficientInstanceCapacity')
        self.assertEqual(len(self.run_one(zone='us-east-1b', spot=True)), 1)
        e = self.error(self.run_one, zone='us-east-1a', spot=True)
        self.assertEqual((e['Code'], e['Message']), ('InsufficientInstanceCapacity',
                                                     'There is no Spot capacity available that matches your request.'))

    def test_available_counts_live_instances_and_a_termination_gives_the_place_back(self):
        control('services/ec2/capacity', {'instance_type': 'p4d.24xlarge', 'zone': 'us-east-1a', 'available': 2})
        got = self.run_one(count=5, min_count=1)    # MinCount 1, MaxCount 5: as many as there are
        self.assertEqual(len(got), 2)
        self.assertEqual(self.error(self.run_one)['Code'], 'InsufficientInstanceCapacity')
        self.assertEqual(self.error(self.run_one, count=3, min_count=3)['Code'], 'InsufficientInstanceCapacity')
        self.ec2.terminate_instances(InstanceIds=[got[0]['InstanceId']])
        self.assertEqual(len(self.run_one()), 1)

    def test_fail_after_lets_k_launches_through(self):
        control('services/ec2/capacity', {'instance_type': 'g5.xlarge', 'fail_after': 2})
        self.run_one(itype='g5.xlarge')
        self.run_one(itype='g5.xlarge', zone='us-east-1c')
        self.assertEqual(self.error(self.run_one, itype='g5.xlarge')['Code'], 'InsufficientInstanceCapacity')
        status, doc = request('GET', 'services/ec2/capacity')
        self.assertEqual(doc['rules'][0]['launched'], 2)

    def test_bad_rules_are_refused(self):
        for bad in ({'instance_type': 'p9.huge'}, {'market': 'reserved'}, {'available': -1},
                    {'fail_after': 'two'}):
            status, doc = request('POST', 'services/ec2/capacity', bad)
            self.assertEqual(status, 400, bad)


class Ec2Catalog(CapacityCase):
    def test_instance_types_carry_architecture_gpus_efa_and_network_cards(self):
        types = {t['InstanceType']: t for t in self.ec2.describe_instance_types(
            InstanceTypes=['p4d.24xlarge', 'p5.48xlarge', 'g5g.xlarge', 'p3.16xlarge', 'trn1.32xlarge'])[
            'InstanceTypes']}
        p4d = types['p4d.24xlarge']
        self.assertEqual(p4d['VCpuInfo']['DefaultVCpus'], 96)
        self.assertEqual(p4d['GpuInfo']['Gpus'][0], {'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8,
                                                     'MemoryInfo': {'SizeInMiB': 40960}})
        self.assertEqual(p4d['GpuInfo']['TotalGpuMemoryInMiB'], 327680)
        self.assertEqual((p4d['NetworkInfo']['EfaSupported'], p4d['NetworkInfo']['MaximumNetworkCards']), (True, 4))
        self.assertEqual(types['p5.48xlarge']['NetworkInfo']['MaximumNetworkCards'], 32)
        self.assertEqual(types['g5g.xlarge']['ProcessorInfo']['SupportedArchitectures'], ['arm64'])
        self.assertFalse(types['p3.16xlarge']['NetworkInfo']['EfaSupported'])
        self.assertNotIn('GpuInfo', types['trn1.32xlarge'])
        efa = self.ec2.describe_instance_types(Filters=[{'Name': 'network-info.efa-supported', 'Values': ['true']}])
        self.assertIn('p3dn.24xlarge', [t['InstanceType'] for t in efa['InstanceTypes']])
        self.assertNotIn('g5.xlarge', [t['InstanceType'] for t in efa['InstanceTypes']])
        e = self.error(self.ec2.describe_instance_types, InstanceTypes=['p9.huge'])
        self.assertEqual(e['Code'], 'InvalidInstanceType')

    def test_offerings_default_and_settable(self):
        def zones(itype):
            out = self.ec2.describe_instance_type_offerings(
                LocationType='availability-zone', Filters=[{'Name': 'instance-type', 'Values': [itype]}])
            return sorted(o['Location'] for o in out['InstanceTypeOfferings'])
        self.assertEqual(zones('p4d.24xlarge'), ['us-east-1a', 'us-east-1b', 'us-east-1c'])
        self.assertEqual(zones('p5.48xlarge'), ['us-east-1b'])
        region = self.ec2.describe_instance_type_offerings(
            Filters=[{'Name': 'instance-type', 'Values': ['p5.48xlarge']}])['InstanceTypeOfferings']
        self.assertEqual(region, [{'InstanceType': 'p5.48xlarge', 'LocationType': 'region', 'Location': 'us-east-1'}])
        e = self.error(self.run_one, itype='p5.48xlarge', zone='us-east-1a')
        self.assertEqual((e['Code'], e['Message']), (
            'Unsupported', 'Your requested instance type (p5.48xlarge) is not supported in your requested '
            'Availability Zone (us-east-1a). Please retry your request by not specifying an Availability Zone or '
            'choosing us-east-1b.'))
        control('services/ec2/offerings', {'instance_type': 'p4d.24xlarge', 'zones': ['us-east-1c']})
        self.assertEqual(zones('p4d.24xlarge'), ['us-east-1c'])
        self.assertEqual(self.error(self.run_one)['Code'], 'Unsupported')
        self.assertEqual(len(self.run_one(zone='us-east-1c')), 1)

    def test_zones_key_pairs_and_image_architecture(self):
        azs = self.ec2.describe_availability_zones()['AvailabilityZones']
        self.assertEqual([z['ZoneName'] for z in azs], ['us-east-1a', 'us-east-1b', 'us-east-1c'])
        self.assertEqual(self.ec2.describe_key_pairs()['KeyPairs'], [])
        self.ec2.import_key_pair(KeyName='team', PublicKeyMaterial=b'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIsandbox')
        self.assertEqual([k['KeyName'] for k in self.ec2.describe_key_pairs(KeyNames=['team'])['KeyPairs']],
                         ['team'])
        self.assertEqual(self.error(self.ec2.describe_key_pairs, KeyNames=['nope'])['Code'],
                         'InvalidKeyPair.NotFound')
        arm = self.ec2.describe_images(Filters=[{'Name': 'architecture', 'Values': ['arm64']}])['Images']
        self.assertEqual([i['ImageId'] for i in arm], [ARMAMI])
        ssm = client('ssm')
        self.addCleanup(ssm.close)
        self.assertEqual(ssm.get_parameter(Name='/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-'
                                                'ubuntu-22.04/latest/ami-id')['Parameter']['Value'], ARMAMI)
        e = self.error(self.ec2.run_instances, ImageId=ARMAMI, InstanceType='p4d.24xlarge', MinCount=1, MaxCount=1)
        self.assertEqual(e['Code'], 'InvalidParameterValue')
        self.assertIn("architecture 'x86_64' of the specified instance type does not match the architecture "
                      "'arm64'", e['Message'])
        inst = self.ec2.run_instances(ImageId=ARMAMI, InstanceType='g5g.xlarge', MinCount=1, MaxCount=1)
        self.assertEqual(inst['Instances'][0]['Architecture'], 'arm64')


class CapacityReservations(CapacityCase):
    def test_a_reservation_is_consumed_by_the_launches_that_target_it(self):
        control('services/ec2/capacity', {'instance_type': '*', 'available': 0})   # nothing outside it
        crid = control('services/ec2/capacity_reservations', {'instance_type': 'p4d.24xlarge', 'zone': 'us-east-1b',
                                                              'count': 2})['capacity_reservation_id']
        target = {'CapacityReservationTarget': {'CapacityReservationId': crid}}
        got = self.ec2.run_instances(ImageId=DLAMI, InstanceType='p4d.24xlarge', MinCount=1, MaxCount=1,
                                     CapacityReservationSpecification=target)['Instances']
        self.assertEqual(got[0]['Placement']['AvailabilityZone'], 'us-east-1b')   # the reservation's zone
        self.assertEqual(got[0]['CapacityReservationId'], crid)
        res = self.ec2.describe_capacity_reservations(CapacityReservationIds=[crid])['CapacityReservations'][0]
        self.assertEqual((res['InstanceType'], res['AvailabilityZone'], res['TotalInstanceCount'],
                          res['AvailableInstanceCount'], res['State']), ('p4d.24xlarge', 'us-east-1b', 2, 1, 'active'))
        self.ec2.run_instances(ImageId=DLAMI, InstanceType='p4d.24xlarge', MinCount=1, MaxCount=1,
                               CapacityReservationSpecification=target)
        e = self.error(self.ec2.run_instances, ImageId=DLAMI, InstanceType='p4d.24xlarge', MinCount=1, MaxCount=1,
                       CapacityReservationSpecification=target)
        self.assertEqual(e['Code'], 'ReservationCapacityExceeded')
        e = self.error(self.run_one, zone='us-east-1a', CapacityReservationSpecification=target)
        self.assertEqual(e['Code'], 'InvalidParameterCombination')   # a zone outside the reservation
        e = self.error(self.ec2.describe_capacity_reservations, CapacityReservationIds=['cr-0123456789abcdef0'])
        self.assertEqual(e['Code'], 'InvalidCapacityReservationId.NotFound')

    def test_a_capacity_block_needs_its_market_type(self):
        crid = control('services/ec2/capacity_reservations', {'instance_type': 'p5.48xlarge', 'zone': 'us-east-1b',
                                                              'count': 1, 'market': 'capacity-block'})[
            'capacity_reservation_id']
        res = self.ec2.describe_capacity_reservations(
            Filters=[{'Name': 'reservation-type', 'Values': ['capacity-block']}])['CapacityReservations']
        self.assertEqual([r['CapacityReservationId'] for r in res], [crid])
        target = {'CapacityReservationTarget': {'CapacityReservationId': crid}}
        e = self.error(self.ec2.run_instances, ImageId=DLAMI, InstanceType='p5.48xlarge', MinCount=1, MaxCount=1,
                       CapacityReservationSpecification=target)
        self.assertEqual(e['Code'], 'InvalidParameterCombination')
        got = self.ec2.run_instances(ImageId=DLAMI, InstanceType='p5.48xlarge', MinCount=1, MaxCount=1,
                                     CapacityReservationSpecification=target,
                                     InstanceMarketOptions={'MarketType': 'capacity-block'})['Instances'][0]
        self.assertEqual(got['InstanceLifecycle'], 'capacity-block')


class Efa(CapacityCase):
    def efa_group(self, self_in=True, self_out=True):
        gid = self.ec2.create_security_group(GroupName='efa', Description='efa')['GroupId']
        pair = [{'IpProtocol': '-1', 'UserIdGroupPairs': [{'GroupId': gid}]}]
        if self_in:
            self.ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=pair)
        if self_out:
            self.ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=pair)
        return gid

    def efa_launch(self, gid, itype='p4d.24xlarge', cards=(0,), placement=True):
        nics = [{'DeviceIndex': 0 if c == 0 else 1, 'NetworkCardIndex': c, 'InterfaceType': 'efa',
                 'SubnetId': self.subnets['us-east-1a'], 'Groups': [gid]} for c in cards]
        args = dict(ImageId=DLAMI, InstanceType=itype, MinCount=1, MaxCount=1, NetworkInterfaces=nics)
        if placement:
            args['Placement'] = {'GroupName': 'efa-cluster'}
        return self.ec2.run_instances(**args)['Instances']

    def test_a_complete_efa_launch_succeeds_on_every_card(self):
        gid = self.efa_group()
        got = self.efa_launch(gid, cards=(0, 1, 2, 3))
        self.assertEqual(got[0]['Placement']['AvailabilityZone'], 'us-east-1a')
        egress = self.ec2.describe_security_groups(GroupIds=[gid])['SecurityGroups'][0]['IpPermissionsEgress']
        self.assertIn(gid, [p['GroupId'] for e in egress for p in e['UserIdGroupPairs']])

    def test_each_missing_piece_is_refused(self):
        gid = self.efa_group()
        e = self.error(self.efa_launch, gid, itype='p3.16xlarge')
        self.assertEqual((e['Code'], e['Message']), ('InvalidParameterCombination',
                                                     'p3.16xlarge instances do not support Elastic Fabric Adapters.'))
        e = self.error(self.efa_launch, gid, cards=(0, 4))   # p4d has network cards 0-3
        self.assertEqual(e['Code'], 'Unsupported')
        self.assertEqual(self.error(self.efa_launch, gid, placement=False)['Code'], 'InvalidParameterCombination')
        no_out = self.ec2.create_security_group(GroupName='efa-in-only', Description='x')['GroupId']
        self.ec2.authorize_security_group_ingress(
            GroupId=no_out, IpPermissions=[{'IpProtocol': '-1', 'UserIdGroupPairs': [{'GroupId': no_out}]}])
        e = self.error(self.efa_launch, no_out)
        self.assertIn('outbound', e['Message'])
        self.assertIn('The EFA must be a member of a security group', e['Message'])
        no_in = self.ec2.create_security_group(GroupName='efa-out-only', Description='x')['GroupId']
        self.ec2.authorize_security_group_egress(
            GroupId=no_in, IpPermissions=[{'IpProtocol': '-1', 'UserIdGroupPairs': [{'GroupId': no_in}]}])
        self.assertIn('inbound', self.error(self.efa_launch, no_in)['Message'])


class ServiceQuotas(CapacityCase):
    def test_quotas_read_list_and_default(self):
        q = self.sq.get_service_quota(ServiceCode='ec2', QuotaCode='L-417A185B')['Quota']
        self.assertEqual((q['QuotaName'], q['Value'], q['UsageMetric']['MetricDimensions']['Class']),
                         ('Running On-Demand P instances', 4096.0, 'P/OnDemand'))
        codes = {x['QuotaCode']: x['QuotaName'] for x in
                 self.sq.list_service_quotas(ServiceCode='ec2')['Quotas']}
        for code, name in (('L-1216C47A', 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances'),
                           ('L-7212CCBC', 'All P Spot Instance Requests'),
                           ('L-DB2E81BA', 'Running On-Demand G and VT instances'),
                           ('L-3819A6DF', 'All G and VT Spot Instance Requests'),
                           ('L-34B43A08', 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests')):
            self.assertEqual(codes.get(code), name)
        d = self.sq.get_aws_default_service_quota(ServiceCode='ec2', QuotaCode='L-1216C47A')['Quota']
        self.assertEqual(d['Value'], 5.0)
        e = self.error(self.sq.get_service_quota, ServiceCode='ec2', QuotaCode='L-00000000')
        self.assertEqual(e['Code'], 'NoSuchResourceException')

    def test_the_quota_is_enforced_with_what_runs(self):
        control('services/servicequotas/set', {'service_code': 'ec2', 'quota_code': 'L-417A185B', 'value': 192})
        self.assertEqual(self.sq.get_service_quota(ServiceCode='ec2', QuotaCode='L-417A185B')['Quota']['Value'], 192)
        self.run_one(count=2)                                  # 2 x 96 vCPUs
        self.assertEqual(control('services/servicequotas/usage', {'quota_code': 'L-417A185B'})['vcpus'], 192)
        e = self.error(self.run_one, itype='p3.2xlarge')
        self.assertEqual((e['Code'], e['Message']), (
            'VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit of 192 allows '
            'for the instance bucket that the specified instance type belongs to. Please visit '
            'http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.'))
        self.run_one(itype='g5.xlarge')                        # another bucket
        self.run_one(itype='p3.2xlarge', spot=True)            # spot is its own quota
        control('services/servicequotas/set', {'service_code': 'ec2', 'quota_code': 'L-7212CCBC', 'value': 8})
        e = self.error(self.run_one, itype='p3.2xlarge', spot=True)
        self.assertEqual((e['Code'], e['Message']),
                         ('MaxSpotInstanceCountExceeded', 'Max spot instance count exceeded'))

    def test_increase_requests_are_recorded(self):
        out = self.sq.request_service_quota_increase(ServiceCode='ec2', QuotaCode='L-417A185B', DesiredValue=8192)
        self.assertEqual((out['RequestedQuota']['Status'], out['RequestedQuota']['DesiredValue']), ('PENDING', 8192.0))
        self.assertEqual(len(control('services/servicequotas/requests')['requests']), 1)
        hist = self.sq.list_requested_service_quota_change_history_by_quota(ServiceCode='ec2', QuotaCode='L-417A185B')
        self.assertEqual([r['Id'] for r in hist['RequestedQuotas']], [out['RequestedQuota']['Id']])
        self.assertEqual(self.error(self.sq.request_service_quota_increase, ServiceCode='ec2',
                                    QuotaCode='L-417A185B', DesiredValue=10)['Code'], 'IllegalArgumentException')


class AutoScalingLaunches(CapacityCase):
    def group(self, name='w', desired=2, zones=('us-east-1a',), **extra):
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=10, DesiredCapacity=desired,
            VPCZoneIdentifier=','.join(self.subnets[z] for z in zones),
            LaunchTemplate={'LaunchTemplateName': 'workers'}, **extra)

    def describe(self, name='w'):
        return self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])['AutoScalingGroups'][0]

    def failed(self, name='w'):
        return [a for a in self.asg.describe_scaling_activities(AutoScalingGroupName=name)['Activities']
                if a['StatusCode'] == 'Failed']

    def test_sold_out_records_the_real_text_and_fills_up_when_capacity_returns(self):
        control('services/ec2/capacity', {'instance_type': 'p3.2xlarge', 'zone': 'us-east-1a', 'available': 1})
        self.group(desired=3)
        self.assertEqual(len(self.describe()['Instances']), 1)
        act = self.failed()[0]
        message = ('We currently do not have sufficient p3.2xlarge capacity in the Availability Zone you requested '
                   '(us-east-1a). Our system will be working on provisioning additional capacity. You can currently '
                   'get p3.2xlarge capacity by not specifying an Availability Zone in your request or choosing '
                   'us-east-1b, us-east-1c. Launching EC2 instance failed.')
        self.assertEqual(act['StatusMessage'], message)
        self.assertEqual(act['Description'], 'Launching a new EC2 instance.  Status Reason: ' + message)
        self.assertEqual(json.loads(act['Details'])['Availability Zone'], 'us-east-1a')
        control('services/ec2/capacity', {'instance_type': 'p3.2xlarge', 'zone': 'us-east-1a', 'available': None})
        self.assertEqual(len(self.describe()['Instances']), 3)    # it retried on its own

    def test_quota_and_offering_failures_are_activities_too(self):
        control('services/servicequotas/set', {'service_code': 'ec2', 'quota_code': 'L-417A185B', 'value': 8})
        self.group(desired=2)
        self.assertEqual(len(self.describe()['Instances']), 1)
        self.assertTrue(self.failed()[0]['StatusMessage'].startswith(
            'You have requested more vCPU capacity than your current vCPU limit of 8 allows'))
        control('reset')
        self.subnets = {s['AvailabilityZone']: s['SubnetId'] for s in self.ec2.describe_subnets()['Subnets']}
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName='p5', MinSize=0, MaxSize=2, DesiredCapacity=1,
            VPCZoneIdentifier=self.subnets['us-east-1a'], Tags=[{'Key': 'awsdl:instance-type',
                                                                 'Value': 'p5.48xlarge'}])
        self.assertEqual(self.failed('p5')[0]['StatusMessage'],
                         'Your requested instance type (p5.48xlarge) is not supported in your requested Availability '
                         'Zone (us-east-1a). Please retry your request by not specifying an Availability Zone or '
                         'choosing us-east-1b. Launching EC2 instance failed.')

    def test_mixed_policy_tries_the_overrides_in_order_and_splits_markets(self):
        control('services/ec2/capacity', {'instance_type': 'p4d.24xlarge', 'available': 0})
        policy = {'LaunchTemplate': {'LaunchTemplateSpecification': {'LaunchTemplateName': 'workers'},
                                     'Overrides': [{'InstanceType': 'p4d.24xlarge'},
                                                   {'InstanceType': 'p3dn.24xlarge'},
                                                   {'InstanceType': 'p3.16xlarge'}]},
                  'InstancesDistribution': {'OnDemandBaseCapacity': 1, 'OnDemandPercentageAboveBaseCapacity': 50,
                                            'SpotAllocationStrategy': 'capacity-optimized-prioritized'}}
        self.asg.create_auto_scaling_group(AutoScalingGroupName='w', MinSize=0, MaxSize=10, DesiredCapacity=5,
                                           VPCZoneIdentifier=self.subnets['us-east-1a'], MixedInstancesPolicy=policy)
        g = self.describe()
        self.assertEqual(g['MixedInstancesPolicy']['InstancesDistribution']['OnDemandPercentageAboveBaseCapacity'], 50)
        self.assertEqual([o['InstanceType'] for o in g['MixedInstancesPolicy']['LaunchTemplate']['Overrides']],
                         ['p4d.24xlarge', 'p3dn.24xlarge', 'p3.16xlarge'])
        ids = [i['InstanceId'] for i in g['Instances']]
        self.assertEqual(len(ids), 5)
        insts = [i for r in self.ec2.describe_instances(InstanceIds=ids)['Reservations'] for i in r['Instances']]
        self.assertEqual({i['InstanceType'] for i in insts}, {'p3dn.24xlarge'})   # p4d sold out: the next one
        spot = [i for i in insts if i.get('InstanceLifecycle') == 'spot']
        self.assertEqual(len(spot), 2)          # base 1 + ceil(50% of 4) = 3 on-demand, 2 spot

    def test_mixed_policy_spot_failures_name_the_market(self):
        control('services/ec2/capacity', {'market': 'spot', 'available': 0})
        policy = {'LaunchTemplate': {'LaunchTemplateSpecification': {'LaunchTemplateName': 'workers'},
                                     'Overrides': [{'InstanceType': 'p4d.24xlarge'}, {'InstanceType': 'p3.16xlarge'}]},
                  'InstancesDistribution': {'OnDemandPercentageAboveBaseCapacity': 0,
                                            'SpotAllocationStrategy': 'price-capacity-optimized'}}
        self.asg.create_auto_scaling_group(AutoScalingGroupName='w', MinSize=0, MaxSize=4, DesiredCapacity=2,
                                           VPCZoneIdentifier=self.subnets['us-east-1a'], MixedInstancesPolicy=policy)
        self.assertEqual(self.describe()['Instances'], [])
        self.assertEqual(self.failed()[0]['StatusMessage'],
                         'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity '
                         'available that matches your request. Launching EC2 instance failed.')
        control('services/ec2/capacity', {'market': 'spot', 'available': None})
        control('services/servicequotas/set', {'service_code': 'ec2', 'quota_code': 'L-7212CCBC', 'value': 0})
        self.asg.set_desired_capacity(AutoScalingGroupName='w', DesiredCapacity=3)
        self.assertEqual(self.failed()[0]['StatusMessage'],
                         'Could not launch Spot Instances. MaxSpotInstanceCountExceeded - Max spot instance count '
                         'exceeded. Launching EC2 instance failed.')

    def test_weighted_capacity_counts_units(self):
        policy = {'LaunchTemplate': {'LaunchTemplateSpecification': {'LaunchTemplateName': 'workers'},
                                     'Overrides': [{'InstanceType': 'p4d.24xlarge', 'WeightedCapacity': '8'},
                                                   {'InstanceType': 'p3.2xlarge', 'WeightedCapacity': '1'}]}}
        self.asg.create_auto_scaling_group(AutoScalingGroupName='w', MinSize=0, MaxSize=32, DesiredCapacity=16,
                                           VPCZoneIdentifier=self.subnets['us-east-1a'], MixedInstancesPolicy=policy)
        insts = self.describe()['Instances']
        self.assertEqual([(i['InstanceType'], i['WeightedCapacity']) for i in insts],
                         [('p4d.24xlarge', '8'), ('p4d.24xlarge', '8')])

    def test_a_second_zone_is_tried_when_the_first_is_sold_out(self):
        control('services/ec2/capacity', {'instance_type': 'p3.2xlarge', 'zone': 'us-east-1a', 'available': 0})
        self.group(desired=2, zones=('us-east-1a', 'us-east-1b'))
        zones = {i['AvailabilityZone'] for i in self.describe()['Instances']}
        self.assertEqual((len(self.describe()['Instances']), zones), (2, {'us-east-1b'}))


def stack_template(subnet_param=True, efa=False, pct=100):
    """A worker group with a MixedInstancesPolicy (and, with efa, the EFA pieces) in a stack."""
    res = {
        'Sg': {'Type': 'AWS::EC2::SecurityGroup', 'Properties': {'GroupDescription': 'workers'}},
        'Pg': {'Type': 'AWS::EC2::PlacementGroup', 'Properties': {'Strategy': 'cluster'}},
        'Lt': {'Type': 'AWS::EC2::LaunchTemplate', 'Properties': {'LaunchTemplateData': {
            'ImageId': DLAMI, 'Placement': {'GroupName': {'Ref': 'Pg'}},
            'NetworkInterfaces': [{'DeviceIndex': 0, 'NetworkCardIndex': n, 'InterfaceType': 'efa',
                                   'Groups': [{'Ref': 'Sg'}]} for n in range(4)] if efa else
            [{'DeviceIndex': 0, 'Groups': [{'Ref': 'Sg'}]}]}}},
        'Workers': {'Type': 'AWS::AutoScaling::AutoScalingGroup', 'Properties': {
            'MinSize': '0', 'MaxSize': '4', 'DesiredCapacity': '2',
            'VPCZoneIdentifier': [{'Ref': 'Subnet'}],
            'MixedInstancesPolicy': {
                'LaunchTemplate': {'LaunchTemplateSpecification': {
                    'LaunchTemplateId': {'Ref': 'Lt'}, 'Version': {'Fn::GetAtt': ['Lt', 'LatestVersionNumber']}},
                    'Overrides': [{'InstanceType': 'p4d.24xlarge'}, {'InstanceType': 'p3dn.24xlarge'}]},
                'InstancesDistribution': {'OnDemandPercentageAboveBaseCapacity': pct,
                                          'SpotAllocationStrategy': 'capacity-optimized-prioritized'}}}},
    }
    if efa:
        for lid, kind, peer in (('SgIn', 'AWS::EC2::SecurityGroupIngress', 'SourceSecurityGroupId'),
                                ('SgOut', 'AWS::EC2::SecurityGroupEgress', 'DestinationSecurityGroupId')):
            res[lid] = {'Type': kind, 'Properties': {'GroupId': {'Fn::GetAtt': ['Sg', 'GroupId']}, 'IpProtocol': '-1',
                                                     peer: {'Fn::GetAtt': ['Sg', 'GroupId']}}}
        res['Workers']['DependsOn'] = ['SgIn', 'SgOut']
    return json.dumps({'Parameters': {'Subnet': {'Type': 'String'}, 'Pct': {'Type': 'Number', 'Default': str(pct)}},
                       'Resources': res})


class StackGroups(CapacityCase):
    def wait(self, stack, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            st = self.cfn.describe_stacks(StackName=stack)['Stacks'][0]
            if not st['StackStatus'].endswith('_IN_PROGRESS'):
                return st
            self.assertLess(time.monotonic(), deadline, st['StackStatus'])
            time.sleep(0.1)

    def workers(self, stack='c1'):
        name = self.cfn.describe_stack_resource(StackName=stack, LogicalResourceId='Workers')[
            'StackResourceDetail']['PhysicalResourceId']
        g = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])['AutoScalingGroups'][0]
        ids = [i['InstanceId'] for i in g['Instances']]
        insts = [i for r in self.ec2.describe_instances(InstanceIds=ids)['Reservations']
                 for i in r['Instances']] if ids else []
        return g, insts

    def test_mixed_group_in_a_stack_moves_zone_and_market_on_update(self):
        control('services/ec2/capacity', {'instance_type': 'p4d.24xlarge', 'zone': 'us-east-1a', 'available': 0})
        self.cfn.create_stack(StackName='c1', TemplateBody=stack_template(),
                              Parameters=[{'ParameterKey': 'Subnet', 'ParameterValue': self.subnets['us-east-1a']}])
        self.assertEqual(self.wait('c1')['StackStatus'], 'CREATE_COMPLETE')
        g, insts = self.workers()
        self.assertEqual({(i['InstanceType'], i['Placement']['AvailabilityZone']) for i in insts},
                         {('p3dn.24xlarge', 'us-east-1a')})
        old = {i['InstanceId'] for i in insts}
        self.cfn.update_stack(StackName='c1', TemplateBody=stack_template(pct=0),
                              Parameters=[{'ParameterKey': 'Subnet', 'ParameterValue': self.subnets['us-east-1b']}])
        self.assertEqual(self.wait('c1')['StackStatus'], 'UPDATE_COMPLETE')
        g, insts = self.workers()
        self.assertEqual(g['AvailabilityZones'], ['us-east-1b'])
        self.assertEqual({(i['InstanceType'], i['Placement']['AvailabilityZone'], i.get('InstanceLifecycle'))
                          for i in insts}, {('p4d.24xlarge', 'us-east-1b', 'spot')})
        self.assertFalse(old & {i['InstanceId'] for i in insts})   # replaced, not kept
        states = {i['State']['Name'] for r in self.ec2.describe_instances(InstanceIds=list(old))['Reservations']
                  for i in r['Instances']}
        self.assertLessEqual(states, {'shutting-down', 'terminated'})

    def test_efa_group_in_a_stack_launches_with_the_self_referencing_rules(self):
        self.cfn.create_stack(StackName='c1', TemplateBody=stack_template(efa=True),
                              Parameters=[{'ParameterKey': 'Subnet', 'ParameterValue': self.subnets['us-east-1a']}])
        self.assertEqual(self.wait('c1')['StackStatus'], 'CREATE_COMPLETE')
        g, insts = self.workers()
        self.assertEqual([i['InstanceType'] for i in insts], ['p4d.24xlarge'] * 2)

    def test_efa_group_without_the_outbound_rule_records_the_refusal(self):
        body = json.loads(stack_template(efa=True))
        del body['Resources']['SgOut']
        body['Resources']['Workers']['DependsOn'] = ['SgIn']
        self.cfn.create_stack(StackName='c1', TemplateBody=json.dumps(body),
                              Parameters=[{'ParameterKey': 'Subnet', 'ParameterValue': self.subnets['us-east-1a']}])
        st = self.wait('c1')
        self.assertEqual(st['StackStatus'], 'ROLLBACK_COMPLETE')
        events = self.cfn.describe_stack_events(StackName='c1')['StackEvents']
        reasons = ' '.join(e.get('ResourceStatusReason', '') for e in events if e['LogicalResourceId'] == 'Workers')
        self.assertIn('Could not launch On-Demand Instances. InvalidParameterCombination - The EFA must be a member',
                      reasons)


if __name__ == '__main__':
    unittest.main()
