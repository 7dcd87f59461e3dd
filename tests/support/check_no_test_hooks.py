#!/usr/bin/env python3
"""Fails when a shipped file (libawsdl, awsdl-unpack, the example programs, an installed tree)
names a variable only the test suite may honour.

The suite's error log (AWSDL_ERROR_LOG, tests/support/error_log_*.{hpp,cpp}) is fed by hooks
that only test builds install: libawsdl calls an observer when one is installed and must not
read the variable itself, nor may the programs, nor may an installed header mention it.
    usage: check_no_test_hooks.py PATH...   (a directory is searched recursively)
"""
import pathlib
import sys

NAMES = [b"AWSDL_ERROR_LOG"]


def files(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from (f for f in sorted(p.rglob("*")) if f.is_file() and not f.is_symlink())
        else:
            yield p


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    bad = 0
    checked = 0
    for f in files(sys.argv[1:]):
        if not f.exists():
            print(f"check_no_test_hooks: {f} does not exist (build it first)")
            return 2
        data = f.read_bytes()
        checked += 1
        for name in NAMES:
            if name in data:
                bad += 1
                print(f"check_no_test_hooks: {f} contains {name.decode()}: a test hook in a shipped file")
    print(f"check_no_test_hooks: {checked} files checked, {bad} with a test hook")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
