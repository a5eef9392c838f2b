"""A small LSP client for integration tests: drives build/understudy over pipes as an editor
would, with a reader thread so a test can wait for responses and notifications with timeouts."""
import json
import os
import queue
import subprocess
import sys
import threading
import time

BIN = os.environ.get("UNDERSTUDY_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "understudy")
SRC = os.environ.get("UNDERSTUDY_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def sanitized(binary):
    """Whether binary was built with a sanitizer (its allocator replaces glibc's: no
    malloc_trim, RSS that grows with the quarantine)."""
    try:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    if "libasan" in out or "libubsan" in out or "libtsan" in out:
        return True
    with open(binary, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__ubsan_handle" in data


def frame(obj_or_bytes):
    body = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Server:
    """One understudy process. Messages from it land in self.inbox (a Queue)."""

    def __init__(self, args=(), env=None, config=None, cwd=None, stderr_path=None):
        full_env = dict(os.environ)
        # Never read the developer's own configuration in tests.
        full_env["XDG_CONFIG_HOME"] = full_env.get("US_TEST_XDG", "/nonexistent-understudy-test")
        full_env.pop("UNDERSTUDY_CONFIG", None)
        if env:
            full_env.update(env)
        cmd = [BIN] + list(args)
        if config is not None:
            path = os.path.join(_tmpdir(), "config-%d-%d.json" % (os.getpid(), id(self)))
            with open(path, "w") as f:
                json.dump(config, f)
            cmd += ["--config", path]
        self.stderr_path = stderr_path or os.path.join(_tmpdir(), "stderr-%d-%d.log" % (os.getpid(), id(self)))
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=full_env, cwd=cwd)
        self.inbox = queue.Queue()
        self.notifications = []
        self.received = []  # every message, in order
        self._responses = {}
        self._cond = threading.Condition()
        self._next_id = 1
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # ---- raw I/O ----
    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, obj):
        self.write(frame(obj))

    def _read_loop(self):
        out = self.proc.stdout
        while True:
            headers = {}
            line = out.readline()
            if not line:
                break
            while line not in (b"\r\n", b"\n", b""):
                k, _, v = line.decode().partition(":")
                headers[k.strip().lower()] = v.strip()
                line = out.readline()
            n = int(headers.get("content-length", "0"))
            body = out.read(n)
            try:
                msg = json.loads(body)
            except ValueError:
                msg = {"_unparsable": body}
            with self._cond:
                self.received.append(msg)
                if "id" in msg and ("result" in msg or "error" in msg):
                    self._responses[json.dumps(msg["id"])] = msg
                else:
                    self.notifications.append(msg)
                self._cond.notify_all()
            self.inbox.put(msg)
        with self._cond:
            self._cond.notify_all()

    # ---- requests ----
    def request_async(self, method, params=None, id=None):
        if id is None:
            id = self._next_id
            self._next_id += 1
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return id

    def wait_response(self, id, timeout=10):
        key = json.dumps(id)
        end = time.time() + timeout
        with self._cond:
            while key not in self._responses:
                left = end - time.time()
                if left <= 0:
                    raise TimeoutError("no response to id %r" % (id,))
                self._cond.wait(left)
            return self._responses.pop(key)

    def request(self, method, params=None, timeout=10):
        return self.wait_response(self.request_async(method, params), timeout)

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def wait_notification(self, method, predicate=lambda m: True, timeout=10, start=0):
        """First notification of `method` (at index >= start) satisfying predicate."""
        end = time.time() + timeout
        with self._cond:
            while True:
                for m in self.notifications[start:]:
                    if m.get("method") == method and predicate(m):
                        return m
                left = end - time.time()
                if left <= 0:
                    raise TimeoutError("no %s notification" % method)
                self._cond.wait(left)

    def mark(self):
        """Index for wait_notification(start=...): only what arrives after this point counts,
        so a state seen earlier (the initial "closed"/"ok") cannot satisfy a later wait."""
        with self._cond:
            return len(self.notifications)

    def notifications_of(self, method):
        with self._cond:
            return [m for m in self.notifications if m.get("method") == method]

    # ---- LSP conveniences ----
    def initialize(self, capabilities=None, init_options=None, root=None):
        params = {"processId": os.getpid(), "rootUri": root, "capabilities": capabilities or {}}
        if init_options is not None:
            params["initializationOptions"] = init_options
        r = self.request("initialize", params)
        self.notify("initialized", {})
        return r

    def open(self, uri, text, language="python", version=1):
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": version, "text": text}})

    def change(self, uri, version, changes):
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": changes})

    def text(self, uri):
        r = self.request("understudy/documentText", {"textDocument": {"uri": uri}})
        return r["result"]

    def shutdown_and_exit(self, timeout=10):
        self.request("shutdown")
        self.notify("exit")
        return self.wait(timeout)

    def wait(self, timeout=10):
        try:
            return self.proc.wait(timeout)
        finally:
            self._stderr.close()

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            self._stderr.close()
        except Exception:
            pass


_TMP = None


def _tmpdir():
    global _TMP
    if _TMP is None:
        import tempfile
        _TMP = tempfile.mkdtemp(prefix="understudy-test-")
    return _TMP


class TestCase:
    """Minimal runner: subclasses define test_* methods; run() prints one line per case and
    exits 1 if any failed."""

    def run(self):
        names = sorted(n for n in dir(self) if n.startswith("test_"))
        only = sys.argv[1:]
        failed = 0
        for n in names:
            if only and n not in only:
                continue
            t0 = time.time()
            try:
                getattr(self, n)()
                print("ok   %s (%.2fs)" % (n, time.time() - t0), flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure, keep going
                failed += 1
                import traceback
                traceback.print_exc()
                print("FAIL %s: %s" % (n, e), flush=True)
            finally:
                self.cleanup()
        print("%d failed" % failed)
        sys.exit(1 if failed else 0)

    def cleanup(self):
        for s in getattr(self, "_servers", []):
            s.kill()
        self._servers = []

    def server(self, *a, **kw):
        s = Server(*a, **kw)
        self._servers = getattr(self, "_servers", []) + [s]
        return s


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(a, b, msg=""):
    if a != b:
        raise AssertionError("%s%r != %r" % (msg + ": " if msg else "", a, b))
