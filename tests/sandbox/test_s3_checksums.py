"""The sandbox's S3 checksums as S3 has them since 2025 (issue 17): CRC64NVME full-object
checksums (the contract libawsdl's stager is built against), the checksum types of every
algorithm in multipart uploads, the `corrupt_body` fault and the `tamper` control.

Debian's botocore 1.29 knows neither CRC64NVME nor x-amz-checksum-type, so the requests that
use them are built here by hand (signed with botocore's S3SigV4Auth, UNSIGNED-PAYLOAD as the
SDKs send over HTTPS, or the payload's SHA-256 as over HTTP) and their XML read with
ElementTree; everything else goes through a botocore client.

Uses the sandbox named by $AWSDL_SANDBOX_PORT_FILE (the ctest fixture); without it, starts
its own. Fault rules are limited to this module's requests' operations and cleared after
each test."""

import base64
import datetime
import hashlib
import http.client
import os
import sys
import unittest
import uuid
import warnings
import xml.etree.ElementTree as ET
import zlib

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from testkit import KEY1, Sandbox  # noqa: E402

import crcmod  # noqa: E402  (Debian's python3-crcmod; the reference implementation here)
import crcmod.predefined  # noqa: E402

MiB = 1 << 20
SANDBOX = Sandbox()
NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'

_crc64 = crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)
_crc32c = crcmod.predefined.mkPredefinedCrcFun('crc-32c')


def b64(raw):
    return base64.b64encode(raw).decode('ascii')


def crc64(data):
    return b64(_crc64(data).to_bytes(8, 'big'))


def reference(alg, data):
    """The x-amz-checksum-<alg> value of `data`, computed here, not by the sandbox's code."""
    if alg == 'CRC64NVME':
        return crc64(data)
    if alg == 'CRC32':
        return b64((zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, 'big'))
    if alg == 'CRC32C':
        return b64(_crc32c(data).to_bytes(4, 'big'))
    return b64(hashlib.new(alg.lower(), data).digest())


def data_of(n, seed=1):
    out = bytearray()
    block = hashlib.sha256(b'seed%d' % seed).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:n])


def setUpModule():
    warnings.simplefilter('ignore', ResourceWarning)
    SANDBOX.start('sandbox-s3-checksums-test-')


def tearDownModule():
    SANDBOX.stop()


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def xml(self):
        return ET.fromstring(self.body)

    def text(self, name):
        """The text of the answer's first element `name` (namespaced or not), or None."""
        for el in self.xml().iter():
            if el.tag in (name, NS + name):
                return el.text
        return None

    @property
    def code(self):
        return self.text('Code') if self.status >= 300 else None


class ChecksumCase(unittest.TestCase):
    def setUp(self):
        self.c = SANDBOX.session().create_client(
            's3', region_name='us-east-1', endpoint_url=SANDBOX.endpoint(), aws_access_key_id=KEY1[0],
            aws_secret_access_key=KEY1[1],
            config=Config(retries={'total_max_attempts': 1}, s3={'addressing_style': 'path'}))
        self.bucket = 'ck-%s' % uuid.uuid4().hex[:16]
        self.c.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        SANDBOX.request('DELETE', 'faults')

    # ---------------------------------------------------------------- raw requests
    def raw(self, method, key, query='', headers=None, body=b'', unsigned_payload=True):
        """A SigV4-signed request with exactly these headers -> Answer."""
        now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        path = '/%s/%s' % (self.bucket, key)
        url = SANDBOX.endpoint() + path + ('?' + query if query else '')
        h = {'Host': '127.0.0.1:%d' % SANDBOX.port, 'X-Amz-Date': now,
             'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' if unsigned_payload else hashlib.sha256(body).hexdigest()}
        h.update(headers or {})
        req = AWSRequest(method=method, url=url, headers=h, data=body)
        req.context['timestamp'] = now
        S3SigV4Auth(Credentials(*KEY1), 's3', 'us-east-1').add_auth(req)
        conn = http.client.HTTPConnection('127.0.0.1', SANDBOX.port, timeout=30)
        out = dict(req.headers.items())
        out['Content-Length'] = str(len(body))
        conn.request(method, path + ('?' + query if query else ''), body=body, headers=out)
        r = conn.getresponse()
        a = Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        conn.close()
        return a

    def create(self, key, algorithm='CRC64NVME', checksum_type='FULL_OBJECT'):
        h = {}
        if algorithm:
            h['x-amz-checksum-algorithm'] = algorithm
        if checksum_type:
            h['x-amz-checksum-type'] = checksum_type
        return self.raw('POST', key, 'uploads=', h)

    def upload_id(self, key, **kw):
        a = self.create(key, **kw)
        self.assertEqual(a.status, 200, a.body)
        return a.text('UploadId')

    def part(self, key, upload_id, n, data, checksum=None, algorithm='crc64nvme', **kw):
        h = {}
        if checksum is not None:
            h['x-amz-checksum-' + algorithm] = checksum
        return self.raw('PUT', key, 'partNumber=%d&uploadId=%s' % (n, upload_id), h, data, **kw)

    def complete(self, key, upload_id, parts, whole=None, algorithm='crc64nvme', checksum_type='FULL_OBJECT',
                 part_checksums=None):
        """parts: [(number, etag)]; part_checksums: {number: (element, value)}."""
        xml = '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        for n, etag in parts:
            extra = ''
            if part_checksums and n in part_checksums:
                extra = '<%s>%s</%s>' % (part_checksums[n][0], part_checksums[n][1], part_checksums[n][0])
            xml += '<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>%s</Part>' % (n, etag, extra)
        xml += '</CompleteMultipartUpload>'
        h = {'Content-Type': 'application/xml'}
        if whole is not None:
            h['x-amz-checksum-' + algorithm] = whole
        if checksum_type:
            h['x-amz-checksum-type'] = checksum_type
        return self.raw('POST', key, 'uploadId=' + upload_id, h, xml.encode(), unsigned_payload=False)

    def head(self, key, **extra):
        h = {'x-amz-checksum-mode': 'ENABLED'}
        h.update(extra)
        return self.raw('HEAD', key, headers=h)

    def uploads(self):
        return self.c.list_multipart_uploads(Bucket=self.bucket).get('Uploads', [])

    def fault(self, **rule):
        rule.setdefault('service', 's3')
        rule.setdefault('access_key_id', KEY1[0])
        status, answer = SANDBOX.request('POST', 'faults', rule)
        self.assertEqual(status, 200, answer)
        return answer

    def stage(self, key, sizes, **kw):
        """Create + parts with their CRC64NVME: -> (upload id, [(n, etag)], data)."""
        uid = self.upload_id(key, **kw)
        data = data_of(sum(sizes), seed=len(sizes))
        parts, pos = [], 0
        for i, size in enumerate(sizes, 1):
            chunk = data[pos:pos + size]
            pos += size
            a = self.part(key, uid, i, chunk, crc64(chunk))
            self.assertEqual(a.status, 200, a.body)
            parts.append((i, a.headers['etag']))
        return uid, parts, data


class CheckValues(unittest.TestCase):
    def test_check_values(self):
        # The published check values of b"123456789", from the sandbox's own implementation.
        from services._s3_store import checksum, crc_combine, crc_value
        self.assertEqual(crc_value('CRC64NVME', b'123456789'), 0xae8b14860a799888)
        self.assertEqual(crc_value('CRC32C', b'123456789'), 0xe3069283)
        self.assertEqual(crc_value('CRC32', b'123456789'), 0xcbf43926)
        self.assertEqual(base64.b64decode(checksum('CRC64NVME', b'123456789')).hex(), 'ae8b14860a799888')
        self.assertEqual(checksum('CRC64NVME', b''), crc64(b''))
        # crc_combine against a CRC of the whole, at lengths with every bit pattern up to 2^21.
        data = data_of(3 * MiB + 7)
        for alg in ('CRC32', 'CRC32C', 'CRC64NVME'):
            for cut in (0, 1, 5, 4096, MiB + 3, 3 * MiB + 7):
                a, b = data[:cut], data[cut:]
                self.assertEqual(crc_combine(alg, crc_value(alg, a), crc_value(alg, b), len(b)),
                                 crc_value(alg, data), (alg, cut))


class FullObjectMultipart(ChecksumCase):
    def test_create_echoes_algorithm_and_type(self):
        a = self.create('k')
        self.assertEqual(a.status, 200, a.body)
        self.assertEqual(a.headers['x-amz-checksum-algorithm'], 'CRC64NVME')
        self.assertEqual(a.headers['x-amz-checksum-type'], 'FULL_OBJECT')
        # CRC64NVME without a type is FULL_OBJECT (its only type)
        a = self.create('k2', checksum_type=None)
        self.assertEqual(a.headers['x-amz-checksum-type'], 'FULL_OBJECT')
        up = [u for u in self.uploads() if u['Key'] == 'k2'][0]
        self.assertEqual(up['ChecksumAlgorithm'], 'CRC64NVME')

    def test_right_values_complete_and_head_returns_the_value(self):
        sizes = [5 * MiB, 5 * MiB, 123]
        uid, parts, data = self.stage('obj', sizes)
        # each part's answer echoed its checksum; ListParts shows them
        a = self.raw('GET', 'obj', 'uploadId=' + uid)
        self.assertEqual(a.status, 200, a.body)
        listed = [p.find(NS + 'ChecksumCRC64NVME').text for p in a.xml().findall(NS + 'Part')]
        pos, want = 0, []
        for s in sizes:
            want.append(crc64(data[pos:pos + s]))
            pos += s
        self.assertEqual(listed, want)
        self.assertEqual(a.text('ChecksumAlgorithm'), 'CRC64NVME')
        self.assertEqual(a.text('ChecksumType'), 'FULL_OBJECT')

        whole = crc64(data)
        a = self.complete('obj', uid, parts, whole)
        self.assertEqual(a.status, 200, a.body)
        self.assertEqual(a.text('ChecksumCRC64NVME'), whole)
        self.assertEqual(a.text('ChecksumType'), 'FULL_OBJECT')
        self.assertEqual(self.uploads(), [])

        h = self.head('obj')
        self.assertEqual(h.status, 200)
        self.assertEqual(h.headers['x-amz-checksum-crc64nvme'], whole)
        self.assertEqual(h.headers['x-amz-checksum-type'], 'FULL_OBJECT')
        g = self.raw('GET', 'obj', headers={'x-amz-checksum-mode': 'ENABLED'})
        self.assertEqual(g.body, data)
        self.assertEqual(g.headers['x-amz-checksum-crc64nvme'], whole)
        # without checksum mode: no checksum headers
        self.assertNotIn('x-amz-checksum-crc64nvme', self.raw('HEAD', 'obj').headers)
        # a ranged GET (and a part GET) has none either, as S3
        r = self.raw('GET', 'obj', headers={'x-amz-checksum-mode': 'ENABLED', 'Range': 'bytes=0-99'})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, data[:100])
        self.assertNotIn('x-amz-checksum-crc64nvme', r.headers)
        self.assertNotIn('x-amz-checksum-type', r.headers)
        # ListObjectsV2 names the algorithm
        o = self.c.list_objects_v2(Bucket=self.bucket)['Contents'][0]
        self.assertEqual(o['ChecksumAlgorithm'], ['CRC64NVME'])

    def test_complete_without_whole_value_and_without_part_checksums_in_the_list(self):
        uid, parts, data = self.stage('obj', [5 * MiB, 10])
        a = self.complete('obj', uid, parts, None, checksum_type=None)
        self.assertEqual(a.status, 200, a.body)
        self.assertEqual(a.text('ChecksumCRC64NVME'), crc64(data))

    def test_part_checksums_listed_in_complete_must_match(self):
        uid, parts, data = self.stage('obj', [5 * MiB, 10])
        a = self.complete('obj', uid, parts, crc64(data),
                          part_checksums={2: ('ChecksumCRC64NVME', crc64(b'something else'))})
        self.assertEqual((a.status, a.code), (400, 'InvalidPart'))
        a = self.complete('obj', uid, parts, crc64(data),
                          part_checksums={1: ('ChecksumCRC64NVME', crc64(data[:5 * MiB]))})
        self.assertEqual(a.status, 200, a.body)

    def test_part_without_header_is_computed_in_a_full_object_upload(self):
        uid = self.upload_id('obj')
        body = data_of(1000)
        a = self.part('obj', uid, 1, body, None)
        self.assertEqual(a.status, 200, a.body)
        self.assertEqual(a.headers['x-amz-checksum-crc64nvme'], crc64(body))
        a = self.complete('obj', uid, [(1, a.headers['etag'])], crc64(body))
        self.assertEqual(a.status, 200, a.body)

    def test_wrong_part_value_is_bad_digest_and_the_part_is_not_stored(self):
        uid = self.upload_id('obj')
        body = data_of(5 * MiB)
        a = self.part('obj', uid, 1, body, crc64(body + b'x'))
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))
        self.assertIn('CRC64NVME', a.text('Message'))
        self.assertEqual(self.c.list_parts(Bucket=self.bucket, Key='obj', UploadId=uid).get('Parts', []), [])
        # a value that is not base64 of 8 bytes is no better
        a = self.part('obj', uid, 1, body, 'not-a-crc')
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))
        a = self.part('obj', uid, 1, body, crc64(body))
        self.assertEqual(a.status, 200)
        self.assertEqual(a.headers['x-amz-checksum-crc64nvme'], crc64(body))

    def test_wrong_part_value_over_signed_payload_too(self):
        uid = self.upload_id('obj')
        body = data_of(1000)
        a = self.part('obj', uid, 1, body, crc64(b'other'), unsigned_payload=False)
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))

    def test_wrong_whole_value_fails_completion_and_the_upload_stays(self):
        uid, parts, data = self.stage('obj', [5 * MiB, 77])
        wrong = crc64(data[:-1] + bytes([data[-1] ^ 1]))
        a = self.complete('obj', uid, parts, wrong)
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))
        self.assertEqual(a.text('Message'), 'The crc64nvme you specified did not match the calculated checksum.')
        self.assertEqual([u['UploadId'] for u in self.uploads()], [uid])
        with self.assertRaises(ClientError):
            self.c.head_object(Bucket=self.bucket, Key='obj')
        # the client aborts it, and it is gone
        self.c.abort_multipart_upload(Bucket=self.bucket, Key='obj', UploadId=uid)
        self.assertEqual(self.uploads(), [])

    def test_corrupting_fault_is_caught_by_the_part_checksum_and_a_retry_succeeds(self):
        uid = self.upload_id('obj')
        body = data_of(5 * MiB, seed=7)
        self.fault(operation='UploadPart', corrupt_body=True, count=1)
        a = self.part('obj', uid, 1, body, crc64(body))   # signed UNSIGNED-PAYLOAD, as over HTTPS
        self.assertEqual((a.status, a.code), (400, 'BadDigest'), a.body)
        entry = SANDBOX.request('GET', 'requests?operation=UploadPart')[1]['requests'][-1]
        self.assertEqual(entry['fault'], 'corrupt_body')
        self.assertEqual(self.c.list_parts(Bucket=self.bucket, Key='obj', UploadId=uid).get('Parts', []), [])
        a = self.part('obj', uid, 1, body, crc64(body))
        self.assertEqual(a.status, 200, a.body)
        a = self.complete('obj', uid, [(1, a.headers['etag'])], crc64(body))
        self.assertEqual(a.status, 200, a.body)
        self.assertEqual(self.c.get_object(Bucket=self.bucket, Key='obj')['Body'].read(), body)

    def test_corrupting_fault_after_a_payload_hash_check(self):
        # The signature and x-amz-content-sha256 covered the original body: the flip happens after
        # both were checked, so only the checksum sees it.
        uid = self.upload_id('obj')
        body = data_of(4096)
        rules = self.fault(kind='corrupt_body', operation='UploadPart', offset=0)['faults']
        self.assertEqual(rules[0]['offset'], 0)
        a = self.part('obj', uid, 1, body, crc64(body), unsigned_payload=False)
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))
        # botocore's Content-MD5 catches it too
        self.fault(kind='corrupt_body', operation='PutObject')
        with self.assertRaises(ClientError) as ctx:
            self.c.put_object(Bucket=self.bucket, Key='plain', Body=body)
        self.assertEqual(ctx.exception.response['Error']['Code'], 'BadDigest')
        # without any checksum the corruption goes through: what the fault is there to show
        self.fault(kind='corrupt_body', operation='PutObject')
        self.assertEqual(self.raw('PUT', 'plain', body=body, unsigned_payload=False).status, 200)
        got = self.c.get_object(Bucket=self.bucket, Key='plain')['Body'].read()
        self.assertEqual(len(got), len(body))
        self.assertEqual(sum(x != y for x, y in zip(got, body)), 1)

    def test_bad_fault_rules(self):
        for rule in ({'corrupt_body': False}, {'corrupt_body': True, 'kind': 'error'},
                     {'kind': 'corrupt_body', 'offset': -1}, {'kind': 'corrupt_body', 'offset': 'x'}):
            status, answer = SANDBOX.request('POST', 'faults', rule)
            self.assertEqual(status, 400, (rule, answer))

    def test_composite_crc64nvme_is_refused(self):
        a = self.create('k', checksum_type='COMPOSITE')
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))
        self.assertIn('COMPOSITE', a.text('Message'))
        for alg in ('SHA1', 'SHA256'):
            a = self.create('k', algorithm=alg, checksum_type='FULL_OBJECT')
            self.assertEqual((a.status, a.code), (400, 'InvalidRequest'), alg)
        a = self.create('k', algorithm=None, checksum_type='FULL_OBJECT')
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))
        a = self.create('k', checksum_type='WHOLE')
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))
        a = self.create('k', algorithm='MD4', checksum_type=None)
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))
        self.assertIn('CRC64NVME', a.text('Message'))
        self.assertEqual(self.uploads(), [])

    def test_part_of_another_algorithm_is_refused(self):
        uid = self.upload_id('obj')
        body = data_of(100)
        a = self.part('obj', uid, 1, body, reference('CRC32', body), algorithm='crc32')
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))
        self.assertEqual(a.text('Message'), 'Checksum Type mismatch occurred, expected checksum Type: crc64nvme, '
                                            'actual checksum Type: crc32')
        # an upload created without an algorithm takes no part checksum either
        plain = self.upload_id('plain', algorithm=None, checksum_type=None)
        a = self.part('plain', plain, 1, body, crc64(body))
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))
        self.assertIn('expected checksum Type: null', a.text('Message'))
        # two checksum headers at once
        a = self.raw('PUT', 'obj', 'partNumber=1&uploadId=' + uid,
                     {'x-amz-checksum-crc64nvme': crc64(body), 'x-amz-checksum-crc32': reference('CRC32', body)},
                     body)
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))

    def test_completion_checksum_type_must_be_the_uploads(self):
        uid, parts, data = self.stage('obj', [10])
        a = self.complete('obj', uid, parts, crc64(data), checksum_type='COMPOSITE')
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))
        a = self.complete('obj', uid, parts, reference('CRC32', data), algorithm='crc32')
        self.assertEqual((a.status, a.code), (400, 'InvalidRequest'))
        self.assertEqual(len(self.uploads()), 1)

    def test_parts_must_be_consecutive_from_one_with_checksums(self):
        uid = self.upload_id('obj')
        body = data_of(100)
        a = self.part('obj', uid, 2, body, crc64(body))
        a = self.complete('obj', uid, [(2, a.headers['etag'])], crc64(body))
        self.assertEqual((a.status, a.code), (400, 'InvalidPartOrder'))


class SinglePut(ChecksumCase):
    def test_put_object_right_and_wrong(self):
        body = data_of(70000)
        a = self.raw('PUT', 'p', headers={'x-amz-checksum-crc64nvme': crc64(body)}, body=body)
        self.assertEqual(a.status, 200, a.body)
        self.assertEqual(a.headers['x-amz-checksum-crc64nvme'], crc64(body))
        self.assertEqual(a.headers['x-amz-checksum-type'], 'FULL_OBJECT')
        h = self.head('p')
        self.assertEqual(h.headers['x-amz-checksum-crc64nvme'], crc64(body))
        self.assertEqual(h.headers['x-amz-checksum-type'], 'FULL_OBJECT')
        a = self.raw('PUT', 'q', headers={'x-amz-checksum-crc64nvme': crc64(body[1:])}, body=body,
                     unsigned_payload=False)
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))
        self.assertEqual(a.text('Message'), 'The CRC64NVME you specified did not match the calculated checksum.')
        with self.assertRaises(ClientError):
            self.c.head_object(Bucket=self.bucket, Key='q')
        # the corrupting fault on a PUT
        self.fault(operation='PutObject', corrupt_body=True)
        a = self.raw('PUT', 'q', headers={'x-amz-checksum-crc64nvme': crc64(body)}, body=body)
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))
        a = self.raw('PUT', 'q', headers={'x-amz-checksum-crc64nvme': crc64(body)}, body=body)
        self.assertEqual(a.status, 200, a.body)

    def test_sdk_algorithm_header_alone_makes_the_sandbox_compute_it(self):
        body = b'abc' * 1000
        a = self.raw('PUT', 'p', headers={'x-amz-sdk-checksum-algorithm': 'CRC64NVME'}, body=body)
        self.assertEqual(a.status, 200, a.body)
        self.assertEqual(a.headers['x-amz-checksum-crc64nvme'], crc64(body))


class ConfigControl(ChecksumCase):
    def test_verification_can_be_turned_off_for_benchmarks(self):
        self.assertEqual(SANDBOX.control('services/s3/config', {}), {'verify_checksums': True})
        self.assertEqual(SANDBOX.request('POST', 'services/s3/config', {'verify_checksums': 'no'})[0], 400)
        body = data_of(1000)
        wrong = crc64(b'not the body')
        try:
            self.assertEqual(SANDBOX.control('services/s3/config', {'verify_checksums': False}),
                             {'verify_checksums': False})
            uid = self.upload_id('obj')
            a = self.part('obj', uid, 1, body, wrong)
            self.assertEqual(a.status, 200, a.body)
            self.assertEqual(a.headers['x-amz-checksum-crc64nvme'], wrong)   # taken as sent
            etag = a.headers['etag']
            a = self.part('obj', uid, 2, body, 'AAAA')                         # not 8 bytes: still checked
            self.assertEqual((a.status, a.code), (400, 'BadDigest'))
            # the whole value is checked against the recorded part values (no bytes read)
            a = self.complete('obj', uid, [(1, etag)], crc64(body))
            self.assertEqual((a.status, a.code), (400, 'BadDigest'))
            a = self.complete('obj', uid, [(1, etag)], wrong)
            self.assertEqual(a.status, 200, a.body)
            uid = self.upload_id('obj')
        finally:
            SANDBOX.control('services/s3/config', {'verify_checksums': True})
        a = self.part('obj', uid, 1, body, wrong)
        self.assertEqual((a.status, a.code), (400, 'BadDigest'))


class Tamper(ChecksumCase):
    def test_tamper_changes_the_stored_bytes_not_the_checksum(self):
        for key, size in (('small', 1000), ('multi', 5 * MiB + 100)):
            if size > 5 * MiB:
                uid, parts, body = self.stage(key, [5 * MiB, 100])
                self.assertEqual(self.complete(key, uid, parts, crc64(body)).status, 200)
            else:
                body = data_of(size)
                self.assertEqual(self.raw('PUT', key, headers={'x-amz-checksum-crc64nvme': crc64(body)},
                                          body=body).status, 200)
            etag = self.raw('HEAD', key).headers['etag']
            offset = size - 50   # in the second part of the multipart object
            got = SANDBOX.control('services/s3/tamper', {'bucket': self.bucket, 'key': key, 'offset': offset})
            self.assertEqual(got['offset'], offset)
            self.assertEqual(got['before'], body[offset])
            self.assertEqual(got['after'], body[offset] ^ 0xFF)
            g = self.raw('GET', key, headers={'x-amz-checksum-mode': 'ENABLED'})
            self.assertEqual(len(g.body), size)
            self.assertEqual([i for i in range(size) if g.body[i] != body[i]], [offset])
            # what S3 recorded stays: a reader checking the bytes against it finds the change
            self.assertEqual(g.headers['x-amz-checksum-crc64nvme'], crc64(body))
            self.assertNotEqual(crc64(g.body), g.headers['x-amz-checksum-crc64nvme'])
            self.assertEqual(g.headers['etag'], etag)

    def test_tamper_default_offset_and_bad_requests(self):
        self.c.put_object(Bucket=self.bucket, Key='k', Body=b'0123456789')
        got = SANDBOX.control('services/s3/tamper', {'bucket': self.bucket, 'key': 'k'})
        self.assertEqual(got['offset'], 5)
        self.assertEqual(self.c.get_object(Bucket=self.bucket, Key='k')['Body'].read(),
                         b'01234' + bytes([ord('5') ^ 0xFF]) + b'6789')
        for doc, status in (({'bucket': self.bucket, 'key': 'nope'}, 404),
                            ({'bucket': self.bucket, 'key': 'k', 'offset': 10}, 400),
                            ({'bucket': self.bucket, 'key': 'k', 'offset': -1}, 400),
                            ({'bucket': self.bucket}, 400)):
            self.assertEqual(SANDBOX.request('POST', 'services/s3/tamper', doc)[0], status, doc)


class OtherAlgorithms(ChecksumCase):
    def test_composite_checksums(self):
        for alg in ('CRC32', 'CRC32C', 'SHA1', 'SHA256'):
            key = 'c-' + alg
            a = self.create(key, algorithm=alg, checksum_type=None)
            self.assertEqual(a.status, 200, a.body)
            self.assertEqual(a.headers['x-amz-checksum-type'], 'COMPOSITE')
            uid = a.text('UploadId')
            chunks = [data_of(5 * MiB, 3), data_of(300, 4)]
            parts, values = [], {}
            for n, chunk in enumerate(chunks, 1):
                # a composite upload wants each part's checksum
                a = self.part(key, uid, n, chunk, None)
                self.assertEqual((a.status, a.code), (400, 'InvalidRequest'), alg)
                a = self.part(key, uid, n, chunk, reference(alg, chunk), algorithm=alg.lower())
                self.assertEqual(a.status, 200, a.body)
                parts.append((n, a.headers['etag']))
                values[n] = ('Checksum' + alg, reference(alg, chunk))
            raw = b''.join(base64.b64decode(values[n][1]) for n in (1, 2))
            composite = '%s-2' % reference(alg, raw)
            # the completion lists every part's checksum
            a = self.complete(key, uid, parts, None, checksum_type=None)
            self.assertEqual((a.status, a.code), (400, 'InvalidRequest'), alg)
            a = self.complete(key, uid, parts, composite.split('-')[0][:-4] + 'AAA=', algorithm=alg.lower(),
                              checksum_type='COMPOSITE', part_checksums=values)
            self.assertEqual((a.status, a.code), (400, 'BadDigest'), alg)
            a = self.complete(key, uid, parts, composite, algorithm=alg.lower(), checksum_type='COMPOSITE',
                              part_checksums=values)
            self.assertEqual(a.status, 200, a.body)
            self.assertEqual(a.text('Checksum' + alg), composite)
            self.assertEqual(a.text('ChecksumType'), 'COMPOSITE')
            h = self.head(key)
            self.assertEqual(h.headers['x-amz-checksum-' + alg.lower()], composite)
            self.assertEqual(h.headers['x-amz-checksum-type'], 'COMPOSITE')

    def test_full_object_crc32_and_crc32c(self):
        for alg in ('CRC32', 'CRC32C'):
            key = 'f-' + alg
            uid = self.upload_id(key, algorithm=alg, checksum_type='FULL_OBJECT')
            chunks = [data_of(5 * MiB, 5), data_of(5 * MiB, 6), data_of(1, 7)]
            parts = []
            for n, chunk in enumerate(chunks, 1):
                a = self.part(key, uid, n, chunk, reference(alg, chunk), algorithm=alg.lower())
                self.assertEqual(a.status, 200, a.body)
                parts.append((n, a.headers['etag']))
            whole = reference(alg, b''.join(chunks))
            a = self.complete(key, uid, parts, whole, algorithm=alg.lower())
            self.assertEqual(a.status, 200, a.body)
            self.assertEqual(a.text('Checksum' + alg), whole)
            self.assertEqual(a.text('ChecksumType'), 'FULL_OBJECT')
            self.assertEqual(self.head(key).headers['x-amz-checksum-' + alg.lower()], whole)

    def test_put_object_every_algorithm(self):
        body = data_of(12345)
        for alg in ('CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'):
            a = self.raw('PUT', 'p-' + alg, headers={'x-amz-checksum-' + alg.lower(): reference(alg, body)},
                         body=body)
            self.assertEqual(a.status, 200, (alg, a.body))
            self.assertEqual(a.headers['x-amz-checksum-type'], 'FULL_OBJECT')
            a = self.raw('PUT', 'p-' + alg, headers={'x-amz-checksum-' + alg.lower(): reference(alg, body[:-1])},
                         body=body)
            self.assertEqual((a.status, a.code), (400, 'BadDigest'), alg)


class Unchanged(ChecksumCase):
    def test_upload_without_any_checksum_works_as_before(self):
        c = self.c
        uid = c.create_multipart_upload(Bucket=self.bucket, Key='plain')['UploadId']
        chunks = [data_of(5 * MiB, 8), data_of(10, 9)]
        parts = []
        for n, chunk in enumerate(chunks, 1):
            r = c.upload_part(Bucket=self.bucket, Key='plain', UploadId=uid, PartNumber=n, Body=chunk)
            self.assertNotIn('ChecksumCRC32', r)
            parts.append({'PartNumber': n, 'ETag': r['ETag']})
        a = self.raw('GET', 'plain', 'uploadId=' + uid)
        self.assertNotIn(b'Checksum', a.body)
        r = c.complete_multipart_upload(Bucket=self.bucket, Key='plain', UploadId=uid,
                                        MultipartUpload={'Parts': parts})
        md5s = b''.join(hashlib.md5(ch).digest() for ch in chunks)
        self.assertEqual(r['ETag'], '"%s-2"' % hashlib.md5(md5s).hexdigest())
        h = self.head('plain')
        self.assertEqual([k for k in h.headers if k.startswith('x-amz-checksum')], [])
        self.assertEqual(c.get_object(Bucket=self.bucket, Key='plain')['Body'].read(), b''.join(chunks))
        c.put_object(Bucket=self.bucket, Key='single', Body=b'x')
        self.assertEqual([k for k in self.head('single').headers if k.startswith('x-amz-checksum')], [])


if __name__ == '__main__':
    unittest.main()
