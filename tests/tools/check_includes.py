#!/usr/bin/env python3
"""Check the floors: every `#include "..."` in common/, grammars/, providers/ and lsp/ points down
or sideways (common < grammars < providers < lsp), and no include chain runs in a circle.

Usage: check_includes.py [ROOT]   (ROOT defaults to the checkout holding this script)
Exit status 0 when clean, 1 with one line per problem otherwise. A quoted include is resolved
like the compiler does: the including file's own folder first, then the project's folders (a
name found in several folders resolves to the one on the including file's floor, else the
lowest). Names found nowhere (system or generated headers) are not ours and are skipped.
Generated and third-party sources (node_modules, build folders) are not read.
"""
import os
import re
import sys

FLOORS = ["common", "grammars", "providers", "lsp"]  # bottom to top
SKIP_DIRS = {"node_modules", ".git"}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def skipped(name):
    return name in SKIP_DIRS or name.startswith("build") or name.startswith(".")


def collect(root):
    """All .c/.h files under the floors: {relative path: floor index}."""
    files = {}
    for floor, top in enumerate(FLOORS):
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not skipped(d))
            for f in sorted(filenames):
                if f.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(dirpath, f), root)
                    files[rel] = floor
    return files


def resolve(src, name, files, by_base):
    """The project file that `#include "name"` in src means, or None."""
    own = os.path.normpath(os.path.join(os.path.dirname(src), name))
    if own in files:
        return own
    cands = [p for p in by_base.get(os.path.basename(name), []) if p.endswith(os.path.normpath(name))]
    if not cands:
        return None
    floor = files[src]
    same = [p for p in cands if files[p] == floor]
    if same:
        return sorted(same)[0]
    return min(cands, key=lambda p: (files[p], p))


def find_cycles(graph):
    """Strongly connected components with a cycle, each as one concrete cycle path."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strong(v):  # Tarjan, iterative enough for include graphs (shallow)
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(cycle_in(sorted(comp), graph))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def cycle_in(comp, graph):
    """A path start -> ... -> start inside one component (breadth-first, shortest)."""
    members = set(comp)
    start = comp[0]
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return [start, start]


def check(root):
    files = collect(root)
    by_base = {}
    for p in files:
        by_base.setdefault(os.path.basename(p), []).append(p)
    problems = []
    graph = {}
    for src in sorted(files):
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in INCLUDE_RE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            dst = resolve(src, m.group(1), files, by_base)
            if dst is None:
                continue
            graph.setdefault(src, set()).add(dst)
            if files[dst] > files[src]:
                problems.append('%s:%d: upward include "%s" (%s) from floor %s into floor %s'
                                % (src, line, m.group(1), dst, FLOORS[files[src]], FLOORS[files[dst]]))
    for cyc in find_cycles(graph):
        problems.append("include cycle: " + " -> ".join(cyc))
    return files, problems


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    files, problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print("check_includes: %d problem(s) in %d files" % (len(problems), len(files)))
        return 1
    print("check_includes: %d files, floors %s, no upward include, no cycle"
          % (len(files), " < ".join(FLOORS)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
