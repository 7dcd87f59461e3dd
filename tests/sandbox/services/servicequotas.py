"""Service Quotas, for EC2's vCPU quotas: GetServiceQuota, ListServiceQuotas (service code ec2),
GetAWSDefaultServiceQuota, ListAWSDefaultServiceQuotas, RequestServiceQuotaIncrease (recorded,
stays PENDING) and ListRequestedServiceQuotaChangeHistory / ...ByQuota.

Quotas (codes and names as Service Quotas lists them; `_ec2_capacity.QUOTAS`): Running On-Demand
Standard / P / G and VT / Trn / Inf instances and All ... Spot Instance Requests. The account's
values default to 4096 vCPUs each (every existing test fits); GetAWSDefaultServiceQuota gives
AWS's defaults for a new account (5 for the Standard quotas, 0 for the others).

Usage is what EC2 runs in the sandbox: EC2 counts the vCPUs of the pending and running instances
of the quota's family and market (capacity-block instances count against none), and refuses a
RunInstances or an Auto Scaling launch beyond the quota (VcpuLimitExceeded on-demand,
MaxSpotInstanceCountExceeded spot). UsageMetric names the AWS/Usage metric as AWS does.

Control: `POST /_sandbox/services/servicequotas/set {"service_code": "ec2", "quota_code":
"L-417A185B", "value": 0, "region": "us-east-1" (optional)}` -> {"ok": true, "value": 0.0};
`POST .../requests {}` -> {"requests": [the recorded increase requests]};
`POST .../usage {"quota_code": C, "region": R}` -> {"vcpus": n} (what EC2 counts)."""

import datetime
import uuid

from core.errors import AwsError
from core.service import Service
from services import _ec2_capacity as cap

EC2_NAME = 'Amazon Elastic Compute Cloud (Amazon EC2)'


def _all_quotas():
    out = {}
    for b, (od, spot) in cap.QUOTAS.items():
        for (code, name), market in ((od, 'OnDemand'), (spot, 'Spot')):
            out[code] = {'name': name, 'class': '%s/%s' % ({'standard': 'Standard', 'p': 'P', 'g': 'G',
                                                           'trn': 'Trn', 'inf': 'Inf'}[b], market)}
    return out


QUOTAS = _all_quotas()


class ServiceQuotas(Service):
    name = 'servicequotas'
    model_name = 'service-quotas'

    def reset(self):
        self.values = {}     # (region, service code, quota code) -> value
        self.requests = []   # RequestedServiceQuotaChange dicts (with 'region')

    def value(self, region, service, code):
        return self.values.get((region, service, code), cap.SANDBOX_DEFAULT)

    def control(self, action, body):
        body = body or {}
        if action == 'set':
            service, code = body.get('service_code', 'ec2'), body.get('quota_code')
            if service != 'ec2' or code not in QUOTAS:
                raise AwsError('NoSuchResourceException', 'quota_code: one of %s (service_code ec2)'
                               % ', '.join(QUOTAS), 400)
            v = body.get('value')
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise AwsError('InvalidParameterValue', 'value: a number >= 0', 400)
            self.values[(body.get('region', 'us-east-1'), service, code)] = float(v)
            return {'ok': True, 'value': float(v)}
        if action == 'requests':
            return {'requests': [{k: (v.isoformat() if isinstance(v, datetime.datetime) else v)
                                  for k, v in r.items()} for r in self.requests]}
        if action == 'usage':
            return {'vcpus': self.sandbox.services['ec2'].vcpus_in_use(body.get('region', 'us-east-1'),
                                                                      body.get('quota_code'))}
        return super().control(action, body)

    def _quota(self, region, service, code, default=False):
        if service != 'ec2':
            raise AwsError('NoSuchResourceException', 'The request failed because the specified service does not '
                           'exist.', 400)
        q = QUOTAS.get(code)
        if q is None:
            raise AwsError('NoSuchResourceException', 'The request failed because the specified service quota does '
                           'not exist.', 400)
        value = cap.AWS_DEFAULTS.get(code, 0.0) if default else self.value(region, service, code)
        return {'ServiceCode': 'ec2', 'ServiceName': EC2_NAME,
                'QuotaArn': 'arn:aws:servicequotas:%s:%s:ec2/%s' % (region, '' if default else self.sandbox.account,
                                                                    code),
                'QuotaCode': code, 'QuotaName': q['name'], 'Value': value, 'Unit': 'None', 'Adjustable': True,
                'GlobalQuota': False,
                'UsageMetric': {'MetricNamespace': 'AWS/Usage', 'MetricName': 'ResourceCount',
                                'MetricDimensions': {'Class': q['class'], 'Resource': 'vCPU', 'Service': 'EC2',
                                                     'Type': 'Resource'},
                                'MetricStatisticRecommendation': 'Maximum'}}

    def _page(self, items, params, key):
        start = int(params.get('NextToken') or 0) if str(params.get('NextToken') or '0').isdigit() else 0
        size = params.get('MaxResults') or 100
        out = {key: items[start:start + size]}
        if start + size < len(items):
            out['NextToken'] = str(start + size)
        return out

    def GetServiceQuota(self, ctx, params):
        return {'Quota': self._quota(ctx.region, params['ServiceCode'], params['QuotaCode'])}

    def GetAWSDefaultServiceQuota(self, ctx, params):
        return {'Quota': self._quota(ctx.region, params['ServiceCode'], params['QuotaCode'], default=True)}

    def ListServiceQuotas(self, ctx, params):
        if params['ServiceCode'] != 'ec2':
            return {'Quotas': []}
        items = [self._quota(ctx.region, 'ec2', c) for c in QUOTAS]
        if params.get('QuotaCode'):
            items = [q for q in items if q['QuotaCode'] == params['QuotaCode']]
        return self._page(items, params, 'Quotas')

    def ListAWSDefaultServiceQuotas(self, ctx, params):
        if params['ServiceCode'] != 'ec2':
            return {'Quotas': []}
        return self._page([self._quota(ctx.region, 'ec2', c, default=True) for c in QUOTAS], params, 'Quotas')

    def RequestServiceQuotaIncrease(self, ctx, params):
        q = self._quota(ctx.region, params['ServiceCode'], params['QuotaCode'])
        if params['DesiredValue'] <= q['Value']:
            raise AwsError('IllegalArgumentException', 'The requested value %s is not greater than the current '
                           'value %s.' % (params['DesiredValue'], q['Value']), 400)
        for r in self.requests:
            if r['QuotaCode'] == q['QuotaCode'] and r['region'] == ctx.region and r['Status'] == 'PENDING':
                raise AwsError('ResourceAlreadyExistsException', 'A quota increase request for this quota is '
                               'already pending.', 400)
        req = {'Id': uuid.uuid4().hex, 'CaseId': str(len(self.requests) + 1000000001), 'ServiceCode': 'ec2',
               'ServiceName': EC2_NAME, 'QuotaCode': q['QuotaCode'], 'QuotaName': q['QuotaName'],
               'DesiredValue': float(params['DesiredValue']), 'Status': 'PENDING',
               'Created': datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0),
               'Requester': ctx.identity.arn if ctx.identity else '', 'QuotaArn': q['QuotaArn'],
               'GlobalQuota': False, 'Unit': 'None', 'region': ctx.region}
        self.requests.append(req)
        return {'RequestedQuota': {k: v for k, v in req.items() if k != 'region'}}

    def ListRequestedServiceQuotaChangeHistory(self, ctx, params):
        items = [{k: v for k, v in r.items() if k != 'region'} for r in self.requests if r['region'] == ctx.region
                 and (not params.get('ServiceCode') or r['ServiceCode'] == params['ServiceCode'])
                 and (not params.get('Status') or r['Status'] == params['Status'])]
        return self._page(items, params, 'RequestedQuotas')

    def ListRequestedServiceQuotaChangeHistoryByQuota(self, ctx, params):
        items = [{k: v for k, v in r.items() if k != 'region'} for r in self.requests if r['region'] == ctx.region
                 and r['ServiceCode'] == params['ServiceCode'] and r['QuotaCode'] == params['QuotaCode']]
        return self._page(items, params, 'RequestedQuotas')


SERVICE = ServiceQuotas
