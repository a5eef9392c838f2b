"""Soak (issue 9): 20,000 completion requests (inlineCompletion and completion, with edits in
between, several in flight) against two fake providers that fail at random; the server must
answer every request, never crash, and its RSS must grow by less than 5 MB after warm-up.

Short fault latencies, a small deadline and hedge keep it to a few minutes on 2 cores.
US_SOAK_REQUESTS overrides the count (e.g. for a quick local run). Under a sanitizer build the
memory bound is not checked (the sanitizer's own quarantine grows) and the count is smaller."""
import os
import random
import subprocess
import sys
import time

from lspclient import BIN, Server, check, sanitized
from routerlib import FakeProvider

ANSWER = "return a + b\n"
WARMUP = 2000
RSS_LIMIT_KB = 5 * 1024
WINDOW = 8   # requests in flight
DOCS = 6     # fewer documents than the window: some requests supersede others

# Faults with short latencies (the deadline is 400 ms, the hedge 60 ms).
FAULTS = [
    ("status_500", {}), ("status_502", {}), ("status_503", {}), ("status_529", {}),
    ("html_error", {}), ("rate_limit_ms", {"retry_after_ms": 150}),
    ("rate_limit_none", {}), ("context_too_long", {}), ("bad_request", {}),
    ("hang", {"hang_ms": 600}), ("hang_after_headers", {"stall_ms": 500}),
    ("stall", {"stall_ms": 700}), ("drip", {}), ("malformed", {}), ("truncated", {}),
    ("reset_mid_body", {"reset_delay_ms": 5}), ("reset_before_response", {}),
    ("close_before_response", {}), ("gzip", {}), ("empty", {"text": ""}),
    ("wrong_content_type", {}), ("stream_error", {}), ("stream_error_first", {}),
    ("latency", {"latency_ms": 120}), ("chunked_bytes", {}), ("auth_401", {}),
    ("huge", {"size_bytes": 2 * 1024 * 1024}),
]


# What gets typed: words of a fixed vocabulary, each ending at a separator, so the set of
# distinct words stays bounded (the local engine interns every distinct word it has seen; a
# soak that typed endless new words would measure vocabulary, not leaks).
TYPED = ["return ", "a ", "b ", "value ", "total ", "+ ", "= ", "(", ")", ", ", "\n    ",
         "result.", "append(", "x ", "if ", ": "]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def fault_batch(rng, n, rate):
    """A queue of n entries: mostly healthy, with random faults (share `rate`) between."""
    q = []
    for _ in range(n):
        if rng.random() < rate:
            mode, params = rng.choice(FAULTS)
            entry = dict(mode=mode, count=1, text=ANSWER)
            entry.update(params)
        else:
            entry = dict(mode="healthy", count=rng.randint(1, 3), text=ANSWER)
        q.append(entry)
    return q


def main():
    san = sanitized(BIN)
    total = int(os.environ.get("US_SOAK_REQUESTS", "5000" if san else "20000"))
    rng = random.Random(int(os.environ.get("US_SOAK_SEED", "20260")))
    p = FakeProvider(text=ANSWER, max_seconds=3600)
    q = FakeProvider(text=ANSWER, max_seconds=3600)
    providers = [
        {"name": "primary", "kind": "openai-compatible", "model": "m", "base_url": p.base_url + "/v1",
         "api_key_env": "US_SOAK_KEY"},
        {"name": "secondary", "kind": "anthropic", "model": "m", "base_url": q.base_url,
         "api_key_env": "US_SOAK_KEY"},
    ]
    cfg = {"providers": providers,
           "completion": {"deadline_ms": 400, "hedge_ms": 60, "popup_budget_ms": 40},
           "breaker": {"failures": 3, "cooldown_ms": 150, "max_cooldown_ms": 600},
           "cache": {"entries": 256, "ttl_s": 5}}
    # glibc raises its mmap threshold after freeing a large block, so later multi-megabyte
    # response buffers come from the heap and how much of that returns to the system is luck.
    # Fixed thresholds make RSS show what the server keeps, not what the allocator caches.
    s = Server(env={"US_SOAK_KEY": "sk-soak-0123456789abcdefghij",
                    "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"})
    t0 = time.time()
    failures = []
    try:
        s.initialize(init_options=cfg)
        docs = []
        for i in range(DOCS):
            uri = "file:///tmp/understudy-soak-%d-%d.py" % (os.getpid(), i)
            head = "import os\n\ndef helper_%d(x):\n    return x * %d\n\ndef add(a, b):\n" % (i, i)
            s.open(uri, head + "    ")
            docs.append({"uri": uri, "version": 1, "head": head, "body": "    ", "edits": 0})
        outstanding = []  # (id, method, t_send)
        answered = errors = ai = 0
        worst = 0.0
        sources = {}
        rss_warm = None
        for n in range(total):
            if n % 40 == 0:
                p.control(queue=fault_batch(rng, 30, 0.3), clear_log=True)
                q.control(queue=fault_batch(rng, 12, 0.15), clear_log=True)
            if n % 997 == 0 and n:
                # A configuration change: re-enables providers an auth fault disabled, and
                # exercises the reconfigure path under load.
                s.notify("workspace/didChangeConfiguration", {"settings": {"understudy": cfg}})
            d = docs[n % DOCS]
            d["version"] += 1
            d["edits"] += 1
            if d["edits"] > 25:
                # Start the line again: the document stays small, the text stays new.
                d["edits"] = 0
                d["body"] = "    # round %d\n    " % n
                s.change(d["uri"], d["version"], [{"text": d["head"] + d["body"]}])
            else:
                ins = rng.choice(TYPED)
                lines = (d["head"] + d["body"]).split("\n")
                pos = {"line": len(lines) - 1, "character": len(lines[-1])}
                s.change(d["uri"], d["version"], [{"range": {"start": pos, "end": pos},
                                                   "text": ins}])
                d["body"] += ins
            lines = (d["head"] + d["body"]).split("\n")
            pos = {"line": len(lines) - 1, "character": len(lines[-1])}
            if rng.random() < 0.6:
                method = "textDocument/inlineCompletion"
                params = {"textDocument": {"uri": d["uri"]}, "position": pos,
                          "context": {"triggerKind": 2}}
            else:
                method = "textDocument/completion"
                params = {"textDocument": {"uri": d["uri"]}, "position": pos}
            outstanding.append((s.request_async(method, params), method, time.time()))
            quiet_point = n == WARMUP or (n and n % 4000 == 0) or n == total - 1
            while len(outstanding) >= WINDOW or (quiet_point and outstanding):
                rid, m, ts = outstanding.pop(0)
                try:
                    r = s.wait_response(rid, timeout=10)
                except TimeoutError:
                    failures.append("no answer to request %d (%s)" % (rid, m))
                    raise
                dt = time.time() - ts
                worst = max(worst, dt)
                if "error" in r:
                    errors += 1
                    check(r["error"]["code"] == -32800, "unexpected error %r" % r["error"])
                else:
                    answered += 1
                    items = r["result"]["items"] if isinstance(r["result"], dict) else r["result"]
                    if m.endswith("inlineCompletion") and items:
                        src = items[0]["command"]["arguments"][0]["source"]
                        sources[src] = sources.get(src, 0) + 1
                        if src in ("primary", "secondary"):
                            ai += 1
                    elif m.endswith("inlineCompletion"):
                        sources["(none)"] = sources.get("(none)", 0) + 1
            check(s.proc.poll() is None, "server died at request %d" % n)
            if quiet_point:
                # Memory is compared at quiet moments (nothing in flight, hung transfers and
                # probes over): transient buffers of a large response are not growth.
                time.sleep(1.2)
                rss = rss_kb(s.proc.pid)
                if n == WARMUP:
                    rss_warm = rss
                print("  %6d requests  %.0fs  rss %d kB  answered %d  cancelled %d  ai %d" % (
                    n, time.time() - t0, rss, answered, errors, ai), flush=True)
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        rss_end = rss_kb(s.proc.pid)
        growth = rss_end - (rss_warm or rss_end)
        print("requests %d, answered %d, cancelled %d, AI inline answers %d, slowest %.3fs" % (
            total, answered, errors, ai, worst))
        print("RSS after warm-up %s kB, at the end %d kB, growth %d kB%s" % (
            rss_warm, rss_end, growth, " (not checked: sanitizer build)" if san else ""))
        print("inline answers by source: %r" % sources)
        print("status: %s, %s" % (st["state"], [(x["name"], x["state"], x["requests"], x["failures"])
                                                for x in st["providers"]]))
        check(answered + errors == total, "every request got a response")
        check(errors < total * 0.2, "only superseded requests were cancelled (%d)" % errors)
        check(ai > 0, "AI providers served some answers")
        check(worst < 0.4 + 1.5, "every answer within the deadline plus generous slack (%.3fs)" % worst)
        if not san:
            check(growth < RSS_LIMIT_KB, "RSS grew by %d kB after warm-up" % growth)
        rc = s.shutdown_and_exit(timeout=15)
        check(rc == 0, "clean exit (%r)" % rc)
        err = s.stderr()
        check("Sanitizer" not in err and "runtime error" not in err,
              "sanitizer report: %s" % err[err.find("runtime error") - 200:][:600])
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        failures.append(str(e))
        if s.proc.poll() is not None:
            failures.append("server exit status %r; stderr tail: %s" % (
                s.proc.returncode, s.stderr()[-2000:]))
    finally:
        s.kill()
        p.stop()
        q.stop()
    print("soak: %d requests in %.0fs" % (total, time.time() - t0))
    for f in failures:
        print("FAIL", f)
    print("%d failed" % (1 if failures else 0))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
