"""The `rest-json` protocol: operation from method + URI template, JSON bodies, errors
named by `x-amzn-ErrorType`."""

import json

from core.errors import AwsError
from protocols.awsjson import AUTH_ERRORS_JSON, PROBLEM_CODES_JSON
from protocols.common import HttpResponse, json_value, typed_from_json
from protocols.rest import RestProtocol


class RestJsonProtocol(RestProtocol):
    name = 'rest-json'
    auth_errors = AUTH_ERRORS_JSON
    problem_codes = PROBLEM_CODES_JSON
    unknown_operation_code = 'UnknownOperationException'
    body_content_type = 'application/json'

    def unknown_operation_error(self, name, model):
        return AwsError('UnknownOperationException', '', 404)

    def read_body(self, shape, body, problems, root_name, only=None):
        try:
            doc = json.loads(body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            problems.add('malformed', '', 'Could not parse the request body as JSON: %s' % e)
            return None
        if only is not None and isinstance(doc, dict):
            located = {m.serialization.get('name', n) for n, m in shape.members.items() if n not in only}
            doc = {k: v for k, v in doc.items() if k not in located or problems.add(
                'unknown', k, "Field '%s' belongs in the URI or headers" % k)}
        return typed_from_json(shape, doc, '', problems)

    def write_body(self, shape, value, ctx, op, root_name):
        return json.dumps(json_value(shape, value)).encode('utf-8')

    def serialize_error(self, err, ctx):
        body = {'__type': err.code, 'message': err.message}
        body.update(err.extra)
        return HttpResponse(err.status, [('Content-Type', 'application/json'), ('x-amzn-ErrorType', err.code)]
                            + err.headers, json.dumps(body).encode('utf-8'))
