"""The sandbox's S3 through independent clients: botocore (Debian's, the one the sandbox
validates against), awscli (/usr/bin/aws) and hand-built aws-chunked requests.

Uses the sandbox named by $AWSDL_SANDBOX_PORT_FILE (the ctest fixture); without it, starts
its own in a temporary directory. Buckets are named per test; faults are cleared after each."""

import base64
import datetime
import hashlib
import http.client
import os
import subprocess
import sys
import tempfile
import unittest
import warnings
import uuid
import zlib

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from services._s3_store import checksum  # noqa: E402
from testkit import KEY1, Sandbox  # noqa: E402

MiB = 1 << 20
PORT = None
SANDBOX = Sandbox()
endpoint = SANDBOX.endpoint
control = SANDBOX.request
_session = SANDBOX.session()
AWS = '/usr/bin/aws'


def setUpModule():
    global PORT
    warnings.simplefilter('ignore', ResourceWarning)  # botocore's pooled connections
    SANDBOX.start('sandbox-s3-test-')
    PORT = SANDBOX.port


def tearDownModule():
    SANDBOX.stop()



def s3(region='us-east-1', **config):
    cfg = Config(retries={'total_max_attempts': 1}, s3={'addressing_style': 'path'}, **config)
    return _session.create_client('s3', region_name=region, endpoint_url=endpoint(),
                                  aws_access_key_id=KEY1[0], aws_secret_access_key=KEY1[1], config=cfg)


def code_of(ctx):
    return ctx.exception.response['Error']['Code']


def data_of(n, seed=1):
    out = bytearray()
    block = hashlib.sha256(b'seed%d' % seed).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:n])


class S3Case(unittest.TestCase):
    def setUp(self):
        self.c = s3()
        self.bucket = 'b-%s' % uuid.uuid4().hex[:16]
        self.c.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        control('DELETE', 'faults')


class Buckets(S3Case):
    def test_head_list_delete_and_not_empty(self):
        r = self.c.head_bucket(Bucket=self.bucket)
        self.assertEqual(r['ResponseMetadata']['HTTPHeaders']['x-amz-bucket-region'], 'us-east-1')
        names = [b['Name'] for b in self.c.list_buckets()['Buckets']]
        self.assertIn(self.bucket, names)
        self.c.put_object(Bucket=self.bucket, Key='k', Body=b'x')
        with self.assertRaises(ClientError) as e:
            self.c.delete_bucket(Bucket=self.bucket)
        self.assertEqual(code_of(e), 'BucketNotEmpty')
        self.assertEqual(e.exception.response['ResponseMetadata']['HTTPStatusCode'], 409)
        self.c.delete_object(Bucket=self.bucket, Key='k')
        r = self.c.delete_bucket(Bucket=self.bucket)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        with self.assertRaises(ClientError) as e:
            self.c.head_bucket(Bucket=self.bucket)
        self.assertEqual(e.exception.response['ResponseMetadata']['HTTPStatusCode'], 404)
        with self.assertRaises(ClientError) as e:
            self.c.list_objects_v2(Bucket=self.bucket)
        self.assertEqual(code_of(e), 'NoSuchBucket')

    def test_us_east_1_recreate_is_a_no_op_and_names_are_checked(self):
        self.c.create_bucket(Bucket=self.bucket)  # legacy us-east-1 behaviour: 200
        for bad in ('ab', 'Upper', '192.168.1.1', 'a..b', '-ab'):
            with self.assertRaises(ClientError) as e:
                self.c.create_bucket(Bucket=bad)
            self.assertEqual(code_of(e), 'InvalidBucketName', bad)

    def test_location_constraints(self):
        eu = s3('eu-west-1')
        name = self.bucket + '-eu'
        eu.create_bucket(Bucket=name, CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
        r = eu.head_bucket(Bucket=name)
        self.assertEqual(r['ResponseMetadata']['HTTPHeaders']['x-amz-bucket-region'], 'eu-west-1')
        with self.assertRaises(ClientError) as e:
            eu.create_bucket(Bucket=name, CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
        self.assertEqual(code_of(e), 'BucketAlreadyOwnedByYou')
        with self.assertRaises(ClientError) as e:
            eu.create_bucket(Bucket=name + 'x')
        self.assertEqual(code_of(e), 'IllegalLocationConstraintException')
        with self.assertRaises(ClientError) as e:
            self.c.create_bucket(Bucket=name + 'y', CreateBucketConfiguration={'LocationConstraint': 'us-east-1'})
        self.assertEqual(code_of(e), 'InvalidLocationConstraint')
        with self.assertRaises(ClientError) as e:
            self.c.create_bucket(Bucket=name + 'z', CreateBucketConfiguration={'LocationConstraint': 'mars-1'})
        self.assertEqual(code_of(e), 'InvalidLocationConstraint')
        # Signed for the wrong region: S3 names the right one, and botocore's region
        # redirector signs again for it.
        control('DELETE', 'requests')
        self.c.put_object(Bucket=name, Key='k', Body=b'x')
        _, log = control('GET', 'requests?operation=PutObject')
        self.assertEqual([(e['status'], e['error_code']) for e in log['requests']],
                         [(400, 'AuthorizationHeaderMalformed'), (200, None)])
        self.assertEqual(eu.get_object(Bucket=name, Key='k')['Body'].read(), b'x')


class Objects(S3Case):
    def test_put_get_head_metadata_and_etag(self):
        body = data_of(1000)
        r = self.c.put_object(Bucket=self.bucket, Key='dir/a b+c.bin', Body=body, Metadata={'Owner': 'me', 'x': 'y'},
                              ContentType='application/x-tar', StorageClass='STANDARD_IA')
        self.assertEqual(r['ETag'], '"%s"' % hashlib.md5(body).hexdigest())
        self.assertEqual(r['ServerSideEncryption'], 'AES256')
        g = self.c.get_object(Bucket=self.bucket, Key='dir/a b+c.bin')
        self.assertEqual(g['Body'].read(), body)
        self.assertEqual(g['Metadata'], {'owner': 'me', 'x': 'y'})
        self.assertEqual(g['ContentType'], 'application/x-tar')
        self.assertEqual(g['StorageClass'], 'STANDARD_IA')
        self.assertEqual(g['ContentLength'], 1000)
        self.assertEqual(g['ETag'], r['ETag'])
        h = self.c.head_object(Bucket=self.bucket, Key='dir/a b+c.bin')
        self.assertEqual(h['ContentLength'], 1000)
        self.assertEqual(h['Metadata']['owner'], 'me')
        self.assertEqual(h['AcceptRanges'], 'bytes')
        with self.assertRaises(ClientError) as e:
            self.c.get_object(Bucket=self.bucket, Key='nope')
        self.assertEqual(code_of(e), 'NoSuchKey')
        with self.assertRaises(ClientError) as e:
            self.c.head_object(Bucket=self.bucket, Key='nope')
        self.assertEqual(e.exception.response['ResponseMetadata']['HTTPStatusCode'], 404)

    def test_sse_and_storage_class_are_checked_and_echoed(self):
        r = self.c.put_object(Bucket=self.bucket, Key='k', Body=b'x', ServerSideEncryption='aws:kms',
                              SSEKMSKeyId='arn:aws:kms:us-east-1:123456789012:key/abc')
        self.assertEqual(r['ServerSideEncryption'], 'aws:kms')
        self.assertEqual(r['SSEKMSKeyId'], 'arn:aws:kms:us-east-1:123456789012:key/abc')
        h = self.c.head_object(Bucket=self.bucket, Key='k')
        self.assertEqual(h['ServerSideEncryption'], 'aws:kms')
        with self.assertRaises(ClientError) as e:
            self.c.put_object(Bucket=self.bucket, Key='k', Body=b'x', StorageClass='CHEAP')
        self.assertEqual(code_of(e), 'InvalidStorageClass')
        key = os.urandom(32)
        self.c.put_object(Bucket=self.bucket, Key='c', Body=b'secret', SSECustomerAlgorithm='AES256',
                          SSECustomerKey=key)
        with self.assertRaises(ClientError) as e:
            self.c.get_object(Bucket=self.bucket, Key='c')
        self.assertEqual(code_of(e), 'InvalidRequest')
        g = self.c.get_object(Bucket=self.bucket, Key='c', SSECustomerAlgorithm='AES256', SSECustomerKey=key)
        self.assertEqual(g['Body'].read(), b'secret')

    def test_ranges(self):
        body = bytes(range(100))
        self.c.put_object(Bucket=self.bucket, Key='r', Body=body)
        g = self.c.get_object(Bucket=self.bucket, Key='r', Range='bytes=10-19')
        self.assertEqual(g['ResponseMetadata']['HTTPStatusCode'], 206)
        self.assertEqual(g['ContentRange'], 'bytes 10-19/100')
        self.assertEqual(g['Body'].read(), body[10:20])
        self.assertEqual(self.c.get_object(Bucket=self.bucket, Key='r', Range='bytes=-5')['Body'].read(), body[-5:])
        g = self.c.get_object(Bucket=self.bucket, Key='r', Range='bytes=90-200')
        self.assertEqual(g['ContentRange'], 'bytes 90-99/100')
        self.assertEqual(g['Body'].read(), body[90:])
        with self.assertRaises(ClientError) as e:
            self.c.get_object(Bucket=self.bucket, Key='r', Range='bytes=100-')
        self.assertEqual(code_of(e), 'InvalidRange')
        self.assertEqual(e.exception.response['ResponseMetadata']['HTTPStatusCode'], 416)
        g = self.c.get_object(Bucket=self.bucket, Key='r', Range='bytes=junk')  # ignored, as S3 does
        self.assertEqual(g['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(g['Body'].read(), body)

    def test_large_object_spills_to_disk_and_reads_back_in_ranges(self):
        body = data_of(3 * MiB + 17)
        self.c.put_object(Bucket=self.bucket, Key='big', Body=body)
        got = b''.join(self.c.get_object(Bucket=self.bucket, Key='big', Range='bytes=%d-%d' % (o, o + MiB - 1))
                       ['Body'].read() for o in range(0, len(body), MiB))
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(body).hexdigest())

    def test_conditional_get(self):
        r = self.c.put_object(Bucket=self.bucket, Key='k', Body=b'abc')
        with self.assertRaises(ClientError) as e:
            self.c.get_object(Bucket=self.bucket, Key='k', IfMatch='"nope"')
        self.assertEqual(code_of(e), 'PreconditionFailed')
        with self.assertRaises(ClientError) as e:
            self.c.get_object(Bucket=self.bucket, Key='k', IfNoneMatch=r['ETag'])
        self.assertEqual(e.exception.response['ResponseMetadata']['HTTPStatusCode'], 304)

    def test_content_md5_and_checksums(self):
        body = b'hello checksums'
        with self.assertRaises(ClientError) as e:
            self.c.put_object(Bucket=self.bucket, Key='k', Body=body,
                              ContentMD5=base64.b64encode(hashlib.md5(b'other').digest()).decode())
        self.assertEqual(code_of(e), 'BadDigest')
        self.c.put_object(Bucket=self.bucket, Key='k', Body=body,
                          ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode())
        for alg in ('CRC32', 'CRC32C', 'SHA256', 'SHA1'):
            value = checksum(alg, body)
            r = self.c.put_object(Bucket=self.bucket, Key='c-' + alg, Body=body, **{'Checksum' + alg: value})
            self.assertEqual(r['Checksum' + alg], value)
            h = self.c.head_object(Bucket=self.bucket, Key='c-' + alg, ChecksumMode='ENABLED')
            self.assertEqual(h['Checksum' + alg], value)
            h = self.c.head_object(Bucket=self.bucket, Key='c-' + alg)
            self.assertNotIn('Checksum' + alg, h)
            with self.assertRaises(ClientError) as e:
                self.c.put_object(Bucket=self.bucket, Key='c-' + alg, Body=body + b'!', **{'Checksum' + alg: value})
            self.assertEqual(code_of(e), 'BadDigest', alg)
        # Known values: CRC32("123456789") = CBF43926, CRC32C = E3069283.
        self.assertEqual(base64.b64decode(checksum('CRC32', b'123456789')).hex(), 'cbf43926')
        self.assertEqual(base64.b64decode(checksum('CRC32C', b'123456789')).hex(), 'e3069283')

    def test_delete_objects_and_copy(self):
        for k in ('a', 'b', 'c'):
            self.c.put_object(Bucket=self.bucket, Key=k, Body=k.encode(), Metadata={'k': k})
        r = self.c.delete_objects(Bucket=self.bucket, Delete={'Objects': [{'Key': 'a'}, {'Key': 'b'},
                                                                          {'Key': 'missing'}]})
        self.assertEqual(sorted(d['Key'] for d in r['Deleted']), ['a', 'b', 'missing'])
        keys = [o['Key'] for o in self.c.list_objects_v2(Bucket=self.bucket).get('Contents', [])]
        self.assertEqual(keys, ['c'])
        r = self.c.copy_object(Bucket=self.bucket, Key='c2', CopySource='%s/c' % self.bucket)
        self.assertEqual(r['CopyObjectResult']['ETag'], '"%s"' % hashlib.md5(b'c').hexdigest())
        self.assertEqual(self.c.head_object(Bucket=self.bucket, Key='c2')['Metadata'], {'k': 'c'})
        self.c.copy_object(Bucket=self.bucket, Key='c3', CopySource={'Bucket': self.bucket, 'Key': 'c'},
                           MetadataDirective='REPLACE', Metadata={'new': '1'})
        self.assertEqual(self.c.head_object(Bucket=self.bucket, Key='c3')['Metadata'], {'new': '1'})
        with self.assertRaises(ClientError) as e:
            self.c.copy_object(Bucket=self.bucket, Key='c', CopySource='%s/c' % self.bucket)
        self.assertEqual(code_of(e), 'InvalidRequest')
        with self.assertRaises(ClientError) as e:
            self.c.copy_object(Bucket=self.bucket, Key='x', CopySource='%s/none' % self.bucket)
        self.assertEqual(code_of(e), 'NoSuchKey')

    def test_copy_error_inside_200(self):
        self.c.put_object(Bucket=self.bucket, Key='src', Body=b'data')
        status, _ = control('POST', 'services/s3/error_in_200', {'operation': 'CopyObject', 'count': 1})
        self.assertEqual(status, 200)
        conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
        req = AWSRequest(method='PUT', url='%s/%s/dst' % (endpoint(), self.bucket),
                         headers={'x-amz-copy-source': '%s/src' % self.bucket})
        req.context['timestamp'] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        signer = S3SigV4Auth(Credentials(*KEY1), 's3', 'us-east-1')
        signer._modify_request_before_signing(req)
        signer._inject_signature_to_request(req, signer.signature(
            signer.string_to_sign(req, signer.canonical_request(req)), req))
        conn.request('PUT', '/%s/dst' % self.bucket, headers=dict(req.headers.items()))
        r = conn.getresponse()
        body = r.read()
        conn.close()
        self.assertEqual(r.status, 200)
        self.assertIn(b'<Error><Code>InternalError</Code>', body)
        with self.assertRaises(ClientError):
            self.c.head_object(Bucket=self.bucket, Key='dst')  # the failed copy did not happen
        self.c.copy_object(Bucket=self.bucket, Key='dst', CopySource='%s/src' % self.bucket)
        self.assertEqual(self.c.get_object(Bucket=self.bucket, Key='dst')['Body'].read(), b'data')

    def test_truncate_fault_on_get(self):
        self.c.put_object(Bucket=self.bucket, Key='t', Body=b'x' * 1000)
        control('POST', 'faults', [{'service': 's3', 'operation': 'GetObject', 'kind': 'truncate'}])
        with self.assertRaises(Exception):
            self.c.get_object(Bucket=self.bucket, Key='t')['Body'].read()


class Listing(S3Case):
    def setUp(self):
        super().setUp()
        self.keys = ['a/1', 'a/2', 'a/b/3', 'b/4', 'c', 'd%', 'e f']
        for k in self.keys:
            self.c.put_object(Bucket=self.bucket, Key=k, Body=k.encode())

    def test_prefix_delimiter_and_start_after(self):
        r = self.c.list_objects_v2(Bucket=self.bucket, Delimiter='/')
        self.assertEqual([p['Prefix'] for p in r['CommonPrefixes']], ['a/', 'b/'])
        self.assertEqual([o['Key'] for o in r['Contents']], ['c', 'd%', 'e f'])
        self.assertEqual(r['KeyCount'], 5)
        r = self.c.list_objects_v2(Bucket=self.bucket, Prefix='a/', Delimiter='/')
        self.assertEqual([o['Key'] for o in r['Contents']], ['a/1', 'a/2'])
        self.assertEqual([p['Prefix'] for p in r['CommonPrefixes']], ['a/b/'])
        r = self.c.list_objects_v2(Bucket=self.bucket, StartAfter='b/4')
        self.assertEqual([o['Key'] for o in r['Contents']], ['c', 'd%', 'e f'])
        self.assertEqual(r['Contents'][0]['Size'], 1)
        self.assertEqual(r['Contents'][0]['ETag'], '"%s"' % hashlib.md5(b'c').hexdigest())

    def test_pagination_with_continuation_tokens(self):
        pages = list(self.c.get_paginator('list_objects_v2').paginate(Bucket=self.bucket, PaginationConfig={
            'PageSize': 2}))
        self.assertEqual(len(pages), 4)
        self.assertEqual([o['Key'] for p in pages for o in p.get('Contents', [])], sorted(self.keys))
        self.assertTrue(pages[0]['IsTruncated'])
        self.assertFalse(pages[-1]['IsTruncated'])
        pages = list(self.c.get_paginator('list_objects_v2').paginate(Bucket=self.bucket, Delimiter='/',
                                                                       PaginationConfig={'PageSize': 1}))
        got = [o['Key'] for p in pages for o in p.get('Contents', [])] + \
              [x['Prefix'] for p in pages for x in p.get('CommonPrefixes', [])]
        self.assertEqual(sorted(got), ['a/', 'b/', 'c', 'd%', 'e f'])
        with self.assertRaises(ClientError) as e:
            self.c.list_objects_v2(Bucket=self.bucket, ContinuationToken='garbage!')
        self.assertEqual(code_of(e), 'InvalidArgument')
        r = self.c.list_objects_v2(Bucket=self.bucket, MaxKeys=0)
        self.assertEqual(r['KeyCount'], 0)


class Multipart(S3Case):
    def upload(self, sizes, key='mp', **create):
        u = self.c.create_multipart_upload(Bucket=self.bucket, Key=key, **create)
        parts, blobs = [], []
        for i, n in enumerate(sizes, 1):
            data = data_of(n, seed=i)
            extra = {}
            if create.get('ChecksumAlgorithm') == 'CRC32':
                extra['ChecksumCRC32'] = checksum('CRC32', data)
            r = self.c.upload_part(Bucket=self.bucket, Key=key, UploadId=u['UploadId'], PartNumber=i, Body=data,
                                   **extra)
            p = {'PartNumber': i, 'ETag': r['ETag']}
            if extra:
                p['ChecksumCRC32'] = r['ChecksumCRC32']
            parts.append(p)
            blobs.append(data)
        return u['UploadId'], parts, blobs

    def test_complete_etag_list_parts_and_part_get(self):
        upload_id, parts, blobs = self.upload([5 * MiB, 5 * MiB, 1234], Metadata={'m': '1'},
                                              StorageClass='STANDARD_IA')
        lp = self.c.list_parts(Bucket=self.bucket, Key='mp', UploadId=upload_id)
        self.assertEqual([(p['PartNumber'], p['Size'], p['ETag']) for p in lp['Parts']],
                         [(p['PartNumber'], len(b), p['ETag']) for p, b in zip(parts, blobs)])
        lp = self.c.list_parts(Bucket=self.bucket, Key='mp', UploadId=upload_id, MaxParts=2)
        self.assertTrue(lp['IsTruncated'])
        self.assertEqual(lp['NextPartNumberMarker'], 2)
        ups = self.c.list_multipart_uploads(Bucket=self.bucket)['Uploads']
        self.assertEqual([(u['Key'], u['UploadId']) for u in ups], [('mp', upload_id)])
        r = self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': parts})
        want = '"%s-3"' % hashlib.md5(b''.join(hashlib.md5(b).digest() for b in blobs)).hexdigest()
        self.assertEqual(r['ETag'], want)
        g = self.c.get_object(Bucket=self.bucket, Key='mp')
        self.assertEqual(hashlib.sha256(g['Body'].read()).hexdigest(), hashlib.sha256(b''.join(blobs)).hexdigest())
        self.assertEqual(g['ETag'], want)
        self.assertEqual(g['Metadata'], {'m': '1'})
        self.assertEqual(g['StorageClass'], 'STANDARD_IA')
        p2 = self.c.get_object(Bucket=self.bucket, Key='mp', PartNumber=2)
        self.assertEqual(p2['PartsCount'], 3)
        self.assertEqual(p2['Body'].read(), blobs[1])
        self.assertNotIn('Uploads', self.c.list_multipart_uploads(Bucket=self.bucket))
        # A retried Complete of a finished upload answers the same.
        r2 = self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                              MultipartUpload={'Parts': parts})
        self.assertEqual(r2['ETag'], want)

    def test_aws_rules_at_complete(self):
        upload_id, parts, _ = self.upload([1 * MiB, 1 * MiB])
        with self.assertRaises(ClientError) as e:
            self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': parts})
        self.assertEqual(code_of(e), 'EntityTooSmall')
        with self.assertRaises(ClientError) as e:
            self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': list(reversed(parts))})
        self.assertEqual(code_of(e), 'InvalidPartOrder')
        bad = [dict(parts[0], ETag='"%s"' % ('0' * 32))]
        with self.assertRaises(ClientError) as e:
            self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': bad})
        self.assertEqual(code_of(e), 'InvalidPart')
        with self.assertRaises(ClientError) as e:
            self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': [{'PartNumber': 3, 'ETag': parts[0]['ETag']}]})
        self.assertEqual(code_of(e), 'InvalidPart')
        # The last part alone may be small.
        r = self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': parts[:1]})
        self.assertTrue(r['ETag'].endswith('-1"'))
        self.assertEqual(self.c.head_object(Bucket=self.bucket, Key='mp')['ContentLength'], MiB)
        with self.assertRaises(ClientError) as e:
            self.c.upload_part(Bucket=self.bucket, Key='mp', UploadId=upload_id, PartNumber=1, Body=b'x')
        self.assertEqual(code_of(e), 'NoSuchUpload')

    def test_part_numbers_and_abort(self):
        u = self.c.create_multipart_upload(Bucket=self.bucket, Key='a')
        for n in (0, 10001):
            with self.assertRaises(ClientError) as e:
                self.c.upload_part(Bucket=self.bucket, Key='a', UploadId=u['UploadId'], PartNumber=n, Body=b'x')
            self.assertEqual(code_of(e), 'InvalidArgument', n)
        self.c.upload_part(Bucket=self.bucket, Key='a', UploadId=u['UploadId'], PartNumber=10000, Body=b'x')
        r = self.c.abort_multipart_upload(Bucket=self.bucket, Key='a', UploadId=u['UploadId'])
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 204)
        with self.assertRaises(ClientError) as e:
            self.c.abort_multipart_upload(Bucket=self.bucket, Key='a', UploadId=u['UploadId'])
        self.assertEqual(code_of(e), 'NoSuchUpload')
        with self.assertRaises(ClientError) as e:
            self.c.list_parts(Bucket=self.bucket, Key='a', UploadId='bogus')
        self.assertEqual(code_of(e), 'NoSuchUpload')

    def test_checksum_algorithm_gives_composite_checksum(self):
        upload_id, parts, blobs = self.upload([5 * MiB, 100], ChecksumAlgorithm='CRC32')
        missing = [{'PartNumber': p['PartNumber'], 'ETag': p['ETag']} for p in parts]
        with self.assertRaises(ClientError) as e:
            self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': missing})
        self.assertEqual(code_of(e), 'InvalidRequest')
        r = self.c.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                             MultipartUpload={'Parts': parts})
        raw = b''.join(base64.b64decode(checksum('CRC32', b)) for b in blobs)
        self.assertEqual(r['ChecksumCRC32'], '%s-2' % base64.b64encode(
            (zlib.crc32(raw) & 0xffffffff).to_bytes(4, 'big')).decode())

    def test_complete_error_inside_200_then_retry(self):
        upload_id, parts, _ = self.upload([5 * MiB, 10])
        control('POST', 'services/s3/error_in_200', {'operation': 'CompleteMultipartUpload', 'count': 1,
                                                     'code': 'InternalError'})
        control('DELETE', 'requests')
        # botocore treats an error inside a 200 as a 500 and retries; the retry completes.
        cfg = Config(retries={'total_max_attempts': 2, 'mode': 'standard'}, s3={'addressing_style': 'path'})
        c2 = _session.create_client('s3', region_name='us-east-1', endpoint_url=endpoint(),
                                    aws_access_key_id=KEY1[0], aws_secret_access_key=KEY1[1], config=cfg)
        r = c2.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=upload_id,
                                         MultipartUpload={'Parts': parts})
        self.assertTrue(r['ETag'].endswith('-2"'))
        _, log = control('GET', 'requests?operation=CompleteMultipartUpload')
        self.assertEqual([e['status'] for e in log['requests']], [200, 200])
        self.assertEqual(self.c.head_object(Bucket=self.bucket, Key='mp')['ContentLength'], 5 * MiB + 10)

    def test_control_lists_uploads(self):
        upload_id, _, _ = self.upload([10])
        _, doc = control('POST', 'services/s3/uploads', {})
        mine = [u for u in doc['uploads'] if u['bucket'] == self.bucket]
        self.assertEqual(mine, [{'bucket': self.bucket, 'key': 'mp', 'upload_id': upload_id, 'parts': [1]}])


class Streaming(S3Case):
    """aws-chunked bodies with chunk signatures, built by hand on botocore's signer."""

    def put_chunked(self, key, data, chunk=64 * 1024, tamper=False, trailer=None):
        now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        mode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' + ('-TRAILER' if trailer else '')
        headers = {'Host': '127.0.0.1:%d' % PORT, 'x-amz-content-sha256': mode, 'X-Amz-Date': now,
                   'Content-Encoding': 'aws-chunked', 'x-amz-decoded-content-length': str(len(data))}
        if trailer:
            headers['x-amz-trailer'] = trailer[0]
        chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b'']
        # Content-Length is added after signing (left out of the signed headers).
        req = AWSRequest(method='PUT', url='%s/%s/%s' % (endpoint(), self.bucket, key), headers=headers)
        req.context['timestamp'] = now
        signer = S3SigV4Auth(Credentials(*KEY1), 's3', 'us-east-1')
        canonical = signer.canonical_request(req)
        seed = signer.signature(signer.string_to_sign(req, canonical), req)
        signer._inject_signature_to_request(req, seed)
        scope = signer.credential_scope(req)
        prev = seed
        body = b''
        empty = hashlib.sha256(b'').hexdigest()
        for c in chunks:
            sts = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', now, scope, prev, empty, hashlib.sha256(c).hexdigest()])
            sig = signer.signature(sts, req)
            prev = sig
            body += b'%x;chunk-signature=%s\r\n' % (len(c), sig.encode())
            body += (c[:-1] + b'!' if tamper and c else c)
            if c or not trailer:
                body += b'\r\n'
        if trailer:
            canon = '%s:%s\n' % trailer
            sts = '\n'.join(['AWS4-HMAC-SHA256-TRAILER', now, scope, prev, hashlib.sha256(canon.encode()).hexdigest()])
            body += ('%s:%s\r\n' % trailer).encode() + b'x-amz-trailer-signature:' + \
                signer.signature(sts, req).encode() + b'\r\n\r\n'
        headers = dict(req.headers.items())
        headers['Content-Length'] = str(len(body))
        conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
        conn.request('PUT', '/%s/%s' % (self.bucket, key), body=body, headers=headers)
        r = conn.getresponse()
        out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        conn.close()
        return out

    def test_chunk_signed_put_and_upload_part(self):
        data = data_of(200 * 1024 + 3)
        status, headers, body = self.put_chunked('s', data)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers['etag'], '"%s"' % hashlib.md5(data).hexdigest())
        self.assertEqual(self.c.get_object(Bucket=self.bucket, Key='s')['Body'].read(), data)
        status, _, body = self.put_chunked('s2', data, tamper=True)
        self.assertEqual(status, 403, body)
        self.assertIn(b'SignatureDoesNotMatch', body)

    def test_chunk_signed_with_checksum_trailer(self):
        data = data_of(100 * 1024)
        status, _, body = self.put_chunked('t', data, trailer=('x-amz-checksum-crc32', checksum('CRC32', data)))
        self.assertEqual(status, 200, body)
        h = self.c.head_object(Bucket=self.bucket, Key='t', ChecksumMode='ENABLED')
        self.assertEqual(h['ChecksumCRC32'], checksum('CRC32', data))
        status, _, body = self.put_chunked('t2', data, trailer=('x-amz-checksum-crc32', checksum('CRC32', b'x')))
        self.assertEqual(status, 400, body)
        self.assertIn(b'BadDigest', body)

    def test_checksum_trailers_of_every_algorithm_are_checked_by_s3(self):
        # The core hands trailing checksums on as headers: CRC32C and CRC64NVME trailers (which
        # the core does not check itself) are checked, and so is a body corrupted after the
        # chunk signatures were checked (the corrupt_body fault).
        data = data_of(70 * 1024)
        for alg in ('CRC32C', 'CRC64NVME'):
            name = 'x-amz-checksum-' + alg.lower()
            status, _, body = self.put_chunked('t-' + alg, data, trailer=(name, checksum(alg, data)))
            self.assertEqual(status, 200, body)
            status, headers, _ = self.put_chunked('t-' + alg, data, trailer=(name, checksum(alg, data[1:])))
            self.assertEqual(status, 400, alg)
            control('POST', 'faults', {'kind': 'corrupt_body', 'service': 's3', 'operation': 'PutObject',
                                       'access_key_id': KEY1[0]})
            status, _, body = self.put_chunked('t-' + alg, data, trailer=(name, checksum(alg, data)))
            self.assertEqual(status, 400, alg)
            self.assertIn(b'BadDigest', body)
            r = self.c.get_object(Bucket=self.bucket, Key='t-' + alg)
            self.assertEqual(r['Body'].read(), data)


class AwsCli(S3Case):
    def aws(self, *args, stdin=None):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY1[0], AWS_SECRET_ACCESS_KEY=KEY1[1],
                   AWS_DEFAULT_REGION='us-east-1', AWS_CONFIG_FILE='/dev/null',
                   AWS_SHARED_CREDENTIALS_FILE='/dev/null', AWS_EC2_METADATA_DISABLED='true')
        env.pop('AWS_PROFILE', None)
        return subprocess.run([AWS, '--endpoint-url', endpoint()] + list(args), input=stdin, env=env,
                              capture_output=True, timeout=120)

    def test_cp_multipart_both_ways_and_ls(self):
        if not os.path.exists(AWS):
            self.skipTest('awscli not installed')
        data = data_of(20 * MiB + 5)
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, 'src.bin')
            with open(src, 'wb') as f:
                f.write(data)
            r = self.aws('s3', 'cp', src, 's3://%s/x/src.bin' % self.bucket)
            self.assertEqual(r.returncode, 0, r.stderr)
            h = self.c.head_object(Bucket=self.bucket, Key='x/src.bin')
            self.assertEqual(h['ContentLength'], len(data))
            self.assertTrue(h['ETag'].endswith('-3"'), h['ETag'])  # awscli: 8 MiB parts
            r = self.aws('s3', 'cp', 's3://%s/x/src.bin' % self.bucket, '-')
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(hashlib.sha256(r.stdout).hexdigest(), hashlib.sha256(data).hexdigest())
            r = self.aws('s3', 'cp', '-', 's3://%s/x/piped.bin' % self.bucket, stdin=data[:9 * MiB])
            self.assertEqual(r.returncode, 0, r.stderr)
            got = self.c.get_object(Bucket=self.bucket, Key='x/piped.bin')['Body'].read()
            self.assertEqual(got, data[:9 * MiB])
            r = self.aws('s3', 'ls', 's3://%s/x/' % self.bucket)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b'src.bin', r.stdout)
            self.assertIn(b'piped.bin', r.stdout)
            r = self.aws('s3', 'rm', '--recursive', 's3://%s/x/' % self.bucket)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn('Contents', self.c.list_objects_v2(Bucket=self.bucket))


def virtual_client():
    """A botocore client in virtual-hosted mode (`bucket.s3.localhost:PORT`), its connections
    sent to the sandbox on 127.0.0.1 with the Host header it signed: no name resolution."""
    cfg = Config(retries={'total_max_attempts': 1}, s3={'addressing_style': 'virtual'})
    c = _session.create_client('s3', region_name='us-east-1', endpoint_url='http://s3.localhost:%d' % PORT,
                               aws_access_key_id=KEY1[0], aws_secret_access_key=KEY1[1], config=cfg)
    hosts = []

    def to_loopback(request, **_):
        scheme, rest = request.url.split('://', 1)
        netloc, _, path = rest.partition('/')
        hosts.append(netloc)
        request.headers['Host'] = netloc
        request.url = '%s://127.0.0.1:%d/%s' % (scheme, PORT, path)

    c.meta.events.register_first('before-send.s3', to_loopback)
    return c, hosts


class VirtualHosted(S3Case):
    def test_host_names_that_address_a_bucket(self):
        from services.s3 import S3
        self.assertEqual(S3.virtual_host_bucket('b1.s3.localhost:8080'), ('b1', 's3.localhost:8080'))
        self.assertEqual(S3.virtual_host_bucket('my.dotted.bucket.s3.us-west-2.amazonaws.com'),
                         ('my.dotted.bucket', 's3.us-west-2.amazonaws.com'))
        self.assertEqual(S3.virtual_host_bucket('b2.s3-eu-west-1.amazonaws.com'), ('b2', 's3-eu-west-1.amazonaws.com'))
        self.assertEqual(S3.virtual_host_bucket('b3.localhost:1'), ('b3', 'localhost:1'))
        for path_style in ('127.0.0.1:8080', 'localhost:8080', 's3.localhost:8080', 's3.us-east-1.amazonaws.com',
                           '[::1]:8080', ''):
            self.assertIsNone(S3.virtual_host_bucket(path_style), path_style)

    def test_objects_listing_and_multipart_through_the_host_header(self):
        v, hosts = virtual_client()
        v.put_object(Bucket=self.bucket, Key='dir/a b.txt', Body=b'hello')
        self.assertEqual(hosts[-1], '%s.s3.localhost:%d' % (self.bucket, PORT))
        # What went in virtual-hosted is where path style finds it, and the reverse.
        self.assertEqual(self.c.get_object(Bucket=self.bucket, Key='dir/a b.txt')['Body'].read(), b'hello')
        self.c.put_object(Bucket=self.bucket, Key='p', Body=b'path')
        self.assertEqual(v.get_object(Bucket=self.bucket, Key='p')['Body'].read(), b'path')
        keys = [o['Key'] for o in v.list_objects_v2(Bucket=self.bucket)['Contents']]
        self.assertEqual(keys, ['dir/a b.txt', 'p'])
        self.assertEqual(v.head_bucket(Bucket=self.bucket)['ResponseMetadata']['HTTPStatusCode'], 200)
        data = data_of(6 * MiB, 7)
        up = v.create_multipart_upload(Bucket=self.bucket, Key='mp')['UploadId']
        e1 = v.upload_part(Bucket=self.bucket, Key='mp', UploadId=up, PartNumber=1, Body=data[:5 * MiB])['ETag']
        e2 = v.upload_part(Bucket=self.bucket, Key='mp', UploadId=up, PartNumber=2, Body=data[5 * MiB:])['ETag']
        v.complete_multipart_upload(Bucket=self.bucket, Key='mp', UploadId=up, MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]})
        self.assertEqual(self.c.get_object(Bucket=self.bucket, Key='mp')['Body'].read(), data)
        v.delete_object(Bucket=self.bucket, Key='p')
        with self.assertRaises(ClientError) as e:
            v.get_object(Bucket='no-such-bucket-here', Key='x')
        self.assertEqual(code_of(e), 'NoSuchBucket')

    def test_a_signature_over_another_host_is_refused(self):
        v, _ = virtual_client()

        def other_host(request, **_):
            request.headers['Host'] = 'other.s3.localhost:%d' % PORT  # after signing: the signed host differs
        v.meta.events.register_last('before-send.s3', other_host)
        with self.assertRaises(ClientError) as e:
            v.put_object(Bucket=self.bucket, Key='k', Body=b'x')
        self.assertEqual(code_of(e), 'SignatureDoesNotMatch')


class StreamedGets(S3Case):
    def test_large_bodies_whole_ranged_and_truncated(self):
        data = data_of(20 * MiB + 12345, 9)
        up = self.c.create_multipart_upload(Bucket=self.bucket, Key='big')['UploadId']
        parts = []
        for n, lo in enumerate(range(0, len(data), 8 * MiB), 1):
            e = self.c.upload_part(Bucket=self.bucket, Key='big', UploadId=up, PartNumber=n,
                                   Body=data[lo:lo + 8 * MiB])['ETag']
            parts.append({'PartNumber': n, 'ETag': e})
        self.c.complete_multipart_upload(Bucket=self.bucket, Key='big', UploadId=up, MultipartUpload={'Parts': parts})
        r = self.c.get_object(Bucket=self.bucket, Key='big')
        self.assertEqual(r['ContentLength'], len(data))
        self.assertEqual(r['Body'].read(), data)
        # A range across part boundaries, large enough to be streamed.
        r = self.c.get_object(Bucket=self.bucket, Key='big', Range='bytes=%d-%d' % (3 * MiB, 19 * MiB))
        self.assertEqual(r['ContentRange'], 'bytes %d-%d/%d' % (3 * MiB, 19 * MiB, len(data)))
        self.assertEqual(r['Body'].read(), data[3 * MiB:19 * MiB + 1])
        # Several reads of the same object at once (the store is read, never copied whole).
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            bodies = list(pool.map(lambda _: s3().get_object(Bucket=self.bucket, Key='big')['Body'].read(), range(4)))
        self.assertTrue(all(b == data for b in bodies))
        control('POST', 'faults', [{'service': 's3', 'operation': 'GetObject', 'kind': 'truncate'}])
        conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=30)
        url = s3(signature_version='s3v4').generate_presigned_url('get_object',
                                                                  Params={'Bucket': self.bucket, 'Key': 'big'})
        conn.request('GET', url.split(str(PORT), 1)[1])
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(int(resp.getheader("Content-Length")), len(data))
        with self.assertRaises(http.client.IncompleteRead) as e:
            resp.read()
        self.assertEqual(len(e.exception.partial), len(data) // 2)
        conn.close()


if __name__ == '__main__':
    unittest.main()
