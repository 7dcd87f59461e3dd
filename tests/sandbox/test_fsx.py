"""Tests of the sandbox's FSx for Lustre (issue 15) through botocore: file systems over time, valid
sizes, import paths and data repository associations, and AWS::FSx::FileSystem in a stack
(GetAtt DNSName / LustreMountName, DeletionPolicy Retain).

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
client = SANDBOX.client


def setUpModule():
    SANDBOX.start('sandbox-fsx-test-')


def tearDownModule():
    SANDBOX.stop()


class FsxCase(unittest.TestCase):
    def setUp(self):
        control('reset')
        control('services/fsx/config', {'transition_seconds': 0.3})
        self.fsx = client('fsx')
        self.ec2 = client('ec2')
        self.s3 = client('s3')
        self.cfn = client('cloudformation')
        self.addCleanup(self._restore)
        self.subnet = self.ec2.describe_subnets()['Subnets'][0]['SubnetId']
        self.s3.create_bucket(Bucket='datasets')

    def _restore(self):
        control('reset')
        for c in (self.fsx, self.ec2, self.s3, self.cfn):
            c.close()

    def create(self, deployment='SCRATCH_2', gib=1200, **lustre):
        return self.fsx.create_file_system(FileSystemType='LUSTRE', StorageCapacity=gib, SubnetIds=[self.subnet],
                                           LustreConfiguration=dict(DeploymentType=deployment, **lustre))['FileSystem']

    def until(self, fid, state, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            fss = self.fsx.describe_file_systems()['FileSystems']
            now = next((f['Lifecycle'] for f in fss if f['FileSystemId'] == fid), None)
            if now == state:
                return
            self.assertLess(time.monotonic(), deadline, 'still %s' % now)
            time.sleep(0.05)

    def error(self, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        return cm.exception.response['Error']


class FileSystems(FsxCase):
    def test_a_file_system_becomes_available_then_is_deleted(self):
        f = self.create(ImportPath='s3://datasets/coco')
        self.assertEqual(f['Lifecycle'], 'CREATING')
        self.assertEqual(f['DNSName'], '%s.fsx.us-east-1.amazonaws.com' % f['FileSystemId'])
        self.assertRegex(f['LustreConfiguration']['MountName'], r'^[a-z0-9]{8}$')
        repo = f['LustreConfiguration']['DataRepositoryConfiguration']
        self.assertEqual(repo['ImportPath'], 's3://datasets/coco')
        self.until(f['FileSystemId'], 'AVAILABLE')
        out = self.fsx.delete_file_system(FileSystemId=f['FileSystemId'])
        self.assertEqual(out['Lifecycle'], 'DELETING')
        self.until(f['FileSystemId'], None)
        e = self.error(self.fsx.describe_file_systems, FileSystemIds=[f['FileSystemId']])
        self.assertEqual(e['Code'], 'FileSystemNotFound')

    def test_sizes_per_deployment_type(self):
        for deployment, good, bad in (('SCRATCH_2', (1200, 2400, 4800), (3600, 1000)),
                                      ('PERSISTENT_2', (1200, 7200), (3600,)),
                                      ('SCRATCH_1', (1200, 2400, 3600, 7200), (4800,))):
            for gib in good:
                self.assertEqual(self.create(deployment, gib)['StorageCapacity'], gib)
            for gib in bad:
                e = self.error(self.create, deployment, gib)
                self.assertEqual(e['Code'], 'BadRequest')
                self.assertTrue(e['Message'].startswith('Invalid Lustre FS storage capacity: %d. Must be ' % gib),
                                e['Message'])

    def test_bad_network_and_import_path_are_refused(self):
        e = self.error(self.fsx.create_file_system, FileSystemType='LUSTRE', StorageCapacity=1200,
                       SubnetIds=['subnet-0123456789abcdef0'])
        self.assertEqual(e['Code'], 'InvalidNetworkSettings')
        self.assertEqual(self.error(self.create, ImportPath='s3://no-such-bucket')['Code'], 'InvalidImportPath')
        self.assertEqual(self.error(self.create, 'PERSISTENT_2', ImportPath='s3://datasets')['Code'], 'BadRequest')

    def test_data_repository_associations(self):
        f = self.create('PERSISTENT_2', PerUnitStorageThroughput=125)
        e = self.error(self.fsx.create_data_repository_association, FileSystemId=f['FileSystemId'],
                       FileSystemPath='/data', DataRepositoryPath='s3://datasets/coco')
        self.assertEqual(e['Code'], 'BadRequest')            # not AVAILABLE yet
        self.until(f['FileSystemId'], 'AVAILABLE')
        a = self.fsx.create_data_repository_association(FileSystemId=f['FileSystemId'], FileSystemPath='/data',
                                                        DataRepositoryPath='s3://datasets/coco')['Association']
        self.assertEqual(a['Lifecycle'], 'CREATING')
        time.sleep(0.35)
        got = self.fsx.describe_data_repository_associations(
            Filters=[{'Name': 'file-system-id', 'Values': [f['FileSystemId']]}])['Associations']
        self.assertEqual([(x['AssociationId'], x['Lifecycle'], x['DataRepositoryPath']) for x in got],
                         [(a['AssociationId'], 'AVAILABLE', 's3://datasets/coco')])
        e = self.error(self.fsx.create_data_repository_association, FileSystemId=f['FileSystemId'],
                       FileSystemPath='/data', DataRepositoryPath='s3://datasets/other')
        self.assertEqual(e['Code'], 'BadRequest')            # that path is taken
        e = self.error(self.fsx.create_data_repository_association, FileSystemId=f['FileSystemId'],
                       FileSystemPath='/x', DataRepositoryPath='s3://missing-bucket/x')
        self.assertEqual(e['Code'], 'InvalidDataRepositoryType')


def template(retain):
    fs = {'Type': 'AWS::FSx::FileSystem', 'Properties': {
        'FileSystemType': 'LUSTRE', 'StorageCapacity': 2400, 'SubnetIds': [{'Ref': 'Subnet'}],
        'LustreConfiguration': {'DeploymentType': 'SCRATCH_2', 'ImportPath': 's3://datasets/coco'}}}
    if retain:
        fs['DeletionPolicy'] = 'Retain'
    return json.dumps({'Parameters': {'Subnet': {'Type': 'String'}}, 'Resources': {'Shared': fs},
                       'Outputs': {'Id': {'Value': {'Ref': 'Shared'}},
                                   'Dns': {'Value': {'Fn::GetAtt': ['Shared', 'DNSName']}},
                                   'Mount': {'Value': {'Fn::GetAtt': ['Shared', 'LustreMountName']}}}})


def template_with_own_subnet(retain):
    """The file system in a subnet the stack makes itself, as awsdl's cluster template does."""
    body = json.loads(template(retain))
    body.pop('Parameters')
    body['Resources']['Vpc'] = {'Type': 'AWS::EC2::VPC', 'Properties': {'CidrBlock': '10.9.0.0/16'}}
    body['Resources']['Subnet'] = {'Type': 'AWS::EC2::Subnet',
                                   'Properties': {'VpcId': {'Ref': 'Vpc'}, 'CidrBlock': '10.9.1.0/24'}}
    return json.dumps(body)


class StackFileSystems(FsxCase):
    def wait(self, stack, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            st = self.cfn.describe_stacks(StackName=stack)['Stacks'][0]
            if not st['StackStatus'].endswith('_IN_PROGRESS'):
                return st
            self.assertLess(time.monotonic(), deadline, st['StackStatus'])
            time.sleep(0.1)

    def stack(self, retain):
        self.stack_id = self.cfn.create_stack(StackName='fs', TemplateBody=template(retain), Parameters=[
            {'ParameterKey': 'Subnet', 'ParameterValue': self.subnet}])['StackId']
        st = self.wait(self.stack_id)
        self.assertEqual(st['StackStatus'], 'CREATE_COMPLETE')
        return {o['OutputKey']: o['OutputValue'] for o in st['Outputs']}

    def test_the_stack_waits_for_the_file_system_and_deletes_it(self):
        out = self.stack(retain=False)
        f = self.fsx.describe_file_systems(FileSystemIds=[out['Id']])['FileSystems'][0]
        self.assertEqual((f['Lifecycle'], f['DNSName'], f['LustreConfiguration']['MountName']),
                         ('AVAILABLE', out['Dns'], out['Mount']))
        self.cfn.delete_stack(StackName='fs')
        self.assertEqual(self.wait(self.stack_id)['StackStatus'], 'DELETE_COMPLETE')
        self.until(out['Id'], None)

    def test_retain_keeps_the_file_system(self):
        out = self.stack(retain=True)
        self.cfn.delete_stack(StackName='fs')
        self.assertEqual(self.wait(self.stack_id)['StackStatus'], 'DELETE_COMPLETE')
        events = self.cfn.describe_stack_events(StackName=self.stack_id)['StackEvents']
        self.assertIn('DELETE_SKIPPED', [e['ResourceStatus'] for e in events if e['LogicalResourceId'] == 'Shared'])
        time.sleep(0.4)
        f = self.fsx.describe_file_systems(FileSystemIds=[out['Id']])['FileSystems'][0]
        self.assertEqual(f['Lifecycle'], 'AVAILABLE')

    def test_a_retained_file_system_keeps_the_stacks_own_subnet_in_use(self):
        # On AWS the file system's interfaces stay in the subnet: deleting it is a DependencyViolation.
        for retain, want in ((True, 'DELETE_FAILED'), (False, 'DELETE_COMPLETE')):
            name = 'own-%d' % retain
            sid = self.cfn.create_stack(StackName=name, TemplateBody=template_with_own_subnet(retain))['StackId']
            self.assertEqual(self.wait(sid)['StackStatus'], 'CREATE_COMPLETE')
            self.cfn.delete_stack(StackName=name)
            self.assertEqual(self.wait(sid)['StackStatus'], want, name)
            events = self.cfn.describe_stack_events(StackName=sid)['StackEvents']
            failed = [e.get('ResourceStatusReason', '') for e in events
                      if e['LogicalResourceId'] == 'Subnet' and e['ResourceStatus'] == 'DELETE_FAILED']
            if retain:
                self.assertTrue(failed and 'DependencyViolation' in failed[0], failed)
            else:
                self.assertEqual(failed, [])

    def test_an_invalid_size_fails_the_resource(self):
        body = json.loads(template(False))
        body['Resources']['Shared']['Properties']['StorageCapacity'] = 3600
        self.cfn.create_stack(StackName='fs', TemplateBody=json.dumps(body),
                              Parameters=[{'ParameterKey': 'Subnet', 'ParameterValue': self.subnet}])
        self.assertEqual(self.wait('fs')['StackStatus'], 'ROLLBACK_COMPLETE')
        events = self.cfn.describe_stack_events(StackName='fs')['StackEvents']
        reasons = [e.get('ResourceStatusReason', '') for e in events if e['ResourceStatus'] == 'CREATE_FAILED']
        self.assertTrue(any('Invalid Lustre FS storage capacity: 3600' in r for r in reasons), reasons)


if __name__ == '__main__':
    unittest.main()
