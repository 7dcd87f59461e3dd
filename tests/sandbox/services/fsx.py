"""FSx for Lustre: CreateFileSystem (FileSystemType LUSTRE), DescribeFileSystems,
DeleteFileSystem, CreateDataRepositoryAssociation, DescribeDataRepositoryAssociations and
DeleteDataRepositoryAssociation; CloudFormation's AWS::FSx::FileSystem creates through it
(_cfn_resources.py: Ref = the file system id, GetAtt DNSName / LustreMountName / ResourceARN;
the resource completes when the file system is AVAILABLE; DeletionPolicy Retain keeps it).

- Deployment types SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2. StorageCapacity must be
  1200 or a multiple of 2400 GiB (SCRATCH_1: 1200, 2400 or a multiple of 3600), else BadRequest
  "Invalid Lustre FS storage capacity: N. Must be 1200 or a multiple of 2400." (the text quoted in
  aws-samples/amazon-eks-autonomous-driving-data-service#12).
- Exactly one subnet, which must exist in EC2, and existing security groups (InvalidNetworkSettings).
- LustreConfiguration.ImportPath (s3://bucket[/prefix], the bucket must exist in the sandbox's S3:
  InvalidImportPath) becomes the DataRepositoryConfiguration (ExportPath defaults to
  <import path>/FSxLustre<timestamp>); PERSISTENT_2 takes data repository associations instead.
- Lifecycle CREATING -> AVAILABLE after `transition_seconds` (default 0.5), DELETING -> gone after
  the same; data repository associations likewise. DNSName fs-<id>.fsx.<region>.amazonaws.com,
  LustreConfiguration.MountName 8 random lower-case letters/digits ("fsx" for SCRATCH_1).

Control: `POST /_sandbox/services/fsx/config {"transition_seconds": s}`; `POST .../file_systems
{}` lists every file system (all regions) with its lifecycle.

Not modelled: Windows, ONTAP, OpenZFS, backups, UpdateFileSystem, throughput limits, HDD storage,
the Lustre protocol itself."""

import datetime
import os
import random
import string

from core.errors import AwsError
from core.service import Service
from services._cfn_tick import tick

DEPLOYMENTS = ('SCRATCH_1', 'SCRATCH_2', 'PERSISTENT_1', 'PERSISTENT_2')


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def valid_capacity(deployment, gib):
    if deployment == 'SCRATCH_1':
        return gib in (1200, 2400) or (gib > 0 and gib % 3600 == 0)
    return gib == 1200 or (gib > 0 and gib % 2400 == 0)


def _bad(message):
    return AwsError('BadRequest', message, 400)


class Fsx(Service):
    name = 'fsx'

    def reset(self):
        self.file_systems = {}    # id -> dict (with 'region', 'since', 'deleting')
        self.associations = {}    # id -> dict (with 'region', 'since')
        self.transition_seconds = 0.5
        self.tokens = {}          # client request token -> file system id

    def control(self, action, body):
        body = body or {}
        if action == 'config':
            if 'transition_seconds' in body:
                self.transition_seconds = max(0.0, float(body['transition_seconds']))
            return {'transition_seconds': self.transition_seconds}
        if action == 'file_systems':
            return {'file_systems': [dict(self._out(f), Region=f['region'], CreationTime=f['CreationTime'].isoformat())
                                     for f in list(self.file_systems.values()) if self._advance(f)]}
        return super().control(action, body)

    # ---- state over time
    def _advance(self, f):
        """Moves a file system along; False once a deletion has finished (it is then gone)."""
        elapsed = (_now() - f['since']).total_seconds()
        if f['Lifecycle'] == 'CREATING' and elapsed >= self.transition_seconds:
            f['Lifecycle'] = 'AVAILABLE'
            f['since'] = _now()
        elif f['Lifecycle'] == 'DELETING' and elapsed >= self.transition_seconds:
            self.file_systems.pop(f['FileSystemId'], None)
            for aid in [a for a, x in self.associations.items() if x['FileSystemId'] == f['FileSystemId']]:
                del self.associations[aid]
            return False
        return True

    def _advance_association(self, a):
        elapsed = (_now() - a['since']).total_seconds()
        if a['Lifecycle'] == 'CREATING' and elapsed >= self.transition_seconds:
            a['Lifecycle'] = 'AVAILABLE'
        elif a['Lifecycle'] == 'DELETING' and elapsed >= self.transition_seconds:
            self.associations.pop(a['AssociationId'], None)
            return False
        return True

    @staticmethod
    def _out(f):
        return {k: v for k, v in f.items() if k[:1].isupper() and k != 'SecurityGroupIds'}

    def lifecycle(self, fid):
        f = self.file_systems.get(fid)
        if f is None or not self._advance(f):
            return None
        return f['Lifecycle']

    def users_of(self, region, subnet=None, group=None):
        """The file systems whose network interfaces sit in `subnet` or use `group` (while they
        exist, deleting included: their interfaces go only when they are gone)."""
        out = []
        for f in list(self.file_systems.values()):
            if f['region'] != region or not self._advance(f):
                continue
            if (subnet and subnet in f['SubnetIds']) or (group and group in f.get('SecurityGroupIds', [])):
                out.append(f['FileSystemId'])
        return out

    # ---- used by the API and by CloudFormation
    def create_file_system(self, region, account, params):
        if params.get('FileSystemType') != 'LUSTRE':
            raise _bad('The sandbox models FSx for Lustre only (FileSystemType LUSTRE).')
        lustre = dict(params.get('LustreConfiguration') or {})
        deployment = lustre.get('DeploymentType', 'SCRATCH_1')
        if deployment not in DEPLOYMENTS:
            raise _bad('Invalid DeploymentType: %s' % deployment)
        try:
            gib = int(params.get('StorageCapacity'))
        except (TypeError, ValueError):
            raise _bad('StorageCapacity is required for Lustre file systems.')
        if not valid_capacity(deployment, gib):
            raise _bad('Invalid Lustre FS storage capacity: %d. Must be %s.' % (
                gib, '1200, 2400 or a multiple of 3600' if deployment == 'SCRATCH_1' else '1200 or a multiple of 2400'))
        ec2 = self.sandbox.services['ec2'].region(region)
        subnets = list(params.get('SubnetIds') or [])
        if len(subnets) != 1:
            raise AwsError('InvalidNetworkSettings', 'Lustre file systems must be created in exactly one subnet '
                           '(%d given).' % len(subnets), 400)
        if subnets[0] not in ec2.subnets:
            raise AwsError('InvalidNetworkSettings', "The subnet ID '%s' does not exist" % subnets[0], 400)
        for g in params.get('SecurityGroupIds') or []:
            if g not in ec2.groups:
                raise AwsError('InvalidNetworkSettings', "The security group '%s' does not exist" % g, 400)
        fid = 'fs-' + os.urandom(9).hex()[:17]
        config = {'DeploymentType': deployment, 'WeeklyMaintenanceStartTime': lustre.get(
            'WeeklyMaintenanceStartTime', '1:05:00'),
                  'MountName': 'fsx' if deployment == 'SCRATCH_1' else ''.join(
                      random.choice(string.ascii_lowercase + string.digits) for _ in range(8))}
        if lustre.get('PerUnitStorageThroughput') is not None:
            config['PerUnitStorageThroughput'] = int(lustre['PerUnitStorageThroughput'])
        if lustre.get('ImportPath'):
            if deployment == 'PERSISTENT_2':
                raise _bad('ImportPath is not supported for the PERSISTENT_2 deployment type: link the S3 bucket with '
                           'a data repository association.')
            self._check_s3_path(lustre['ImportPath'], 'InvalidImportPath')
            export = lustre.get('ExportPath') or '%s/FSxLustre%s' % (lustre['ImportPath'].rstrip('/'),
                                                                      _now().strftime('%Y%m%dT%H%M%SZ'))
            config['DataRepositoryConfiguration'] = {
                'Lifecycle': 'AVAILABLE', 'ImportPath': lustre['ImportPath'], 'ExportPath': export,
                'ImportedFileChunkSize': int(lustre.get('ImportedFileChunkSize', 1024)),
                'AutoImportPolicy': lustre.get('AutoImportPolicy', 'NONE')}
        tags = [{'Key': t['Key'], 'Value': str(t.get('Value', ''))} for t in params.get('Tags') or []]
        f = {'OwnerId': account, 'CreationTime': _now().replace(microsecond=0), 'FileSystemId': fid,
             'FileSystemType': 'LUSTRE', 'Lifecycle': 'CREATING', 'StorageCapacity': gib,
             'StorageType': params.get('StorageType', 'SSD'), 'VpcId': ec2.subnets[subnets[0]]['VpcId'],
             'SubnetIds': subnets, 'NetworkInterfaceIds': ['eni-' + os.urandom(9).hex()[:17]],
             'SecurityGroupIds': list(params.get('SecurityGroupIds') or []),
             'DNSName': '%s.fsx.%s.amazonaws.com' % (fid, region),
             'ResourceARN': 'arn:aws:fsx:%s:%s:file-system/%s' % (region, account, fid), 'Tags': tags,
             'LustreConfiguration': config, 'FileSystemTypeVersion': params.get('FileSystemTypeVersion', '2.15'),
             'region': region, 'since': _now()}
        self.file_systems[fid] = f
        return f

    def _check_s3_path(self, path, code):
        if not isinstance(path, str) or not path.startswith('s3://') or len(path) <= 5:
            raise AwsError(code, 'The path %s is not a valid S3 path (s3://bucket[/prefix]).' % path, 400)
        bucket = path[5:].split('/')[0]
        if bucket not in self.sandbox.services['s3'].buckets:
            raise AwsError(code, 'The S3 bucket %s of the path %s does not exist.' % (bucket, path), 400)

    def delete_file_system(self, fid):
        f = self.file_systems.get(fid)
        if f is not None and f['Lifecycle'] != 'DELETING':
            f['Lifecycle'] = 'DELETING'
            f['since'] = _now()
        return f

    def _fs(self, ctx, fid):
        f = self.file_systems.get(fid)
        if f is None or f['region'] != ctx.region or not self._advance(f):
            raise AwsError('FileSystemNotFound', 'File system \'%s\' does not exist.' % fid, 400)
        return f

    # ---- operations
    def CreateFileSystem(self, ctx, params):
        token = params.get('ClientRequestToken')
        if token and token in self.tokens and self.tokens[token] in self.file_systems:
            return {'FileSystem': self._out(self.file_systems[self.tokens[token]])}
        f = self.create_file_system(ctx.region, ctx.account, params)
        if token:
            self.tokens[token] = f['FileSystemId']
        return {'FileSystem': self._out(f)}

    def DescribeFileSystems(self, ctx, params):
        tick(self.sandbox)
        ids = params.get('FileSystemIds', [])
        for fid in ids:
            self._fs(ctx, fid)
        out = [self._out(f) for f in list(self.file_systems.values())
               if f['region'] == ctx.region and self._advance(f) and (not ids or f['FileSystemId'] in ids)]
        start = int(params['NextToken']) if str(params.get('NextToken', '')).isdigit() else 0
        size = params.get('MaxResults') or 2147483647
        res = {'FileSystems': out[start:start + size]}
        if start + size < len(out):
            res['NextToken'] = str(start + size)
        return res

    def DeleteFileSystem(self, ctx, params):
        f = self._fs(ctx, params['FileSystemId'])
        self.delete_file_system(f['FileSystemId'])
        out = {'FileSystemId': f['FileSystemId'], 'Lifecycle': 'DELETING'}
        if f['FileSystemType'] == 'LUSTRE':
            out['LustreResponse'] = {}
        return out

    def CreateDataRepositoryAssociation(self, ctx, params):
        f = self._fs(ctx, params['FileSystemId'])
        if f['LustreConfiguration']['DeploymentType'] not in ('PERSISTENT_2', 'SCRATCH_2'):
            raise _bad('Data repository associations are not supported on %s file systems.'
                       % f['LustreConfiguration']['DeploymentType'])
        if 'DataRepositoryConfiguration' in f['LustreConfiguration']:
            raise _bad('File system %s already links an S3 bucket through its ImportPath.' % f['FileSystemId'])
        if f['Lifecycle'] != 'AVAILABLE':
            raise _bad('File system %s is %s, not AVAILABLE.' % (f['FileSystemId'], f['Lifecycle']))
        self._check_s3_path(params['DataRepositoryPath'], 'InvalidDataRepositoryType')
        path = params.get('FileSystemPath', '/')
        if not path.startswith('/'):
            raise _bad('FileSystemPath must start with /: %s' % path)
        for a in self.associations.values():
            if a['FileSystemId'] == f['FileSystemId'] and a['FileSystemPath'] == path:
                raise _bad('The file system path %s already has a data repository association.' % path)
        aid = 'dra-' + os.urandom(9).hex()[:17]
        a = {'AssociationId': aid, 'ResourceARN': 'arn:aws:fsx:%s:%s:association/%s/%s' % (
            ctx.region, ctx.account, f['FileSystemId'], aid), 'FileSystemId': f['FileSystemId'],
             'Lifecycle': 'CREATING', 'FileSystemPath': path, 'DataRepositoryPath': params['DataRepositoryPath'],
             'BatchImportMetaDataOnCreate': bool(params.get('BatchImportMetaDataOnCreate', False)),
             'ImportedFileChunkSize': params.get('ImportedFileChunkSize', 1024),
             'CreationTime': _now().replace(microsecond=0),
             'Tags': params.get('Tags') or [], 'region': ctx.region, 'since': _now()}
        if params.get('S3'):
            a['S3'] = params['S3']
        self.associations[aid] = a
        return {'Association': self._out(a)}

    def DescribeDataRepositoryAssociations(self, ctx, params):
        tick(self.sandbox)
        ids = params.get('AssociationIds', [])
        for aid in ids:
            a = self.associations.get(aid)
            if a is None or a['region'] != ctx.region:
                raise AwsError('DataRepositoryAssociationNotFound', 'Data repository association \'%s\' does not '
                               'exist.' % aid, 400)
        out = []
        for a in list(self.associations.values()):
            if a['region'] != ctx.region or (ids and a['AssociationId'] not in ids):
                continue
            if not self._advance_association(a):
                continue
            ok = True
            for flt in params.get('Filters', []):
                field = {'file-system-id': a['FileSystemId'], 'data-repository-type': 'S3'}.get(flt.get('Name'))
                ok = ok and field in (flt.get('Values') or [])
            if ok:
                out.append(self._out(a))
        return {'Associations': out}

    def DeleteDataRepositoryAssociation(self, ctx, params):
        a = self.associations.get(params['AssociationId'])
        if a is None or a['region'] != ctx.region:
            raise AwsError('DataRepositoryAssociationNotFound', 'Data repository association \'%s\' does not exist.'
                           % params['AssociationId'], 400)
        a['Lifecycle'] = 'DELETING'
        a['since'] = _now()
        return {'AssociationId': a['AssociationId'], 'Lifecycle': 'DELETING',
                'DeleteDataInFileSystem': bool(params.get('DeleteDataInFileSystem', False))}


SERVICE = Fsx
