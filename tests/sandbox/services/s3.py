"""S3 with AWS's rules: buckets (regions and location constraints), objects (ranges,
conditional reads, metadata, SSE and storage class echoed, Content-MD5 and x-amz-checksum-*
verified), ListObjectsV2 pagination, CopyObject, DeleteObjects, and multipart uploads
(5 MiB minimum part but the last, 10,000 parts, part ETag checks, md5-of-md5s-N ETags,
COMPOSITE and FULL_OBJECT checksums with CRC32, CRC32C, CRC64NVME, SHA1, SHA256 as S3 allows
them; the rules and errors are in tests/sandbox/README.md, "S3 checksums"). Object bytes live
in services/_s3_store.py (large ones on disk).

Path-style (`http://127.0.0.1:PORT/bucket/key`) and virtual-hosted addressing: a Host of
`<bucket>.s3.<anything>` (`bucket.s3.localhost:PORT`, which curl resolves to loopback by
itself; `bucket.s3.us-east-1.amazonaws.com` when a client is pointed here) or
`<bucket>.localhost` names the bucket, as on AWS; `s3.localhost`, `localhost` and IP
addresses do not. S3 streaming (aws-chunked, chunk-signed) bodies arrive here already
verified and decoded by the core. GET bodies of 8 MiB and more are streamed from the store.

Control actions (POST /_sandbox/services/s3/<action>):
  error_in_200  {"operation": "CompleteMultipartUpload" | "CopyObject", "code": "InternalError",
                 "message": "...", "count": 1, "access_key_id": optional}
                the next `count` matching calls answer 200 with an <Error> body, as S3 does
                when it fails after it started answering; the operation does not take effect.
  uploads       {} -> {"uploads": [{"bucket", "key", "upload_id", "parts"}]} (all buckets)
  config        {"verify_checksums": false} -> {"verify_checksums": ...}: x-amz-checksum-* values of
                PutObject/UploadPart bodies are taken as sent instead of computed (for benchmarks
                on a shared machine, where the sandbox's CRC64NVME, ~4.5 s of CPU per GiB here,
                competes with the client it measures; real S3 verifies on its own machines).
                A wrong value then goes through; /_sandbox/reset turns verification back on.
  tamper        {"bucket", "key", "offset": optional, default size // 2} -> {"bucket", "key", "offset",
                "before", "after"}: inverts that stored byte in place; the object's ETag and
                checksums stay as recorded (bytes changed after they were written).
"""

import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import threading
from urllib.parse import quote, unquote

from core.errors import AwsError
from core.service import MODEL_PATCHES, Service
from protocols.common import HttpRequest, RawResponse, timestamp_text, xml_text
from services._s3_store import (ALGORITHMS, CHECKSUM_TYPES, DEFAULT_TYPE, Blob, checksum, composite_checksum,
                                full_object_checksum, iter_segments, multipart_etag, read_segments)

UTC = datetime.timezone.utc
MiB = 1 << 20
GiB = 1 << 30
MIN_PART = 5 * MiB
MAX_PARTS = 10000
MAX_SINGLE = 5 * GiB
STREAM_BYTES = 8 * MiB         # GET bodies at least this large are streamed, not built in memory
MAX_KEY_BYTES = 1024
MAX_METADATA = 2048
STORAGE_CLASSES = {'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING',
                   'GLACIER', 'DEEP_ARCHIVE', 'OUTPOSTS', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE'}
SSE_ALGORITHMS = {'AES256', 'aws:kms', 'aws:kms:dsse'}
REGION_RE = re.compile(r'^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$')
BUCKET_RE = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
IP_RE = re.compile(r'^\d+\.\d+\.\d+\.\d+$')
# Content headers stored with an object and returned on GET/HEAD: param -> header.
CONTENT_HEADERS = (('ContentType', 'Content-Type'), ('CacheControl', 'Cache-Control'),
                   ('ContentDisposition', 'Content-Disposition'), ('ContentEncoding', 'Content-Encoding'),
                   ('ContentLanguage', 'Content-Language'), ('WebsiteRedirectLocation',
                                                             'x-amz-website-redirect-location'))
RESPONSE_OVERRIDES = (('ResponseContentType', 'Content-Type'), ('ResponseCacheControl', 'Cache-Control'),
                      ('ResponseContentDisposition', 'Content-Disposition'),
                      ('ResponseContentEncoding', 'Content-Encoding'),
                      ('ResponseContentLanguage', 'Content-Language'))


# ------------------------------------------------------------ the model's newer members
# Debian's botocore 1.29 model predates CRC64NVME (Dec 2024) and the checksum types
# (COMPOSITE / FULL_OBJECT, Jan 2025). The sandbox adds them to its copy of the model, where
# today's S3 model has them, so requests are parsed and answers written by the same machinery
# as every other member: the ChecksumAlgorithm enum gains CRC64NVME; every structure with a
# ChecksumCRC32 member gains ChecksumCRC64NVME beside it (header x-amz-checksum-crc64nvme
# where CRC32's is a header, element ChecksumCRC64NVME where it is an element); ChecksumType
# (header x-amz-checksum-type or element ChecksumType) is added to the shapes below. Clients
# built on that botocore (tests, awscli) know none of it: tests send these headers by hand.
CHECKSUM_TYPE_MEMBERS = {
    'CreateMultipartUploadRequest': 'header', 'CreateMultipartUploadOutput': 'header',
    'CompleteMultipartUploadRequest': 'header', 'CompleteMultipartUploadOutput': 'element',
    'PutObjectOutput': 'header', 'HeadObjectOutput': 'header', 'GetObjectOutput': 'header',
    'ListPartsOutput': 'element', 'MultipartUpload': 'element', 'Object': 'element', 'Checksum': 'element',
}


def patch_model(data):
    shapes = data['shapes']
    alg = dict(shapes['ChecksumAlgorithm'])
    if 'CRC64NVME' not in alg.get('enum', []):
        alg['enum'] = list(alg.get('enum', [])) + ['CRC64NVME']
    shapes['ChecksumAlgorithm'] = alg
    shapes.setdefault('ChecksumCRC64NVME', {'type': 'string'})
    shapes.setdefault('ChecksumType', {'type': 'string', 'enum': ['COMPOSITE', 'FULL_OBJECT']})
    for name, shape in list(shapes.items()):
        members = shape.get('members') if shape.get('type') == 'structure' else None
        if not members:
            continue
        add = {}
        crc32 = members.get('ChecksumCRC32')
        if crc32 is not None and 'ChecksumCRC64NVME' not in members:
            m = {k: v for k, v in crc32.items() if k != 'documentation'}
            m['shape'] = 'ChecksumCRC64NVME'
            if 'locationName' in m:
                m['locationName'] = m['locationName'].replace('crc32', 'crc64nvme')
            add['ChecksumCRC64NVME'] = m
        where = CHECKSUM_TYPE_MEMBERS.get(name)
        if where and 'ChecksumType' not in members:
            add['ChecksumType'] = {'shape': 'ChecksumType'}
            if where == 'header':
                add['ChecksumType'].update(location='header', locationName='x-amz-checksum-type')
        if add:
            shape = dict(shape)
            shape['members'] = dict(members, **add)
            shapes[name] = shape


MODEL_PATCHES['s3'] = patch_model


UNSUPPORTED_ALGORITHM = ('Checksum algorithm provided is unsupported. Please try again with any of the valid '
                         'types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]')


def _well_formed(alg, value):
    """Whether `value` is base64 of as many bytes as `alg` gives."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == {'CRC32': 4, 'CRC32C': 4, 'CRC64NVME': 8, 'SHA1': 20, 'SHA256': 32}[alg]


def _checksum_type_mismatch(expected, actual):
    # S3's words when a part's checksum is not the upload's algorithm (seen from real S3 in
    # aws/aws-sdk-java#3173 and apache/arrow-rs-object-store#34).
    return _err('InvalidRequest', 'Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum '
                                  'Type: %s' % (expected.lower() if expected else 'null',
                                                actual.lower() if actual else 'null'), 400)


def _err(code, message, status=400, **extra):
    return AwsError(code, message, status, extra=extra)


def _no_such_bucket(name):
    return _err('NoSuchBucket', 'The specified bucket does not exist', 404, BucketName=name)


def _no_such_upload(upload_id):
    return _err('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the '
                                'upload may have been aborted or completed.', 404, UploadId=upload_id)


def _strip_etag(etag):
    return (etag or '').strip().strip('"')


def _http_date(dt):
    return timestamp_text(dt, 'rfc822')


def _canonical_id(account):
    return hashlib.sha256(('sandbox-canonical-user-' + account).encode()).hexdigest()


def _now(ctx):
    # S3 timestamps have millisecond precision; HTTP dates have seconds.
    t = ctx.now()
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


class Bucket:
    def __init__(self, name, region, account, created):
        self.name = name
        self.region = region
        self.account = account
        self.created = created
        self.objects = {}   # key -> S3Object
        self.uploads = {}   # upload id -> Upload


class S3Object:
    def __init__(self, key, blobs, etag, modified, attrs, checksums, part_sizes=None, checksum_type=None):
        self.key = key
        self.blobs = blobs                  # list of Blob, concatenated
        self.size = sum(b.size for b in blobs)
        self.etag = etag                    # with quotes
        self.modified = modified
        self.attrs = attrs                  # content headers, metadata, storage class, SSE
        self.checksums = checksums          # algorithm -> value (composite "x-N" for multipart)
        self.part_sizes = part_sizes        # None for a single PUT
        # COMPOSITE or FULL_OBJECT when there are checksums (a single PUT's are FULL_OBJECT)
        self.checksum_type = (checksum_type or 'FULL_OBJECT') if checksums else None

    def read(self, offset, length):
        return read_segments(self.blobs, offset, length)


class Part:
    def __init__(self, number, blob, modified, checksums):
        self.number = number
        self.blob = blob
        self.modified = modified
        self.checksums = checksums


class Upload:
    def __init__(self, upload_id, key, initiated, attrs, algorithm, identity, checksum_type=None):
        self.id = upload_id
        self.key = key
        self.initiated = initiated
        self.attrs = attrs
        self.algorithm = algorithm          # checksum algorithm named at creation, or None
        self.checksum_type = checksum_type  # COMPOSITE / FULL_OBJECT with an algorithm, else None
        self.identity = identity
        self.parts = {}                     # number -> Part


class S3(Service):
    name = 's3'
    serialize_handlers = False   # bodies are hashed and written outside the state lock

    def reset(self):
        self.lock = threading.RLock()
        self.verify_checksums = True   # the config control can turn it off (benchmarks only)
        self.buckets = {}
        self.completed = {}       # upload id -> (bucket, key, result): a retried Complete succeeds
        self.errors_in_200 = []   # control rules

    # ------------------------------------------------------------ control
    def control(self, action, body):
        body = body or {}
        if action == 'error_in_200':
            op = body.get('operation')
            if op not in ('CompleteMultipartUpload', 'CopyObject', 'UploadPartCopy'):
                raise AwsError('InvalidRule', 'operation must be CompleteMultipartUpload, CopyObject or '
                                              'UploadPartCopy', 400)
            rule = {'operation': op, 'code': body.get('code') or 'InternalError',
                    'message': body.get('message') or 'We encountered an internal error. Please try again.',
                    'count': int(body.get('count', 1)), 'access_key_id': body.get('access_key_id')}
            with self.lock:
                self.errors_in_200.append(rule)
            return {'rule': rule}
        if action == 'tamper':
            return self._tamper(body)
        if action == 'config':
            if 'verify_checksums' in body:
                if not isinstance(body['verify_checksums'], bool):
                    raise AwsError('InvalidRequest', 'verify_checksums must be true or false', 400)
                self.verify_checksums = body['verify_checksums']
            return {'verify_checksums': self.verify_checksums}
        if action == 'uploads':
            with self.lock:
                return {'uploads': [{'bucket': b.name, 'key': u.key, 'upload_id': u.id,
                                     'parts': sorted(u.parts)}
                                    for b in self.buckets.values() for u in b.uploads.values()]}
        return super().control(action, body)

    def _tamper(self, body):
        """Inverts one stored byte of an object in place; its ETag and checksums stay as
        recorded, so a reader verifying them finds the change."""
        bucket, key = body.get('bucket'), body.get('key')
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise AwsError('InvalidRequest', 'tamper needs "bucket" and "key"', 400)
        with self.lock:
            b = self.buckets.get(bucket)
            obj = b.objects.get(key) if b is not None else None
            if obj is None:
                raise AwsError('NoSuchKey', 'no object %s/%s' % (bucket, key), 404)
            offset = body.get('offset', obj.size // 2)
            if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset < obj.size:
                raise AwsError('InvalidRequest', 'offset must be an integer in [0, %d)' % obj.size, 400)
            pos = offset
            for blob in obj.blobs:
                if pos < blob.size:
                    before, after = blob.flip(pos)
                    break
                pos -= blob.size
        return {'bucket': bucket, 'key': key, 'offset': offset, 'before': before, 'after': after}

    @staticmethod
    def virtual_host_bucket(host):
        """(bucket, the rest of the host) when `host` (a Host header, port included or not)
        addresses a bucket virtual-hosted style, else None."""
        name, port = host.strip().lower(), ''
        if not name or name.startswith('['):
            return None
        if ':' in name:
            name, port = name.rsplit(':', 1)
            port = ':' + port
        if IP_RE.match(name) or name == 'localhost':
            return None
        cut = max(name.rfind('.s3.'), name.rfind('.s3-'))
        if cut > 0:
            return name[:cut], name[cut + 1:] + port
        if name.endswith('.localhost') and name[:-len('.localhost')] not in ('', 's3'):
            return name[:-len('.localhost')], 'localhost' + port
        return None

    def addressed(self, req):
        """The request path-style: `Host: b.s3.localhost:1234` + `/key` -> `/b/key` with the
        Host left without the bucket (so applying this twice changes nothing)."""
        found = self.virtual_host_bucket(req.header('host') or '')
        if found is None:
            return req
        bucket, rest = found
        target = '/' + quote(bucket, safe='') + ('' if req.path == '/' else req.path)
        if req.query:
            target += '?' + req.query
        headers = [(k, rest if k.lower() == 'host' else v) for k, v in req.headers]
        return HttpRequest(req.method, target, headers, req.body)

    def _error_in_200(self, ctx, operation):
        akid = ctx.identity.access_key_id if ctx.identity else None
        with self.lock:
            for rule in self.errors_in_200:
                if rule['operation'] != operation or rule['count'] <= 0:
                    continue
                if rule['access_key_id'] and rule['access_key_id'] != akid:
                    continue
                rule['count'] -= 1
                # S3 starts a 200 early, sends whitespace while it works, then the error.
                xml = ('<?xml version="1.0" encoding="UTF-8"?>\n\n  \n<Error><Code>%s</Code><Message>%s</Message>'
                       '<RequestId>%s</RequestId><HostId>%s</HostId></Error>'
                       % (xml_text(rule['code']), xml_text(rule['message']), ctx.request_id, xml_text(ctx.host_id)))
                return RawResponse(200, [('Content-Type', 'application/xml')], xml.encode('utf-8'))
        return None

    # ------------------------------------------------------------ rest-xml hooks
    def xml_root_name(self, operation, shape):
        return {'ListObjectsV2': 'ListBucketResult', 'ListObjects': 'ListBucketResult',
                'ListBuckets': 'ListAllMyBucketsResult', 'ListParts': 'ListPartsResult',
                'ListMultipartUploads': 'ListMultipartUploadsResult',
                'CreateMultipartUpload': 'InitiateMultipartUploadResult',
                'CompleteMultipartUpload': 'CompleteMultipartUploadResult',
                'DeleteObjects': 'DeleteResult'}.get(operation)

    # ------------------------------------------------------------ helpers
    def _owner(self, ctx):
        return {'ID': _canonical_id(ctx.account), 'DisplayName': 'example'}

    def _bucket(self, ctx, params):
        name = params['Bucket']
        owner = params.get('ExpectedBucketOwner')
        with self.lock:
            b = self.buckets.get(name)
        if b is None:
            raise _no_such_bucket(name)
        if b.account != ctx.account or (owner and owner != b.account):
            raise _err('AccessDenied', 'Access Denied', 403)
        if b.region != ctx.region:
            raise AwsError('AuthorizationHeaderMalformed',
                           "The authorization header is malformed; the region '%s' is wrong; expecting '%s'"
                           % (ctx.region, b.region), 400, extra={'Region': b.region},
                           headers=[('x-amz-bucket-region', b.region)])
        return b

    def _object(self, bucket, key):
        with self.lock:
            o = bucket.objects.get(key)
        if o is None:
            raise _err('NoSuchKey', 'The specified key does not exist.', 404, Key=key)
        return o

    @staticmethod
    def _check_key(key):
        if len(key.encode('utf-8')) > MAX_KEY_BYTES:
            raise _err('KeyTooLongError', 'Your key is too long', 400, MaxSizeAllowed=str(MAX_KEY_BYTES),
                       Size=str(len(key.encode('utf-8'))))

    def _attrs(self, ctx, params):
        """Content headers, metadata, storage class and encryption of a new object or upload."""
        attrs = {}
        for p, _ in CONTENT_HEADERS:
            if params.get(p) is not None:
                attrs[p] = params[p]
        attrs.setdefault('ContentType', 'binary/octet-stream')
        if params.get('Expires') is not None:
            attrs['Expires'] = params['Expires']
        meta = params.get('Metadata') or {}
        if sum(len(k) + len(v) for k, v in meta.items()) > MAX_METADATA:
            raise _err('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size',
                       400, MaxSizeAllowed=str(MAX_METADATA))
        attrs['Metadata'] = dict(meta)
        sc = params.get('StorageClass') or 'STANDARD'
        if sc not in STORAGE_CLASSES:
            raise _err('InvalidStorageClass', 'The storage class you specified is not valid', 400,
                       StorageClassRequested=sc)
        attrs['StorageClass'] = sc
        sse = params.get('ServerSideEncryption')
        if params.get('SSECustomerAlgorithm') or params.get('SSECustomerKey'):
            if sse:
                raise _err('InvalidArgument', 'Server Side Encryption with Customer provided key is '
                                              'incompatible with the encryption method specified', 400)
            attrs['SSECustomerAlgorithm'], attrs['SSECustomerKeyMD5'] = self._sse_c(params)
        else:
            sse = sse or 'AES256'   # S3 encrypts every new object with SSE-S3 by default
            if sse not in SSE_ALGORITHMS:
                raise _err('InvalidArgument', 'The encryption method specified is not supported', 400,
                           ArgumentName='x-amz-server-side-encryption', ArgumentValue=sse)
            attrs['ServerSideEncryption'] = sse
            if sse.startswith('aws:kms'):
                attrs['SSEKMSKeyId'] = params.get('SSEKMSKeyId') or (
                    'arn:aws:kms:%s:%s:key/00000000-0000-0000-0000-000000000000' % (ctx.region, ctx.account))
                if params.get('BucketKeyEnabled') is not None:
                    attrs['BucketKeyEnabled'] = params['BucketKeyEnabled']
            elif params.get('SSEKMSKeyId'):
                raise _err('InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires '
                                              'HTTP header x-amz-server-side-encryption : aws:kms', 400)
        return attrs

    @staticmethod
    def _sse_c(params):
        alg = params.get('SSECustomerAlgorithm')
        key = params.get('SSECustomerKey')
        md5 = params.get('SSECustomerKeyMD5')
        if alg != 'AES256':
            raise _err('InvalidEncryptionAlgorithmError', 'The encryption request you specified is not valid. '
                                                          'The valid value is AES256.', 400)
        try:
            raw = base64.b64decode(key or '', validate=True)
        except (binascii.Error, ValueError):
            raw = b''
        if len(raw) != 32:
            raise _err('InvalidArgument', 'The secret key was invalid for the specified algorithm.', 400)
        want = base64.b64encode(hashlib.md5(raw).digest()).decode()
        if md5 and md5 != want:
            raise _err('InvalidArgument', 'The calculated MD5 hash of the key did not match the hash that was '
                                          'provided.', 400)
        return alg, want

    def _check_sse_c_read(self, attrs, params):
        stored = attrs.get('SSECustomerKeyMD5')
        if stored is None:
            if params.get('SSECustomerAlgorithm'):
                raise _err('InvalidRequest', 'The encryption parameters are not applicable to this object.', 400)
            return
        if not params.get('SSECustomerAlgorithm'):
            raise _err('InvalidRequest', 'The object was stored using a form of Server Side Encryption. The '
                                         'correct parameters must be provided to retrieve the object.', 400)
        _, md5 = self._sse_c(params)
        if md5 != stored:
            raise _err('AccessDenied', 'Access Denied', 403)

    def _verify_body(self, ctx, params, data, md5):
        """Content-MD5 and x-amz-checksum-* against the body -> {algorithm: value}."""
        cmd5 = params.get('ContentMD5')
        if cmd5 is not None:
            try:
                raw = base64.b64decode(cmd5, validate=True)
            except (binascii.Error, ValueError):
                raw = b''
            if len(raw) != 16:
                raise _err('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400, ContentMD5=cmd5)
            if raw != md5:
                raise _err('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400,
                           ExpectedDigest=raw.hex(), CalculatedDigest=base64.b64encode(md5).decode())
        # A checksum sent as an aws-chunked trailer arrives here as a header (the core hands
        # trailers on), so it is checked against the body as received, like one sent up front.
        given = [alg for alg in ALGORITHMS if params.get('Checksum' + alg) is not None]
        if len(given) > 1:
            raise _err('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are '
                                         'not allowed.', 400)
        sums = {}
        for alg in given:
            if not self.verify_checksums and _well_formed(alg, params['Checksum' + alg]):
                sums[alg] = params['Checksum' + alg]   # taken as sent, not computed (config control)
                continue
            got = checksum(alg, data)
            if params['Checksum' + alg] != got:
                raise _err('BadDigest', 'The %s you specified did not match the calculated checksum.' % alg, 400)
            sums[alg] = got
        alg = (params.get('ChecksumAlgorithm') or '').upper()
        if alg and alg not in sums:
            if alg not in ALGORITHMS:
                raise _err('InvalidRequest', UNSUPPORTED_ALGORITHM, 400)
            if not given:
                sums[alg] = checksum(alg, data)
        return sums

    @staticmethod
    def _sse_out(attrs):
        out = {}
        for k in ('ServerSideEncryption', 'SSEKMSKeyId', 'BucketKeyEnabled', 'SSECustomerAlgorithm',
                  'SSECustomerKeyMD5'):
            if k in attrs:
                out[k] = attrs[k]
        return out

    # ------------------------------------------------------------ buckets
    def CreateBucket(self, ctx, params):
        name = params['Bucket']
        if not BUCKET_RE.match(name) or '..' in name or IP_RE.match(name) or '.-' in name or '-.' in name:
            raise _err('InvalidBucketName', 'The specified bucket is not valid.', 400, BucketName=name)
        constraint = (params.get('CreateBucketConfiguration') or {}).get('LocationConstraint')
        if constraint is not None and constraint != 'EU' and (not REGION_RE.match(constraint)
                                                               or constraint == 'us-east-1'):
            raise _err('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400,
                       LocationConstraint=constraint)
        if constraint == 'EU':
            constraint = 'eu-west-1'
        if ctx.region == 'us-east-1':
            region = constraint or 'us-east-1'
        else:
            if constraint != ctx.region:
                raise _err('IllegalLocationConstraintException',
                           'The %s location constraint is incompatible for the region specific endpoint this '
                           'request was sent to.' % (constraint or 'unspecified'), 400)
            region = constraint
        with self.lock:
            b = self.buckets.get(name)
            if b is not None:
                if b.account != ctx.account:
                    raise _err('BucketAlreadyExists', 'The requested bucket name is not available. The bucket '
                                                      'namespace is shared by all users of the system. Please '
                                                      'select a different name and try again.', 409,
                               BucketName=name)
                if region == 'us-east-1' and b.region == 'us-east-1':
                    return {'Location': '/' + name}   # us-east-1 keeps its legacy no-op answer
                raise _err('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket '
                                                      'succeeded and you already own it.', 409, BucketName=name)
            self.buckets[name] = Bucket(name, region, ctx.account, _now(ctx))
        return {'Location': '/' + name if region == 'us-east-1'
                else 'http://%s.s3.amazonaws.com/' % name}

    def HeadBucket(self, ctx, params):
        b = self._bucket(ctx, params)
        # Older models have no output members for HeadBucket; the header is what clients read.
        resp = RawResponse(200, [('x-amz-bucket-region', b.region), ('x-amz-access-point-alias', 'false'),
                                 ('Content-Length', '0')], b'')
        resp.head_only = True
        return resp

    def DeleteBucket(self, ctx, params):
        b = self._bucket(ctx, params)
        with self.lock:
            if b.objects:
                raise _err('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409,
                           BucketName=b.name)
            del self.buckets[b.name]
            b.uploads.clear()
        return {}

    def ListBuckets(self, ctx, params):
        with self.lock:
            mine = sorted((b for b in self.buckets.values() if b.account == ctx.account), key=lambda b: b.name)
            return {'Buckets': [{'Name': b.name, 'CreationDate': b.created} for b in mine],
                    'Owner': self._owner(ctx)}

    # ------------------------------------------------------------ objects
    def PutObject(self, ctx, params):
        b = self._bucket(ctx, params)
        key = params['Key']
        self._check_key(key)
        data = params.get('Body') or b''
        if len(data) > MAX_SINGLE:
            raise _err('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', 400,
                       ProposedSize=str(len(data)), MaxSizeAllowed=str(MAX_SINGLE))
        attrs = self._attrs(ctx, params)
        md5 = hashlib.md5(data).digest()
        sums = self._verify_body(ctx, params, data, md5)
        blob = Blob(data, md5)
        obj = S3Object(key, [blob] if blob.size else [], '"%s"' % md5.hex(), _now(ctx), attrs, sums)
        with self.lock:
            if self.buckets.get(b.name) is not b:
                raise _no_such_bucket(b.name)
            b.objects[key] = obj
        out = {'ETag': obj.etag}
        out.update(self._sse_out(attrs))
        for alg, v in sums.items():
            out['Checksum' + alg] = v
        if sums:
            out['ChecksumType'] = obj.checksum_type
        return out

    @staticmethod
    def _parse_range(header, size):
        """-> (start, end inclusive) or None when the header is absent or ignored (as S3 does
        with syntax it does not understand); raises InvalidRange when unsatisfiable."""
        if not header:
            return None
        m = re.fullmatch(r'\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*', header)
        if not m or (m.group(1) == '' and m.group(2) == ''):
            return None
        if m.group(1) == '':
            n = int(m.group(2))
            if n == 0 or size == 0:
                raise _err('InvalidRange', 'The requested range is not satisfiable', 416,
                           RangeRequested=header.strip(), ActualObjectSize=str(size))
            return max(0, size - n), size - 1
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else size - 1
        if m.group(2) and end < start:
            return None
        if start >= size:
            raise _err('InvalidRange', 'The requested range is not satisfiable', 416,
                       RangeRequested=header.strip(), ActualObjectSize=str(size))
        return start, min(end, size - 1)

    def _conditions(self, ctx, params, obj):
        """If-Match / If-None-Match / If-(Un)Modified-Since, in S3's order."""
        etag = _strip_etag(obj.etag)
        modified = obj.modified.replace(microsecond=0)
        im = params.get('IfMatch')
        if im is not None and etag not in [_strip_etag(t) for t in im.split(',')] and im.strip() != '*':
            raise _err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold',
                       412, Condition='If-Match')
        ius = params.get('IfUnmodifiedSince')
        if im is None and ius is not None and modified > ius:
            raise _err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold',
                       412, Condition='If-Unmodified-Since')
        inm = params.get('IfNoneMatch')
        if inm is not None and (inm.strip() == '*' or etag in [_strip_etag(t) for t in inm.split(',')]):
            return True
        ims = params.get('IfModifiedSince')
        if inm is None and ims is not None and modified <= ims:
            return True
        return False

    def _read_object(self, ctx, params, head):
        b = self._bucket(ctx, params)
        obj = self._object(b, params['Key'])
        self._check_sse_c_read(obj.attrs, params)
        headers = [('ETag', obj.etag), ('Last-Modified', _http_date(obj.modified))]
        if self._conditions(ctx, params, obj):
            return RawResponse(304, headers, b'')
        status = 200
        size = obj.size
        start, end = 0, size - 1
        part = params.get('PartNumber')
        if part is not None:
            if params.get('Range'):
                raise _err('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter',
                           400)
            sizes = obj.part_sizes or [size]
            if not 1 <= part <= len(sizes):
                raise _err('InvalidPartNumber', 'The requested partnumber is not satisfiable', 416,
                           PartNumberRequested=str(part), ActualPartCount=str(len(sizes)))
            start = sum(sizes[:part - 1])
            end = start + sizes[part - 1] - 1
            status = 206
            headers.append(('x-amz-mp-parts-count', str(len(sizes))))
        else:
            rng = self._parse_range(params.get('Range'), size)
            if rng is not None:
                start, end = rng
                status = 206
        length = max(0, end - start + 1)
        if status == 206:
            headers.append(('Content-Range', 'bytes %d-%d/%d' % (start, end, size)))
        a = obj.attrs
        for p, h in CONTENT_HEADERS:
            if p in a:
                headers.append((h, a[p]))
        if 'Expires' in a:
            headers.append(('Expires', _http_date(a['Expires'])))
        for p, h in RESPONSE_OVERRIDES:
            if params.get(p) is not None:
                headers = [(k, v) for k, v in headers if k.lower() != h.lower()] + [(h, params[p])]
        if params.get('ResponseExpires') is not None:
            headers = [(k, v) for k, v in headers if k.lower() != 'expires'] + [
                ('Expires', _http_date(params['ResponseExpires']))]
        headers.append(('Accept-Ranges', 'bytes'))
        for k, v in sorted(a['Metadata'].items()):
            headers.append(('x-amz-meta-' + k, v))
        if a['StorageClass'] != 'STANDARD':
            headers.append(('x-amz-storage-class', a['StorageClass']))
        hdr = {'ServerSideEncryption': 'x-amz-server-side-encryption',
               'SSEKMSKeyId': 'x-amz-server-side-encryption-aws-kms-key-id',
               'SSECustomerAlgorithm': 'x-amz-server-side-encryption-customer-algorithm',
               'SSECustomerKeyMD5': 'x-amz-server-side-encryption-customer-key-MD5'}
        for p, h in hdr.items():
            if p in a:
                headers.append((h, a[p]))
        if 'BucketKeyEnabled' in a:
            headers.append(('x-amz-server-side-encryption-bucket-key-enabled', 'true' if a['BucketKeyEnabled']
                            else 'false'))
        # Checksums only when asked for, and only for what they cover: the whole object
        # (or a whole part of a multipart object, whose checksum S3 does not keep here).
        if (params.get('ChecksumMode') or '').upper() == 'ENABLED' and status == 200:
            for alg, v in obj.checksums.items():
                headers.append(('x-amz-checksum-' + alg.lower(), v))
            if obj.checksums:
                headers.append(('x-amz-checksum-type', obj.checksum_type))
        headers.append(('Content-Length', str(length)))
        if head:
            resp = RawResponse(status, headers, b'')
            resp.head_only = True
            return resp
        if length >= STREAM_BYTES:
            resp = RawResponse(status, headers, b'')
            resp.stream = iter_segments(obj.blobs, start, length)
            resp.stream_length = length
            return resp
        return RawResponse(status, headers, obj.read(start, length) if length else b'')

    def GetObject(self, ctx, params):
        return self._read_object(ctx, params, head=False)

    def HeadObject(self, ctx, params):
        return self._read_object(ctx, params, head=True)

    def DeleteObject(self, ctx, params):
        b = self._bucket(ctx, params)
        with self.lock:
            b.objects.pop(params['Key'], None)
        return {}

    def DeleteObjects(self, ctx, params):
        b = self._bucket(ctx, params)
        req = ctx.request
        has_checksum = any(req.header('x-amz-checksum-' + a.lower()) for a in ALGORITHMS)
        cmd5 = req.header('content-md5')
        if cmd5 is None and not has_checksum:
            raise _err('InvalidRequest', 'Missing required header for this request: Content-MD5', 400)
        if cmd5 is not None and cmd5.strip() != base64.b64encode(hashlib.md5(req.body).digest()).decode():
            raise _err('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400)
        spec = params.get('Delete') or {}
        objects = spec.get('Objects') or []
        if not objects or len(objects) > 1000:
            raise _err('MalformedXML', 'The XML you provided was not well-formed or did not validate against '
                                       'our published schema', 400)
        deleted, errors = [], []
        with self.lock:
            for o in objects:
                key = o.get('Key', '')
                if len(key.encode('utf-8')) > MAX_KEY_BYTES:
                    errors.append({'Key': key, 'Code': 'KeyTooLongError', 'Message': 'Your key is too long'})
                    continue
                b.objects.pop(key, None)
                deleted.append({'Key': key})
        out = {'Errors': errors} if errors else {}
        if not spec.get('Quiet'):
            out['Deleted'] = deleted
        return out

    def CopyObject(self, ctx, params):
        b = self._bucket(ctx, params)
        key = params['Key']
        self._check_key(key)
        src_bucket, src_key = self._copy_source(params['CopySource'])
        sb = self._bucket(ctx, {'Bucket': src_bucket})
        src = self._object(sb, src_key)
        if src.size > MAX_SINGLE:
            raise _err('InvalidRequest', 'The specified copy source is larger than the maximum allowable size for '
                                         'a copy source: %d' % MAX_SINGLE, 400)
        if params.get('CopySourceIfMatch') is not None and \
                _strip_etag(params['CopySourceIfMatch']) != _strip_etag(src.etag):
            raise _err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412,
                       Condition='x-amz-copy-source-If-Match')
        if params.get('CopySourceIfNoneMatch') is not None and \
                _strip_etag(params['CopySourceIfNoneMatch']) == _strip_etag(src.etag):
            raise _err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412,
                       Condition='x-amz-copy-source-If-None-Match')
        directive = params.get('MetadataDirective') or 'COPY'
        if directive not in ('COPY', 'REPLACE'):
            raise _err('InvalidArgument', 'Unknown metadata directive.', 400, ArgumentName='x-amz-metadata-directive',
                       ArgumentValue=directive)
        changes = any(params.get(p) for p in ('StorageClass', 'ServerSideEncryption', 'SSEKMSKeyId',
                                              'WebsiteRedirectLocation', 'SSECustomerAlgorithm'))
        if sb is b and src_key == key and directive == 'COPY' and not changes:
            raise _err('InvalidRequest', "This copy request is illegal because it is trying to copy an object to "
                                         "itself without changing the object's metadata, storage class, website "
                                         "redirect location or encryption attributes.", 400)
        if directive == 'REPLACE':
            attrs = self._attrs(ctx, params)
        else:
            attrs = dict(src.attrs)
            attrs['Metadata'] = dict(src.attrs['Metadata'])
            for k in ('SSECustomerAlgorithm', 'SSECustomerKeyMD5', 'ServerSideEncryption', 'SSEKMSKeyId',
                      'BucketKeyEnabled'):
                attrs.pop(k, None)
            fresh = self._attrs(ctx, {k: params[k] for k in ('StorageClass', 'ServerSideEncryption',
                                                             'SSEKMSKeyId', 'BucketKeyEnabled',
                                                             'SSECustomerAlgorithm', 'SSECustomerKey',
                                                             'SSECustomerKeyMD5') if params.get(k) is not None})
            for k in ('StorageClass', 'ServerSideEncryption', 'SSEKMSKeyId', 'BucketKeyEnabled',
                      'SSECustomerAlgorithm', 'SSECustomerKeyMD5'):
                if k in fresh:
                    attrs[k] = fresh[k]
        failed = self._error_in_200(ctx, 'CopyObject')
        if failed is not None:
            return failed
        # A copy is one object: single-part ETag and full-object checksums.
        data = src.read(0, src.size) if src.size else b''
        md5 = hashlib.md5(data).digest()
        sums = {}
        wanted = (params.get('ChecksumAlgorithm') or '').upper()
        for alg in set(a for a in src.checksums) | ({wanted} if wanted else set()):
            if alg in ALGORITHMS:
                sums[alg] = checksum(alg, data)
        obj = S3Object(key, [Blob(data, md5)] if data else [], '"%s"' % md5.hex(), _now(ctx), attrs, sums)
        with self.lock:
            b.objects[key] = obj
        result = {'ETag': obj.etag, 'LastModified': obj.modified}
        for alg, v in sums.items():
            result['Checksum' + alg] = v
        out = {'CopyObjectResult': result}
        out.update(self._sse_out(attrs))
        return out

    @staticmethod
    def _copy_source(value):
        v = unquote(value.split('?', 1)[0]).lstrip('/')
        bucket, sep, key = v.partition('/')
        if not sep or not bucket or not key:
            raise _err('InvalidArgument', 'Invalid copy source object key', 400,
                       ArgumentName='x-amz-copy-source', ArgumentValue=value)
        return bucket, key

    # ------------------------------------------------------------ listing
    def ListObjectsV2(self, ctx, params):
        b = self._bucket(ctx, params)
        prefix = params.get('Prefix') or ''
        delim = params.get('Delimiter') or ''
        max_keys = params.get('MaxKeys', 1000)
        if max_keys < 0:
            raise _err('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400,
                       ArgumentName='max-keys', ArgumentValue=str(max_keys))
        max_keys = min(max_keys, 1000)
        encoding = params.get('EncodingType')
        if encoding not in (None, 'url'):
            raise _err('InvalidArgument', 'Invalid Encoding Method specified in Request', 400,
                       ArgumentName='encoding-type', ArgumentValue=encoding)
        after = params.get('StartAfter') or ''
        skip_prefix = None
        token = params.get('ContinuationToken')
        if token is not None:
            try:
                t = json.loads(base64.urlsafe_b64decode(token.encode('ascii')).decode('utf-8'))
                after = max(after, t['k'])
                skip_prefix = t['k'] if t.get('p') else None
            except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
                raise _err('InvalidArgument', 'The continuation token provided is incorrect', 400,
                           ArgumentName='continuation-token')
        with self.lock:
            items = sorted((k, o) for k, o in b.objects.items() if k.startswith(prefix) and k > after)
        enc = (lambda s: quote(s, safe='/')) if encoding == 'url' else (lambda s: s)
        contents, prefixes = [], []
        last, last_is_prefix, truncated = None, False, False
        for k, o in items:
            if skip_prefix is not None and k.startswith(skip_prefix):
                continue
            cp = None
            if delim:
                i = k.find(delim, len(prefix))
                if i >= 0:
                    cp = k[:i + len(delim)]
            if cp is not None and prefixes and prefixes[-1] == cp:
                continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if cp is not None:
                prefixes.append(cp)
                last, last_is_prefix = cp, True
            else:
                entry = {'Key': enc(k), 'LastModified': o.modified, 'ETag': o.etag, 'Size': o.size,
                         'StorageClass': o.attrs['StorageClass']}
                if o.checksums:
                    entry['ChecksumAlgorithm'] = sorted(o.checksums)
                    entry['ChecksumType'] = o.checksum_type
                if params.get('FetchOwner'):
                    entry['Owner'] = self._owner(ctx)
                contents.append(entry)
                last, last_is_prefix = k, False
        out = {'Name': b.name, 'Prefix': enc(prefix), 'MaxKeys': max_keys, 'KeyCount': len(contents) + len(prefixes),
               'IsTruncated': truncated}
        if contents:
            out['Contents'] = contents
        if prefixes:
            out['CommonPrefixes'] = [{'Prefix': enc(p)} for p in prefixes]
        if delim:
            out['Delimiter'] = enc(delim)
        if encoding:
            out['EncodingType'] = encoding
        if token is not None:
            out['ContinuationToken'] = token
        if params.get('StartAfter'):
            out['StartAfter'] = enc(params['StartAfter'])
        if truncated:
            out['NextContinuationToken'] = base64.urlsafe_b64encode(json.dumps(
                {'k': last, 'p': last_is_prefix}).encode('utf-8')).decode('ascii')
        return out

    # ------------------------------------------------------------ multipart
    def _upload(self, bucket, params):
        with self.lock:
            u = bucket.uploads.get(params['UploadId'])
        if u is None or u.key != params['Key']:
            raise _no_such_upload(params['UploadId'])
        return u

    def CreateMultipartUpload(self, ctx, params):
        b = self._bucket(ctx, params)
        key = params['Key']
        self._check_key(key)
        attrs = self._attrs(ctx, params)
        alg = (params.get('ChecksumAlgorithm') or '').upper() or None
        if alg is not None and alg not in ALGORITHMS:
            raise _err('InvalidRequest', UNSUPPORTED_ALGORITHM, 400)
        ctype = (params.get('ChecksumType') or '').upper() or None
        if ctype is not None and ctype not in ('COMPOSITE', 'FULL_OBJECT'):
            raise _err('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.', 400)
        if ctype is not None and alg is None:
            raise _err('InvalidRequest', 'The x-amz-checksum-type header can only be used with the '
                                         'x-amz-checksum-algorithm header.', 400)
        if alg is not None:
            ctype = ctype or DEFAULT_TYPE[alg]
            if ctype not in CHECKSUM_TYPES[alg]:
                raise _err('InvalidRequest', 'The %s checksum type cannot be used with the %s checksum algorithm.'
                           % (ctype, alg.lower()), 400)
        upload_id = base64.urlsafe_b64encode(os.urandom(48)).decode('ascii').rstrip('=')
        ident = ctx.identity
        u = Upload(upload_id, key, _now(ctx), attrs, alg,
                   {'ID': ident.arn if ident else ctx.account, 'DisplayName': 'example'}, ctype)
        with self.lock:
            b.uploads[upload_id] = u
        out = {'Bucket': b.name, 'Key': key, 'UploadId': upload_id}
        out.update(self._sse_out(attrs))
        if alg:
            out['ChecksumAlgorithm'] = alg
            out['ChecksumType'] = ctype
        return out

    def UploadPart(self, ctx, params):
        b = self._bucket(ctx, params)
        u = self._upload(b, params)
        n = params['PartNumber']
        if not 1 <= n <= MAX_PARTS:
            raise _err('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400,
                       ArgumentName='partNumber', ArgumentValue=str(n))
        data = params.get('Body') or b''
        if len(data) > MAX_SINGLE:
            raise _err('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', 400,
                       ProposedSize=str(len(data)), MaxSizeAllowed=str(MAX_SINGLE))
        if 'SSECustomerKeyMD5' in u.attrs:
            self._check_sse_c_read(u.attrs, params)
        md5 = hashlib.md5(data).digest()
        # The part's checksum header must name the upload's algorithm (or none in a FULL_OBJECT
        # upload, whose part checksums S3 computes); a COMPOSITE upload needs it on every part.
        sent = [a for a in ALGORITHMS if params.get('Checksum' + a) is not None]
        if sent and sent[0] != u.algorithm and len(sent) == 1:
            raise _checksum_type_mismatch(u.algorithm, sent[0])
        if not sent and u.checksum_type == 'COMPOSITE':
            raise _checksum_type_mismatch(u.algorithm, None)
        sums = self._verify_body(ctx, params, data, md5)
        if u.algorithm and u.algorithm not in sums:
            sums[u.algorithm] = checksum(u.algorithm, data)
        sums = {a: v for a, v in sums.items() if a == u.algorithm}
        part = Part(n, Blob(data, md5), _now(ctx), sums)
        with self.lock:
            if b.uploads.get(u.id) is not u:
                raise _no_such_upload(u.id)
            u.parts[n] = part
        out = {'ETag': '"%s"' % md5.hex()}
        out.update(self._sse_out(u.attrs))
        for alg, v in sums.items():
            out['Checksum' + alg] = v
        return out

    def CompleteMultipartUpload(self, ctx, params):
        b = self._bucket(ctx, params)
        upload_id = params['UploadId']
        with self.lock:
            done = self.completed.get(upload_id)
        if done is not None and done[0] == b.name and done[1] == params['Key']:
            return dict(done[2])   # S3 answers a retried Complete of a finished upload the same way
        u = self._upload(b, params)
        listed = (params.get('MultipartUpload') or {}).get('Parts') or []
        if not listed:
            raise _err('MalformedXML', 'The XML you provided was not well-formed or did not validate against our '
                                       'published schema', 400)
        if len(listed) > MAX_PARTS:
            raise _err('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400)
        failed = self._error_in_200(ctx, 'CompleteMultipartUpload')
        if failed is not None:
            return failed
        invalid = _err('InvalidPart', 'One or more of the specified parts could not be found.  The part may not '
                                      'have been uploaded, or the specified entity tag may not match the part\'s '
                                      'entity tag.', 400, UploadId=upload_id)
        whole = [a for a in ALGORITHMS if params.get('Checksum' + a) is not None]
        if len(whole) > 1:
            raise _err('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are '
                                         'not allowed.', 400)
        if whole and whole[0] != u.algorithm:
            raise _checksum_type_mismatch(u.algorithm, whole[0])
        ctype = (params.get('ChecksumType') or '').upper() or None
        if ctype is not None and ctype != (u.checksum_type or ''):
            # S3 documents BadDigest for a completion whose checksum type is not the upload's.
            raise _err('BadDigest', 'The upload was created using the %s checksum mode. The complete request must '
                                    'use the same checksum mode.' % (u.checksum_type or 'null'), 400)
        with self.lock:
            parts = []
            prev = 0
            for p in listed:
                n = p.get('PartNumber')
                if n is None or p.get('ETag') is None:
                    raise _err('MalformedXML', 'The XML you provided was not well-formed or did not validate '
                                               'against our published schema', 400)
                if n <= prev:
                    raise _err('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be '
                                                   'ordered by part number.', 400, UploadId=upload_id)
                if u.algorithm and n != prev + 1:
                    # S3 API reference, CompletedPart: with checksums, part numbers start at 1 and
                    # are consecutive, else InvalidPartOrder.
                    raise _err('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be '
                                                   'ordered by part number and, with checksums, consecutive from 1.',
                               400, UploadId=upload_id)
                prev = n
                part = u.parts.get(n)
                if part is None or _strip_etag(p['ETag']) != part.blob.md5.hex():
                    invalid.extra.update(PartNumber=str(n), ETag=_strip_etag(p['ETag']))
                    raise invalid
                if u.algorithm:
                    given = p.get('Checksum' + u.algorithm)
                    if given is None and u.checksum_type == 'FULL_OBJECT':
                        pass   # a full-object upload's parts may be listed without their checksums
                    elif given is None:
                        raise _err('InvalidRequest', 'The upload was created using a %s checksum. The complete '
                                                     'request must include the checksum for each part. It was '
                                                     'missing for part %d in the request.'
                                   % (u.algorithm.lower(), n), 400)
                    if given is not None and given != part.checksums.get(u.algorithm):
                        invalid.extra.update(PartNumber=str(n), ETag=_strip_etag(p['ETag']))
                        raise invalid
                parts.append(part)
            for part in parts[:-1]:
                if part.blob.size < MIN_PART:
                    raise _err('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size',
                               400, ProposedSize=str(part.blob.size), MinSizeAllowed=str(MIN_PART),
                               PartNumber=str(part.number), ETag=part.blob.md5.hex())
            sums = {}
            if u.checksum_type == 'FULL_OBJECT':
                # The parts' CRCs combined (no second pass over the bytes): _s3_store.crc_combine.
                sums[u.algorithm] = full_object_checksum(u.algorithm, [(p.checksums[u.algorithm], p.blob.size)
                                                                       for p in parts])
            elif u.algorithm:
                sums[u.algorithm] = composite_checksum(u.algorithm, [p.checksums[u.algorithm] for p in parts])
            if whole:
                sent = params['Checksum' + whole[0]]
                ours = sums[u.algorithm]
                if u.checksum_type == 'COMPOSITE':   # sent with or without the -N suffix
                    sent, ours = sent.split('-')[0], ours.split('-')[0]
                if sent != ours:
                    # The upload stays (the client aborts it). S3's words at completion name the
                    # algorithm in lower case (a real transcript: apache/arrow-rs-object-store#709).
                    raise _err('BadDigest', 'The %s you specified did not match the calculated checksum.'
                               % u.algorithm.lower(), 400)
            etag = multipart_etag([p.blob.md5 for p in parts])
            obj = S3Object(u.key, [p.blob for p in parts if p.blob.size], etag, _now(ctx), u.attrs, sums,
                           part_sizes=[p.blob.size for p in parts], checksum_type=u.checksum_type)
            b.objects[u.key] = obj
            del b.uploads[u.id]
            result = {'Location': 'http://%s/%s/%s' % (ctx.request.header('host') or 's3.amazonaws.com',
                                                       b.name, quote(u.key, safe='/')),
                      'Bucket': b.name, 'Key': u.key, 'ETag': etag}
            for alg, v in sums.items():
                result['Checksum' + alg] = v
            if sums:
                result['ChecksumType'] = u.checksum_type
            result.update(self._sse_out(u.attrs))
            self.completed[u.id] = (b.name, u.key, result)
            if len(self.completed) > 10000:
                self.completed.pop(next(iter(self.completed)))
        return dict(result)

    def AbortMultipartUpload(self, ctx, params):
        b = self._bucket(ctx, params)
        with self.lock:
            u = b.uploads.get(params['UploadId'])
            if u is None or u.key != params['Key']:
                raise _no_such_upload(params['UploadId'])
            del b.uploads[u.id]
        return {}

    def ListParts(self, ctx, params):
        b = self._bucket(ctx, params)
        u = self._upload(b, params)
        max_parts = min(max(params.get('MaxParts', 1000), 0), 1000)
        marker = params.get('PartNumberMarker') or 0
        with self.lock:
            numbers = sorted(n for n in u.parts if n > marker)
            page = numbers[:max_parts]
            parts = []
            for n in page:
                p = u.parts[n]
                entry = {'PartNumber': n, 'LastModified': p.modified, 'ETag': '"%s"' % p.blob.md5.hex(),
                         'Size': p.blob.size}
                for alg, v in p.checksums.items():
                    entry['Checksum' + alg] = v
                parts.append(entry)
        out = {'Bucket': b.name, 'Key': u.key, 'UploadId': u.id, 'PartNumberMarker': marker,
               'MaxParts': max_parts, 'IsTruncated': len(numbers) > len(page),
               'Initiator': u.identity, 'Owner': self._owner(ctx), 'StorageClass': u.attrs['StorageClass']}
        if parts:
            out['Parts'] = parts
            out['NextPartNumberMarker'] = page[-1]
        if u.algorithm:
            out['ChecksumAlgorithm'] = u.algorithm
            out['ChecksumType'] = u.checksum_type
        return out

    def ListMultipartUploads(self, ctx, params):
        b = self._bucket(ctx, params)
        prefix = params.get('Prefix') or ''
        delim = params.get('Delimiter') or ''
        max_uploads = min(max(params.get('MaxUploads', 1000), 0), 1000)
        key_marker = params.get('KeyMarker') or ''
        id_marker = params.get('UploadIdMarker') or ''
        with self.lock:
            ups = sorted(b.uploads.values(), key=lambda u: (u.key, u.initiated, u.id))
        selected, prefixes, truncated = [], [], False
        for u in ups:
            if not u.key.startswith(prefix):
                continue
            if key_marker and (u.key < key_marker or (u.key == key_marker and (
                    not id_marker or (u.initiated, u.id) <= self._initiated_of(ups, key_marker, id_marker)))):
                continue
            cp = None
            if delim:
                i = u.key.find(delim, len(prefix))
                if i >= 0:
                    cp = u.key[:i + len(delim)]
            if cp is not None and prefixes and prefixes[-1] == cp:
                continue
            if len(selected) + len(prefixes) >= max_uploads:
                truncated = True
                break
            if cp is not None:
                prefixes.append(cp)
            else:
                selected.append(u)
        out = {'Bucket': b.name, 'KeyMarker': key_marker, 'UploadIdMarker': id_marker, 'MaxUploads': max_uploads,
               'IsTruncated': truncated, 'Prefix': prefix}
        if delim:
            out['Delimiter'] = delim
        if selected:
            out['Uploads'] = []
            for u in selected:
                entry = {'UploadId': u.id, 'Key': u.key, 'Initiated': u.initiated,
                         'StorageClass': u.attrs['StorageClass'], 'Owner': self._owner(ctx), 'Initiator': u.identity}
                if u.algorithm:
                    entry['ChecksumAlgorithm'] = u.algorithm
                    entry['ChecksumType'] = u.checksum_type
                out['Uploads'].append(entry)
        if prefixes:
            out['CommonPrefixes'] = [{'Prefix': p} for p in prefixes]
        if truncated and selected:
            out['NextKeyMarker'] = selected[-1].key
            out['NextUploadIdMarker'] = selected[-1].id
        elif truncated and prefixes:
            out['NextKeyMarker'] = prefixes[-1]
        return out

    @staticmethod
    def _initiated_of(ups, key, upload_id):
        for u in ups:
            if u.key == key and u.id == upload_id:
                return (u.initiated, u.id)
        return (datetime.datetime.max.replace(tzinfo=UTC), '')


SERVICE = S3
