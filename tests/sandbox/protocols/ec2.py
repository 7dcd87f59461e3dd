"""The `ec2` protocol: query-style requests with EC2's naming (capitalised locationName,
always-flattened `Name.N` lists), `<XResponse><requestId>` answers and
`<Response><Errors><Error>` errors."""

from protocols.base import AUTH_ERRORS_QUERY
from protocols.common import HttpResponse, xml_text
from protocols.query import QueryProtocol

AUTH_ERRORS_EC2 = dict(AUTH_ERRORS_QUERY)
AUTH_ERRORS_EC2.update({
    'unknown_key': ('AuthFailure', 401, 'AWS was not able to validate the provided access credentials'),
    'token_invalid': ('AuthFailure', 401, 'AWS was not able to validate the provided access credentials'),
    'token_expired': ('RequestExpired', 400, 'Request has expired.'),
    'skew': ('RequestExpired', 400, None),
})


class Ec2Protocol(QueryProtocol):
    name = 'ec2'
    content_type = 'text/xml;charset=UTF-8'
    auth_errors = AUTH_ERRORS_EC2
    problem_codes = {'malformed': 'InvalidParameterValue', 'unknown': 'UnknownParameter',
                     'type': 'InvalidParameterValue', 'missing': 'MissingParameter',
                     'constraint': 'InvalidParameterValue'}

    def input_name(self, member, name):
        ser = member.serialization
        if 'queryName' in ser:
            return ser['queryName']
        if 'name' in ser:
            return ser['name'][:1].upper() + ser['name'][1:]
        return name

    def member_node(self, node, member, name):
        return node.children.get(self.input_name(member, name))

    def read_list(self, shape, node, path, problems):
        if node.value is not None:
            node.used = True
            if node.value == '' and not node.children:
                return []
        return [self.read(shape.member, c, '%s.%d' % (path, i + 1), problems)
                for i, c in enumerate(self.indexed(node, path, problems))]

    def unknown_message(self, key):
        return 'The parameter %s is not recognized' % key

    def validation_error(self, problems):
        err = super().validation_error(problems)
        if err.code == 'MissingParameter':
            missing = [p for k, p, _ in problems.items if k == 'missing']
            err.message = 'The request must contain the parameter %s' % missing[0]
        return err

    def answer_document(self, op, inner, ns, rid):
        """EC2's answer: the request id, then the result's members right in <op>Response."""
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<{op}Response xmlns="{ns}"><requestId>{rid}</requestId>'
                '{inner}</{op}Response>\n').format(op=op.name, ns=ns, rid=rid, inner=inner or '')

    def serialize_error(self, err, ctx):
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
               '<Message>{msg}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>\n').format(
            code=xml_text(err.code), msg=xml_text(err.message), rid=ctx.request_id)
        return HttpResponse(err.status, [('Content-Type', self.content_type)] + err.headers, xml.encode('utf-8'))
