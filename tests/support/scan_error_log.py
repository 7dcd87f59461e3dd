#!/usr/bin/env python3
"""Fails when any error message the test suite produced contains a secret.

Every error that passes through an awsdl::Result is appended (code, status, message, request
id) to the file named by AWSDL_ERROR_LOG while the suite runs, by hooks only test builds have
(tests/support/error_log_hook.cpp in the test executables, error_log_preload.cpp preloaded
into the example programs the tests run; libawsdl itself reads no such variable). This scans
that file for the
documented example secret keys, for session tokens the sandbox issued (listed one per line in
the sandbox's secrets file, if any), for signatures and for Authorization header values.
"""
import pathlib
import re
import sys

SECRETS = [
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "wJalrXUtnFEMI",
]
PATTERNS = [
    re.compile(r"signature=[0-9a-f]{64}", re.I),
    re.compile(r"chunk-signature=[0-9a-f]{64}", re.I),
    re.compile(r"AWS4-HMAC-SHA256\s+Credential=\S+.*Signature", re.I),
    re.compile(r"X-Amz-Security-Token=[^&\s\[]", re.I),
]


def main() -> int:
    log = pathlib.Path(sys.argv[1])
    extra = [pathlib.Path(p) for p in sys.argv[2:]]
    if not log.exists():
        # A run of only a few tests may produce no error at all; the hook itself is tested by
        # the core unit tests, which always record some.
        print(f"scan_error_log: {log} does not exist: no error was recorded in this run")
        return 0
    secrets = list(SECRETS)
    for path in extra:
        if path.exists():
            secrets += [s.strip() for s in path.read_text().splitlines() if len(s.strip()) >= 8]
    lines = log.read_text(errors="replace").splitlines()
    bad = 0
    for n, line in enumerate(lines, 1):
        hits = [s[:6] + "…" for s in secrets if s in line] + [p.pattern for p in PATTERNS if p.search(line)]
        if hits:
            bad += 1
            # Print where, never the line itself: it holds the secret.
            print(f"scan_error_log: error line {n} (code {line.split(chr(9))[0]!r}) contains a secret: {hits}")
    print(f"scan_error_log: {len(lines)} error messages scanned, {bad} with a secret")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
