"""SageMaker training jobs that run on a (fast, configurable) clock.

A job moves through the secondary statuses real jobs show, Starting -> Downloading ->
Training -> Uploading -> Completed, each `step_seconds` long except Training
(`training_seconds`), and writes CloudWatch log lines while it runs: one stream per
instance in /aws/sagemaker/TrainingJobs named "<job>/algo-<n>-<epoch>", created when the
job starts downloading, growing by one line every `line_seconds` while it trains.
StopTrainingJob goes through Stopping to Stopped after one step. State is computed from
the clock whenever anything looks (no background thread).

Control actions (POST /_sandbox/services/sagemaker/<action>):
  config {"step_seconds": 0.2, "training_seconds": 1.0, "line_seconds": 0.1}  (any subset)
  fail   {"job": "NAME" or "*", "reason": "AlgorithmError: ...", "status": "Training"}
         the job (or the next jobs created, for "*") fails at the end of that secondary
         status with that FailureReason; a rule for an already running job applies at once
         if that status is already over.
  jobs   {} -> {"jobs": {name: status}}
Not modelled: warm pools, debugger/profiler rule evaluation, tuning jobs, metrics."""

import datetime

from core.errors import AwsError
from core.service import Service

GROUP = '/aws/sagemaker/TrainingJobs'
PHASES = [
    ('Starting', 'Preparing the instances for training'),
    ('Downloading', 'Downloading input data'),
    ('Training', 'Training image download completed. Training in progress.'),
    ('Uploading', 'Uploading generated training model'),
]
SUMMARY_KEYS = ('TrainingJobName', 'TrainingJobArn', 'CreationTime', 'TrainingEndTime', 'LastModifiedTime',
                'TrainingJobStatus')
ECHO_KEYS = ('HyperParameters', 'AlgorithmSpecification', 'RoleArn', 'InputDataConfig', 'OutputDataConfig',
             'ResourceConfig', 'VpcConfig', 'StoppingCondition', 'EnableNetworkIsolation',
             'EnableInterContainerTrafficEncryption', 'EnableManagedSpotTraining', 'CheckpointConfig',
             'DebugHookConfig', 'ExperimentConfig', 'DebugRuleConfigurations', 'TensorBoardOutputConfig',
             'ProfilerConfig', 'ProfilerRuleConfigurations', 'Environment', 'RetryStrategy')


def _secs(s):
    return datetime.timedelta(seconds=s)


class SageMaker(Service):
    name = 'sagemaker'

    def reset(self):
        self.jobs = {}
        self.fail_rules = {}  # job name or '*' -> {"reason", "status"}
        self.step_seconds = 0.2
        self.training_seconds = 1.0
        self.line_seconds = 0.1

    def control(self, action, body):
        body = body or {}
        if action == 'config':
            for k in ('step_seconds', 'training_seconds', 'line_seconds'):
                if k in body:
                    v = float(body[k])
                    if v <= 0 or v > 600:
                        raise ValueError('%s: a number of seconds in (0, 600]' % k)
                    setattr(self, k, v)
            return {'step_seconds': self.step_seconds, 'training_seconds': self.training_seconds,
                    'line_seconds': self.line_seconds}
        if action == 'fail':
            status = body.get('status', 'Training')
            if status not in [p[0] for p in PHASES]:
                raise ValueError('status: one of %s' % ', '.join(p[0] for p in PHASES))
            rule = {'reason': body.get('reason') or 'AlgorithmError: the training script exited with status 1',
                    'status': status}
            name = body.get('job') or '*'
            self.fail_rules[name] = rule
            job = self.jobs.get(name)
            if job is not None:
                now = datetime.datetime.now(datetime.timezone.utc)
                self.advance(now)
                if job['TrainingJobStatus'] == 'InProgress':
                    self._plan(job, rule, now)
            return {'job': name}
        if action == 'jobs':
            now = datetime.datetime.now(datetime.timezone.utc)
            self.advance(now)
            return {'jobs': {n: j['TrainingJobStatus'] for n, j in self.jobs.items()}}
        return super().control(action, body)

    # ------------------------------------------------------------------ the clock
    def _plan(self, job, rule, now=None):
        """The timeline: [(status, start, message)] and how it ends; recomputed when a
        failure rule or a stop arrives (what already happened stays as it was)."""
        t = job['CreationTime']
        plan = []
        end_status, end_reason = 'Completed', None
        for status, message in PHASES:
            length = self.training_seconds if status == 'Training' else self.step_seconds
            plan.append((status, t, message))
            t = t + _secs(length)
            if rule and rule['status'] == status:
                if now is not None and t < now:
                    t = now
                end_status, end_reason = 'Failed', rule['reason']
                break
        job['plan'] = plan
        job['end'] = (end_status, t, end_reason)

    def _lines(self, job):
        """Every log line the job writes over its plan: (time, host index, message)."""
        out = []
        hosts = job['ResourceConfig'].get('InstanceCount') or 1
        phase_start = {s: t for s, t, _ in job['plan']}
        end_status, end_time, reason = job['end']
        for h in range(1, hosts + 1):
            tag = 'algo-%d' % h
            if 'Downloading' in phase_start:
                channels = ', '.join(c['ChannelName'] for c in job.get('InputDataConfig') or []) or 'none'
                out.append((phase_start['Downloading'], h, '%s: downloading input data (channels: %s)' % (tag, channels)))
            if 'Training' in phase_start:
                start = phase_start['Training']
                stop = min(phase_start.get('Uploading', end_time), job.get('stopping_at') or end_time)
                n = 0
                while True:
                    when = start + _secs(self.line_seconds * n)
                    if when >= stop:
                        break
                    out.append((when, h, '%s: line %d: epoch %d step %d loss=%.4f'
                                % (tag, n, n // 10, n % 10, 1.0 / (n + 1))))
                    n += 1
            if 'Uploading' in phase_start:
                out.append((phase_start['Uploading'], h, '%s: saving the model to /opt/ml/model' % tag))
            if end_status == 'Completed':
                out.append((end_time, h, '%s: training complete' % tag))
            elif end_status == 'Failed':
                out.append((end_time, h, '%s: %s' % (tag, reason)))
            elif end_status == 'Stopped':
                out.append((end_time, h, '%s: received SIGTERM, stopping' % tag))
        out.sort(key=lambda e: (e[0], e[1]))
        return out

    def advance(self, now):
        """Brings every job's status and log streams up to `now`."""
        logs = self.sandbox.services.get('logs')
        for job in self.jobs.values():
            if job['final']:
                continue
            end_status, end_time, reason = job['end']
            transitions = []
            last_end = job.get('stopping_at') or end_time
            for i, (status, start, message) in enumerate(job['plan']):
                if start > now:
                    break
                nxt = job['plan'][i + 1][1] if i + 1 < len(job['plan']) else last_end
                tr = {'Status': status, 'StartTime': start, 'StatusMessage': message}
                if nxt <= now:
                    tr['EndTime'] = nxt
                transitions.append(tr)
            if job.get('stopping_at') is not None and job['stopping_at'] <= now:
                if transitions and 'EndTime' not in transitions[-1]:
                    transitions[-1]['EndTime'] = job['stopping_at']
                transitions.append({'Status': 'Stopping', 'StartTime': job['stopping_at'],
                                    'StatusMessage': 'Stopping the training job'})
            job['SecondaryStatusTransitions'] = transitions
            job['SecondaryStatus'] = transitions[-1]['Status'] if transitions else 'Starting'
            job['TrainingJobStatus'] = 'Stopping' if job.get('stopping_at') is not None else 'InProgress'
            if 'Training' in [t['Status'] for t in transitions] and 'TrainingStartTime' not in job:
                job['TrainingStartTime'] = [t for t in transitions if t['Status'] == 'Training'][0]['StartTime']
            if end_time <= now:
                status = {'Completed': 'Completed', 'Failed': 'Failed', 'Stopped': 'Stopped'}[end_status]
                if transitions and 'EndTime' not in transitions[-1]:
                    transitions[-1]['EndTime'] = end_time
                messages = {'Completed': 'Training job completed', 'Failed': 'Training job failed',
                            'Stopped': 'The training job was stopped'}
                transitions.append({'Status': status, 'StartTime': end_time, 'EndTime': end_time,
                                    'StatusMessage': messages[status]})
                job.update({'TrainingJobStatus': status, 'SecondaryStatus': status, 'TrainingEndTime': end_time,
                            'LastModifiedTime': end_time, 'final': True})
                if reason:
                    job['FailureReason'] = reason
                seconds = max(1, int((end_time - job['CreationTime']).total_seconds()))
                job['TrainingTimeInSeconds'] = seconds
                job['BillableTimeInSeconds'] = max(1, seconds // 2) if job.get('EnableManagedSpotTraining') else seconds
            else:
                job['LastModifiedTime'] = transitions[-1]['StartTime'] if transitions else job['CreationTime']
            if logs is not None:
                lines = self._lines(job)
                upto = min(now, end_time)
                while job['lines_written'] < len(lines) and lines[job['lines_written']][0] <= upto:
                    when, host, message = lines[job['lines_written']]
                    stream = '%s/algo-%d-%d' % (job['TrainingJobName'], host, int(job['CreationTime'].timestamp()))
                    logs.append_event(GROUP, stream, when, message)
                    job['lines_written'] += 1

    # ------------------------------------------------------------------ operations
    def _job(self, ctx, name):
        self.advance(ctx.now())
        job = self.jobs.get(name)
        if job is None:
            raise AwsError('ValidationException', 'Requested resource not found.', 400)
        return job

    def CreateTrainingJob(self, ctx, params):
        self.advance(ctx.now())
        name = params['TrainingJobName']
        arn = 'arn:aws:sagemaker:%s:%s:training-job/%s' % (ctx.region, ctx.account, name.lower())
        if name in self.jobs:
            raise AwsError('ResourceInUse', 'Training job names must be unique within an AWS account and region, '
                           'and a training job with this name already exists (%s)' % arn, 400)
        spec = params['AlgorithmSpecification']
        if not spec.get('TrainingImage') and not spec.get('AlgorithmName'):
            raise AwsError('ValidationException', 'Either TrainingImage or AlgorithmName must be specified.', 400)
        res = params['ResourceConfig']
        if not res.get('InstanceGroups') and (not res.get('InstanceType') or not res.get('InstanceCount')):
            raise AwsError('ValidationException', 'InstanceType and InstanceCount (at least 1) are required '
                           'when InstanceGroups is not specified.', 400)
        stop = params['StoppingCondition']
        if params.get('EnableManagedSpotTraining'):
            if not stop.get('MaxWaitTimeInSeconds'):
                raise AwsError('ValidationException', 'MaxWaitTimeInSeconds is required for managed spot training.', 400)
            if stop['MaxWaitTimeInSeconds'] < stop.get('MaxRuntimeInSeconds', 86400):
                raise AwsError('ValidationException', 'Invalid MaxWaitTimeInSeconds. It must be present and be '
                               'greater than or equal to MaxRuntimeInSeconds', 400)
        elif stop.get('MaxWaitTimeInSeconds'):
            raise AwsError('ValidationException',
                           'MaxWaitTimeInSeconds is only valid with EnableManagedSpotTraining.', 400)
        names = [c['ChannelName'] for c in params.get('InputDataConfig') or []]
        if len(set(names)) != len(names):
            raise AwsError('ValidationException', 'Channel names must be unique.', 400)
        hp = params.get('HyperParameters') or {}
        if len(hp) > 100 or any(len(k) > 256 or len(v) > 2500 for k, v in hp.items()):
            raise AwsError('ValidationException', 'At most 100 hyperparameters; keys up to 256 and values up '
                           'to 2500 characters.', 400)
        now = ctx.now()
        job = {k: params[k] for k in ECHO_KEYS if k in params}
        output = params['OutputDataConfig']['S3OutputPath'].rstrip('/')
        job.update({'TrainingJobName': name, 'TrainingJobArn': arn, 'CreationTime': now, 'LastModifiedTime': now,
                    'TrainingJobStatus': 'InProgress', 'SecondaryStatus': 'Starting',
                    'ModelArtifacts': {'S3ModelArtifacts': '%s/%s/output/model.tar.gz' % (output, name)},
                    'Tags': params.get('Tags') or [], 'final': False, 'lines_written': 0})
        rule = self.fail_rules.get(name) or self.fail_rules.get('*')
        self._plan(job, rule)
        self.jobs[name] = job
        self.advance(now)
        return {'TrainingJobArn': arn}

    def DescribeTrainingJob(self, ctx, params):
        job = self._job(ctx, params['TrainingJobName'])
        keys = ECHO_KEYS + ('TrainingJobName', 'TrainingJobArn', 'ModelArtifacts', 'TrainingJobStatus',
                            'SecondaryStatus', 'FailureReason', 'CreationTime', 'TrainingStartTime',
                            'TrainingEndTime', 'LastModifiedTime', 'SecondaryStatusTransitions',
                            'TrainingTimeInSeconds', 'BillableTimeInSeconds')
        return {k: job[k] for k in keys if k in job}

    def StopTrainingJob(self, ctx, params):
        job = self._job(ctx, params['TrainingJobName'])
        if job['TrainingJobStatus'] != 'InProgress':
            raise AwsError('ValidationException', 'The job status is %s. StopTrainingJob is only valid for jobs '
                           'that are InProgress.' % job['TrainingJobStatus'], 400)
        now = ctx.now()
        job['stopping_at'] = now
        plan = [p for p in job['plan'] if p[1] <= now]
        job['plan'] = plan
        job['end'] = ('Stopped', now + _secs(self.step_seconds), None)
        self.advance(now)
        return {}

    def ListTrainingJobs(self, ctx, params):
        self.advance(ctx.now())
        jobs = list(self.jobs.values())
        if params.get('NameContains'):
            jobs = [j for j in jobs if params['NameContains'].lower() in j['TrainingJobName'].lower()]
        if params.get('StatusEquals'):
            jobs = [j for j in jobs if j['TrainingJobStatus'] == params['StatusEquals']]
        for key, field, after in (('CreationTimeAfter', 'CreationTime', True),
                                  ('CreationTimeBefore', 'CreationTime', False),
                                  ('LastModifiedTimeAfter', 'LastModifiedTime', True),
                                  ('LastModifiedTimeBefore', 'LastModifiedTime', False)):
            if params.get(key) is not None:
                jobs = [j for j in jobs if (j[field] > params[key]) == after]
        sort_by = params.get('SortBy') or 'CreationTime'
        field = {'Name': 'TrainingJobName', 'CreationTime': 'CreationTime', 'Status': 'TrainingJobStatus'}[sort_by]
        jobs.sort(key=lambda j: (j[field], j['TrainingJobName']),
                  reverse=(params.get('SortOrder') or 'Descending') == 'Descending')
        token = params.get('NextToken')
        start = 0
        if token:
            if not token.isdigit():
                raise AwsError('ValidationException', 'Invalid pagination token', 400)
            start = int(token)
        limit = params.get('MaxResults') or 10
        page = jobs[start:start + limit]
        out = {'TrainingJobSummaries': [{k: j[k] for k in SUMMARY_KEYS if k in j} for j in page]}
        if start + limit < len(jobs):
            out['NextToken'] = str(start + limit)
        return out


SERVICE = SageMaker
