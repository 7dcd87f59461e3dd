"""CloudWatch Logs: log groups and streams that grow while SageMaker training jobs run
(the sagemaker service appends to /aws/sagemaker/TrainingJobs), read with
DescribeLogStreams, GetLogEvents and FilterLogEvents.

GetLogEvents tokens are positions in a stream, as on AWS: "f/<n>" and "b/<n>"; at the end
of a stream the forward token comes back unchanged. Without a token, startFromHead=false
(the default) returns the newest page. FilterLogEvents merges the chosen streams by time;
its filterPattern supports plain terms (all must occur) and "quoted phrases".

Control: POST /_sandbox/services/logs/put {"group": G, "stream": S, "messages": [...],
"timestamp": ms (default now)} appends events (the group and stream are created).
Not modelled: metric filters, subscriptions, Insights, retention, KMS, PutLogEvents."""

import datetime
import re
import shlex

from core.errors import AwsError
from core.service import Service

MAX_EVENTS = 10000
MAX_BYTES = 1048576


def _ms(when):
    return int(when.timestamp() * 1000)


class Logs(Service):
    name = 'logs'

    def reset(self):
        self.groups = {}  # name -> {"created": ms, "streams": {name: stream}}

    def _advance(self, ctx):
        sm = self.sandbox.services.get('sagemaker')
        if sm is not None:
            sm.advance(ctx.now())

    def append_event(self, group, stream, when, message):
        g = self.groups.setdefault(group, {'created': _ms(when), 'streams': {}})
        s = g['streams'].get(stream)
        if s is None:
            s = g['streams'][stream] = {'logStreamName': stream, 'creationTime': _ms(when), 'events': [],
                                        'storedBytes': 0}
        ts = _ms(when)
        s['events'].append({'timestamp': ts, 'message': message, 'ingestionTime': ts})
        s['storedBytes'] += len(message.encode('utf-8')) + 26

    def control(self, action, body):
        if action == 'put':
            body = body or {}
            when = datetime.datetime.now(datetime.timezone.utc)
            if body.get('timestamp') is not None:
                when = datetime.datetime.fromtimestamp(body['timestamp'] / 1000.0, datetime.timezone.utc)
            for m in body.get('messages', []):
                self.append_event(body['group'], body['stream'], when, m)
            return {'events': len(self.groups[body['group']]['streams'][body['stream']]['events'])}
        return super().control(action, body)

    # ------------------------------------------------------------------ helpers
    def _group(self, ctx, params):
        name = params.get('logGroupName') or params.get('logGroupIdentifier')
        if params.get('logGroupName') and params.get('logGroupIdentifier'):
            raise AwsError('InvalidParameterException',
                           'LogGroup name and LogGroup ARN are mutually exclusive parameters.', 400)
        if not name:
            raise AwsError('InvalidParameterException', 'Either logGroupName or logGroupIdentifier is required', 400)
        if name.startswith('arn:'):
            name = name.split(':log-group:', 1)[-1]
        g = self.groups.get(name)
        if g is None:
            raise AwsError('ResourceNotFoundException', 'The specified log group does not exist.', 400)
        return name, g

    def _stream_view(self, ctx, group, s):
        out = {'logStreamName': s['logStreamName'], 'creationTime': s['creationTime'],
               'arn': 'arn:aws:logs:%s:%s:log-group:%s:log-stream:%s' % (ctx.region, ctx.account, group,
                                                                         s['logStreamName']),
               'storedBytes': s['storedBytes']}
        if s['events']:
            out['firstEventTimestamp'] = s['events'][0]['timestamp']
            out['lastEventTimestamp'] = s['events'][-1]['timestamp']
            out['lastIngestionTime'] = s['events'][-1]['ingestionTime']
        return out

    @staticmethod
    def _index_token(token, prefixes):
        if token is None:
            return None
        m = re.fullmatch(r'([a-z])/(\d{1,12})', token)
        if not m or m.group(1) not in prefixes:
            raise AwsError('InvalidParameterException', 'The specified nextToken is invalid.', 400)
        return m.group(1), int(m.group(2))

    @staticmethod
    def _matches(pattern, message):
        if not pattern or not pattern.strip():
            return True
        try:
            terms = shlex.split(pattern)
        except ValueError:
            raise AwsError('InvalidParameterException', 'Invalid filter pattern', 400)
        return all(t in message for t in terms)

    # ------------------------------------------------------------------ operations
    def DescribeLogStreams(self, ctx, params):
        self._advance(ctx)
        name, g = self._group(ctx, params)
        order = params.get('orderBy') or 'LogStreamName'
        prefix = params.get('logStreamNamePrefix')
        if prefix and order == 'LastEventTime':
            raise AwsError('InvalidParameterException',
                           'Cannot order by LastEventTime with a logStreamNamePrefix.', 400)
        streams = [s for s in g['streams'].values() if not prefix or s['logStreamName'].startswith(prefix)]
        if order == 'LastEventTime':
            streams.sort(key=lambda s: (s['events'][-1]['timestamp'] if s['events'] else 0, s['logStreamName']))
        else:
            streams.sort(key=lambda s: s['logStreamName'])
        if params.get('descending'):
            streams.reverse()
        start = 0
        if params.get('nextToken'):
            start = self._index_token(params['nextToken'], 'd')[1]
        limit = params.get('limit') or 50
        page = streams[start:start + limit]
        out = {'logStreams': [self._stream_view(ctx, name, s) for s in page]}
        if start + limit < len(streams):
            out['nextToken'] = 'd/%d' % (start + limit)
        return out

    def GetLogEvents(self, ctx, params):
        self._advance(ctx)
        name, g = self._group(ctx, params)
        s = g['streams'].get(params['logStreamName'])
        if s is None:
            raise AwsError('ResourceNotFoundException', 'The specified log stream does not exist.', 400)
        events = s['events']
        lo = 0
        hi = len(events)
        if params.get('startTime') is not None:
            lo = next((i for i, e in enumerate(events) if e['timestamp'] >= params['startTime']), len(events))
        if params.get('endTime') is not None:
            hi = next((i for i, e in enumerate(events) if e['timestamp'] >= params['endTime']), len(events))
        hi = max(lo, hi)
        limit = min(params.get('limit') or MAX_EVENTS, MAX_EVENTS)
        token = self._index_token(params.get('nextToken'), 'fb')
        if token is None:
            forward = bool(params.get('startFromHead'))
            pos = lo if forward else hi
        else:
            forward = token[0] == 'f'
            pos = min(max(token[1], lo), hi)
        if forward:
            begin, end = pos, min(hi, pos + limit)
        else:
            begin, end = max(lo, pos - limit), pos
        page, size = [], 0
        for e in events[begin:end]:
            size += len(e['message'].encode('utf-8')) + 26
            if size > MAX_BYTES and page:
                break
            page.append(e)
        if forward:
            end = begin + len(page)
        else:
            begin = end - len(page)
        return {'events': [dict(e) for e in page], 'nextForwardToken': 'f/%d' % end,
                'nextBackwardToken': 'b/%d' % begin}

    def FilterLogEvents(self, ctx, params):
        self._advance(ctx)
        name, g = self._group(ctx, params)
        if params.get('logStreamNames') and params.get('logStreamNamePrefix'):
            raise AwsError('InvalidParameterException',
                           'logStreamNames and logStreamNamePrefix are mutually exclusive.', 400)
        if params.get('logStreamNames'):
            wanted = params['logStreamNames']
            missing = [n for n in wanted if n not in g['streams']]
            if missing:
                raise AwsError('ResourceNotFoundException', 'The specified log stream does not exist.', 400)
            streams = [g['streams'][n] for n in wanted]
        else:
            prefix = params.get('logStreamNamePrefix') or ''
            streams = [s for n, s in sorted(g['streams'].items()) if n.startswith(prefix)]
        merged = []
        for si, s in enumerate(sorted(streams, key=lambda s: s['logStreamName'])):
            for ei, e in enumerate(s['events']):
                if params.get('startTime') is not None and e['timestamp'] < params['startTime']:
                    continue
                if params.get('endTime') is not None and e['timestamp'] > params['endTime']:
                    continue
                if not self._matches(params.get('filterPattern'), e['message']):
                    continue
                merged.append((e['timestamp'], si, ei, s['logStreamName'], e))
        merged.sort(key=lambda m: (m[0], m[1], m[2]))
        start = 0
        if params.get('nextToken'):
            start = self._index_token(params['nextToken'], 'n')[1]
        limit = min(params.get('limit') or MAX_EVENTS, MAX_EVENTS)
        page = merged[start:start + limit]
        out = {'events': [{'logStreamName': m[3], 'timestamp': m[4]['timestamp'], 'message': m[4]['message'],
                           'ingestionTime': m[4]['ingestionTime'],
                           'eventId': '%d%012d%06d' % (m[0], m[1], m[2])} for m in page],
               'searchedLogStreams': [{'logStreamName': s['logStreamName'], 'searchedCompletely': True}
                                      for s in streams]}
        if start + limit < len(merged):
            out['nextToken'] = 'n/%d' % (start + limit)
        return out


SERVICE = Logs
