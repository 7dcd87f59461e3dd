#!/usr/bin/python3
"""The sandbox AWS endpoint: one loopback port, every service routed by the credential
scope of the request's signature, every signature checked with botocore, every request
validated against botocore's models, answers in each protocol's wire format, faults on
demand, and a control API under /_sandbox/. Start it with ctl.py."""

import datetime
import email.utils
import json
import os
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import protocols  # noqa: E402
import services  # noqa: E402
from core.errors import AwsError, internal_error  # noqa: E402
from core.faults import FaultError, Faults  # noqa: E402
from core.identity import ACCOUNT, IdentityStore  # noqa: E402
from core.reqlog import RequestLog, new_entry, redact_params, redact_query  # noqa: E402
from core.service import Context, ModelCache  # noqa: E402
from core.sigv4_verify import AuthFailure, extract, verify  # noqa: E402
from protocols.common import HttpRequest, HttpResponse, OutputError  # noqa: E402
from protocols.query import form_pairs  # noqa: E402

UTC = datetime.timezone.utc


def log(msg):
    sys.stderr.write('%s %s\n' % (datetime.datetime.now().strftime('%H:%M:%S.%f')[:-3], msg))
    sys.stderr.flush()


class Outcome:
    def __init__(self, response, action=None):
        self.response = response
        self.action = action    # None, 'reset' or 'truncate'


class Sandbox:
    def __init__(self):
        self.account = ACCOUNT
        self.identities = IdentityStore()
        self.faults = Faults()
        self.requests = RequestLog()
        self.models = ModelCache()
        self.lock = threading.RLock()
        self.services = {}
        for cls in services.discover():
            self.services[cls.name] = cls(self)

    def reset(self):
        with self.lock:
            self.identities.reset()
            self.faults.clear()
            self.requests.clear()
            for svc in self.services.values():
                svc.reset()

    def model_of(self, svc):
        return self.models.get(svc.model_name or svc.name)

    def route_unsigned(self, req):
        target = req.header('x-amz-target')
        if target:
            prefix, _, op = target.rpartition('.')
        else:
            pairs = dict(form_pairs(req))
            op, prefix = pairs.get('Action'), None
        for svc in self.services.values():
            if op and op in svc.unsigned_operations:
                model = self.model_of(svc)
                if prefix is not None and model.metadata.get('targetPrefix') != prefix:
                    continue
                return svc, op
        return None, None

    # ---------------------------------------------------------------- one AWS request
    def serve(self, req):
        t0 = time.monotonic()
        generation = self.requests.generation()   # a clear() before the answer drops this entry
        entry = new_entry(req.method, req.path, req.query, req.headers)
        ctx = Context(self, None)
        ctx.http_method = req.method
        ctx.request = req
        protocol = None
        action = None
        try:
            try:
                info = extract(req)
                svc = op_name = None
                if info is None:
                    svc, op_name = self.route_unsigned(req)
                elif info.service:
                    svc = self.services.get(info.service)
                if svc is not None:
                    ctx.service = svc
                    ctx.model = self.model_of(svc)
                    protocol = protocols.get(ctx.model.protocol)
            finally:
                protocol = protocol or protocols.guess(req)
                ctx.request_id = getattr(protocol, 'new_request_id', lambda: str(uuid.uuid4()))()
                if hasattr(protocol, 'new_host_id'):
                    ctx.host_id = protocol.new_host_id()
            entry['request_id'] = ctx.request_id
            akid = info.access_key_id if info else None
            entry['access_key_id'] = akid
            entry['service'] = svc.name if svc else (info.service if info else None)
            if info is not None and info.region:
                ctx.region = info.region
            if svc is None:
                if info is None:
                    raise protocol.auth_error('missing')
                if info.error is not None:
                    raise self.auth_error(protocol, None, info.error)
                raise AwsError('UnknownService', 'The sandbox does not serve %r (it serves: %s)'
                               % (info.service, ', '.join(sorted(self.services))), 400)
            # A service may read part of the address from the Host header (S3's virtual-hosted
            # buckets): routing and parsing see the request as it would be path-addressed, the
            # signature check sees it as it was sent.
            addressed = getattr(svc, 'addressed', None) or (lambda r: r)
            if op_name is None:
                op_name = protocol.operation_name(ctx.model, addressed(req))
            entry['operation'] = op_name
            if info is None and op_name not in svc.unsigned_operations:
                raise protocol.auth_error('missing', overrides=svc.auth_error_codes)

            ctx.skew_seconds = self.faults.skew_seconds(svc.name, op_name, akid)
            if ctx.skew_seconds:
                entry['fault'] = 'skew'
            if info is not None:
                try:
                    ident, body, headers = verify(req, info, self.identities, ctx.now(), log=log)
                except AuthFailure as f:
                    raise self.auth_error(protocol, svc, f)
                ctx.identity = ident
                req = HttpRequest(req.method, req.target, headers, body)
            req = ctx.request = addressed(req)

            delay, terminal, post = self.faults.pick(svc.name, op_name, akid)
            if delay:
                entry['fault'] = 'delay'
                time.sleep(delay / 1000.0)
            if terminal is not None:
                entry['fault'] = terminal.kind
                if terminal.kind == 'reset':
                    entry['status'] = 0
                    entry['duration_ms'] = round((time.monotonic() - t0) * 1000, 1)
                    self.requests.add(entry, generation)
                    log('%s %s %s:%s -> connection reset [fault]' % (req.method, req.path, svc.name, op_name))
                    return Outcome(None, 'reset')
                headers = []
                if terminal.kind == 'retry_after':
                    headers.append(('x-amz-retry-after', str(terminal.retry_after_ms)))
                raise AwsError(terminal.code, terminal.message or 'Injected fault: %s' % terminal.code,
                               terminal.status, headers=headers, sender=terminal.status < 500)

            body, corrupted = self.faults.corrupt(svc.name, op_name, akid, req.body)
            if corrupted is not None:
                entry['fault'] = 'corrupt_body'
                req = ctx.request = HttpRequest(req.method, req.target, req.headers, body)

            if not op_name or op_name not in ctx.model.operation_names:
                raise protocol.unknown_operation_error(op_name, ctx.model)
            op = ctx.operation = ctx.model.operation_model(op_name)
            params, problems = protocol.parse(op, req)
            entry['params'] = redact_params(op.input_shape, params)
            if problems:
                raise protocol.validation_error(problems)
            handler = svc.handler(op_name)
            if handler is None:
                raise AwsError('NotImplemented', 'The sandbox does not implement %s:%s yet' % (svc.name, op_name),
                               501, sender=False)
            modifiers = self.faults.modifiers(svc.name, op_name, akid)
            if modifiers:
                entry['fault'] = ','.join(sorted(modifiers))
            if 'ignore_range' in modifiers:
                params.pop('Range', None)  # answered as if no Range was asked: 200, the whole object
            endless = modifiers.get('endless_token')
            if endless is not None:
                endless_input(op, params)
            if svc.serialize_handlers:
                with self.lock:
                    result = handler(ctx, params)
            else:
                result = handler(ctx, params)
            if endless is not None:
                endless_output(op, result, endless)
            if 'drop_checksum' in modifiers and isinstance(result, dict):
                for name in [k for k in result if k.startswith('Checksum')]:
                    del result[name]   # answered without the object's checksums
            resp = protocol.serialize(op, result, ctx)
            if 'drop_checksum' in modifiers:   # and a handler's own headers (GetObject, HeadObject)
                resp.headers = [(k, v) for k, v in resp.headers if not k.lower().startswith('x-amz-checksum-')]
            if post is not None:
                entry['fault'] = post.kind
                action = 'reset' if post.kind == 'reset' else 'truncate'
        except AwsError as e:
            entry['error_code'] = e.code
            resp = protocol.serialize_error(e, ctx)
        except Exception as e:  # a sandbox bug: answer 500 and say why in the log
            log('internal error serving %s %s: %s\n%s' % (req.method, req.path, e, traceback.format_exc()))
            err = internal_error('Sandbox internal error: %s: %s' % (type(e).__name__, e)) \
                if isinstance(e, OutputError) else internal_error()
            entry['error_code'] = err.code
            resp = protocol.serialize_error(err, ctx)
        finally:
            entry['duration_ms'] = round((time.monotonic() - t0) * 1000, 1)
        resp = protocol.finish(resp, ctx)
        resp.set_header('Date', email.utils.formatdate(ctx.now().timestamp(), usegmt=True))
        entry['status'] = resp.status
        self.requests.add(entry, generation)
        log('%s %s %s:%s -> %s %s%s' % (req.method, req.path, entry['service'], entry['operation'], resp.status,
                                        entry['error_code'] or '', ' [fault %s]' % entry['fault']
                                        if entry['fault'] else ''))
        return Outcome(resp, action)

    def auth_error(self, protocol, svc, failure):
        if failure.code:
            err = AwsError(failure.code, failure.message or failure.code, failure.status or 400)
        else:
            err = protocol.auth_error(failure.kind, failure.message, svc.auth_error_codes if svc else None)
        if protocol.name == 'rest-xml':
            err.extra.update(failure.extra)
        return err

    # ---------------------------------------------------------------- control API
    def control(self, method, path, query, body):
        """-> (status, JSON-able)."""
        parts = [p for p in path.split('/') if p][1:]
        q = dict(parse_qsl(query))
        try:
            doc = json.loads(body.decode('utf-8')) if body.strip() else None
        except ValueError as e:
            return 400, {'error': 'invalid JSON: %s' % e}
        if parts == ['health'] and method == 'GET':
            return 200, {'ok': True, 'pid': os.getpid(), 'services': sorted(self.services),
                         'time': datetime.datetime.now(UTC).isoformat()}
        if parts == ['reset'] and method == 'POST':
            self.reset()
            return 200, {'ok': True}
        if parts == ['requests']:
            if method == 'GET':
                try:
                    since = int(q.get('since', 0))
                except ValueError:
                    return 400, {'error': 'since must be an integer'}
                return 200, {'requests': self.requests.list(since, q.get('service'), q.get('operation'))}
            if method == 'DELETE':
                self.requests.clear()
                return 200, {'ok': True}
        if parts == ['faults']:
            if method == 'GET':
                return 200, {'faults': self.faults.list()}
            if method == 'POST':
                try:
                    return 200, {'faults': self.faults.add(doc)}
                except (FaultError, ValueError, TypeError) as e:
                    return 400, {'error': str(e)}
            if method == 'DELETE':
                self.faults.clear()
                return 200, {'ok': True}
        if len(parts) == 3 and parts[0] == 'services' and method in ('POST', 'GET'):
            # GET: the action with no body (the actions that list do so then)
            svc = self.services.get(parts[1])
            if svc is None:
                return 404, {'error': 'no service %s' % parts[1]}
            try:
                with self.lock:
                    return 200, svc.control(parts[2], doc if method == 'POST' else None)
            except AwsError as e:
                return e.status, {'error': e.message, 'code': e.code}
            except (ValueError, TypeError, KeyError) as e:
                return 400, {'error': 'bad %s control body: %s' % (parts[1], e)}
        return 404, {'error': 'no control endpoint %s %s' % (method, path)}


# The `endless_token` fault: every page of a paginated operation claims there is another one.
_TOKEN_PAIRS = (('NextToken', 'NextToken'), ('nextToken', 'nextToken'),
                ('ContinuationToken', 'NextContinuationToken'), ('Marker', 'NextMarker'))
_ENDLESS_PREFIX = 'sandbox-endless-'
_endless_counter = [0]
_endless_lock = threading.Lock()


def endless_input(op, params):
    """Drops a token the fault made up, so the handler serves its first page again."""
    for name, _ in _TOKEN_PAIRS:
        value = params.get(name)
        if isinstance(value, str) and value.startswith(_ENDLESS_PREFIX):
            del params[name]


def endless_output(op, result, rule):
    """Puts a next-page token in the answer: a new one each time, or always the same with
    `repeat`."""
    members = op.output_shape.members if op.output_shape is not None else {}
    for _, out_name in _TOKEN_PAIRS:
        if out_name in members:
            if rule.repeat:
                token = _ENDLESS_PREFIX + 'same'
            else:
                with _endless_lock:
                    _endless_counter[0] += 1
                    token = _ENDLESS_PREFIX + str(_endless_counter[0])
            result[out_name] = token
            if 'IsTruncated' in members:
                result['IsTruncated'] = True
            return


def _json_default(value):
    """Control answers may carry service records with datetimes: ISO 8601 strings."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError('%s is not JSON serializable' % type(value).__name__)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'sandbox'
    timeout = 300  # idle keep-alive connections go away eventually
    sandbox = None

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def read_body(self):
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            chunks = []
            for _ in range(10 ** 7):  # bounded
                line = self.rfile.readline(65537)
                if not line:
                    raise ValueError('connection closed inside a chunked body')
                size = int(line.split(b';', 1)[0].strip(), 16)
                if size == 0:
                    for _ in range(1000):
                        trailer = self.rfile.readline(65537)
                        if trailer in (b'\r\n', b'\n', b''):
                            break
                    return b''.join(chunks)
                data = self.rfile.read(size)
                if len(data) != size:
                    raise ValueError('connection closed inside a chunk')
                chunks.append(data)
                self.rfile.readline(3)
            raise ValueError('too many chunks')
        length = self.headers.get('Content-Length')
        if length is None:
            return b''
        n = int(length)
        if n < 0:
            raise ValueError('negative Content-Length')
        data = self.rfile.read(n)
        if len(data) != n:
            raise ValueError('connection closed inside the body')
        return data

    def dispatch(self):
        try:
            body = self.read_body()
        except (ValueError, OSError) as e:
            self.close_connection = True
            log('bad request body: %s' % e)
            self.send_plain(400, {'error': 'bad request body: %s' % e})
            return
        req = HttpRequest(self.command, self.path, list(self.headers.items()), body)
        if req.path.startswith('/_sandbox/imds/'):
            # A node's instance metadata (tests/sandbox/services/_ec2_chaos.py): plain text.
            parts = req.path.split('/', 4)   # '', '_sandbox', 'imds', address, rest
            ec2 = self.sandbox.services.get('ec2')
            with self.sandbox.lock:
                status, text = ec2.chaos.imds(req.method, parts[3], parts[4] if len(parts) > 4 else '',
                                              list(self.headers.items()))
            data = text.encode('utf-8')
            self.send_response_only(status)
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(data)
            return
        if req.path.startswith('/_sandbox/') or req.path == '/_sandbox':
            status, doc = self.sandbox.control(req.method, req.path, req.query, body)
            self.send_plain(status, doc)
            return
        outcome = self.sandbox.serve(req)
        if outcome.action == 'reset':
            self.reset_connection()
            return
        self.send(outcome.response, truncate=outcome.action == 'truncate')

    def send_plain(self, status, doc):
        data = (json.dumps(doc, default=_json_default) + '\n').encode('utf-8')
        self.send_response_only(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Date', email.utils.formatdate(usegmt=True))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def send(self, resp, truncate=False):
        # A large body may come as `stream` (an iterable of bytes) of `stream_length` bytes,
        # written as it is produced instead of being held in memory.
        stream = getattr(resp, 'stream', None)
        if stream is not None:
            self.send_stream(resp, stream, truncate)
            return
        body = bytes(resp.body)
        head_only = resp.head_only or self.command == 'HEAD'
        self.send_response_only(resp.status)
        for k, v in resp.headers:
            if k.lower() == 'content-length' and not head_only:
                continue
            self.send_header(k, v)
        if not head_only:
            self.send_header('Content-Length', str(len(body)))
        elif resp.header('content-length') is None:
            self.send_header('Content-Length', str(len(body)))
        if truncate:
            self.send_header('Connection', 'close')
        self.end_headers()
        if head_only:
            return
        if truncate:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def send_stream(self, resp, stream, truncate):
        length = resp.stream_length
        self.send_response_only(resp.status)
        for k, v in resp.headers:
            if k.lower() != 'content-length':
                self.send_header(k, v)
        self.send_header('Content-Length', str(length))
        if truncate:
            self.send_header('Connection', 'close')
        self.end_headers()
        limit = length // 2 if truncate else length
        sent = 0
        for chunk in stream:
            if sent >= limit:
                break
            chunk = chunk[:limit - sent]
            self.wfile.write(chunk)
            sent += len(chunk)
        if truncate or sent != length:
            self.wfile.flush()
            self.close_connection = True

    def reset_connection(self):
        """Close with RST, answering nothing."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.connection.close()
        except OSError:
            pass

    def log_request(self, code='-', size='-'):
        pass  # serve() logs one line per request, without query strings (signatures)

    def log_message(self, fmt, *args):
        msg = fmt % args
        log('http: %s' % redact_query(msg.split('?')[0] if '?' in msg else msg))


def make_server(port=0, tls_dir=None):
    """tls_dir: serve HTTPS (only) with a certificate for 127.0.0.1 / localhost signed by a CA
    made for this run in that directory (ca.pem is what a client trusts; see
    tests/support/tls_certs.py)."""
    Handler.sandbox = Sandbox()
    httpd = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    httpd.daemon_threads = True
    if tls_dir:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'support'))
        import tls_certs
        _, cert, key = tls_certs.ca_signed(tls_dir)
        # The handshake happens in the request's thread (on its first read), not in the
        # accepting one: a client that never finishes it holds up no other.
        httpd.socket = tls_certs.server_context(cert, key).wrap_socket(
            httpd.socket, server_side=True, do_handshake_on_connect=False)
    return httpd


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file', help='write the bound port here once listening')
    ap.add_argument('--max-lifetime', type=float, default=0,
                    help='exit after this many seconds (0: never); a guard against orphaned servers')
    ap.add_argument('--tls-dir', help='serve HTTPS with a certificate from a CA made in this directory '
                    '(DIR/ca.pem: the CA file clients trust)')
    args = ap.parse_args(argv)
    httpd = make_server(args.port, args.tls_dir)
    port = httpd.server_address[1]
    scheme = 'https' if args.tls_dir else 'http'
    log('sandbox pid %d listening on %s://127.0.0.1:%d (services: %s)'
        % (os.getpid(), scheme, port, ', '.join(sorted(Handler.sandbox.services))))
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % port)
        os.replace(tmp, args.port_file)
    else:
        print('%s://127.0.0.1:%d' % (scheme, port), flush=True)

    def warm_up():
        # botocore's signer and the models load in the background so that startup is fast
        # and the first requests do not pay for them.
        from core.sigv4_verify import warm_up as warm_signer
        warm_signer()
        for svc in Handler.sandbox.services.values():
            Handler.sandbox.model_of(svc)

    threading.Thread(target=warm_up, daemon=True).start()

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    import signal
    signal.signal(signal.SIGTERM, stop)
    if args.max_lifetime > 0:
        timer = threading.Timer(args.max_lifetime, stop)
        timer.daemon = True
        timer.start()
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    httpd.server_close()
    log('sandbox stopped')


if __name__ == '__main__':
    main()
