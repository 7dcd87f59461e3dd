"""The stack engine of the sandbox's CloudFormation: creation in dependency order, the
polling of resources in progress (creation policies, wait conditions, capacity), failure and
rollback, deletion in reverse dependency order, and in-place updates.

Time is simulated: a resource starts when its last dependency completed and takes
`transition_seconds`; `_advance` replays every step whose time has come whenever the stack
(or, through CloudFormation.advance_all, anything in the sandbox) is looked at, in a bounded
loop, so no thread outlives a request, a reset or the server. Events carry the simulated
times. Runs under the sandbox-wide handler lock, like every service it touches."""

import datetime
import json
import uuid

from core.errors import AwsError
from services import _cfn_resources as resources
from services._cfn_intrinsics import ResolveError, Resolver, Scope, references

STACK_TYPE = 'AWS::CloudFormation::Stack'
LIVE = ('CREATE_COMPLETE', 'UPDATE_COMPLETE', 'CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'CREATE_FAILED',
        'UPDATE_FAILED', 'DELETE_FAILED', 'DELETE_IN_PROGRESS')


def validation(message):
    return AwsError('ValidationError', message, 400)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


_now = now


class Env:
    """What resource handlers may touch, for one stack at one (simulated) time."""

    def __init__(self, svc, s, when):
        self.svc, self.s, self.t = svc, s, when
        self.region, self.account, self.stack_id = s['region'], s['account'], s['StackId']

    def name(self, lid, maxlen=128):
        tail = resources.suffix(13)
        room = maxlen - len(tail) - 2
        stack, logical = self.s['StackName'], lid
        while len(stack) + len(logical) > room and (len(stack) > 1 or len(logical) > 1):
            if len(stack) >= len(logical):
                stack = stack[:-1]
            else:
                logical = logical[:-1]
        return '%s-%s-%s' % (stack, logical, tail)

    def uuid(self):
        return str(uuid.uuid4())

    def type_of(self, lid):
        return self.s['template']['Resources'][lid]['Type']

    def arn(self, rtype, physical):
        service = rtype.split('::')[1].lower() if rtype.count('::') >= 2 else 'cloudformation'
        return 'arn:aws:%s:%s:%s:%s' % (service, self.region, self.account, physical)

    def ec2(self):
        return self.svc.sandbox.services['ec2']

    def ec2_region(self):
        return self.ec2().region(self.region)

    def autoscaling(self):
        return self.svc.sandbox.services['autoscaling']

    def efs(self):
        return self.svc.sandbox.services['elasticfilesystem']

    def zones(self, region=None):
        region = region or self.region
        return [region + z for z in 'abc']

    def stack_tags(self, lid):
        tags = {t['Key']: t.get('Value', '') for t in self.s.get('Tags') or []}
        tags.update({'aws:cloudformation:stack-name': self.s['StackName'],
                     'aws:cloudformation:stack-id': self.stack_id, 'aws:cloudformation:logical-id': lid})
        return tags

    def tags(self, lid, props):
        out = resources.tags_of(props)
        out.update(self.stack_tags(lid))
        return out

    def records(self, rtype):
        return [(lid, r) for lid, r in self.s['resources'].items() if r['type'] == rtype and r['physical']]

    def _launch_template(self, ref):
        for lid, r in self.records('AWS::EC2::LaunchTemplate'):
            if ref in (r['physical'], r['props'].get('LaunchTemplateName')):
                return lid, r
        return None, None

    def launch_template_data(self, ref):
        _, r = self._launch_template(ref)
        return dict(r['props'].get('LaunchTemplateData') or {}) if r else None

    def launch_template_id(self, ref):
        _, r = self._launch_template(ref)
        return r['physical'] if r else ref

    def capacity_function(self, group_name, group_props):
        notifies = any('autoscaling:EC2_INSTANCE_LAUNCH_ERROR' in (n.get('NotificationTypes') or [])
                       for n in group_props.get('NotificationConfigurations') or [])
        if not notifies:
            return None
        for lid, r in self.records('AWS::Lambda::Function'):
            variables = ((r['props'].get('Environment') or {}).get('Variables') or {})
            if variables.get('WORKER_GROUP') == group_name and 'MIN_WORKERS' in variables:
                try:
                    minimum = int(variables['MIN_WORKERS'])
                except ValueError:
                    continue
                return {'name': r['physical'], 'minimum': minimum, 'queue': variables.get('REPORT_QUEUE')}
        return None

    def report_capacity(self, fn, report):
        for lid, r in self.records('AWS::SQS::Queue'):
            if r['physical'] == fn.get('queue'):
                r.setdefault('messages', []).append(json.dumps(report, sort_keys=True))

    def event(self, lid, status, reason):
        r = self.s['resources'][lid]
        self.svc._event(self.s, lid, r['type'], status, reason, r['physical'], self.t)

    def signal_timeout(self, seconds):
        return min(seconds, self.svc.signal_timeout_seconds)

    def groups(self):
        asg = self.autoscaling()
        out = []
        for lid, r in self.records('AWS::AutoScaling::AutoScalingGroup'):
            g = asg.groups.get((self.region, r['physical']))
            if g is not None and r['status'] in ('CREATE_COMPLETE', 'UPDATE_COMPLETE'):
                out.append((lid, g))
        return out

    def handle_of(self, url):
        for lid, r in self.records('AWS::CloudFormation::WaitConditionHandle'):
            if r['physical'] == url:
                return lid
        return None

    def user_data_mentions(self, group_lid, handle_lid):
        props = self.s['resources'][group_lid]['props']
        # A group with a MixedInstancesPolicy names its launch template inside the policy.
        lt = (props.get('LaunchTemplate') or
              ((props.get('MixedInstancesPolicy') or {}).get('LaunchTemplate') or {}).get('LaunchTemplateSpecification')
              or {})
        ref = lt.get('LaunchTemplateId') or lt.get('LaunchTemplateName')
        if not ref:
            return False
        lt_lid, _ = self._launch_template(ref)
        if lt_lid is None:
            return False
        raw = self.s['template']['Resources'][lt_lid].get('Properties', {}).get('LaunchTemplateData', {})
        text = json.dumps(raw.get('UserData', ''))
        return ('${%s}' % handle_lid) in text or ('"Ref": "%s"' % handle_lid) in text


class StackEngine:
    """Mixed into the CloudFormation service: needs self.sandbox, self.transition_seconds,
    self.signal_timeout_seconds, self.stacks and self.seq."""

    def _event(self, s, lid, rtype, status, reason=None, physical=None, when=None):
        self.seq += 1
        e = {'StackId': s['StackId'], 'EventId': str(uuid.uuid4()), 'StackName': s['StackName'],
             'LogicalResourceId': lid, 'PhysicalResourceId': physical or '', 'ResourceType': rtype,
             'Timestamp': when or _now(), 'ResourceStatus': status, 'seq': self.seq}
        if reason:
            e['ResourceStatusReason'] = reason
        if s.get('token'):
            e['ClientRequestToken'] = s['token']
        s['events'].append(e)

    def _stack_event(self, s, status, reason=None, when=None):
        self._event(s, s['StackName'], STACK_TYPE, status, reason, s['StackId'], when)

    def _set(self, s, lid, status, when, reason=None):
        r = s['resources'][lid]
        r['status'], r['at'] = status, when
        r['reason'] = reason
        self._event(s, lid, r['type'], status, reason, r['physical'], when)

    def _scope(self, s, tpl=None, resolved=None):
        tpl = tpl or s['template']
        recs = s['resources']

        def ref(name):
            r = recs.get(name)
            if r is None or not r['physical']:
                raise ResolveError('Template format error: Unresolved resource dependencies [%s] in the Resources '
                                   'block of the template' % name)
            return r['physical']

        def attr(name, attribute):
            r = recs.get(name)
            if r is None or not r['physical']:
                raise ResolveError('Template error: instance of Fn::GetAtt references undefined resource %s' % name)
            if attribute not in r['attrs']:
                raise ResolveError('Template error: resource %s does not support attribute type %s in Fn::GetAtt'
                                   % (name, attribute))
            return r['attrs'][attribute]

        pseudo = {'AWS::Region': s['region'], 'AWS::AccountId': s['account'], 'AWS::StackName': s['StackName'],
                  'AWS::StackId': s['StackId'], 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com',
                  'AWS::NotificationARNs': []}
        return Scope(tpl, resolved if resolved is not None else s['resolved'], pseudo, ref, attr,
                     lambda region: [region + z for z in 'abc'])

    def _plan(self, s, tpl, resolved):
        """Active resources (conditions) and their dependencies -> (order, deps)."""
        resolver = Resolver(self._scope(s, tpl, resolved))
        order = []
        for lid, res in tpl['Resources'].items():
            cond = res.get('Condition')
            if cond is not None and not resolver.condition(cond):
                continue
            order.append(lid)
        active = set(order)
        deps = {}
        for lid in order:
            res = tpl['Resources'][lid]
            d = {x for x in references(res.get('Properties') or {}) if x in active and x != lid}
            dep_on = res.get('DependsOn', [])
            d.update(x for x in (dep_on if isinstance(dep_on, list) else [dep_on]) if x in active)
            deps[lid] = d
        return order, deps

    # ------------------------------------------------------------------ the engine
    def _advance(self, s):
        status = s['StackStatus']
        if not status.endswith('_IN_PROGRESS'):
            return
        now = _now()
        bound = 6 * (len(s['resources']) + len(s['template']['Resources'])) + 20
        for _ in range(bound):
            status = s['StackStatus']
            if status == 'CREATE_IN_PROGRESS':
                moved = self._step_create(s, now)
            elif status in ('DELETE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'):
                moved = self._step_delete(s, now)
            elif status == 'UPDATE_IN_PROGRESS':
                moved = self._step_update(s, now)
            else:
                moved = False
            if not moved:
                break
        s['events'].sort(key=lambda e: (e['Timestamp'], e['seq']))

    def _env(self, s, when):
        return Env(self, s, when)

    def _start(self, s, lid, when):
        r = s['resources'][lid]
        res = s['template']['Resources'][lid]
        r['started'] = when
        self._set(s, lid, 'CREATE_IN_PROGRESS', when)
        env = self._env(s, when)
        try:
            failure = s.get('inject')
            if failure and failure[0] == lid:
                s['inject'] = None
                raise resources.Failure(failure[1])
            problems = s['problems'].get(lid)
            if problems:
                raise resources.Failure('Property validation failure: [%s]' % '; '.join(
                    '%s {/%s}' % (p.message, p.path.split('.Properties', 1)[-1].lstrip('.').replace('.', '/'))
                    for p in problems))
            props = Resolver(self._scope(s)).resolve(res.get('Properties') or {})
            r['props'] = props
            policy = (res.get('CreationPolicy') or {}).get('ResourceSignal')
            if policy is not None and r['type'] == 'AWS::AutoScaling::AutoScalingGroup':
                policy = Resolver(self._scope(s)).resolve(policy)
                r['creation_policy'] = {'count': int(policy.get('Count', 1)),
                                        'timeout': env.signal_timeout(resources.iso_seconds(policy.get('Timeout'),
                                                                                            300))}
            physical, attrs = resources.handler(r['type']).create(env, lid, props)
        except (resources.Failure, ResolveError) as e:
            return self._fail(s, [(lid, str(e))], when)
        except AwsError as e:
            return self._fail(s, [(lid, '%s (Error Code: %s)' % (e.message, e.code))], when)
        except (KeyError, TypeError, ValueError) as e:
            return self._fail(s, [(lid, 'Property validation failure: [%s: %s]' % (type(e).__name__, e))], when)
        # (AWS adds a second CREATE_IN_PROGRESS, "Resource creation Initiated", with the physical
        # id; the sandbox leaves it out so that a stack's events stay two per resource.)
        r['physical'], r['attrs'] = physical, attrs
        return True

    def _step_create(self, s, now):
        recs, deps = s['resources'], s['deps']
        starts = []
        polls = []
        for i, lid in enumerate(s['order']):
            r = recs[lid]
            if r['status'] is None:
                if all(recs[d]['status'] == 'CREATE_COMPLETE' for d in deps[lid]):
                    t0 = max([recs[d]['at'] for d in deps[lid]] + [s['since']])
                    starts.append((t0, i, lid))
            elif r['status'] == 'CREATE_IN_PROGRESS':
                due = r['started'] + datetime.timedelta(seconds=self.transition_seconds)
                polls.append((max(due, r.get('waited') or due), i, lid))
        if not starts and not polls:
            when = max([r['at'] for r in recs.values()] + [s['since']])
            s['StackStatus'] = 'CREATE_COMPLETE'
            s.pop('StackStatusReason', None)
            self._stack_event(s, 'CREATE_COMPLETE', when=when)
            return True
        ready_starts = [x for x in starts if x[0] <= now]
        # Resources that can start at the same moment start together, as on AWS; a failure
        # among them cancels the others.
        first_start = min((t for t, _, _ in ready_starts), default=None)
        first_poll = min((t for t, _, _ in polls if t <= now), default=None)
        if first_start is not None and (first_poll is None or first_start <= first_poll):
            for t0, _, lid in sorted(x for x in ready_starts if x[0] == first_start):
                if s['StackStatus'] != 'CREATE_IN_PROGRESS':
                    break
                self._start(s, lid, t0)
            return True
        moved = False
        for due, _, lid in sorted(polls):
            if due > now or s['StackStatus'] != 'CREATE_IN_PROGRESS':
                continue
            r = recs[lid]
            before = len(s['events'])
            env = self._env(s, due)
            try:
                state = resources.handler(r['type']).poll(env, lid, r, now)
            except resources.Failure as e:
                when = due
                if r.get('waited'):
                    limit = r.get('creation_policy', {}).get('timeout') or self.signal_timeout_seconds
                    when = max(due, min(now, r['started'] + datetime.timedelta(seconds=limit)))
                self._fail(s, [(lid, str(e))], when)
                return True
            if state == resources.DONE:
                self._set(s, lid, 'CREATE_COMPLETE', now if r.get('waited') else due)
                return True
            r['waited'] = now
            moved = moved or len(s['events']) != before
        if not moved and first_start is not None:
            for t0, _, lid in sorted(x for x in ready_starts if x[0] == first_start):
                if s['StackStatus'] != 'CREATE_IN_PROGRESS':
                    break
                self._start(s, lid, t0)
            return True
        return moved

    def _fail(self, s, failed, when):
        op = s['StackStatus'].split('_')[0]
        for lid, reason in failed:
            self._set(s, lid, '%s_FAILED' % op, when, reason)
        for lid, r in s['resources'].items():
            if r['status'] == 'CREATE_IN_PROGRESS':
                self._set(s, lid, 'CREATE_FAILED', when, 'Resource creation cancelled')
        names = [lid for lid, r in s['resources'].items() if r['status'] == 'CREATE_FAILED'
                 and r['reason'] != 'Resource creation cancelled']
        reason = 'The following resource(s) failed to create: [%s]. ' % ', '.join(names)
        mode = s.get('on_failure', 'ROLLBACK')
        if mode == 'DO_NOTHING':
            s['StackStatus'] = 'CREATE_FAILED'
            s['StackStatusReason'] = reason
            self._stack_event(s, 'CREATE_FAILED', reason, when)
            return True
        if mode == 'DELETE':
            s['StackStatus'] = 'DELETE_IN_PROGRESS'
            s['StackStatusReason'] = reason + 'Delete requested by user.'
            self._stack_event(s, 'DELETE_IN_PROGRESS', s['StackStatusReason'], when)
        else:
            s['StackStatus'] = 'ROLLBACK_IN_PROGRESS'
            s['StackStatusReason'] = reason + 'Rollback requested by user.'
            self._stack_event(s, 'ROLLBACK_IN_PROGRESS', s['StackStatusReason'], when)
        s['phase_since'] = when
        return True

    def _exists(self, r):
        return r['status'] in LIVE and not (r['status'] == 'CREATE_FAILED' and not r['physical'])

    def _step_delete(self, s, now):
        recs = s['resources']
        rollback = s['StackStatus'] == 'ROLLBACK_IN_PROGRESS'
        dependents = {lid: [o for o, ds in s['deps'].items() if lid in ds and o in recs] for lid in recs}
        starts, polls = [], []
        for i, lid in enumerate(reversed(list(recs))):
            r = recs[lid]
            if r['status'] == 'DELETE_FAILED' and r.get('failed_phase') == s['phase_since']:
                continue  # failed in this deletion: it stays, and so does what it depends on
            if r['status'] == 'DELETE_IN_PROGRESS':
                due = r['started'] + datetime.timedelta(seconds=self.transition_seconds)
                polls.append((max(due, r.get('waited') or due), i, lid))
            elif self._exists(r) or (r['status'] == 'CREATE_FAILED' and r['reason'] != 'Resource creation cancelled'
                                     and not r.get('delete_done')):
                blocking = [recs[o] for o in dependents[lid]
                            if self._exists(recs[o]) or recs[o]['status'] == 'DELETE_IN_PROGRESS']
                if not blocking:
                    t0 = max([recs[o]['at'] for o in dependents[lid] if recs[o]['at']] + [s['phase_since']])
                    starts.append((t0, i, lid))
        if not starts and not polls:
            when = max([r['at'] for r in recs.values() if r['at']] + [s['phase_since']])
            failed = [lid for lid, r in recs.items()
                      if r['status'] == 'DELETE_FAILED' and r.get('failed_phase') == s['phase_since']]
            if failed:
                # As CloudFormation: what could be deleted is gone, the rest stays; a later
                # DeleteStack tries the failed resources again.
                status = 'ROLLBACK_FAILED' if rollback else 'DELETE_FAILED'
                s['StackStatus'] = status
                s['StackStatusReason'] = 'The following resource(s) failed to delete: [%s]. ' % ', '.join(failed)
                self._stack_event(s, status, s['StackStatusReason'], when)
                return True
            if rollback:
                s['StackStatus'] = 'ROLLBACK_COMPLETE'
                self._stack_event(s, 'ROLLBACK_COMPLETE', when=when)
            else:
                s['StackStatus'] = 'DELETE_COMPLETE'
                s['DeletionTime'] = when
                self._stack_event(s, 'DELETE_COMPLETE', when=when)
            return True
        ready_starts = [x for x in starts if x[0] <= now]
        moved = False
        first = min((t for t, _, _ in ready_starts), default=None)
        for t0, _, lid in sorted(ready_starts):
            if t0 != first:
                continue
            moved = True
            r = recs[lid]
            policy = s['template']['Resources'].get(lid, {}).get('DeletionPolicy')
            if r['status'] == 'CREATE_FAILED' and not r['physical']:
                r['delete_done'] = True
                self._set(s, lid, 'DELETE_COMPLETE', t0)
                continue
            if policy == 'Retain' or (policy == 'RetainExceptOnCreate' and not rollback):
                self._set(s, lid, 'DELETE_SKIPPED', t0)
                continue
            r['started'] = t0
            r.pop('waited', None)
            self._set(s, lid, 'DELETE_IN_PROGRESS', t0)
            try:
                resources.handler(r['type']).delete(self._env(s, t0), lid, r)
            except (resources.Failure, AwsError) as e:
                r['failed_phase'] = s['phase_since']
                self._set(s, lid, 'DELETE_FAILED', t0, str(e))
        for due, _, lid in sorted(polls):
            if due > now:
                continue
            r = recs[lid]
            if resources.handler(r['type']).poll_delete(self._env(s, due), lid, r):
                self._set(s, lid, 'DELETE_COMPLETE', now if r.get('waited') else due)
                moved = True
            else:
                r['waited'] = now
        return moved

    def _step_update(self, s, now):
        when = s['since'] + datetime.timedelta(seconds=self.transition_seconds)
        if when > now:
            return False
        tick = [when]

        def t():
            tick[0] += datetime.timedelta(milliseconds=1)
            return tick[0]

        new = s['pending_update']
        old = {'template': s['template'], 'params': s['params'], 'resolved': s['resolved'], 'body': s['body'],
               'order': s['order'], 'deps': s['deps'], 'problems': s['problems']}
        done = []   # (lid, previous props, created?)
        s.update(template=new['template'], params=new['params'], resolved=new['resolved'], body=new['body'],
                 problems=new['problems'])
        order, deps = self._plan(s, new['template'], new['resolved'])
        s['order'], s['deps'] = order, deps
        failure = None
        for lid in self._topological(order, deps):
            res = new['template']['Resources'][lid]
            r = s['resources'].get(lid)
            env = self._env(s, tick[0])
            creating = r is None or not self._exists(r)
            try:
                if creating:
                    s['resources'][lid] = r = {'type': res['Type'], 'status': None, 'physical': '', 'attrs': {},
                                               'props': {}, 'at': None, 'reason': None, 'started': tick[0]}
                    self._set(s, lid, 'CREATE_IN_PROGRESS', t())
                if new['problems'].get(lid):
                    raise resources.Failure('Property validation failure: [%s]' % '; '.join(
                        p.message for p in new['problems'][lid]))
                props = Resolver(self._scope(s)).resolve(res.get('Properties') or {})
                if creating:
                    r['props'] = props
                    r['physical'], r['attrs'] = resources.handler(res['Type']).create(env, lid, props)
                    self._set(s, lid, 'CREATE_COMPLETE', t())
                    done.append((lid, None, True))
                elif props != r['props'] or res['Type'] != r['type']:
                    self._set(s, lid, 'UPDATE_IN_PROGRESS', t())
                    attrs = resources.handler(r['type']).update(env, lid, r, props)
                    done.append((lid, r['props'], False))
                    r['props'], r['attrs'] = props, attrs
                    self._set(s, lid, 'UPDATE_COMPLETE', t())
            except (resources.Failure, ResolveError, AwsError, KeyError, TypeError, ValueError) as e:
                failure = (lid, getattr(e, 'message', None) or str(e), creating)
                break
        if failure is None:
            s['StackStatus'] = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'
            self._stack_event(s, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', when=t())
            for lid in reversed(self._topological(old['order'], old['deps'])):
                if lid in order:
                    continue
                r = s['resources'].get(lid)
                if r is None or not self._exists(r):
                    continue
                if (old['template']['Resources'][lid].get('DeletionPolicy')) == 'Retain':
                    self._set(s, lid, 'DELETE_SKIPPED', t())
                else:
                    self._set(s, lid, 'DELETE_IN_PROGRESS', t())
                    resources.handler(r['type']).delete(self._env(s, tick[0]), lid, r)
                    self._set(s, lid, 'DELETE_COMPLETE', t())
                del s['resources'][lid]
            s['StackStatus'] = 'UPDATE_COMPLETE'
            s.pop('StackStatusReason', None)
            self._stack_event(s, 'UPDATE_COMPLETE', when=t())
            return True
        lid, reason, creating = failure
        self._set(s, lid, 'CREATE_FAILED' if creating else 'UPDATE_FAILED', t(), reason)
        if creating:
            del s['resources'][lid]   # nothing was made (create() raised)
        s['StackStatus'] = 'UPDATE_ROLLBACK_IN_PROGRESS'
        s['StackStatusReason'] = 'The following resource(s) failed to update: [%s]. ' % lid
        self._stack_event(s, 'UPDATE_ROLLBACK_IN_PROGRESS', s['StackStatusReason'], t())
        s.update(template=old['template'], params=old['params'], resolved=old['resolved'], body=old['body'],
                 order=old['order'], deps=old['deps'], problems=old['problems'])
        for lid, previous, created in reversed(done):
            r = s['resources'][lid]
            env = self._env(s, tick[0])
            if created:
                self._set(s, lid, 'DELETE_IN_PROGRESS', t())
                resources.handler(r['type']).delete(env, lid, r)
                self._set(s, lid, 'DELETE_COMPLETE', t())
                del s['resources'][lid]
            else:
                self._set(s, lid, 'UPDATE_IN_PROGRESS', t())
                try:
                    r['attrs'] = resources.handler(r['type']).update(env, lid, r, previous)
                    r['props'] = previous
                except (resources.Failure, AwsError):
                    pass
                self._set(s, lid, 'UPDATE_COMPLETE', t())
        s['StackStatus'] = 'UPDATE_ROLLBACK_COMPLETE'
        self._stack_event(s, 'UPDATE_ROLLBACK_COMPLETE', when=t())
        return True

    @staticmethod
    def _topological(order, deps):
        out, seen = [], set()
        remaining = list(order)
        for _ in range(len(order) + 1):
            if not remaining:
                break
            nxt = []
            for lid in remaining:
                if all(d in seen for d in deps.get(lid, ())):
                    out.append(lid)
                    seen.add(lid)
                else:
                    nxt.append(lid)
            remaining = nxt
        return out + remaining

    def advance_all(self):
        """Moves every stack in progress on; other services call it before they answer, so
        that what CloudFormation makes appears in EC2/Auto Scaling/EFS while nobody polls the
        stack itself."""
        for s in list(self.stacks.values()):
            self._advance(s)
