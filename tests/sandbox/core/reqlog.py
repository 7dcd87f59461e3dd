"""The request log served at /_sandbox/requests: what was asked and how it was answered,
never a secret (query values of X-Amz-Signature / X-Amz-Security-Token are replaced,
headers are listed by name only, sensitive parameters are masked)."""

import collections
import re
import threading
import time

MAX_ENTRIES = 20000
_SECRET_QUERY = re.compile(r'((?:^|&)(?:X-Amz-Signature|X-Amz-Security-Token)=)[^&]*', re.I)
_SENSITIVE_NAME = re.compile(r'(secret|password|sessiontoken|webidentitytoken|samlassertion|privatekey)', re.I)


def redact_query(query):
    return _SECRET_QUERY.sub(lambda m: m.group(1) + 'REDACTED', query or '')


def redact_params(shape, value):
    """A JSON-able copy of the parameters with sensitive members masked and blobs summarised."""
    if value is None:
        return None
    if shape is not None and shape.metadata.get('sensitive'):
        return '***'
    t = shape.type_name if shape is not None else None
    if t == 'structure' and isinstance(value, dict):
        out = {}
        for k, v in value.items():
            member = shape.members.get(k)
            out[k] = '***' if _SENSITIVE_NAME.search(k) else redact_params(member, v)
        return out
    if t == 'list' and isinstance(value, list):
        return [redact_params(shape.member, v) for v in value]
    if t == 'map' and isinstance(value, dict):
        return {k: redact_params(shape.value, v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {'bytes': len(value)}
    if hasattr(value, 'isoformat'):
        return value.isoformat()
    return value


class RequestLog:
    """Entries are added when a request has been answered; clear() (and a reset) empties the log
    for what comes next, so a request that arrived before it and is answered after it (one a
    delay fault holds, from a test that has already ended) is left out: it belongs to what ran
    before the clear. Each request takes generation() when it arrives and hands it to add()."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = collections.deque(maxlen=MAX_ENTRIES)
        self._next = 1
        self._generation = 0

    def generation(self):
        with self._lock:
            return self._generation

    def add(self, entry, generation=None):
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            entry['id'] = self._next
            self._next += 1
            self._entries.append(entry)

    def list(self, since=0, service=None, operation=None):
        with self._lock:
            return [e for e in self._entries
                    if e['id'] > since and (service is None or e['service'] == service)
                    and (operation is None or e['operation'] == operation)]

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._generation += 1


def new_entry(method, path, query, headers):
    return {'time': time.time(), 'service': None, 'operation': None, 'method': method, 'path': path,
            'query': redact_query(query), 'headers': sorted({k.lower() for k, _ in headers}),
            'status': None, 'error_code': None, 'access_key_id': None, 'request_id': None,
            'fault': None, 'params': None, 'duration_ms': None}
