"""Secrets (issue 9, design.md §5): a sentinel API key never appears in any output (LSP
messages, stderr, the trace log, status, error messages, doctor, `complete --json`), even when
a provider's error message echoes it back; context sent to remote providers is scrubbed of
secret shapes; excluded files are never sent; `privacy.remote: false` keeps everything on the
machine; loopback providers get the raw text.

"Remote" without leaving the machine: the fakes listen on 127.0.0.1 only, so a remote provider
is the same fake addressed as http://2130706433:PORT (127.0.0.1 written as one decimal number;
curl normalises it and connects to loopback, while the router, which only trusts the literal
forms 127.x.x.x, localhost and [::1], treats it as a remote host)."""
import json
import os
import secrets
import subprocess
import tempfile

from lspclient import BIN, TestCase, check, eq
from routerlib import FakeProvider, fresh_doc, inline, item_source, model_requests, strings_of

ANSWER = "return a + b\n"
SENTINEL = "sk-ant-SENTINEL-" + secrets.token_hex(16)
GEMINI_SENTINEL = "AIzaSENTINEL" + secrets.token_hex(12)
ENV = {"US_SECRET_ANTHROPIC": SENTINEL, "US_SECRET_GEMINI": GEMINI_SENTINEL,
       "US_SECRET_OPENAI": SENTINEL}
SENTINELS = (SENTINEL, GEMINI_SENTINEL, SENTINEL[len("sk-ant-"):])

# Secrets planted in documents, and what must never leave the machine for a remote provider.
PEM_BODY = "MIIEowIBAAKCAQEA" + secrets.token_hex(20).upper()
PEM = ("-----BEGIN RSA PRIVATE KEY-----\n%s\nq83hdE8s9dk3JdlE0d9s\n"
       "-----END RSA PRIVATE KEY-----\n" % PEM_BODY)
AWS = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
GHP = "ghp_" + secrets.token_hex(18)
PASSWORD = "hunter2-" + secrets.token_hex(6)
PLANTED = (PEM_BODY, AWS, GHP, PASSWORD)
MARKER = "visible_marker_%s" % secrets.token_hex(4)

SECRET_DOC = ('"""Service settings."""\n'
              'PRIVATE_KEY = """\n%s"""\n'
              'AWS_ACCESS_KEY_ID = "%s"\n'
              'GITHUB_TOKEN = "%s"\n'
              'password = "%s"\n'
              'def %s(a, b):\n    ' % (PEM, AWS, GHP, PASSWORD, MARKER))
SECRET_SUFFIX = '\n\nDB_PASSWORD = "%s"\n# token %s\n' % (PASSWORD, GHP)


def remote_url(fake, path="/v1"):
    return "http://2130706433:%d%s" % (fake.port, path)




def sent_text(fake):
    return "\n".join((q.get("body") or "") + "\n" + strings_of(q.get("json"))
                     for q in model_requests(fake))


def assert_no_sentinel(where, text):
    for s in SENTINELS:
        check(s not in text, "the key leaked into %s" % where)


def status(server):
    return server.request("workspace/executeCommand", {"command": "understudy.status"})["result"]


class Secrets(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def fake(self, **kw):
        f = FakeProvider(text=ANSWER, **kw)
        self._fakes = getattr(self, "_fakes", []) + [f]
        return f

    # ------------------------------------------------------------------ the key
    def test_sentinel_never_in_lsp_output_stderr_log_or_status(self):
        a, g, o = self.fake(), self.fake(), self.fake()
        logdir = tempfile.mkdtemp(prefix="understudy-secrets-")
        log_path = os.path.join(logdir, "understudy.log")
        providers = [
            {"name": "claude", "kind": "anthropic", "model": "m", "base_url": a.base_url,
             "api_key_env": "US_SECRET_ANTHROPIC"},
            {"name": "gem", "kind": "gemini", "model": "m", "base_url": g.base_url + "/v1beta",
             "api_key_env": "US_SECRET_GEMINI"},
            {"name": "gpt", "kind": "openai-compatible", "model": "m",
             "base_url": o.base_url + "/v1", "api_key_env": "US_SECRET_OPENAI"},
        ]
        cfg = {"providers": providers,
               "completion": {"deadline_ms": 1500, "hedge_ms": 0},
               "breaker": {"failures": 3, "cooldown_ms": 300, "max_cooldown_ms": 600},
               "log": {"level": "trace", "file": log_path}}
        s = self.server(env=ENV, args=["--log-level", "trace"])
        s.initialize(init_options=cfg)
        # 1. Healthy: the key is really used (the fake saw it), so the checks below mean something.
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "claude")
        hdrs = dict((k.lower(), v) for k, v in model_requests(a)[-1]["headers"])
        eq(hdrs.get("x-api-key"), SENTINEL, "the anthropic fake got the key")
        s.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        # 2. Errors whose bodies echo the key back, as some real APIs do with parts of it.
        echo = "invalid key %s for this request" % SENTINEL
        a.mode("status_500", message=echo)
        g.mode("status_500", message="API key %s not valid" % GEMINI_SENTINEL)
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "gpt")
        a.mode("rate_limit_seconds", retry_after="1", message=echo)
        g.mode("rate_limit_gemini", retry_delay="1s", message="quota for %s" % GEMINI_SENTINEL)
        o.mode("status_503", message=echo)
        uri, pos = fresh_doc(s)
        inline(s, uri, pos)
        st = status(s)
        eq(st["providers"][0]["state"], "open")
        assert_no_sentinel("status after 429s", json.dumps(st))
        # 3. Auth failures echoing the key: disabled, showMessage names the variable only.
        a.mode("auth_401", message=echo)
        g.mode("auth_403", message="key %s denied" % GEMINI_SENTINEL)
        o.mode("payment_402", message=echo)
        s.wait_notification("understudy/status",
                            lambda m: m["params"]["providers"][0]["state"] == "half_open",
                            timeout=5)
        import time
        time.sleep(1.2)  # every breaker half-open again
        for _ in range(3):
            uri, pos = fresh_doc(s)
            inline(s, uri, pos)
        st = status(s)
        # claude's key worked in step 1: a 401 now is auth trouble (open, probed), not a
        # disabled provider (issue 18 item 6); gem's never worked, gpt's 402 is billing.
        eq([p["state"] for p in st["providers"]], ["open", "disabled", "disabled"])
        msgs = s.notifications_of("window/showMessage")
        check(any("US_SECRET_ANTHROPIC" in m["params"]["message"] for m in msgs),
              "a showMessage names the env var")
        # 4. A configuration that puts the key where a variable name belongs: the error must
        #    not repeat the value.
        bad = dict(cfg)
        bad["providers"] = [dict(providers[0], api_key_env=SENTINEL)]
        s.notify("workspace/didChangeConfiguration", {"settings": {"understudy": bad}})
        bad2 = dict(cfg)
        bad2["providers"] = [dict(providers[0], api_key=SENTINEL, headers={"x-api-key": SENTINEL})]
        s.notify("workspace/didChangeConfiguration", {"settings": {"understudy": bad2}})
        s.request("workspace/executeCommand", {"command": "understudy.nonexistent",
                                               "arguments": [SENTINEL[:4]]})
        st = status(s)
        s.shutdown_and_exit()
        outputs = {"LSP messages": json.dumps(s.received), "stderr": s.stderr(),
                   "status": json.dumps(st)}
        if os.path.exists(log_path):
            with open(log_path, errors="replace") as f:
                outputs["log file"] = f.read()
            check(len(outputs["log file"]) > 0, "the trace log has content")
        for where, text in outputs.items():
            assert_no_sentinel(where, text)
        # The trace log really covered the failures (so silence is not why it is clean).
        # Log lines reach the editor as window/logMessage (stderr only before a client listens).
        log = outputs.get("log file", "") + outputs["stderr"] + outputs["LSP messages"]
        check("claude" in log, "the log mentions the provider")

    def _write_config(self, cfg):
        d = tempfile.mkdtemp(prefix="understudy-secrets-")
        path = os.path.join(d, "config.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return d, path

    def _run(self, args, timeout=30):
        env = dict(os.environ)
        env.update(ENV)
        env["XDG_CONFIG_HOME"] = "/nonexistent-understudy-test"
        env.pop("UNDERSTUDY_CONFIG", None)
        p = subprocess.run([BIN] + args, capture_output=True, env=env, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def test_sentinel_never_in_doctor_or_complete_json(self):
        a, o = self.fake(), self.fake()
        echo = "invalid key %s" % SENTINEL
        a.mode("auth_401", message=echo)
        o.mode("status_500", message=echo)
        providers = [
            {"name": "claude", "kind": "anthropic", "model": "m", "base_url": a.base_url,
             "api_key_env": "US_SECRET_ANTHROPIC"},
            {"name": "gpt", "kind": "openai-compatible", "model": "m",
             "base_url": o.base_url + "/v1", "api_key_env": "US_SECRET_OPENAI"},
        ]
        d, path = self._write_config({"providers": providers, "log": {"level": "trace"}})
        rc, out, err = self._run(["doctor", "--config", path, "--log-level", "trace"])
        check(len(model_requests(a)) >= 1, "doctor really asked the provider")
        check("claude" in out, "doctor prints a row per provider: %r" % out)
        assert_no_sentinel("doctor stdout", out)
        assert_no_sentinel("doctor stderr", err)
        # complete --json with every provider failing: the reason names the failure, not the key.
        src = os.path.join(d, "main.py")
        with open(src, "w") as f:
            f.write("def add(a, b):\n    \n")
        rc, out, err = self._run(["complete", src + ":2:5", "--config", path, "--json",
                                  "--log-level", "trace"])
        check(out.strip(), "complete --json printed something")
        json.loads(out.strip().splitlines()[-1])
        assert_no_sentinel("complete --json stdout", out)
        assert_no_sentinel("complete --json stderr", err)
        # And once more with a healthy provider, the key in use.
        a.mode("healthy", text=ANSWER)
        rc, out, err = self._run(["complete", src + ":2:5", "--config", path, "--json",
                                  "--log-level", "trace"])
        eq(json.loads(out.strip().splitlines()[-1])["source"], "claude")
        assert_no_sentinel("complete --json stdout (healthy)", out)
        assert_no_sentinel("complete --json stderr (healthy)", err)
        # A config holding the key itself where a variable name belongs: the error names the
        # file and the field, never the value.
        d2, bad = self._write_config({"providers": [dict(providers[0], api_key_env=SENTINEL)]})
        rc, out, err = self._run(["doctor", "--config", bad])
        assert_no_sentinel("doctor on a bad config", out + err)
        rc, out, err = self._run(["complete", src + ":2:5", "--config", bad, "--json"])
        assert_no_sentinel("complete on a bad config", out + err)

    # ------------------------------------------------------------------ the context
    def _remote_setup(self, privacy=None, extra_providers=(), env=None):
        r = self.fake()
        providers = [{"name": "remote", "kind": "openai-compatible", "model": "m",
                      "base_url": remote_url(r)}] + list(extra_providers)
        cfg = {"providers": providers, "completion": {"deadline_ms": 1500, "hedge_ms": 0}}
        if privacy is not None:
            cfg["privacy"] = privacy
        s = self.server(env=env)
        s.initialize(init_options=cfg)
        return s, r

    def _open_secret_doc(self, s, name="settings.py"):
        uri = "file:///tmp/understudy-secrets-%s/%s" % (secrets.token_hex(4), name)
        text = SECRET_DOC + SECRET_SUFFIX
        s.open(uri, text)
        lines = SECRET_DOC.split("\n")
        return uri, {"line": len(lines) - 1, "character": len(lines[-1])}

    def test_remote_provider_gets_scrubbed_context(self):
        s, r = self._remote_setup()
        uri, pos = self._open_secret_doc(s)
        res, _ = inline(s, uri, pos)
        eq(item_source(res), "remote", "the remote provider answered")
        st = status(s)
        eq(st["providers"][0]["state"], "closed")
        sent = sent_text(r)
        check(MARKER in sent, "the context was sent (marker present)")
        check("BEGIN RSA PRIVATE KEY" not in sent or PEM_BODY not in sent, "PEM body masked")
        for p in PLANTED:
            check(p not in sent, "planted secret %r... reached the remote provider" % p[:8])
        # Popup path too (typing something the suggestion does not start with, so it is a
        # new request rather than typing-through).
        r.reset()
        r.mode("healthy", text=ANSWER)
        s.change(uri, 2, [{"range": {"start": pos, "end": pos}, "text": "q"}])
        pos2 = {"line": pos["line"], "character": pos["character"] + 1}
        s.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos2})
        r.wait_for(lambda x: any(q.get("completed") for q in x["requests"]
                                 if (q.get("path") or "/_")[:2] != "/_"), timeout=5)
        sent = sent_text(r)
        check(MARKER in sent, "popup context sent")
        for p in PLANTED:
            check(p not in sent, "planted secret %r... reached the remote provider (popup)" % p[:8])

    def test_excerpts_from_other_documents_are_scrubbed(self):
        s, r = self._remote_setup()
        other = "file:///tmp/understudy-secrets-%s/keys.py" % secrets.token_hex(4)
        s.open(other, 'def load_credentials():\n    aws = "%s"\n    gh = "%s"\n'
                      '    password = "%s"\n    return aws\n' % (AWS, GHP, PASSWORD))
        uri = "file:///tmp/understudy-secrets-%s/main.py" % secrets.token_hex(4)
        text = "def %s():\n    creds = load_credentials()\n    " % MARKER
        s.open(uri, text)
        res, _ = inline(s, uri, {"line": 2, "character": 4})
        eq(item_source(res), "remote")
        sent = sent_text(r)
        check(MARKER in sent, "context sent")
        for p in (AWS, GHP, PASSWORD):
            check(p not in sent, "secret %r... from another document's excerpt leaked" % p[:8])

    def test_excluded_files_never_sent(self):
        s, r = self._remote_setup(privacy={"exclude": [".env*", "secret_*.py"]})
        # Completing inside an excluded file: nothing goes out.
        envuri = "file:///tmp/understudy-secrets-%s/.env" % secrets.token_hex(4)
        s.open(envuri, "API_HOST=example.org\nDEBUG=%s\nNAME=" % MARKER, language="plaintext")
        res, dt = inline(s, envuri, {"line": 2, "character": 5})
        check(dt < 1.8, "answered in time")
        check(item_source(res) != "remote", "not served by the remote provider")
        pyuri = "file:///tmp/understudy-secrets-%s/secret_rates.py" % secrets.token_hex(4)
        inner = "INTERNAL_ONLY_%s" % secrets.token_hex(6)
        s.open(pyuri, "def fetch_internal_rates(region):\n    return '%s'\n\n"
                      "def fetch_internal_costs(region):\n    " % inner)
        res, _ = inline(s, pyuri, {"line": 4, "character": 4})
        check(item_source(res) != "remote", "excluded python file not served remotely")
        eq(model_requests(r), [], "no request for an excluded file")
        # An ordinary file that uses a definition from the excluded file: the excluded file's
        # text must not ride along as a related-code excerpt.
        uri = "file:///tmp/understudy-secrets-%s/report.py" % secrets.token_hex(4)
        s.open(uri, "def %s(region):\n    rates = fetch_internal_rates(region)\n    " % MARKER)
        res, _ = inline(s, uri, {"line": 2, "character": 4})
        eq(item_source(res), "remote")
        sent = sent_text(r)
        check(MARKER in sent, "context sent")
        check(inner not in sent, "text of an excluded file reached the remote provider")
        check("DEBUG=" not in sent and "API_HOST" not in sent, ".env content never sent")

    def test_privacy_remote_false_sends_nothing_off_machine(self):
        lo = self.fake()
        loop = {"name": "loop", "kind": "openai-compatible", "model": "m",
                "base_url": lo.base_url + "/v1"}
        s, r = self._remote_setup(privacy={"remote": False}, extra_providers=[loop])
        uri, pos = self._open_secret_doc(s)
        res, _ = inline(s, uri, pos)
        eq(item_source(res), "loop", "the loopback provider serves")
        s.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        eq(model_requests(r), [], "nothing reached the remote provider")
        st = status(s)
        eq(st["providers"][0]["requests"], 0)
        # Loopback providers get masked secrets too unless privacy.loopback_raw says otherwise.
        sent = sent_text(lo)
        check(MARKER in sent, "loopback got the context")
        for p in PLANTED:
            check(p not in sent, "planted secret %r... reached the loopback provider" % p[:8])

    def test_loopback_raw_when_configured(self):
        lo = self.fake()
        loop = {"name": "loop", "kind": "openai-compatible", "model": "m",
                "base_url": lo.base_url + "/v1"}
        s = self.server()
        s.initialize(init_options={"providers": [loop], "privacy": {"loopback_raw": True},
                                   "completion": {"hedge_ms": 0}})
        uri, pos = self._open_secret_doc(s)
        res, _ = inline(s, uri, pos)
        eq(item_source(res), "loop")
        sent = sent_text(lo)
        check(MARKER in sent and PASSWORD in sent, "loopback got the raw text when configured")

    def test_loopback_detection_is_not_fooled_by_names(self):
        # Hosts that merely start like a loopback address are remote: with remote disabled
        # they must never be contacted (not even a connection attempt).
        lo = self.fake()
        tricks = ["http://localhost.example.invalid:9/v1", "http://127.0.0.1.example.invalid:9/v1",
                  "http://127.0.0.1@example.invalid:9/v1", "http://localhostx:9/v1"]
        providers = [{"name": "t%d" % i, "kind": "openai-compatible", "model": "m",
                      "base_url": u} for i, u in enumerate(tricks)]
        providers.append({"name": "loop", "kind": "openai-compatible", "model": "m",
                          "base_url": lo.base_url + "/v1"})
        s = self.server()
        s.initialize(init_options={"providers": providers, "privacy": {"remote": False},
                                   "completion": {"deadline_ms": 1500, "hedge_ms": 0}})
        uri, pos = fresh_doc(s)
        res, _ = inline(s, uri, pos)
        eq(item_source(res), "loop")
        st = status(s)
        for p in st["providers"][:len(tricks)]:
            eq(p["requests"], 0, "%s was contacted although remote is off" % p["name"])


if __name__ == "__main__":
    Secrets().run()
