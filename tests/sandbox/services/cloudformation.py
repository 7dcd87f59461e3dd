"""CloudFormation: stacks whose resources are really created in the rest of the sandbox, in
dependency order, with events over time, failure and rollback.

Operations: CreateStack / UpdateStack / DeleteStack / DescribeStacks / ListStacks /
DescribeStackEvents (newest first, pages of 100) / DescribeStackResources /
DescribeStackResource / ListStackResources / GetTemplate / ValidateTemplate / SignalResource.

Templates (JSON only) come from TemplateBody (at most 51,200 bytes) or TemplateURL, an object
of the sandbox's own S3: path style http://127.0.0.1:port/bucket/key or
https://s3[.region].amazonaws.com/bucket/key, virtual-hosted https://bucket.s3[.region].amazonaws.com/key
or http://bucket.localhost:port/key (a missing object is a ValidationError). They are checked
against the CloudFormation resource specification (npm @aws-cdk/cfnspec, services/_cfn_spec.py;
the same checks as tests/support/validate_cfn_template.js):
structure problems (unknown resource types, Ref/GetAtt/Sub targets, unknown attributes,
DependsOn, cycles, parameter declarations, outputs) are ValidationError "Template format
error: ..." at once; property problems (unknown or missing required properties, wrong
primitive types) make that resource CREATE_FAILED "Property validation failure: [...]" when
it is reached, and the stack rolls back, as AWS does. Parameters are checked (types, patterns,
allowed values, ranges); AWS::EC2::KeyPair::KeyName must name an EC2 key pair of the region,
AWS::EC2::AvailabilityZone::Name one of its zones (<region>a, b, c);
AWS::SSM::Parameter::Value<...> is resolved through the sandbox's SSM (ResolvedValue).
Capabilities: CAPABILITY_IAM / CAPABILITY_NAMED_IAM as AWS asks for them.

Intrinsics (services/_cfn_intrinsics.py): Ref (parameters, pseudo parameters, resources ->
physical ids), Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::GetAZs, Fn::If and Conditions,
Fn::Base64, Fn::Split, Fn::FindInMap, Fn::Cidr, Fn::Length. Resources are created when what
they reference (Ref/GetAtt/Sub) and their DependsOn are complete; each is CREATE_IN_PROGRESS
for `transition_seconds` (default 0.05) and then CREATE_COMPLETE, so a stack completes in
about a second plus the instances' boot time. Event times are those a real run would have
(a resource starts when its last dependency completed), and state advances lazily whenever
the stack, or anything EC2, Auto Scaling or EFS describes, is looked at: no background thread
(services/_cfn_engine.py).

Effects (services/_cfn_resources.py): VPCs, subnets (MapPublicIpOnLaunch honoured), security
groups and ingress rules appear in EC2; Auto Scaling groups are created through autoscaling.py
with their launch template's image, type, key, groups, profile and block devices, so their
instances are EC2 instances (taking node-pool addresses); EFS file systems and mount targets
appear in efs.py; other types are stored records with AWS-shaped physical ids and GetAtt
values. A group with a CreationPolicy gets one SUCCESS signal per running instance (the
sandbox plays cfn-signal); SignalResource can send SUCCESS/FAILURE too. A WaitCondition
completes when the group whose launch template's user data holds its handle (the master) runs
and every other group's instances run; its Data is what awsdl's master sends:
{"master":"master=<private ip> public=<public ip> workers=<nodes>"}. Creation policies and
wait conditions time out after min(their timeout, `signal_timeout_seconds`, default 10).
When a group launches fewer instances than desired (the autoscaling `capacity` control), the
sandbox does what the template's capacity Lambda does: if a Lambda function of the stack has
WORKER_GROUP = the group's name and MIN_WORKERS, and the group notifies launch errors, a
shortfall down to MIN_WORKERS lowers the group's desired capacity (an event says so, and the
Lambda's report is kept for its REPORT_QUEUE); below it, or without such a function, the group
fails: "Group did not stabilize ... Failed Scaling Activity: <the capacity error>".

Failure: CREATE_FAILED with the reason (resources still in progress: "Resource creation
cancelled"), then per OnFailure: ROLLBACK (default) -> ROLLBACK_IN_PROGRESS, every created
resource deleted in reverse dependency order (DELETE_IN_PROGRESS / DELETE_COMPLETE; groups
are deleted with their instances and complete once those are terminated), ROLLBACK_COMPLETE;
DO_NOTHING -> CREATE_FAILED; DELETE -> the same deletion, then DELETE_COMPLETE. DeleteStack
deletes the same way (during a create it first cancels what is in progress); DeletionPolicy
Retain leaves the resource (DELETE_SKIPPED). UpdateStack
re-resolves every resource with the new template/parameters and updates those whose
properties changed (UPDATE_IN_PROGRESS / UPDATE_COMPLETE; an Auto Scaling group takes its new
min/max/desired and launch template), creates added ones and deletes removed ones, then
UPDATE_COMPLETE_CLEANUP_IN_PROGRESS and UPDATE_COMPLETE; a failing update rolls back to the
previous template and parameters (UPDATE_ROLLBACK_COMPLETE).

Control: `POST /_sandbox/services/cloudformation/config {"transition_seconds": s,
"signal_timeout_seconds": s}`; `.../fail {"stack": NAME, "logical_id": ID, "reason": TEXT}` makes
that resource fail in the stack's next create; `.../resources {"stack": NAME}` lists the
stack's records (physical ids, attributes, resolved properties; a queue's Lambda reports).

Not modelled: YAML, transforms, nested stacks, change sets, stack policies, drift,
TimeoutInMinutes, rollback triggers, UpdatePolicy (rolling updates), replacement updates
(every update is in place, except a subnet whose AvailabilityZone, CidrBlock or VpcId changes:
it is replaced, a new id that every Ref then carries, and a CIDR block that overlaps another
subnet of the VPC, the old one included, fails the update with InvalidSubnet.Conflict), custom resources (stored records, no provider call),
Fn::ImportValue/exports, resource import, real IAM/SQS/SNS/Lambda services."""

import json
import re
import urllib.parse
import uuid

from core.errors import AwsError
from core.service import Service
from services import _cfn_spec
from services._cfn_engine import StackEngine, now as _now, validation as _validation
from services._cfn_intrinsics import NO_VALUE, ResolveError, Resolver

MAX_BODY = 51200
MAX_URL_BODY = 1000000


def _template_error(problems):
    # AWS names the first problems; the rest would only bury them.
    texts = []
    for p in problems[:5]:
        texts.append('[/%s] %s' % (p.path.replace('.', '/'), p.message))
    unknown = [p.message.split()[-1] for p in problems if p.message.startswith('unknown resource type')]
    if unknown:
        return _validation('Template format error: Unrecognized resource types: [%s]' % ', '.join(unknown))
    return _validation('Template format error: %s' % '; '.join(texts))


class CloudFormation(StackEngine, Service):
    name = 'cloudformation'

    def reset(self):
        self.stacks = {}        # stack id -> dict (deleted ones kept for events by id)
        self.tokens = {}        # ClientRequestToken -> stack id
        self.failures = {}      # stack name -> (logical id, reason)
        self.transition_seconds = 0.05
        self.signal_timeout_seconds = 10.0
        self.seq = 0

    def control(self, action, body):
        body = body or {}
        if action == 'config':
            if 'transition_seconds' in body:
                self.transition_seconds = max(0.0, float(body['transition_seconds']))
            if 'signal_timeout_seconds' in body:
                self.signal_timeout_seconds = max(0.0, float(body['signal_timeout_seconds']))
            return {'transition_seconds': self.transition_seconds,
                    'signal_timeout_seconds': self.signal_timeout_seconds}
        if action == 'fail':
            self.failures[body['stack']] = (body['logical_id'], body.get('reason', 'Resource creation failed'))
            return {'ok': True}
        if action == 'resources':
            for s in self.stacks.values():
                if body.get('stack') in (s['StackName'], s['StackId']) and s['StackStatus'] != 'DELETE_COMPLETE':
                    self._advance(s)
                    return {'stack': s['StackId'], 'status': s['StackStatus'], 'resources': {
                        lid: {'type': r['type'], 'status': r['status'], 'physical': r['physical'],
                              'attributes': r['attrs'], 'properties': r['props'],
                              **({'messages': r['messages']} if r.get('messages') else {})}
                        for lid, r in s['resources'].items()}}
            raise _validation('Stack with id %s does not exist' % body.get('stack'))
        return super().control(action, body)

    # ------------------------------------------------------------------ templates
    def _body(self, ctx, params):
        if params.get('TemplateURL') and params.get('TemplateBody'):
            raise _validation('Specify exactly one of TemplateBody or TemplateUrl.')
        if 'TemplateURL' in params:
            return self._fetch(ctx, params['TemplateURL'])
        body = params.get('TemplateBody')
        if body is None:
            raise _validation('Either Template URL or Template Body must be specified.')
        if len(body.encode('utf-8')) > MAX_BODY:
            raise _validation("1 validation error detected: Value '%s...' at 'templateBody' failed to satisfy "
                              "constraint: Member must have length less than or equal to %d" % (body[:20], MAX_BODY))
        return body

    def _fetch(self, ctx, url):
        """The body of a TemplateURL from the sandbox's own S3."""
        bad = _validation('TemplateURL must be a supported URL.')
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise bad
        host = parts.hostname
        path = urllib.parse.unquote(parts.path).lstrip('/')
        m = re.fullmatch(r'(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?', host)
        if m or host.endswith('.localhost'):
            bucket, key = (m.group(1) if m else host[:-len('.localhost')]), path
        elif re.fullmatch(r's3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?', host) or host in (
                'localhost', '::1') or host.startswith('127.'):
            bucket, _, key = path.partition('/')
        else:
            raise bad
        missing = _validation('S3 error: Access Denied For more information check '
                              'http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html')
        s3 = self.sandbox.services.get('s3')
        if s3 is None or not bucket or not key:
            raise missing
        with s3.lock:
            b = s3.buckets.get(bucket)
            obj = b.objects.get(key) if b is not None and b.account == ctx.account else None
        if obj is None:
            raise missing
        if obj.size > MAX_URL_BODY:
            raise _validation('Template may not exceed %d bytes in size.' % MAX_URL_BODY)
        try:
            return obj.read(0, obj.size).decode('utf-8')
        except UnicodeDecodeError:
            raise _validation('Template format error: unsupported structure.')

    def _parse(self, body):
        try:
            tpl = json.loads(body)
        except ValueError:
            raise _validation('Template format error: JSON not well-formed. (the sandbox accepts JSON templates only)')
        if not isinstance(tpl, dict) or not isinstance(tpl.get('Resources'), dict) or not tpl['Resources']:
            raise _validation('Template format error: At least one Resources member must be defined.')
        for lid, res in tpl['Resources'].items():
            if not isinstance(res, dict) or not isinstance(res.get('Type'), str):
                raise _validation('Template format error: [/Resources/%s] Every Resources object must contain a '
                                  'Type member.' % lid)
        if 'Transform' in tpl:
            raise _validation('Template format error: the sandbox does not run transforms (%s)' % tpl['Transform'])
        problems = _cfn_spec.check_template(tpl)
        structural = [p for p in problems if p.kind == 'template']
        if structural:
            raise _template_error(structural)
        prop_problems = {}
        for p in problems:
            prop_problems.setdefault(p.resource, []).append(p)
        return tpl, prop_problems

    @staticmethod
    def _capabilities(tpl):
        types = {r['Type'] for r in tpl['Resources'].values()}
        iam = {t for t in types if t.startswith('AWS::IAM::')}
        named = any(k in r.get('Properties', {}) for r in tpl['Resources'].values()
                    if r['Type'].startswith('AWS::IAM::')
                    for k in ('RoleName', 'InstanceProfileName', 'UserName', 'GroupName', 'ManagedPolicyName'))
        if not iam:
            return None, ''
        need = 'CAPABILITY_NAMED_IAM' if named else 'CAPABILITY_IAM'
        return need, 'The following resource(s) require capabilities: [%s]' % ', '.join(sorted(iam))

    def _check(self, ctx, tpl, params, previous=None):
        """Given parameter values (str) and their resolved values, or ValidationError."""
        need, _ = self._capabilities(tpl)
        caps = params.get('Capabilities', [])
        if need and need not in caps and not (need == 'CAPABILITY_IAM' and 'CAPABILITY_NAMED_IAM' in caps):
            raise AwsError('InsufficientCapabilitiesException', 'Requires capabilities : [%s]' % need, 400)
        given = {}
        for p in params.get('Parameters', []):
            if p.get('UsePreviousValue'):
                if previous is None or p['ParameterKey'] not in previous:
                    raise _validation('Invalid input for parameter key %s. Cannot specify usePreviousValue as true '
                                      'for a parameter key not in the previous template' % p['ParameterKey'])
                given[p['ParameterKey']] = previous[p['ParameterKey']]
            else:
                given[p['ParameterKey']] = p.get('ParameterValue', '')
        declared = tpl.get('Parameters', {}) or {}
        unknown = [k for k in given if k not in declared]
        if unknown:
            raise _validation('Parameters: [%s] do not exist in the template' % ', '.join(unknown))
        missing = [k for k, d in declared.items() if k not in given and 'Default' not in (d or {})]
        if missing:
            raise _validation('Parameters: [%s] must have values' % ', '.join(missing))
        for k, d in declared.items():
            if k not in given:
                v = d['Default']
                given[k] = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
        resolved = {}
        for k, d in declared.items():
            resolved[k] = self._parameter(ctx, k, d, given[k])
        return given, resolved

    def _parameter(self, ctx, name, decl, value):
        problem = _cfn_spec.check_parameter_value(decl, value)
        ptype = decl.get('Type', 'String')
        if problem:
            if ptype == 'Number' and 'not a number' in problem:
                raise _validation("Parameter '%s' must be a number." % name)
            raise _validation("Parameter '%s' failed to satisfy constraint: %s"
                              % (name, decl.get('ConstraintDescription') or problem))
        m = re.fullmatch(r'AWS::SSM::Parameter::Value<(.+)>', ptype)
        if m:
            p = self.sandbox.services['ssm'].params.get(value)
            if p is None:
                raise _validation('Unable to fetch parameters [%s] from parameter store for this account.' % value)
            inner = m.group(1)
            v = p['Value']
            return v.split(',') if inner.startswith('List<') or inner == 'CommaDelimitedList' else v
        if ptype == 'AWS::EC2::KeyPair::KeyName':
            if value not in self.sandbox.services['ec2'].region(ctx.region).keys:
                raise _validation('Parameter validation failed: parameter value %s for parameter name %s does not '
                                  'exist.' % (value, name))
        if ptype == 'AWS::EC2::AvailabilityZone::Name':
            if value not in [ctx.region + z for z in 'abc']:
                raise _validation('Parameter validation failed: parameter value %s for parameter name %s does not '
                                  'exist.' % (value, name))
        if ptype.startswith('List<') or ptype == 'CommaDelimitedList':
            return [x.strip() if ptype.startswith('List<') else x for x in value.split(',')] if value else []
        return value

    # ------------------------------------------------------------------ lookups
    def _find(self, ctx, name, include_deleted=False):
        for s in self.stacks.values():
            if s['region'] != ctx.region:
                continue
            if name == s['StackId'] or (name == s['StackName'] and s['StackStatus'] != 'DELETE_COMPLETE'):
                self._advance(s)
                if s['StackStatus'] == 'DELETE_COMPLETE' and name == s['StackName'] and not include_deleted:
                    continue
                return s
        raise _validation('Stack with id %s does not exist' % name)

    def _outputs(self, s):
        if s['StackStatus'] not in ('CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'):
            return []
        resolver = Resolver(self._scope(s))
        out = []
        for k, o in (s['template'].get('Outputs') or {}).items():
            if not isinstance(o, dict):
                continue
            try:
                if o.get('Condition') and not resolver.condition(o['Condition']):
                    continue
                value = resolver.resolve(o.get('Value'))
            except ResolveError:
                continue
            if value is NO_VALUE:
                continue
            if isinstance(value, list):
                value = ','.join(str(v) for v in value)
            item = {'OutputKey': k, 'OutputValue': str(value)}
            if o.get('Description'):
                item['Description'] = o['Description']
            out.append(item)
        return out

    def _out(self, s):
        out = {k: v for k, v in s.items() if k[:1].isupper()}
        params = []
        for k, v in s['params'].items():
            p = {'ParameterKey': k, 'ParameterValue': v}
            decl = (s['template'].get('Parameters') or {}).get(k) or {}
            if decl.get('NoEcho'):
                p['ParameterValue'] = '****'
            if str(decl.get('Type', '')).startswith('AWS::SSM::Parameter::Value<'):
                rv = s['resolved'].get(k)
                p['ResolvedValue'] = ','.join(rv) if isinstance(rv, list) else rv
            params.append(p)
        out['Parameters'] = params
        outputs = self._outputs(s)
        if outputs:
            out['Outputs'] = outputs
        return out

    # ------------------------------------------------------------------ operations
    def ValidateTemplate(self, ctx, params):
        tpl, _ = self._parse(self._body(ctx, params))
        need, reason = self._capabilities(tpl)
        out = {'Parameters': [{'ParameterKey': k, 'DefaultValue': str(d.get('Default', '')) if 'Default' in d else None,
                               'NoEcho': bool(d.get('NoEcho')), 'Description': d.get('Description', '')}
                              for k, d in (tpl.get('Parameters') or {}).items()]}
        for p in out['Parameters']:
            if p['DefaultValue'] is None:
                del p['DefaultValue']
        if 'Description' in tpl:
            out['Description'] = tpl['Description']
        if need:
            out['Capabilities'] = [need]
            out['CapabilitiesReason'] = reason
        return out

    def CreateStack(self, ctx, params):
        token = params.get('ClientRequestToken')
        if token and token in self.tokens:
            return {'StackId': self.tokens[token]}
        name = params['StackName']
        if not re.fullmatch(r'[A-Za-z][-A-Za-z0-9]{0,127}', name):
            raise _validation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*" % name)
        for s in self.stacks.values():
            if s['region'] == ctx.region and s['StackName'] == name and s['StackStatus'] != 'DELETE_COMPLETE':
                self._advance(s)
                if s['StackStatus'] != 'DELETE_COMPLETE':
                    raise AwsError('AlreadyExistsException', 'Stack [%s] already exists' % name, 400)
        if params.get('OnFailure') and params.get('DisableRollback') is not None:
            raise _validation('You cannot specify both DisableRollback and OnFailure.')
        body = self._body(ctx, params)
        tpl, problems = self._parse(body)
        given, resolved = self._check(ctx, tpl, params)
        sid = 'arn:aws:cloudformation:%s:%s:stack/%s/%s' % (ctx.region, ctx.account, name, uuid.uuid4())
        now = _now()
        s = {'StackId': sid, 'StackName': name, 'StackStatus': 'CREATE_IN_PROGRESS', 'CreationTime': now,
             'Capabilities': params.get('Capabilities', []), 'Tags': params.get('Tags', []),
             'DisableRollback': params.get('OnFailure') == 'DO_NOTHING' or bool(params.get('DisableRollback')),
             'NotificationARNs': params.get('NotificationARNs', []),
             'region': ctx.region, 'account': ctx.account, 'template': tpl, 'body': body, 'params': given,
             'resolved': resolved, 'problems': problems, 'since': now, 'events': [], 'resources': {},
             'token': token, 'inject': self.failures.pop(name, None),
             'on_failure': params.get('OnFailure') or ('DO_NOTHING' if params.get('DisableRollback') else 'ROLLBACK')}
        if 'TimeoutInMinutes' in params:
            s['TimeoutInMinutes'] = params['TimeoutInMinutes']
        if 'Description' in tpl:
            s['Description'] = tpl['Description']
        try:
            s['order'], s['deps'] = self._plan(s, tpl, resolved)
        except ResolveError as e:
            raise _validation(str(e))
        for lid in s['order']:
            s['resources'][lid] = {'type': tpl['Resources'][lid]['Type'], 'status': None, 'physical': '',
                                   'attrs': {}, 'props': {}, 'at': None, 'reason': None}
        self.stacks[sid] = s
        if token:
            self.tokens[token] = sid
        self._stack_event(s, 'CREATE_IN_PROGRESS', 'User Initiated', now)
        return {'StackId': sid}

    def UpdateStack(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        if s['StackStatus'].endswith('_IN_PROGRESS') or s['StackStatus'] in ('ROLLBACK_COMPLETE', 'CREATE_FAILED',
                                                                            'ROLLBACK_FAILED', 'DELETE_FAILED'):
            raise _validation('Stack:%s is in %s state and can not be updated.' % (s['StackId'], s['StackStatus']))
        if params.get('UsePreviousTemplate'):
            body = s['body']
        else:
            body = self._body(ctx, params)
        tpl, problems = self._parse(body)
        given, resolved = self._check(ctx, tpl, params, previous=s['params'])
        if body == s['body'] and given == s['params'] and 'Tags' not in params:
            raise _validation('No updates are to be performed.')
        try:
            self._plan(s, tpl, resolved)
        except ResolveError as e:
            raise _validation(str(e))
        now = _now()
        s.update(StackStatus='UPDATE_IN_PROGRESS', since=now, LastUpdatedTime=now,
                 token=params.get('ClientRequestToken'),
                 pending_update={'template': tpl, 'body': body, 'params': given, 'resolved': resolved,
                                 'problems': problems})
        if 'Tags' in params:
            s['Tags'] = params['Tags']
        if 'Capabilities' in params:
            s['Capabilities'] = params['Capabilities']
        self._stack_event(s, 'UPDATE_IN_PROGRESS', 'User Initiated', now)
        return {'StackId': s['StackId']}

    def DeleteStack(self, ctx, params):
        try:
            s = self._find(ctx, params['StackName'])
        except AwsError:
            return {}  # deleting a stack that does not exist succeeds, as on AWS
        if s['StackStatus'] in ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'):
            return {}
        now = _now()
        if s['StackStatus'] == 'CREATE_IN_PROGRESS':
            # As on AWS: the create is cancelled, then whatever it made is deleted.
            for lid, r in s['resources'].items():
                if r['status'] == 'CREATE_IN_PROGRESS':
                    self._set(s, lid, 'CREATE_FAILED', now, 'Resource creation cancelled')
        elif s['StackStatus'].endswith('_IN_PROGRESS'):
            raise _validation('Stack [%s] cannot be deleted while in status %s' % (s['StackName'], s['StackStatus']))
        for r in s['resources'].values():
            r.pop('waited', None)
        s.update(StackStatus='DELETE_IN_PROGRESS', since=now, phase_since=now, token=params.get('ClientRequestToken'))
        s.pop('StackStatusReason', None)
        self._stack_event(s, 'DELETE_IN_PROGRESS', 'User Initiated', now)
        return {}

    def DescribeStacks(self, ctx, params):
        name = params.get('StackName')
        if name:
            return {'Stacks': [self._out(self._find(ctx, name))]}
        out = []
        for s in self.stacks.values():
            if s['region'] == ctx.region:
                self._advance(s)
                if s['StackStatus'] != 'DELETE_COMPLETE':
                    out.append(self._out(s))
        return {'Stacks': out}

    def ListStacks(self, ctx, params):
        wanted = params.get('StackStatusFilter') or []
        out = []
        for s in self.stacks.values():
            if s['region'] != ctx.region:
                continue
            self._advance(s)
            if wanted and s['StackStatus'] not in wanted:
                continue
            item = {k: s[k] for k in ('StackId', 'StackName', 'CreationTime', 'StackStatus', 'LastUpdatedTime',
                                      'DeletionTime', 'StackStatusReason') if k in s}
            if 'Description' in s:
                item['TemplateDescription'] = s['Description']
            out.append(item)
        return {'StackSummaries': out}

    def DescribeStackEvents(self, ctx, params):
        s = self._find(ctx, params['StackName'], include_deleted=True)
        events = [{k: v for k, v in e.items() if k != 'seq'} for e in reversed(s['events'])]
        start = int(params['NextToken']) if params.get('NextToken', '').isdigit() else 0
        out = {'StackEvents': events[start:start + 100]}
        if start + 100 < len(events):
            out['NextToken'] = str(start + 100)
        return out

    def _resource_items(self, s, lid=None):
        for key, r in s['resources'].items():
            if r['status'] is None or (lid and key != lid):
                continue
            item = {'LogicalResourceId': key, 'ResourceType': r['type'], 'ResourceStatus': r['status'],
                    'when': r['at'] or s['CreationTime']}
            if r['physical']:
                item['PhysicalResourceId'] = r['physical']
            if r.get('reason'):
                item['ResourceStatusReason'] = r['reason']
            yield item

    def DescribeStackResources(self, ctx, params):
        if not params.get('StackName'):
            raise _validation('StackName must be specified (the sandbox does not look stacks up by PhysicalResourceId)')
        s = self._find(ctx, params['StackName'])
        out = []
        for item in self._resource_items(s, params.get('LogicalResourceId')):
            when = item.pop('when')
            out.append(dict(item, StackName=s['StackName'], StackId=s['StackId'], Timestamp=when))
        return {'StackResources': out}

    def DescribeStackResource(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        for item in self._resource_items(s, params['LogicalResourceId']):
            when = item.pop('when')
            return {'StackResourceDetail': dict(item, StackName=s['StackName'], StackId=s['StackId'],
                                                LastUpdatedTimestamp=when)}
        raise _validation('Resource %s does not exist for stack %s' % (params['LogicalResourceId'], s['StackName']))

    def ListStackResources(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        items = []
        for item in self._resource_items(s):
            when = item.pop('when')
            items.append(dict(item, LastUpdatedTimestamp=when))
        start = int(params['NextToken']) if params.get('NextToken', '').isdigit() else 0
        out = {'StackResourceSummaries': items[start:start + 100]}
        if start + 100 < len(items):
            out['NextToken'] = str(start + 100)
        return out

    def GetTemplate(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        return {'TemplateBody': s['body'], 'StagesAvailable': ['Original', 'Processed']}

    def SignalResource(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        r = s['resources'].get(params['LogicalResourceId'])
        if r is None:
            raise _validation('Resource %s does not exist for stack %s' % (params['LogicalResourceId'],
                                                                           s['StackName']))
        if r['status'] != 'CREATE_IN_PROGRESS' or not r.get('creation_policy'):
            raise _validation('Resource %s is in %s state and can not be signaled' % (params['LogicalResourceId'],
                                                                                     r['status']))
        r.setdefault('signals', {})[params['UniqueId']] = params['Status']
        if params['Status'] == 'SUCCESS':
            self._event(s, params['LogicalResourceId'], r['type'], 'CREATE_IN_PROGRESS',
                        'Received SUCCESS signal with UniqueId %s' % params['UniqueId'], r['physical'])
        self._advance(s)
        return {}


SERVICE = CloudFormation
