"""CloudFormation, minimal: stacks are stored and move through their states over time with
events, nothing more.

What it does: CreateStack / UpdateStack / DeleteStack / DescribeStacks / DescribeStackEvents
(newest first, pages of 100 with NextToken) / DescribeStackResources / GetTemplate /
ValidateTemplate. Templates must be JSON (YAML is refused); ValidateTemplate reports the
Parameters and asks for CAPABILITY_IAM / CAPABILITY_NAMED_IAM when IAM resources appear, and
CreateStack/UpdateStack refuse without them (InsufficientCapabilitiesException). Required
parameters (no Default) must be given. ClientRequestToken makes CreateStack idempotent (same
token -> the same stack id; a name that exists -> AlreadyExistsException). A stack is
*_IN_PROGRESS for `transition_seconds` (default 0.3; `POST /_sandbox/services/cloudformation/config`)
and then complete, with one IN_PROGRESS and one COMPLETE event per resource in template order.
Deleted stacks answer "Stack with id X does not exist" by name, as AWS does.

Failures on demand: `POST /_sandbox/services/cloudformation/fail {"stack": NAME, "logical_id": ID,
"reason": TEXT}` makes that resource fail in the stack's next create: CREATE_FAILED event with
the reason, then ROLLBACK_COMPLETE (OnFailure ROLLBACK, the default), CREATE_FAILED (DO_NOTHING)
or deletion (DELETE).

What it does NOT do: create any resource (no EC2/Auto Scaling/IAM/EFS/SQS/SNS/Lambda objects
appear), validate properties against the resource specification, resolve Ref / Fn::GetAtt /
Fn::Sub or any intrinsic, order resources by dependency, compute Outputs (only Outputs whose
Value is a literal string are reported), honour TimeoutInMinutes, change sets, stack policies,
drift, nested stacks, TemplateURL (refused: no S3 fetch)."""

import datetime
import json
import uuid

from core.errors import AwsError
from core.service import Service


def _validation(message):
    return AwsError('ValidationError', message, 400)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class CloudFormation(Service):
    name = 'cloudformation'

    def reset(self):
        self.stacks = {}        # stack id -> dict (deleted ones kept for events by id)
        self.tokens = {}        # ClientRequestToken -> stack id
        self.failures = {}      # stack name -> (logical id, reason)
        self.transition_seconds = getattr(self, 'transition_seconds', 0.3)

    def control(self, action, body):
        body = body or {}
        if action == 'config':
            if 'transition_seconds' in body:
                self.transition_seconds = max(0.0, float(body['transition_seconds']))
            return {'transition_seconds': self.transition_seconds}
        if action == 'fail':
            self.failures[body['stack']] = (body['logical_id'], body.get('reason', 'Resource creation failed'))
            return {'ok': True}
        return super().control(action, body)

    # ---- templates
    def _parse(self, params):
        if 'TemplateURL' in params:
            raise _validation('TemplateURL is not supported by the sandbox (no S3 fetch)')
        body = params.get('TemplateBody')
        if body is None:
            raise _validation('Either Template URL or Template Body must be specified.')
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
        return tpl

    @staticmethod
    def _capabilities(tpl):
        types = {r['Type'] for r in tpl['Resources'].values()}
        iam = {t for t in types if t.startswith('AWS::IAM::')}
        named = any('RoleName' in r.get('Properties', {}) or 'InstanceProfileName' in r.get('Properties', {})
                    for r in tpl['Resources'].values() if r['Type'].startswith('AWS::IAM::'))
        if not iam:
            return None, ''
        need = 'CAPABILITY_NAMED_IAM' if named else 'CAPABILITY_IAM'
        return need, 'The following resource(s) require capabilities: [%s]' % ', '.join(sorted(iam))

    def _check(self, tpl, params, previous=None):
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
                given[k] = str(d['Default'])
        return given

    # ---- state
    def _event(self, s, lid, rtype, status, reason=None, physical=None, when=None):
        e = {'StackId': s['StackId'], 'EventId': str(uuid.uuid4()), 'StackName': s['StackName'],
             'LogicalResourceId': lid, 'PhysicalResourceId': physical or '', 'ResourceType': rtype,
             'Timestamp': when or _now(), 'ResourceStatus': status}
        if reason:
            e['ResourceStatusReason'] = reason
        if s.get('token'):
            e['ClientRequestToken'] = s['token']
        s['events'].insert(0, e)

    def _advance(self, s):
        if not s['StackStatus'].endswith('_IN_PROGRESS'):
            return
        if (_now() - s['since']).total_seconds() < self.transition_seconds:
            return
        op = s['StackStatus'][:-len('_IN_PROGRESS')]
        stack_type = 'AWS::CloudFormation::Stack'
        if op == 'DELETE':
            for lid, res in reversed(list(s['template']['Resources'].items())):
                if s['resources'].get(lid, {}).get('ResourceStatus', '').endswith('COMPLETE'):
                    self._event(s, lid, res['Type'], 'DELETE_IN_PROGRESS', physical=s['resources'][lid]['physical'])
                    self._event(s, lid, res['Type'], 'DELETE_COMPLETE', physical=s['resources'][lid]['physical'])
            s['StackStatus'] = 'DELETE_COMPLETE'
            s['DeletionTime'] = _now()
            self._event(s, s['StackName'], stack_type, 'DELETE_COMPLETE', physical=s['StackId'])
            return
        failure = self.failures.pop(s['StackName'], None) if op == 'CREATE' else None
        for lid, res in s['template']['Resources'].items():
            physical = s['resources'].get(lid, {}).get('physical') or '%s-%s-%s' % (
                s['StackName'], lid, uuid.uuid4().hex[:12].upper())
            self._event(s, lid, res['Type'], '%s_IN_PROGRESS' % op)
            if failure and failure[0] == lid:
                self._event(s, lid, res['Type'], 'CREATE_FAILED', failure[1])
                s['resources'][lid] = {'physical': '', 'ResourceStatus': 'CREATE_FAILED', 'reason': failure[1],
                                       'type': res['Type']}
                break
            self._event(s, lid, res['Type'], '%s_COMPLETE' % op, physical=physical)
            s['resources'][lid] = {'physical': physical, 'ResourceStatus': '%s_COMPLETE' % op, 'type': res['Type']}
        if failure:
            reason = 'The following resource(s) failed to create: [%s]. ' % failure[0]
            mode = s.get('on_failure', 'ROLLBACK')
            if mode == 'DO_NOTHING':
                s['StackStatus'] = 'CREATE_FAILED'
                s['StackStatusReason'] = reason
                self._event(s, s['StackName'], stack_type, 'CREATE_FAILED', reason, s['StackId'])
                return
            self._event(s, s['StackName'], stack_type, 'ROLLBACK_IN_PROGRESS', reason + 'Rollback requested by user.',
                        s['StackId'])
            for lid, r in list(s['resources'].items()):
                if r['ResourceStatus'] == 'CREATE_COMPLETE':
                    self._event(s, lid, r['type'], 'DELETE_COMPLETE', physical=r['physical'])
                    r['ResourceStatus'] = 'DELETE_COMPLETE'
            if mode == 'DELETE':
                s['StackStatus'] = 'DELETE_COMPLETE'
                s['DeletionTime'] = _now()
                self._event(s, s['StackName'], stack_type, 'DELETE_COMPLETE', physical=s['StackId'])
                return
            s['StackStatus'] = 'ROLLBACK_COMPLETE'
            s['StackStatusReason'] = reason
            self._event(s, s['StackName'], stack_type, 'ROLLBACK_COMPLETE', physical=s['StackId'])
            return
        s['StackStatus'] = '%s_COMPLETE' % op
        s.pop('StackStatusReason', None)
        self._event(s, s['StackName'], stack_type, '%s_COMPLETE' % op, physical=s['StackId'])

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

    def _out(self, s):
        out = {k: v for k, v in s.items() if k[:1].isupper()}
        out['Parameters'] = [{'ParameterKey': k, 'ParameterValue': v} for k, v in s['params'].items()]
        outputs = []
        for k, o in (s['template'].get('Outputs') or {}).items():
            if isinstance(o, dict) and isinstance(o.get('Value'), str) and s['StackStatus'].endswith('_COMPLETE'):
                outputs.append({'OutputKey': k, 'OutputValue': o['Value'], 'Description': o.get('Description', '')})
        if outputs:
            out['Outputs'] = outputs
        return out

    # ---- operations
    def ValidateTemplate(self, ctx, params):
        tpl = self._parse(params)
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
        for s in self.stacks.values():
            if s['region'] == ctx.region and s['StackName'] == name and s['StackStatus'] != 'DELETE_COMPLETE':
                self._advance(s)
                if s['StackStatus'] != 'DELETE_COMPLETE':
                    raise AwsError('AlreadyExistsException', 'Stack [%s] already exists' % name, 400)
        if params.get('OnFailure') and params.get('DisableRollback') is not None:
            raise _validation('You cannot specify both DisableRollback and OnFailure.')
        tpl = self._parse(params)
        given = self._check(tpl, params)
        sid = 'arn:aws:cloudformation:%s:%s:stack/%s/%s' % (ctx.region, ctx.account, name, uuid.uuid4())
        s = {'StackId': sid, 'StackName': name, 'StackStatus': 'CREATE_IN_PROGRESS', 'CreationTime': _now(),
             'Capabilities': params.get('Capabilities', []), 'Tags': params.get('Tags', []),
             'DisableRollback': params.get('OnFailure') == 'DO_NOTHING' or bool(params.get('DisableRollback')),
             'region': ctx.region, 'template': tpl, 'body': params['TemplateBody'], 'params': given,
             'since': _now(), 'events': [], 'resources': {}, 'token': token,
             'on_failure': params.get('OnFailure') or ('DO_NOTHING' if params.get('DisableRollback') else 'ROLLBACK')}
        if 'TimeoutInMinutes' in params:
            s['TimeoutInMinutes'] = params['TimeoutInMinutes']
        if 'Description' in tpl:
            s['Description'] = tpl['Description']
        self.stacks[sid] = s
        if token:
            self.tokens[token] = sid
        self._event(s, name, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 'User Initiated', sid)
        return {'StackId': sid}

    def UpdateStack(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        if s['StackStatus'].endswith('_IN_PROGRESS'):
            raise _validation('Stack:%s is in %s state and can not be updated.' % (s['StackId'], s['StackStatus']))
        if s['StackStatus'] in ('ROLLBACK_COMPLETE', 'CREATE_FAILED'):
            raise _validation('Stack:%s is in %s state and can not be updated.' % (s['StackId'], s['StackStatus']))
        if params.get('UsePreviousTemplate'):
            tpl, body = s['template'], s['body']
        else:
            tpl, body = self._parse(params), params['TemplateBody']
        given = self._check(tpl, params, previous=s['params'])
        if body == s['body'] and given == s['params'] and 'Tags' not in params:
            raise _validation('No updates are to be performed.')
        s.update(template=tpl, body=body, params=given, StackStatus='UPDATE_IN_PROGRESS', since=_now(),
                 LastUpdatedTime=_now(), token=params.get('ClientRequestToken'))
        if 'Tags' in params:
            s['Tags'] = params['Tags']
        self._event(s, s['StackName'], 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS', 'User Initiated',
                    s['StackId'])
        return {'StackId': s['StackId']}

    def DeleteStack(self, ctx, params):
        try:
            s = self._find(ctx, params['StackName'])
        except AwsError:
            return {}  # deleting a stack that does not exist succeeds, as on AWS
        if s['StackStatus'] in ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'):
            return {}
        s.update(StackStatus='DELETE_IN_PROGRESS', since=_now(), token=params.get('ClientRequestToken'))
        self._event(s, s['StackName'], 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS', 'User Initiated',
                    s['StackId'])
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

    def DescribeStackEvents(self, ctx, params):
        s = self._find(ctx, params['StackName'], include_deleted=True)
        start = int(params['NextToken']) if params.get('NextToken', '').isdigit() else 0
        page = s['events'][start:start + 100]
        out = {'StackEvents': page}
        if start + 100 < len(s['events']):
            out['NextToken'] = str(start + 100)
        return out

    def DescribeStackResources(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        out = []
        for lid, r in s['resources'].items():
            res = {'StackName': s['StackName'], 'StackId': s['StackId'], 'LogicalResourceId': lid,
                   'ResourceType': r['type'], 'Timestamp': _now(), 'ResourceStatus': r['ResourceStatus']}
            if r['physical']:
                res['PhysicalResourceId'] = r['physical']
            if r.get('reason'):
                res['ResourceStatusReason'] = r['reason']
            out.append(res)
        return {'StackResources': out}

    def GetTemplate(self, ctx, params):
        s = self._find(ctx, params['StackName'])
        return {'TemplateBody': s['body'], 'StagesAvailable': ['Original', 'Processed']}


SERVICE = CloudFormation
