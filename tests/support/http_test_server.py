#!/usr/bin/env python3
"""An HTTP/1.1 server for transport tests that misbehaves on request.

Listens on 127.0.0.1 only, on the port given (0 = any free one), and prints
"PORT <n>" as its first line on stdout. With --watch-stdin it exits when its stdin
closes, so it never outlives the test that started it.

Paths (query parameters in brackets, all optional; unknown paths get a 404 naming the target):
  /echo            200 JSON: method, target, path, query, version, headers (in order),
                   body_length, body_crc32, body (when short UTF-8), chunked, connection
                   (a number per client connection). Any method; HEAD gets no body.
                   Sends "X-Repeat" twice and "X-Connection". [status] overrides the status
                   code; [delay_ms] waits before answering; [drop_if_reused=1] closes the
                   connection without answering when it already served a request.
  /bytes           [n, chunked=1, chunk]: n pattern bytes (byte i = (i % 65521 * 7 + 3) & 255),
                   header X-Body-Crc32.
  /slow            [n, chunk, interval_ms]: n pattern bytes, chunk bytes every interval_ms.
  /delay           [ms]: waits ms before answering "ok".
  /slow-read       [chunk, interval_ms]: reads the request body chunk bytes every interval_ms,
                   then answers "read <n>" (a server that takes an upload at a trickle).
  /stall           [after, seconds, total]: announces total bytes, sends after, stalls.
  /close-mid       [after]: announces more, sends after bytes, resets the connection.
  /short           [claim, send]: Content-Length claim, sends send bytes, closes cleanly.
  /big-headers     [count, size]: count headers X-Big-<i> of size bytes each.
  /big-header      [size]: one header of size bytes.
  /redirect        [to]: 302 to `to`.
  /chunked         [chunks, size]: a chunked body of pattern bytes.
  /status          [code, retry_after]: that status with a small XML error body.
  /drop            closes the connection without answering.
  /reset           resets the connection without answering.
  /proxy-log       JSON list of what arrived as proxy requests (CONNECT and absolute-form).
  /answer/NAME/... a hostile or foreign server's answer to any request, whatever the method and
                   the rest of the path, so that http://127.0.0.1:PORT/answer/NAME can be a
                   client's AWS endpoint (see ANSWERS below; unknown NAME: 404).
  /garbage         [kind]: answers something that is not HTTP, then closes: kind=text (a line
                   of text, the default), binary (random bytes), ssh (an SSH banner), status
                   (an HTTP status line with a non-numeric code).
Proxy requests: absolute-form targets ("GET http://host/path") are recorded and then served
like their path; CONNECT is recorded and refused with 403.
"""

import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PERIOD = 65521
# (i * 7 + 3) & 255 repeats every 256 bytes, so one period is built from a 256-byte cycle.
_CYCLE = bytes(((i * 7 + 3) & 0xFF) for i in range(256))
BLOCK = (_CYCLE * (PERIOD // 256 + 1))[:PERIOD] * 4
MAX_SLEEP = 30.0

# /answer/NAME: (status, content type, body) for any request.
DEEP = 300000
ANSWERS = {
    # 400 with JSON nested 300,000 levels deep (never closed): a recursive parser overflows.
    "deep-json": (400, "application/json", b'{"a":' + b"[" * DEEP),
    # The same in XML, inside an <Error>.
    "deep-xml": (400, "application/xml", b"<Error>" + b"<a>" * DEEP),
    # 500 whose <Code> is 'Signature=' and 100,000 characters: a recursive redaction regex
    # overflows on it.
    "long-code": (500, "application/xml",
                  b"<Error><Code>Signature=" + b"A" * 100000 + b"</Code><Message>boom</Message></Error>"),
    # An error document with a 200, as S3 sends for some failures and broken proxies for any.
    "error-200": (200, "application/xml",
                  b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                  b"<Message>Access Denied by the hostile server</Message><RequestId>HOSTILE-200</RequestId></Error>"),
    # A 200 answer to a query call without its <ActionResult> element.
    "no-result-200": (200, "text/xml",
                      b"<DescribeStacksResponse><ResponseMetadata><RequestId>HOSTILE-NR</RequestId>"
                      b"</ResponseMetadata></DescribeStacksResponse>"),
}

# /answer/moto-s3: just enough S3 for a multipart upload, answering as moto 5.2.1 does (its
# bodies captured with boto3; the roots of CompleteMultipartUpload and ListParts are
# <...Response>, not S3's <...Result>). Nothing is stored but part numbers and sizes.
MOTO_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_moto_uploads = {}  # upload id -> {part number: size}
_moto_log = []      # "OPERATION" per request, for /answer/moto-s3-log

_lock = threading.Lock()
_next_connection = [0]
_proxy_log = []


def pattern(offset, n):
    """n pattern bytes starting at absolute offset."""
    out = bytearray()
    while n > 0:
        start = offset % PERIOD
        take = min(n, len(BLOCK) - start)
        out += BLOCK[start:start + take]
        offset += take
        n -= take
    return bytes(out)


def pattern_crc(n):
    crc = 0
    off = 0
    while off < n:
        piece = pattern(off, min(1 << 20, n - off))
        crc = zlib.crc32(piece, crc)
        off += len(piece)
    return crc


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def version_string(self):
        return "awsdl-http-test"

    def setup(self):
        super().setup()
        with _lock:
            _next_connection[0] += 1
            self.connection_id = _next_connection[0]
        self.served = 0

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("http_test_server: " + (fmt % args) + "\n")

    # -- helpers -------------------------------------------------------------------------

    def params(self):
        q = parse_qs(self.query, keep_blank_values=True)
        return {k: v[-1] for k, v in q.items()}

    def int_param(self, name, default):
        try:
            return int(self.params().get(name, default))
        except ValueError:
            return default

    def read_body(self):
        """The request body, from Content-Length or chunked encoding."""
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("eof in chunk size")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while True:  # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return bytes(out), True
                out += self.rfile.read(size)
                self.rfile.readline(3)
        length = int(self.headers.get("Content-Length", "0") or 0)
        return (self.rfile.read(length) if length else b""), False

    def send_simple(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def hard_reset(self):
        """Close with RST instead of FIN."""
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def sleep(self, seconds):
        time.sleep(max(0.0, min(seconds, MAX_SLEEP)))

    # -- dispatch ------------------------------------------------------------------------

    def dispatch(self):
        target = self.path
        if target.startswith("http://") or target.startswith("https://"):
            with _lock:
                _proxy_log.append({"method": self.command, "target": target,
                                   "proxy_connection": self.connection_id})
            parts = urlsplit(target)
            path, self.query = parts.path or "/", parts.query
        else:
            path, _, self.query = target.partition("?")
        self.route = path
        handler = {
            "/echo": self.h_echo, "/bytes": self.h_bytes, "/slow": self.h_slow,
            "/delay": self.h_delay, "/slow-read": self.h_slow_read, "/stall": self.h_stall, "/close-mid": self.h_close_mid,
            "/short": self.h_short, "/big-headers": self.h_big_headers,
            "/big-header": self.h_big_header, "/redirect": self.h_redirect,
            "/chunked": self.h_chunked, "/status": self.h_status, "/drop": self.h_drop,
            "/reset": self.h_reset, "/proxy-log": self.h_proxy_log, "/garbage": self.h_garbage,
        }.get(path)
        if handler is None and path.startswith("/answer/"):
            handler = self.h_answer
        try:
            if handler is None:
                self.read_body()
                self.send_simple(404, b"no such path: " + self.path.encode() + b"\n")
            else:
                handler()
            self.served += 1
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = dispatch

    def do_CONNECT(self):
        with _lock:
            _proxy_log.append({"method": "CONNECT", "target": self.path,
                               "proxy_connection": self.connection_id})
        self.close_connection = True
        self.send_simple(403, b"")

    # -- behaviours ----------------------------------------------------------------------

    def h_echo(self):
        body, chunked = self.read_body()
        if self.params().get("drop_if_reused") == "1" and self.served > 0:
            # As a server that timed out an idle keep-alive connection just as a request came.
            self.h_drop()
            return
        self.sleep(self.int_param("delay_ms", 0) / 1000.0)
        try:
            text = body.decode("utf-8") if len(body) <= 65536 else None
        except UnicodeDecodeError:
            text = None
        doc = {
            "method": self.command, "target": self.path, "path": self.route, "query": self.query,
            "version": self.request_version, "headers": [[k, v] for k, v in self.headers.items()],
            "body_length": len(body), "body_crc32": zlib.crc32(body), "body": text,
            "chunked": chunked, "connection": self.connection_id,
        }
        out = json.dumps(doc).encode()
        self.send_response(self.int_param("status", 200))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-Repeat", "one")
        self.send_header("X-Repeat", "two")
        self.send_header("X-Connection", str(self.connection_id))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    def h_bytes(self):
        self.read_body()
        n = self.int_param("n", 1024)
        chunk = max(1, self.int_param("chunk", 1 << 16))
        chunked = self.params().get("chunked") == "1"
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("X-Body-Crc32", str(pattern_crc(n)))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        off = 0
        while off < n:
            piece = pattern(off, min(chunk, n - off))
            if chunked:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                self.wfile.write(piece)
            off += len(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def h_slow(self):
        self.read_body()
        n = self.int_param("n", 10000)
        chunk = max(1, self.int_param("chunk", 100))
        interval = self.int_param("interval_ms", 100) / 1000.0
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.flush()
        off = 0
        deadline = time.monotonic() + MAX_SLEEP
        while off < n and time.monotonic() < deadline:
            piece = pattern(off, min(chunk, n - off))
            self.wfile.write(piece)
            self.wfile.flush()
            off += len(piece)
            self.sleep(interval)
        self.close_connection = True

    def h_delay(self):
        self.read_body()
        self.sleep(self.int_param("ms", 1000) / 1000.0)
        self.send_simple(200, b"ok")

    def h_slow_read(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        chunk = max(1, self.int_param("chunk", 100))
        interval = self.int_param("interval_ms", 100) / 1000.0
        got = 0
        deadline = time.monotonic() + MAX_SLEEP
        while got < length and time.monotonic() < deadline:
            data = self.rfile.read(min(chunk, length - got))
            if not data:
                break
            got += len(data)
            self.sleep(interval)
        if got < length:
            self.close_connection = True
            return
        self.send_simple(200, b"read %d" % got)

    def h_stall(self):
        self.read_body()
        after = self.int_param("after", 100)
        total = max(after, self.int_param("total", after * 100 + 1))
        self.send_response(200)
        self.send_header("Content-Length", str(total))
        self.end_headers()
        self.wfile.write(pattern(0, after))
        self.wfile.flush()
        self.sleep(self.int_param("seconds", 10))
        self.close_connection = True

    def h_close_mid(self):
        self.read_body()
        after = self.int_param("after", 1000)
        self.send_response(200)
        self.send_header("Content-Length", str(after * 10 + 1))
        self.end_headers()
        self.wfile.write(pattern(0, after))
        self.wfile.flush()
        time.sleep(0.05)
        self.hard_reset()

    def h_short(self):
        self.read_body()
        claim = self.int_param("claim", 1000)
        send = self.int_param("send", 10)
        self.send_response(200)
        self.send_header("Content-Length", str(claim))
        self.end_headers()
        self.wfile.write(pattern(0, send))
        self.wfile.flush()
        self.close_connection = True

    def h_big_headers(self):
        self.read_body()
        count = self.int_param("count", 100)
        size = self.int_param("size", 1000)
        self.send_response(200)
        for i in range(count):
            self.send_header("X-Big-%d" % i, "a" * size)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def h_big_header(self):
        self.read_body()
        self.send_response(200)
        self.send_header("X-Huge", "h" * self.int_param("size", 200000))
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def h_redirect(self):
        self.read_body()
        self.send_simple(302, b"redirecting\n", extra=[("Location", self.params().get("to", "/echo"))])

    def h_chunked(self):
        self.read_body()
        chunks = self.int_param("chunks", 10)
        size = max(1, self.int_param("size", 1000))
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Body-Crc32", str(pattern_crc(chunks * size)))
        self.end_headers()
        for i in range(chunks):
            piece = pattern(i * size, size)
            self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def h_status(self):
        self.read_body()
        code = self.int_param("code", 503)
        body = ("<Error><Code>Status%d</Code><Message>as requested</Message></Error>" % code).encode()
        extra = [("Retry-After", self.params()["retry_after"])] if "retry_after" in self.params() else []
        self.send_simple(code, body, "application/xml", extra)

    def h_drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def h_reset(self):
        self.hard_reset()

    def h_answer(self):
        self.read_body()
        parts = self.route.split("/")  # "", "answer", NAME, ...
        name = parts[2] if len(parts) > 2 else ""
        if name == "moto-s3":
            self.moto_s3("/".join(parts[3:]))
            return
        if name == "moto-s3-log":
            with _lock:
                out = json.dumps(_moto_log).encode()
            self.send_simple(200, out, "application/json")
            return
        if name not in ANSWERS:
            self.send_simple(404, b"no such answer: " + name.encode() + b"\n")
            return
        status, ctype, body = ANSWERS[name]
        self.send_simple(status, body, ctype, [("x-amz-request-id", "HOSTILE-" + name)])

    def moto_s3(self, bucket_key):
        bucket, _, key = bucket_key.partition("/")
        q = self.params()
        xml = lambda body: ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()
        etag = lambda n: '"%032x"' % (n * 7919)
        with _lock:
            if self.command == "POST" and "uploads" in q:
                op = "CreateMultipartUpload"
                upload_id = "moto-upload-%d" % (len(_moto_uploads) + 1)
                _moto_uploads[upload_id] = {}
                body = xml('<InitiateMultipartUploadResult xmlns="%s"><Bucket>%s</Bucket><Key>%s</Key>'
                           '<UploadId>%s</UploadId></InitiateMultipartUploadResult>' % (MOTO_NS, bucket, key, upload_id))
                answer = (200, body, [])
            elif self.command == "PUT" and "partNumber" in q and q.get("uploadId") in _moto_uploads:
                op = "UploadPart"
                n = int(q["partNumber"])
                _moto_uploads[q["uploadId"]][n] = int(self.headers.get("x-amz-decoded-content-length")
                                                      or self.headers.get("Content-Length") or 0)
                answer = (200, b"", [("ETag", etag(n))])
            elif self.command == "GET" and q.get("uploadId") in _moto_uploads:
                op = "ListParts"
                parts = sorted(_moto_uploads[q["uploadId"]].items())
                items = "".join("<Part><PartNumber>%d</PartNumber><LastModified>2026-12-06T14:42:07.000Z</LastModified>"
                                "<ETag>%s</ETag><Size>%d</Size></Part>" % (n, etag(n), size) for n, size in parts)
                body = xml('<ListPartsResponse xmlns="%s"><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId>'
                           '<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>%d</NextPartNumberMarker>'
                           '<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>%s<StorageClass>STANDARD'
                           '</StorageClass></ListPartsResponse>'
                           % (MOTO_NS, bucket, key, q["uploadId"], parts[-1][0] if parts else 0, items))
                answer = (200, body, [])
            elif self.command == "POST" and q.get("uploadId") in _moto_uploads:
                op = "CompleteMultipartUpload"
                count = len(_moto_uploads.pop(q["uploadId"]))
                body = xml('<CompleteMultipartUploadResponse xmlns="%s"><Location>http://%s.s3.amazonaws.com/%s</Location>'
                           '<Bucket>%s</Bucket><Key>%s</Key><ETag>"298c9a5c8205ea8eeef29652993678aa-%d"</ETag>'
                           '</CompleteMultipartUploadResponse>' % (MOTO_NS, bucket, key, bucket, key, count))
                answer = (200, body, [])
            elif self.command == "DELETE" and "uploadId" in q:
                op = "AbortMultipartUpload"
                if _moto_uploads.pop(q["uploadId"], None) is None:
                    answer = (404, xml("<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist."
                                       "</Message></Error>"), [])
                else:
                    answer = (204, b"", [])
            elif self.command == "PUT" and key and not q:
                op = "PutObject"
                answer = (200, b"", [("ETag", '"0bbc18cdea1c4aaa17777d441214774a"')])
            else:
                op = "Unsupported %s %s" % (self.command, self.path)
                answer = (501, xml("<Error><Code>NotImplemented</Code><Message>not in this small S3</Message></Error>"), [])
            _moto_log.append(op)
        status, body, extra = answer
        if status == 204:
            self.send_response(204)
            self.end_headers()
            return
        self.send_simple(status, body, "application/xml", extra)

    def h_garbage(self):
        self.read_body()
        kind = self.params().get("kind", "text")
        answer = {
            "text": b"this is not an HTTP answer\r\n\r\n",
            "binary": bytes((i * 37 + 11) & 0xFF for i in range(512)),
            "ssh": b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
            "status": b"HTTP/1.1 abc Nonsense\r\nContent-Length: 2\r\n\r\nok",
        }.get(kind, b"?")
        self.wfile.write(answer)
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def h_proxy_log(self):
        self.read_body()
        with _lock:
            out = json.dumps(_proxy_log).encode()
        self.send_simple(200, out, "application/json")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    verbose = False

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def make_tls_context(directory):
    """A self-signed certificate for 127.0.0.1 (cert.pem in directory), made with the openssl CLI."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tls_certs
    return tls_certs.server_context(*tls_certs.self_signed(directory))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-dir", help="serve HTTPS with a self-signed cert made in this directory")
    ap.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not (args.host.startswith("127.") or args.host == "::1"):
        ap.error("loopback addresses only")

    httpd = Server((args.host, args.port), Handler)
    httpd.verbose = args.verbose
    if args.tls_dir:
        ctx = make_tls_context(args.tls_dir)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)

    if args.watch_stdin:
        def watch():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)
        threading.Thread(target=watch, daemon=True).start()

    print("PORT %d" % httpd.server_address[1], flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
