"""STS: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity (unsigned), GetSessionToken.
Temporary keys are real: they sign later requests and expire.

Web identity tokens: any non-empty token is accepted (a JWT's sub/iss/aud are reported
when it decodes); tokens starting with "invalid" are rejected with InvalidIdentityToken and
tokens starting with "expired" with ExpiredTokenException, so clients can test those paths."""

import base64
import datetime
import json
import re

from core.errors import AwsError
from core.identity import new_unique_id
from core.service import Service

ROLE_ARN = re.compile(r'^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})$')
SESSION_NAME = re.compile(r'^[\w+=,.@-]+$')
ROLE_MAX_SESSION = 3600  # IAM's default MaxSessionDuration
CHAINED_MAX_SESSION = 3600


def _validation(message):
    return AwsError('ValidationError', message, 400)


class Sts(Service):
    name = 'sts'
    unsigned_operations = frozenset({'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML'})

    def reset(self):
        self.role_ids = {}

    def control(self, action, body):
        if action == 'expire':
            n = self.sandbox.identities.expire((body or {}).get('access_key_id'))
            return {'expired': n}
        return super().control(action, body)

    # ---- helpers
    def _role(self, role_arn):
        m = ROLE_ARN.match(role_arn)
        if not m:
            raise _validation('%s is invalid' % role_arn if role_arn.startswith('arn:')
                              else "Value '%s' at 'roleArn' failed to satisfy constraint: Member must be a "
                                   "valid role ARN" % role_arn)
        account, name = m.group(1), m.group(3)
        role_id = self.role_ids.setdefault(role_arn, new_unique_id('AROA'))
        return account, name, role_id

    def _assume(self, ctx, params, chained=False):
        account, role_name, role_id = self._role(params['RoleArn'])
        session = params['RoleSessionName']
        if not SESSION_NAME.match(session):
            raise _validation("Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must "
                              "satisfy regular expression pattern: [\\w+=,.@-]*" % session)
        duration = params.get('DurationSeconds', 3600)
        if chained and duration > CHAINED_MAX_SESSION:
            raise _validation('The requested DurationSeconds exceeds the 1 hour session limit for roles '
                              'assumed by role chaining.')
        if duration > ROLE_MAX_SESSION:
            raise _validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.')
        expiration = (ctx.now() + datetime.timedelta(seconds=duration)).replace(microsecond=0)
        arn = 'arn:aws:sts::%s:assumed-role/%s/%s' % (account, role_name, session)
        user_id = '%s:%s' % (role_id, session)
        ident = self.sandbox.identities.issue_temporary(account, arn, user_id, expiration,
                                                        role_arn=params['RoleArn'], session_name=session)
        out = {
            'Credentials': {'AccessKeyId': ident.access_key_id, 'SecretAccessKey': ident.secret,
                            'SessionToken': ident.session_token, 'Expiration': expiration},
            'AssumedRoleUser': {'AssumedRoleId': user_id, 'Arn': arn},
        }
        if params.get('Policy') or params.get('PolicyArns'):
            out['PackedPolicySize'] = min(99, 6 + len(params.get('Policy') or '') // 20)
        if params.get('SourceIdentity'):
            out['SourceIdentity'] = params['SourceIdentity']
        return out

    # ---- operations
    def GetCallerIdentity(self, ctx, params):
        ident = ctx.identity
        return {'UserId': ident.user_id, 'Account': ident.account, 'Arn': ident.arn}

    def AssumeRole(self, ctx, params):
        return self._assume(ctx, params, chained=ctx.identity.kind == 'assumed-role')

    def AssumeRoleWithWebIdentity(self, ctx, params):
        token = params['WebIdentityToken'].strip()
        if token.startswith('invalid'):
            raise AwsError('InvalidIdentityToken', "Couldn't retrieve verification key from your identity "
                                                   "provider,  please reference AssumeRoleWithWebIdentity "
                                                   "documentation for requirements", 400)
        if token.startswith('expired'):
            raise AwsError('ExpiredTokenException', 'Token expired: current date/time %s must be before the '
                                                    'expiration date/time' % ctx.now().isoformat(), 400)
        claims = _jwt_claims(token)
        out = self._assume(ctx, params)
        out['SubjectFromWebIdentityToken'] = str(claims.get('sub', 'sandbox-subject'))
        out['Provider'] = str(claims.get('iss', params.get('ProviderId') or 'sandbox.local'))
        aud = claims.get('aud', 'sts.amazonaws.com')
        out['Audience'] = aud if isinstance(aud, str) else str(aud[0] if aud else '')
        return out

    def GetSessionToken(self, ctx, params):
        ident = ctx.identity
        if ident.kind != 'user':
            raise AwsError('AccessDenied', 'Cannot call GetSessionToken with session credentials', 403)
        duration = params.get('DurationSeconds', 43200)
        expiration = (ctx.now() + datetime.timedelta(seconds=duration)).replace(microsecond=0)
        tmp = self.sandbox.identities.issue_temporary(ident.account, ident.arn, ident.user_id, expiration,
                                                      kind='session')
        return {'Credentials': {'AccessKeyId': tmp.access_key_id, 'SecretAccessKey': tmp.secret,
                                'SessionToken': tmp.session_token, 'Expiration': expiration}}


def _jwt_claims(token):
    parts = token.split('.')
    if len(parts) != 3:
        return {}
    try:
        payload = parts[1] + '=' * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload.encode('ascii')))
        return claims if isinstance(claims, dict) else {}
    except (ValueError, UnicodeError):
        return {}


SERVICE = Sts
