"""Auto Scaling: groups whose instances are real sandbox EC2 instances. Whenever a group is
looked at or changed it is reconciled: fewer live instances than desired -> launch (a
"Launching a new EC2 instance" activity), more -> terminate the newest ones; instances that
were terminated behind the group's back are dropped and replaced. Suspended Launch /
Terminate processes stop the corresponding half.

Groups are made by CreateAutoScalingGroup (LaunchTemplate ids/names are accepted as opaque
labels: the image and type come from the group's `awsdl:image-id` / `awsdl:instance-type`
tags, else the sandbox's newest Deep Learning AMI and p3.2xlarge) or by the control action
`POST /_sandbox/services/autoscaling/create_group` {"name", "min", "max", "desired",
"image_id", "instance_type", "subnets": [...], "tags": {...}, "placement_group"}.

Groups that CloudFormation creates (AWS::AutoScaling::AutoScalingGroup) carry their launch
template's image, type, key, security groups, instance profile and block devices into every
launch, and report the template in LaunchTemplate.

Launch failures: every launch goes through EC2's checks (ec2.py: offerings, EFA, reservations,
vCPU quotas, the capacity rules of `POST /_sandbox/services/ec2/capacity`). A refused launch is
a Failed activity whose StatusMessage is EC2's message + " Launching EC2 instance failed."
(MixedInstancesPolicy groups: "Could not launch On-Demand|Spot Instances. <Code> - <message>
Launching EC2 instance failed.") and Description "Launching a new EC2 instance.  Status
Reason: <StatusMessage>"; Details names the subnet and zone. The group keeps trying on every
later look (Describe*, SetDesiredCapacity, ...), so a capacity change lets it fill up.
The older per-type cap `POST /_sandbox/services/autoscaling/capacity {"p3.16xlarge": 3}`
(how many live instances of a type may exist in a region) still works for groups without a
MixedInstancesPolicy, with its own message naming InsufficientInstanceCapacity.

MixedInstancesPolicy (API and CloudFormation): Overrides are tried in order (for every
SpotAllocationStrategy: the sandbox has no prices, so price-capacity-optimized also means "in
order"), in the group's subnets starting with the next in turn, then the other subnets; the
market of each new instance is on-demand up to OnDemandBaseCapacity, then
ceil(OnDemandPercentageAboveBaseCapacity% of the rest) on-demand and the others spot
(InstanceLifecycle spot); WeightedCapacity counts instances in capacity units. The policy is
reported in DescribeAutoScalingGroups and each instance's WeightedCapacity.

A stopped instance (EC2 StopInstances) stays in its group, InService and Healthy, and is not
replaced, as on AWS while the group's health check has not yet acted on it (or its HealthCheck
process is suspended); it counts toward the desired capacity but not toward the capacity caps.

SetInstanceHealth Unhealthy terminates the instance and replaces it (a user health-check
activity), unless ReplaceUnhealthy is suspended (then it is only reported Unhealthy).

Not modelled: launch configurations, lifecycle hooks, warm pools, cooldowns, scaling
policies, load balancers, health checks other than "the EC2 instance is gone"."""

import base64
import datetime
import json
import math
import uuid

from core.errors import AwsError
from core.service import Service
from services import _ec2_capacity as cap
from services._cfn_tick import tick

STRATEGIES = ('capacity-optimized-prioritized', 'price-capacity-optimized', 'capacity-optimized', 'lowest-price')


def mixed_policy(policy):
    """A MixedInstancesPolicy (API or CloudFormation form, numbers as numbers or strings) ->
    the group's normalised policy, or raises AwsError(ValidationError)."""
    if not policy:
        return None
    lt = policy.get('LaunchTemplate') or {}
    dist = policy.get('InstancesDistribution') or {}
    overrides = []
    for o in lt.get('Overrides') or []:
        t = o.get('InstanceType')
        if t not in cap.INSTANCE_TYPES:
            raise _validation('Invalid value for InstanceType: %s' % t)
        try:
            w = int(o.get('WeightedCapacity') or 1)
        except (TypeError, ValueError):
            raise _validation('WeightedCapacity must be a whole number: %s' % o.get('WeightedCapacity'))
        if not 1 <= w <= 999:
            raise _validation('WeightedCapacity must be between 1 and 999')
        overrides.append((t, w))
    try:
        base = int(dist.get('OnDemandBaseCapacity', 0) or 0)
        pct = int(dist.get('OnDemandPercentageAboveBaseCapacity', 100) if dist.get(
            'OnDemandPercentageAboveBaseCapacity') is not None else 100)
    except (TypeError, ValueError):
        raise _validation('OnDemandBaseCapacity and OnDemandPercentageAboveBaseCapacity must be whole numbers')
    if base < 0 or not 0 <= pct <= 100:
        raise _validation('OnDemandPercentageAboveBaseCapacity must be between 0 and 100')
    strategy = dist.get('SpotAllocationStrategy') or 'price-capacity-optimized'
    if strategy not in STRATEGIES:
        raise _validation('Invalid SpotAllocationStrategy: %s' % strategy)
    price = dist.get('SpotMaxPrice')
    if price not in (None, ''):
        try:
            if float(price) <= 0:
                raise ValueError
        except ValueError:
            raise _validation('SpotMaxPrice must be a positive number: %s' % price)
    return {'overrides': overrides, 'od_base': base, 'od_pct': pct, 'strategy': strategy,
            'max_price': str(price) if price not in (None, '') else None,
            'template': (lt.get('LaunchTemplateSpecification') or {})}


def mixed_out(g):
    m = g['mixed']
    spec = dict(g.get('LaunchTemplate') or {}) or {k: str(v) for k, v in m['template'].items()
                                                  if k in ('LaunchTemplateId', 'LaunchTemplateName', 'Version')}
    dist = {'OnDemandAllocationStrategy': 'prioritized', 'OnDemandBaseCapacity': m['od_base'],
            'OnDemandPercentageAboveBaseCapacity': m['od_pct'], 'SpotAllocationStrategy': m['strategy']}
    if m['max_price']:
        dist['SpotMaxPrice'] = m['max_price']
    return {'LaunchTemplate': {'LaunchTemplateSpecification': spec,
                               'Overrides': [dict({'InstanceType': t}, **({'WeightedCapacity': str(w)} if w != 1
                                                                          else {})) for t, w in m['overrides']]},
            'InstancesDistribution': dist}

PROCESSES = ('Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck',
             'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions')


def _validation(message):
    return AwsError('ValidationError', message, 400)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class _LaunchFailed(Exception):
    def __init__(self, error, subnet):
        super().__init__(error.message)
        self.error, self.subnet = error, subnet


class AutoScaling(Service):
    name = 'autoscaling'

    def reset(self):
        self.groups = {}      # (region, name) -> dict
        self.capacity = {}    # instance type -> max live instances per region

    def control(self, action, body):
        body = body or {}
        if action == 'create_group':
            region = body.get('region', 'us-east-1')
            self.create(region, body['name'], body.get('min', 0), body.get('max', body.get('desired', 0)),
                        body.get('desired', body.get('min', 0)), image_id=body.get('image_id'),
                        instance_type=body.get('instance_type'), subnets=body.get('subnets') or [],
                        tags=body.get('tags') or {}, placement_group=body.get('placement_group'))
            return {'created': body['name']}
        if action == 'capacity':
            self.capacity = {k: int(v) for k, v in body.items()}
            return {'capacity': self.capacity}
        return super().control(action, body)

    # ---- model
    def ec2(self):
        return self.sandbox.services['ec2']

    def create(self, region, name, mn, mx, desired, image_id=None, instance_type=None, subnets=(), tags=None,
               placement_group=None, account=None, propagate=None, launch=None, launch_template=None, mixed=None):
        # launch: extra ec2.launch arguments (key_name, group_ids, profile, block_devices), given by
        # CloudFormation from the group's launch template; launch_template: what the group reports.
        if (region, name) in self.groups:
            raise AwsError('AlreadyExists', 'AutoScalingGroup by this name already exists - A group with the name %s '
                           'already exists' % name, 400)
        if not mn <= desired <= mx:
            raise _validation('Desired capacity:%d must be between the specified min size:%d and max size:%d'
                              % (desired, mn, mx))
        ec2 = self.ec2()
        if image_id is None:
            from services.ec2 import IMAGES
            image_id = sorted((i for i in IMAGES if i[1].startswith('Deep Learning')), key=lambda i: i[2])[-1][0]
        account = account or self.sandbox.account
        tags = dict(tags or {})
        subnets = list(subnets)
        r = ec2.region(region)
        for s in subnets:
            if s not in r.subnets:
                raise _validation('The subnet ID \'%s\' does not exist' % s)
        zones = sorted({r.subnets[s]['AvailabilityZone'] for s in subnets}) or [region + 'a']
        g = {'AutoScalingGroupName': name, 'region': region,
             'AutoScalingGroupARN': 'arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s'
                                    % (region, account, uuid.uuid4(), name),
             'MinSize': mn, 'MaxSize': mx, 'DesiredCapacity': desired, 'DefaultCooldown': 300,
             'AvailabilityZones': zones, 'HealthCheckType': 'EC2', 'HealthCheckGracePeriod': 300,
             'CreatedTime': _now(), 'VPCZoneIdentifier': ','.join(subnets), 'tags': tags,
             'propagate': set(propagate if propagate is not None else tags), 'suspended': {},
             'instances': [], 'activities': [], 'image_id': tags.get('awsdl:image-id', image_id),
             'instance_type': tags.get('awsdl:instance-type', instance_type or 'p3.2xlarge'),
             'PlacementGroup': placement_group, 'launch': dict(launch or {}),
             'LaunchTemplate': dict(launch_template) if launch_template else None, 'mixed': mixed,
             'weights': {}}
        if mixed and mixed['overrides']:
            g['instance_type'] = mixed['overrides'][0][0]
        self.groups[(region, name)] = g
        self.reconcile(g)
        return g

    def _activity(self, g, description, cause, status='Successful', message=None, subnet=None):
        details = {'Subnet ID': subnet or (g['VPCZoneIdentifier'].split(',')[0] if g['VPCZoneIdentifier'] else '')}
        zone = self.ec2().region(g['region']).subnets.get(details['Subnet ID'], {}).get('AvailabilityZone')
        if zone:
            details['Availability Zone'] = zone
        a = {'ActivityId': str(uuid.uuid4()), 'AutoScalingGroupName': g['AutoScalingGroupName'],
             'AutoScalingGroupARN': g['AutoScalingGroupARN'], 'Description': description, 'Cause': cause,
             'StartTime': _now(), 'EndTime': _now(), 'StatusCode': status, 'Progress': 100,
             'Details': json.dumps(details, separators=(',', ':'))}
        if message:
            a['StatusMessage'] = message
        g['activities'].insert(0, a)

    def _live(self, g):
        ec2 = self.ec2()
        live = []
        for iid in list(g['instances']):
            state = ec2.instance_state(g['region'], iid)
            if state in ('pending', 'running', 'stopping', 'stopped'):
                live.append(iid)
            else:
                g['instances'].remove(iid)
        return live

    def _weight(self, g, iid):
        return g['weights'].get(iid, 1)

    def _next_market(self, g, live):
        """The market of the next instance: the launch template's, or for a MixedInstancesPolicy
        on-demand until OnDemandBaseCapacity, then OnDemandPercentageAboveBaseCapacity of the rest
        (rounded up, in capacity units)."""
        m = g['mixed']
        if not m:
            return 'spot' if g.get('launch', {}).get('lifecycle') == 'spot' else 'on-demand'
        ec2 = self.ec2().region(g['region'])
        od = sum(self._weight(g, i) for i in live if ec2.instances[i].get('InstanceLifecycle') != 'spot')
        want = g['DesiredCapacity']
        target = min(want, m['od_base']) + math.ceil(max(0, want - m['od_base']) * m['od_pct'] / 100.0)
        return 'on-demand' if od < target else 'spot'

    def _launch_one(self, g, market, n):
        """Tries the group's types in priority order in each of its subnets (starting with the
        next one in turn): (instance id, weight, subnet) or raises the first refusal as
        (AwsError, subnet)."""
        ec2 = self.ec2()
        subnets = g['VPCZoneIdentifier'].split(',') if g['VPCZoneIdentifier'] else [None]
        start = n % len(subnets)
        order = subnets[start:] + subnets[:start]
        types = g['mixed']['overrides'] if g['mixed'] and g['mixed']['overrides'] else [(g['instance_type'], 1)]
        first = None
        tags = {k: v for k, v in g['tags'].items() if k in g['propagate']}
        tags['aws:autoscaling:groupName'] = g['AutoScalingGroupName']
        r = ec2.region(g['region'])
        for subnet in order:
            for itype, weight in types:
                try:
                    cap_left = self.capacity.get(itype)
                    if cap_left is not None and sum(
                            1 for i in r.instances.values() if i['InstanceType'] == itype and ec2.instance_state(
                                g['region'], i['InstanceId']) in ('pending', 'running')) >= cap_left:
                        zone = r.subnets[subnet]['AvailabilityZone'] if subnet in r.subnets else g['region'] + 'a'
                        raise cap.insufficient_capacity(itype, zone, market, [])
                    launch = dict(g.get('launch', {}))
                    if market == 'spot':
                        launch['lifecycle'] = 'spot'
                        launch.pop('reservation_id', None)
                    elif launch.get('lifecycle') == 'spot':
                        launch.pop('lifecycle')
                    placement = launch.pop('placement', None)
                    if g['PlacementGroup']:
                        placement = {'GroupName': g['PlacementGroup']}
                    _, ids = ec2.launch(None, g['region'], g['image_id'], itype, 1, subnet_id=subnet, tags=tags,
                                        placement=placement, **launch)
                    return ids[0], weight, subnet
                except AwsError as e:
                    if first is None:
                        first = (e, subnet)
        raise _LaunchFailed(*first)

    def reconcile(self, g):
        ec2 = self.ec2()
        live = self._live(g)
        units = sum(self._weight(g, i) for i in live)
        want = g['DesiredCapacity']
        cause_base = 'At %s ' % _now().strftime('%Y-%m-%dT%H:%M:%SZ')
        if units < want and 'Launch' not in g['suspended']:
            r = ec2.region(g['region'])
            n = 0
            while units < want and n < want + 1:
                cause = cause_base + ('an instance was started in response to a difference between desired and '
                                      'actual capacity, increasing the capacity from %d to %d.' % (units, want))
                itype = g['instance_type']
                cap_left = self.capacity.get(itype)
                if not g['mixed'] and cap_left is not None and sum(
                        1 for i in r.instances.values() if i['InstanceType'] == itype and ec2.instance_state(
                            g['region'], i['InstanceId']) in ('pending', 'running')) >= cap_left:
                    # The legacy per-type cap (control action 'capacity' of this service).
                    self._activity(g, 'Launching a new EC2 instance.  Status Reason: We currently do not have '
                                   'sufficient %s capacity in the Availability Zone you requested. Launching EC2 '
                                   'instance failed.' % itype, cause, 'Failed',
                                   'We currently do not have sufficient %s capacity in the Availability Zone you '
                                   'requested (%s). InsufficientInstanceCapacity. Launching EC2 instance failed.'
                                   % (itype, g['AvailabilityZones'][0]))
                    break
                market = self._next_market(g, live)
                try:
                    iid, weight, subnet = self._launch_one(g, market, len(live))
                except _LaunchFailed as f:
                    message = cap.activity_message(f.error, bool(g['mixed']), market)
                    self._activity(g, 'Launching a new EC2 instance.  Status Reason: %s' % message, cause, 'Failed',
                                   message, subnet=f.subnet)
                    break
                g['instances'].append(iid)
                if weight != 1:
                    g['weights'][iid] = weight
                live.append(iid)
                units += weight
                n += 1
                self._activity(g, 'Launching a new EC2 instance: %s' % iid, cause, subnet=subnet)
        elif units > want and 'Terminate' not in g['suspended']:
            extra = []
            for iid in reversed(live):
                if units - self._weight(g, iid) < want:
                    break
                units -= self._weight(g, iid)
                extra.append(iid)
            if not extra:
                return
            extra.reverse()   # oldest first, as before weights existed
            ec2.terminate(g['region'], extra)
            for iid in extra:
                g['instances'].remove(iid)
                self._activity(g, 'Terminating EC2 instance: %s' % iid, cause_base + (
                    'a user request explicitly set group desired capacity changing the desired capacity from %d to %d.'
                    % (len(live), want)))

    def replace_instances(self, g, reason):
        """Terminates every instance of the group (they are relaunched by the next reconcile)."""
        live = self._live(g)
        if live:
            self.ec2().terminate(g['region'], live)
        for iid in live:
            g['instances'].remove(iid)
            self._activity(g, 'Terminating EC2 instance: %s' % iid, 'At %s %s' % (
                _now().strftime('%Y-%m-%dT%H:%M:%SZ'), reason))
        self.reconcile(g)

    def set_subnets(self, g, subnets):
        r = self.ec2().region(g['region'])
        for sid in subnets:
            if sid not in r.subnets:
                raise _validation('The subnet ID \'%s\' does not exist' % sid)
        g['VPCZoneIdentifier'] = ','.join(subnets)
        g['AvailabilityZones'] = sorted({r.subnets[sid]['AvailabilityZone'] for sid in subnets}) or [g['region'] + 'a']

    def _group(self, ctx, name):
        g = self.groups.get((ctx.region, name))
        if g is None:
            raise _validation('AutoScalingGroup name not found - AutoScalingGroup %s not found' % name)
        return g

    def _group_out(self, g):
        self.reconcile(g)
        ec2 = self.ec2()
        insts = []
        for iid in g['instances']:
            state = ec2.instance_state(g['region'], iid)
            inst = ec2.region(g['region']).instances[iid]
            insts.append({'InstanceId': iid, 'InstanceType': inst['InstanceType'],
                          'AvailabilityZone': inst['Placement']['AvailabilityZone'],
                          'LifecycleState': 'InService' if state in ('running', 'stopping', 'stopped') or (
                              state == 'pending' and ec2.restarted(g['region'], iid)) else 'Pending',
                          'HealthStatus': 'Unhealthy' if iid in g.get('unhealthy', ()) else 'Healthy',
                          'ProtectedFromScaleIn': False,
                          **({'WeightedCapacity': str(self._weight(g, iid))} if g['mixed'] else {}),
                          'LaunchTemplate': g.get('LaunchTemplate') or
                          {'LaunchTemplateName': g['AutoScalingGroupName']}})
        out = {k: v for k, v in g.items() if k[:1].isupper() and v is not None}
        if g['mixed']:
            out.pop('LaunchTemplate', None)
            out['MixedInstancesPolicy'] = mixed_out(g)
        out['Instances'] = insts
        out['SuspendedProcesses'] = [{'ProcessName': p, 'SuspensionReason': r} for p, r in g['suspended'].items()]
        out['Tags'] = [{'ResourceId': g['AutoScalingGroupName'], 'ResourceType': 'auto-scaling-group', 'Key': k,
                        'Value': v, 'PropagateAtLaunch': k in g['propagate']} for k, v in g['tags'].items()]
        return out

    # ---- operations
    def CreateAutoScalingGroup(self, ctx, params):
        tags = {t['Key']: t.get('Value', '') for t in params.get('Tags', [])}
        propagate = {t['Key'] for t in params.get('Tags', []) if t.get('PropagateAtLaunch')}
        subnets = [s.strip() for s in params.get('VPCZoneIdentifier', '').split(',') if s.strip()]
        desired = params.get('DesiredCapacity', params['MinSize'])
        self.create(ctx.region, params['AutoScalingGroupName'], params['MinSize'], params['MaxSize'], desired,
                    subnets=subnets, tags=tags, placement_group=params.get('PlacementGroup'), account=ctx.account,
                    propagate=propagate, mixed=mixed_policy(params.get('MixedInstancesPolicy')))
        return {}

    def DeleteAutoScalingGroup(self, ctx, params):
        g = self._group(ctx, params['AutoScalingGroupName'])
        live = self._live(g)
        if live and not params.get('ForceDelete'):
            raise AwsError('ResourceInUse', 'You cannot delete an AutoScalingGroup while there are instances or '
                           'pending Spot instance request(s) still in the group.', 400)
        if live:
            self.ec2().terminate(g['region'], live)
        del self.groups[(ctx.region, g['AutoScalingGroupName'])]
        return {}

    def DescribeAutoScalingGroups(self, ctx, params):
        tick(self.sandbox)
        names = params.get('AutoScalingGroupNames', [])
        chosen = []
        for (region, name), g in self.groups.items():
            if region != ctx.region or (names and name not in names):
                continue
            ok = True
            for f in params.get('Filters', []):
                vals = f.get('Values', [])
                if f['Name'].startswith('tag:'):
                    ok = ok and g['tags'].get(f['Name'][4:]) in vals
                elif f['Name'] == 'tag-key':
                    ok = ok and any(k in vals for k in g['tags'])
                elif f['Name'] == 'tag-value':
                    ok = ok and any(v in vals for v in g['tags'].values())
                else:
                    raise _validation('Filter name %s is not valid' % f['Name'])
            if ok:
                chosen.append(g)
        start = 0
        if params.get('NextToken'):
            try:
                start = int(base64.b64decode(params['NextToken']).decode())
            except Exception:
                raise AwsError('InvalidNextToken', 'The token is invalid', 400)
        size = params.get('MaxRecords') or 50
        if not 1 <= size <= 100:
            raise _validation('MaxRecords must be between 1 and 100')
        out = {'AutoScalingGroups': [self._group_out(g) for g in chosen[start:start + size]]}
        if start + size < len(chosen):
            out['NextToken'] = base64.b64encode(str(start + size).encode()).decode()
        return out

    def SetDesiredCapacity(self, ctx, params):
        g = self._group(ctx, params['AutoScalingGroupName'])
        d = params['DesiredCapacity']
        if d > g['MaxSize']:
            raise _validation('New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.'
                              % (d, g['MaxSize']))
        if d < g['MinSize']:
            raise _validation('New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.'
                              % (d, g['MinSize']))
        g['DesiredCapacity'] = d
        self.reconcile(g)
        return {}

    def UpdateAutoScalingGroup(self, ctx, params):
        g = self._group(ctx, params['AutoScalingGroupName'])
        mn = params.get('MinSize', g['MinSize'])
        mx = params.get('MaxSize', g['MaxSize'])
        d = params.get('DesiredCapacity', g['DesiredCapacity'])
        if mn > mx:
            raise _validation('Minimum size %d must be less than or equal to maximum size %d' % (mn, mx))
        if 'DesiredCapacity' not in params:
            d = min(max(d, mn), mx)  # AWS moves desired into the new range
        if not mn <= d <= mx:
            raise _validation('Desired capacity:%d must be between the specified min size:%d and max size:%d'
                              % (d, mn, mx))
        g.update(MinSize=mn, MaxSize=mx, DesiredCapacity=d)
        for k in ('HealthCheckGracePeriod', 'PlacementGroup', 'VPCZoneIdentifier', 'DefaultCooldown'):
            if k in params:
                g[k] = params[k]
        if 'VPCZoneIdentifier' in params:
            self.set_subnets(g, [x.strip() for x in params['VPCZoneIdentifier'].split(',') if x.strip()])
        if 'MixedInstancesPolicy' in params:
            g['mixed'] = mixed_policy(params['MixedInstancesPolicy'])
            if g['mixed'] and g['mixed']['overrides']:
                g['instance_type'] = g['mixed']['overrides'][0][0]
        self.reconcile(g)
        return {}

    def DescribeScalingActivities(self, ctx, params):
        tick(self.sandbox)
        name = params.get('AutoScalingGroupName')
        acts = []
        for (region, gname), g in self.groups.items():
            if region == ctx.region and (not name or gname == name):
                self.reconcile(g)
                acts.extend(g['activities'])
        if name and (ctx.region, name) not in self.groups:
            acts = []
        ids = params.get('ActivityIds', [])
        if ids:
            acts = [a for a in acts if a['ActivityId'] in ids]
        acts.sort(key=lambda a: a['StartTime'], reverse=True)
        start = int(base64.b64decode(params['NextToken']).decode()) if params.get('NextToken') else 0
        size = params.get('MaxRecords') or 100
        out = {'Activities': acts[start:start + size]}
        if start + size < len(acts):
            out['NextToken'] = base64.b64encode(str(start + size).encode()).decode()
        return out

    def DescribeAutoScalingInstances(self, ctx, params):
        tick(self.sandbox)
        ids = params.get('InstanceIds', [])
        out = []
        for (region, name), g in self.groups.items():
            if region != ctx.region:
                continue
            for inst in self._group_out(g)['Instances']:
                if not ids or inst['InstanceId'] in ids:
                    out.append(dict(inst, AutoScalingGroupName=name, HealthStatus='HEALTHY'))
        return {'AutoScalingInstances': out}

    def SetInstanceHealth(self, ctx, params):
        """Unhealthy: the group terminates the instance and launches a replacement (unless its
        ReplaceUnhealthy process is suspended: then it stays, marked Unhealthy). Healthy: a mark
        only."""
        iid, status = params['InstanceId'], params['HealthStatus']
        if status not in ('Healthy', 'Unhealthy'):
            raise _validation("Valid instance health states are: [Healthy, Unhealthy].")
        for (region, name), g in self.groups.items():
            if region != ctx.region or iid not in self._live(g):
                continue
            if status == 'Healthy':
                g.setdefault('unhealthy', set()).discard(iid)
                return {}
            if 'ReplaceUnhealthy' in g['suspended']:
                g.setdefault('unhealthy', set()).add(iid)
                return {}
            self.ec2().terminate(g['region'], [iid])
            g['instances'].remove(iid)
            self._activity(g, 'Terminating EC2 instance: %s' % iid, 'At %s an instance was taken out of service in '
                           'response to a user health-check.' % _now().strftime('%Y-%m-%dT%H:%M:%SZ'))
            self.reconcile(g)
            return {}
        raise _validation('Instance Id not found - No managed instance found for instance ID: %s' % iid)

    def _processes(self, params):
        procs = params.get('ScalingProcesses') or list(PROCESSES)
        bad = [p for p in procs if p not in PROCESSES]
        if bad:
            raise _validation('Process names are invalid: %s' % ', '.join(bad))
        return procs

    def SuspendProcesses(self, ctx, params):
        g = self._group(ctx, params['AutoScalingGroupName'])
        for p in self._processes(params):
            g['suspended'][p] = 'User suspended at %s' % _now().strftime('%Y-%m-%dT%H:%M:%SZ')
        return {}

    def ResumeProcesses(self, ctx, params):
        g = self._group(ctx, params['AutoScalingGroupName'])
        for p in self._processes(params):
            g['suspended'].pop(p, None)
        self.reconcile(g)
        return {}


SERVICE = AutoScaling
