"""The interface every wire protocol implements, and what they share: error codes for
authentication failures and for parameter problems."""

from core.errors import AwsError
from protocols.common import HttpResponse, RawResponse

# Authentication failure kinds -> (code, status). Each protocol family starts from these;
# a service can override single entries (Service.auth_error_codes).
AUTH_ERRORS_QUERY = {
    'missing': ('MissingAuthenticationToken', 403, 'Request is missing Authentication Token'),
    'incomplete': ('IncompleteSignature', 400, None),
    'unknown_key': ('InvalidClientTokenId', 403, 'The security token included in the request is invalid.'),
    'bad_signature': ('SignatureDoesNotMatch', 403,
                      'The request signature we calculated does not match the signature you provided. '
                      'Check your AWS Secret Access Key and signing method. Consult the service '
                      'documentation for details.'),
    'skew': ('RequestExpired', 400, None),
    'presign_expired': ('RequestExpired', 400, 'Request has expired'),
    'token_invalid': ('InvalidClientTokenId', 403, 'The security token included in the request is invalid.'),
    'token_expired': ('ExpiredToken', 403, 'The security token included in the request is expired'),
    'bad_payload': ('SignatureDoesNotMatch', 403, None),
}


class Protocol:
    """One wire protocol. Subclasses implement operation_name, parse, serialize and
    serialize_error; everything is driven by botocore's models."""

    name = None
    request_id_header = 'x-amzn-RequestId'
    auth_errors = AUTH_ERRORS_QUERY
    # Parameter problem kind -> error code.
    problem_codes = {'malformed': 'ValidationError', 'unknown': 'ValidationError', 'type': 'ValidationError',
                     'missing': 'ValidationError', 'constraint': 'ValidationError'}
    unknown_operation_code = 'InvalidAction'

    def operation_name(self, model, req):
        """The operation the request asks for, or None when it cannot be told."""
        raise NotImplementedError

    def parse(self, op, req):
        """-> (params dict, Problems)."""
        raise NotImplementedError

    def serialize(self, op, result, ctx):
        """Handler result -> HttpResponse."""
        raise NotImplementedError

    def serialize_error(self, err, ctx):
        raise NotImplementedError

    # ---- shared
    def validation_error(self, problems):
        kind = problems.first_kind()
        code = self.problem_codes[kind]
        same = [k for k, c in self.problem_codes.items() if c == code]
        return AwsError(code, problems.message(same), 400)

    def unknown_operation_error(self, name, model):
        return AwsError(self.unknown_operation_code,
                        'The action %s is not valid for this web service.' % (name or '(none)'), 400)

    def auth_error(self, kind, message=None, overrides=None):
        table = dict(self.auth_errors)
        table.update(overrides or {})
        code, status, default = table[kind]
        return AwsError(code, message or default or code, status)

    def finish(self, resp, ctx):
        """Adds the request id header to any answer."""
        if not resp.header(self.request_id_header):
            resp.set_header(self.request_id_header, ctx.request_id)
        return resp

    def passthrough(self, result):
        return result if isinstance(result, (RawResponse, HttpResponse)) else None
