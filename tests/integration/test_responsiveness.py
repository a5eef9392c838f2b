"""The loop never blocks: a hanging provider does not delay document sync or other requests,
and sequential completions reuse connections."""
import time

from lspclient import TestCase, check, eq
from routerlib import FakeProvider, config, fresh_doc, inline, model_requests, provider


class Responsiveness(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def test_hanging_provider_does_not_delay_other_requests(self):
        fake = FakeProvider(mode="hang")  # silent until the client leaves
        self._fakes = [fake]
        s = self.server()
        s.initialize(init_options=config([provider("slow", fake)],
                                         completion={"deadline_ms": 20000, "hedge_ms": 0}))
        uri, pos = fresh_doc(s)
        # Warm-up: the first completion of a language compiles its tree-sitter queries.
        s.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        rid = s.request_async("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": pos, "context": {"triggerKind": 2}})
        fake.wait_for(lambda st: len([q for q in st["requests"] if not q["path"].startswith("/_")]) >= 1)
        slowest = {"didChange+documentText": 0.0, "status": 0.0, "completion": 0.0}

        def timed(name, fn):
            t0 = time.monotonic()
            out = fn()
            slowest[name] = max(slowest[name], time.monotonic() - t0)
            return out

        for v in range(2, 42):
            s.change(uri, v, [{"range": {"start": pos, "end": pos}, "text": "x"}])
            pos = {"line": pos["line"], "character": pos["character"] + 1}
            got = timed("didChange+documentText", lambda: s.text(uri))
            eq(got["version"], v)
            st = timed("status", lambda: s.request("workspace/executeCommand",
                                                   {"command": "understudy.status"}))
            check("state" in st["result"])
            other = timed("completion", lambda: s.request("textDocument/completion", {
                "textDocument": {"uri": uri}, "position": pos}))
            check("items" in other["result"])
        # Sync and other requests are never held up; the popup waits at most its own budget
        # (150 ms) for the AI, by design, then answers with local items.
        bounds = {"didChange+documentText": 0.05, "status": 0.05, "completion": 0.15 + 0.05}
        for name, worst in slowest.items():
            check(worst < bounds[name], "%s took %.1f ms while the provider hangs" % (name, worst * 1000))
        # The inline request is still waiting on the hanging provider all this time.
        check(rid not in [m.get("id") for m in s.received], [m for m in s.received if m.get("id") == rid])
        s.notify("$/cancelRequest", {"id": rid})
        eq(s.wait_response(rid)["error"]["code"], -32800)

    def test_sequential_completions_reuse_connections(self):
        fake = FakeProvider(text="return a + b\n")
        self._fakes = [fake]
        s = self.server()
        s.initialize(init_options=config([provider("p", fake)]))
        for _ in range(100):
            uri, pos = fresh_doc(s)
            r, _ = inline(s, uri, pos)
            eq(r["result"]["items"][0]["insertText"], "return a + b")
        st = fake.stats()
        eq(len(model_requests(fake)), 100)
        check(st["connections_accepted"] <= 3, "opened %d connections" % st["connections_accepted"])


if __name__ == "__main__":
    Responsiveness().run()
