"""Each provider kind, driven through the server against the fake: the request that reaches the
wire (endpoint, auth and version headers, body fields, stream flag) and the streamed answer
reassembled into the suggestion, also when the fake splits its bytes one at a time."""
import time

from lspclient import TestCase, check, eq
from routerlib import FakeProvider, fresh_doc, inline, item_source, model_requests

KEY = "sk-wire-test-0123456789abcdef"
ANSWER = "return a + b  # é中😀\n"
WANT = "return a + b  # é中😀"

# kind -> (base_url suffix, expected path, header checks, body checks)
KINDS = {
    "anthropic": ("", "/v1/messages",
                  {"x-api-key": KEY, "anthropic-version": "2023-06-01"},
                  lambda b: b["model"] == "m" and b["stream"] is True and b["max_tokens"] > 0
                  and isinstance(b["messages"], list)),
    "openai": ("/v1", "/v1/chat/completions", {"authorization": "Bearer " + KEY},
               lambda b: b["model"] == "m" and b["stream"] is True and b["messages"]),
    "openai-compatible": ("/v1", "/v1/chat/completions", {"authorization": "Bearer " + KEY},
                          lambda b: b["model"] == "m" and b["stream"] is True),
    "openrouter": ("/api/v1", "/api/v1/chat/completions", {"authorization": "Bearer " + KEY},
                   lambda b: b["model"] == "m" and b["stream"] is True),
    "gemini": ("/v1beta", "/v1beta/models/m:streamGenerateContent", {"x-goog-api-key": KEY},
               lambda b: isinstance(b.get("contents"), list)),
    "mistral": ("/v1", "/v1/fim/completions", {"authorization": "Bearer " + KEY},
                lambda b: b["model"] == "m" and b["stream"] is True and "prompt" in b
                and "suffix" in b),
    "ollama": ("", "/api/generate", {},
               lambda b: b["model"] == "m" and b["stream"] is True and "prompt" in b),
    "llamacpp": ("", "/infill", {},
                 lambda b: b["stream"] is True and "input_prefix" in b and "input_suffix" in b),
}


def header(req, name):
    for k, v in req["headers"]:
        if k.lower() == name:
            return v
    return None


class Wire(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def run_kind(self, kind, chunked):
        fake = FakeProvider(text=ANSWER, **({"chunk_sizes": [1]} if chunked else {}))
        self._fakes = getattr(self, "_fakes", []) + [fake]
        suffix, path, headers, body_ok = KINDS[kind]
        entry = {"name": "p", "kind": kind, "model": "m", "base_url": fake.base_url + suffix,
                 "api_key_env": "US_WIRE_KEY"}
        s = self.server(env={"US_WIRE_KEY": KEY})
        s.initialize(init_options={"providers": [entry], "completion": {"hedge_ms": 0},
                                   "privacy": {"loopback_raw": True}})
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "p", "%s answered" % kind)
        eq(r["result"]["items"][0]["insertText"], WANT, "%s text reassembled" % kind)
        reqs = model_requests(fake)
        eq(len(reqs), 1)
        q = reqs[0]
        eq(q["method"], "POST")
        check(q["path"].split("?")[0] == path, "%s path %s" % (kind, q["path"]))
        if kind == "gemini":
            check("alt=sse" in q["path"], "gemini streams with alt=sse")
        for name, value in headers.items():
            eq(header(q, name), value, "%s header %s" % (kind, name))
        check((header(q, "content-type") or "").startswith("application/json"), kind)
        check(q["json"] is not None and body_ok(q["json"]), "%s body %s" % (kind, q["body"][:300]))
        check("def add" in q["body"], "%s: the prefix is in the request" % kind)
        s.shutdown_and_exit()

    def test_every_kind(self):
        for kind in sorted(KINDS):
            self.run_kind(kind, chunked=False)

    def test_every_kind_one_byte_chunks(self):
        for kind in sorted(KINDS):
            self.run_kind(kind, chunked=True)


if __name__ == "__main__":
    Wire().run()
