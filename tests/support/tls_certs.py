"""Certificates for the loopback test servers, made with the openssl CLI (shared by
tests/support/http_test_server.py and the sandbox, tests/sandbox/server.py).

  self_signed(dir)  -> (cert, key): one self-signed certificate for 127.0.0.1 / localhost,
                       which is its own CA (the transport tests trust cert.pem directly).
  ca_signed(dir)    -> (ca, cert, key): a CA made for this run (ca.pem; its key stays in dir)
                       and a server certificate for 127.0.0.1 / localhost signed by it, as a
                       real endpoint's would be: a client trusts ca.pem, not the leaf.
  server_context(cert, key) -> an ssl.SSLContext for a server socket.

Every key is EC P-256 (fast to make), every certificate valid for 2 days: the files are made
per run. A directory that already holds the files is used as it is.
"""

import os
import subprocess

SAN = "subjectAltName=IP:127.0.0.1,DNS:localhost"
_CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def _have(*paths):
    return all(os.path.exists(p) for p in paths)


def self_signed(directory):
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    if not _have(cert, key):
        _openssl("req", "-x509", *_CURVE, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", SAN,
                 "-keyout", key, "-out", cert)
    return cert, key


def ca_signed(directory):
    os.makedirs(directory, exist_ok=True)
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    ca, ca_key, cert, key, csr, ext = (p("ca.pem"), p("ca-key.pem"), p("server.pem"), p("server-key.pem"),
                                       p("server.csr"), p("server.ext"))
    if not _have(ca, ca_key):
        _openssl("req", "-x509", *_CURVE, "-days", "2", "-subj", "/CN=libawsdl test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-keyout", ca_key, "-out", ca)
    if not _have(cert, key):
        _openssl("req", "-new", *_CURVE, "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
        with open(ext, "w") as f:
            f.write(SAN + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
                 "-extfile", ext, "-out", cert)
        for leftover in (csr, ext, p("ca.srl")):
            if os.path.exists(leftover):
                os.remove(leftover)
    return ca, cert, key


def server_context(cert, key):
    import ssl  # only the TLS servers pay for this import
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
