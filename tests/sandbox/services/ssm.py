"""SSM Parameter Store: GetParameter over AWS's public parameters (seeded with the Deep
Learning AMI and Amazon Linux image ids of the sandbox's EC2 images) and parameters put by
tests (`POST /_sandbox/services/ssm/put {"name": ..., "value": ..., "type": "String"}`).
Not modelled: PutParameter/GetParameters/paths, labels, KMS."""

import datetime

from core.errors import AwsError
from core.service import Service

PUBLIC = {
    '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id':
        'ami-0d1b000000000004d',
    '/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.1-ubuntu-20.04/latest/ami-id':
        'ami-0d1b000000000004d',
    '/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id':
        'ami-0d1c000000000006f',   # the arm64 (Graviton) Deep Learning image
    '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2': 'ami-0a1b000000000005e',
    '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64': 'ami-0a1b000000000005e',
}


class Ssm(Service):
    name = 'ssm'

    def reset(self):
        self.params = {}
        when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
        for name, value in PUBLIC.items():
            self.params[name] = {'Name': name, 'Type': 'String', 'Value': value, 'Version': 1,
                                 'LastModifiedDate': when, 'DataType': 'aws:ec2:image', 'public': True}

    def control(self, action, body):
        if action == 'put':
            old = self.params.get(body['name'])
            self.params[body['name']] = {
                'Name': body['name'], 'Type': body.get('type', 'String'), 'Value': body['value'],
                'Version': (old['Version'] + 1) if old else 1, 'DataType': body.get('data_type', 'text'),
                'LastModifiedDate': datetime.datetime.now(datetime.timezone.utc), 'public': False}
            return {'version': self.params[body['name']]['Version']}
        return super().control(action, body)

    def GetParameter(self, ctx, params):
        name = params['Name']
        p = self.params.get(name)
        if p is None:
            raise AwsError('ParameterNotFound', '', 400)
        out = {k: v for k, v in p.items() if k != 'public'}
        if p['public']:
            out['ARN'] = 'arn:aws:ssm:%s::parameter%s' % (ctx.region, name)
        else:
            out['ARN'] = 'arn:aws:ssm:%s:%s:parameter%s' % (ctx.region, ctx.account, name if name.startswith('/')
                                                             else '/' + name)
        if p['Type'] == 'SecureString' and not params.get('WithDecryption'):
            out['Value'] = 'AQICAHg' + 'x' * 40  # ciphertext stand-in, as AWS returns without decryption
        return {'Parameter': out}


SERVICE = Ssm
