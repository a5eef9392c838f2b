"""Router scenarios against fake providers (issue: router, acceptance 1-11)."""
import time

from lspclient import TestCase, check, eq
from routerlib import (FakeProvider, config, fresh_doc, inline, item_source, model_requests,
                       provider)

ANSWER = "return a + b\n"


class Router(TestCase):
    def setup(self, primary_mode="healthy", secondary_mode="healthy", env=None, **cfg_sections):
        self.p = FakeProvider(mode=primary_mode, text=ANSWER)
        self.q = FakeProvider(mode=secondary_mode, text=ANSWER)
        self._fakes = [self.p, self.q]
        s = self.server(env=env)
        providers = cfg_sections.pop("providers", None) or [provider("primary", self.p),
                                                             provider("secondary", self.q)]
        s.initialize(init_options=config(providers, **cfg_sections))
        return s

    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def test_01_500_fails_over_to_secondary(self):
        s = self.setup(primary_mode="status_500")
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        eq(r["result"]["items"][0]["insertText"], "return a + b")
        eq(item_source(r), "secondary")
        eq(len(model_requests(self.p)), 1)
        check(dt < 1.5, "answered within the deadline (%.3fs)" % dt)

    def test_02_529_three_times_opens_breaker(self):
        # Hedging off: a hedge that wins before the 529 arrives (a fake slowed past 200 ms by
        # a loaded machine) aborts the primary uncounted, and the breaker would not open.
        s = self.setup(primary_mode="status_529", completion={"hedge_ms": 0})
        for _ in range(3):
            uri, pos = fresh_doc(s)
            r, _ = inline(s, uri, pos)
            eq(item_source(r), "secondary")
        eq(len(model_requests(self.p)), 3)
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        eq(st["providers"][0]["state"], "open")
        eq(st["state"], "degraded")
        # The next request never reaches the primary and costs about the secondary alone.
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        eq(item_source(r), "secondary")
        eq(len(model_requests(self.p)), 3)
        check(dt < 0.5, "no time spent on the open primary (%.3fs)" % dt)

    def test_03_429_retry_after_then_probe_closes(self):
        s = self.setup(primary_mode="healthy", completion={"hedge_ms": 0})  # as in test_02
        self.p.queue("rate_limit_seconds", count=1, retry_after="2")
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "secondary")
        t_open = time.monotonic()
        s.wait_notification("understudy/status",
                            lambda m: m["params"]["providers"][0]["state"] == "open")
        # Requests during the open interval do not reach the primary.
        while time.monotonic() - t_open < 1.6:
            uri, pos = fresh_doc(s)
            inline(s, uri, pos)
            time.sleep(0.2)
        eq(len(model_requests(self.p)), 1)
        # After 2 s it turns half_open by itself, one probe goes out, success closes it.
        mark = s.mark()
        s.wait_notification("understudy/status",
                            lambda m: m["params"]["providers"][0]["state"] == "half_open",
                            timeout=5, start=mark)
        uri, pos = fresh_doc(s)
        inline(s, uri, pos)
        s.wait_notification("understudy/status",
                            lambda m: m["params"]["providers"][0]["state"] == "closed"
                            and m["params"]["state"] == "ok", timeout=5, start=mark)
        reqs = model_requests(self.p)
        check(len(reqs) >= 2, "a probe reached the primary")
        check(reqs[1]["time"] - reqs[0]["time"] >= 1.9, "no request before Retry-After")
        states = [m["params"]["providers"][0]["state"] for m in s.notifications_of("understudy/status")]
        seq = [x for i, x in enumerate(states) if i == 0 or states[i - 1] != x]
        check(seq[-3:] == ["open", "half_open", "closed"], "transitions notified: %r" % seq)

    def test_04_hang_is_hedged(self):
        s = self.setup(primary_mode="hang")
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        eq(item_source(r), "secondary")
        check(0.18 < dt < 0.9, "about hedge_ms plus the secondary (%.3fs)" % dt)
        self.p.wait_for(lambda st: any(q.get("client_closed") for q in st["requests"]
                                       if not q["path"].startswith("/_")), timeout=5)

    def test_05_stall_mid_stream_fails_over(self):
        s = self.setup(primary_mode="stall", completion={"hedge_ms": 0})
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        eq(item_source(r), "secondary")
        check(0.45 < dt < 1.5, "ended by the stall timeout (%.3fs)" % dt)

    def test_06_401_disables_until_config_changes(self):
        env = {"US_FAKE_KEY": "sk-test-0123456789abcdef"}
        providers = None
        s = None
        self.p = FakeProvider(mode="auth_401", text=ANSWER)
        self.q = FakeProvider(text=ANSWER)
        self._fakes = [self.p, self.q]
        s = self.server(env=env)
        providers = [provider("primary", self.p, api_key_env="US_FAKE_KEY"),
                     provider("secondary", self.q)]
        s.initialize(init_options=config(providers))
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "secondary")
        # The message may trail the answer on a loaded machine: wait for it, then count.
        s.wait_notification("window/showMessage", timeout=5)
        msgs = [m for m in s.notifications_of("window/showMessage")]
        eq(len(msgs), 1)
        check("US_FAKE_KEY" in msgs[0]["params"]["message"], msgs[0]["params"]["message"])
        check("sk-test" not in msgs[0]["params"]["message"])
        for _ in range(3):
            uri, pos = fresh_doc(s)
            inline(s, uri, pos)
        eq(len(model_requests(self.p)), 1)
        eq(len(s.notifications_of("window/showMessage")), 1)
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        eq(st["providers"][0]["state"], "disabled")
        # The user fixes the key: the configuration changes, the provider is tried again.
        self.p.mode("healthy")
        s.notify("workspace/didChangeConfiguration", {"settings": {"understudy": config(providers)}})
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")

    def test_07_all_down_local_then_recovers(self):
        s = self.setup(primary_mode="status_503", secondary_mode="status_500",
                       breaker={"failures": 1, "cooldown_ms": 300, "max_cooldown_ms": 600})
        body = "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n\ndef mul(a, b):\n    "
        uri, pos = fresh_doc(s, body)
        r, dt = inline(s, uri, pos)
        check(dt < 1.6, "answered within the deadline (%.3fs)" % dt)
        items = r["result"]["items"]
        if items:
            eq(items[0]["command"]["arguments"][0]["source"], "local:line")
        s.wait_notification("understudy/status", lambda m: m["params"]["state"] == "offline")
        s.wait_notification("window/showMessage", lambda m: "down" in m["params"]["message"])
        time.sleep(0.3)  # more failing probes must not repeat the message
        down = [m for m in s.notifications_of("window/showMessage") if "down" in m["params"]["message"]]
        eq(len(down), 1)
        # Service returns; probes flip the status back without any request from the editor.
        mark = s.mark()
        self.p.mode("healthy")
        self.q.mode("healthy")
        s.wait_notification("understudy/status", lambda m: m["params"]["state"] == "ok",
                            timeout=8, start=mark)
        s.wait_notification("window/showMessage", lambda m: "restored" in m["params"]["message"],
                            start=mark)
        restored = [m for m in s.notifications_of("window/showMessage") if "restored" in m["params"]["message"]]
        eq(len(restored), 1)

    def test_08_cancel_mid_transfer(self):
        s = self.setup(primary_mode="latency", latency_ms=3000,
                       completion={"hedge_ms": 0, "deadline_ms": 5000})
        self.p.mode("latency", latency_ms=3000)
        uri, pos = fresh_doc(s)
        rid = s.request_async("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": pos, "context": {"triggerKind": 2}})
        self.p.wait_for(lambda st: len([q for q in st["requests"] if not q["path"].startswith("/_")]) >= 1)
        s.notify("$/cancelRequest", {"id": rid})
        r = s.wait_response(rid)
        eq(r["error"]["code"], -32800)
        self.p.wait_for(lambda st: any(q.get("client_closed") for q in st["requests"]
                                       if not q["path"].startswith("/_")), timeout=5)

    def test_09_typing_through(self):
        s = self.setup()
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(r["result"]["items"][0]["insertText"], "return a + b")
        n = len(model_requests(self.p))
        s.change(uri, 2, [{"range": {"start": pos, "end": pos}, "text": "ret"}])
        pos2 = {"line": pos["line"], "character": pos["character"] + 3}
        r, dt = inline(s, uri, pos2)
        eq(r["result"]["items"][0]["insertText"], "urn a + b")
        eq(len(model_requests(self.p)), n)

    def test_10_popup_budget_and_cache(self):
        # A 1 s provider inside a 3 s deadline: slow, not failing.
        s = self.setup(primary_mode="latency",
                       completion={"hedge_ms": 0, "popup_budget_ms": 150, "deadline_ms": 3000})
        self.p.mode("latency", latency_ms=1000, text=ANSWER)
        uri, pos = fresh_doc(s)
        t0 = time.monotonic()
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        dt = time.monotonic() - t0
        # Far below the provider's 1 s (generous for sanitizer builds on a busy machine).
        check(dt < 0.6, "popup within budget (%.3fs)" % dt)
        eq(r["result"]["isIncomplete"], True)
        check(all(i["data"]["source"].startswith("local:") for i in r["result"]["items"]))
        time.sleep(1.3)  # the AI request finishes and fills the cache
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        ai = [i for i in r["result"]["items"] if i["data"]["source"] == "primary"]
        eq(len(ai), 1)
        eq(ai[0]["textEdit"]["newText"], "return a + b")
        eq(r["result"]["isIncomplete"], False)
        eq(ai[0]["labelDetails"]["description"], "primary")

    def test_11_stale_if_error(self):
        # No hedge: on a slow machine the secondary could win the first request, and this
        # test is about serving whoever answered last time.
        s = self.setup(cache={"ttl_s": 1}, breaker={"failures": 5}, completion={"hedge_ms": 0})
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")
        time.sleep(1.2)
        self.p.mode("status_500")
        self.q.mode("status_500")
        r, _ = inline(s, uri, pos)
        eq(r["result"]["items"][0]["insertText"], "return a + b")
        eq(item_source(r), "primary")

    def test_12_single_provider_retries_once(self):
        # With nobody else left, one transient failure is retried on the same provider.
        self.p = FakeProvider(text=ANSWER)
        self._fakes = [self.p]
        s = self.server()
        s.initialize(init_options=config([provider("only", self.p)]))
        self.p.queue("status_503", count=1)
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        eq(item_source(r), "only")
        eq(len(model_requests(self.p)), 2)
        # x-should-retry: false is honoured.
        self.p.queue("status_503", count=1, should_retry=False)
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        check(item_source(r) != "only", "no retry after x-should-retry: false")
        eq(len(model_requests(self.p)), 3)

    def _states(self, s):
        return [m["params"] for m in s.notifications_of("understudy/status")]

    def test_13_one_second_provider_is_served_not_offline(self):
        # Issue 18: a healthy provider 1 s to its first token with a 1.5 s deadline. The old
        # first-byte timeout (60 % of what remains: 900 ms) failed it, opened its breaker and
        # said "offline". Alone (nothing else can serve: it runs to the deadline) ...
        self.p = FakeProvider(mode="latency", latency_ms=1000, text=ANSWER)
        self.q = FakeProvider(text=ANSWER)
        self._fakes = [self.p, self.q]
        s = self.server()
        s.initialize(init_options=config([provider("only", self.p)],
                                         completion={"hedge_ms": "auto", "deadline_ms": 1500}))
        for _ in range(4):
            uri, pos = fresh_doc(s)
            r, dt = inline(s, uri, pos)
            eq(item_source(r), "only")
            check(0.9 < dt < 1.5 + 0.3, "served by the 1 s provider (%.3fs)" % dt)
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        check(st["providers"][0]["state"] in ("closed", "slow"), repr(st))
        eq(st["providers"][0]["failures"], 0)
        eq(st["state"], "ok")
        check(all(m["state"] != "offline" for m in self._states(s)), "never offline")
        # ... and first in line with hedging off: not failed over at 900 ms any more.
        s2 = self.server()
        s2.initialize(init_options=config([provider("primary", self.p),
                                           provider("secondary", self.q)],
                                          completion={"hedge_ms": 0, "deadline_ms": 1500}))
        for _ in range(3):
            uri, pos = fresh_doc(s2)
            r, dt = inline(s2, uri, pos)
            eq(item_source(r), "primary")
        eq(len(model_requests(self.q)), 0)
        st = s2.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        check(st["providers"][0]["state"] in ("closed", "slow"), repr(st))
        check(all(m["state"] != "offline" for m in self._states(s2)), "never offline")

    TRICKLE = "x = a + b\n    y = a - b\n    z = x * y\n    w = z + 1\n    return w\n"

    def test_14_trickle_asks_the_next_provider(self):
        # 4 characters every 100 ms: the answer would end after ~1.6 s of streaming. The
        # secondary is asked while it streams (hedging off: the projection alone starts it)
        # and serves; the trickle counts as too slow.
        s = self.setup(completion={"hedge_ms": 0, "deadline_ms": 1500})
        self.p.mode("trickle", text=self.TRICKLE)
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        eq(item_source(r), "secondary", "%.3fs %r" % (dt, r["result"]))
        check(dt < 1.2, "served by the secondary well before the deadline (%.3fs)" % dt)
        eq(len(model_requests(self.q)), 1)
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        eq(st["providers"][0]["failures"], 1, "the trickle counts (%r)" % st["providers"][0])

    def test_15_trickle_partial_lines_at_deadline(self):
        # Nobody faster: at the deadline the complete lines received so far are served.
        s = self.setup(completion={"hedge_ms": 200, "deadline_ms": 1500})
        self.p.mode("trickle", text=self.TRICKLE)
        self.q.mode("latency", latency_ms=4000, text=ANSWER)
        uri, pos = fresh_doc(s)
        r, dt = inline(s, uri, pos)
        eq(item_source(r), "primary")
        check(1.4 < dt < 1.5 + 0.3, "at the deadline (%.3fs)" % dt)
        text = r["result"]["items"][0]["insertText"]
        check(self.TRICKLE.startswith(text) and text.count("\n") >= 1
              and self.TRICKLE[len(text)] == "\n", "complete lines only: %r" % text)
        check(len(model_requests(self.q)) >= 1, "the secondary was asked")


if __name__ == "__main__":
    Router().run()
