"""Who may call: the documented example keys and the temporary keys the sandbox's STS
hands out. Secrets stay in here; nothing else prints them."""

import base64
import datetime
import os
import string
import threading

ACCOUNT = '123456789012'
UTC = datetime.timezone.utc


class Identity:
    def __init__(self, access_key_id, secret, account, arn, user_id, session_token=None,
                 expiration=None, kind='user', role_arn=None, session_name=None):
        self.access_key_id = access_key_id
        self.secret = secret
        self.account = account
        self.arn = arn
        self.user_id = user_id
        self.session_token = session_token
        self.expiration = expiration          # aware datetime or None
        self.kind = kind                      # "user" or "assumed-role"
        self.role_arn = role_arn
        self.session_name = session_name

    def __repr__(self):  # never the secret or the token
        return 'Identity(%s, %s)' % (self.access_key_id, self.arn)


STATIC_KEYS = [
    Identity('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', ACCOUNT,
             'arn:aws:iam::%s:user/example' % ACCOUNT, 'AIDACKCEVSQ6C2EXAMPLE'),
    Identity('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', ACCOUNT,
             'arn:aws:iam::%s:user/example' % ACCOUNT, 'AIDACKCEVSQ6C2EXAMPLE'),
]

_ALNUM = string.ascii_uppercase + string.digits


def _random(alphabet, n):
    raw = os.urandom(n)
    return ''.join(alphabet[b % len(alphabet)] for b in raw)


class IdentityStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._keys = {}
        self.reset()

    def reset(self):
        with self._lock:
            self._keys = {i.access_key_id: i for i in STATIC_KEYS}

    def lookup(self, access_key_id):
        with self._lock:
            return self._keys.get(access_key_id)

    def issue_temporary(self, account, arn, user_id, expiration, role_arn=None, session_name=None,
                        kind='assumed-role'):
        """New ASIA... keys with a session token, valid until `expiration`."""
        ident = Identity('ASIA' + _random(_ALNUM, 16),
                         base64.b64encode(os.urandom(30)).decode('ascii'),
                         account, arn, user_id,
                         session_token='FwoGZXIvYXdzE' + base64.b64encode(os.urandom(150)).decode('ascii'),
                         expiration=expiration, kind=kind, role_arn=role_arn,
                         session_name=session_name)
        with self._lock:
            self._keys[ident.access_key_id] = ident
        return ident

    def expire(self, access_key_id=None, now=None):
        """Makes one (or every) temporary key expired; returns how many."""
        now = now or datetime.datetime.now(UTC)
        n = 0
        with self._lock:
            for ident in self._keys.values():
                if ident.kind != 'user' and (access_key_id is None or ident.access_key_id == access_key_id):
                    ident.expiration = now - datetime.timedelta(seconds=1)
                    n += 1
        return n


def new_unique_id(prefix):
    return prefix + _random(_ALNUM, 17)
