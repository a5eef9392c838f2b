"""What every benchmark section of run.py drives: the Understudy server over stdio with a lean
LSP client (Understudy), a document whose every request has a fresh prefix (Doc), provider and
configuration entries for the fakes, generated Python source, and the latency formatting of the
table. No section logic here. Standard library only (plus benchlib, beside this file).
"""
import os
import sys
import time

import benchlib
from benchlib import Lsp
from fakeclient import unused_port  # noqa: F401 (the sections import it from here)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
SUGGESTION = "return a + b\n"

def log(*a):
    print(*a, file=sys.stderr, flush=True)



# ------------------------------------------------------------------ Understudy helpers
class Understudy:
    """build/understudy over stdio with a lean client; never reads the user's configuration."""

    def __init__(self, bench, init_options=None, capabilities=None, env_extra=None):
        env = dict(os.environ)
        env.update(env_extra or {})
        env["XDG_CONFIG_HOME"] = os.path.join(bench.tmp, "no-config")
        env.pop("UNDERSTUDY_CONFIG", None)
        self.lsp = Lsp([bench.binary], env=env, cwd=bench.tmp,
                       stderr=open(os.path.join(bench.tmp, "understudy-stderr.log"), "ab"))
        t0 = self.lsp.t_spawn
        params = {"processId": os.getpid(), "rootUri": None,
                  "capabilities": capabilities or {
                      "general": {"positionEncodings": ["utf-8", "utf-16"]},
                      "textDocument": {"completion": {"completionItem": {
                          "snippetSupport": True, "labelDetailsSupport": True}},
                          "inlineCompletion": {}}}}
        if init_options is not None:
            params["initializationOptions"] = init_options
        r = self.lsp.request("initialize", params, timeout=30)
        self.init_ms = (time.perf_counter() - t0) * 1000
        if "error" in r:
            raise RuntimeError("initialize failed: %s" % r["error"])
        self.lsp.notify("initialized", {})
        self.versions = {}

    def open(self, uri, text, language="python"):
        self.versions[uri] = 1
        self.lsp.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": 1, "text": text}})

    def replace_line(self, uri, line, old_len, text):
        self.versions[uri] += 1
        self.lsp.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": self.versions[uri]},
            "contentChanges": [{"range": {"start": {"line": line, "character": 0},
                                          "end": {"line": line, "character": old_len}},
                                "text": text}]})

    def inline(self, uri, line, col, trigger=1):
        t0 = time.perf_counter()
        r = self.lsp.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": col},
            "context": {"triggerKind": trigger}})
        return (time.perf_counter() - t0) * 1000, r

    def completion(self, uri, line, col):
        t0 = time.perf_counter()
        r = self.lsp.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": col},
            "context": {"triggerKind": 1}})
        return (time.perf_counter() - t0) * 1000, r

    def status(self):
        r = self.lsp.request("workspace/executeCommand", {"command": "understudy.status",
                                                          "arguments": []})
        return r.get("result") or {}

    def rss_mb(self):
        return benchlib.rss_mb(self.lsp.pid, tree=False)

    def close(self):
        self.lsp.close()


def inline_source(r):
    items = (r.get("result") or {}).get("items") or []
    if not items:
        return None
    try:
        return items[0]["command"]["arguments"][0]["source"]
    except (KeyError, IndexError, TypeError):
        return None


def provider(name, base_url, **extra):
    entry = {"name": name, "kind": "openai-compatible", "model": "fake-model",
             "base_url": base_url + "/v1"}
    entry.update(extra)
    return entry


def config(providers, breaker=None, **completion):
    comp = {"deadline_ms": 1500, "popup_budget_ms": 150, "hedge_ms": 200}
    comp.update(completion)
    return {"providers": providers, "completion": comp,
            "breaker": breaker or {"failures": 3, "cooldown_ms": 5000}}


def model_requests(fake):
    """Requests that reached a fake's model endpoints (its request log left out)."""
    return fake._call("/_stats?log=0")["requests_total"]


class Doc:
    """A small document whose second line carries a counter, so each request has a prefix
    never seen before (no cache hit) while the text at the cursor stays the same."""
    HEAD = "def add(a, b):\n"

    def __init__(self, us, name="bench"):
        self.us = us
        self.uri = "file:///tmp/understudy-bench/%s-%d.py" % (name, id(self))
        self.n = 0
        us.open(self.uri, self.HEAD + self._line(0) + "\n    ")

    @staticmethod
    def _line(n):
        return "    # request %d" % n

    def bump(self):
        old = len(self._line(self.n))
        self.n += 1
        self.us.replace_line(self.uri, 1, old, self._line(self.n))

    def fresh_inline(self, trigger=1):
        self.bump()
        return self.us.inline(self.uri, 2, 4, trigger)


# ------------------------------------------------------------------ generated source
def python_source(lines, seed=0):
    out = ["import os", "import sys", "from collections import defaultdict", ""]
    k = 0
    while len(out) < lines:
        k += 1
        out += ["class Shape%d_%d:" % (seed, k),
                '    """Shape number %d of module %d."""' % (k, seed),
                "    def __init__(self, width, height):",
                "        self.width = width",
                "        self.height = height",
                "",
                "    def area_%d(self):" % k,
                "        total = self.width * self.height + %d" % k,
                "        return total",
                "",
                "def make_shape_%d(width, height):" % k,
                "    shape = Shape%d_%d(width, height)" % (seed, k),
                "    result = shape.area_%d()" % k,
                "    return result",
                "", ""]
    return "\n".join(out[:lines]) + "\n"



def fmt_lat(s, p99=False):
    if not s:
        return "n/a"
    t = "p50 %7.3f ms  p95 %7.3f ms" % (s["p50_ms"], s["p95_ms"])
    if p99:
        t += "  p99 %7.3f ms" % s["p99_ms"]
    return t
