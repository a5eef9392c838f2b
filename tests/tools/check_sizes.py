#!/usr/bin/env python3
"""Fail when a source file we wrote is over 1,000 lines (issue 13: a file that long holds
several jobs). Generated and third-party code (node_modules, build folders, fuzz corpora) is
left out. Usage: check_sizes.py SOURCE_ROOT"""
import os
import sys

LIMIT = 1000
FOLDERS = ["common", "lsp", "providers", "grammars", "editors", "tests"]
EXTS = (".c", ".h", ".py", ".lua", ".el", ".ts", ".js", ".mjs")
SKIP_DIRS = {"node_modules", "corpus", "out", ".git"}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    over, seen = [], 0
    for top in FOLDERS:
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith("build")]
            for f in files:
                if not f.endswith(EXTS):
                    continue
                path = os.path.join(d, f)
                with open(path, "rb") as fh:
                    n = fh.read().count(b"\n")
                seen += 1
                if n > LIMIT:
                    over.append("%s: %d lines" % (os.path.relpath(path, root), n))
    for line in over:
        print("over %d lines: %s" % (LIMIT, line))
    print("check_sizes: %d files, %d over %d lines" % (seen, len(over), LIMIT))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
