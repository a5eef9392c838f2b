"""Shared set-up for the real-editor tests: a fake provider, a throwaway HOME with XDG folders,
the server's configuration pointing at the fake, and a runner that reads the editor's checks.

Every editor test writes a JSON result file: {"checks": [{"name", "ok", "detail"}], "error"}.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("UNDERSTUDY_SRC") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "fakes"))
from fakeclient import FakeProvider  # noqa: E402

SKIP = 77  # meson's "skipped" exit status

# What the fake answers: a two-line suggestion (the second line tests multi-line ghost text).
AI_TEXT = "total = a + b\n    return total"
# Typed on the empty line after `def add(a, b):`; there the server asks for a block.
TYPED = "    "


def screenshot_dir():
    """Where the tests write the docs' screenshots: $US_SCREENSHOT_DIR (meson sets
    build/screenshots), else build/screenshots in the source tree. `make screenshots` copies
    them into editors/screenshots/."""
    d = os.environ.get("US_SCREENSHOT_DIR") or os.path.join(SRC, "build", "screenshots")
    os.makedirs(d, exist_ok=True)
    return d


def best_effort(what, fn, *args):
    """Run a screenshot step; it never fails the test (a screenshot is not a check)."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - any failure only costs the picture
        print("%s skipped: %s: %s" % (what, type(e).__name__, e))
        return None


def binary():
    path = os.environ.get("UNDERSTUDY_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if not path or not os.access(path, os.X_OK):
        print("understudy binary not found (UNDERSTUDY_BIN=%r)" % path)
        sys.exit(1)
    return os.path.abspath(path)


def settings(fake, sandbox, failures=1):
    """initializationOptions: one openai-compatible provider (no key needed) on the fake."""
    return {
        "providers": [{"name": "fake", "kind": "openai-compatible", "model": "m",
                       "base_url": fake.base_url + "/v1", "timeout_ms": 4000}],
        "completion": {"deadline_ms": 4000, "popup_budget_ms": 1000},
        "breaker": {"failures": failures, "cooldown_ms": 60000},
        "log": {"level": "debug", "file": os.path.join(sandbox.root, "server.log")},
    }


class Sandbox:
    """A temp folder with HOME and XDG dirs; removed on exit unless the test failed."""

    def __init__(self, name):
        self.root = tempfile.mkdtemp(prefix="us-%s-" % name)
        self.home = os.path.join(self.root, "home")
        self.work = os.path.join(self.root, "work")
        for d in ("home", "work", "config", "data", "cache", "state", "tmp", "runtime"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        os.chmod(os.path.join(self.root, "runtime"), 0o700)
        self.result = os.path.join(self.root, "result.json")
        self.keep = False

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XDG_", "UNDERSTUDY_CONFIG", "NVIM", "VIM", "EMACS"))}
        env.update({
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.root, "config"),
            "XDG_DATA_HOME": os.path.join(self.root, "data"),
            "XDG_CACHE_HOME": os.path.join(self.root, "cache"),
            "XDG_STATE_HOME": os.path.join(self.root, "state"),
            "XDG_RUNTIME_DIR": os.path.join(self.root, "runtime"),
            "TMPDIR": os.path.join(self.root, "tmp"),
            # Loopback only: no proxy may capture the fake's traffic.
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        })
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            env.pop(k, None)
        env.update(extra)
        return env

    def write(self, rel, text):
        path = os.path.join(self.work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def close(self):
        if self.keep:
            print("kept for inspection: %s" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def run_editor(cmd, sandbox, env, timeout):
    """Run the editor until it exits (or kill it after timeout); print its output on failure."""
    log = os.path.join(sandbox.root, "editor.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=sandbox.work, start_new_session=True)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            rc = "timeout after %ss" % timeout
    with open(log, "rb") as f:
        output = f.read().decode(errors="replace")
    return rc, output


def report(sandbox, rc, output, fake=None):
    """Print the checks; return the exit status (0 only if every check passed)."""
    try:
        with open(sandbox.result) as f:
            res = json.load(f)
    except (OSError, ValueError):
        res = {"checks": [], "error": "no result file (editor exit %s)" % rc}
    failed = 0
    for c in res.get("checks", []):
        mark = "ok  " if c.get("ok") else "FAIL"
        failed += 0 if c.get("ok") else 1
        print("%s %s%s" % (mark, c.get("name"), ("  -- " + str(c.get("detail"))) if c.get("detail") else ""))
    if res.get("error"):
        failed += 1
        print("ERROR %s" % res["error"])
    if not res.get("checks"):
        failed += 1
    if failed:
        sandbox.keep = True
        print("---- editor output (exit %s) ----\n%s" % (rc, output[-6000:]))
        for name in os.listdir(sandbox.root):
            if name.endswith(".stderr") or name == "server.log":
                with open(os.path.join(sandbox.root, name), errors="replace") as f:
                    print("---- %s ----\n%s" % (name, f.read()[-4000:]))
        if fake is not None:
            try:
                reqs = fake.requests()
                print("---- fake provider: %d requests; last: %s" % (
                    len(reqs), json.dumps(reqs[-1].get("json"))[:800] if reqs else None))
            except Exception as e:  # the fake may be gone; the report must still print
                print("fake provider stats unavailable: %s" % e)
    print("%d checks, %d failed" % (len(res.get("checks", [])), failed))
    return 1 if failed else 0
