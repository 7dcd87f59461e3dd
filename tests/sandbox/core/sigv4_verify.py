"""Checks SigV4 signatures the way AWS does, with botocore's own signer doing the
canonicalisation and the HMAC chain: header auth, presigned URLs, UNSIGNED-PAYLOAD,
x-amz-content-sha256, and S3's aws-chunked streaming bodies (signed chunks and trailers).

Nothing here prints a secret, a session token or a signature; the canonical request that
failed is logged with security-token values replaced."""

import base64
import datetime
import email.utils
import hashlib
import hmac
import re
import sys
import zlib
from urllib.parse import unquote


def _botocore():
    """botocore's signer, imported on first use: importing it takes most of a second, and
    the server should answer its health check before that."""
    from botocore import auth, awsrequest, compat, credentials
    return auth, awsrequest.AWSRequest, compat.HTTPHeaders, credentials.Credentials


def warm_up():
    _botocore()

UTC = datetime.timezone.utc
MAX_SKEW = datetime.timedelta(minutes=15)
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
_HEX64 = re.compile(r'^[0-9a-f]{64}$')


class AuthFailure(Exception):
    """kind: missing, incomplete, unknown_key, bad_signature, skew, presign_expired,
    token_invalid, token_expired, bad_payload. `code`/`status` override the protocol's
    mapping for errors that are not about credentials (IncompleteBody, BadDigest)."""

    def __init__(self, kind, message=None, code=None, status=None, extra=None):
        super().__init__(kind)
        self.kind = kind
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra or {}


class AuthInfo:
    """What a request claims about its signature (parsed, not yet checked)."""

    def __init__(self):
        self.mode = None            # "header" or "query"
        self.access_key_id = None
        self.scope_date = self.region = self.service = None
        self.signed_headers = []
        self.signature = None
        self.timestamp = None       # yyyymmddThhmmssZ
        self.expires = None
        self.token = None
        self.error = None           # AuthFailure when malformed


def extract(req):
    """-> AuthInfo, or None when the request carries no signature at all."""
    auth = req.header('authorization')
    q = dict(req.query_pairs())
    info = AuthInfo()
    if auth is not None:
        info.mode = 'header'
        scheme, _, rest = auth.strip().partition(' ')
        if scheme != 'AWS4-HMAC-SHA256':
            info.error = AuthFailure('incomplete', 'Unsupported authorization scheme %s; only AWS4-HMAC-SHA256 '
                                                   'is supported' % scheme[:32])
            return info
        fields = {}
        for part in rest.split(','):
            k, eq, v = part.strip().partition('=')
            if eq:
                fields[k.strip()] = v.strip()
        _credential(info, fields.get('Credential'))
        info.signed_headers = [h for h in (fields.get('SignedHeaders') or '').lower().split(';') if h]
        info.signature = fields.get('Signature')
        xdate = req.header('x-amz-date')
        if xdate:
            info.timestamp = xdate.strip()
        elif req.header('date'):
            parsed = email.utils.parsedate_tz(req.header('date'))
            if parsed:
                info.timestamp = datetime.datetime.fromtimestamp(
                    email.utils.mktime_tz(parsed), UTC).strftime('%Y%m%dT%H%M%SZ')
        info.token = req.header('x-amz-security-token')
        missing = [n for n, v in (('Credential', fields.get('Credential')), ('SignedHeaders', info.signed_headers),
                                  ('Signature', info.signature)) if not v]
        if missing and info.error is None:
            info.error = AuthFailure('incomplete', "Authorization header requires '%s' parameter. Authorization "
                                                   "header requires existence of either a 'X-Amz-Date' or a "
                                                   "'Date' header." % missing[0])
        elif info.timestamp is None and info.error is None:
            info.error = AuthFailure('incomplete', "Authorization header requires existence of either a "
                                                   "'X-Amz-Date' or a 'Date' header.")
        return info
    if 'X-Amz-Credential' in q or 'X-Amz-Signature' in q or 'X-Amz-Algorithm' in q:
        info.mode = 'query'
        _credential(info, q.get('X-Amz-Credential'))
        info.signed_headers = [h for h in (q.get('X-Amz-SignedHeaders') or '').lower().split(';') if h]
        info.signature = q.get('X-Amz-Signature')
        info.timestamp = q.get('X-Amz-Date')
        info.token = q.get('X-Amz-Security-Token')
        try:
            info.expires = int(q.get('X-Amz-Expires', ''))
        except ValueError:
            info.expires = None
        needed = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders',
                  'X-Amz-Signature']
        missing = [n for n in needed if not q.get(n)]
        if info.error is None:
            if missing:
                info.error = AuthFailure('incomplete', 'Query-string authentication requires the %s parameter'
                                         % missing[0])
            elif q.get('X-Amz-Algorithm') != 'AWS4-HMAC-SHA256':
                info.error = AuthFailure('incomplete', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
            elif info.expires is None or not 1 <= info.expires <= 604800:
                info.error = AuthFailure('incomplete', 'X-Amz-Expires must be a number of seconds from 1 to 604800')
        return info
    return None


def _credential(info, cred):
    if not cred:
        return
    parts = cred.split('/')
    if len(parts) != 5 or parts[4] != 'aws4_request' or not all(parts):
        info.error = AuthFailure('incomplete', "Credential should be scoped to a valid region, not "
                                               "'<key>/<date>/<region>/<service>/aws4_request'")
        if len(parts) >= 4:
            info.service = parts[3]
        return
    info.access_key_id, info.scope_date, info.region, info.service, _ = parts


def parse_amz_date(ts):
    try:
        return datetime.datetime.strptime(ts, '%Y%m%dT%H%M%SZ').replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _verifier(base, creds, service, region, signed):
    HTTPHeaders = _botocore()[2]

    class Verifier(base):
        def headers_to_sign(self, request):
            hm = HTTPHeaders()
            for name, value in request.headers.items():
                if name.lower() in signed:
                    hm[name.lower()] = value
            return hm
    return Verifier(creds, service, region)


def _amz(dt):
    return dt.strftime('%Y%m%dT%H%M%SZ')


def verify(req, info, identities, server_now, log=None):
    """Checks `info` against the request. Returns (identity, body, headers) where body is the
    decoded payload and headers the request headers to hand on (aws-chunked removed, checksum
    trailers added)."""
    if info.error is not None:
        raise info.error
    ident = identities.lookup(info.access_key_id)
    if ident is None:
        raise AuthFailure('unknown_key')
    when = parse_amz_date(info.timestamp)
    if when is None:
        raise AuthFailure('incomplete', "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    skew_extra = {'RequestTime': info.timestamp, 'ServerTime': server_now.strftime('%Y-%m-%dT%H:%M:%SZ'),
                  'MaxAllowedSkewMilliseconds': '900000'}
    if info.mode == 'header':
        if when < server_now - MAX_SKEW:
            raise AuthFailure('skew', 'Signature expired: %s is now earlier than %s (%s - 15 min.)'
                              % (info.timestamp, _amz(server_now - MAX_SKEW), _amz(server_now)), extra=skew_extra)
        if when > server_now + MAX_SKEW:
            raise AuthFailure('skew', 'Signature not yet current: %s is still later than %s (%s + 15 min.)'
                              % (info.timestamp, _amz(server_now + MAX_SKEW), _amz(server_now)), extra=skew_extra)
    else:
        if server_now > when + datetime.timedelta(seconds=info.expires):
            raise AuthFailure('presign_expired', 'Request has expired',
                              extra={'X-Amz-Expires': str(info.expires), 'Expires': _iso(
                                  when + datetime.timedelta(seconds=info.expires)),
                                  'ServerTime': _iso(server_now)})
        if when > server_now + MAX_SKEW:
            raise AuthFailure('skew', 'Signature not yet current: %s is still later than %s (%s + 15 min.)'
                              % (info.timestamp, _amz(server_now + MAX_SKEW), _amz(server_now)), extra=skew_extra)
    if info.scope_date != info.timestamp[:8]:
        raise AuthFailure('bad_signature', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version '
                                           'of date from HTTP: %s != %s' % (info.scope_date, info.timestamp[:8]))
    is_s3 = info.service == 's3'
    content_sha = req.header('x-amz-content-sha256')
    if is_s3 and info.mode == 'header' and content_sha is None:
        raise AuthFailure('bad_payload', 'Missing required header for this request: x-amz-content-sha256',
                          code='InvalidRequest', status=400)

    signed = set(info.signed_headers)
    if 'host' not in signed:
        raise AuthFailure('bad_signature', "'Host' must be a signed header")
    headers = {}
    for name, value in req.headers:
        low = name.lower()
        if low in signed or (low == 'x-amz-content-sha256' and info.mode == 'header'):
            headers.setdefault(low, []).append(' '.join(value.split()))
    for name in signed:
        if name not in headers:
            raise AuthFailure('bad_signature', 'The request signature we calculated does not match the signature '
                                               'you provided: signed header %s is not in the request' % name)
    params = [(k, v) for k, v in req.query_pairs() if k != 'X-Amz-Signature']
    auth, AWSRequest, _, Credentials = _botocore()
    areq = AWSRequest(method=req.method, url='http://sandbox' + (req.path or '/'),
                      headers={k: ','.join(v) for k, v in headers.items()}, data=req.body)
    areq.params = params
    areq.context['timestamp'] = info.timestamp
    creds = Credentials(ident.access_key_id, ident.secret, ident.session_token)
    if info.mode == 'query':
        base = auth.S3SigV4QueryAuth if is_s3 else auth.SigV4QueryAuth
    else:
        base = auth.S3SigV4Auth if is_s3 else auth.SigV4Auth
    signer = _verifier(base, creds, info.service, info.region, signed)
    canonical = signer.canonical_request(areq)
    expected = signer.signature(signer.string_to_sign(areq, canonical), areq)
    if not hmac.compare_digest(expected, (info.signature or '').lower()):
        if log:
            log('signature mismatch for %s (%s); canonical request we computed:\n%s'
                % (info.access_key_id, info.service, _redact_canonical(canonical)))
        raise AuthFailure('bad_signature')

    # Session tokens are checked once the signature is known to be good.
    if ident.session_token is not None:
        if info.token != ident.session_token:
            raise AuthFailure('token_invalid')
        if ident.expiration is not None and ident.expiration <= server_now:
            raise AuthFailure('token_expired')
    elif info.token:
        raise AuthFailure('token_invalid')

    body = req.body
    out_headers = req.headers
    if content_sha is not None and info.mode == 'header':
        value = content_sha.strip()
        if _HEX64.match(value):
            if hashlib.sha256(body).hexdigest() != value:
                raise AuthFailure('bad_payload', "The provided 'x-amz-content-sha256' header does not match what "
                                                 "was computed.", extra={
                                                     'ClientComputedContentSHA256': value,
                                                     'S3ComputedContentSHA256': hashlib.sha256(body).hexdigest()})
        elif value in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER):
            body, trailers = _decode_chunked(req, body, value, signer, areq, info)
            # Trailing headers (x-amz-checksum-*) are handed on as headers: the service sees
            # a trailing checksum as it sees one sent up front, and checks it itself.
            out_headers = _without_aws_chunked(req.headers) + [
                (k, v) for k, v in trailers if k.startswith('x-amz-checksum-') and req.header(k) is None]
        elif value != 'UNSIGNED-PAYLOAD':
            raise AuthFailure('bad_payload', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a streaming mode or a '
                                             'valid sha256 value.', code='InvalidArgument', status=400)
    return ident, body, out_headers


def _iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def _redact_canonical(canonical):
    out = []
    for line in canonical.split('\n'):
        if line.lower().startswith('x-amz-security-token:'):
            line = 'x-amz-security-token:<redacted>'
        line = re.sub(r'(X-Amz-Security-Token=)[^&]*', r'\1<redacted>', line)
        out.append(line)
    return '\n'.join(out)


def _without_aws_chunked(headers):
    out = []
    for name, value in headers:
        if name.lower() == 'content-encoding':
            kept = [p.strip() for p in value.split(',') if p.strip() and p.strip().lower() != 'aws-chunked']
            if not kept:
                continue
            value = ','.join(kept)
        out.append((name, value))
    return out


def _incomplete(msg):
    return AuthFailure('bad_payload', msg, code='IncompleteBody', status=400)


def _decode_chunked(req, body, mode, signer, areq, info):
    signed = mode != STREAMING_UNSIGNED_TRAILER
    scope = signer.credential_scope(areq)
    prev = info.signature.lower()
    out = []
    pos = 0
    n = len(body)
    trailers = []
    while True:  # bounded: pos strictly increases and stops at len(body)
        eol = body.find(b'\r\n', pos)
        if eol < 0:
            raise _incomplete('aws-chunked body ends inside a chunk header')
        header = body[pos:eol].decode('latin-1')
        size_hex, _, ext = header.partition(';')
        try:
            size = int(size_hex.strip(), 16)
        except ValueError:
            raise _incomplete('malformed aws-chunked chunk header')
        start = eol + 2
        data = body[start:start + size]
        if len(data) != size:
            raise _incomplete('aws-chunked body ends inside a chunk')
        if signed:
            m = re.match(r'\s*chunk-signature=([0-9a-f]{64})\s*$', ext)
            if not m:
                raise AuthFailure('incomplete', 'aws-chunked chunk without chunk-signature')
            sts = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', info.timestamp, scope, prev, EMPTY_SHA256,
                             hashlib.sha256(data).hexdigest()])
            if not hmac.compare_digest(signer.signature(sts, areq), m.group(1)):
                raise AuthFailure('bad_signature', 'The chunk signature of chunk %d does not match' % len(out))
            prev = m.group(1)
        pos = start + size
        if size == 0:
            break
        out.append(data)
        if body[pos:pos + 2] != b'\r\n':
            raise _incomplete('aws-chunked chunk not followed by CRLF')
        pos += 2
        if pos >= n:
            raise _incomplete('aws-chunked body has no final chunk')
    # After the final chunk: CRLF, or trailer lines then CRLF.
    rest = body[pos:]
    if mode == STREAMING_SIGNED:
        if rest not in (b'\r\n', b''):
            raise _incomplete('unexpected bytes after the final aws-chunked chunk')
    else:
        lines = rest.decode('latin-1').split('\r\n')
        trailer_sig = None
        for line in lines:
            if not line:
                continue
            k, _, v = line.partition(':')
            if k.strip().lower() == 'x-amz-trailer-signature':
                trailer_sig = v.strip()
            else:
                trailers.append((k.strip().lower(), v.strip()))
        if mode == STREAMING_SIGNED_TRAILER:
            canon = ''.join('%s:%s\n' % kv for kv in trailers)
            sts = '\n'.join(['AWS4-HMAC-SHA256-TRAILER', info.timestamp, scope, prev,
                             hashlib.sha256(canon.encode('utf-8')).hexdigest()])
            if not trailer_sig or not hmac.compare_digest(signer.signature(sts, areq), trailer_sig):
                raise AuthFailure('bad_signature', 'The trailer signature does not match')
    decoded = b''.join(out)
    declared = req.header('x-amz-decoded-content-length')
    if declared is None:
        raise AuthFailure('bad_payload', 'Missing required header for this request: x-amz-decoded-content-length',
                          code='MissingContentLength', status=411)
    if declared.strip() != str(len(decoded)):
        raise _incomplete('You did not provide the number of bytes specified by x-amz-decoded-content-length '
                          '(%s declared, %d sent)' % (declared.strip(), len(decoded)))
    _check_trailer_checksums(trailers, decoded)
    return decoded, trailers


def _check_trailer_checksums(trailers, data):
    for name, value in trailers:
        if name == 'x-amz-checksum-crc32':
            got = base64.b64encode((zlib.crc32(data) & 0xffffffff).to_bytes(4, 'big')).decode()
        elif name == 'x-amz-checksum-sha1':
            got = base64.b64encode(hashlib.sha1(data).digest()).decode()
        elif name == 'x-amz-checksum-sha256':
            got = base64.b64encode(hashlib.sha256(data).digest()).decode()
        else:
            continue  # crc32c has no stdlib implementation; not checked
        if got != value:
            raise AuthFailure('bad_payload', 'The %s you specified did not match the calculated checksum.'
                              % name[len('x-amz-checksum-'):].upper(), code='BadDigest', status=400)


def unquote_path(path):
    return unquote(path)


def debug(msg):
    print(msg, file=sys.stderr, flush=True)
