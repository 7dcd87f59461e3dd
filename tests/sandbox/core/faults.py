"""Fault rules set through POST /_sandbox/faults. They apply to requests whose signature
has been checked (except `skew`, which changes the clock the check uses). `corrupt_body`
inverts one byte of the request body after the signature (and its payload hash) was checked
and before the service sees it: a transfer corrupted in flight that only a checksum of the
body (Content-MD5, x-amz-checksum-*) can catch. `drop_checksum` answers without the
object's checksums (every Checksum* member of the output): a store or a proxy that drops
them, for the client's "nothing was checked" paths. `skip` lets that many matching requests
through before a rule applies."""

import random
import threading

KINDS = ('error', 'reset', 'delay', 'truncate', 'skew', 'retry_after', 'endless_token', 'ignore_range',
         'corrupt_body', 'drop_checksum')
# Kinds that change how a request is served instead of replacing its answer; like `skew` they
# last until cleared unless given a count.
MODIFIERS = ('endless_token', 'ignore_range', 'drop_checksum')
FIELDS = {'service', 'operation', 'kind', 'code', 'status', 'message', 'delay_ms', 'skew_seconds',
          'retry_after_ms', 'count', 'probability', 'when', 'access_key_id', 'repeat', 'offset', 'corrupt_body',
          'skip'}
ALIASES = {'ms': 'delay_ms', 'seconds': 'skew_seconds'}


class FaultError(ValueError):
    pass


class Rule:
    def __init__(self, spec, rule_id):
        if not isinstance(spec, dict):
            raise FaultError('a fault rule must be a JSON object')
        spec = {ALIASES.get(k, k): v for k, v in spec.items()}
        unknown = set(spec) - FIELDS
        if unknown:
            raise FaultError('unknown fault fields: %s' % ', '.join(sorted(unknown)))
        self.id = rule_id
        if spec.get('corrupt_body') is not None:
            # {"corrupt_body": true, ...} is {"kind": "corrupt_body", ...}
            if spec['corrupt_body'] is not True or spec.get('kind', 'corrupt_body') != 'corrupt_body':
                raise FaultError('corrupt_body must be true and goes with no other kind')
            spec = dict(spec, kind='corrupt_body')
        self.kind = spec.get('kind')
        if self.kind not in KINDS:
            raise FaultError('kind must be one of %s' % ', '.join(KINDS))
        self.service = spec.get('service', '*') or '*'
        self.operation = spec.get('operation', '*') or '*'
        self.access_key_id = spec.get('access_key_id')
        self.code = spec.get('code')
        self.status = spec.get('status')
        self.message = spec.get('message')
        self.delay_ms = int(spec.get('delay_ms', 1000))
        self.skew_seconds = int(spec.get('skew_seconds', 3600))
        self.retry_after_ms = int(spec.get('retry_after_ms', 1000))
        self.repeat = bool(spec.get('repeat', False))
        self.offset = spec.get('offset')   # corrupt_body: the byte to invert (default: the middle one)
        if self.offset is not None and (isinstance(self.offset, bool) or not isinstance(self.offset, int)
                                        or self.offset < 0):
            raise FaultError('offset must be a non-negative integer')
        self.skip = spec.get('skip', 0)   # matching requests let through before the rule applies
        if isinstance(self.skip, bool) or not isinstance(self.skip, int) or self.skip < 0:
            raise FaultError('skip must be a non-negative integer')
        self.when = spec.get('when', 'before')
        if self.when not in ('before', 'after'):
            raise FaultError("when must be 'before' or 'after'")
        self.probability = spec.get('probability')
        if self.probability is not None:
            self.probability = float(self.probability)
            if not 0.0 <= self.probability <= 1.0:
                raise FaultError('probability must be in [0, 1]')
        # Without a count: once, except that a skewed clock or a probability lasts until cleared.
        default = None if (self.kind == 'skew' or self.kind in MODIFIERS or self.probability is not None) else 1
        self.count = spec.get('count', default)
        if self.count is not None:
            self.count = int(self.count)
        if self.kind == 'error':
            self.code = self.code or 'InternalError'
            self.status = int(self.status or (500 if self.code == 'InternalError' else 400))
        if self.kind == 'retry_after':
            self.code = self.code or 'Throttling'
            self.status = int(self.status or 400)
        self.applied = 0

    def matches(self, service, operation, access_key_id):
        if self.count is not None and self.count <= 0:
            return False
        if self.service not in ('*', service):
            return False
        if self.operation not in ('*', operation):
            return False
        if self.access_key_id and self.access_key_id != access_key_id:
            return False
        return True

    def to_json(self):
        d = {'id': self.id, 'kind': self.kind, 'service': self.service, 'operation': self.operation,
             'count': self.count, 'probability': self.probability, 'applied': self.applied}
        if self.access_key_id:
            d['access_key_id'] = self.access_key_id
        if self.kind in ('error', 'retry_after'):
            d.update(code=self.code, status=self.status, message=self.message)
        if self.kind == 'retry_after':
            d['retry_after_ms'] = self.retry_after_ms
        if self.kind == 'delay':
            d['delay_ms'] = self.delay_ms
        if self.kind == 'skew':
            d['skew_seconds'] = self.skew_seconds
        if self.kind == 'reset':
            d['when'] = self.when
        if self.kind == 'endless_token':
            d['repeat'] = self.repeat
        if self.kind == 'corrupt_body' and self.offset is not None:
            d['offset'] = self.offset
        if self.skip:
            d['skip'] = self.skip
        return d


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._next = 1
        self._rand = random.Random()

    def add(self, specs):
        if isinstance(specs, dict):
            specs = [specs]
        if not isinstance(specs, list):
            raise FaultError('expected a JSON list of fault rules')
        with self._lock:
            rules = []
            for s in specs:
                rules.append(Rule(s, self._next))
                self._next += 1
            self._rules.extend(rules)
            return [r.to_json() for r in rules]

    def clear(self):
        with self._lock:
            self._rules = []

    def list(self):
        with self._lock:
            return [r.to_json() for r in self._rules]

    def _take(self, rule):
        if rule.probability is not None and self._rand.random() >= rule.probability:
            return False
        if rule.skip > 0:
            rule.skip -= 1
            return False
        if rule.count is not None:
            rule.count -= 1
        rule.applied += 1
        return True

    def skew_seconds(self, service, operation, access_key_id):
        """Offset of the server clock for this request (0 without a skew rule)."""
        with self._lock:
            for r in self._rules:
                if r.kind == 'skew' and r.matches(service, operation, access_key_id) and self._take(r):
                    return r.skew_seconds
        return 0

    def modifiers(self, service, operation, access_key_id):
        """-> {kind: rule} of the modifier rules (endless_token, ignore_range, drop_checksum) for
        this request."""
        out = {}
        with self._lock:
            for r in self._rules:
                if r.kind in MODIFIERS and r.kind not in out and r.matches(service, operation, access_key_id) \
                        and self._take(r):
                    out[r.kind] = r
        return out

    def pick(self, service, operation, access_key_id):
        """-> (delay_ms, terminal rule or None, post rule or None) for one request."""
        delay = 0
        terminal = post = None
        with self._lock:
            for r in self._rules:
                if r.kind in ('skew', 'corrupt_body') or r.kind in MODIFIERS or \
                        not r.matches(service, operation, access_key_id):
                    continue
                if r.kind == 'delay':
                    if self._take(r):
                        delay += r.delay_ms
                elif r.kind in ('error', 'retry_after') or (r.kind == 'reset' and r.when == 'before'):
                    if terminal is None and post is None and self._take(r):
                        terminal = r
                elif r.kind in ('truncate', 'reset'):
                    if terminal is None and post is None and self._take(r):
                        post = r
        return delay, terminal, post

    def corrupt(self, service, operation, access_key_id, body):
        """-> (the body with one byte inverted, the rule) when a corrupt_body rule applies to
        this request, else (body, None). An empty body has nothing to corrupt: the rule waits."""
        if not body:
            return body, None
        with self._lock:
            for r in self._rules:
                if r.kind == 'corrupt_body' and r.matches(service, operation, access_key_id) and self._take(r):
                    i = min(r.offset if r.offset is not None else len(body) // 2, len(body) - 1)
                    return body[:i] + bytes([body[i] ^ 0xFF]) + body[i + 1:], r
        return body, None
