"""GitHub's @github/copilot-language-server for the side-by-side row: install it on demand (npm,
into this folder's gitignored node_modules), run its native binary against mock.py with HOME and
TMPDIR in throwaway folders, and time inlineCompletion the same way Understudy is timed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import benchlib  # noqa: E402

PACKAGE = "@github/copilot-language-server"
NATIVE = os.path.join(HERE, "node_modules", "@github", "copilot-language-server-linux-x64",
                      "copilot-language-server")


class Unavailable(Exception):
    """The Copilot row cannot be measured; the message says why (shown in the table)."""


def version():
    try:
        with open(os.path.join(HERE, "node_modules", "@github", "copilot-language-server",
                               "package.json")) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def ensure_installed(log=print, timeout=600):
    """Install the pinned version from package.json unless it is already there. Returns the
    native binary's path or raises Unavailable (no network, no npm, unsupported platform)."""
    if os.access(NATIVE, os.X_OK):
        return NATIVE
    npm = shutil.which("npm")
    if not npm:
        raise Unavailable("npm not found")
    if os.uname().machine not in ("x86_64", "amd64"):
        raise Unavailable("no native binary for %s in this benchmark" % os.uname().machine)
    log("installing %s with npm into %s (about 640 MB, once)..." % (PACKAGE, HERE))
    try:
        p = subprocess.run([npm, "install", "--no-package-lock", "--no-audit", "--no-fund",
                            "--prefix", HERE], cwd=HERE, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Unavailable("npm install timed out after %d s" % timeout)
    if p.returncode != 0 or not os.access(NATIVE, os.X_OK):
        lines = [ln for ln in (p.stderr or p.stdout or "").splitlines()
                 if "ERR" in ln or "error" in ln.lower()]
        reason = (lines[0] if lines else "exit %d" % p.returncode).strip()
        raise Unavailable("npm install failed: %s" % reason[:160])
    return NATIVE


class Mock:
    def __init__(self, text):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "mock.py"), "--port",
                                      "0", "--text", text], stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if not line:
            raise Unavailable("the Copilot mock did not start")
        self.port = json.loads(line)["port"]
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def _answer(method, params):
    """The few requests Copilot sends to its client."""
    if method == "workspace/configuration":
        items = (params or {}).get("items") or [{}]
        return [{"telemetry": {"telemetryLevel": "off"}} if (i.get("section") or "") == "http"
                else None for i in items]
    return None


class Copilot:
    """One Copilot language server, signed in against the mock, with one document open."""

    def __init__(self, binary, mock, workdir):
        self.home = tempfile.mkdtemp(prefix="home-", dir=workdir)
        self.tmp = tempfile.mkdtemp(prefix="tmp-", dir=workdir)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "TMPDIR": self.tmp, "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
               "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
               "GH_COPILOT_TOKEN": "gho_bench", "GH_COPILOT_SERVER_URL": mock.url,
               "GH_COPILOT_API_URL": mock.url + "/api",
               "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        self.stderr = open(os.path.join(workdir, "copilot-stderr.log"), "wb")
        self.lsp = benchlib.Lsp([binary, "--stdio"], env=env, cwd=self.home, stderr=self.stderr,
                                on_server_request=_answer)
        self.init_ms = None
        self.version = 0
        self.uri = "file://%s/bench.py" % self.home

    def start(self):
        t0 = self.lsp.t_spawn
        r = self.lsp.request("initialize", {
            "processId": os.getpid(), "rootUri": "file://" + self.home,
            "workspaceFolders": [{"uri": "file://" + self.home, "name": "bench"}],
            "capabilities": {"workspace": {"configuration": True},
                             "textDocument": {"inlineCompletion": {}}},
            "initializationOptions": {
                "editorInfo": {"name": "understudy-bench", "version": "1.0"},
                "editorPluginInfo": {"name": "understudy-bench", "version": "1.0"}}},
            timeout=60)
        self.init_ms = (time.perf_counter() - t0) * 1000
        if "error" in r:
            raise Unavailable("initialize failed: %s" % r["error"].get("message"))
        self.lsp.notify("initialized", {})
        self.lsp.notify("workspace/didChangeConfiguration", {"settings": {
            "http": {"proxy": None}, "telemetry": {"telemetryLevel": "off"},
            "github": {"copilot": {"selectedCompletionModel": ""}}}})
        status = None
        for _ in range(50):
            r = self.lsp.request("checkStatus", {}, timeout=30)
            status = (r.get("result") or {}).get("status")
            if status == "OK":
                break
            time.sleep(0.2)
        if status != "OK":
            raise Unavailable("Copilot did not sign in against the mock (status %s)" % status)
        self.lsp.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "python", "version": 0,
            "text": "def add(a, b):\n    # req 0\n    "}})

    def complete(self, n, trigger=1):
        """One timed inlineCompletion on a prefix nobody asked for before (no cache hit).
        trigger 1 = Invoked (answered at once), 2 = Automatic (Copilot waits ~200 ms first, its
        typing debounce). Returns (ms, text of the first item or None, error or None)."""
        old = "    # req %d" % (n - 1)
        self.version += 1
        self.lsp.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": {"line": 1, "character": 0},
                                          "end": {"line": 1, "character": len(old)}},
                                "text": "    # req %d" % n}]})
        t0 = time.perf_counter()
        r = self.lsp.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "position": {"line": 2, "character": 4},
            "context": {"triggerKind": trigger},
            "formattingOptions": {"tabSize": 4, "insertSpaces": True}}, timeout=30)
        ms = (time.perf_counter() - t0) * 1000
        res = r.get("result")
        items = res.get("items") if isinstance(res, dict) else res
        text = items[0].get("insertText") if items else None
        if isinstance(text, dict):
            text = text.get("value")
        return ms, text, r.get("error")

    def rss_mb(self):
        return benchlib.rss_mb(self.lsp.pid, tree=True)

    def stop(self):
        self.lsp.close()
        self.stderr.close()
