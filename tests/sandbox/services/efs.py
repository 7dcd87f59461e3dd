"""EFS, as a store of the file systems and mount targets CloudFormation creates
(AWS::EFS::FileSystem / AWS::EFS::MountTarget), readable by clients: DescribeFileSystems,
DescribeMountTargets, DeleteMountTarget and DeleteFileSystem (a file system with mount targets
is FileSystemInUse). `POST /_sandbox/services/elasticfilesystem/file_systems {}` lists every
file system (all regions) for tests.

Not modelled: CreateFileSystem/CreateMountTarget through the API, access points, lifecycle
and backup policies, sizes (always 6144 bytes), NFS itself."""

import datetime
import os

from core.errors import AwsError
from core.service import Service
from services._cfn_tick import tick


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _hex17():
    return os.urandom(9).hex()[:17]


class Efs(Service):
    name = 'elasticfilesystem'
    model_name = 'efs'

    def reset(self):
        self.file_systems = {}    # id -> dict (with 'region')
        self.mount_targets = {}   # id -> dict (with 'region')

    def control(self, action, body):
        if action == 'file_systems':
            return {'file_systems': [self._fs_out(f) for f in self.file_systems.values()]}
        return super().control(action, body)

    # ---- used by CloudFormation
    def create_file_system(self, region, account, token, tags, encrypted=False, performance='generalPurpose',
                           throughput='bursting'):
        fid = 'fs-' + _hex17()
        self.file_systems[fid] = {
            'OwnerId': account, 'CreationToken': token, 'FileSystemId': fid,
            'FileSystemArn': 'arn:aws:elasticfilesystem:%s:%s:file-system/%s' % (region, account, fid),
            'CreationTime': _now(), 'LifeCycleState': 'available', 'NumberOfMountTargets': 0,
            'SizeInBytes': {'Value': 6144}, 'PerformanceMode': performance, 'Encrypted': bool(encrypted),
            'ThroughputMode': throughput, 'Tags': [{'Key': k, 'Value': v} for k, v in tags.items()],
            'region': region}
        if 'Name' in tags:
            self.file_systems[fid]['Name'] = tags['Name']
        return self.file_systems[fid]

    def create_mount_target(self, region, account, fid, subnet, ip, security_groups):
        fs = self.file_systems.get(fid)
        if fs is None:
            raise AwsError('FileSystemNotFound', 'File system \'%s\' does not exist.' % fid, 404)
        mid = 'fsmt-' + _hex17()
        self.mount_targets[mid] = {
            'OwnerId': account, 'MountTargetId': mid, 'FileSystemId': fid, 'SubnetId': subnet['SubnetId'],
            'LifeCycleState': 'available', 'IpAddress': ip, 'NetworkInterfaceId': 'eni-' + _hex17(),
            'AvailabilityZoneName': subnet['AvailabilityZone'], 'VpcId': subnet['VpcId'],
            'security_groups': list(security_groups), 'region': region}
        fs['NumberOfMountTargets'] += 1
        return self.mount_targets[mid]

    def delete_mount_target(self, mid):
        mt = self.mount_targets.pop(mid, None)
        if mt and mt['FileSystemId'] in self.file_systems:
            self.file_systems[mt['FileSystemId']]['NumberOfMountTargets'] -= 1

    def delete_file_system(self, fid):
        for mid in [m for m, t in self.mount_targets.items() if t['FileSystemId'] == fid]:
            self.delete_mount_target(mid)
        self.file_systems.pop(fid, None)

    @staticmethod
    def _fs_out(f):
        return {k: v for k, v in f.items() if k[:1].isupper()}

    # ---- operations
    def DescribeFileSystems(self, ctx, params):
        tick(self.sandbox)
        fid = params.get('FileSystemId')
        if fid and (fid not in self.file_systems or self.file_systems[fid]['region'] != ctx.region):
            raise AwsError('FileSystemNotFound', 'File system \'%s\' does not exist.' % fid, 404)
        out = [self._fs_out(f) for f in self.file_systems.values() if f['region'] == ctx.region
               and (not fid or f['FileSystemId'] == fid)
               and (not params.get('CreationToken') or f['CreationToken'] == params['CreationToken'])]
        return {'FileSystems': out}

    def DescribeMountTargets(self, ctx, params):
        tick(self.sandbox)
        fid, mid = params.get('FileSystemId'), params.get('MountTargetId')
        if not fid and not mid:
            raise AwsError('BadRequest', 'Must specify exactly one mutually exclusive parameter.', 400)
        if fid and (fid not in self.file_systems or self.file_systems[fid]['region'] != ctx.region):
            raise AwsError('FileSystemNotFound', 'File system \'%s\' does not exist.' % fid, 404)
        if mid and mid not in self.mount_targets:
            raise AwsError('MountTargetNotFound', 'Mount target \'%s\' does not exist.' % mid, 404)
        out = [{k: v for k, v in t.items() if k[:1].isupper()} for t in self.mount_targets.values()
               if t['region'] == ctx.region and (not fid or t['FileSystemId'] == fid)
               and (not mid or t['MountTargetId'] == mid)]
        return {'MountTargets': out}

    def DeleteMountTarget(self, ctx, params):
        if params['MountTargetId'] not in self.mount_targets:
            raise AwsError('MountTargetNotFound', 'Mount target \'%s\' does not exist.' % params['MountTargetId'],
                           404)
        self.delete_mount_target(params['MountTargetId'])
        return {}

    def DeleteFileSystem(self, ctx, params):
        fid = params['FileSystemId']
        fs = self.file_systems.get(fid)
        if fs is None or fs['region'] != ctx.region:
            raise AwsError('FileSystemNotFound', 'File system \'%s\' does not exist.' % fid, 404)
        if fs['NumberOfMountTargets']:
            raise AwsError('FileSystemInUse', 'File system \'%s\' has mount targets created in it.' % fid, 409)
        self.delete_file_system(fid)
        return {}


SERVICE = Efs
