#!/usr/bin/env python3
"""Wrap mode (`understudy --wrap -- CMD`, issue 8): Debian's clangd behind Understudy on a small
C project (tests/fixtures/wrap_c_project), plus a scripted fake child (this file run with
--fake-child) for what clangd cannot be made to do on cue: colliding ids, a slow completion,
position encodings, dying with requests pending.

Run: python3 tests/integration/test_wrap.py [test_name...]  (UNDERSTUDY_BIN = the binary)."""
import json
import os
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

FIXTURE = os.path.join(HERE, "..", "fixtures", "wrap_c_project")
AI_TEXT = "rectangle_perimeter(&box);"


# ---------------------------------------------------------------- the fake child server

def fake_child():
    """A scripted language server on stdio. Behaviour from $WRAP_FAKE (JSON):
    encoding: the positionEncoding it picks; completion_delay: seconds before answering
    completion; log: file to append every received message to."""
    opts = json.loads(os.environ.get("WRAP_FAKE", "{}"))
    log = open(opts["log"], "a") if opts.get("log") else None
    inp, out = sys.stdin.buffer, sys.stdout.buffer

    def send(obj):
        body = json.dumps(obj).encode()
        out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        out.flush()

    def read():
        n = None
        while True:
            line = inp.readline()
            if not line:
                return None
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode().partition(":")
            if k.strip().lower() == "content-length":
                n = int(v)
        return json.loads(inp.read(n))

    pending_completion = []
    while True:
        msg = read()
        if msg is None:
            return 0
        if log:
            log.write(json.dumps(msg) + "\n")
            log.flush()
        m, mid = msg.get("method"), msg.get("id")
        if m is None:
            # The client's answer to our request: echo it back as a notification.
            send({"jsonrpc": "2.0", "method": "fake/gotResponse", "params": msg})
        elif m == "initialize":
            caps = {"hoverProvider": True, "textDocumentSync": 2,
                    "completionProvider": {"triggerCharacters": [".", "#"],
                                           "resolveProvider": True},
                    "executeCommandProvider": {"commands": ["fake.doIt"]}}
            if opts.get("encoding"):
                caps["positionEncoding"] = opts["encoding"]
            send({"jsonrpc": "2.0", "id": mid,
                  "result": {"capabilities": caps, "serverInfo": {"name": "fake-child"}}})
        elif m == "textDocument/hover":
            send({"jsonrpc": "2.0", "id": mid,
                  "result": {"contents": {"kind": "plaintext", "value": "fake hover"}}})
        elif m == "fake/askClient":
            # A request of our own with the same id the client just used.
            send({"jsonrpc": "2.0", "id": mid, "method": "workspace/configuration",
                  "params": {"items": [{"section": "fake"}]}})
            send({"jsonrpc": "2.0", "id": mid, "result": "asked"})
        elif m == "fake/hang":
            pass  # never answered
        elif m == "fake/die":
            os._exit(3)
        elif m == "textDocument/completion":
            delay = opts.get("completion_delay", 0)
            if delay:
                time.sleep(delay)
            send({"jsonrpc": "2.0", "id": mid, "result": {"isIncomplete": True, "items": [
                {"label": "child_item", "sortText": "a"},
                {"label": "total", "insertText": "total"}]}})
        elif m == "workspace/executeCommand":
            send({"jsonrpc": "2.0", "id": mid, "result": {"ran": msg["params"]["command"]}})
        elif m == "shutdown":
            send({"jsonrpc": "2.0", "id": mid, "result": None})
        elif m == "exit":
            return 0
        elif mid is not None:
            send({"jsonrpc": "2.0", "id": mid,
                  "error": {"code": -32601, "message": "no " + m}})
    return 0


if __name__ == "__main__" and "--fake-child" in sys.argv:
    sys.exit(fake_child())

# ---------------------------------------------------------------- the tests

from lspclient import TestCase, check, eq  # noqa: E402
from routerlib import FakeProvider, config, provider  # noqa: E402


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(pred, timeout=10, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise TimeoutError("timed out waiting for " + what)


def pos_of(text, needle, extra=0):
    i = text.index(needle) + extra
    line = text.count("\n", 0, i)
    return {"line": line, "character": i - (text.rfind("\n", 0, i) + 1)}


CLIENT_CAPS = {
    "textDocument": {
        "completion": {"completionItem": {"snippetSupport": False}},
        "hover": {"contentFormat": ["plaintext", "markdown"]},
        "publishDiagnostics": {"relatedInformation": True},
        "synchronization": {"didSave": True},
    },
    "general": {"positionEncodings": ["utf-8", "utf-16"]},
}


class Wrap(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []
        for d in getattr(self, "_dirs", []):
            shutil.rmtree(d, ignore_errors=True)
        self._dirs = []

    def project(self):
        d = tempfile.mkdtemp(prefix="us-wrap-")
        self._dirs = getattr(self, "_dirs", []) + [d]
        for name in os.listdir(FIXTURE):
            shutil.copy(os.path.join(FIXTURE, name), d)
        return d

    def fake(self, **kw):
        f = FakeProvider(text=AI_TEXT, **kw)
        self._fakes = getattr(self, "_fakes", []) + [f]
        return f

    def settings(self, fake):
        return config([provider("fake", fake, timeout_ms=3000)],
                      completion={"deadline_ms": 3000, "popup_budget_ms": 1500})

    def clangd(self, caps=CLIENT_CAPS):
        if not shutil.which("clangd"):
            raise AssertionError("clangd not installed (apt-get install clangd)")
        proj = self.project()
        fake = self.fake()
        s = self.server(args=["--wrap", "--", "clangd", "--log=error", "--background-index=0"],
                        cwd=proj)
        r = s.initialize(capabilities=caps, init_options=self.settings(fake),
                         root="file://" + proj)
        return s, proj, fake, r

    def fake_child(self, caps=None, **opts):
        proj = self.project()
        opts.setdefault("log", os.path.join(proj, "child.log"))
        fake = self.fake()
        s = self.server(args=["--wrap", "--", sys.executable, os.path.abspath(__file__),
                              "--fake-child"],
                        env={"WRAP_FAKE": json.dumps(opts)}, cwd=proj)
        r = s.initialize(capabilities=caps if caps is not None else CLIENT_CAPS,
                         init_options=self.settings(fake), root="file://" + proj)
        return s, proj, opts["log"], r

    def open_c(self, s, proj, name):
        with open(os.path.join(proj, name)) as f:
            text = f.read()
        uri = "file://" + os.path.join(proj, name)
        s.open(uri, text, language="c")
        return uri, text

    # ---- clangd

    def test_clangd_initialize_merged(self):
        s, _, _, r = self.clangd()
        caps = r["result"]["capabilities"]
        check(caps.get("hoverProvider"), "clangd's hover advertised: %r" % caps)
        check(caps.get("definitionProvider"), "clangd's definition advertised")
        check("inlineCompletionProvider" in caps, "Understudy's inline completion added")
        trig = caps["completionProvider"]["triggerCharacters"]
        check("<" in trig and " " in trig, "trigger characters unioned: %r" % trig)
        cmds = caps["executeCommandProvider"]["commands"]
        check("understudy.status" in cmds and any(c.startswith("clangd.") for c in cmds),
              "commands unioned: %r" % cmds)
        eq(r["result"]["serverInfo"]["name"].startswith("clangd"), True, "serverInfo is clangd's")
        # clangd 14 answers offsetEncoding, not positionEncoding; whatever it chose is kept.
        enc = caps.get("positionEncoding") or r["result"].get("offsetEncoding") or "utf-16"
        check(enc in ("utf-8", "utf-16"), enc)
        eq(s.shutdown_and_exit(), 0, "exit status")

    def test_clangd_hover_definition_diagnostics(self):
        s, proj, _, _ = self.clangd()
        uri, text = self.open_c(s, proj, "main.c")
        h = s.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": pos_of(text, "rectangle_area", 3)},
                      timeout=30)
        value = json.dumps(h.get("result"))
        check("rectangle_area" in value and "int" in value, "hover from clangd: %s" % value)
        d = s.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                  "position": pos_of(text, "rectangle_area", 3)},
                      timeout=30)
        locs = d["result"]
        locs = locs if isinstance(locs, list) else [locs]
        check(locs and any((l.get("uri") or l.get("targetUri", "")).endswith(("shapes.h", "shapes.c"))
                           for l in locs), "definition from clangd: %r" % locs)
        # A broken edit: clangd's diagnostics reach the client.
        end = pos_of(text, "return 0;")
        s.change(uri, 2, [{"range": {"start": end, "end": end}, "text": "undeclared_thing = 1;\n    "}])
        diag = s.wait_notification(
            "textDocument/publishDiagnostics",
            lambda m: m["params"]["uri"] == uri and any(
                "undeclared_thing" in x["message"] for x in m["params"]["diagnostics"]),
            timeout=30)
        check(diag, "diagnostics forwarded")
        # Understudy's own copy of the buffer followed the change.
        check("undeclared_thing = 1;" in s.text(uri)["text"], "Understudy's document in sync")
        eq(s.shutdown_and_exit(), 0, "exit status")

    def test_clangd_completion_merged(self):
        s, proj, fake, _ = self.clangd()
        uri, text = self.open_c(s, proj, "main.c")
        # Type `rectangle_` on a new line before `return 0;`.
        at = pos_of(text, "    return 0;")
        s.change(uri, 2, [{"range": {"start": at, "end": at}, "text": "    rectangle_\n"}])
        pos = {"line": at["line"], "character": 14}
        items = []
        for _ in range(4):
            r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                      "position": pos}, timeout=30)
            items = r["result"]["items"]
            sources = [(i.get("data") or {}).get("source") for i in items]
            labels = [i["label"].strip().lstrip("\u2022") for i in items]
            if "fake" in sources and any(l.startswith("rectangle_perimeter") for l in labels):
                break
            time.sleep(0.3)
        sources = [(i.get("data") or {}).get("source") for i in items]
        labels = [i["label"] for i in items]
        check(any("rectangle_area" in l and (i.get("data") or {}).get("source") is None
                  for l, i in zip(labels, items)), "clangd's items: %r" % labels)
        eq(sources[0], "fake", "AI item first (%r)" % labels[:3])
        ai = items[0]
        check(AI_TEXT in ai["textEdit"]["newText"], ai)
        keys = [l.strip().lstrip("\u2022") for l in labels]
        eq(len(keys), len(set(keys)), "labels are unique")
        # Ghost text is Understudy's own.
        r = s.request("textDocument/inlineCompletion", {"textDocument": {"uri": uri},
                                                        "position": pos,
                                                        "context": {"triggerKind": 1}},
                      timeout=10)
        eq(r["result"]["items"][0]["command"]["arguments"][0]["source"], "fake")
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})
        eq(st["result"]["providers"][0]["name"], "fake")
        eq(s.shutdown_and_exit(), 0, "exit status")

    def test_clangd_killed(self):
        s, proj, _, _ = self.clangd()
        uri, text = self.open_c(s, proj, "main.c")
        s.request("textDocument/hover", {"textDocument": {"uri": uri},
                                         "position": pos_of(text, "rectangle_area", 3)},
                  timeout=30)
        kids = wait_until(lambda: children_of(s.proc.pid), what="clangd child")
        os.kill(kids[0], signal.SIGKILL)
        msg = s.wait_notification("window/showMessage",
                                  lambda m: "clangd" in m["params"]["message"], timeout=10)
        check("killed" in msg["params"]["message"], msg)
        t0 = time.time()
        h = s.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": pos_of(text, "rectangle_area", 3)},
                      timeout=5)
        check("error" in h and h["error"]["code"] == -32803, "hover fails fast: %r" % h)
        check(time.time() - t0 < 2, "no hang")
        r = s.request("textDocument/inlineCompletion", {"textDocument": {"uri": uri},
                                                        "position": pos_of(text, "return 0;"),
                                                        "context": {"triggerKind": 1}},
                      timeout=10)
        check(r["result"]["items"], "inline completion still served: %r" % r)
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": pos_of(text, "return 0;")},
                      timeout=10)
        check("result" in r, "completion still answered: %r" % r)
        eq(len([m for m in s.notifications_of("window/showMessage")
                if "clangd" in m["params"]["message"]]), 1, "one showMessage")
        eq(s.shutdown_and_exit(), 0, "exit status")

    def test_clangd_exits_with_us(self):
        s, _, _, _ = self.clangd()
        kids = wait_until(lambda: children_of(s.proc.pid), what="clangd child")
        eq(s.shutdown_and_exit(), 0, "exit status")
        wait_until(lambda: not alive(kids[0]), timeout=5, what="clangd to exit")

    # ---- the fake child

    def test_ids_kept_apart(self):
        s, _, log, r = self.fake_child()
        eq(r["result"]["serverInfo"]["name"], "fake-child")
        caps = r["result"]["capabilities"]
        eq(sorted(caps["executeCommandProvider"]["commands"]),
           ["fake.doIt", "understudy.accepted", "understudy.retryProviders", "understudy.status"])
        check("#" in caps["completionProvider"]["triggerCharacters"] and
              " " in caps["completionProvider"]["triggerCharacters"], caps)
        # The client uses id 7; the child sends its own request with id 7 too, then answers ours.
        s.request_async("fake/askClient", {}, id=7)
        req = wait_until(lambda: [m for m in s.notifications
                                  if m.get("method") == "workspace/configuration"], what="child request")[0]
        eq(req["id"], 7)
        resp = s.wait_response(7)
        eq(resp["result"], "asked")
        s.send({"jsonrpc": "2.0", "id": 7, "result": [{"answer": 42}]})
        got = s.wait_notification("fake/gotResponse")
        eq(got["params"]["result"], [{"answer": 42}], "client's answer reached the child")
        # Commands: the child's go to the child, understudy.* stay home.
        eq(s.request("workspace/executeCommand", {"command": "fake.doIt"})["result"],
           {"ran": "fake.doIt"})
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        check("providers" in st, st)
        with open(log) as f:
            seen = [json.loads(l).get("method") for l in f]
        check("textDocument/inlineCompletion" not in seen, seen)
        check(not any(json.dumps(x).find("understudy.status") >= 0 for x in seen), seen)
        eq(s.shutdown_and_exit(), 0)
        with open(log) as f:
            seen = [json.loads(l).get("method") for l in f]
        check("shutdown" in seen and "exit" in seen, "shutdown and exit reached the child: %r" % seen)

    def test_encoding_follows_child(self):
        # The client offers utf-8, the child picks utf-16: Understudy must read utf-16 too.
        s, _, _, r = self.fake_child(encoding="utf-16")
        eq(r["result"]["capabilities"]["positionEncoding"], "utf-16")
        uri = "file:///tmp/us-wrap-enc.c"
        s.open(uri, "/* \U0001F600 */ int x;\n", language="c")
        # After the emoji (2 UTF-16 units): replace "int" at UTF-16 column 9.
        s.change(uri, 2, [{"range": {"start": {"line": 0, "character": 9},
                                     "end": {"line": 0, "character": 12}}, "text": "long"}])
        eq(s.text(uri)["text"], "/* \U0001F600 */ long x;\n")
        s.kill()
        s, _, _, r = self.fake_child(encoding="utf-8")
        eq(r["result"]["capabilities"]["positionEncoding"], "utf-8")
        s.open(uri, "/* \U0001F600 */ int x;\n", language="c")
        s.change(uri, 2, [{"range": {"start": {"line": 0, "character": 11},
                                     "end": {"line": 0, "character": 14}}, "text": "long"}])
        eq(s.text(uri)["text"], "/* \U0001F600 */ long x;\n")

    def test_completion_merge_and_slow_child(self):
        s, _, _, _ = self.fake_child()
        uri = "file:///tmp/us-wrap-merge.py"
        s.open(uri, "total = 1\ntotal_count = 2\nto", language="python")
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": 2, "character": 2}},
                      timeout=10)
        res = r["result"]
        labels = [i["label"] for i in res["items"]]
        check("child_item" in labels, labels)
        eq(labels.count("total"), 1, "deduped by label: %r" % labels)
        eq(res["isIncomplete"], True, "the child's isIncomplete is honoured")
        src = [(i.get("data") or {}).get("source") for i in res["items"]]
        eq(src[0], "fake", "AI item first: %r" % list(zip(labels, src)))
        local = [i for i in res["items"] if str((i.get("data") or {}).get("source")).startswith("local:")]
        check(all(i["sortText"].startswith("~") for i in local), "local items sort after the child's")
        s.kill()
        # A child slower than the bound: the answer still comes, marked incomplete.
        s, _, _, _ = self.fake_child(completion_delay=6)
        s.open(uri, "total = 1\ntotal_count = 2\nto", language="python")
        t0 = time.time()
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": 2, "character": 2}},
                      timeout=10)
        dt = time.time() - t0
        check(dt < 4.5, "answered without the slow child (%.2fs)" % dt)
        eq(r["result"]["isIncomplete"], True)
        labels = [i["label"] for i in r["result"]["items"]]
        check("child_item" not in labels and labels, labels)
        # Its late answer is swallowed, not sent as a second response.
        time.sleep(4.5)
        eq(len([m for m in s.received if m.get("id") == r["id"]]), 1, "one answer only")

    def test_child_dies_with_pending_requests(self):
        s, _, _, _ = self.fake_child()
        hang = s.request_async("fake/hang", {})
        s.request_async("fake/die", {})
        resp = s.wait_response(hang, timeout=5)
        eq(resp["error"]["code"], -32803, "pending forwarded request failed")
        msg = s.wait_notification("window/showMessage", timeout=5)
        check("exited (status 3)" in msg["params"]["message"], msg)
        h = s.request("textDocument/hover", {"textDocument": {"uri": "file:///x.c"},
                                             "position": {"line": 0, "character": 0}}, timeout=5)
        eq(h["error"]["code"], -32803)
        eq(s.shutdown_and_exit(), 0)

    def test_command_not_found(self):
        fake = self.fake()
        s = self.server(args=["--wrap", "--", "/nonexistent/language-server"])
        r = s.initialize(capabilities=CLIENT_CAPS, init_options=self.settings(fake))
        check("inlineCompletionProvider" in r["result"]["capabilities"], r)
        msg = s.wait_notification("window/showMessage", timeout=5)
        check("could not start" in msg["params"]["message"], msg)
        h = s.request("textDocument/hover", {"textDocument": {"uri": "file:///x.c"},
                                             "position": {"line": 0, "character": 0}}, timeout=5)
        eq(h["error"]["code"], -32803)
        eq(s.shutdown_and_exit(), 0)


if __name__ == "__main__":
    Wrap().run()
