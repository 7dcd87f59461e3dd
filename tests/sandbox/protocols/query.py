"""The `query` protocol (STS, IAM, CloudFormation, Auto Scaling): form-encoded
`Action=...&Version=...&Foo.member.1=...` requests, `<XResponse><XResult>` answers and
`<ErrorResponse>` errors."""

from urllib.parse import parse_qsl

from core.errors import AwsError
from protocols.base import Protocol
from protocols.common import (HttpResponse, Problems, check_constraints, check_result_keys,
                              text_to_scalar, xml_members, xml_text)

# Query parameters that belong to authentication, never to the operation.
AUTH_QUERY_PARAMS = {'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
                     'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'}


class _Node:
    """One segment of dotted form keys ("Tags.member.1.Key" -> Tags / member / 1 / Key)."""
    __slots__ = ('value', 'children', 'used', 'key')

    def __init__(self, key):
        self.key = key
        self.value = None
        self.children = {}
        self.used = False


def form_pairs(req):
    """The request's parameters: URL query and (for form posts) the body, merged."""
    pairs = [(k, v) for k, v in req.query_pairs() if k not in AUTH_QUERY_PARAMS]
    ctype = (req.header('content-type') or '').lower()
    if req.body and (ctype.startswith('application/x-www-form-urlencoded') or not ctype):
        try:
            text = req.body.decode('utf-8')
        except UnicodeDecodeError:
            raise AwsError('MalformedQueryString', 'The request body is not valid UTF-8', 400)
        pairs.extend(parse_qsl(text, keep_blank_values=True))
    return pairs


def build_tree(pairs, skip=('Action', 'Version')):
    root = _Node('')
    for key, value in pairs:
        if key in skip:
            continue
        node = root
        for part in key.split('.'):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node(node.key + '.' + part if node.key else part)
            node = child
        node.value = value
    return root


def unused_keys(node, out):
    if node.value is not None and not node.used:
        out.append(node.key)
    for child in node.children.values():
        unused_keys(child, out)
    return out


class QueryProtocol(Protocol):
    name = 'query'
    content_type = 'text/xml'

    # ---- how names look on the wire (EC2 differs)
    def input_name(self, member, name):
        return member.serialization.get('name', name)

    def output_name(self, member, name):
        return member.serialization.get('name', name)

    def output_item_name(self, list_shape):
        return list_shape.member.serialization.get('name', 'member')

    # ---- requests
    def operation_name(self, model, req):
        for k, v in form_pairs(req):
            if k == 'Action':
                return v
        return None

    def parse(self, op, req):
        problems = Problems()
        tree = build_tree(form_pairs(req))
        params = {}
        if op.input_shape is not None:
            params = self.read_struct(op.input_shape, tree, '', problems) or {}
            check_constraints(op.input_shape, params, '', problems)
        for key in unused_keys(tree, []):
            problems.add('unknown', key, self.unknown_message(key))
        return params, problems

    def unknown_message(self, key):
        return "Unknown parameter '%s'" % key

    def read(self, shape, node, path, problems):
        t = shape.type_name
        if t == 'structure':
            return self.read_struct(shape, node, path, problems)
        if t == 'list':
            return self.read_list(shape, node, path, problems)
        if t == 'map':
            return self.read_map(shape, node, path, problems)
        node.used = True
        if node.value is None:
            problems.add('type', path, "Value at '%s' must be a scalar" % path)
            return None
        return text_to_scalar(shape, node.value, path, problems)

    def read_struct(self, shape, node, path, problems):
        if node.value is not None and node.key:
            node.used = True
            if node.value != '' or not node.children:
                problems.add('type', path, "Value at '%s' must be a structure" % path)
        out = {}
        for name, member in shape.members.items():
            child = self.member_node(node, member, name)
            if child is None:
                continue
            v = self.read(member, child, path + '.' + name if path else name, problems)
            if v is not None:
                out[name] = v
        return out

    def member_node(self, node, member, name):
        if member.type_name == 'list' and member.serialization.get('flattened') \
                and member.member.serialization.get('name'):
            return node.children.get(member.member.serialization['name'])
        return node.children.get(self.input_name(member, name))

    def indexed(self, node, path, problems):
        items = []
        for key, child in node.children.items():
            if key.isdigit():
                items.append((int(key), child))
        return [c for _, c in sorted(items)]

    def read_list(self, shape, node, path, problems):
        if node.value is not None:
            node.used = True
            if node.value == '' and not node.children:
                return []
        if shape.serialization.get('flattened'):
            holder = node
        else:
            holder = node.children.get(shape.member.serialization.get('name', 'member'))
            if holder is None:
                return [] if node.value == '' else self._not_list(node, path, problems)
        return [self.read(shape.member, c, '%s.%d' % (path, i + 1), problems)
                for i, c in enumerate(self.indexed(holder, path, problems))]

    def _not_list(self, node, path, problems):
        if node.value is not None:
            problems.add('type', path, "Value at '%s' must be a list" % path)
        return None

    def read_map(self, shape, node, path, problems):
        if node.value == '' and not node.children:
            node.used = True
            return {}
        holder = node if shape.serialization.get('flattened') else node.children.get('entry')
        if holder is None:
            return None
        kname = shape.key.serialization.get('name', 'key')
        vname = shape.value.serialization.get('name', 'value')
        out = {}
        for entry in self.indexed(holder, path, problems):
            kn, vn = entry.children.get(kname), entry.children.get(vname)
            if kn is None:
                continue
            k = self.read(shape.key, kn, path + '.key', problems)
            v = self.read(shape.value, vn, '%s.%s' % (path, k), problems) if vn is not None else None
            if k is not None:
                out[k] = v
        return out

    # ---- answers
    def namespace(self, model):
        ns = model.metadata.get('xmlNamespace') or ''
        if ns and not ns.endswith('/'):
            ns += '/'
        return ns

    def serialize(self, op, result, ctx):
        raw = self.passthrough(result)
        if raw is not None:
            return raw
        shape = op.output_shape
        result = result or {}
        inner = None
        if shape is not None:
            check_result_keys(shape, result)
            inner = xml_members(shape, result, self.output_name, self.output_item_name)
        xml = self.answer_document(op, inner, xml_text(self.namespace(ctx.model)), ctx.request_id)
        return HttpResponse(200, [('Content-Type', self.content_type)], xml.encode('utf-8'))

    def answer_document(self, op, inner, ns, rid):
        """The answer's XML: the result's members `inner` (None: the operation has no output)
        in <op>Result, then the request id."""
        body = ''
        if inner is not None:
            wrapper = op.output_shape.serialization.get('resultWrapper') or '%sResult' % op.name
            body = '<%s>%s</%s>' % (wrapper, inner, wrapper)
        return ('<{op}Response xmlns="{ns}">{body}<ResponseMetadata><RequestId>{rid}</RequestId>'
                '</ResponseMetadata></{op}Response>\n').format(op=op.name, ns=ns, body=body, rid=rid)

    def serialize_error(self, err, ctx):
        ns = self.namespace(ctx.model) if ctx.model is not None else ''
        xml = ('<ErrorResponse xmlns="{ns}"><Error><Type>{type}</Type><Code>{code}</Code>'
               '<Message>{msg}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>\n').format(
            ns=xml_text(ns), type='Sender' if err.sender else 'Receiver', code=xml_text(err.code),
            msg=xml_text(err.message), rid=ctx.request_id)
        return HttpResponse(err.status, [('Content-Type', self.content_type)] + err.headers, xml.encode('utf-8'))
