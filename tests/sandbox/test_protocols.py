"""The protocol layer against botocore itself: requests botocore's serializers produce must
parse back to the same parameters, and answers our serializers produce must parse, with
botocore's response parsers, to the same result. No server involved."""

import datetime
import os
import sys
import unittest
from urllib.parse import urlencode

import botocore.session
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import protocols  # noqa: E402
from core.errors import AwsError  # noqa: E402
from protocols.common import HttpRequest  # noqa: E402

UTC = datetime.timezone.utc
T0 = datetime.datetime(2024, 3, 1, 12, 30, 45, tzinfo=UTC)
_session = botocore.session.get_session()


class _Ctx:
    def __init__(self, model, method='POST'):
        self.model = model
        self.request_id = 'req-0001'
        self.host_id = 'host-0001'
        self.http_method = method
        self.service = None


def to_http(model, op_name, params):
    op = model.operation_model(op_name)
    ser = create_serializer(model.protocol, include_validation=True).serialize_to_request(params, op)
    query = ser['query_string']
    if isinstance(query, dict):
        query = percent_encode_sequence(query) if query else ''
    path = ser['url_path']
    if '?' in path:  # requestUri literals such as ?uploads
        path, _, literal = path.partition('?')
        query = literal + ('&' + query if query else '')
    body = ser['body']
    if isinstance(body, dict):
        body = percent_encode_sequence(body).encode()
    headers = list(ser['headers'].items())
    return op, HttpRequest(ser['method'], path + ('?' + query if query else ''), headers, body or b'')


REQUESTS = [
    ('sts', 'AssumeRole', {'RoleArn': 'arn:aws:iam::123456789012:role/r', 'RoleSessionName': 'sess',
                           'DurationSeconds': 900, 'Tags': [{'Key': 'a', 'Value': 'b'}, {'Key': 'c', 'Value': ''}],
                           'PolicyArns': [{'arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess0000'}]}),
    ('sts', 'GetCallerIdentity', {}),
    ('cloudformation', 'CreateStack', {
        'StackName': 'cluster', 'TemplateBody': '{"Resources": {}}', 'TimeoutInMinutes': 30,
        'DisableRollback': True, 'Capabilities': ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
        'Parameters': [{'ParameterKey': 'Workers', 'ParameterValue': '8'},
                       {'ParameterKey': 'KeyName', 'UsePreviousValue': False}],
        'Tags': [{'Key': 'project', 'Value': 'maskrcnn'}], 'ClientRequestToken': 'tok-1'}),
    ('autoscaling', 'CreateAutoScalingGroup', {
        'AutoScalingGroupName': 'workers', 'MinSize': 0, 'MaxSize': 8, 'DesiredCapacity': 8,
        'VPCZoneIdentifier': 'subnet-1,subnet-2',
        'LaunchTemplate': {'LaunchTemplateId': 'lt-1', 'Version': '$Latest'},
        'Tags': [{'Key': 'k', 'Value': 'v', 'PropagateAtLaunch': True}]}),
    ('ec2', 'RunInstances', {
        'ImageId': 'ami-1', 'MinCount': 1, 'MaxCount': 2, 'InstanceType': 'p3.16xlarge', 'DryRun': False,
        'SecurityGroupIds': ['sg-1', 'sg-2'], 'ClientToken': 'ct-1',
        'BlockDeviceMappings': [{'DeviceName': '/dev/xvda', 'Ebs': {'VolumeSize': 100, 'DeleteOnTermination': True}}],
        'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': 'n'}]}],
        'UserData': 'IyEvYmluL3NoCg=='}),
    ('ec2', 'DescribeInstances', {'Filters': [{'Name': 'tag:cluster', 'Values': ['a', 'b']}],
                                  'InstanceIds': ['i-1'], 'MaxResults': 10}),
    ('ssm', 'GetParameter', {'Name': '/aws/service/dlami', 'WithDecryption': False}),
    ('logs', 'GetLogEvents', {'logGroupName': '/aws/sagemaker/TrainingJobs', 'logStreamName': 's',
                              'startTime': 1700000000000, 'startFromHead': True}),
    ('sagemaker', 'CreateTrainingJob', {
        'TrainingJobName': 'job', 'RoleArn': 'arn:aws:iam::123456789012:role/sagemaker-role',
        'AlgorithmSpecification': {'TrainingImage': 'img', 'TrainingInputMode': 'File',
                                   'MetricDefinitions': [{'Name': 'loss', 'Regex': 'loss=(.*)'}]},
        'HyperParameters': {'epochs': '10', 'lr': '0.1'},
        'InputDataConfig': [{'ChannelName': 'train', 'DataSource': {'S3DataSource': {
            'S3DataType': 'S3Prefix', 'S3Uri': 's3://b/p', 'S3DataDistributionType': 'FullyReplicated'}}}],
        'OutputDataConfig': {'S3OutputPath': 's3://b/out'},
        'ResourceConfig': {'InstanceType': 'ml.p3.16xlarge', 'InstanceCount': 2, 'VolumeSizeInGB': 100},
        'StoppingCondition': {'MaxRuntimeInSeconds': 3600}}),
    ('ecr', 'GetAuthorizationToken', {}),
    ('s3', 'PutObject', {'Bucket': 'b', 'Key': 'dir/a b+c.tar', 'Body': b'\x00\x01data',
                         'ContentType': 'application/x-tar', 'Metadata': {'owner': 'me'},
                         'Expires': T0}),
    ('s3', 'CreateMultipartUpload', {'Bucket': 'b', 'Key': 'big.tar'}),
    ('s3', 'UploadPart', {'Bucket': 'b', 'Key': 'big.tar', 'UploadId': 'u-1', 'PartNumber': 3, 'Body': b'x' * 10}),
    ('s3', 'UploadPartCopy', {'Bucket': 'b', 'Key': 'k', 'UploadId': 'u', 'PartNumber': 1, 'CopySource': 'b/src'}),
    ('s3', 'CopyObject', {'Bucket': 'b', 'Key': 'k', 'CopySource': 'b/src'}),
    ('s3', 'CompleteMultipartUpload', {'Bucket': 'b', 'Key': 'big.tar', 'UploadId': 'u-1', 'MultipartUpload': {
        'Parts': [{'ETag': '"e1"', 'PartNumber': 1}, {'ETag': '"e2"', 'PartNumber': 2}]}}),
    ('s3', 'ListObjectsV2', {'Bucket': 'b', 'Prefix': 'p/', 'MaxKeys': 5, 'ContinuationToken': 't'}),
    ('s3', 'ListParts', {'Bucket': 'b', 'Key': 'k', 'UploadId': 'u'}),
    ('s3', 'GetObject', {'Bucket': 'b', 'Key': 'k', 'Range': 'bytes=0-9', 'IfModifiedSince': T0}),
    ('s3', 'HeadObject', {'Bucket': 'b', 'Key': 'k'}),
    ('s3', 'DeleteObjects', {'Bucket': 'b', 'Delete': {'Objects': [{'Key': 'a'}, {'Key': 'b'}], 'Quiet': True}}),
    ('s3', 'ListBuckets', {}),
    ('s3', 'CreateBucket', {'Bucket': 'b'}),
    # issue 15: capacity
    ('autoscaling', 'CreateAutoScalingGroup', {
        'AutoScalingGroupName': 'workers', 'MinSize': 0, 'MaxSize': 8, 'DesiredCapacity': 4,
        'VPCZoneIdentifier': 'subnet-1', 'MixedInstancesPolicy': {
            'LaunchTemplate': {'LaunchTemplateSpecification': {'LaunchTemplateId': 'lt-1', 'Version': '$Latest'},
                               'Overrides': [{'InstanceType': 'p4d.24xlarge', 'WeightedCapacity': '8'},
                                             {'InstanceType': 'p3dn.24xlarge'}]},
            'InstancesDistribution': {'OnDemandBaseCapacity': 1, 'OnDemandPercentageAboveBaseCapacity': 0,
                                      'SpotAllocationStrategy': 'capacity-optimized-prioritized',
                                      'SpotMaxPrice': '12.5'}}}),
    ('ec2', 'RunInstances', {
        'ImageId': 'ami-1', 'MinCount': 1, 'MaxCount': 1, 'InstanceType': 'p4d.24xlarge',
        'Placement': {'GroupName': 'pg'}, 'InstanceMarketOptions': {'MarketType': 'spot'},
        'CapacityReservationSpecification': {'CapacityReservationTarget': {'CapacityReservationId': 'cr-1'}},
        'NetworkInterfaces': [{'DeviceIndex': 0, 'NetworkCardIndex': 0, 'InterfaceType': 'efa',
                               'SubnetId': 'subnet-1', 'Groups': ['sg-1']},
                              {'DeviceIndex': 1, 'NetworkCardIndex': 3, 'InterfaceType': 'efa', 'Groups': ['sg-1']}]}),
    ('ec2', 'DescribeInstanceTypeOfferings', {'LocationType': 'availability-zone', 'Filters': [
        {'Name': 'instance-type', 'Values': ['p5.48xlarge']}]}),
    ('ec2', 'AuthorizeSecurityGroupEgress', {'GroupId': 'sg-1', 'IpPermissions': [
        {'IpProtocol': '-1', 'UserIdGroupPairs': [{'GroupId': 'sg-1'}]}]}),
    ('service-quotas', 'GetServiceQuota', {'ServiceCode': 'ec2', 'QuotaCode': 'L-417A185B'}),
    ('service-quotas', 'RequestServiceQuotaIncrease', {'ServiceCode': 'ec2', 'QuotaCode': 'L-417A185B',
                                                       'DesiredValue': 384.0}),
    ('fsx', 'CreateFileSystem', {'FileSystemType': 'LUSTRE', 'StorageCapacity': 2400,
                                 'SubnetIds': ['subnet-0123456789abcdef0'],
                                 'LustreConfiguration': {'DeploymentType': 'SCRATCH_2',
                                                         'ImportPath': 's3://b/data'}}),
]


class RequestsFromBotocore(unittest.TestCase):
    def test_each_request_parses_back_to_its_parameters(self):
        for service, op_name, params in REQUESTS:
            with self.subTest(op=service + ':' + op_name):
                model = _session.get_service_model(service)
                op, req = to_http(model, op_name, params)
                proto = protocols.get(model.protocol)
                self.assertEqual(proto.operation_name(model, req), op_name)
                parsed, problems = proto.parse(op, req)
                self.assertFalse(problems, problems.items)
                expected = dict(params)
                if service == 'ec2' and 'UserData' in expected:
                    expected['UserData'] = expected['UserData']  # a string shape, sent as given
                self.assertEqual(parsed, expected)

    def test_problems_are_reported(self):
        model = _session.get_service_model('ec2')
        op, req = to_http(model, 'RunInstances', {'ImageId': 'ami-1', 'MinCount': 1, 'MaxCount': 1})
        req.body += b'&Bogus=1'
        req2 = HttpRequest('POST', '/', req.headers, req.body.replace(b'MinCount=1', b'MinCount=one'))
        _, problems = protocols.get('ec2').parse(op, req2)
        kinds = sorted(k for k, _, _ in problems.items)
        self.assertEqual(kinds, ['type', 'unknown'])
        err = protocols.get('ec2').validation_error(problems)
        self.assertEqual(err.code, 'UnknownParameter')
        _, req3 = to_http(model, 'RunInstances', {'ImageId': 'ami-1', 'MinCount': 1, 'MaxCount': 1})
        req3 = HttpRequest('POST', '/', req3.headers, req3.body.replace(b'&MaxCount=1', b''))
        _, problems = protocols.get('ec2').parse(op, req3)
        self.assertEqual(protocols.get('ec2').validation_error(problems).code, 'MissingParameter')

        model = _session.get_service_model('ssm')
        op, req = to_http(model, 'GetParameter', {'Name': 'n'})
        for body, code in ((b'{"Name": 5}', 'SerializationException'), (b'{}', 'ValidationException'),
                           (b'{"Name": "n", "Extra": 1}', 'SerializationException'),
                           (b'{not json', 'SerializationException')):
            _, problems = protocols.get('json').parse(op, HttpRequest('POST', '/', req.headers, body))
            self.assertEqual(protocols.get('json').validation_error(problems).code, code, body)

        model = _session.get_service_model('s3')
        op, req = to_http(model, 'CompleteMultipartUpload', {'Bucket': 'b', 'Key': 'k', 'UploadId': 'u',
                                                             'MultipartUpload': {'Parts': [{'PartNumber': 1}]}})
        bad = HttpRequest(req.method, req.target, req.headers, req.body.replace(b'<PartNumber>1', b'<PartNumber>x'))
        _, problems = protocols.get('rest-xml').parse(op, bad)
        self.assertEqual(protocols.get('rest-xml').validation_error(problems).code, 'MalformedXML')


def parse_answer(model, op, resp, method='POST'):
    headers = HeadersDict()
    for k, v in resp.headers:
        headers[k] = v
    parser = create_parser(model.protocol)
    return parser.parse({'status_code': resp.status, 'headers': headers, 'body': resp.body},
                        op.output_shape if resp.status < 300 else None)


ANSWERS = [
    ('sts', 'AssumeRole', {'Credentials': {'AccessKeyId': 'ASIA1', 'SecretAccessKey': 's', 'SessionToken': 't',
                                           'Expiration': T0},
                           'AssumedRoleUser': {'AssumedRoleId': 'AROA:s', 'Arn': 'arn'}, 'PackedPolicySize': 6}),
    ('ec2', 'DescribeInstances', {'Reservations': [{'ReservationId': 'r-1', 'Instances': [
        {'InstanceId': 'i-1', 'State': {'Code': 16, 'Name': 'running'}, 'LaunchTime': T0,
         'PrivateIpAddress': '10.0.0.1', 'Tags': [{'Key': 'Name', 'Value': 'master'}],
         'EbsOptimized': True}]}]}),
    ('ec2', 'RunInstances', {'ReservationId': 'r-1', 'OwnerId': '123456789012', 'Instances': [{'InstanceId': 'i-2'}]}),
    ('cloudformation', 'DescribeStacks', {'Stacks': [{
        'StackName': 's', 'StackId': 'id', 'CreationTime': T0, 'StackStatus': 'CREATE_COMPLETE',
        'Parameters': [{'ParameterKey': 'k', 'ParameterValue': 'v'}],
        'Outputs': [{'OutputKey': 'MasterIp', 'OutputValue': '1.2.3.4'}], 'Capabilities': ['CAPABILITY_IAM']}],
        'NextToken': 'n'}),
    ('autoscaling', 'DescribeAutoScalingGroups', {'AutoScalingGroups': [{
        'AutoScalingGroupName': 'w', 'MinSize': 0, 'MaxSize': 4, 'DesiredCapacity': 2, 'DefaultCooldown': 300,
        'AvailabilityZones': ['us-east-1a'], 'HealthCheckType': 'EC2', 'CreatedTime': T0,
        'Instances': [{'InstanceId': 'i-1', 'AvailabilityZone': 'us-east-1a', 'LifecycleState': 'InService',
                       'HealthStatus': 'Healthy', 'ProtectedFromScaleIn': False}]}]}),
    ('ssm', 'GetParameter', {'Parameter': {'Name': 'n', 'Type': 'String', 'Value': 'ami-1', 'Version': 3,
                                           'LastModifiedDate': T0}}),
    ('ecr', 'GetAuthorizationToken', {'authorizationData': [{'authorizationToken': 'QVdTOnRvaw==',
                                                             'expiresAt': T0, 'proxyEndpoint': 'http://x'}]}),
    ('s3', 'ListObjectsV2', {'IsTruncated': False, 'Name': 'b', 'Prefix': 'p/', 'KeyCount': 2, 'MaxKeys': 1000,
                             'Contents': [{'Key': 'p/a', 'Size': 3, 'ETag': '"e"', 'LastModified': T0,
                                           'StorageClass': 'STANDARD'}, {'Key': 'p/b', 'Size': 0}],
                             'CommonPrefixes': [{'Prefix': 'p/d/'}]}),
    ('s3', 'CreateMultipartUpload', {'Bucket': 'b', 'Key': 'k', 'UploadId': 'u-1'}),
    ('s3', 'GetObject', {'Body': b'hello', 'ContentLength': 5, 'ETag': '"e"', 'LastModified': T0,
                         'Metadata': {'owner': 'me'}, 'ContentType': 'text/plain'}),
    ('s3', 'CopyObject', {'CopyObjectResult': {'ETag': '"e"', 'LastModified': T0}}),
    # issue 15: capacity
    ('ec2', 'DescribeInstanceTypes', {'InstanceTypes': [{
        'InstanceType': 'p4d.24xlarge', 'ProcessorInfo': {'SupportedArchitectures': ['x86_64']},
        'VCpuInfo': {'DefaultVCpus': 96}, 'NetworkInfo': {'EfaSupported': True, 'MaximumNetworkCards': 4},
        'GpuInfo': {'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8,
                              'MemoryInfo': {'SizeInMiB': 40960}}], 'TotalGpuMemoryInMiB': 327680}}]}),
    ('autoscaling', 'DescribeScalingActivities', {'Activities': [{
        'ActivityId': 'a-1', 'AutoScalingGroupName': 'w', 'Cause': 'c', 'StartTime': T0, 'StatusCode': 'Failed',
        'StatusMessage': 'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity '
                         'available that matches your request. Launching EC2 instance failed.',
        'Details': '{"Subnet ID":"subnet-1","Availability Zone":"us-east-1a"}'}]}),
    ('service-quotas', 'GetServiceQuota', {'Quota': {'ServiceCode': 'ec2', 'QuotaCode': 'L-417A185B',
                                                     'QuotaName': 'Running On-Demand P instances', 'Value': 384.0}}),
    ('fsx', 'DescribeFileSystems', {'FileSystems': [{
        'FileSystemId': 'fs-1', 'Lifecycle': 'AVAILABLE', 'StorageCapacity': 1200, 'DNSName': 'fs-1.fsx.x',
        'CreationTime': T0, 'LustreConfiguration': {'DeploymentType': 'SCRATCH_2', 'MountName': 'abcdefgh'}}]}),
]


class AnswersForBotocore(unittest.TestCase):
    def test_each_answer_parses_to_its_result(self):
        for service, op_name, result in ANSWERS:
            with self.subTest(op=service + ':' + op_name):
                model = _session.get_service_model(service)
                op = model.operation_model(op_name)
                proto = protocols.get(model.protocol)
                ctx = _Ctx(model, op.http.get('method', 'POST'))
                resp = proto.finish(proto.serialize(op, result, ctx), ctx)
                parsed = parse_answer(model, op, resp)
                meta = parsed.pop('ResponseMetadata')
                self.assertEqual(meta['RequestId'], 'req-0001')
                expected = dict(result)
                if 'Body' in expected:
                    expected['Body'] = expected['Body'].decode()
                self.assertEqual(parsed, expected)

    def test_errors_parse_in_every_protocol(self):
        for service in ('sts', 'ec2', 'ssm', 's3'):
            with self.subTest(service=service):
                model = _session.get_service_model(service)
                proto = protocols.get(model.protocol)
                ctx = _Ctx(model)
                resp = proto.finish(proto.serialize_error(AwsError('Throttling', 'Rate <exceeded>', 400), ctx), ctx)
                parsed = parse_answer(model, None, resp)
                self.assertEqual(parsed['Error']['Code'], 'Throttling')
                self.assertEqual(parsed['Error']['Message'], 'Rate <exceeded>')
                self.assertEqual(parsed['ResponseMetadata']['RequestId'], 'req-0001')

    def test_result_with_unknown_member_is_a_sandbox_bug(self):
        from protocols.common import OutputError
        model = _session.get_service_model('sts')
        op = model.operation_model('GetCallerIdentity')
        with self.assertRaises(OutputError):
            protocols.get('query').serialize(op, {'Account': '1', 'Bogus': 2}, _Ctx(model))


if __name__ == '__main__':
    unittest.main()
