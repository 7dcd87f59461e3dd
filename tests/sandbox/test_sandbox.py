"""Tests of the sandbox through independent clients: botocore, awscli and raw HTTP.

Uses the sandbox named by $AWSDL_SANDBOX_PORT_FILE (the ctest fixture); without it, starts
its own in a temporary directory."""

import datetime
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

from botocore import UNSIGNED
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from testkit import KEY1, Sandbox  # noqa: E402

KEY2 = ('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
ROLE = 'arn:aws:iam::123456789012:role/trainer'
PORT = None
SANDBOX = Sandbox()
endpoint = SANDBOX.endpoint
control = SANDBOX.request
_session = SANDBOX.session()


def setUpModule():
    global PORT
    SANDBOX.start('sandbox-test-')
    PORT = SANDBOX.port


def tearDownModule():
    SANDBOX.stop()

_clients = []


def client(service='sts', key=KEY1, token=None, **config):
    cfg = Config(retries={'total_max_attempts': 1}, **config)
    c = _session.create_client(service, region_name='us-east-1', endpoint_url=endpoint(),
                               aws_access_key_id=key[0], aws_secret_access_key=key[1],
                               aws_session_token=token, config=cfg)
    _clients.append(c)
    return c


def raw(method, path='/', body=b'', headers=None, sign=KEY1, service='sts', token=None, when=None,
        chunked=False):
    """Sends one request signed (or not) by botocore's signer, over a fresh connection.
    Returns (status, headers dict lower-cased, body bytes)."""
    headers = dict(headers or {})
    headers.setdefault('Host', '127.0.0.1:%d' % PORT)
    if sign is not None:
        req = AWSRequest(method=method, url=endpoint() + path, data=body, headers=headers)
        sign_at(req, Credentials(sign[0], sign[1], token), service, when)
        headers = dict(req.headers.items())
    conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
    try:
        if chunked:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.putheader('Transfer-Encoding', 'chunked')
            conn.endheaders()
            for i in range(0, len(body), 7):
                piece = body[i:i + 7]
                conn.send(b'%x\r\n%s\r\n' % (len(piece), piece))
            conn.send(b'0\r\n\r\n')
        else:
            conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def sign_at(req, creds, service, when=None):
    """botocore's SigV4Auth at an explicit time (add_auth always uses the current time)."""
    signer = SigV4Auth(creds, service, 'us-east-1')
    when = when or datetime.datetime.now(datetime.timezone.utc)
    req.context['timestamp'] = when.strftime('%Y%m%dT%H%M%SZ')
    signer._modify_request_before_signing(req)
    canonical = signer.canonical_request(req)
    signature = signer.signature(signer.string_to_sign(req, canonical), req)
    signer._inject_signature_to_request(req, signature)


FORM = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}


def xml_code(body):
    m = re.search(rb'<Code>([^<]*)</Code>', body)
    return m.group(1).decode() if m else None


class SandboxTest(unittest.TestCase):
    def setUp(self):
        status, _ = control('POST', 'reset')
        self.assertEqual(status, 200)

    def tearDown(self):
        while _clients:
            _clients.pop().close()

    def assertAwsError(self, ctx, code, status=None):
        err = ctx.exception.response
        self.assertEqual(err['Error']['Code'], code, err)
        if status is not None:
            self.assertEqual(err['ResponseMetadata']['HTTPStatusCode'], status)


class AuthAndIdentity(SandboxTest):
    def test_get_caller_identity_with_each_static_key(self):
        for key in (KEY1, KEY2):
            out = client(key=key).get_caller_identity()
            self.assertEqual(out['Account'], '123456789012')
            self.assertEqual(out['Arn'], 'arn:aws:iam::123456789012:user/example')
            self.assertTrue(out['UserId'])
            self.assertTrue(out['ResponseMetadata']['RequestId'])
            self.assertIn('x-amzn-requestid', out['ResponseMetadata']['HTTPHeaders'])

    def test_awscli_get_caller_identity(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY2[0], AWS_SECRET_ACCESS_KEY=KEY2[1],
                   AWS_DEFAULT_REGION='us-east-1', AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED='true', AWS_PAGER='')
        env.pop('AWS_PROFILE', None)
        env.pop('AWS_SESSION_TOKEN', None)
        out = subprocess.run(['/usr/bin/aws', '--endpoint-url', endpoint(), '--output', 'json', 'sts',
                              'get-caller-identity'], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        doc = json.loads(out.stdout)
        self.assertEqual(doc['Account'], '123456789012')
        self.assertEqual(doc['Arn'], 'arn:aws:iam::123456789012:user/example')

    def test_wrong_secret_is_signature_does_not_match(self):
        with self.assertRaises(ClientError) as ctx:
            client(key=(KEY1[0], KEY1[1][:-1] + 'Z')).get_caller_identity()
        self.assertAwsError(ctx, 'SignatureDoesNotMatch', 403)

    def test_tampered_body_is_rejected(self):
        req = AWSRequest(method='POST', url=endpoint() + '/', headers=dict(FORM),
                         data=b'Action=GetCallerIdentity&Version=2011-06-15')
        sign_at(req, Credentials(*KEY1), 'sts')
        headers = dict(req.headers.items())
        conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
        conn.request('POST', '/', body=b'Action=GetCallerIdentity&Version=2011-06-16', headers=headers)
        r = conn.getresponse()
        body = r.read()
        self.assertEqual((r.status, xml_code(body)), (403, 'SignatureDoesNotMatch'))

    def test_unknown_key_is_invalid_client_token_id(self):
        with self.assertRaises(ClientError) as ctx:
            client(key=('AKIAUNKNOWNKEY000000', KEY1[1])).get_caller_identity()
        self.assertAwsError(ctx, 'InvalidClientTokenId', 403)

    def test_unsigned_request_needs_authentication(self):
        status, headers, body = raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM,
                                    sign=None)
        self.assertEqual((status, xml_code(body)), (403, 'MissingAuthenticationToken'))
        self.assertIn('x-amzn-requestid', headers)

    def test_header_auth_with_chunked_transfer_and_keep_alive(self):
        status, _, body = raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM,
                              chunked=True)
        self.assertEqual(status, 200, body)
        self.assertIn(b'<Account>123456789012</Account>', body)
        # Two requests on one connection.
        conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
        for _ in range(2):
            req = AWSRequest(method='POST', url=endpoint() + '/', headers=dict(FORM),
                             data=b'Action=GetCallerIdentity&Version=2011-06-15')
            sign_at(req, Credentials(*KEY1), 'sts')
            conn.request('POST', '/', body=req.body, headers=dict(req.headers.items()))
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertTrue(r.read().startswith(b'<GetCallerIdentityResponse'))
        conn.close()

    def test_content_sha256_must_match_body(self):
        body = b'Action=GetCallerIdentity&Version=2011-06-15'
        headers = dict(FORM, **{'X-Amz-Content-SHA256': hashlib.sha256(b'other').hexdigest()})
        status, _, resp = raw('POST', body=body, headers=headers)
        self.assertEqual((status, xml_code(resp)), (403, 'SignatureDoesNotMatch'))
        headers['X-Amz-Content-SHA256'] = hashlib.sha256(body).hexdigest()
        status, _, resp = raw('POST', body=body, headers=headers)
        self.assertEqual(status, 200, resp)

    def test_presigned_get_and_its_expiry(self):
        url = client().generate_presigned_url('get_caller_identity', ExpiresIn=60, HttpMethod='GET')
        self.assertIn('X-Amz-Signature=', url)
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
        conn.request('GET', parts.path + '?' + parts.query)
        r = conn.getresponse()
        body = r.read()
        self.assertEqual(r.status, 200, body)
        self.assertIn(b'<Arn>arn:aws:iam::123456789012:user/example</Arn>', body)
        # Two minutes later on the server's clock, the 60 s URL has expired.
        control('POST', 'faults', [{'kind': 'skew', 'skew_seconds': 120}])
        conn.request('GET', parts.path + '?' + parts.query)
        r = conn.getresponse()
        body = r.read()
        self.assertEqual((r.status, xml_code(body)), (400, 'RequestExpired'))
        # A tampered presigned URL is refused.
        control('DELETE', 'faults')
        conn.request('GET', parts.path + '?' + parts.query.replace('Version=2011-06-15', 'Version=2011-06-16'))
        r = conn.getresponse()
        self.assertEqual((r.status, xml_code(r.read())), (403, 'SignatureDoesNotMatch'))
        conn.close()

    def test_request_time_skew(self):
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
        status, headers, body = raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM,
                                    when=past)
        self.assertEqual((status, xml_code(body)), (400, 'RequestExpired'))
        self.assertIn('date', headers)
        status, _, _ = raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM,
                           when=past + datetime.timedelta(minutes=10))
        self.assertEqual(status, 200)


class Validation(SandboxTest):
    def post(self, form):
        return raw('POST', body=urllib.parse.urlencode(form).encode(), headers=FORM)

    def test_unknown_parameter(self):
        status, _, body = self.post({'Action': 'GetCallerIdentity', 'Version': '2011-06-15', 'Foo': 'bar'})
        self.assertEqual((status, xml_code(body)), (400, 'ValidationError'), body)
        self.assertIn(b'Foo', body)

    def test_missing_required_parameter(self):
        c = client(parameter_validation=False)
        with self.assertRaises(ClientError) as ctx:
            c.assume_role(RoleArn=ROLE)
        self.assertAwsError(ctx, 'ValidationError', 400)
        self.assertIn('roleSessionName', ctx.exception.response['Error']['Message'])

    def test_wrong_type_and_range(self):
        status, _, body = self.post({'Action': 'AssumeRole', 'Version': '2011-06-15', 'RoleArn': ROLE,
                                     'RoleSessionName': 's', 'DurationSeconds': 'soon'})
        self.assertEqual((status, xml_code(body)), (400, 'ValidationError'), body)
        c = client(parameter_validation=False)
        with self.assertRaises(ClientError) as ctx:
            c.assume_role(RoleArn=ROLE, RoleSessionName='s', DurationSeconds=10)
        self.assertAwsError(ctx, 'ValidationError', 400)
        self.assertIn('greater than or equal to 900', ctx.exception.response['Error']['Message'])

    def test_unknown_action(self):
        status, _, body = self.post({'Action': 'MakeCoffee', 'Version': '2011-06-15'})
        self.assertEqual((status, xml_code(body)), (400, 'InvalidAction'))


class AssumeRoleFlows(SandboxTest):
    def assume(self, **kw):
        return client().assume_role(RoleArn=ROLE, RoleSessionName='job-1', **kw)['Credentials']

    def test_assumed_credentials_work_and_report_the_role(self):
        out = client().assume_role(RoleArn=ROLE, RoleSessionName='job-1', DurationSeconds=900)
        creds = out['Credentials']
        self.assertTrue(creds['AccessKeyId'].startswith('ASIA'))
        self.assertEqual(out['AssumedRoleUser']['Arn'], 'arn:aws:sts::123456789012:assumed-role/trainer/job-1')
        left = creds['Expiration'] - datetime.datetime.now(datetime.timezone.utc)
        self.assertTrue(800 < left.total_seconds() <= 900, left)
        who = client(key=(creds['AccessKeyId'], creds['SecretAccessKey']),
                     token=creds['SessionToken']).get_caller_identity()
        self.assertEqual(who['Arn'], 'arn:aws:sts::123456789012:assumed-role/trainer/job-1')
        self.assertTrue(who['UserId'].endswith(':job-1'))

    def test_session_token_is_checked(self):
        creds = self.assume()
        key = (creds['AccessKeyId'], creds['SecretAccessKey'])
        with self.assertRaises(ClientError) as ctx:
            client(key=key).get_caller_identity()
        self.assertAwsError(ctx, 'InvalidClientTokenId', 403)
        with self.assertRaises(ClientError) as ctx:
            client(key=key, token=creds['SessionToken'][:-4] + 'AAAA').get_caller_identity()
        self.assertAwsError(ctx, 'InvalidClientTokenId', 403)
        with self.assertRaises(ClientError) as ctx:
            client(token='sometoken').get_caller_identity()  # a static key with a token
        self.assertAwsError(ctx, 'InvalidClientTokenId', 403)

    def test_expired_credentials(self):
        creds = self.assume()
        status, doc = control('POST', 'services/sts/expire', {'access_key_id': creds['AccessKeyId']})
        self.assertEqual((status, doc), (200, {'expired': 1}))
        with self.assertRaises(ClientError) as ctx:
            client(key=(creds['AccessKeyId'], creds['SecretAccessKey']),
                   token=creds['SessionToken']).get_caller_identity()
        self.assertAwsError(ctx, 'ExpiredToken', 403)

    def test_role_chaining_limit_and_bad_arn(self):
        creds = self.assume()
        chained = client(key=(creds['AccessKeyId'], creds['SecretAccessKey']), token=creds['SessionToken'])
        out = chained.assume_role(RoleArn='arn:aws:iam::123456789012:role/other', RoleSessionName='hop')
        self.assertIn('assumed-role/other/hop', out['AssumedRoleUser']['Arn'])
        with self.assertRaises(ClientError) as ctx:
            chained.assume_role(RoleArn=ROLE, RoleSessionName='hop', DurationSeconds=7200)
        self.assertAwsError(ctx, 'ValidationError')
        with self.assertRaises(ClientError) as ctx:
            client().assume_role(RoleArn='arn:aws:iam::123456789012:user/not-a-role', RoleSessionName='xx')
        self.assertAwsError(ctx, 'ValidationError')

    def test_web_identity_is_unsigned_and_returns_credentials(self):
        jwt = 'eyJhbGciOiJub25lIn0.' + 'eyJzdWIiOiJzeXN0ZW06c2EiLCJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZSJ9' + '.sig'
        anon = _session.create_client('sts', region_name='us-east-1', endpoint_url=endpoint(),
                                      config=Config(signature_version=UNSIGNED, retries={'total_max_attempts': 1}))
        _clients.append(anon)
        out = anon.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName='pod', WebIdentityToken=jwt + '\n')
        self.assertEqual(out['SubjectFromWebIdentityToken'], 'system:sa')
        self.assertEqual(out['Provider'], 'https://oidc.example')
        creds = out['Credentials']
        who = client(key=(creds['AccessKeyId'], creds['SecretAccessKey']),
                     token=creds['SessionToken']).get_caller_identity()
        self.assertEqual(who['Arn'], 'arn:aws:sts::123456789012:assumed-role/trainer/pod')
        with self.assertRaises(ClientError) as ctx:
            anon.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName='pod', WebIdentityToken='invalid-tok')
        self.assertAwsError(ctx, 'InvalidIdentityToken', 400)
        # Only operations AWS serves unsigned may come unsigned.
        with self.assertRaises(ClientError) as ctx:
            anon.assume_role(RoleArn=ROLE, RoleSessionName='xx')
        self.assertAwsError(ctx, 'MissingAuthenticationToken', 403)


class Faults(SandboxTest):
    def call(self):
        return client().get_caller_identity()

    def test_error_rule_with_count_and_operation_filter(self):
        status, doc = control('POST', 'faults', [{'service': 'sts', 'operation': 'GetCallerIdentity',
                                                  'kind': 'error', 'code': 'Throttling', 'status': 400,
                                                  'count': 2}])
        self.assertEqual(status, 200)
        self.assertEqual(doc['faults'][0]['count'], 2)
        client().assume_role(RoleArn=ROLE, RoleSessionName='xx')  # another operation: unaffected
        for _ in range(2):
            with self.assertRaises(ClientError) as ctx:
                self.call()
            self.assertAwsError(ctx, 'Throttling', 400)
        self.call()  # count used up
        _, doc = control('GET', 'faults')
        self.assertEqual((doc['faults'][0]['count'], doc['faults'][0]['applied']), (0, 2))

    def test_server_errors_and_probability(self):
        control('POST', 'faults', [{'kind': 'error', 'code': 'ServiceUnavailable', 'status': 503,
                                    'probability': 1.0}])
        for _ in range(3):
            with self.assertRaises(ClientError) as ctx:
                self.call()
            self.assertAwsError(ctx, 'ServiceUnavailable', 503)
        control('DELETE', 'faults')
        control('POST', 'faults', {'kind': 'error'})
        with self.assertRaises(ClientError) as ctx:
            self.call()
        self.assertAwsError(ctx, 'InternalError', 500)
        control('POST', 'faults', {'kind': 'error', 'probability': 0.0})
        self.call()

    def test_retry_after(self):
        control('POST', 'faults', [{'kind': 'retry_after', 'retry_after_ms': 1500}])
        with self.assertRaises(ClientError) as ctx:
            self.call()
        self.assertAwsError(ctx, 'Throttling', 400)
        self.assertEqual(ctx.exception.response['ResponseMetadata']['HTTPHeaders']['x-amz-retry-after'], '1500')

    def test_delay(self):
        control('POST', 'faults', [{'kind': 'delay', 'delay_ms': 400}])
        t0 = time.monotonic()
        self.call()
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)
        t0 = time.monotonic()
        self.call()
        self.assertLess(time.monotonic() - t0, 0.4)

    def test_reset_closes_without_answer(self):
        control('POST', 'faults', [{'kind': 'reset'}])
        with self.assertRaises((ConnectionError, http.client.RemoteDisconnected)):
            raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM)
        status, _, _ = raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM)
        self.assertEqual(status, 200)
        _, doc = control('GET', 'requests?operation=GetCallerIdentity')
        self.assertEqual([e['fault'] for e in doc['requests']], ['reset', None])

    def test_reset_after_the_operation_ran(self):
        control('POST', 'faults', [{'service': 'sts', 'operation': 'AssumeRole', 'kind': 'reset', 'when': 'after'}])
        form = urllib.parse.urlencode({'Action': 'AssumeRole', 'Version': '2011-06-15', 'RoleArn': ROLE,
                                       'RoleSessionName': 'lost'}).encode()
        with self.assertRaises((ConnectionError, http.client.RemoteDisconnected)):
            raw('POST', body=form, headers=FORM)
        _, doc = control('GET', 'requests?operation=AssumeRole')
        self.assertEqual([(e['status'], e['fault'], e['error_code']) for e in doc['requests']],
                         [(200, 'reset', None)])

    def test_truncate(self):
        control('POST', 'faults', [{'kind': 'truncate'}])
        with self.assertRaises(http.client.IncompleteRead) as ctx:
            raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM)
        self.assertGreater(ctx.exception.expected, 0)
        self.assertGreater(len(ctx.exception.partial), 0)

    def test_skew_shows_server_time(self):
        control('POST', 'faults', [{'kind': 'skew', 'skew_seconds': 3600}])
        with self.assertRaises(ClientError) as ctx:
            self.call()
        self.assertAwsError(ctx, 'RequestExpired', 400)
        server_date = ctx.exception.response['ResponseMetadata']['HTTPHeaders']['date']
        import email.utils
        offset = email.utils.parsedate_to_datetime(server_date) - datetime.datetime.now(datetime.timezone.utc)
        self.assertAlmostEqual(offset.total_seconds(), 3600, delta=30)
        # A client that corrects its clock by the offset gets through while the skew lasts.
        later = datetime.datetime.now(datetime.timezone.utc) + offset
        status, _, _ = raw('POST', body=b'Action=GetCallerIdentity&Version=2011-06-15', headers=FORM, when=later)
        self.assertEqual(status, 200)

    def test_endless_token_keeps_paging(self):
        control('POST', 'faults', [{'service': 'cloudformation', 'operation': 'DescribeStacks',
                                    'kind': 'endless_token'}])
        cfn = client('cloudformation')
        tokens = []
        kwargs = {}
        for _ in range(4):
            page = cfn.describe_stacks(**kwargs)
            tokens.append(page['NextToken'])
            kwargs = {'NextToken': page['NextToken']}
        self.assertEqual(len(set(tokens)), 4, tokens)
        control('DELETE', 'faults')
        control('POST', 'faults', [{'kind': 'endless_token', 'repeat': True, 'service': 'ecr'}])
        ecr = client('ecr')
        first = ecr.describe_repositories()['nextToken']
        self.assertEqual(ecr.describe_repositories(nextToken=first)['nextToken'], first)
        s3 = client('s3')
        s3.create_bucket(Bucket='endless')
        control('POST', 'faults', [{'kind': 'endless_token', 'service': 's3', 'operation': 'ListObjectsV2'}])
        page = s3.list_objects_v2(Bucket='endless')
        self.assertTrue(page['IsTruncated'])
        self.assertTrue(page['NextContinuationToken'])
        self.assertTrue(s3.list_objects_v2(Bucket='endless', ContinuationToken=page['NextContinuationToken'])
                        ['IsTruncated'])

    def test_ignore_range_answers_the_whole_object(self):
        s3 = client('s3')
        s3.create_bucket(Bucket='ranges')
        s3.put_object(Bucket='ranges', Key='k', Body=b'0123456789')
        got = s3.get_object(Bucket='ranges', Key='k', Range='bytes=2-4')
        self.assertEqual((got['ResponseMetadata']['HTTPStatusCode'], got['Body'].read()), (206, b'234'))
        control('POST', 'faults', [{'kind': 'ignore_range', 'service': 's3', 'operation': 'GetObject'}])
        got = s3.get_object(Bucket='ranges', Key='k', Range='bytes=2-4')
        self.assertEqual((got['ResponseMetadata']['HTTPStatusCode'], got['Body'].read()), (200, b'0123456789'))
        _, doc = control('GET', 'requests?operation=GetObject')
        self.assertEqual([e['fault'] for e in doc['requests']], [None, 'ignore_range'])

    def test_drop_checksum_after_skip_answers_without_the_checksums(self):
        s3 = client('s3')
        s3.create_bucket(Bucket='sums')
        s3.put_object(Bucket='sums', Key='k', Body=b'0123456789', ChecksumAlgorithm='CRC32')
        control('POST', 'faults', [{'kind': 'drop_checksum', 'service': 's3', 'operation': 'HeadObject',
                                    'skip': 1, 'count': 1}])
        sums = [s3.head_object(Bucket='sums', Key='k', ChecksumMode='ENABLED').get('ChecksumCRC32')
                for _ in range(3)]
        # Let through once, applied once, then spent.
        self.assertEqual([bool(x) for x in sums], [True, False, True])
        self.assertEqual(sums[0], sums[2])
        _, doc = control('GET', 'requests?operation=HeadObject')
        self.assertEqual([e['fault'] for e in doc['requests']], [None, 'drop_checksum', None])

    def test_bad_rules_are_refused(self):
        for rule in ({'kind': 'explode'}, {'kind': 'error', 'colour': 'red'}, 'nonsense',
                     {'kind': 'error', 'probability': 2}, {'kind': 'drop_checksum', 'skip': -1},
                     {'kind': 'error', 'skip': 'one'}):
            status, doc = control('POST', 'faults', [rule])
            self.assertEqual(status, 400, rule)
            self.assertIn('error', doc)
        self.assertEqual(control('GET', 'faults')[1], {'faults': []})


class RequestLogTest(SandboxTest):
    def test_log_records_requests_without_secrets(self):
        creds = client().assume_role(RoleArn=ROLE, RoleSessionName='job')['Credentials']
        tmp = client(key=(creds['AccessKeyId'], creds['SecretAccessKey']), token=creds['SessionToken'])
        tmp.get_caller_identity()
        url = tmp.generate_presigned_url('get_caller_identity', HttpMethod='GET')
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
        conn.request('GET', parts.path + '?' + parts.query)
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        with self.assertRaises(ClientError):
            client(key=(KEY1[0], 'not-the-secret')).get_caller_identity()
        status, doc = control('GET', 'requests')
        self.assertEqual(status, 200)
        log = doc['requests']
        self.assertEqual([(e['service'], e['operation'], e['status'], e['error_code']) for e in log],
                         [('sts', 'AssumeRole', 200, None), ('sts', 'GetCallerIdentity', 200, None),
                          ('sts', 'GetCallerIdentity', 200, None),
                          ('sts', 'GetCallerIdentity', 403, 'SignatureDoesNotMatch')])
        self.assertEqual(log[0]['params'], {'RoleArn': ROLE, 'RoleSessionName': 'job'})
        self.assertIn('authorization', log[0]['headers'])
        self.assertEqual(log[1]['access_key_id'], creds['AccessKeyId'])
        self.assertIn('X-Amz-Signature=REDACTED', log[2]['query'])
        self.assertIn('X-Amz-Security-Token=REDACTED', log[2]['query'])
        text = json.dumps(doc)
        presigned_sig = urllib.parse.parse_qs(parts.query)['X-Amz-Signature'][0]
        for secret in (KEY1[1], KEY2[1], creds['SecretAccessKey'], creds['SessionToken'], presigned_sig,
                       'not-the-secret'):
            self.assertNotIn(secret, text)
        self.assertNotIn(urllib.parse.quote(creds['SessionToken'], safe=''), text)
        # since / filters, then DELETE.
        _, doc = control('GET', 'requests?since=%d&operation=GetCallerIdentity' % log[1]['id'])
        self.assertEqual([e['id'] for e in doc['requests']], [log[2]['id'], log[3]['id']])
        self.assertEqual(control('DELETE', 'requests')[0], 200)
        self.assertEqual(control('GET', 'requests')[1], {'requests': []})

    def test_a_request_answered_after_a_clear_is_not_logged(self):
        # A delay fault outlives the call that met it (its client gave up): the answer comes after
        # the next test cleared the log, and must not appear in that test's log.
        control('POST', 'faults', [{'kind': 'delay', 'delay_ms': 1500}])
        late = threading.Thread(target=lambda: raw('POST', '/', b'Action=GetCallerIdentity&Version=2011-06-15',
                                                   {'Content-Type': 'application/x-www-form-urlencoded'}))
        late.start()
        for _ in range(100):   # until the sandbox holds the request
            if control('GET', 'faults')[1]['faults'][0]['applied'] == 1:
                break
            time.sleep(0.02)
        self.assertEqual(control('GET', 'faults')[1]['faults'][0]['applied'], 1)
        self.assertEqual(control('DELETE', 'requests')[0], 200)
        client().get_caller_identity()
        late.join(10)
        self.assertFalse(late.is_alive())
        log = control('GET', 'requests')[1]['requests']
        self.assertEqual([(e['operation'], e['fault']) for e in log], [('GetCallerIdentity', None)])
        # The same across a reset.
        control('DELETE', 'faults')
        control('POST', 'faults', [{'kind': 'delay', 'delay_ms': 1500}])
        late = threading.Thread(target=lambda: client().get_caller_identity())
        late.start()
        for _ in range(100):
            if control('GET', 'faults')[1]['faults'][0]['applied'] == 1:
                break
            time.sleep(0.02)
        self.assertEqual(control('GET', 'faults')[1]['faults'][0]['applied'], 1)
        self.assertEqual(control('POST', 'reset')[0], 200)
        late.join(10)
        self.assertEqual(control('GET', 'requests')[1]['requests'], [])

    def test_health_and_unknown_control_path(self):
        status, doc = control('GET', 'health')
        self.assertEqual(status, 200)
        self.assertTrue(doc['ok'])
        self.assertIn('sts', doc['services'])
        self.assertEqual(control('GET', 'nothing-here')[0], 404)


class StreamingSignatures(unittest.TestCase):
    """S3's aws-chunked signatures, checked against the worked example in the S3 API reference
    (no S3 service needed: the verifier is called directly)."""

    def setUp(self):
        path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), 'shared', 'data',
                            's3-sigv4-examples.json')
        path = os.environ.get('AWSDL_S3_EXAMPLES', path)
        if not os.path.exists(path):
            path = '/work/shared/data/s3-sigv4-examples.json'
        with open(path) as f:
            self.ex = json.load(f)

    def build(self, chunk_sigs=None, data_byte=b'a'):
        from protocols.common import HttpRequest
        put = self.ex['streaming_put']
        sigs = chunk_sigs or put['chunk_signatures']
        body = b''
        for size, sig in zip(put['chunk_sizes'], sigs):
            body += b'%x;chunk-signature=%s\r\n' % (size, sig.encode()) + data_byte * size + b'\r\n'
        headers = [('Host', put['host']), ('x-amz-date', '20130524T000000Z')] + \
            [(k, v) for k, v in put['headers'].items()]
        auth = ('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, '
                'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;'
                'x-amz-decoded-content-length;x-amz-storage-class, Signature=%s' % put['seed_signature'])
        headers.append(('Authorization', auth))
        return HttpRequest('PUT', put['path'], headers, body)

    def verify(self, req):
        from core.identity import IdentityStore
        from core.sigv4_verify import extract, verify
        now = datetime.datetime(2013, 5, 24, 0, 1, tzinfo=datetime.timezone.utc)
        return verify(req, extract(req), IdentityStore(), now)

    def test_worked_example_decodes(self):
        ident, body, headers = self.verify(self.build())
        self.assertEqual(ident.access_key_id, 'AKIAIOSFODNN7EXAMPLE')
        self.assertEqual(body, b'a' * 66560)
        self.assertNotIn('content-encoding', [k.lower() for k, _ in headers])

    def test_bad_chunk_signature_or_data_is_rejected(self):
        from core.sigv4_verify import AuthFailure
        sigs = list(self.ex['streaming_put']['chunk_signatures'])
        sigs[1] = sigs[1][:-1] + ('0' if sigs[1][-1] != '0' else '1')
        with self.assertRaises(AuthFailure) as ctx:
            self.verify(self.build(chunk_sigs=sigs))
        self.assertEqual(ctx.exception.kind, 'bad_signature')
        with self.assertRaises(AuthFailure) as ctx:
            self.verify(self.build(data_byte=b'b'))
        self.assertEqual(ctx.exception.kind, 'bad_signature')


if __name__ == '__main__':
    unittest.main()
