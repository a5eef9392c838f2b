#!/usr/bin/env python3
"""Latency-spike drill (issue 18), "a bad Wednesday at a big provider": two providers, each
slow (2-4 s to its first byte) on a random 10 % of its requests and 150-350 ms otherwise.
Run 1: the better provider alone. Run 2: both, with hedging ("auto": the provider's own p95).
Prints p50/p95/max of each run, the ratio of the p95s and the share of extra requests (provider
requests beyond one per completion), then one JSON line (the last line of stdout).

    python3 tests/bench/drill/spike.py [BUILD_DIR] [--smoke] [--requests N] [--seed S]

Targets: hedged p95 <= 1/3 of the alone p95, extra requests <= 20 %. The deadline is long
(5 s) so the alone run's tail is measured, not cut. --smoke: 16 requests per run, 150 ms apart (figures indicative)."""
import argparse
import json
import os
import queue
import random
import threading
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "tests", "fakes"))
from fakeclient import FakeProvider  # noqa: E402
import lspclient  # noqa: E402

ANSWER = "return a + b\n"
DEADLINE_MS = 5000


def script(rng, n):
    """n queued answers: 10 % slow (2-4 s), the rest 150-350 ms."""
    out = []
    for _ in range(n):
        ms = rng.randint(2000, 4000) if rng.random() < 0.10 else rng.randint(150, 350)
        out.append({"mode": "latency", "latency_ms": ms, "count": 1, "text": ANSWER})
    return out


def pct(v, q):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(q / 100.0 * len(v)))], 1) if v else None


def run(fakes, n, interval, hedge):
    providers = [{"name": "p%d" % i, "kind": "openai-compatible", "model": "m",
                  "base_url": f.base_url + "/v1"} for i, f in enumerate(fakes)]
    cfg = {"providers": providers,
           "completion": {"deadline_ms": DEADLINE_MS, "inline_deadline_ms": DEADLINE_MS,
                          "hedge_ms": hedge},
           "breaker": {"failures": 3, "cooldown_ms": 5000}}
    s = lspclient.Server()
    arrived = {}
    stop = threading.Event()

    def drain():  # arrival times (wait_response alone would time the waiting, not the answer)
        while not stop.is_set():
            try:
                msg = s.inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            if "id" in msg and ("result" in msg or "error" in msg):
                arrived.setdefault(msg["id"], time.time())

    threading.Thread(target=drain, daemon=True).start()
    try:
        s.initialize(init_options=cfg)
        ring = int(DEADLINE_MS / 1000.0 / interval) + 2
        docs = []
        for i in range(ring):
            uri = "file:///tmp/understudy-spike-%d-%d.py" % (os.getpid(), i)
            s.open(uri, "x = 0\n")
            docs.append([uri, 1])
        pending = []
        t0 = time.time()
        for k in range(n):
            doc = docs[k % ring]
            doc[1] += 1
            text = "# spike %d v%d\nimport math\n\ndef add_%d(a, b):\n    " % (k, doc[1], k)
            s.notify("textDocument/didChange", {"textDocument": {"uri": doc[0], "version": doc[1]},
                                                 "contentChanges": [{"text": text}]})
            lines = text.split("\n")
            rid = s.request_async("textDocument/inlineCompletion", {
                "textDocument": {"uri": doc[0]},
                "position": {"line": len(lines) - 1, "character": len(lines[-1])},
                "context": {"triggerKind": 2}})
            pending.append((rid, time.time()))
            time.sleep(max(0.0, t0 + (k + 1) * interval - time.time()))
        lat, ai = [], 0
        for rid, ts in pending:
            r = s.wait_response(rid, timeout=DEADLINE_MS / 1000.0 + 5)
            while rid not in arrived:  # the drain thread sees it a moment later
                time.sleep(0.005)
            lat.append((arrived[rid] - ts) * 1000.0)
            items = (r.get("result") or {}).get("items") or []
            ai += bool(items and items[0]["command"]["arguments"][0]["source"].startswith("p"))
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        s.shutdown_and_exit()
        return lat, ai, st
    finally:
        stop.set()
        s.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=None)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--requests", type=int, default=None)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args()
    if args.build and not os.environ.get("UNDERSTUDY_BIN"):
        lspclient.BIN = os.path.abspath(os.path.join(args.build, "understudy"))
    n = args.requests or (16 if args.smoke else 200)
    interval = 0.15 if args.smoke and args.interval == 0.25 else args.interval
    rng = random.Random(args.seed)
    a, b = FakeProvider(text=ANSWER), FakeProvider(text=ANSWER)
    try:
        res = {}
        for name, fakes, hedge in (("alone", [a], 0), ("hedged", [a, b], "auto")):
            for f in (a, b):
                f.reset()
                # more answers queued than can be asked: each provider's own 10 %
                f.control(queue=script(rng, 2 * n + 10))
            lat, ai, st = run(fakes, n, interval, hedge)
            asked = sum(len([q for q in f.requests() if not (q.get("path") or "/_").startswith("/_")])
                        for f in fakes)
            res[name] = {"requests": n, "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95),
                         "max_ms": round(max(lat), 1), "ai_served": ai,
                         "provider_requests": asked,
                         "extra_requests_pct": round(100.0 * (asked - n) / n, 1),
                         "states": [p["state"] for p in st["providers"]],
                         "overall": st["state"]}
    finally:
        a.stop()
        b.stop()
    ratio = res["hedged"]["p95_ms"] / max(1.0, res["alone"]["p95_ms"])
    print("Latency-spike drill: %d requests per run, every %d ms; each provider 2-4 s on a "
          "random 10 %% of requests, 150-350 ms otherwise; deadline %d ms" % (
              n, interval * 1000, DEADLINE_MS))
    print("  %-8s %8s %8s %8s %10s %8s  %s" % ("run", "p50 ms", "p95 ms", "max ms",
                                              "AI served", "extra %", "states"))
    for name, r in res.items():
        print("  %-8s %8s %8s %8s %10d %8s  %s/%s" % (name, r["p50_ms"], r["p95_ms"], r["max_ms"],
                                                  r["ai_served"], r["extra_requests_pct"],
                                                  ",".join(r["states"]), r["overall"]))
    print("  hedged p95 / alone p95 = %.2f (target <= 0.33); extra requests %.1f %% (target <= 20 %%)"
          % (ratio, res["hedged"]["extra_requests_pct"]))
    print(json.dumps({"spike": res, "p95_ratio": round(ratio, 3), "smoke": args.smoke}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
