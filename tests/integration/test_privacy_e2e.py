"""Privacy end to end (issue 15): nothing secret or excluded leaves the machine, whatever its
shape, window or URI. Every check searches EVERYTHING the fake providers received: every
request's path, headers and body (raw and as parsed JSON strings).

- a corpus of planted secrets (secret_corpus.py, >= 40 shapes over the families, fresh random
  values each run) in the current buffer, typed into it a few characters per change, in other
  open buffers pulled in as excerpts, and cut by the prompt window and by the excerpt window;
- the gitignore table shared with the workspace walk (tests/fixtures/ignore_table.txt) as a
  workspace's .understudyignore: excluded files reach no provider, loopback included, neither
  directly nor as excerpts; percent-encoded and non-file URIs;
- the CLI honours .understudyignore (workspace root found by walking up);
- key files: an injected header line is a configuration error naming the file, and adds no
  header; a key rewritten within the same second as a 401 is noticed (mtime nanoseconds);
- the workspace index never offers .env values or secrets from files or open buffers;
- log.level/log.file from every client layer, the pid on each line, trace lines with byte
  counts and masking counts and never text; doctor sends nothing remote under remote: false."""
import json
import os
import random
import secrets
import subprocess
import tempfile
import time

from lspclient import BIN, SRC, TestCase, check, eq
from routerlib import FakeProvider, inline, item_source, model_requests, strings_of
import secret_corpus

ANSWER = "return 1\n"
TABLE = os.path.join(SRC, "tests", "fixtures", "ignore_table.txt")




def everything(*fakes):
    """All a fake received: paths, headers, bodies (raw, and every string of the JSON)."""
    parts = []
    for f in fakes:
        reqs = f.requests()
        parts.append(json.dumps(reqs, ensure_ascii=False))
        for q in reqs:
            parts.append(q.get("body") or "")
            parts.append(strings_of(q.get("json")))
            parts.append("\n".join("%s: %s" % tuple(h) for h in q.get("headers") or []))
    return "\n".join(parts)


def read_table():
    tables, cur = [], None
    with open(TABLE) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("= "):
                cur = {"name": line[2:], "patterns": [], "rows": []}
                tables.append(cur)
            elif line[:1] == "p" and (len(line) == 1 or line[1] == " "):
                cur["patterns"].append(line[2:])
            elif line[:2] in ("+ ", "- "):
                cur["rows"].append((line[2:], line[0] == "+"))
    return tables


def uri_of(path):
    from urllib.parse import quote
    return "file://" + quote(path)


class Privacy(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def fake(self, **kw):
        f = FakeProvider(text=ANSWER, **kw)
        self._fakes = getattr(self, "_fakes", []) + [f]
        return f

    def loop_server(self, root=None, privacy=None, extra=None, env=None, args=()):
        lo = self.fake()
        cfg = {"providers": [{"name": "gateway", "kind": "openai-compatible", "model": "m",
                              "base_url": lo.base_url + "/v1"}],
               "completion": {"deadline_ms": 2000, "hedge_ms": 0}, "cache": {"entries": 0}}
        if privacy is not None:
            cfg["privacy"] = privacy
        cfg.update(extra or {})
        s = self.server(env=env, args=list(args))
        s.initialize(init_options=cfg, root=uri_of(root) if root else None)
        return s, lo

    def assert_none_sent(self, sent, values, what):
        for v in values:
            check(v not in sent, "%s: %r... reached the provider" % (what, v[:12]))

    # ------------------------------------------------------------------ the corpus
    def test_corpus_in_the_current_buffer(self):
        shapes = secret_corpus.planted(secrets.randbits(32))
        check(len(shapes) >= 40, "at least 40 shapes")
        s, lo = self.loop_server()
        d = "/tmp/understudy-privacy-%s" % secrets.token_hex(4)
        # A few shapes per document, so the whole document fits the prompt window.
        for i in range(0, len(shapes), 6):
            group = shapes[i:i + 6]
            marker = "marker_%s" % secrets.token_hex(4)
            text = "".join(code for _, code, _ in group) + "def %s(a, b):\n    " % marker
            uri = "file://%s/cur_%d.py" % (d, i)
            s.open(uri, text)
            lines = text.split("\n")
            r, _ = inline(s, uri, {"line": len(lines) - 1, "character": len(lines[-1])})
            eq(item_source(r), "gateway")
            sent = everything(lo)
            check(marker in sent, "the context was sent")
            for sid, _, values in group:
                self.assert_none_sent(sent, values, "current buffer, shape %s" % sid)

    def test_corpus_in_excerpts_from_other_buffers(self):
        shapes = secret_corpus.planted(secrets.randbits(32))
        s, lo = self.loop_server()
        d = "/tmp/understudy-privacy-%s" % secrets.token_hex(4)
        for i in range(0, len(shapes), 3):
            group = shapes[i:i + 3]
            defs = []
            for k, (sid, code, _) in enumerate(group):
                fn = "load_%d_%d" % (i, k)
                body = "".join("    " + ln + "\n" for ln in code.rstrip("\n").split("\n"))
                defs.append("def %s():\n%s    return 1\n\n" % (fn, body))
            s.open("file://%s/keys_%d.py" % (d, i), "".join(defs))
            calls = "".join("    v%d = load_%d_%d()\n" % (k, i, k) for k in range(len(group)))
            marker = "marker_%s" % secrets.token_hex(4)
            text = "def %s():\n%s    " % (marker, calls)
            uri = "file://%s/main_%d.py" % (d, i)
            s.open(uri, text)
            lines = text.split("\n")
            r, _ = inline(s, uri, {"line": len(lines) - 1, "character": len(lines[-1])})
            eq(item_source(r), "gateway")
            sent = everything(lo)
            check(marker in sent, "context sent")
            check("def load_%d_0" % i in sent, "the other buffer's function rode along")
            for sid, _, values in group:
                self.assert_none_sent(sent, values, "excerpt, shape %s" % sid)

    def test_corpus_typed_into_a_buffer(self):
        """The corpus typed into an open buffer a few characters per didChange, as an editor
        that does not close quotes itself sends it, with a request whenever a value is whole:
        each version is masked from the last one's changed lines (privacy_remask.c), and no
        finished secret reaches the provider on any request along the way, not even before
        its closing quote is typed."""
        shapes = secret_corpus.planted(secrets.randbits(32))
        s, lo = self.loop_server()
        uri = "file:///tmp/understudy-privacy-%s/typed.py" % secrets.token_hex(4)
        text = "import os\n\n"
        s.open(uri, text)
        version, asked = 1, 0
        rnd = random.Random(secrets.randbits(32))
        for sid, code, values in shapes:
            # A request the moment each value is whole, before its closing quote is typed.
            whole = sorted(code.find(v) + len(v) for v in values if v in code)
            at = 0
            while at < len(code):
                stop = min([w for w in whole if w > at] + [len(code)])
                chunk = code[at:min(at + rnd.randint(1, 12), stop)]
                at += len(chunk)
                lines = text.split("\n")
                end = {"line": len(lines) - 1, "character": len(lines[-1])}
                version += 1
                s.change(uri, version, [{"range": {"start": end, "end": end}, "text": chunk}])
                text += chunk
                if rnd.random() < 0.3 or at == stop:
                    lines = text.split("\n")
                    r, _ = inline(s, uri, {"line": len(lines) - 1,
                                           "character": len(lines[-1])})
                    eq(item_source(r), "gateway")
                    asked += 1
        sent = everything(lo)
        check(asked >= len(shapes), "a request after every shape")
        check("import os" in sent, "the context was sent")
        for sid, _, values in shapes:
            self.assert_none_sent(sent, values, "typed into the buffer, shape %s" % sid)

    def test_key_blocks_cut_by_every_window(self):
        g = secret_corpus.Gen(secrets.randbits(32))
        block, body = g.pem("RSA PRIVATE KEY", 25, 64)
        s, lo = self.loop_server()
        d = "/tmp/understudy-privacy-%s" % secrets.token_hex(4)
        head = "import os\n\nKEY = '''\n%s\n'''\n" % block
        # Prefix window (6000 bytes): cursors placed so a window cut on the raw text would
        # begin at every few lines of the key, and one far below it.
        for n, extra in enumerate(list(range(4400, 6100, 220)) + [40000]):
            filler = "".join("value_%05d = compute(%d)\n" % (k, k) for k in range(extra // 26))
            marker = "marker_%s" % secrets.token_hex(4)
            text = head + filler + "def %s():\n    " % marker
            uri = "file://%s/long_%d.py" % (d, n)
            s.open(uri, text)
            lines = text.split("\n")
            inline(s, uri, {"line": len(lines) - 1, "character": len(lines[-1])})
            sent = everything(lo)
            check(marker in sent, "context sent")
            self.assert_none_sent(sent, body, "prefix window %d" % extra)
        # Suffix window (2000 bytes): the key starts below the cursor and runs past its end.
        for n, gap in enumerate((100, 900, 1600)):
            marker = "marker_%s" % secrets.token_hex(4)
            filler = "".join("other_%05d = 1\n" % k for k in range(gap // 15))
            text = "def %s():\n    \n%s%s" % (marker, filler, head)
            uri = "file://%s/suffix_%d.py" % (d, n)
            s.open(uri, text)
            inline(s, uri, {"line": 1, "character": 4})
            sent = everything(lo)
            check(marker in sent, "context sent")
            self.assert_none_sent(sent, body, "suffix window gap %d" % gap)
        # Excerpt window (1200 bytes): another buffer's function holding the key, longer than
        # the window, so the excerpt ends inside the key.
        s.open("file://%s/creds.py" % d, "def load_key():\n    pem = '''\n%s\n'''\n"
               "    return pem\n" % block)
        marker = "marker_%s" % secrets.token_hex(4)
        uri = "file://%s/use.py" % d
        s.open(uri, "def %s():\n    k = load_key()\n    " % marker)
        inline(s, uri, {"line": 2, "character": 4})
        sent = everything(lo)
        check("def load_key" in sent, "the excerpt rode along")
        self.assert_none_sent(sent, body, "excerpt window")

    # ------------------------------------------------------------------ exclusion
    def test_gitignore_table_applies_to_a_loopback_provider(self):
        tables = read_table()
        check(len(tables) >= 5, "the shared table")
        for t in tables:
            root = tempfile.mkdtemp(prefix="understudy-privacy-ws-")
            with open(os.path.join(root, ".understudyignore"), "w") as f:
                f.write("\n".join(t["patterns"]) + "\n")
            s, lo = self.loop_server(root=root, privacy={"exclude": []})
            for i, (rel, excluded) in enumerate(t["rows"]):
                marker = "row_marker_%d_%s" % (i, secrets.token_hex(4))
                fn = "row_fn_%d_%s" % (i, secrets.token_hex(3))
                uri = uri_of(os.path.join(root, rel))
                s.open(uri, "def %s():\n    return '%s'\n\ndef other():\n    " % (fn, marker))
                inline(s, uri, {"line": 4, "character": 4})
                # and as an excerpt, from an ordinary file that calls it
                main = uri_of(os.path.join(root, "zz_main_%d_%s.txtpy" % (i, secrets.token_hex(2))))
                s.open(main, "def caller_%d():\n    x = %s()\n    " % (i, fn))
                inline(s, main, {"line": 2, "character": 4})
                sent = everything(lo)
                if excluded:
                    check(marker not in sent, "[%s] %s was sent although excluded" % (t["name"], rel))
                else:
                    check(marker in sent, "[%s] %s was not sent although not excluded"
                          % (t["name"], rel))
            s.shutdown_and_exit()

    def test_percent_encoded_and_non_file_uris(self):
        root = tempfile.mkdtemp(prefix="understudy-privacy-ws-")
        with open(os.path.join(root, ".understudyignore"), "w") as f:
            f.write("my secrets/\n")
        s, lo = self.loop_server(root=root)  # default privacy.exclude: .env*, *.pem, ...
        docs = [uri_of(os.path.join(root, "my secrets", "rates.py")),  # my%20secrets
                "file://" + root + "/my%20secrets/other.py",
                "untitled:.env",
                "vscode-remote://ssh-remote%2Bbox/srv/app/server.pem",
                "vscode-vfs://github/owner/repo/.env.production"]
        check("%20" in docs[0], "the URI is percent-encoded")
        markers = []
        for i, uri in enumerate(docs):
            marker = "uri_marker_%d_%s" % (i, secrets.token_hex(4))
            markers.append(marker)
            s.open(uri, "def uri_fn_%d():\n    return '%s'\n\ndef more():\n    " % (i, marker))
            r, _ = inline(s, uri, {"line": 4, "character": 4})
            check(item_source(r) != "gateway", "%s served by the gateway" % uri)
            main = uri_of(os.path.join(root, "main_%d.py" % i))
            s.open(main, "def use_%d():\n    v = uri_fn_%d()\n    " % (i, i))
            r, _ = inline(s, main, {"line": 2, "character": 4})
            eq(item_source(r), "gateway")
        sent = everything(lo)
        for uri, marker in zip(docs, markers):
            check(marker not in sent, "%s reached the loopback provider" % uri)
        check("uri_fn_" in sent, "the ordinary files' context was sent")

    def test_cli_complete_honours_understudyignore(self):
        lo = self.fake()
        ws = tempfile.mkdtemp(prefix="understudy-privacy-cli-")
        os.makedirs(os.path.join(ws, ".git"))
        os.makedirs(os.path.join(ws, "config"))
        os.makedirs(os.path.join(ws, "app", "config"))
        with open(os.path.join(ws, ".understudyignore"), "w") as f:
            f.write("/config/secrets.py\nprivate/\n")
        marker = "cli_marker_%s" % secrets.token_hex(4)
        for rel in ("config/secrets.py", "app/config/secrets.py"):
            with open(os.path.join(ws, rel), "w") as f:
                f.write("def rates():\n    return '%s'\n    \n" % marker)
        cfg = os.path.join(ws, "understudy.json")
        with open(cfg, "w") as f:
            json.dump({"providers": [{"name": "gateway", "kind": "openai-compatible",
                                      "model": "m", "base_url": lo.base_url + "/v1"}],
                       "privacy": {"exclude": []}}, f)
        env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent-understudy-test")
        env.pop("UNDERSTUDY_CONFIG", None)
        # run from elsewhere: the root comes from walking up from the file
        p = subprocess.run([BIN, "complete", os.path.join(ws, "config/secrets.py") + ":3:5",
                            "--config", cfg, "--json"], capture_output=True, env=env,
                           timeout=30, cwd="/")
        check(p.stdout.strip(), "complete printed an answer")
        eq(model_requests(lo), [], "an excluded file went to the provider from the CLI")
        check(marker not in everything(lo), "marker sent")
        p = subprocess.run([BIN, "complete", os.path.join(ws, "app/config/secrets.py") + ":3:5",
                            "--config", cfg, "--json"], capture_output=True, env=env,
                           timeout=30, cwd="/")
        eq(json.loads(p.stdout.decode().strip().splitlines()[-1])["source"], "gateway")
        check(marker in everything(lo), "a file the anchored pattern does not match is sent")

    # ------------------------------------------------------------------ keys
    def test_key_file_with_an_injected_header(self):
        a = self.fake()
        d = tempfile.mkdtemp(prefix="understudy-privacy-key-")
        key = os.path.join(d, "anthropic.key")
        secret = "sk-ant-" + secrets.token_hex(16)
        with open(key, "w") as f:
            f.write("%s\r\nX-Injected: yes\n" % secret)
        s = self.server()
        s.initialize(init_options={"providers": [{"name": "claude", "kind": "anthropic",
                                                  "model": "m", "base_url": a.base_url,
                                                  "api_key_file": key}],
                                   "completion": {"deadline_ms": 1000}})
        d2 = "/tmp/understudy-privacy-%s" % secrets.token_hex(4)
        s.open("file://%s/a.py" % d2, "def add(a, b):\n    ")
        inline(s, "file://%s/a.py" % d2, {"line": 1, "character": 4})
        st = s.request("workspace/executeCommand", {"command": "understudy.status"})["result"]
        eq(st["providers"][0]["state"], "disabled", "a two-line key file is no key")
        check(key in st["providers"][0]["reason"], "the status reason names the key file: %r"
              % st["providers"][0]["reason"])
        shown = [m["params"]["message"] for m in s.received
                 if m.get("method") == "window/showMessage" and key in m["params"]["message"]]
        eq(len(shown), 1, "one configuration-error message names the file")
        check(secret not in shown[0] and "X-Injected" not in shown[0], shown[0])
        sent = everything(a)
        check("X-Injected" not in sent and "x-injected" not in sent.lower(), "header injected")
        check(secret not in sent, "the key was sent")
        s.shutdown_and_exit()
        out = json.dumps(s.received) + s.stderr()
        check(key in out, "the configuration error names the file")
        check(secret not in out and "X-Injected" not in out, "the message repeats the content")
        # doctor reads the same way
        cfg = os.path.join(d, "c.json")
        with open(cfg, "w") as f:
            json.dump({"providers": [{"name": "claude", "kind": "anthropic", "model": "m",
                                      "base_url": a.base_url, "api_key_file": key}]}, f)
        env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent-understudy-test")
        p = subprocess.run([BIN, "doctor", "--config", cfg], capture_output=True, env=env,
                           timeout=30)
        out = p.stdout.decode() + p.stderr.decode()
        check(key in out and secret not in out and "X-Injected" not in out, out)
        sent = everything(a)
        check("X-Injected" not in sent and secret not in sent, "doctor sent the key file's lines")

    def test_key_rewritten_in_the_same_second_as_a_401(self):
        a = self.fake()
        d = tempfile.mkdtemp(prefix="understudy-privacy-key-")
        key = os.path.join(d, "anthropic.key")
        old, new = "sk-ant-OLD" + secrets.token_hex(12), "sk-ant-NEW" + secrets.token_hex(12)
        with open(key, "w") as f:
            f.write(old + "\n")
        st0 = os.stat(key)
        a.mode("auth_401", message="invalid x-api-key")
        s = self.server()
        s.initialize(init_options={"providers": [{"name": "claude", "kind": "anthropic",
                                                  "model": "m", "base_url": a.base_url,
                                                  "api_key_file": key}],
                                   "completion": {"deadline_ms": 1500, "hedge_ms": 0}})
        d2 = "/tmp/understudy-privacy-%s" % secrets.token_hex(4)
        for n in range(3):
            uri = "file://%s/a%d.py" % (d2, n)
            s.open(uri, "# %d\ndef add(a, b):\n    " % n)
            inline(s, uri, {"line": 2, "character": 4})
            st = s.request("workspace/executeCommand", {"command": "understudy.status"})
            if st["result"]["providers"][0]["state"] == "disabled":
                break
        eq(st["result"]["providers"][0]["state"], "disabled", "a 401 disables the provider")
        # Same size, same second: only the nanoseconds tell the rotation.
        with open(key, "w") as f:
            f.write(new + "\n")
        sec = st0.st_mtime_ns // 10 ** 9
        os.utime(key, ns=(st0.st_atime_ns, sec * 10 ** 9 + (st0.st_mtime_ns + 1234567) % 10 ** 9))
        eq(os.stat(key).st_size, st0.st_size)
        eq(os.stat(key).st_mtime_ns // 10 ** 9, sec)
        a.mode("healthy", text=ANSWER)
        uri = "file://%s/b.py" % d2
        s.open(uri, "# b\ndef add(a, b):\n    ")
        r, _ = inline(s, uri, {"line": 2, "character": 4})
        eq(item_source(r), "claude", "the rewritten key file was noticed")
        hdrs = dict((k.lower(), v) for k, v in model_requests(a)[-1]["headers"])
        eq(hdrs.get("x-api-key"), new)

    # ------------------------------------------------------------------ the local engine
    def test_env_and_secrets_never_offered_as_items(self):
        root = tempfile.mkdtemp(prefix="understudy-privacy-ws-")
        g = secret_corpus.Gen(secrets.randbits(32))
        hf_env = "hf_" + g.put(secret_corpus.LETTERS, 34)
        hf_file = "hf_" + g.put(secret_corpus.LETTERS, 34)
        hf_open = "hf_" + g.put(secret_corpus.LETTERS, 34)
        env_word = "ENVONLY_" + g.put(secret_corpus.LETTERS, 12)
        with open(os.path.join(root, ".env"), "w") as f:
            f.write("HF_TOKEN=%s\n%s=1\n" % (hf_env, env_word))
        with open(os.path.join(root, ".env.local"), "w") as f:
            f.write("%s_LOCAL=2\n" % env_word)
        with open(os.path.join(root, "settings.py"), "w") as f:
            f.write('HF_TOKEN = "%s"\nvisible_setting_word = 1\n' % hf_file)
        s = self.server()
        s.initialize(init_options={"providers": []}, root=uri_of(root))
        s.open(uri_of(os.path.join(root, "other.py")), 'TOKEN = "%s"\n' % hf_open)
        uri = uri_of(os.path.join(root, "main.py"))
        s.open(uri, "x = visible_setting\ny = hf_\nz = ENVONLY\n")
        labels = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the workspace index has the ordinary file
            labels = []
            for pos in ({"line": 0, "character": 19}, {"line": 1, "character": 7},
                        {"line": 2, "character": 11}):
                r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                          "position": pos})
                labels += [json.dumps(it) for it in r["result"]["items"]]
            if any("visible_setting_word" in l for l in labels):
                break
            time.sleep(0.2)
        check(any("visible_setting_word" in l for l in labels), "the workspace was indexed")
        got = "\n".join(labels) + json.dumps(s.received)
        for v in (hf_env, hf_file, hf_open, env_word):
            check(v not in got, "%s... offered as a completion item" % v[:12])

    # ------------------------------------------------------------------ logs
    def test_trace_log_from_client_layers_without_text(self):
        d = tempfile.mkdtemp(prefix="understudy-privacy-log-")
        log1, log2 = os.path.join(d, "init.log"), os.path.join(d, "change.log")
        g = secret_corpus.Gen(secrets.randbits(32))
        jwt, pw = g.jwt(), g.password()
        s, lo = self.loop_server(extra={"log": {"level": "trace", "file": log1}})
        uri = "file:///tmp/understudy-privacy-%s/svc.py" % secrets.token_hex(4)
        body = "token_text_marker = 1\nAUTH = '%s'\ndb_password = '%s'\ndef run():\n    " % (jwt, pw)
        s.open(uri, body)
        inline(s, uri, {"line": 4, "character": 4})
        # didChangeConfiguration moves the log at once
        s.notify("workspace/didChangeConfiguration",
                 {"settings": {"understudy": {"log": {"level": "trace", "file": log2}}}})
        s.change(uri, 2, [{"range": {"start": {"line": 4, "character": 4},
                                     "end": {"line": 4, "character": 4}}, "text": "r"}])
        inline(s, uri, {"line": 4, "character": 5})
        s.shutdown_and_exit()
        pid = None
        for path in (log1, log2):
            check(os.path.exists(path), "%s written" % path)
            with open(path) as f:
                text = f.read()
            lines = [l for l in text.splitlines() if l]
            check(lines, "%s has lines" % path)
            check(all(l.startswith("understudy[") for l in lines), "every line carries the pid")
            pid = lines[0][len("understudy["):lines[0].index("]")]
            check(pid.isdigit(), "pid %r" % pid)
            check(any("masked:" in l and "jwt=1" in l and "password=1" in l for l in lines),
                  "the trace says what was masked, per type: %s" % path)
            check(any("gateway:" in l and "body" in l and "bytes" in l for l in lines),
                  "the trace names provider, path and bytes")
            for v in (jwt, pw, "token_text_marker"):
                check(v not in text, "the log holds text (%s)" % path)
        msgs = json.dumps(s.notifications_of("window/logMessage")) + s.stderr()
        check("masked:" in msgs, "trace lines reach the editor as logMessage")
        for v in (jwt, pw, "token_text_marker"):
            check(v not in msgs, "logMessage or stderr holds text")

    def test_doctor_sends_nothing_remote_under_remote_false(self):
        r = self.fake()
        d = tempfile.mkdtemp(prefix="understudy-privacy-doc-")
        cfg = os.path.join(d, "c.json")
        with open(cfg, "w") as f:
            json.dump({"providers": [{"name": "remote", "kind": "openai-compatible",
                                      "model": "m",
                                      "base_url": "http://2130706433:%d/v1" % r.port}],
                       "privacy": {"remote": False}}, f)
        env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent-understudy-test")
        p = subprocess.run([BIN, "doctor", "--config", cfg], capture_output=True, env=env,
                           timeout=30)
        check("skipped" in p.stdout.decode(), p.stdout.decode())
        eq(model_requests(r), [], "doctor contacted a remote provider")


if __name__ == "__main__":
    Privacy().run()
