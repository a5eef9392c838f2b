#!/usr/bin/env python3
"""Self-test of check_includes.py: a clean temp tree passes; one with an include cycle and upward
includes fails and names them; generated sources under node_modules are not read."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_includes.py")


def tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def run(root):
    p = subprocess.run([sys.executable, CHECKER, root], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


CLEAN = {
    "common/base.h": "#include <stdio.h>\n",
    "common/map.h": '#include "base.h"\n',
    "grammars/syntax.h": '#include "map.h"\n#include "tree_sitter/api.h"\n',
    "grammars/node_modules/tree-sitter-x/src/parser.c": '#include "router.h"\n',  # not read
    "providers/router.h": '#include "syntax.h"\n',
    "providers/local/local.h": '#include "router.h"\n',
    "lsp/server.h": '#include "local.h"\n#include "base.h"\n',
    "lsp/server.c": '#include "server.h"\n',
}


def main():
    failures = []
    with tempfile.TemporaryDirectory() as d:
        tree(d, CLEAN)
        rc, out = run(d)
        if rc != 0:
            failures.append("clean tree failed:\n" + out)
    bad = dict(CLEAN)
    bad.update({
        "common/a.h": '#include "b.h"\n',
        "common/b.h": '#include "c.h"\n',
        "common/c.h": '#include "a.h"\n',                       # a -> b -> c -> a
        "grammars/syntax.c": '#include "syntax.h"\n#include "router.h"\n',  # grammars -> providers
        "providers/http.c": '#include "server.h"\n',            # providers -> lsp
        "common/log.c": '#include "base.h"\n#include "local.h"\n',  # common -> providers/local
    })
    with tempfile.TemporaryDirectory() as d:
        tree(d, bad)
        rc, out = run(d)
        if rc != 1:
            failures.append("bad tree: exit %d, want 1:\n%s" % (rc, out))
        for want in ["include cycle: common/a.h -> common/b.h -> common/c.h -> common/a.h",
                     'grammars/syntax.c:2: upward include "router.h"',
                     'providers/http.c:1: upward include "server.h"',
                     'common/log.c:2: upward include "local.h" (providers/local/local.h)']:
            if want not in out:
                failures.append("bad tree: missing %r in:\n%s" % (want, out))
        if "parser.c" in out:
            failures.append("node_modules was read:\n" + out)
    for f in failures:
        print(f)
    print("test_check_includes: %s" % ("FAIL" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
