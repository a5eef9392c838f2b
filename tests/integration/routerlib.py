"""Shared set-up for router scenarios: fake providers plus an initialized server whose
configuration points at them."""
import itertools
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fakes"))
from fakeclient import FakeProvider  # noqa: E402

_counter = itertools.count(1)


def provider(name, fake, **extra):
    entry = {"name": name, "kind": "openai-compatible", "model": "fake-model",
             "base_url": fake.base_url + "/v1"}
    entry.update(extra)
    return entry


def config(providers, **sections):
    cfg = {"providers": providers,
           "completion": {"deadline_ms": 1500, "popup_budget_ms": 150, "hedge_ms": 200},
           "breaker": {"failures": 3, "cooldown_ms": 5000}}
    for k, v in sections.items():
        cfg.setdefault(k, {}).update(v) if isinstance(v, dict) else cfg.__setitem__(k, v)
    return cfg


def fresh_doc(server, body="def add(a, b):\n    ", language="python"):
    """Open a new document whose text is unique (so no cache entry matches) and return
    (uri, position at its end)."""
    n = next(_counter)
    text = "# scenario %d %f\n%s" % (n, time.time(), body)
    uri = "file:///tmp/understudy-router-%d.py" % n
    server.open(uri, text, language=language)
    lines = text.split("\n")
    return uri, {"line": len(lines) - 1, "character": len(lines[-1])}


def inline(server, uri, pos, timeout=10):
    t0 = time.monotonic()
    r = server.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": uri}, "position": pos,
        "context": {"triggerKind": 2}}, timeout=timeout)
    return r, time.monotonic() - t0


def item_source(r):
    items = r["result"]["items"]
    if not items:
        return None
    return items[0]["command"]["arguments"][0]["source"]


def model_requests(fake):
    """Requests that reached the completion endpoints (control traffic and connections reset
    before a request line are left out)."""
    return [q for q in fake.requests() if q.get("path") and not q["path"].startswith("/_")]


def strings_of(obj):
    """Every string inside a parsed JSON body, joined (so escapes do not hide a secret)."""
    out = []

    def walk(o):
        if isinstance(o, str):
            out.append(o)
        elif isinstance(o, dict):
            for k, v in o.items():
                out.append(k)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(obj)
    return "\n".join(out)
