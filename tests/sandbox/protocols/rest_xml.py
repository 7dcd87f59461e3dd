"""The `rest-xml` protocol (S3): operation from method + URI template, XML bodies, S3's
`<Error><Code><Message><RequestId>` errors and `x-amz-request-id` / `x-amz-id-2`."""

import base64
import os
import xml.etree.ElementTree as ET

from protocols.base import Protocol
from protocols.common import (HttpResponse, text_to_scalar, xml_members, xml_text)
from protocols.rest import RestProtocol

AUTH_ERRORS_S3 = {
    'missing': ('AccessDenied', 403, 'Access Denied'),
    'incomplete': ('AuthorizationHeaderMalformed', 400, None),
    'unknown_key': ('InvalidAccessKeyId', 403,
                    'The AWS Access Key Id you provided does not exist in our records.'),
    'bad_signature': ('SignatureDoesNotMatch', 403,
                      'The request signature we calculated does not match the signature you provided. '
                      'Check your key and signing method.'),
    'skew': ('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.'),
    'presign_expired': ('AccessDenied', 403, 'Request has expired'),
    'token_invalid': ('InvalidToken', 400, 'The provided token is malformed or otherwise invalid.'),
    'token_expired': ('ExpiredToken', 400, 'The provided token has expired.'),
    'bad_payload': ('XAmzContentSHA256Mismatch', 400,
                    "The provided 'x-amz-content-sha256' header does not match what was computed."),
}


def _local(tag):
    return tag.rsplit('}', 1)[-1]


class RestXmlProtocol(RestProtocol):
    name = 'rest-xml'
    request_id_header = 'x-amz-request-id'
    auth_errors = AUTH_ERRORS_S3
    problem_codes = {'malformed': 'MalformedXML', 'unknown': 'InvalidArgument', 'type': 'InvalidArgument',
                     'missing': 'InvalidRequest', 'constraint': 'InvalidArgument'}
    unknown_operation_code = 'MethodNotAllowed'

    def unknown_operation_error(self, name, model):
        from core.errors import AwsError
        return AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405)

    # ---- requests
    def read_body(self, shape, body, problems, root_name, only=None):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            problems.add('malformed', '', 'The XML you provided was not well-formed or did not validate '
                                          'against our published schema')
            return None
        if root_name and _local(root.tag) != root_name:
            problems.add('malformed', '', 'The XML you provided was not well-formed or did not validate '
                                          'against our published schema (root element %s, expected %s)'
                         % (_local(root.tag), root_name))
            return None
        return self.read_xml(shape, root, '', problems, only)

    def read_xml(self, shape, elem, path, problems, only=None):
        t = shape.type_name
        if t == 'structure':
            by_wire = {}
            for name, member in shape.members.items():
                if only is not None and name not in only:
                    continue
                if member.serialization.get('xmlAttribute'):
                    continue
                wire = member.serialization.get('name', name)
                if member.type_name == 'list' and member.serialization.get('flattened'):
                    wire = member.member.serialization.get('name', wire)
                by_wire[wire] = name
            out = {}
            for name, member in shape.members.items():
                if member.serialization.get('xmlAttribute'):
                    for k, v in elem.attrib.items():
                        if _local(k) == member.serialization['name'].split(':')[-1]:
                            out[name] = v
            for child in elem:
                name = by_wire.get(_local(child.tag))
                sub = path + '.' + _local(child.tag) if path else _local(child.tag)
                if name is None:
                    problems.add('malformed', sub, 'Unexpected element %s' % sub)
                    continue
                member = shape.members[name]
                if member.type_name == 'list' and member.serialization.get('flattened'):
                    out.setdefault(name, []).append(self.read_xml(member.member, child, sub, problems))
                else:
                    out[name] = self.read_xml(member, child, sub, problems)
            return out
        if t == 'list':
            item = shape.member.serialization.get('name', 'member')
            items = []
            for child in elem:
                if _local(child.tag) != item:
                    problems.add('malformed', path, 'Unexpected element %s in %s' % (_local(child.tag), path))
                    continue
                items.append(self.read_xml(shape.member, child, path, problems))
            return items
        if t == 'map':
            kname = shape.key.serialization.get('name', 'key')
            vname = shape.value.serialization.get('name', 'value')
            out = {}
            for entry in elem:
                kv = {_local(c.tag): c for c in entry}
                if kname in kv:
                    k = self.read_xml(shape.key, kv[kname], path, problems)
                    out[k] = self.read_xml(shape.value, kv[vname], path, problems) if vname in kv else None
            return out
        before = len(problems.items)
        v = text_to_scalar(shape, elem.text or '', path, problems)
        for i in range(before, len(problems.items)):
            k, p, msg = problems.items[i]
            problems.items[i] = ('malformed', p, msg)
        return v

    # ---- answers
    def namespace(self, ctx):
        ns = getattr(ctx.service, 'xml_namespace', None) or ctx.model.metadata.get('xmlNamespace')
        if not ns and ctx.model.service_name == 's3':
            ns = 'http://s3.amazonaws.com/doc/%s/' % ctx.model.api_version
        return ns

    def write_body(self, shape, value, ctx, op, root_name):
        if root_name is None:
            root_name = ctx.service.xml_root_name(op.name, shape) if ctx.service else None
            root_name = root_name or shape.serialization.get('name') or '%sResult' % op.name
        name_of = lambda m, n: m.serialization.get('name', n)
        item_of = lambda ls: ls.member.serialization.get('name', 'member')
        inner = xml_members(shape, value, name_of, item_of)
        ns = self.namespace(ctx)
        attrs = ' xmlns="%s"' % xml_text(ns) if ns else ''
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<%s%s>%s</%s>' % (root_name, attrs, inner, root_name)).encode('utf-8')

    def finish(self, resp, ctx):
        resp = super().finish(resp, ctx)
        if not resp.header('x-amz-id-2'):
            resp.set_header('x-amz-id-2', ctx.host_id)
        return resp

    def serialize_error(self, err, ctx):
        extra = ''.join('<%s>%s</%s>' % (k, xml_text(str(v)), k) for k, v in err.extra.items())
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{msg}</Message>'
               '{extra}<RequestId>{rid}</RequestId><HostId>{hid}</HostId></Error>').format(
            code=xml_text(err.code), msg=xml_text(err.message), extra=extra, rid=ctx.request_id,
            hid=xml_text(ctx.host_id))
        resp = HttpResponse(err.status, [('Content-Type', 'application/xml')] + err.headers, xml.encode('utf-8'))
        if ctx.http_method == 'HEAD':
            resp.head_only = True
        return resp

    @staticmethod
    def new_request_id():
        return os.urandom(8).hex().upper()

    @staticmethod
    def new_host_id():
        return base64.b64encode(os.urandom(48)).decode('ascii')
