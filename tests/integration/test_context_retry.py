"""llama.cpp's context-size rejection shrinks the prompt and retries once (issue 14), driven through
the server against the fake: the first /infill request gets llama-server's context-size error
(as its streaming `error:` SSE field on a 200, or as a 400 JSON body), the second succeeds; the
second request carries a shorter prompt and its answer is the one served. A context error on the
smaller prompt too is not retried a third time."""
import json

from lspclient import TestCase, check, eq
from routerlib import FakeProvider, fresh_doc, inline, item_source, model_requests

ANSWER = "return a + b\n"
# llama-server's error object for a prompt larger than the slot's context (format_error_response,
# ERROR_TYPE_EXCEED_CONTEXT_SIZE).
CTX_ERROR = {"code": 400, "message": "the request exceeds the available context size, try "
             "increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": 9000,
             "n_ctx": 4096}
# A long file before the cursor, so half of it is measurably less.
BODY = "".join("def f%d(x):\n    return x * %d\n\n" % (i, i) for i in range(60)) + \
    "def add(a, b):\n    "

AS_SSE = {"mode": "raw", "raw_body": "error: %s\n\n" % json.dumps(CTX_ERROR)}
AS_400 = {"mode": "raw", "status": 400, "raw_content_type": "application/json",
          "raw_body": json.dumps({"error": CTX_ERROR})}


def prompt_size(req):
    b = req["json"] or {}
    return len(b.get("input_prefix", "")) + len(b.get("input_suffix", "")) + \
        len(json.dumps(b.get("input_extra", [])))


class ContextRetry(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def run_case(self, first, second=None):
        fake = FakeProvider(text=ANSWER)
        self._fakes = getattr(self, "_fakes", []) + [fake]
        fake.control(queue=[dict(first, count=1)] + ([dict(second, count=1)] if second else []))
        s = self.server()
        s.initialize(init_options={
            "providers": [{"name": "llama", "kind": "llamacpp", "model": "m",
                           "base_url": fake.base_url}],
            "completion": {"hedge_ms": 0}, "privacy": {"loopback_raw": True}})
        uri, pos = fresh_doc(s, body=BODY)
        r, _ = inline(s, uri, pos)
        reqs = [q for q in model_requests(fake) if q["path"].startswith("/infill")]
        s.shutdown_and_exit()
        return r, reqs

    def check_retried(self, first):
        r, reqs = self.run_case(first)
        eq(len(reqs), 2, "one retry after the context-size error")
        a, b = prompt_size(reqs[0]), prompt_size(reqs[1])
        check(b < a * 0.75, "the second prompt is shorter (%d then %d characters)" % (a, b))
        check("def add(a, b):" in reqs[1]["json"]["input_prefix"],
              "the shrunk prompt keeps the text nearest the cursor")
        eq(item_source(r), "llama", "the retried answer is served")
        eq(r["result"]["items"][0]["insertText"], "return a + b")

    def test_sse_error_field_shrinks_and_retries(self):
        self.check_retried(AS_SSE)

    def test_http_400_shrinks_and_retries(self):
        self.check_retried(AS_400)

    def test_only_one_retry(self):
        r, reqs = self.run_case(AS_SSE, AS_SSE)
        eq(len(reqs), 2, "a second context error is not retried again")
        check(item_source(r) != "llama", "nothing from the provider is served")


if __name__ == "__main__":
    ContextRetry().run()
