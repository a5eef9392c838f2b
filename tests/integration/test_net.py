"""The network path around the HTTP engine (issue 18, item 5): the server exits when its stdout
is gone; a loopback provider on 127.0.0.2 never goes through $http_proxy (one loopback
definition); a 10 MB answer does not stall the loop; a DNS server that never answers does not
freeze the server (run in a user + network + mount namespace, where a stub nameserver on
127.0.0.1:53 that never replies is bound over /etc/resolv.conf; skipped when unshare is
unavailable)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from lspclient import BIN, Server, TestCase, check, eq, frame
from test_transport import read_messages
from routerlib import FakeProvider, config, fresh_doc, inline, item_source, provider

ANSWER = "return a + b\n"


class Relay:
    """TCP relay from host:any-port to 127.0.0.1:target (a provider on another loopback
    address without touching the fake)."""

    def __init__(self, host, target):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.target = target
        threading.Thread(target=self._accept, daemon=True).start()

    def _pipe(self, a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()


class RecordingProxy:
    """An HTTP proxy that records who came and answers 502."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                c.settimeout(2)
                line = c.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
                self.hits.append(line)
                c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
            except OSError:
                pass
            c.close()


def probe_stats(path):
    with open(path) as f:
        return json.load(f)


class Net(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def test_01_stdout_closed_exits_and_aborts(self):
        fake = FakeProvider(mode="hang", text=ANSWER)
        self._fakes = [fake]
        # A bare process (no reader thread): closing a pipe another thread is reading from
        # would not close it.
        env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent-understudy-test")
        env.pop("UNDERSTUDY_CONFIG", None)
        proc = subprocess.Popen([BIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
        try:
            def send(obj):
                proc.stdin.write(frame(obj))
                proc.stdin.flush()

            cfg = config([provider("p", fake)], completion={"deadline_ms": 20000, "hedge_ms": 0})
            send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "processId": None, "rootUri": None, "capabilities": {},
                "initializationOptions": cfg}})
            eq(read_messages(proc, 1)[0]["id"], 1)
            send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            uri = "file:///tmp/understudy-net-stdout.py"
            send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                "textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                 "text": "def add(a, b):\n    "}}})
            send({"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion",
                  "params": {"textDocument": {"uri": uri},
                             "position": {"line": 1, "character": 4},
                             "context": {"triggerKind": 2}}})
            fake.wait_for(lambda st: any(not q["path"].startswith("/_")
                                         for q in st["requests"]))
            # The editor is gone: its end of our stdout closes; our stdin stays open.
            proc.stdout.close()
            t0 = time.monotonic()
            rc = proc.wait(5)
            dt = time.monotonic() - t0
            eq(rc, 0)
            check(dt < 2, "exited %.2fs after stdout closed" % dt)
            fake.wait_for(lambda st: any(q.get("client_closed") for q in st["requests"]
                                         if not q["path"].startswith("/_")), timeout=3)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def test_02_loopback_127_0_0_2_bypasses_the_proxy(self):
        fake = FakeProvider(text=ANSWER)
        self._fakes = [fake]
        relay = Relay("127.0.0.2", fake.port)
        proxy = RecordingProxy()
        purl = "http://127.0.0.1:%d" % proxy.port
        env = {"http_proxy": purl, "HTTP_PROXY": purl, "https_proxy": purl,
               "HTTPS_PROXY": purl, "NO_PROXY": "", "no_proxy": ""}
        s = self.server(env=env)
        entry = {"name": "lo2", "kind": "openai-compatible", "model": "m",
                 "base_url": "http://127.0.0.2:%d/v1" % relay.port}
        s.initialize(init_options=config([entry]))
        uri, pos = fresh_doc(s)
        r, _ = inline(s, uri, pos)
        eq(item_source(r), "lo2")
        eq(proxy.hits, [], "loopback never goes through the proxy")
        # Control: the same environment sends a remote host to the proxy.
        s2 = self.server(env=env)
        s2.initialize(init_options=config([{"name": "remote", "kind": "openai-compatible",
                                            "model": "m",
                                            "base_url": "http://understudy-test.invalid:9/v1"}]))
        uri, pos = fresh_doc(s2)
        inline(s2, uri, pos)
        check(any("understudy-test.invalid" in h for h in proxy.hits),
              "the proxy sees remote hosts: %r" % proxy.hits)

    def test_03_ten_megabyte_answer_does_not_stall_the_loop(self):
        # A model that gives a usable first line and then runs away on one endless line
        # (10 MB of 1,000-character deltas). The attempt stops reading once a line passes
        # ATTEMPT_MAX_LINE_BYTES and serves the complete lines it has. Before the cap the
        # loop stalled 35-120 ms (parsing and copying megabytes per socket event) and the
        # answer was thrown away as "response too large".
        fake = FakeProvider(mode="huge", text=ANSWER, size_bytes=10 * 1024 * 1024,
                            text_first=True)
        self._fakes = [fake]
        probe = os.path.join(tempfile.mkdtemp(), "probe.json")
        s = self.server(env={"UNDERSTUDY_LOOP_PROBE": probe})
        s.initialize(init_options=config([provider("big", fake)],
                                         completion={"deadline_ms": 5000, "hedge_ms": 0}))
        uri, pos = fresh_doc(s)
        worst = [0.0]
        done = threading.Event()

        def ping():
            while not done.is_set():
                t0 = time.monotonic()
                s.request("understudy/documentText", {"textDocument": {"uri": uri}})
                worst[0] = max(worst[0], time.monotonic() - t0)
                time.sleep(0.005)

        th = threading.Thread(target=ping, daemon=True)
        th.start()
        time.sleep(0.3)
        r, dt = inline(s, uri, pos, timeout=15)
        done.set()
        th.join(5)
        eq(s.shutdown_and_exit(), 0)
        st = probe_stats(probe)
        print("  10 MB answer: served in %.3fs, documentText worst %.1f ms, loop stall max "
              "%.1f ms, over 10 ms: %d, top %r" % (dt, worst[0] * 1000, st["max_late_us"] / 1000,
                                                  st["over_10ms"], st["top"][:3]))
        # The usable beginning is served, from the provider, without the runaway line.
        eq(item_source(r), "big")
        eq(r["result"]["items"][0]["insertText"].strip(), ANSWER.strip())
        # The client left long before the fake could send its 10 MB.
        fake.wait_for(lambda st: any(q.get("client_closed") for q in st["requests"]
                                     if not q["path"].startswith("/_")), timeout=5)
        # Generous bounds (a shared 2-core machine; the old code gave 33-120 ms stalls of
        # its own work and never served the line): no stall of 20 ms that the process caused
        # (lateness minus the time it waited for a core: load does not count), documentText
        # under 30 ms.
        check(st["max_own_us"] < 20000, "loop stall of its own %.1f ms (top %r)"
              % (st["max_own_us"] / 1000, st["top_own"][:3]))
        check(worst[0] < 0.03, "documentText stayed quick (%.1f ms)" % (worst[0] * 1000))
        check(dt < 1.0, "served in %.3fs" % dt)

    def test_04_dns_that_never_answers(self):
        if not shutil.which("unshare") or subprocess.run(
                ["unshare", "-rmn", "true"], capture_output=True).returncode != 0:
            print("  skipped: unshare -rmn unavailable")
            return
        out = subprocess.run(["unshare", "-rmn", sys.executable, os.path.abspath(__file__),
                              "--inner-dns"], capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, UNDERSTUDY_BIN=os.path.abspath(BIN)))
        sys.stdout.write(out.stdout)
        check(out.returncode == 0, "inner DNS test failed:\n%s%s" % (out.stdout, out.stderr[-3000:]))


def inner_dns():
    """Inside `unshare -rmn`: loopback up, a nameserver on 127.0.0.1:53 that reads and never
    replies, bound over /etc/resolv.conf; a provider whose host needs DNS, a healthy second one.
    Every keystroke's first attempt is removed mid-lookup (hedged, then cancelled)."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    d = tempfile.mkdtemp()
    rc = os.path.join(d, "resolv.conf")
    with open(rc, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:4 attempts:2\n")
    subprocess.run(["mount", "--bind", rc, "/etc/resolv.conf"], check=True)
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 53))
    queries = []
    threading.Thread(target=lambda: [queries.append(dns.recvfrom(4096)) for _ in iter(int, 1)],
                     daemon=True).start()
    fake = FakeProvider(text=ANSWER)
    probe = os.path.join(d, "probe.json")
    s = Server(env={"UNDERSTUDY_LOOP_PROBE": probe})
    try:
        s.initialize(init_options=config(
            [{"name": "nodns", "kind": "openai-compatible", "model": "m",
              "base_url": "http://provider.understudy-test.example:8080/v1"},
             provider("fake", fake)], completion={"hedge_ms": 100, "deadline_ms": 1500}))
        worst_inline = worst_text = 0.0
        for i in range(6):
            uri, pos = fresh_doc(s)
            r, dt = inline(s, uri, pos)
            worst_inline = max(worst_inline, dt)
            t0 = time.monotonic()
            s.request("understudy/documentText", {"textDocument": {"uri": uri}})
            worst_text = max(worst_text, time.monotonic() - t0)
            eq(item_source(r), "fake")
        t0 = time.monotonic()
        eq(s.shutdown_and_exit(timeout=10), 0)
        exit_s = time.monotonic() - t0
        st = probe_stats(probe)
        print("  DNS never answers: %d queries seen; worst completion %.0f ms, worst "
              "documentText %.1f ms, exit %.0f ms, loop stall max %.1f ms" %
              (len(queries), worst_inline * 1000, worst_text * 1000, exit_s * 1000,
               st["max_late_us"] / 1000))
        check(len(queries) > 0, "the lookup went to the stub nameserver")
        check(worst_inline < 1.0, "completions answered by the second provider (%.3fs)"
              % worst_inline)
        check(worst_text < 0.2, "the loop never waited for the resolver (%.3fs)" % worst_text)
        # The probe's top stalls are printed, not asserted: on a shared 2-core machine start-up
        # (curl and OpenSSL set-up) and scheduling show up there too.
        print("  loop stalls (us, ms after start): %r" % st["top"][:4])
    finally:
        s.kill()
        fake.stop()


if __name__ == "__main__":
    if "--inner-dns" in sys.argv:
        try:
            inner_dns()
        except Exception:
            import traceback
            traceback.print_exc()
            sys.exit(1)
        sys.exit(0)
    Net().run()
