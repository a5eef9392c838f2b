"""Fault catalog (issue 9): for every fault the fake provider can play, the inlineCompletion is
answered within the deadline (by failover to a healthy secondary, or by the primary itself when
the "fault" is one it must cope with, like gzip), with the right provenance, and the failing
provider's state afterwards follows the outcome table in reference/resilience.md.

Run all cases: python3 test_faults.py; one case: python3 test_faults.py status_503-gemini"""
import os
import sys
import time

from lspclient import Server, check, eq
from routerlib import FakeProvider, fresh_doc, inline, item_source, model_requests
from fakeclient import unused_port  # noqa: E402 (routerlib put tests/fakes on the path)

ANSWER = "return a + b\n"
DEADLINE_MS = 1500
SLACK_S = 0.3
KEY_ENV = "US_FAULTS_DUMMY_KEY"
KEY = "sk-faults-dummy-0123456789abcdefghij"

# kind -> path appended to the fake's address so the adapter builds the path the fake expects
KIND_PATH = {
    "openai-compatible": "/v1",
    "anthropic": "",
    "gemini": "/v1beta",
    "ollama": "",
    "mistral": "/v1",
    "llamacpp": "",
    "openrouter": "/api/v1",
}
KEYED = {"anthropic", "gemini", "mistral", "openrouter"}
KINDS = list(KIND_PATH)

# Expected outcomes. src: who answers; state/failures: the primary afterwards;
# retry: (lo, hi) bounds of the primary's retry_in_ms; msg: a showMessage is expected.
FAILOVER = dict(src="secondary", state="closed", failures=1)
NO_PENALTY = dict(src="secondary", state="closed", failures=0)
SELF = dict(src="primary", state="closed", failures=0)
DISABLED = dict(src="secondary", state="disabled", msg=True)


def rate_limited(lo, hi):
    return dict(src="secondary", state="open", failures=1, retry=(lo, hi))


def cases():
    out = []

    def add(name, mode=None, kinds=("openai-compatible",), expect=FAILOVER, params=None,
            cfg=None, special=None):
        for k in kinds:
            cid = name if len(kinds) == 1 else "%s-%s" % (name, k)
            out.append(dict(id=cid, kind=k, mode=mode, params=params or {}, expect=expect,
                            cfg=cfg or {}, special=special))

    # Transport
    add("refused", special="refused")
    add("accept_reset", "accept_reset")
    add("accept_close", "accept_close")
    add("reset_before_response", "reset_before_response")
    add("close_before_response", "close_before_response")
    add("reset_mid_body", "reset_mid_body", kinds=KINDS)
    add("tls_self_signed", special="tls")
    # Server errors with each kind's own error body
    for st in ("500", "502", "503", "504", "529"):
        add("status_" + st, "status_" + st, kinds=KINDS)
    add("status_408", "status_408")
    add("html_error", "html_error", kinds=("openai-compatible", "anthropic", "gemini"))
    # Rate limits, each way of saying when to come back
    add("rate_limit_seconds", "rate_limit_seconds", kinds=("openai-compatible", "anthropic"),
        expect=rate_limited(6000, 7050))
    add("rate_limit_date", "rate_limit_date", expect=rate_limited(27500, 30500))
    add("rate_limit_ms", "rate_limit_ms", kinds=("openai-compatible", "anthropic"),
        expect=rate_limited(1000, 1550))
    add("rate_limit_gemini", "rate_limit_gemini", kinds=("gemini",),
        expect=rate_limited(31000, 32050))
    # No hint: open for the cooldown (5 s, +-20 % jitter).
    add("rate_limit_none", "rate_limit_none", kinds=("openai-compatible", "mistral"),
        expect=rate_limited(3500, 6100))
    add("rate_limit_503_retry_after", "status_503", params={"retry_after": "4"},
        expect=rate_limited(3000, 4050))
    # Auth and billing: disabled, one showMessage naming the key's variable.
    for m in ("auth_401", "auth_403", "payment_402"):
        add(m, m, kinds=("openai-compatible", "anthropic", "gemini"), expect=DISABLED)
    add("quota", "quota", kinds=("openai-compatible",), expect=DISABLED)
    # Request errors: fail over without penalty.
    add("context_too_long", "context_too_long", kinds=KINDS, expect=NO_PENALTY)
    add("bad_request", "bad_request", expect=NO_PENALTY)
    add("status_404", "status_404", expect=NO_PENALTY)
    add("status_422", "status_422", kinds=("openai-compatible", "mistral"), expect=NO_PENALTY)
    # Silence. With hedging the secondary wins the race and the primary's attempt is aborted
    # (a cancelled attempt never counts); without hedging the primary is dropped for the
    # secondary once it is far past its own normal (no history yet: no text after 1.2 s,
    # latency.h), and that counts.
    add("hang_hedged", "hang", cfg={"hedge_ms": 200}, expect=NO_PENALTY,
        special="closed_by_client")
    add("hang_unhedged", "hang", cfg={"hedge_ms": 0}, special="closed_by_client")
    add("hang_after_headers", "hang_after_headers", cfg={"hedge_ms": 0})
    add("stall", "stall", kinds=("openai-compatible", "anthropic", "ollama"))
    add("drip_hedged", "drip", cfg={"hedge_ms": 200}, expect=NO_PENALTY,
        special="closed_by_client")
    # Without hedging a drip keeps bytes coming but no text: nothing stalls. The router used to
    # give up at 60 % of the deadline; that rule declared healthy 1 s providers dead (issue
    # 18), so now it gives up when the drip is far past the provider's own normal (no history:
    # 1.2 s without text) and another provider can serve: failover still fits in 1.5 s.
    add("drip_unhedged", "drip", cfg={"hedge_ms": 0}, expect=FAILOVER)
    # Broken bodies
    add("malformed", "malformed", kinds=KINDS)
    add("truncated", "truncated", kinds=KINDS)
    add("wrong_content_type", "wrong_content_type")
    add("empty", "empty", kinds=("openai-compatible", "anthropic"), params={"text": ""})
    add("huge", "huge")
    add("stream_error", "stream_error", kinds=KINDS)
    add("stream_error_first", "stream_error_first", kinds=KINDS)
    # Things a client must simply handle.
    add("gzip", "gzip", kinds=("openai-compatible", "anthropic", "ollama"), expect=SELF)
    add("chunked_bytes", "chunked_bytes", kinds=("openai-compatible", "gemini"), expect=SELF)
    return out


def status(server):
    return server.request("workspace/executeCommand", {"command": "understudy.status"})["result"]


class Faults:
    def __init__(self):
        self.p = FakeProvider(text=ANSWER, extra_args=["--tls-port", "0"])
        self.q = FakeProvider(text=ANSWER)

    def close(self):
        self.p.stop()
        self.q.stop()

    def run_case(self, c):
        self.p.reset()
        self.q.reset()
        exp = c["expect"]
        kind = c["kind"]
        base = self.p.base_url
        if c["special"] == "refused":
            base = "http://127.0.0.1:%d" % unused_port()
        elif c["special"] == "tls":
            base = "https://127.0.0.1:%d" % self.p.tls_port
        primary = {"name": "primary", "kind": kind, "model": "fake-model",
                   "base_url": base + KIND_PATH[kind]}
        if kind in KEYED or c["mode"] in ("auth_401", "auth_403", "payment_402", "quota"):
            primary["api_key_env"] = KEY_ENV
        secondary = {"name": "secondary", "kind": "openai-compatible", "model": "fake-model",
                     "base_url": self.q.base_url + "/v1"}
        # No hedge unless the case is about hedging: on a slow (sanitizer) build a hedge could
        # beat a fast failure and hide the outcome being checked.
        completion = {"deadline_ms": DEADLINE_MS, "popup_budget_ms": 150, "hedge_ms": 0}
        completion.update(c["cfg"])
        cfg = {"providers": [primary, secondary], "completion": completion,
               "breaker": {"failures": 3, "cooldown_ms": 5000}}
        self.q.mode("healthy", text=ANSWER)
        params = dict(text=ANSWER)
        params.update(c["params"])
        self.p.mode(c["mode"] or "healthy", **params)
        s = Server(env={KEY_ENV: KEY})
        try:
            s.initialize(init_options=cfg)
            uri, pos = fresh_doc(s)
            r, dt = inline(s, uri, pos)
            check(dt < DEADLINE_MS / 1000.0 + SLACK_S,
                  "answered within the deadline + slack (%.3fs)" % dt)
            eq(item_source(r), exp["src"], "provenance")
            if exp["src"] is not None:
                eq(r["result"]["items"][0]["insertText"], "return a + b", "answer text")
            st = status(s)
            pst = st["providers"][0]
            eq(pst["name"], "primary")
            eq(pst["state"], exp["state"], "primary state (%r)" % pst)
            if "failures" in exp:
                eq(pst["failures"], exp["failures"], "primary failures (%r)" % pst)
            if "retry" in exp:
                lo, hi = exp["retry"]
                check(lo <= pst["retry_in_ms"] <= hi,
                      "retry_in_ms %d not in [%d, %d]" % (pst["retry_in_ms"], lo, hi))
            if os.environ.get("US_TEST_VERBOSE"):
                print("     primary: %r" % pst)
            eq(st["providers"][1]["state"], "closed", "secondary state")
            want_state = "ok" if exp["state"] == "closed" else "degraded"
            eq(st["state"], want_state, "overall state")
            msgs = s.notifications_of("window/showMessage")
            if exp.get("msg"):
                eq(len(msgs), 1, "one showMessage")
                check(KEY_ENV in msgs[0]["params"]["message"], "names the key's env var")
            else:
                eq(msgs, [], "no showMessage")
            # The fakes saw what they should: the primary was tried (except when the
            # connection never got that far), the secondary only on failover.
            if c["special"] is None and not c["mode"].startswith("accept_"):
                check(len(model_requests(self.p)) >= 1, "the primary was asked")
            nq = len(model_requests(self.q))
            if exp["src"] != "secondary":
                eq(nq, 0, "no request to the secondary")
            else:
                eq(nq, 1, "exactly one request to the secondary")
            if c["special"] == "tls":
                check(self.p.stats().get("tls_handshake_failures", 0) >= 1,
                      "the fake saw the handshake fail")
            if c["special"] == "closed_by_client":
                self.p.wait_for(lambda x: any(q.get("client_closed") for q in x["requests"]
                                              if not (q.get("path") or "/_").startswith("/_")), timeout=5)
            # A disabled or open provider is not asked again; a closed one is.
            n_before = len(model_requests(self.p))
            uri, pos = fresh_doc(s)
            self.p.mode("healthy", text=ANSWER)
            r2, dt2 = inline(s, uri, pos)
            check(dt2 < DEADLINE_MS / 1000.0 + SLACK_S, "second request in time (%.3fs)" % dt2)
            if exp["state"] in ("open", "disabled"):
                eq(item_source(r2), "secondary", "second request skips the primary")
                eq(len(model_requests(self.p)), n_before, "no request to a down primary")
            elif c["special"] not in ("refused", "tls"):
                eq(item_source(r2), "primary", "healthy primary serves again")
            s.shutdown_and_exit()
            err = s.stderr()
            check("Sanitizer" not in err and "runtime error" not in err, "sanitizer report")
        finally:
            s.kill()
        return dt


def rate_limit_not_cut_short(f):
    """A 429 with Retry-After opens the breaker for that long; an answer from a request that was
    already in flight when the 429 came must not close it early (resilience.md: never shorter
    than Retry-After)."""
    f.p.reset()
    f.q.reset()
    f.q.mode("healthy", text=ANSWER)
    f.p.mode("healthy", text=ANSWER)
    f.p.control(queue=[dict(mode="latency", latency_ms=400, count=1, text=ANSWER),
                       dict(mode="rate_limit_seconds", retry_after="5", count=1, text=ANSWER)])
    cfg = {"providers": [
        {"name": "primary", "kind": "openai-compatible", "model": "m",
         "base_url": f.p.base_url + "/v1"},
        {"name": "secondary", "kind": "openai-compatible", "model": "m",
         "base_url": f.q.base_url + "/v1"}],
        "completion": {"deadline_ms": DEADLINE_MS, "hedge_ms": 0},
        "breaker": {"failures": 3, "cooldown_ms": 5000}}
    s = Server()
    try:
        s.initialize(init_options=cfg)
        u1, p1 = fresh_doc(s)
        u2, p2 = fresh_doc(s)
        a = s.request_async("textDocument/inlineCompletion", {
            "textDocument": {"uri": u1}, "position": p1, "context": {"triggerKind": 2}})
        f.p.wait_for(lambda x: len([q for q in x["requests"]
                                    if (q.get("path") or "/_")[:2] != "/_"]) >= 1)
        r2, _ = inline(s, u2, p2)
        eq(item_source(r2), "secondary", "the rate-limited request fails over")
        r1 = s.wait_response(a)
        eq(item_source({"result": r1["result"]}), "primary", "the slow request still answers")
        pst = status(s)["providers"][0]
        eq(pst["state"], "open", "still open after the in-flight success (%r)" % pst)
        check(pst["retry_in_ms"] > 4000, "Retry-After kept (%r)" % pst)
        n = len(model_requests(f.p))
        u3, p3 = fresh_doc(s)
        r3, _ = inline(s, u3, p3)
        eq(item_source(r3), "secondary")
        eq(len(model_requests(f.p)), n, "no request before Retry-After")
    finally:
        s.kill()
    return 0.0


def main():
    only = sys.argv[1:]
    allc = cases()
    ids = [c["id"] for c in allc]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    f = Faults()
    failed = 0
    allc.append(dict(id="rate_limit_not_cut_short", mode="scenario", run=rate_limit_not_cut_short))
    try:
        for c in allc:
            if only and c["id"] not in only and c["mode"] not in only:
                continue
            t0 = time.time()
            try:
                dt = c["run"](f) if "run" in c else f.run_case(c)
                print("ok   %-34s answered in %.3fs (%.2fs)" % (c["id"], dt, time.time() - t0),
                      flush=True)
            except Exception as e:  # noqa: BLE001 - report every case, keep going
                failed += 1
                print("FAIL %-34s %s" % (c["id"], e), flush=True)
                if os.environ.get("US_TEST_VERBOSE"):
                    import traceback
                    traceback.print_exc()
    finally:
        f.close()
    print("%d failed" % failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
