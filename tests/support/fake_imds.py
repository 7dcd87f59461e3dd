#!/usr/bin/env python3
"""A fake EC2 instance metadata service (IMDSv2 only) for integration tests.

Listens on 127.0.0.1 only, on --port (0 = any free one), and prints "PORT <n>" as its first
line on stdout. With --watch-stdin it exits when its stdin closes, so it never outlives the
test that started it.

  PUT /latest/api/token                       needs X-aws-ec2-metadata-token-ttl-seconds (1-21600)
  GET /latest/meta-data/iam/security-credentials/         the role name (404 with --no-role)
  GET /latest/meta-data/iam/security-credentials/<role>   the role's credentials (JSON)
  GET /latest/meta-data/placement/region                  --region
  GET /_log                                   what arrived: [{method, path, ttl, token_ok}]

Every GET needs the X-aws-ec2-metadata-token header with a token this server issued (401
otherwise), as on EC2. --delay-ms delays every answer (to test client timeouts).
"""

import argparse
import datetime
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

_lock = threading.Lock()
_log = []
_tokens = set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--role", default="awsdl-test-role")
    ap.add_argument("--no-role", action="store_true")
    ap.add_argument("--region", default="eu-west-1")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--watch-stdin", action="store_true")
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # quiet
            pass

        def _send(self, status, body, ctype="text/plain"):
            if args.delay_ms:
                time.sleep(min(args.delay_ms, 30000) / 1000.0)
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self, token_ok):
            with _lock:
                _log.append({"method": self.command, "path": self.path,
                             "ttl": self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"),
                             "token_ok": token_ok})

        def do_PUT(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 1 << 20))
            self._record(None)
            if self.path != "/latest/api/token":
                return self._send(404, "not found")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self._send(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
            token = "AQAEA" + secrets.token_urlsafe(24)
            with _lock:
                _tokens.add(token)
            self._send(200, token)

        def do_GET(self):
            if self.path == "/_log":
                with _lock:
                    body = json.dumps(_log)
                return self._send(200, body, "application/json")
            token = self.headers.get("X-aws-ec2-metadata-token")
            with _lock:
                token_ok = token in _tokens
            self._record(token_ok)
            if not token_ok:
                return self._send(401, "")
            base = "/latest/meta-data/iam/security-credentials/"
            if self.path == base:
                return self._send(404, "") if args.no_role else self._send(200, args.role)
            if self.path == base + args.role and not args.no_role:
                now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
                exp = now + datetime.timedelta(hours=6)
                fmt = "%Y-%m-%dT%H:%M:%SZ"
                return self._send(200, json.dumps({
                    "Code": "Success", "LastUpdated": now.strftime(fmt), "Type": "AWS-HMAC",
                    "AccessKeyId": ACCESS_KEY_ID, "SecretAccessKey": SECRET_ACCESS_KEY,
                    "Token": "IQoJb3JpZ2luX2VjEFAKEIMDSSESSIONTOKEN", "Expiration": exp.strftime(fmt)}),
                    "application/json")
            if self.path == "/latest/meta-data/placement/region":
                return self._send(200, args.region)
            self._send(404, "")

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    if args.watch_stdin:
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
