#!/usr/bin/python3
"""Signs requests with botocore's own SigV4 signers, for the differential test of the C++
signer (tests/unit/sigv4_botocore_diff_test.cpp).

Usage: botocore_sigv4.py CASES.json RESULTS.json

CASES.json: {"cases": [{
    "kind": "header" | "presign",
    "s3": bool,                      # S3SigV4Auth / S3SigV4QueryAuth, else SigV4Auth / SigV4QueryAuth
    "service": str, "region": str,
    "timestamp": "YYYYMMDDTHHMMSSZ",  # the fixed signing time
    "access_key": str, "secret_key": str, "token": str | null,
    "method": str, "url": str,        # scheme://host/path[?query], as on the wire
    "params": [[key, value], ...] | null,   # decoded query pairs (then the url has no query)
    "headers": [[name, value], ...],  # in order, repeated names allowed
    "body_b64": str,
    "unsigned": bool,                 # UNSIGNED-PAYLOAD (payload signing disabled)
    "expires": int                    # presign only
}]}

RESULTS.json: {"results": [{"authorization": str | null, "signature": str | null,
                            "canonical_request": str}]} in the same order.

Runs every case in one process: botocore is imported once.
"""

import base64
import datetime as real_datetime
import json
import sys
import types
from urllib.parse import parse_qs, urlsplit

import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials


class _FixedDatetime(real_datetime.datetime):
    """datetime.datetime whose utcnow() is the case's timestamp."""

    fixed = None

    @classmethod
    def utcnow(cls):
        return cls.fixed


# botocore.auth reads the clock through `datetime.datetime.utcnow()`; give it a fixed one.
botocore.auth.datetime = types.SimpleNamespace(datetime=_FixedDatetime)


def _recording(cls):
    """A subclass that remembers the canonical request it signed."""

    class Recording(cls):
        last_canonical_request = None

        def canonical_request(self, request):
            cr = super().canonical_request(request)
            self.last_canonical_request = cr
            return cr

    Recording.__name__ = "Recording" + cls.__name__
    return Recording


SIGNERS = {
    ("header", False): _recording(SigV4Auth),
    ("header", True): _recording(S3SigV4Auth),
    ("presign", False): _recording(SigV4QueryAuth),
    ("presign", True): _recording(S3SigV4QueryAuth),
}


def sign(case):
    _FixedDatetime.fixed = real_datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    credentials = Credentials(case["access_key"], case["secret_key"], case["token"] or None)
    body = base64.b64decode(case["body_b64"])
    request = AWSRequest(method=case["method"], url=case["url"], data=body)
    if case["params"] is not None:
        request.params = [tuple(p) for p in case["params"]]
    for name, value in case["headers"]:
        request.headers[name] = value  # appends: repeated headers stay repeated
    if case["unsigned"]:
        if case["s3"]:
            request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        else:
            request.context["payload_signing_enabled"] = False

    cls = SIGNERS[(case["kind"], case["s3"])]
    if case["kind"] == "presign":
        signer = cls(credentials, case["service"], case["region"], expires=case["expires"])
    else:
        signer = cls(credentials, case["service"], case["region"])
    signer.add_auth(request)

    result = {"canonical_request": signer.last_canonical_request, "authorization": None, "signature": None}
    if case["kind"] == "presign":
        query = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
        result["signature"] = query["X-Amz-Signature"][0]
    else:
        result["authorization"] = request.headers["Authorization"]
    return result


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: botocore_sigv4.py CASES.json RESULTS.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    results = [sign(c) for c in cases]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"results": results}, f)


if __name__ == "__main__":
    main()
