"""The one exception handlers and the core raise to answer with an AWS error."""


class AwsError(Exception):
    """An AWS error answer. `code` is the AWS error code ("ValidationError"), `status` the
    HTTP status. `extra` adds elements to formats that carry them (S3's <Error>: BucketName,
    Key, ServerTime, ...; JSON: extra fields). `headers` are added to the answer."""

    def __init__(self, code, message='', status=400, extra=None, headers=None, sender=True):
        super().__init__('%s: %s' % (code, message))
        self.code = code
        self.message = message
        self.status = status
        self.extra = dict(extra or {})
        self.headers = list(headers or [])
        self.sender = sender  # <Type>Sender</Type> vs Receiver in query errors


def internal_error(message='We encountered an internal error. Please try again.'):
    return AwsError('InternalError', message, status=500, sender=False)
