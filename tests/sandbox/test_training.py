"""Tests of the sandbox's SageMaker, CloudWatch Logs and ECR through botocore, an independent
client: a job's secondary statuses and log streams over time, an injected failure, the log
tokens' semantics, and ECR repositories and tokens without a registry. (Pushing to a real
docker-registry through ECR is covered by the C++ integration tests.)
Uses the sandbox named by $AWSDL_SANDBOX_PORT_FILE (the ctest fixture); without it, starts
its own in a temporary directory."""

import base64
import time
import unittest

from botocore.exceptions import ClientError

import testkit

ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole'
SANDBOX = testkit.Sandbox()
control = SANDBOX.control
client = SANDBOX.client


def setUpModule():
    SANDBOX.start('sandbox-training-test-')


def tearDownModule():
    SANDBOX.stop()


def job_request(name, count=2):
    return dict(TrainingJobName=name, RoleArn=ROLE,
                AlgorithmSpecification={'TrainingImage': '123456789012.dkr.ecr.us-east-1.amazonaws.com/t:v1',
                                        'TrainingInputMode': 'File'},
                InputDataConfig=[{'ChannelName': 'train', 'DataSource': {'S3DataSource': {
                    'S3DataType': 'S3Prefix', 'S3Uri': 's3://b/train/',
                    'S3DataDistributionType': 'FullyReplicated'}}}],
                OutputDataConfig={'S3OutputPath': 's3://b/out/'},
                ResourceConfig={'InstanceType': 'ml.p3.16xlarge', 'InstanceCount': count, 'VolumeSizeInGB': 30},
                StoppingCondition={'MaxRuntimeInSeconds': 3600},
                HyperParameters={'epochs': '2'})


class Training(unittest.TestCase):
    def setUp(self):
        control('reset')
        control('services/sagemaker/config', {'step_seconds': 0.1, 'training_seconds': 0.5, 'line_seconds': 0.05})
        self.sm, self.logs, self.ecr = client('sagemaker'), client('logs'), client('ecr')

    def tearDown(self):
        for c in (self.sm, self.logs, self.ecr):
            c.close()

    def wait(self, name, timeout=20):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            d = self.sm.describe_training_job(TrainingJobName=name)
            if d['SecondaryStatus'] not in seen:
                seen.append(d['SecondaryStatus'])
            if d['TrainingJobStatus'] in ('Completed', 'Failed', 'Stopped'):
                return d, seen
            self.assertLess(time.monotonic(), deadline, 'job %s still %s' % (name, d['SecondaryStatus']))
            time.sleep(0.05)

    def test_job_runs_through_its_statuses_and_writes_a_stream_per_host(self):
        arn = self.sm.create_training_job(**job_request('sb-ok'))['TrainingJobArn']
        self.assertTrue(arn.endswith(':training-job/sb-ok'))
        d, seen = self.wait('sb-ok')
        self.assertEqual(d['TrainingJobStatus'], 'Completed')
        self.assertEqual([t['Status'] for t in d['SecondaryStatusTransitions']],
                         ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed'])
        self.assertEqual(seen[-1], 'Completed')
        self.assertEqual(d['HyperParameters'], {'epochs': '2'})
        self.assertEqual(d['ModelArtifacts']['S3ModelArtifacts'], 's3://b/out/sb-ok/output/model.tar.gz')
        streams = self.logs.describe_log_streams(logGroupName='/aws/sagemaker/TrainingJobs',
                                                 logStreamNamePrefix='sb-ok/')['logStreams']
        self.assertEqual(sorted(s['logStreamName'].split('/')[1].split('-')[0:2] for s in streams),
                         [['algo', '1'], ['algo', '2']])
        with self.assertRaises(ClientError) as again:
            self.sm.create_training_job(**job_request('sb-ok'))
        self.assertEqual(again.exception.response['Error']['Code'], 'ResourceInUse')
        names = [s['TrainingJobName'] for s in self.sm.list_training_jobs()['TrainingJobSummaries']]
        self.assertEqual(names, ['sb-ok'])

    def test_get_log_events_pages_forward_without_gaps_or_repeats(self):
        self.sm.create_training_job(**job_request('sb-logs', count=1))
        self.wait('sb-logs')
        stream = self.logs.describe_log_streams(logGroupName='/aws/sagemaker/TrainingJobs',
                                                logStreamNamePrefix='sb-logs/')['logStreams'][0]['logStreamName']
        everything = self.logs.get_log_events(logGroupName='/aws/sagemaker/TrainingJobs', logStreamName=stream,
                                              startFromHead=True, limit=10000)['events']
        self.assertGreater(len(everything), 3)
        paged, token = [], None
        for _ in range(len(everything) + 2):
            kw = dict(logGroupName='/aws/sagemaker/TrainingJobs', logStreamName=stream, startFromHead=True, limit=2)
            if token:
                kw['nextToken'] = token
            page = self.logs.get_log_events(**kw)
            paged += page['events']
            if page['nextForwardToken'] == token:
                break   # at the end the forward token comes back unchanged
            token = page['nextForwardToken']
        self.assertEqual([e['message'] for e in paged], [e['message'] for e in everything])

    def test_injected_failure_ends_the_job_with_its_reason(self):
        control('services/sagemaker/fail', {'job': 'sb-bad', 'reason': 'AlgorithmError: loss is NaN',
                                            'status': 'Training'})
        self.sm.create_training_job(**job_request('sb-bad'))
        d, _ = self.wait('sb-bad')
        self.assertEqual(d['TrainingJobStatus'], 'Failed')
        self.assertEqual(d['FailureReason'], 'AlgorithmError: loss is NaN')
        self.assertEqual(control('services/sagemaker/jobs')['jobs'], {'sb-bad': 'Failed'})
        with self.assertRaisesRegex(AssertionError, '-> 400'):
            control('services/sagemaker/fail', {'job': 'x', 'status': 'Sleeping'})

    def test_stop_and_bad_requests(self):
        control('services/sagemaker/config', {'training_seconds': 30})
        self.sm.create_training_job(**job_request('sb-stop'))
        self.sm.stop_training_job(TrainingJobName='sb-stop')
        d, _ = self.wait('sb-stop')
        self.assertEqual(d['TrainingJobStatus'], 'Stopped')
        with self.assertRaises(ClientError) as missing:
            self.sm.describe_training_job(TrainingJobName='sb-none')
        self.assertEqual(missing.exception.response['Error']['Code'], 'ValidationException')
        bad = job_request('sb-zero')
        bad['ResourceConfig']['InstanceCount'] = 0
        with self.assertRaises(ClientError) as zero:
            self.sm.create_training_job(**bad)
        self.assertEqual(zero.exception.response['Error']['Code'], 'ValidationException')

    def test_ecr_repositories_and_tokens_without_a_registry(self):
        repo = self.ecr.create_repository(repositoryName='team/train')['repository']
        self.assertEqual(repo['repositoryUri'], '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/train')
        with self.assertRaises(ClientError) as dup:
            self.ecr.create_repository(repositoryName='team/train')
        self.assertEqual(dup.exception.response['Error']['Code'], 'RepositoryAlreadyExistsException')
        auth = self.ecr.get_authorization_token()['authorizationData'][0]
        user, _, password = base64.b64decode(auth['authorizationToken']).decode().partition(':')
        self.assertEqual(user, 'AWS')
        self.assertTrue(password)
        self.assertEqual(control('services/ecr/repositories'), {'repositories': ['team/train']})
        with self.assertRaisesRegex(AssertionError, '-> 400'):
            control('services/ecr/registry', {'endpoint': 'http://10.0.0.1:5000'})   # loopback only
        self.ecr.delete_repository(repositoryName='team/train')
        with self.assertRaises(ClientError) as gone:
            self.ecr.describe_repositories(repositoryNames=['team/train'])
        self.assertEqual(gone.exception.response['Error']['Code'], 'RepositoryNotFoundException')


if __name__ == '__main__':
    unittest.main()
