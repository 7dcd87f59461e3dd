#!/usr/bin/env python3
"""Starts and stops moto's server for the conformance tests, and asks it what it lacks.

moto (https://github.com/getmoto/moto) is an AWS emulator nobody on this project wrote: the
conformance tests run the example programs against it as a second opinion on the wire
formats. Run this with the python3 that has moto (tests/CMakeLists.txt finds it).

  moto_ctl.py start --state DIR    serves on 127.0.0.1, a free port, daemonised; writes
                                   DIR/moto.port, DIR/moto.pid, DIR/moto.gaps.json, log in
                                   DIR/moto.log; exits 0 once the server answers
  moto_ctl.py stop --state DIR     stops exactly that pid (SIGTERM, then SIGKILL)
  moto_ctl.py call --port N SERVICE OPERATION [JSON]
                                   one call with boto3 (an independent client): prints the
                                   answer as JSON (a streamed body as its length, SHA-256
                                   and first bytes in hex)
  moto_ctl.py call --port N - - '[[SERVICE, OPERATION, {...}], ...]'
                                   several calls in one process: a JSON list of answers
  moto_ctl.py serve --port-file F  the server itself, in the foreground (what start runs)

moto.gaps.json maps the name of each known gap of moto (something AWS does that this moto
does not) to a sentence naming it, or to null when this moto has it right. Every gap is
probed on the running server with boto3 right after it starts, so a newer moto that fills a
gap lets the test that needed it run. The server is reset after the probes: the tests start
from moto's initial state, and nothing outlives the fixture (state is in memory only).
"""

import base64
import datetime
import hashlib
import json
import os
import signal
import sys
import threading
import urllib.request

import server_process  # tests/support, next to this script

HERE = os.path.abspath(__file__)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0
MAX_LIFETIME = 3 * 3600  # an orphaned server goes away on its own

# The example keys of the AWS documentation; moto accepts any.
ACCESS_KEY_ID = 'AKIDEXAMPLE'
SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
REGION = 'us-east-1'
# The public parameter the shipped cluster.ini resolves the image from (as on AWS).
DLAMI_PARAMETER = '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id'


def _paths(state):
    return {name: os.path.join(state, 'moto.' + name) for name in ('port', 'pid', 'log', 'gaps.json')}


def _is_ours(pid):
    """True when pid runs this script's server (so a recycled pid is never killed)."""
    return server_process.runs(pid, HERE, 'serve')


def _post(port, path, timeout=5.0):
    req = urllib.request.Request('http://127.0.0.1:%d%s' % (port, path), data=b'', method='POST')
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def _reset(port):
    """True when the server answered a state reset the way moto does."""
    try:
        return json.loads(_post(port, '/moto-api/reset', timeout=2.0)).get('status') == 'ok'
    except (OSError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# serve


def serve(port_file):
    from moto.server import ThreadedMotoServer  # moto's own server, as `python3 -m moto.server` runs it

    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ['MOTO_PORT'] = str(port)  # moto builds some URLs (SQS queues) from it
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with open(port_file, 'w') as f:
        f.write('%d\n' % port)
    print('moto %s serving on http://%s:%d' % (_moto_version(), host, port), flush=True)
    done.wait(MAX_LIFETIME)
    # Everything moto holds is in this process's memory: nothing to flush, and a normal
    # interpreter exit (moto's threads and exit hooks) takes seconds.
    sys.stdout.flush()
    os._exit(0)


def _moto_version():
    import moto
    return moto.__version__


# ---------------------------------------------------------------------------------------------
# start / stop


def stop(state):
    p = _paths(state)
    pid = server_process.stop(p['pid'], _is_ours, STOP_TIMEOUT)
    if pid is not None:
        print('moto pid %d stopped' % pid)
    else:
        print('no moto server running for %s' % state)
    server_process.remove(p['port'], p['pid'], p['port'] + '.tmp', p['gaps.json'])
    return 0


def start(state):
    try:
        version = _moto_version()
    except ImportError as e:
        sys.stderr.write('moto is not importable by %s (%s): the conformance tests need it\n' % (sys.executable, e))
        return 1
    os.makedirs(state, exist_ok=True)
    p = _paths(state)
    old = server_process.read_int(p['pid'])
    if old is not None and server_process.alive(old) and _is_ours(old):
        stop(state)  # a leftover from an interrupted run
    server_process.remove(p['port'], p['pid'], p['port'] + '.tmp', p['gaps.json'])
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', PYTHONUNBUFFERED='1')
    # Whatever the caller points AWS clients at, the server itself calls nothing.
    for k in list(env):
        if k.startswith('AWS_'):
            del env[k]
    gaps = {}

    def probe_and_reset(port):
        try:
            gaps.update(probe_gaps(port))
        except Exception as e:  # a probe that cannot run is a failed start, said plainly
            sys.stderr.write('probing moto %s for its known gaps failed: %r\n' % (version, e))
            return False
        if not _reset(port):
            return False
        with open(p['gaps.json'], 'w') as f:
            json.dump(gaps, f, indent=1, sort_keys=True)
        return True

    started = server_process.start(
        [sys.executable, HERE, 'serve', '--port-file', p['port'] + '.tmp'],
        name='moto', log_file=p['log'], pid_file=p['pid'], port_file=p['port'], cwd=state, env=env,
        ready=_reset, timeout=START_TIMEOUT, poll=0.1, on_ready=probe_and_reset)
    if started is None:
        return 1
    print('moto %s pid %d on http://127.0.0.1:%d' % ((version,) + started))
    for name, why in sorted(gaps.items()):
        if why:
            print('  gap %s: %s' % (name, why))
    return 0


# ---------------------------------------------------------------------------------------------
# boto3 against the server


def _client(port, service):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url='http://127.0.0.1:%d' % port, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                        config=Config(retries={'total_max_attempts': 1}, s3={'addressing_style': 'path'}))


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items() if k != 'ResponseMetadata'}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if hasattr(v, 'read'):  # a streamed body
        data = v.read()
        return {'length': len(data), 'sha256': hashlib.sha256(data).hexdigest(), 'head': data[:16].hex()}
    return v


def _call(port, service, operation, params):
    """One boto3 call: {"ok": answer} or {"error": {"code", "message", "status"}}."""
    from botocore.exceptions import ClientError
    client = _client(port, service)
    try:
        return {'ok': _jsonable(getattr(client, operation)(**params))}
    except ClientError as e:
        return {'error': {'code': e.response.get('Error', {}).get('Code', ''),
                          'message': e.response.get('Error', {}).get('Message', ''),
                          'status': e.response.get('ResponseMetadata', {}).get('HTTPStatusCode', 0)}}


def call(port, service, operation, params):
    """Prints the JSON of one call, or with service "-" a list of the JSON of each call of
    `params`, a list of [service, operation, params] (one process for several calls)."""
    if service == '-':
        out = [_call(port, s, o, p) for s, o, p in params]
    else:
        out = _call(port, service, operation, params)
    print(json.dumps(out, sort_keys=True))
    return 0


# ---------------------------------------------------------------------------------------------
# The known gaps: each probe does on the server what AWS does (per botocore's models and the
# AWS documentation) and returns a sentence naming what this moto does instead, or None.


def _failure(e):
    """How a boto3 call failed, in a few words."""
    response = getattr(e, 'response', None)
    if isinstance(response, dict) and response.get('Error'):
        err = response['Error']
        status = response.get('ResponseMetadata', {}).get('HTTPStatusCode', '?')
        if str(err.get('Code')) == str(status):  # no AWS error code, only a status
            return 'HTTP %s' % status
        return '%s (HTTP %s): %s' % (err.get('Code', ''), status, str(err.get('Message', '')).rstrip('.'))
    # moto's internal errors are HTTP 500 with an HTML page, which botocore cannot parse
    return 'HTTP 500 with an HTML error page' if 'HTML' in str(e) or '<html' in str(e) else repr(e)


def _create_stack_failure(cfn, name, template, parameters=()):
    """None when CreateStack succeeded (and the stack completed), else how it failed."""
    try:
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template), Parameters=list(parameters))
    except Exception as e:
        return _failure(e)
    status = cfn.describe_stacks(StackName=name)['Stacks'][0]['StackStatus']
    return None if status == 'CREATE_COMPLETE' else 'stack %s' % status


def _vpc(cidr):
    return {'Type': 'AWS::EC2::VPC', 'Properties': {'CidrBlock': cidr}}


def gap_ssm_public_parameter(port, v):
    try:
        _client(port, 'ssm').get_parameter(Name=DLAMI_PARAMETER)
        return None
    except Exception as e:
        why = _failure(e).split(':')[0]
    return ('moto %s has no SSM public parameters for the Deep Learning AMI (GetParameter %s: %s), so its '
            'CloudFormation cannot resolve an AWS::SSM::Parameter::Value<AWS::EC2::Image::Id> parameter'
            % (v, DLAMI_PARAMETER, why))


def gap_cfn_delete_vpc(port, v):
    """DeleteStack of a VPC with a route table and a NAT gateway, as a cluster stack has."""
    cfn = _client(port, 'cloudformation')
    ec2 = _client(port, 'ec2')
    template = {'Resources': {
        'Vpc': _vpc('10.8.0.0/16'),
        'Subnet': {'Type': 'AWS::EC2::Subnet', 'Properties': {'VpcId': {'Ref': 'Vpc'}, 'CidrBlock': '10.8.0.0/24'}},
        'Eip': {'Type': 'AWS::EC2::EIP', 'Properties': {'Domain': 'vpc'}},
        'Nat': {'Type': 'AWS::EC2::NatGateway', 'Properties': {
            'SubnetId': {'Ref': 'Subnet'}, 'AllocationId': {'Fn::GetAtt': ['Eip', 'AllocationId']}}},
        'Routes': {'Type': 'AWS::EC2::RouteTable', 'Properties': {'VpcId': {'Ref': 'Vpc'}}}}}
    name = 'awsdl-probe-delete'
    why = _create_stack_failure(cfn, name, template)
    if why is not None:
        return "moto %s's CloudFormation cannot create a VPC with a NAT gateway and a route table (%s)" % (v, why)
    resources = {r['LogicalResourceId']: r['PhysicalResourceId']
                 for r in cfn.describe_stack_resources(StackName=name)['StackResources'] if 'LogicalResourceId' in r}
    problems = []
    try:
        cfn.delete_stack(StackName=name)
    except Exception as e:
        problems.append('DeleteStack answers ' + _failure(e))
    nats = ec2.describe_nat_gateways(NatGatewayIds=[resources['Nat']])['NatGateways']
    if any(n['State'] not in ('deleting', 'deleted') for n in nats):
        problems.append('its NAT gateway is left %s' % nats[0]['State'])
    tables = ec2.describe_route_tables(Filters=[{'Name': 'route-table-id', 'Values': [resources['Routes']]}])
    if tables['RouteTables']:
        problems.append('its route table is left')
    if not problems:
        return None
    return ("moto %s's CloudFormation cannot delete AWS::EC2::NatGateway and AWS::EC2::RouteTable resources: "
            'for a stack with a VPC, %s' % (v, '; '.join(problems)))


def _training_job(sm, name, metrics):
    sm.create_training_job(
        TrainingJobName=name, RoleArn='arn:aws:iam::123456789012:role/SageMakerRole',
        AlgorithmSpecification={'TrainingImage': '123456789012.dkr.ecr.us-east-1.amazonaws.com/probe:v1',
                                'TrainingInputMode': 'File', 'MetricDefinitions': metrics},
        OutputDataConfig={'S3OutputPath': 's3://awsdl-probe/output/'},
        ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 30},
        StoppingCondition={'MaxRuntimeInSeconds': 3600})


def gap_sagemaker_stop_training_job(port, v):
    sm = _client(port, 'sagemaker')
    _training_job(sm, 'awsdl-probe-stop', [])
    try:
        sm.stop_training_job(TrainingJobName='awsdl-probe-stop')
        return None
    except Exception as e:
        return 'moto %s does not implement sagemaker:StopTrainingJob (it answers %s)' % (v, _failure(e))


def gap_sagemaker_metric_definitions(port, v):
    sm = _client(port, 'sagemaker')
    wanted = [{'Name': 'loss', 'Regex': 'loss=([0-9.]+)'}]
    _training_job(sm, 'awsdl-probe-metrics', wanted)
    got = sm.describe_training_job(TrainingJobName='awsdl-probe-metrics')['AlgorithmSpecification'].get(
        'MetricDefinitions', [])
    if got == wanted:
        return None
    return ("moto %s's DescribeTrainingJob answers its own MetricDefinitions (%s) instead of the job's"
            % (v, ', '.join(m.get('Name', '?') for m in got) or 'none'))


GAPS = {
    'ssm_public_parameter': gap_ssm_public_parameter,
    'cfn_delete_vpc': gap_cfn_delete_vpc,
    'sagemaker_stop_training_job': gap_sagemaker_stop_training_job,
    'sagemaker_metric_definitions': gap_sagemaker_metric_definitions,
}


def probe_gaps(port):
    v = _moto_version()
    return {name: probe(port, v) for name, probe in GAPS.items()}


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    ap, sub = server_process.command_line(__doc__, 'moto.port, moto.pid, moto.log, moto.gaps.json')
    p = sub.add_parser('serve')
    p.add_argument('--port-file', required=True)
    p = sub.add_parser('call')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('service')
    p.add_argument('operation', help="boto3's name: get_caller_identity, head_object, ...")
    p.add_argument('params', nargs='?', default='{}', help='the parameters, a JSON object')
    args = ap.parse_args(argv)
    if args.cmd == 'start':
        return start(os.path.abspath(args.state))
    if args.cmd == 'stop':
        return stop(os.path.abspath(args.state))
    if args.cmd == 'serve':
        return serve(args.port_file)
    return call(args.port, args.service, args.operation, json.loads(args.params))


if __name__ == '__main__':
    sys.exit(main())
