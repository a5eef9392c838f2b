#!/usr/bin/env python3
"""Latency wrap mode adds to forwarded messages: the same requests sent to a language server
directly and through `understudy --wrap --`, in alternating rounds, p50/p95 of each and the
difference. Target (issue 8): added p50 under 0.5 ms.

Children: an echo server (this file with --echo-child: answers at once, so the figure is the
wrapper's own cost), the echo server with a 64 KiB answer (raw pass-through of a big body), and
Debian's clangd (hover on the wrap_c_project fixture).

usage: bench_wrap.py [UNDERSTUDY_BIN] [--rounds N] [--requests N] [--smoke] [--json PATH]"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "bench"))


def echo_child():
    """Minimal LSP server: initialize, hover (answer padded to $ECHO_BYTES), shutdown, exit."""
    pad = "x" * int(os.environ.get("ECHO_BYTES", "0"))
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        n = None
        while True:
            line = inp.readline()
            if not line:
                return 0
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v)
        msg = json.loads(inp.read(n))
        m, mid = msg.get("method"), msg.get("id")
        if m == "exit":
            return 0
        if mid is None:
            continue
        if m == "initialize":
            res = {"capabilities": {"hoverProvider": True, "textDocumentSync": 2}}
        elif m == "textDocument/hover":
            res = {"contents": {"kind": "plaintext", "value": "echo" + pad}}
        else:
            res = None
        body = json.dumps({"jsonrpc": "2.0", "id": mid, "result": res}).encode()
        out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        out.flush()


if __name__ == "__main__" and "--echo-child" in sys.argv:
    sys.exit(echo_child())

from benchlib import Lsp, machine, summarize_runs  # noqa: E402


def start(cmd, cwd, env, root):
    lsp = Lsp(cmd, env=env, cwd=cwd)
    r = lsp.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + root,
                                   "capabilities": {}}, timeout=30)
    if "error" in r:
        raise RuntimeError("initialize failed: %r" % r)
    lsp.notify("initialized", {})
    return lsp


def measure(lsp, uri, pos, n):
    samples = []
    params = {"textDocument": {"uri": uri}, "position": pos}
    for _ in range(n):
        t0 = time.perf_counter()
        r = lsp.request("textDocument/hover", params, timeout=30)
        samples.append((time.perf_counter() - t0) * 1000.0)
        if "error" in r:
            raise RuntimeError("hover failed: %r" % r)
    return samples


def run_case(name, child_cmd, binary, proj, env, rounds, n):
    main_c = os.path.join(proj, "main.c")
    with open(main_c) as f:
        text = f.read()
    i = text.index("rectangle_area(&box") + 3
    pos = {"line": text.count("\n", 0, i), "character": i - text.rfind("\n", 0, i) - 1}
    uri = "file://" + main_c
    servers = {"direct": start(child_cmd, proj, env, proj),
               "wrapped": start([binary, "--wrap", "--"] + child_cmd, proj, env, proj)}
    runs = {"direct": [], "wrapped": []}
    try:
        for lsp in servers.values():
            lsp.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "c", "version": 1, "text": text}})
            measure(lsp, uri, pos, max(5, n // 10))  # warm up (clangd builds its AST)
        for _ in range(rounds):
            for which in ("direct", "wrapped"):
                runs[which].append(measure(servers[which], uri, pos, n))
    finally:
        for lsp in servers.values():
            lsp.close()
    d, w = summarize_runs(runs["direct"]), summarize_runs(runs["wrapped"])
    return {"case": name, "requests": rounds * n, "direct": d, "wrapped": w,
            "added_p50_ms": w["p50_ms"] - d["p50_ms"], "added_p95_ms": w["p95_ms"] - d["p95_ms"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.environ.get("UNDERSTUDY_BIN") or
                    os.path.join(SRC, "build", "understudy"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--smoke", action="store_true", help="2 rounds of 30: checks it runs")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    if a.smoke:
        a.rounds, a.requests = 2, 30
    binary = os.path.abspath(a.binary)
    proj = tempfile.mkdtemp(prefix="us-bench-wrap-")
    fixture = os.path.join(SRC, "tests", "fixtures", "wrap_c_project")
    for f in os.listdir(fixture):
        shutil.copy(os.path.join(fixture, f), proj)
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = os.path.join(proj, "no-config")  # local engine only, no providers
    env.pop("UNDERSTUDY_CONFIG", None)
    echo = [sys.executable, os.path.abspath(__file__), "--echo-child"]
    cases = [("echo child, small answer", echo, {}),
             ("echo child, 64 KiB answer", echo, {"ECHO_BYTES": str(64 * 1024)})]
    if shutil.which("clangd"):
        cases.append(("clangd hover", ["clangd", "--log=error", "--background-index=0"], {}))
    results = []
    try:
        for name, cmd, extra in cases:
            e = dict(env)
            e.update(extra)
            results.append(run_case(name, cmd, binary, proj, e, a.rounds, a.requests))
    finally:
        shutil.rmtree(proj, ignore_errors=True)

    print("Wrap mode: latency added to forwarded requests (%d rounds x %d requests, median of "
          "per-round percentiles, ms)" % (a.rounds, a.requests))
    hdr = "%-28s %10s %10s %10s %10s %10s %10s" % ("case", "direct p50", "wrap p50", "added p50",
                                                   "direct p95", "wrap p95", "added p95")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        print("%-28s %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f" % (
            r["case"], r["direct"]["p50_ms"], r["wrapped"]["p50_ms"], r["added_p50_ms"],
            r["direct"]["p95_ms"], r["wrapped"]["p95_ms"], r["added_p95_ms"]))
    worst = max(r["added_p50_ms"] for r in results)
    ok = worst < 0.5
    print("target: added p50 < 0.5 ms: %s (worst %.3f ms)" % ("met" if ok else "MISSED", worst))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"bench": "wrap", "machine": machine(), "rounds": a.rounds,
                       "requests": a.requests, "results": results, "target_met": ok}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
