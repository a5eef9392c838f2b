"""Output framing when the pipe to the client is full: answers are written at once while the
pipe takes them and queued when it does not (lsp/transport.c). A client that stops reading
while large and small answers pile up must later read every one whole, in the order asked."""
import json
import os
import select
import subprocess
import time

from lspclient import BIN, TestCase, eq, frame


def read_messages(proc, count, timeout=30):
    """The next count responses (notifications in between are dropped)."""
    buf = bytearray()
    out = []
    end = time.time() + timeout
    fd = proc.stdout.fileno()
    while len(out) < count:
        head = buf.find(b"\r\n\r\n")
        if head >= 0:
            length = int(bytes(buf[:head]).split(b":")[1])
            if len(buf) >= head + 4 + length:
                msg = json.loads(bytes(buf[head + 4:head + 4 + length]))
                del buf[:head + 4 + length]
                if "id" in msg:
                    out.append(msg)
                continue
        left = end - time.time()
        if left <= 0:
            raise TimeoutError("got %d of %d messages" % (len(out), count))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError("server closed its output after %d messages" % len(out))
            buf += chunk
    return out


class TransportTest(TestCase):
    def test_answers_written_while_the_client_does_not_read_arrive_whole_in_order(self):
        # A parse budget no loaded machine can exhaust: the tree must be there to print.
        env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent-understudy-test",
                   UNDERSTUDY_PARSE_BUDGET_US="60000000")
        env.pop("UNDERSTUDY_CONFIG", None)
        proc = subprocess.Popen([BIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
        try:
            def send(obj):
                proc.stdin.write(frame(obj))
                proc.stdin.flush()

            send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"processId": None, "rootUri": None, "capabilities": {}}})
            eq(read_messages(proc, 1)[0]["id"], 1)
            send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            # A document whose syntax tree prints to a few hundred KB: one answer alone is
            # larger than the pipe's buffer.
            text = "".join("def f%d(a, b):\n    return a + b * %d\n\n" % (i, i)
                           for i in range(2000))
            uri = "file:///tmp/understudy-transport-test.py"
            send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                "textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                 "text": text}}})
            ids = list(range(2, 14))
            for i in ids:
                if i % 3 == 0:
                    send({"jsonrpc": "2.0", "id": i, "method": "understudy/syntaxTree",
                          "params": {"textDocument": {"uri": uri}}})
                else:
                    send({"jsonrpc": "2.0", "id": i, "method": "no/suchMethod"})
            time.sleep(1.0)  # the server fills the pipe and queues the rest
            got = read_messages(proc, len(ids), timeout=60)
            eq([m["id"] for m in got], ids, "answers in the order asked")
            trees = [m["result"]["tree"] for m in got if m["id"] % 3 == 0]
            eq(len(trees), 4)
            eq(len(set(trees)), 1, "every copy of the large answer is the same")
            eq(len(trees[0]) > 200000, True, "the answer is larger than the pipe")
            for m in got:
                if m["id"] % 3:
                    eq(m["error"]["code"], -32601)
            send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
            eq(read_messages(proc, 1)[0]["id"], 99)
            send({"jsonrpc": "2.0", "method": "exit"})
            eq(proc.wait(timeout=10), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    TransportTest().run()
