"""What rest-xml (S3) and rest-json share: finding the operation from method + URI
template, and reading/writing URI labels, query string members, headers and payloads."""

import base64
import json
import re
import threading
from urllib.parse import unquote

from protocols.base import Protocol
from protocols.common import HttpResponse, Problems, check_constraints, scalar_text, text_to_scalar

_route_cache = {}
_route_lock = threading.Lock()


class _Route:
    def __init__(self, op):
        self.op = op
        self.name = op.name
        self.method = op.http.get('method', 'POST').upper()
        tmpl = op.http.get('requestUri', '/')
        path_t, _, query_t = tmpl.partition('?')
        self.labels = []
        regex = ''
        for seg in path_t.split('/')[1:]:
            m = re.fullmatch(r'\{([^}+]+)(\+?)\}', seg)
            if m:
                self.labels.append(m.group(1))
                regex += '/(?P<l%d>%s)' % (len(self.labels) - 1, '.+' if m.group(2) else '[^/]+')
            else:
                regex += '/' + re.escape(seg) if seg else '/'
        if not self.labels or not path_t.endswith('+}'):
            regex += '/?' if regex and not regex.endswith('/') else ''
        self.regex = re.compile('^' + (regex or '/') + '$')
        self.literal_segments = len([s for s in path_t.split('/') if s and not s.startswith('{')])
        self.query = []
        for part in filter(None, query_t.split('&')):
            k, eq, v = part.partition('=')
            self.query.append((k, v if eq else None))
        shape = op.input_shape
        self.required_located = []
        if shape is not None:
            for name in shape.required_members:
                loc = shape.members[name].serialization.get('location')
                if loc in ('querystring', 'header'):
                    self.required_located.append((loc, shape.members[name].serialization.get('name', name)))
        self.deprecated = bool(op.deprecated) if hasattr(op, 'deprecated') else False

    def score(self, req, qkeys, qmap):
        if self.method != req.method:
            return None
        m = self.regex.match(req.path)
        if not m:
            return None
        for k, v in self.query:
            if k not in qkeys or (v is not None and qmap.get(k) != v):
                return None
        present = missing = 0
        for loc, wire in self.required_located:
            has = wire in qkeys if loc == 'querystring' else req.header(wire) is not None
            present, missing = (present + 1, missing) if has else (present, missing + 1)
        return (len(self.query), present - missing, self.literal_segments, not self.deprecated)


def routes_for(model):
    key = id(model)
    with _route_lock:
        routes = _route_cache.get(key)
        if routes is None:
            routes = _route_cache[key] = (model, [_Route(model.operation_model(n)) for n in model.operation_names])
    return routes[1]


class RestProtocol(Protocol):
    body_timestamp = 'iso8601'

    def operation_name(self, model, req):
        pairs = req.query_pairs()
        qkeys = {k for k, _ in pairs}
        qmap = dict(pairs)
        best, best_score = None, None
        for r in routes_for(model):
            s = r.score(req, qkeys, qmap)
            if s is not None and (best_score is None or s > best_score):
                best, best_score = r, s
        return best.name if best else None

    # ---- requests
    def parse(self, op, req):
        problems = Problems()
        params = {}
        shape = op.input_shape
        if shape is None:
            return params, problems
        route = next(r for r in routes_for(op.service_model) if r.name == op.name)
        m = route.regex.match(req.path)
        labels = {}
        if m:
            for i, label in enumerate(route.labels):
                labels[label] = unquote(m.group('l%d' % i))
        pairs = req.query_pairs()
        claimed = {k for k, _ in route.query} | {'x-id'}
        body_members = {}
        for name, member in shape.members.items():
            ser = member.serialization
            loc = ser.get('location')
            wire = ser.get('name', name)
            if loc == 'uri':
                if wire in labels:
                    v = text_to_scalar(member, labels[wire], name, problems)
                    if v is not None:
                        params[name] = v
            elif loc == 'querystring':
                if member.type_name == 'map':
                    continue
                values = [v for k, v in pairs if k == wire]
                claimed.add(wire)
                if not values:
                    continue
                if member.type_name == 'list':
                    params[name] = [text_to_scalar(member.member, v, name, problems) for v in values]
                else:
                    v = text_to_scalar(member, values[-1], name, problems)
                    if v is not None:
                        params[name] = v
            elif loc == 'header':
                raw = req.header_all(wire)
                if not raw:
                    continue
                v = self.header_value(member, ', '.join(raw), name, problems)
                if v is not None:
                    params[name] = v
            elif loc == 'headers':
                prefix = wire.lower()
                found = {k.lower()[len(prefix):]: v for k, v in req.headers if k.lower().startswith(prefix)}
                if found:
                    params[name] = found
            elif loc == 'statusCode':
                continue
            else:
                body_members[name] = member
        for name, member in shape.members.items():
            if member.serialization.get('location') == 'querystring' and member.type_name == 'map':
                rest = {k: v for k, v in pairs if k not in claimed}
                if rest:
                    params[name] = rest
        payload = shape.serialization.get('payload')
        if payload:
            member = shape.members[payload]
            if member.type_name == 'blob':
                if req.body or payload in shape.required_members:
                    params[payload] = req.body
            elif member.type_name == 'string':
                if req.body:
                    params[payload] = req.body.decode('utf-8', 'replace')
            elif req.body.strip():
                v = self.read_body(member, req.body, problems, member.serialization.get('name'))
                if v is not None:
                    params[payload] = v
        elif body_members and req.body.strip():
            v = self.read_body(shape, req.body, problems, shape.serialization.get('name'),
                               only=set(body_members))
            if v:
                params.update(v)
        check_constraints(shape, params, '', problems)
        return params, problems

    def header_value(self, shape, text, path, problems):
        t = shape.type_name
        if t == 'list':
            return [text_to_scalar(shape.member, p.strip(), path, problems) for p in text.split(',')]
        if t == 'string' and shape.serialization.get('jsonvalue'):
            try:
                return json.loads(base64.b64decode(text).decode('utf-8'))
            except ValueError:
                problems.add('type', path, 'Header %s is not base64-encoded JSON' % path)
                return None
        return text_to_scalar(shape, text, path, problems)

    def read_body(self, shape, body, problems, root_name, only=None):
        raise NotImplementedError

    # ---- answers
    def default_status(self, op):
        return int(op.http.get('responseCode', 200))

    def located_output(self, op, result):
        """Status and headers from the members that live outside the body."""
        shape = op.output_shape
        status = self.default_status(op)
        headers = []
        if shape is None:
            return status, headers
        for name, member in shape.members.items():
            if name not in result or result[name] is None:
                continue
            ser = member.serialization
            loc = ser.get('location')
            wire = ser.get('name', name)
            v = result[name]
            if loc == 'statusCode':
                status = int(v)
            elif loc == 'header':
                headers.append((wire, self.header_text(member, v)))
            elif loc == 'headers':
                for k, hv in v.items():
                    headers.append((wire + k, str(hv)))
        return status, headers

    def header_text(self, shape, value):
        t = shape.type_name
        if t == 'list':
            return ', '.join(scalar_text(shape.member, v, 'rfc822') for v in value)
        if t == 'string' and shape.serialization.get('jsonvalue'):
            return base64.b64encode(json.dumps(value, separators=(',', ':')).encode('utf-8')).decode('ascii')
        return scalar_text(shape, value, 'rfc822')

    def serialize(self, op, result, ctx):
        raw = self.passthrough(result)
        if raw is not None:
            return raw
        result = result or {}
        shape = op.output_shape
        if shape is not None:
            from protocols.common import check_result_keys
            check_result_keys(shape, result)
        status, headers = self.located_output(op, result)
        body = b''
        if shape is not None:
            payload = shape.serialization.get('payload')
            if payload:
                member = shape.members[payload]
                v = result.get(payload)
                if member.type_name in ('blob', 'string'):
                    body = v.encode('utf-8') if isinstance(v, str) else bytes(v or b'')
                elif v is not None:
                    body = self.write_body(member, v, ctx, op, member.serialization.get('name', member.name))
                    headers.append(('Content-Type', self.body_content_type))
            elif any('location' not in m.serialization for m in shape.members.values()):
                body = self.write_body(shape, result, ctx, op, None)
                headers.append(('Content-Type', self.body_content_type))
        resp = HttpResponse(status, headers, body)
        if ctx.http_method == 'HEAD':
            resp.head_only = True
            cl = resp.header('Content-Length')
            if cl is None:
                resp.set_header('Content-Length', '0')
        return resp

    body_content_type = 'application/xml'

    def write_body(self, shape, value, ctx, op, root_name):
        raise NotImplementedError
