#!/usr/bin/env python3
"""Fails when a public header (include/awsdl) names anything in awsdl::internal, or lets
callers name a pimpl's Impl.

A forward-declared private `struct Impl;` held by a (smart) pointer is fine; `internal::X` in a
public header, a `namespace awsdl::internal` block there, or an `Impl` (type, constructor
taking one, accessor) outside a private section is what this refuses.
    usage: check_public_headers.py INCLUDE_DIR
"""
import pathlib
import re
import sys

INTERNAL = re.compile(r"\binternal\s*::|\bnamespace\s+(awsdl\s*::\s*)?internal\b")
ACCESS = re.compile(r"^\s*(public|private|protected)\s*:")
CLASS_OPEN = re.compile(r"^\s*(class|struct)\s+(AWSDL_EXPORT\s+)?(\[\[[^\]]*\]\]\s*)?(\w+)\b[^;]*$")
IMPL = re.compile(r"\bImpl\b|\bimpl\s*\(")


def code_of(line: str) -> str:
    """The line without its // comment (string literals in these headers hold no //)."""
    return line.split("//", 1)[0]


def check(path: pathlib.Path, root: pathlib.Path) -> list:
    problems = []
    # The access in force, per nesting of class bodies: a class starts private, a struct public.
    access_stack = []
    pending = None  # "class" / "struct" whose "{" is still to come
    depth_of_class = []
    depth = 0
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = code_of(raw)
        where = f"{path.relative_to(root)}:{n}"
        if INTERNAL.search(line):
            problems.append(f"{where}: names awsdl::internal: {raw.strip()}")
        m = CLASS_OPEN.match(line)
        if m and not line.rstrip().endswith(";"):
            pending = m.group(1)
        if ACCESS.match(line) and access_stack:
            access_stack[-1] = ACCESS.match(line).group(1)
        if IMPL.search(line):
            current = access_stack[-1] if access_stack else "public"
            if current != "private":
                problems.append(f"{where}: Impl reachable by callers ({current}): {raw.strip()}")
        for ch in line:
            if ch == "{":
                depth += 1
                if pending:
                    access_stack.append("private" if pending == "class" else "public")
                    depth_of_class.append(depth)
                    pending = None
            elif ch == "}":
                if depth_of_class and depth_of_class[-1] == depth:
                    depth_of_class.pop()
                    access_stack.pop()
                depth -= 1
        if line.rstrip().endswith(";"):
            pending = None if not m else pending
    return problems


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = pathlib.Path(sys.argv[1])
    headers = sorted(root.rglob("*.hpp"))
    if not headers:
        print(f"check_public_headers: no headers under {root}")
        return 2
    problems = [p for h in headers for p in check(h, root)]
    for p in problems:
        print("check_public_headers:", p)
    print(f"check_public_headers: {len(headers)} headers, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
