"""The `json` protocol (1.0 / 1.1: SSM, SageMaker, ECR, CloudWatch Logs): POST / with
`X-Amz-Target: Prefix.Operation`, JSON bodies both ways, `{"__type": ...}` errors."""

import json

from core.errors import AwsError
from protocols.base import AUTH_ERRORS_QUERY, Protocol
from protocols.common import HttpResponse, Problems, check_constraints, json_value, typed_from_json

AUTH_ERRORS_JSON = {
    'missing': ('MissingAuthenticationTokenException', 400, 'Missing Authentication Token'),
    'incomplete': ('IncompleteSignatureException', 400, None),
    'unknown_key': ('UnrecognizedClientException', 400, 'The security token included in the request is invalid.'),
    'bad_signature': AUTH_ERRORS_QUERY['bad_signature'],
    'skew': ('InvalidSignatureException', 400, None),
    'presign_expired': ('InvalidSignatureException', 400, 'Signature expired'),
    'token_invalid': ('UnrecognizedClientException', 400, 'The security token included in the request is invalid.'),
    'token_expired': ('ExpiredTokenException', 400, 'The security token included in the request is expired'),
    'bad_payload': AUTH_ERRORS_QUERY['bad_payload'],
}

# What the JSON protocols (json, rest-json) answer for a request that does not fit the model.
PROBLEM_CODES_JSON = {'malformed': 'SerializationException', 'unknown': 'SerializationException',
                      'type': 'SerializationException', 'missing': 'ValidationException',
                      'constraint': 'ValidationException'}


class JsonProtocol(Protocol):
    name = 'json'
    auth_errors = AUTH_ERRORS_JSON
    problem_codes = PROBLEM_CODES_JSON
    unknown_operation_code = 'UnknownOperationException'

    def operation_name(self, model, req):
        target = req.header('x-amz-target') or ''
        prefix, _, op = target.rpartition('.')
        if not prefix or prefix != model.metadata.get('targetPrefix'):
            return None
        return op

    def unknown_operation_error(self, name, model):
        return AwsError(self.unknown_operation_code, '', 400)

    def parse(self, op, req):
        problems = Problems()
        try:
            doc = json.loads(req.body.decode('utf-8')) if req.body.strip() else {}
        except (UnicodeDecodeError, ValueError) as e:
            problems.add('malformed', '', 'Start of structure or map found where not expected: %s' % e)
            return {}, problems
        if not isinstance(doc, dict):
            problems.add('malformed', '', 'Start of list found where not expected')
            return {}, problems
        params = {}
        if op.input_shape is not None:
            params = typed_from_json(op.input_shape, doc, '', problems) or {}
            check_constraints(op.input_shape, params, '', problems)
        elif doc:
            problems.add('unknown', '', 'Operation %s takes no parameters' % op.name)
        return params, problems

    def content_type(self, ctx):
        return 'application/x-amz-json-%s' % (ctx.model.metadata.get('jsonVersion') or '1.0')

    def serialize(self, op, result, ctx):
        raw = self.passthrough(result)
        if raw is not None:
            return raw
        body = {}
        if op.output_shape is not None:
            body = json_value(op.output_shape, result or {})
        return HttpResponse(200, [('Content-Type', self.content_type(ctx))], json.dumps(body).encode('utf-8'))

    def serialize_error(self, err, ctx):
        body = {'__type': err.code, 'message': err.message}
        body.update(err.extra)
        ctype = self.content_type(ctx) if ctx.model is not None else 'application/x-amz-json-1.1'
        return HttpResponse(err.status, [('Content-Type', ctype), ('x-amzn-ErrorType', err.code)] + err.headers,
                            json.dumps(body).encode('utf-8'))
