"""LSP lifecycle, framing and error codes, driven over pipes like an editor."""
import json
import time

from lspclient import TestCase, check, eq, frame


class Lifecycle(TestCase):
    def test_handshake_and_capabilities(self):
        s = self.server()
        r = s.initialize()
        caps = r["result"]["capabilities"]
        eq(caps["positionEncoding"], "utf-16")
        eq(caps["textDocumentSync"]["change"], 2)
        check(caps["textDocumentSync"]["openClose"])
        check("inlineCompletionProvider" in caps)
        check("." in caps["completionProvider"]["triggerCharacters"])
        check("understudy.status" in caps["executeCommandProvider"]["commands"])
        eq(r["result"]["serverInfo"]["name"], "understudy")
        # The first status notification follows `initialized`.
        st = s.wait_notification("understudy/status")
        check(st["params"]["state"] in ("ok", "degraded", "offline"))
        eq(s.shutdown_and_exit(), 0)

    def test_utf8_negotiated_when_offered(self):
        s = self.server()
        r = s.initialize({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
        eq(r["result"]["capabilities"]["positionEncoding"], "utf-8")
        s2 = self.server()
        r2 = s2.initialize({"general": {"positionEncodings": ["utf-32", "utf-16"]}})
        eq(r2["result"]["capabilities"]["positionEncoding"], "utf-16")

    def test_request_before_initialize_is_32002(self):
        s = self.server()
        r = s.request("textDocument/completion", {"textDocument": {"uri": "file:///x"},
                                                  "position": {"line": 0, "character": 0}})
        eq(r["error"]["code"], -32002)
        # A notification before initialize is dropped, and initialize still works.
        s.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///a", "languageId": "c",
                                                          "version": 1, "text": "x"}})
        r = s.initialize()
        check("result" in r)
        r = s.request("understudy/documentText", {"textDocument": {"uri": "file:///a"}})
        eq(r["error"]["code"], -32602)

    def test_second_initialize_rejected(self):
        s = self.server()
        s.initialize()
        r = s.request("initialize", {"capabilities": {}})
        eq(r["error"]["code"], -32600)

    def test_unknown_request_and_notification(self):
        s = self.server()
        s.initialize()
        r = s.request("textDocument/noSuchThing", {})
        eq(r["error"]["code"], -32601)
        s.notify("$/noSuchNotification", {"x": 1})
        s.notify("workspace/somethingNew", {})
        r = s.request("understudy/noSuch", {})
        eq(r["error"]["code"], -32601)
        r = s.request("workspace/executeCommand", {"command": "understudy.status"})
        check("state" in r["result"])

    def test_after_shutdown_is_32600(self):
        s = self.server()
        s.initialize()
        eq(s.request("shutdown")["result"], None)
        r = s.request("textDocument/completion", {})
        eq(r["error"]["code"], -32600)
        s.notify("exit")
        eq(s.wait(), 0)

    def test_exit_without_shutdown_is_1(self):
        s = self.server()
        s.initialize()
        s.notify("exit")
        eq(s.wait(), 1)

    def test_eof_exits_cleanly(self):
        s = self.server()
        s.initialize()
        s.proc.stdin.close()
        eq(s.wait(), 0)
        s2 = self.server()
        s2.proc.stdin.close()  # before anything at all
        eq(s2.wait(), 0)

    def test_garbage_json_then_valid_request(self):
        s = self.server()
        s.initialize()
        s.write(frame(b"{this is not json"))
        s.write(frame(b"\xff\xfe\x00garbage"))
        r = s.request("workspace/executeCommand", {"command": "understudy.status"})
        check("result" in r)
        parse_errors = [m for m in s.received if m.get("error", {}).get("code") == -32700]
        eq(len(parse_errors), 2)
        check(all(m["id"] is None for m in parse_errors))

    def test_invalid_messages(self):
        s = self.server()
        s.initialize()
        s.send({"jsonrpc": "1.0", "id": 77, "method": "shutdown"})
        eq(s.wait_response(77)["error"]["code"], -32600)
        s.send({"jsonrpc": "2.0", "id": 78, "method": 5})
        eq(s.wait_response(78)["error"]["code"], -32600)
        s.send({"jsonrpc": "2.0", "id": 79, "method": "workspace/executeCommand", "params": 3})
        eq(s.wait_response(79)["error"]["code"], -32600)
        s.send([1, 2, 3])
        # still alive
        r = s.request("workspace/executeCommand", {"command": "understudy.status"})
        check("result" in r)

    def test_string_ids(self):
        s = self.server()
        s.initialize()
        s.request_async("workspace/executeCommand", {"command": "understudy.status"}, id="abc-1")
        r = s.wait_response("abc-1")
        eq(r["id"], "abc-1")

    def test_one_byte_at_a_time(self):
        s = self.server()
        data = frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                      "params": {"capabilities": {}}})
        for i in range(len(data)):
            s.write(data[i:i + 1])
        r = s.wait_response(1)
        check("capabilities" in r["result"])

    def test_fifty_messages_in_one_write(self):
        s = self.server()
        s.initialize()
        blob = b"".join(frame({"jsonrpc": "2.0", "id": 1000 + i, "method": "workspace/executeCommand",
                               "params": {"command": "understudy.status"}}) for i in range(50))
        s.write(blob)
        for i in range(50):
            check("result" in s.wait_response(1000 + i))

    def test_content_type_header_and_bad_headers(self):
        s = self.server()
        body = json.dumps({"jsonrpc": "2.0", "id": 5, "method": "initialize",
                           "params": {"capabilities": {}}}).encode()
        s.write(b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
                % len(body) + body)
        check("result" in s.wait_response(5))
        s.write(b"Content-Lenght: 12\r\n\r\n")  # misspelt header: reported, then resync
        s.write(b"Content-Length: -4\r\n\r\n")
        r = s.request("workspace/executeCommand", {"command": "understudy.status"})
        check("result" in r)

    def test_oversized_message_is_refused_and_server_goes_on(self):
        s = self.server()
        s.initialize()
        s.write(b"Content-Length: 99999999999\r\n\r\n")
        s.proc.stdin.close()
        eq(s.wait(), 0)

    def test_cancel_unknown_request_is_harmless(self):
        s = self.server()
        s.initialize()
        s.notify("$/cancelRequest", {"id": 12345})
        r = s.request("workspace/executeCommand", {"command": "understudy.status"})
        check("result" in r)

    def test_stdin_from_a_regular_file(self):
        # Scripts pipe a recorded session from a file: libuv reads it with fs requests, and the
        # exit inside the last read must not free the transport under that read.
        import subprocess
        import tempfile
        from lspclient import BIN
        msgs = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
                {"jsonrpc": "2.0", "method": "initialized", "params": {}},
                {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
                {"jsonrpc": "2.0", "method": "exit"}]
        for cut in (4, 2):  # with exit, and ending at end of file
            with tempfile.TemporaryFile() as f:
                f.write(b"".join(frame(m) for m in msgs[:cut]))
                f.seek(0)
                r = subprocess.run([BIN], stdin=f, capture_output=True, timeout=30)
            eq(r.returncode, 0, r.stderr.decode(errors="replace"))
            check(b'"id":1,"result"' in r.stdout)
            check(b"ERROR: AddressSanitizer" not in r.stderr)

    def test_cli_version_and_help(self):
        import subprocess
        from lspclient import BIN
        out = subprocess.run([BIN, "--version"], capture_output=True, text=True)
        eq(out.returncode, 0)
        check(out.stdout.startswith("understudy "))
        out = subprocess.run([BIN, "--help"], capture_output=True, text=True)
        eq(out.returncode, 0)
        check("complete FILE:LINE:COL" in out.stdout)
        out = subprocess.run([BIN, "--bogus"], capture_output=True, text=True)
        eq(out.returncode, 2)
        check("unknown option" in out.stderr)


if __name__ == "__main__":
    Lifecycle().run()
