"""Provider health against the fakes (issue 14 "a provider that rejects every request", issue 18
items 3, 4, 6 and 7): rejected, background probes while open, understudy.retryProviders,
rate-limit headers before the 429, auth trouble on a key that worked, served_by, and doctor."""
import json
import os
import subprocess
import tempfile
import time

from lspclient import BIN, TestCase, check, eq
from routerlib import (FakeProvider, config, fresh_doc, inline, item_source, model_requests,
                       provider)

ANSWER = "return a + b\n"
REJECT = "stop_sequences: each stop sequence must contain non-whitespace"


def status(s):
    return s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]


def prov(st, name):
    return [p for p in st["providers"] if p["name"] == name][0]


class Health(TestCase):
    def setup(self, primary_mode="healthy", secondary_mode="healthy", env=None, primary=None,
              **cfg_sections):
        self.p = FakeProvider(mode=primary_mode, text=ANSWER)
        self.q = FakeProvider(mode=secondary_mode, text=ANSWER)
        self._fakes = [self.p, self.q]
        s = self.server(env=env)
        self.providers = [provider("primary", self.p, **(primary or {})),
                          provider("secondary", self.q)]
        self.init = s.initialize(init_options=config(self.providers, **cfg_sections))
        return s

    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    # ---- issue 14: rejected
    def test_01_same_400_three_times_is_rejected(self):
        s = self.setup(primary_mode="bad_request", primary={"model": "old-model"})
        self.p.mode("bad_request", message=REJECT)
        for _ in range(3):
            uri, pos = fresh_doc(s)
            r, _ = inline(s, uri, pos)
            eq(item_source(r), "secondary")
        s.wait_notification("understudy/status",
                            lambda m: prov(m["params"], "primary")["state"] == "rejected")
        st = status(s)
        eq(prov(st, "primary")["state"], "rejected")
        check(REJECT in prov(st, "primary")["reason"], prov(st, "primary")["reason"])
        eq(st["served_by"], "secondary")
        msgs = s.wait_notification("window/showMessage", lambda m: "rejects" in m["params"]["message"])
        text = msgs["params"]["message"]
        check("primary" in text and "old-model" in text and REJECT in text, text)
        # No more user requests reach it, and the message is not repeated.
        for _ in range(3):
            uri, pos = fresh_doc(s)
            r, _ = inline(s, uri, pos)
            eq(item_source(r), "secondary")
        eq(len(model_requests(self.p)), 3)
        eq(len([m for m in s.notifications_of("window/showMessage")
                if "rejects" in m["params"]["message"]]), 1)
        # The configuration changes (the user fixed the model): it serves again.
        self.p.mode("healthy")
        self.providers[0]["model"] = "new-model"
        s.notify("workspace/didChangeConfiguration",
                 {"settings": {"understudy": config(self.providers)}})
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")
        eq(prov(status(s), "primary")["state"], "closed")

    def test_02_single_400_no_penalty(self):
        s = self.setup()
        self.p.queue("bad_request", count=1, message=REJECT)
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "secondary")
        # Two different rejections then an answer: never rejected.
        self.p.queue("status_404", count=1)
        for _ in range(2):
            uri, pos = fresh_doc(s)
            inline(s, uri, pos)
        eq(prov(status(s), "primary")["state"], "closed")
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")

    def test_03_doctor_shows_rejection_and_fix(self):
        self.p = FakeProvider(mode="bad_request", message=REJECT)
        self._fakes = [self.p]
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump({"providers": [provider("strict", self.p, model="old-model")]}, f)
        e = dict(os.environ, XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="us-xdg-"))
        e.pop("UNDERSTUDY_CONFIG", None)
        r = subprocess.run([BIN, "doctor", "--config", path], capture_output=True, text=True,
                           env=e, timeout=60)
        row = [ln for ln in r.stdout.splitlines() if ln.startswith("strict")][0]
        check("rejected" in row and REJECT in row, row)
        check("change \"model\"" in row and "old-model" in row, row)
        eq(r.returncode, 1, r.stdout)

    # ---- issue 18 item 3: recovery
    def test_04_open_breaker_probed_back_within_seconds(self):
        # A cooldown of a minute: only the interval probes can bring it back this fast.
        s = self.setup(primary_mode="status_503",
                       breaker={"failures": 3, "cooldown_ms": 60000, "probe_ms": 1000})
        for _ in range(3):
            uri, pos = fresh_doc(s)
            inline(s, uri, pos)
        s.wait_notification("understudy/status",
                            lambda m: prov(m["params"], "primary")["state"] == "open")
        n_open = len(model_requests(self.p))
        time.sleep(2.5)  # probes go out while it is down, and fail
        check(len(model_requests(self.p)) > n_open, "background probes while open")
        mark = s.mark()
        self.p.mode("healthy")
        t0 = time.monotonic()
        s.wait_notification("understudy/status",
                            lambda m: prov(m["params"], "primary")["state"] == "closed",
                            timeout=8, start=mark)
        back = time.monotonic() - t0
        check(back < 4, "closed by a probe %.1fs after the provider's return" % back)
        # Probes are tiny fixed requests, never the user's text.
        probes = model_requests(self.p)[n_open:]
        check(probes and all("scenario" not in q["body"] for q in probes),
              "probe bodies carry no user text")
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")
        eq(status(s)["state"], "ok")

    def test_05_retry_command_resets_and_probes(self):
        s = self.setup(primary_mode="status_503",
                       breaker={"failures": 1, "cooldown_ms": 60000, "probe_ms": 0})
        cmds = self.init["result"]["capabilities"]["executeCommandProvider"]["commands"]
        check("understudy.retryProviders" in cmds, cmds)
        uri, pos = fresh_doc(s)
        inline(s, uri, pos)
        s.wait_notification("understudy/status",
                            lambda m: prov(m["params"], "primary")["state"] == "open")
        self.p.mode("healthy")
        time.sleep(1.0)
        n = len(model_requests(self.p))
        eq(n, 1)  # no probes: probe_ms 0 and a minute of cooldown
        r = s.request("workspace/executeCommand", {"command": "understudy.retryProviders"})
        eq(prov(r["result"], "primary")["state"], "closed")
        self.p.wait_for(lambda st: len([q for q in st["requests"]
                                        if not q["path"].startswith("/_")]) > n, timeout=5)
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")

    # ---- issue 18 item 4: rate-limit headers
    def test_06_spent_budget_routes_around_until_reset(self):
        s = self.setup()
        self.p.queue("healthy", count=1, headers={
            "x-ratelimit-limit-requests": "100", "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "3s"})
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")  # this answer is served; the budget is spent after it
        st = status(s)
        p = prov(st, "primary")
        eq(p["state"], "rate_limited")
        check(1000 < p["retry_in_ms"] <= 3100, p)
        check("requests" in p["reason"], p["reason"])
        eq(st["state"], "degraded")
        eq(st["served_by"], "secondary")
        mark = s.mark()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.5:
            uri, pos = fresh_doc(s)
            r, _ = inline(s, uri, pos)
            eq(item_source(r), "secondary")
        eq(len(model_requests(self.p)), 1)  # nothing sent that would earn a 429
        s.wait_notification("understudy/status",
                            lambda m: prov(m["params"], "primary")["state"] == "closed",
                            timeout=5, start=mark)
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")

    def test_07_anthropic_headers_too(self):
        self.p = FakeProvider(text=ANSWER)
        self.q = FakeProvider(text=ANSWER)
        self._fakes = [self.p, self.q]
        s = self.server(env={"US_FAKE_KEY": "sk-ant-test-0123456789"})
        providers = [{"name": "claude", "kind": "anthropic", "model": "claude-haiku-5-5",
                      "base_url": self.p.base_url, "api_key_env": "US_FAKE_KEY"},
                     provider("secondary", self.q)]
        s.initialize(init_options=config(providers))
        reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4))
        self.p.queue("healthy", count=1, headers={
            "anthropic-ratelimit-tokens-limit": "80000",
            "anthropic-ratelimit-tokens-remaining": "0",
            "anthropic-ratelimit-tokens-reset": reset})
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "claude")
        p = prov(status(s), "claude")
        eq(p["state"], "rate_limited")
        check(0 < p["retry_in_ms"] <= 5000, p)
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "secondary")

    # ---- issue 18 item 6: auth trouble
    def test_08_401_on_a_key_that_worked_opens_not_disables(self):
        s = self.setup(env={"US_FAKE_KEY": "sk-test-0123456789abcdef"},
                       primary={"api_key_env": "US_FAKE_KEY"})
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "primary")
        self.p.mode("auth_401")
        for _ in range(2):
            uri, pos = fresh_doc(s)
            r, _ = inline(s, uri, pos)
            eq(item_source(r), "secondary")
        p = prov(status(s), "primary")
        eq(p["state"], "open")
        check(20000 < p["retry_in_ms"] <= 30000, p)
        check("worked" in p["reason"], p["reason"])
        eq(len(model_requests(self.p)), 2)
        m = s.wait_notification("window/showMessage", lambda m: "worked" in m["params"]["message"])
        eq(m["params"]["message"].split(":")[1].strip(),
           "primary rejects a key that worked")
        eq(len([m for m in s.notifications_of("window/showMessage")
                if "disabled" in m["params"]["message"]]), 0)
        # It comes back by itself once its auth works again (here: the retry command).
        self.p.mode("healthy")
        s.request("workspace/executeCommand", {"command": "understudy.retryProviders"})
        s.wait_notification("understudy/status",
                            lambda m: prov(m["params"], "primary")["state"] == "closed"
                            and m["params"]["state"] == "ok", timeout=5)

    # ---- issue 18 item 7: status semantics
    def test_09_served_by_is_first_closed_and_reason_at_once(self):
        s = self.setup(primary_mode="latency", completion={"hedge_ms": 100})
        self.p.mode("latency", latency_ms=700)
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "secondary")  # the hedge won
        st = status(s)
        eq(prov(st, "primary")["state"], "closed")
        eq(st["served_by"], "primary")
        # A failure shows in the reason at once (a notification), while it is still closed.
        self.p.mode("healthy")
        self.p.queue("status_500", count=1, message="upstream exploded")
        mark = s.mark()
        uri, pos = fresh_doc(s)
        inline(s, uri, pos)
        m = s.wait_notification("understudy/status",
                                lambda m: "upstream exploded" in prov(m["params"], "primary")["reason"],
                                timeout=5, start=mark)
        eq(prov(m["params"], "primary")["state"], "closed")
        eq(m["params"]["served_by"], "primary")


if __name__ == "__main__":
    Health().run()
