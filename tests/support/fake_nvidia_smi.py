#!/usr/bin/python3
"""A fake nvidia-smi for sandbox nodes: asks the sandbox how many GPUs the instance holding this
node has (POST /_sandbox/services/ec2/gpus {"address": the node's address, the third field of
$SSH_CONNECTION}), so chaos ("lose-gpu") is controlled in the sandbox alone.

    AWSDL_SANDBOX_ENDPOINT=http://127.0.0.1:PORT fake_nvidia_smi.py -L
    ... --query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits

Tests install a two-line wrapper that sets the endpoint (a node's sshd passes no environment)."""
import json
import os
import sys
import urllib.request


def gpus():
    endpoint = os.environ.get('AWSDL_SANDBOX_ENDPOINT', '')
    address = (os.environ.get('SSH_CONNECTION', '').split() + ['', '', ''])[2]
    req = urllib.request.Request(endpoint.rstrip('/') + '/_sandbox/services/ec2/gpus',
                                 data=json.dumps({'address': address}).encode(), method='POST',
                                 headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)['gpus']


def main(argv):
    try:
        n = gpus()
    except Exception as e:  # noqa: BLE001 - like a broken driver: a message and status 9
        print('NVIDIA-SMI has failed: %s' % e, file=sys.stderr)
        return 9
    args = ' '.join(argv)
    if '-L' in argv:
        for i in range(n):
            print('GPU %d: Tesla V100-SXM2-16GB (UUID: GPU-%d)' % (i, i))
        return 0
    if '--query-gpu' in args:
        for i in range(n):
            print('%d, 0, 10, 16384' % i)
        return 0
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
