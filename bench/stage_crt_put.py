#!/usr/bin/python3
"""Uploads one file (or downloads one object) with python3-awscrt's S3 client (aws-c-s3: parallel
multipart uploads and ranged GETs in C), for bench/stage_compare.sh.

usage: stage_crt_put.py put|get FILE s3://BUCKET/KEY ENDPOINT PART_SIZE_BYTES
Credentials and region come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION.
ENDPOINT is http://127.0.0.1:PORT (plain http: the sandbox). Exit 0 on a 2xx answer.
Exit 3 when awscrt is not installed (the caller skips the comparison)."""

import os
import sys

try:
    from awscrt.auth import AwsCredentialsProvider
    from awscrt.http import HttpHeaders, HttpRequest
    from awscrt.io import ClientBootstrap, DefaultHostResolver, EventLoopGroup
    from awscrt.s3 import S3Client, S3RequestTlsMode, S3RequestType
except ImportError as e:
    print('python3-awscrt is not installed: %s' % e, file=sys.stderr)
    sys.exit(3)


def main(argv):
    if len(argv) != 6 or argv[1] not in ('put', 'get'):
        print(__doc__, file=sys.stderr)
        return 2
    op, path, uri, endpoint, part_size = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    bucket, _, key = uri[len('s3://'):].partition('/')
    host = endpoint.split('://', 1)[1].rstrip('/')
    elg = EventLoopGroup()
    bootstrap = ClientBootstrap(elg, DefaultHostResolver(elg))
    creds = AwsCredentialsProvider.new_static(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY'])
    client = S3Client(bootstrap=bootstrap, region=os.environ.get('AWS_REGION', 'us-east-1'),
                      tls_mode=S3RequestTlsMode.DISABLED, credential_provider=creds, part_size=part_size,
                      throughput_target_gbps=10)
    headers = HttpHeaders([('Host', host)])
    status = {}

    def on_headers(status_code, headers, **_):
        status['code'] = status_code

    if op == 'put':
        headers.add('Content-Length', str(os.path.getsize(path)))
        headers.add('Content-Type', 'application/x-tar')
        request = HttpRequest('PUT', '/%s/%s' % (bucket, key), headers)
        req = client.make_request(request=request, type=S3RequestType.PUT_OBJECT, send_filepath=path,
                                  on_headers=on_headers)
    else:
        request = HttpRequest('GET', '/%s/%s' % (bucket, key), headers)
        req = client.make_request(request=request, type=S3RequestType.GET_OBJECT, recv_filepath=path,
                                  on_headers=on_headers)
    try:
        req.finished_future.result(3600)
    except Exception as e:  # the CRT reports failures as exceptions carrying the error name
        print('awscrt %s failed: %s (HTTP %s)' % (op, e, status.get('code')), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
