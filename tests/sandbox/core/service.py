"""The base class of every service module and the context its handlers receive.

A service module (services/<name>.py) defines one subclass of Service and names it
SERVICE. Handlers are methods named exactly like the botocore operation
(`def AssumeRole(self, ctx, params)`); they take the validated params dict and return a
result dict shaped like the operation's output (or raise AwsError)."""

import datetime
import threading

from core.errors import AwsError

UTC = datetime.timezone.utc


class Service:
    #: credential-scope (signing) name that routes requests here: "sts", "s3", "ec2", ...
    name = None
    #: botocore service name, when it differs from `name` ("ecr" signs as "ecr" but is "ecr")
    model_name = None
    #: operations AWS serves without a signature (routed by Action / X-Amz-Target)
    unsigned_operations = frozenset()
    #: per-service overrides of authentication error codes: kind -> (code, status, message)
    auth_error_codes = {}
    #: run handlers under the sandbox-wide lock (simple state, no races); set False to lock yourself
    serialize_handlers = True
    #: rest-xml only: namespace of XML answers
    xml_namespace = None

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.reset()

    def reset(self):
        """Drops all state (POST /_sandbox/reset)."""

    def control(self, action, body):
        """POST /_sandbox/services/<name>/<action> with a JSON body -> JSON-able answer."""
        raise AwsError('UnknownControlAction', 'no control action %r for %s' % (action, self.name), 404)

    def xml_root_name(self, operation, shape):
        """rest-xml only: root element of an answer without a payload member."""
        return None

    def handler(self, operation):
        fn = getattr(self, operation, None)
        return fn if callable(fn) and operation[:1].isupper() else None


class Context:
    """Everything a handler may need about the request being served."""

    def __init__(self, sandbox, request_id):
        self.sandbox = sandbox
        self.request_id = request_id
        self.host_id = ''
        self.service = None          # the Service instance
        self.model = None            # botocore ServiceModel
        self.operation = None        # botocore OperationModel
        self.identity = None         # core.identity.Identity, None for unsigned calls
        self.region = 'us-east-1'
        self.http_method = None
        self.request = None          # protocols.common.HttpRequest (body decoded)
        self.skew_seconds = 0

    def now(self):
        """The server's clock (including any injected skew)."""
        return datetime.datetime.now(UTC) + datetime.timedelta(seconds=self.skew_seconds)

    @property
    def account(self):
        return self.identity.account if self.identity else self.sandbox.account

    def other(self, name):
        """Another service instance, for cross-service behaviour (EC2 reading SSM, ...)."""
        return self.sandbox.services[name]


#: botocore service name -> function(model dict) that adds what the installed botocore's model
#: predates (S3's CRC64NVME and checksum types: services/s3.py), applied before the model is built.
MODEL_PATCHES = {}


class ModelCache:
    """botocore service models, loaded on first use (startup stays fast)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._session = None
        self._models = {}

    def get(self, name):
        with self._lock:
            m = self._models.get(name)
            if m is None:
                if self._session is None:
                    import botocore.session
                    self._session = botocore.session.get_session()
                patch = MODEL_PATCHES.get(name)
                if patch is None:
                    m = self._session.get_service_model(name)
                else:
                    from botocore.model import ServiceModel
                    data = dict(self._session.get_service_data(name))   # the loader's copy stays as is
                    data['shapes'] = dict(data['shapes'])
                    patch(data)   # replaces the shapes it changes, never edits them in place
                    m = ServiceModel(data, service_name=name)
                self._models[name] = m
            return m
