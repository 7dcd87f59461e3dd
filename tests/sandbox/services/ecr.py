"""Amazon ECR: repositories, authorization tokens, and image questions answered by a real
local docker-registry.

A test that pushes images starts a docker-registry with htpasswd auth and hands its address
and credentials to the sandbox:

    POST /_sandbox/services/ecr/registry {"endpoint": "http://127.0.0.1:5000",
                                          "username": "pusher", "password": "..."}

From then on GetAuthorizationToken answers base64("user:password") with that proxyEndpoint,
repositoryUri is "<host:port>/<name>", and BatchCheckLayerAvailability / DescribeImages /
BatchDeleteImage ask the registry itself (HEAD blobs, tags list, manifests, DELETE), so what
they say is what the registry really holds. Without a registry, tokens are random, URIs are
ECR-shaped and repositories look empty. Only loopback registries are accepted.
`{}` to the same action forgets the registry. Not modelled: lifecycle policies, scanning,
replication, pull-through caches, repository policies."""

import base64
import datetime
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request

from core.errors import AwsError
from core.service import Service

MANIFEST_TYPES = ', '.join([
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.index.v1+json',
])
TOKEN_HOURS = 12


def _loopback(host):
    return host == 'localhost' or host.startswith('127.') or host in ('::1', '[::1]')


class Ecr(Service):
    name = 'ecr'

    def reset(self):
        self.repos = {}       # name -> dict (Repository members)
        self.registry = None  # {"endpoint", "username", "password"}

    def control(self, action, body):
        if action == 'registry':
            body = body or {}
            if not body.get('endpoint'):
                self.registry = None
                return {'registry': None}
            url = urllib.parse.urlsplit(body['endpoint'])
            if url.scheme not in ('http', 'https') or not _loopback(url.hostname or ''):
                raise ValueError('endpoint: an http(s) URL on a loopback address')
            self.registry = {'endpoint': body['endpoint'].rstrip('/'), 'username': body.get('username', 'AWS'),
                             'password': body.get('password', '')}
            return {'registry': self.registry['endpoint']}
        if action == 'repositories':
            return {'repositories': sorted(self.repos)}
        return super().control(action, body)

    # ------------------------------------------------------------------ helpers
    def _registry_id(self, ctx, params):
        rid = params.get('registryId') or ctx.account
        if rid != ctx.account:
            raise AwsError('RegistryNotFoundException', "The registry with id '%s' does not exist" % rid, 400)
        return rid

    def _host(self, ctx):
        if self.registry:
            return urllib.parse.urlsplit(self.registry['endpoint']).netloc
        return '%s.dkr.ecr.%s.amazonaws.com' % (ctx.account, ctx.region)

    def _repo(self, ctx, params):
        rid = self._registry_id(ctx, params)
        repo = self.repos.get(params['repositoryName'])
        if repo is None:
            raise AwsError('RepositoryNotFoundException',
                           "The repository with name '%s' does not exist in the registry with id '%s'"
                           % (params['repositoryName'], rid), 400)
        return repo

    def _public(self, repo):
        return {k: v for k, v in repo.items() if k != 'tags'}

    def _call(self, method, path, accept=None):
        """(status, headers, body) from the configured registry; None when there is none."""
        if not self.registry:
            return None
        req = urllib.request.Request(self.registry['endpoint'] + path, method=method)
        cred = base64.b64encode(('%s:%s' % (self.registry['username'], self.registry['password'])).encode()).decode()
        req.add_header('Authorization', 'Basic ' + cred)
        if accept:
            req.add_header('Accept', accept)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        except OSError as e:
            raise AwsError('ServerException', 'registry unreachable: %s' % e, 500)

    def _manifest(self, name, reference):
        got = self._call('GET', '/v2/%s/manifests/%s' % (name, reference), MANIFEST_TYPES)
        if got is None or got[0] != 200:
            return None
        status, headers, body = got
        return {'digest': headers.get('Docker-Content-Digest'), 'mediaType': headers.get('Content-Type'),
                'doc': json.loads(body.decode('utf-8'))}

    def _images(self, name):
        """digest -> detail of every tagged image (the registry lists tags, not digests)."""
        got = self._call('GET', '/v2/%s/tags/list' % name)
        out = {}
        if got is None or got[0] != 200:
            return out
        tags = json.loads(got[2].decode('utf-8')).get('tags') or []
        for tag in sorted(tags):
            m = self._manifest(name, tag)
            if m is None or not m['digest']:
                continue
            d = out.setdefault(m['digest'], {'imageDigest': m['digest'], 'imageTags': [],
                                             'imageManifestMediaType': m['mediaType'], 'doc': m['doc']})
            d['imageTags'].append(tag)
        return out

    @staticmethod
    def _size(doc):
        return sum(int(l.get('size', 0)) for l in doc.get('layers', [])) + int(doc.get('config', {}).get('size', 0))

    # ------------------------------------------------------------------ operations
    def CreateRepository(self, ctx, params):
        rid = self._registry_id(ctx, params)
        name = params['repositoryName']
        if name in self.repos:
            raise AwsError('RepositoryAlreadyExistsException',
                           "The repository with name '%s' already exists in the registry with id '%s'" % (name, rid),
                           400)
        enc = params.get('encryptionConfiguration') or {'encryptionType': 'AES256'}
        if enc['encryptionType'] == 'AES256' and enc.get('kmsKey'):
            raise AwsError('InvalidParameterException', 'kmsKey is only valid with encryptionType KMS', 400)
        repo = {
            'repositoryArn': 'arn:aws:ecr:%s:%s:repository/%s' % (ctx.region, rid, name),
            'registryId': rid,
            'repositoryName': name,
            'repositoryUri': '%s/%s' % (self._host(ctx), name),
            'createdAt': ctx.now(),
            'imageTagMutability': params.get('imageTagMutability') or 'MUTABLE',
            'imageScanningConfiguration': {
                'scanOnPush': bool((params.get('imageScanningConfiguration') or {}).get('scanOnPush'))},
            'encryptionConfiguration': enc,
            'tags': params.get('tags') or [],
        }
        self.repos[name] = repo
        return {'repository': self._public(repo)}

    def DescribeRepositories(self, ctx, params):
        self._registry_id(ctx, params)
        names = params.get('repositoryNames')
        if names:
            repos = [self._repo(ctx, {'repositoryName': n}) for n in names]
        else:
            repos = [self.repos[n] for n in sorted(self.repos)]
        start = int(params['nextToken']) if params.get('nextToken', '').isdigit() else 0
        if params.get('nextToken') and not params['nextToken'].isdigit():
            raise AwsError('InvalidParameterException', 'Invalid parameter at nextToken', 400)
        limit = params.get('maxResults') or 100
        page = repos[start:start + limit]
        out = {'repositories': [self._public(r) for r in page]}
        if start + limit < len(repos):
            out['nextToken'] = str(start + limit)
        return out

    def DeleteRepository(self, ctx, params):
        repo = self._repo(ctx, params)
        images = self._images(repo['repositoryName'])
        if images and not params.get('force'):
            raise AwsError('RepositoryNotEmptyException',
                           "The repository with name '%s' in registry with id '%s' cannot be deleted because it "
                           "still contains images" % (repo['repositoryName'], repo['registryId']), 400)
        for digest in images:
            self._call('DELETE', '/v2/%s/manifests/%s' % (repo['repositoryName'], digest))
        del self.repos[repo['repositoryName']]
        return {'repository': self._public(repo)}

    def GetAuthorizationToken(self, ctx, params):
        ids = params.get('registryIds') or [ctx.account]
        for rid in ids:
            self._registry_id(ctx, {'registryId': rid})
        if self.registry:
            user, password, endpoint = self.registry['username'], self.registry['password'], self.registry['endpoint']
        else:
            user, password = 'AWS', secrets.token_urlsafe(48)
            endpoint = 'https://' + self._host(ctx)
        token = base64.b64encode(('%s:%s' % (user, password)).encode('utf-8')).decode('ascii')
        expires = ctx.now() + datetime.timedelta(hours=TOKEN_HOURS)
        return {'authorizationData': [{'authorizationToken': token, 'expiresAt': expires, 'proxyEndpoint': endpoint}
                                      for _ in ids]}

    def BatchCheckLayerAvailability(self, ctx, params):
        repo = self._repo(ctx, params)
        layers, failures = [], []
        for digest in params['layerDigests']:
            if ':' not in digest:
                failures.append({'layerDigest': digest, 'failureCode': 'InvalidLayerDigest',
                                 'failureReason': 'Invalid layer digest'})
                continue
            got = self._call('HEAD', '/v2/%s/blobs/%s' % (repo['repositoryName'], digest))
            if got is not None and got[0] == 200:
                layers.append({'layerDigest': digest, 'layerAvailability': 'AVAILABLE',
                               'layerSize': int(got[1].get('Content-Length') or 0),
                               'mediaType': 'application/vnd.docker.image.rootfs.diff.tar.gzip'})
            else:
                failures.append({'layerDigest': digest, 'failureCode': 'MissingLayerDigest',
                                 'failureReason': 'Requested layer digest is not available'})
        return {'layers': layers, 'failures': failures}

    def DescribeImages(self, ctx, params):
        repo = self._repo(ctx, params)
        images = self._images(repo['repositoryName'])
        wanted = params.get('imageIds')
        if wanted:
            picked = []
            for iid in wanted:
                hit = None
                for d in images.values():
                    if iid.get('imageDigest') and iid['imageDigest'] != d['imageDigest']:
                        continue
                    if iid.get('imageTag') and iid['imageTag'] not in d['imageTags']:
                        continue
                    hit = d
                    break
                if hit is None:
                    raise AwsError('ImageNotFoundException',
                                   "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within "
                                   "the repository with name '%s' in the registry with id '%s'"
                                   % (iid.get('imageDigest', 'null'), iid.get('imageTag', 'null'),
                                      repo['repositoryName'], repo['registryId']), 400)
                if hit not in picked:
                    picked.append(hit)
        else:
            status = (params.get('filter') or {}).get('tagStatus', 'ANY')
            picked = [] if status == 'UNTAGGED' else list(images.values())
        start = int(params['nextToken']) if (params.get('nextToken') or '').isdigit() else 0
        limit = params.get('maxResults') or 100
        page = picked[start:start + limit]
        out = {'imageDetails': [{
            'registryId': repo['registryId'], 'repositoryName': repo['repositoryName'],
            'imageDigest': d['imageDigest'], 'imageTags': d['imageTags'], 'imageSizeInBytes': self._size(d['doc']),
            'imagePushedAt': repo['createdAt'], 'imageManifestMediaType': d['imageManifestMediaType'],
            'artifactMediaType': (d['doc'].get('config') or {}).get('mediaType', '')} for d in page]}
        if start + limit < len(picked):
            out['nextToken'] = str(start + limit)
        return out

    def BatchDeleteImage(self, ctx, params):
        repo = self._repo(ctx, params)
        images = self._images(repo['repositoryName'])
        deleted, failures = [], []
        for iid in params['imageIds']:
            digest, tag = iid.get('imageDigest'), iid.get('imageTag')
            if not digest and not tag:
                failures.append({'imageId': iid, 'failureCode': 'MissingDigestAndTag',
                                 'failureReason': 'Missing image digest and tag'})
                continue
            hit = None
            for d in images.values():
                if digest and d['imageDigest'] != digest:
                    continue
                if tag and tag not in d['imageTags']:
                    continue
                hit = d
            if hit is None:
                failures.append({'imageId': iid, 'failureCode': 'ImageNotFound',
                                 'failureReason': 'Requested image not found'})
                continue
            got = self._call('DELETE', '/v2/%s/manifests/%s' % (repo['repositoryName'], hit['imageDigest']))
            if got is None or got[0] not in (200, 202):
                failures.append({'imageId': iid, 'failureCode': 'ImageNotFound',
                                 'failureReason': 'Requested image not found'})
                continue
            deleted.append({'imageDigest': hit['imageDigest'], 'imageTag': tag} if tag
                           else {'imageDigest': hit['imageDigest']})
        return {'imageIds': deleted, 'failures': failures}


SERVICE = Ecr
