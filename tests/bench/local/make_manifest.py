#!/usr/bin/env python3
"""Write corpus.manifest: the installed Debian files the local engine's quality benchmark reads
(one "language<TAB>path" per line). Only paths are committed; the bench reads the files at run
time. Files of 1.5 to 200 kB; JavaScript minified bundles skipped; at most MAX files per
language, chosen by a hash of the path so the choice does not depend on listing order.

usage: make_manifest.py [OUT]"""
import glob
import hashlib
import os
import re
import sys

MAX = 240
SHEBANG = re.compile(rb'#! ?(/usr)?/bin/(env +)?(ba|da)?sh\b')


def size_ok(p, lo=1500, hi=200000):
    try:
        return not os.path.islink(p) and lo <= os.path.getsize(p) <= hi
    except OSError:
        return False


def shell():
    out = []
    for d in ['/usr/bin', '/usr/sbin', '/etc', '/usr/lib/dpkg', '/usr/share/debconf',
              '/usr/lib/git-core', '/usr/share/doc']:
        for root, _, files in os.walk(d):
            for f in files:
                p = os.path.join(root, f)
                if not size_ok(p):
                    continue
                try:
                    with open(p, 'rb') as fh:
                        head = fh.read(64)
                except OSError:
                    continue
                if SHEBANG.match(head) or p.endswith('.sh'):
                    out.append(p)
    return out


def pick(paths):
    paths = sorted(set(p for p in paths if size_ok(p)))
    paths.sort(key=lambda p: hashlib.sha1(p.encode()).hexdigest())
    return sorted(paths[:MAX])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                              'corpus.manifest')
    langs = {
        'python': glob.glob('/usr/lib/python3*/*.py'),
        'c': glob.glob('/usr/include/*.h'),
        'javascript': [p for p in glob.glob('/usr/lib/node_modules/**/*.js', recursive=True) +
                       glob.glob('/usr/share/javascript/**/*.js', recursive=True)
                       if '.min.' not in p],
        'shellscript': shell(),
    }
    with open(out, 'w') as f:
        f.write('# local_quality corpus: installed Debian files (tests/bench/local/'
                'make_manifest.py)\n')
        for lang, paths in langs.items():
            chosen = pick(paths)
            for p in chosen:
                f.write(f'{lang}\t{p}\n')
            print(f'{lang}: {len(chosen)} files', file=sys.stderr)


main()
