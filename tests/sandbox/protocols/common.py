"""Pieces every wire protocol shares: the HTTP request/response the protocols see, the
problems collected while reading parameters, scalar conversions and model constraints.

Parsed parameters are plain Python values: str, int, float, bool, bytes (blobs),
datetime (timestamps, UTC), list, dict. Handlers receive them and return the same kinds.
"""

import base64
import binascii
import calendar
import datetime
import email.utils
import math
import re
from xml.sax.saxutils import escape as _xml_escape

UTC = datetime.timezone.utc


class HttpRequest:
    """A request as it arrived (after HTTP-level chunked decoding and, for S3 streaming
    uploads, after aws-chunked decoding by the signature layer)."""

    def __init__(self, method, target, headers, body):
        self.method = method.upper()
        self.target = target                     # path[?query] exactly as received
        path, _, query = target.partition('?')
        self.path = path                         # still percent-encoded
        self.query = query                       # still percent-encoded
        self.headers = headers                   # list of (name, value), order and case kept
        self.body = body                         # bytes

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def query_pairs(self):
        """Decoded (key, value) pairs of the URL query; '+' stays '+' (AWS signs %20)."""
        from urllib.parse import unquote
        pairs = []
        if self.query:
            for part in self.query.split('&'):
                if not part:
                    continue
                k, _, v = part.partition('=')
                pairs.append((unquote(k), unquote(v)))
        return pairs


class HttpResponse:
    def __init__(self, status=200, headers=None, body=b''):
        self.status = status
        self.headers = list(headers or [])      # list of (name, value)
        self.body = body if isinstance(body, (bytes, bytearray)) else body.encode('utf-8')
        self.head_only = False                  # HEAD: send headers (Content-Length kept) only

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, str(value)))

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default


class RawResponse(HttpResponse):
    """What a handler returns when it must control the HTTP answer itself (304, 206, ...).
    The protocol passes it through untouched (adding only the request id)."""


class Problems:
    """Problems found while reading parameters: kinds are unknown, missing, type, constraint
    and malformed (the body itself cannot be read). Each protocol maps them to its error codes."""

    def __init__(self):
        self.items = []

    def add(self, kind, path, message):
        self.items.append((kind, path, message))

    def __bool__(self):
        return bool(self.items)

    def has_path(self, path):
        return any(p == path for _, p, _ in self.items)

    def first_kind(self):
        order = ['malformed', 'unknown', 'type', 'missing', 'constraint']
        kinds = {k for k, _, _ in self.items}
        for k in order:
            if k in kinds:
                return k
        return self.items[0][0]

    def message(self, kinds=None):
        msgs = [m for k, _, m in self.items if kinds is None or k in kinds]
        if len(msgs) == 1:
            return msgs[0]
        if all(k in ('missing', 'constraint') for k, _, _ in self.items):
            return '%d validation errors detected: %s' % (len(msgs), '; '.join(msgs))
        return '; '.join(msgs)


def lower_camel(name):
    return name[:1].lower() + name[1:] if name else name


# ---------------------------------------------------------------- scalars from text

_INT_RE = re.compile(r'^[+-]?\d+$')


def text_to_scalar(shape, text, path, problems):
    """Converts wire text (query form, XML, header, URI label) to the shape's type."""
    t = shape.type_name
    try:
        if t in ('string', 'character'):
            return text
        if t in ('integer', 'long', 'short', 'byte'):
            if not _INT_RE.match(text.strip()):
                raise ValueError(text)
            return int(text.strip())
        if t in ('float', 'double'):
            v = float(text)
            return v
        if t == 'boolean':
            low = text.strip().lower()
            if low not in ('true', 'false'):
                raise ValueError(text)
            return low == 'true'
        if t == 'blob':
            return base64.b64decode(text.encode('ascii'), validate=True)
        if t == 'timestamp':
            return parse_timestamp(text)
    except (ValueError, binascii.Error, UnicodeEncodeError, OverflowError):
        problems.add('type', path, "Value '%s' at '%s' is not a valid %s" % (_short(text), path, t))
        return None
    problems.add('type', path, "Unsupported shape type %s at '%s'" % (t, path))
    return None


def parse_timestamp(value):
    """ISO 8601, RFC 822 or epoch seconds -> aware UTC datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, UTC)
    s = str(value).strip()
    if re.match(r'^\d+(\.\d+)?$', s):
        return datetime.datetime.fromtimestamp(float(s), UTC)
    m = re.match(r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$', s)
    if m:
        frac = m.group(7) or ''
        micro = int((frac[1:] + '000000')[:6]) if frac else 0
        dt = datetime.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)),
                               int(m.group(5)), int(m.group(6)), micro, tzinfo=UTC)
        tz = m.group(8)
        if tz and tz != 'Z':
            sign = 1 if tz[0] == '+' else -1
            digits = tz[1:].replace(':', '')
            dt -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return dt
    parsed = email.utils.parsedate_tz(s)
    if parsed:
        return datetime.datetime.fromtimestamp(email.utils.mktime_tz(parsed), UTC)
    raise ValueError(s)


def _short(text, n=64):
    text = str(text)
    return text if len(text) <= n else text[:n] + '...'


# ---------------------------------------------------------------- constraints

def check_constraints(shape, value, path, problems):
    """Required members and min/max, walked over an already typed value."""
    if value is None:
        return
    t = shape.type_name
    meta = shape.metadata
    if t == 'structure':
        if not isinstance(value, dict):
            return
        for name in shape.required_members:
            if value.get(name) is None:
                if problems.has_path(_join(path, name)):
                    continue  # already reported (a value of the wrong type)
                problems.add('missing', _join(path, name),
                             "Value null at '%s' failed to satisfy constraint: Member must not be null"
                             % _join(path, lower_camel(name)))
        for name, member in shape.members.items():
            if name in value:
                check_constraints(member, value[name], _join(path, name), problems)
    elif t == 'list':
        if isinstance(value, list):
            _check_len(meta, len(value), value, path, problems, 'length')
            for i, item in enumerate(value):
                check_constraints(shape.member, item, '%s.%d' % (path, i + 1), problems)
    elif t == 'map':
        if isinstance(value, dict):
            _check_len(meta, len(value), value, path, problems, 'length')
            for k, v in value.items():
                check_constraints(shape.value, v, '%s.%s' % (path, k), problems)
    elif t in ('string', 'blob'):
        if isinstance(value, (str, bytes, bytearray)):
            _check_len(meta, len(value), value, path, problems, 'length')
    elif t in ('integer', 'long', 'float', 'double', 'short', 'byte'):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if 'min' in meta and value < meta['min']:
                problems.add('constraint', path,
                             "Value '%s' at '%s' failed to satisfy constraint: Member must have value "
                             "greater than or equal to %s" % (value, _lc_path(path), meta['min']))
            if 'max' in meta and value > meta['max']:
                problems.add('constraint', path,
                             "Value '%s' at '%s' failed to satisfy constraint: Member must have value "
                             "less than or equal to %s" % (value, _lc_path(path), meta['max']))


def _check_len(meta, n, value, path, problems, what):
    if 'min' in meta and n < meta['min']:
        problems.add('constraint', path,
                     "Value '%s' at '%s' failed to satisfy constraint: Member must have %s greater "
                     "than or equal to %s" % (_short_value(value), _lc_path(path), what, meta['min']))
    if 'max' in meta and n > meta['max']:
        problems.add('constraint', path,
                     "Value '%s' at '%s' failed to satisfy constraint: Member must have %s less "
                     "than or equal to %s" % (_short_value(value), _lc_path(path), what, meta['max']))


def _short_value(value):
    if isinstance(value, (bytes, bytearray)):
        return '<%d bytes>' % len(value)
    return _short(value)


def _lc_path(path):
    return '.'.join(lower_camel(p) for p in path.split('.'))


def _join(path, name):
    return '%s.%s' % (path, name) if path else name


# ---------------------------------------------------------------- typed JSON-ish values

def typed_from_json(shape, value, path, problems, timestamp_default='unixtimestamp'):
    """JSON value -> typed Python value for `shape` (json and rest-json bodies)."""
    if value is None:
        return None
    t = shape.type_name
    if t == 'structure':
        if getattr(shape, 'is_document_type', False):
            return value
        if not isinstance(value, dict):
            problems.add('type', path, "Expected an object at '%s'" % (path or '<root>'))
            return None
        by_wire = {m.serialization.get('name', n): n for n, m in shape.members.items()}
        out = {}
        for k, v in value.items():
            name = by_wire.get(k)
            if name is None:
                problems.add('unknown', _join(path, k), "Unknown field '%s' at '%s'" % (k, path or '<root>'))
                continue
            tv = typed_from_json(shape.members[name], v, _join(path, name), problems, timestamp_default)
            if tv is not None:
                out[name] = tv
        return out
    if t == 'list':
        if not isinstance(value, list):
            problems.add('type', path, "Expected a list at '%s'" % path)
            return None
        return [typed_from_json(shape.member, v, '%s.%d' % (path, i + 1), problems, timestamp_default)
                for i, v in enumerate(value)]
    if t == 'map':
        if not isinstance(value, dict):
            problems.add('type', path, "Expected a map at '%s'" % path)
            return None
        return {k: typed_from_json(shape.value, v, '%s.%s' % (path, k), problems, timestamp_default)
                for k, v in value.items()}
    if t in ('string', 'character'):
        if not isinstance(value, str):
            return _type_problem(problems, path, value, 'String')
        return value
    if t in ('integer', 'long', 'short', 'byte'):
        if isinstance(value, bool) or not isinstance(value, int):
            return _type_problem(problems, path, value, 'Integer')
        return value
    if t in ('float', 'double'):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _type_problem(problems, path, value, 'Double')
        return value
    if t == 'boolean':
        if not isinstance(value, bool):
            return _type_problem(problems, path, value, 'Boolean')
        return value
    if t == 'blob':
        if not isinstance(value, str):
            return _type_problem(problems, path, value, 'Blob')
        try:
            return base64.b64decode(value.encode('ascii'), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return _type_problem(problems, path, value, 'Blob')
    if t == 'timestamp':
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return _type_problem(problems, path, value, 'Timestamp')
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError):
            return _type_problem(problems, path, value, 'Timestamp')
    return _type_problem(problems, path, value, t)


def _type_problem(problems, path, value, expected):
    problems.add('type', path, "Value '%s' at '%s' cannot be converted to %s"
                 % (_short(value), path or '<root>', expected))
    return None


# ---------------------------------------------------------------- output helpers

class OutputError(Exception):
    """A handler returned something its output shape cannot hold (a sandbox bug)."""


def timestamp_text(value, fmt):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = datetime.datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        value = parse_timestamp(value)
    if not isinstance(value, datetime.datetime):
        raise OutputError('not a timestamp: %r' % (value,))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    fmt = (fmt or 'iso8601').lower()
    if fmt == 'iso8601':
        if value.microsecond:
            return value.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (value.microsecond // 1000)
        return value.strftime('%Y-%m-%dT%H:%M:%SZ')
    if fmt == 'rfc822':
        return email.utils.formatdate(calendar.timegm(value.utctimetuple()), usegmt=True)
    if fmt == 'unixtimestamp':
        return value.timestamp()
    raise OutputError('unknown timestamp format %s' % fmt)


def scalar_text(shape, value, timestamp_format='iso8601'):
    t = shape.type_name
    if t in ('string', 'character'):
        if not isinstance(value, str):
            raise OutputError('%s: expected str, got %r' % (shape.name, type(value).__name__))
        return value
    if t in ('integer', 'long', 'short', 'byte'):
        if isinstance(value, bool) or not isinstance(value, int):
            raise OutputError('%s: expected int, got %r' % (shape.name, value))
        return str(value)
    if t in ('float', 'double'):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise OutputError('%s: expected number, got %r' % (shape.name, value))
        return repr(float(value)) if isinstance(value, float) else str(value)
    if t == 'boolean':
        if not isinstance(value, bool):
            raise OutputError('%s: expected bool, got %r' % (shape.name, value))
        return 'true' if value else 'false'
    if t == 'blob':
        if isinstance(value, str):
            value = value.encode('utf-8')
        return base64.b64encode(value).decode('ascii')
    if t == 'timestamp':
        return timestamp_text(value, shape.serialization.get('timestampFormat') or timestamp_format)
    raise OutputError('%s: unsupported scalar type %s' % (shape.name, t))


def xml_text(s):
    return _xml_escape(s, {'"': '&quot;'})


def check_result_keys(shape, value):
    if not isinstance(value, dict):
        raise OutputError('%s: expected dict, got %r' % (shape.name, type(value).__name__))
    extra = set(value) - set(shape.members)
    if extra:
        raise OutputError('%s has no members %s' % (shape.name, sorted(extra)))


def xml_members(shape, value, member_name_of, list_item_name_of, flattened_name_of=None):
    """XML children of a structure value, as used by the query, ec2 and rest-xml outputs.

    member_name_of(member_shape, member_name) -> element name
    list_item_name_of(list_shape) -> element name of each item in a wrapped list
    """
    check_result_keys(shape, value)
    parts = []
    for name, member in shape.members.items():
        if name not in value or value[name] is None:
            continue
        if member.serialization.get('location'):
            continue  # headers/status are the protocol's business
        v = value[name]
        if member.serialization.get('xmlAttribute'):
            continue
        elem = member_name_of(member, name)
        parts.append(xml_value(member, v, elem, member_name_of, list_item_name_of))
    return ''.join(parts)


def xml_value(shape, value, elem, member_name_of, list_item_name_of):
    t = shape.type_name
    if t == 'structure':
        attrs = ''
        check_result_keys(shape, value)
        for n, m in shape.members.items():
            if m.serialization.get('xmlAttribute') and value.get(n) is not None:
                attrs += ' %s="%s"' % (m.serialization['name'], xml_text(str(value[n])))
        ns = shape.serialization.get('xmlNamespace')
        if ns:
            attr = 'xmlns' + (':' + ns['prefix'] if ns.get('prefix') else '')
            attrs += ' %s="%s"' % (attr, xml_text(ns['uri']))
        inner = xml_members(shape, value, member_name_of, list_item_name_of)
        return '<%s%s>%s</%s>' % (elem, attrs, inner, elem)
    if t == 'list':
        if not isinstance(value, (list, tuple)):
            raise OutputError('%s: expected list, got %r' % (shape.name, type(value).__name__))
        if shape.serialization.get('flattened'):
            item = shape.member.serialization.get('name', elem)
            return ''.join(xml_value(shape.member, v, item, member_name_of, list_item_name_of) for v in value)
        item = list_item_name_of(shape)
        inner = ''.join(xml_value(shape.member, v, item, member_name_of, list_item_name_of) for v in value)
        return '<%s>%s</%s>' % (elem, inner, elem)
    if t == 'map':
        if not isinstance(value, dict):
            raise OutputError('%s: expected dict, got %r' % (shape.name, type(value).__name__))
        kname = shape.key.serialization.get('name', 'key')
        vname = shape.value.serialization.get('name', 'value')
        entries = []
        for k, v in value.items():
            kv = (xml_value(shape.key, k, kname, member_name_of, list_item_name_of)
                  + xml_value(shape.value, v, vname, member_name_of, list_item_name_of))
            entries.append('<%s>%s</%s>' % (elem, kv, elem) if shape.serialization.get('flattened')
                           else '<entry>%s</entry>' % kv)
        if shape.serialization.get('flattened'):
            return ''.join(entries)
        return '<%s>%s</%s>' % (elem, ''.join(entries), elem)
    return '<%s>%s</%s>' % (elem, xml_text(scalar_text(shape, value)), elem)


def json_value(shape, value, timestamp_default='unixtimestamp'):
    """Typed value -> JSON-ready value (json and rest-json)."""
    t = shape.type_name
    if t == 'structure':
        if getattr(shape, 'is_document_type', False):
            return value
        check_result_keys(shape, value)
        out = {}
        for name, member in shape.members.items():
            if value.get(name) is None or member.serialization.get('location'):
                continue
            out[member.serialization.get('name', name)] = json_value(member, value[name], timestamp_default)
        return out
    if t == 'list':
        if not isinstance(value, (list, tuple)):
            raise OutputError('%s: expected list' % shape.name)
        return [json_value(shape.member, v, timestamp_default) for v in value]
    if t == 'map':
        if not isinstance(value, dict):
            raise OutputError('%s: expected dict' % shape.name)
        return {k: json_value(shape.value, v, timestamp_default) for k, v in value.items()}
    if t == 'timestamp':
        return timestamp_text(value, shape.serialization.get('timestampFormat') or timestamp_default)
    if t == 'blob':
        return scalar_text(shape, value)
    scalar_text(shape, value)  # type check
    if t in ('float', 'double'):
        return float(value)
    return value
