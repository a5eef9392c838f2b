"""Configuration sources and errors, and the `complete` command."""
import json
import os
import subprocess
import tempfile

from lspclient import BIN, SRC, TestCase, check, eq


def run(args, env=None, cwd=None):
    e = dict(os.environ)
    e["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="us-xdg-")
    e.pop("UNDERSTUDY_CONFIG", None)
    if env:
        e.update(env)
    return subprocess.run([BIN] + args, capture_output=True, text=True, env=e, cwd=cwd, timeout=60)


def write(obj_or_text):
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        f.write(obj_or_text if isinstance(obj_or_text, str) else json.dumps(obj_or_text))
    return path


class Config(TestCase):
    def test_bad_json_names_file_and_position(self):
        path = write('{"providers": [,]}')
        r = run(["complete", os.path.join(SRC, "tests/fixtures/demo/shapes.py") + ":3:1", "--config", path])
        eq(r.returncode, 2)
        check(path in r.stderr, r.stderr)
        check("not valid JSON" in r.stderr, r.stderr)

    def test_bad_value_names_key(self):
        path = write({"completion": {"deadline_ms": "soon"},
                      "providers": [{"name": "x", "kind": "nonsense", "model": "m"}]})
        r = run(["doctor", "--config", path])
        eq(r.returncode, 2)
        check("completion.deadline_ms" in r.stderr, r.stderr)
        check("providers[0]" in r.stderr and "nonsense" in r.stderr, r.stderr)

    def test_unknown_key_is_a_warning(self):
        path = write({"completion": {"deadline_ms": 900, "dedline": 3}})
        r = run(["complete", os.path.join(SRC, "tests/fixtures/demo/shapes.py") + ":3:1", "--config", path])
        check(r.returncode in (0, 1), r.stderr)
        check("completion.dedline" in r.stderr and "unknown key" in r.stderr, r.stderr)

    def test_missing_explicit_file_is_an_error(self):
        r = run(["doctor", "--config", "/nonexistent/understudy.json"])
        eq(r.returncode, 2)
        check("/nonexistent/understudy.json" in r.stderr, r.stderr)

    def test_env_config_and_xdg_file(self):
        xdg = tempfile.mkdtemp(prefix="us-xdg-")
        os.makedirs(os.path.join(xdg, "understudy"))
        with open(os.path.join(xdg, "understudy", "config.json"), "w") as f:
            json.dump({"completion": {"deadline_ms": "bad-from-xdg"}}, f)
        e = dict(os.environ, XDG_CONFIG_HOME=xdg)
        e.pop("UNDERSTUDY_CONFIG", None)
        r = subprocess.run([BIN, "doctor"], capture_output=True, text=True, env=e, timeout=60)
        eq(r.returncode, 2)
        check("understudy/config.json" in r.stderr, r.stderr)
        path = write({"completion": {"max_lines": 0}})
        r = run(["doctor"], env={"UNDERSTUDY_CONFIG": path})
        eq(r.returncode, 2)
        check(path in r.stderr and "completion.max_lines" in r.stderr, r.stderr)

    def test_key_never_printed(self):
        secret = "sk-sentinel-DO-NOT-PRINT-4f1c2a9e7b"
        path = write({"providers": [{"name": "x", "kind": "openai", "model": "m",
                                     "api_key_env": "US_SENTINEL_KEY", "base_url": "http://127.0.0.1:9/v1"}]})
        r = run(["complete", os.path.join(SRC, "tests/fixtures/demo/shapes.py") + ":29:11",
                 "--config", path, "--log-level", "trace"], env={"US_SENTINEL_KEY": secret})
        check(secret not in r.stdout and secret not in r.stderr)

    def test_lsp_reports_bad_init_options_and_keeps_serving(self):
        s = self.server()
        s.initialize(init_options={"completion": {"deadline_ms": -5}})
        msg = s.wait_notification("window/showMessage")
        check("completion.deadline_ms" in msg["params"]["message"], msg["params"]["message"])
        s.open("file:///x.py", "x = 1\n")
        eq(s.text("file:///x.py")["text"], "x = 1\n")

    def test_complete_usage_errors(self):
        r = run(["complete", "nocolons"])
        eq(r.returncode, 2)
        check("FILE:LINE:COL" in r.stderr)
        r = run(["complete", "/nonexistent.py:1:1"])
        eq(r.returncode, 2)
        check("cannot open" in r.stderr)

    def test_complete_json_output(self):
        r = run(["complete", os.path.join(SRC, "tests/fixtures/demo/shapes.py") + ":29:11", "--json"])
        check(r.returncode in (0, 1), r.stderr)
        out = json.loads(r.stdout)
        check("suggestion" in out and "source" in out and "elapsed_ms" in out)
        check(out["how"] in ("local", "none"), out)
        eq(out["reason"], "no provider configured")

    def test_doctor_rows_and_status(self):
        import sys
        sys.path.insert(0, os.path.join(SRC, "tests", "fakes"))
        from fakeclient import FakeProvider
        good = FakeProvider(text="return a + b\n")
        bad = FakeProvider(mode="status_500")
        try:
            providers = [
                {"name": "good", "kind": "openai-compatible", "model": "m", "base_url": good.base_url + "/v1"},
                {"name": "broken", "kind": "ollama", "model": "m", "base_url": bad.base_url},
                {"name": "nokey", "kind": "anthropic", "model": "m", "api_key_env": "US_DOCTOR_MISSING_KEY"},
            ]
            r = run(["doctor", "--config", write({"providers": providers})])
            eq(r.returncode, 0, r.stdout + r.stderr)
            rows = {line.split()[0]: line for line in r.stdout.splitlines() if line.strip()}
            check(" ok " in rows["good"], rows["good"])
            check("server error" in rows["broken"] and "500" in rows["broken"], rows["broken"])
            check("disabled" in rows["nokey"] and "US_DOCTOR_MISSING_KEY" in rows["nokey"], rows["nokey"])
            check("local" in rows)
            eq(len([q for q in good.requests() if not q["path"].startswith("/_")]), 1)
            # Nothing can serve: exit status 1.
            r = run(["doctor", "--config", write({"providers": providers[1:]})])
            eq(r.returncode, 1, r.stdout)
        finally:
            good.stop()
            bad.stop()


if __name__ == "__main__":
    Config().run()
