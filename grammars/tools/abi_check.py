#!/usr/bin/env python3
"""Print the LANGUAGE_VERSION of each generated parser.c given as NAME=PATH arguments, one
"NAME VERSION" line each (VERSION is -1 when the file has no such define). meson reads this at
configure time to refuse grammars that libtree-sitter cannot load."""
import re
import sys

PATTERN = re.compile(rb"^#define LANGUAGE_VERSION (\d+)", re.M)

for arg in sys.argv[1:]:
    name, _, path = arg.partition("=")
    version = -1
    try:
        with open(path, "rb") as f:
            # The define sits near the top of every generated parser; avoid reading 20 MB files.
            m = PATTERN.search(f.read(8192))
            if m:
                version = int(m.group(1))
    except OSError:
        version = -2
    print(name, version)
