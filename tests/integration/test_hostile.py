"""Hostile LSP input: broken framing, broken JSON, invalid UTF-8, wild positions, unknown URIs,
versions going backwards, huge and deeply nested messages, floods, wrong types everywhere and odd
ids. Each case states the answer it expects (an error code, or silence for notifications), and
afterwards the server must still answer a request and the documents opened before must be
byte-for-byte intact (understudy/documentText)."""
import json
import time

from lspclient import TestCase, check, eq, frame

A_URI = "file:///work/hostile/a.py"
A_TEXT = "def area(r):\n    return 3.14 * r * r\n\nprint(área := 'é中😀')\r\nlast"
B_URI = "file:///work/hostile/b.c"
B_TEXT = "int main(void) {\n  return 0;\n}\n"

POS0 = {"line": 0, "character": 0}


class Hostile(TestCase):
    # ------------------------------------------------------------------ helpers

    def fresh(self, **kw):
        """A running server with two documents open."""
        s = self.server(**kw)
        s.initialize()
        s.open(A_URI, A_TEXT, language="python")
        s.open(B_URI, B_TEXT, language="c")
        self.docs = {A_URI: A_TEXT, B_URI: B_TEXT}
        self.intact(s)
        return s

    def intact(self, s, timeout=30):
        """The server answers, and every document it should hold is unchanged."""
        check(s.proc.poll() is None, "server exited with %r" % s.proc.poll())
        with s._cond:
            junk = [m for m in s.received if "_unparsable" in m]
        eq(junk, [], "the server wrote something that is not JSON-RPC")
        for uri, text in self.docs.items():
            r = s.request("understudy/documentText", {"textDocument": {"uri": uri}},
                          timeout=timeout)
            check("result" in r, "documentText %s failed: %r" % (uri, r.get("error")))
            eq(r["result"]["text"], text, "text of " + uri)

    def mark(self, s):
        with s._cond:
            return len(s.received)

    def errors_since(self, s, start, want, timeout=10, any_id=False):
        """Wait for `want` error responses with a null id (any id if any_id) received after
        index `start`."""
        end = time.time() + timeout
        with s._cond:
            while True:
                errs = [m for m in s.received[start:]
                        if "error" in m and (any_id or m.get("id") is None)
                        and "method" not in m]
                if len(errs) >= want:
                    return errs
                left = end - time.time()
                if left <= 0:
                    raise TimeoutError("expected %d null-id errors, got %r" % (want, errs))
                s._cond.wait(left)

    def quiet_since(self, s, start, wait=0.5):
        """Nothing but notifications arrived since index `start` (after a short wait)."""
        time.sleep(wait)
        with s._cond:
            extra = [m for m in s.received[start:] if "id" in m]
        eq(extra, [], "unexpected responses")

    # ------------------------------------------------------------------ framing

    def test_malformed_json(self):
        s = self.fresh()
        for body in [b'{"jsonrpc": "2.0", "id": 5, "method": ', b"{]", b"nul", b"",
                     b'{"jsonrpc":"2.0","id":1,"id":2,"method":"shutdown"}',  # duplicate key
                     b"\x00\x01\x02", b'{"a": 1} {"b": 2}']:
            m = self.mark(s)
            s.write(frame(body))
            errs = self.errors_since(s, m, 1)
            eq(errs[0]["error"]["code"], -32700, "body %r" % body)
            self.intact(s)

    def test_not_a_message(self):
        """Valid JSON that is not a JSON-RPC message: -32600 (invalid request). Bare scalars are
        refused by the JSON parser itself (jansson decodes only arrays and objects at the top
        level), which gives -32700; either code tells the client what happened."""
        s = self.fresh()
        for body in [b"42", b'"text"', b"null", b"true"]:
            m = self.mark(s)
            s.write(frame(body))
            errs = self.errors_since(s, m, 1)
            check(errs[0]["error"]["code"] in (-32700, -32600), "body %r: %r" % (body, errs))
        for body in [b"[1, 2]", b"[]", b"{}",
                     b'{"jsonrpc": "1.0", "id": 1, "method": "shutdown"}',
                     b'{"id": 1, "method": "shutdown"}',
                     b'{"jsonrpc": "2.0", "id": 1, "method": 17}',
                     b'{"jsonrpc": "2.0", "id": 1, "method": "shutdown", "params": "x"}']:
            m = self.mark(s)
            s.write(frame(body))
            errs = self.errors_since(s, m, 1, any_id=True)
            eq(errs[0]["error"]["code"], -32600, "body %r" % body)
            eq(errs[0]["id"], 1 if b'"id": 1' in body else None)
        # An id that can be read is echoed.
        s.write(frame(b'{"jsonrpc": "2.0", "id": 77, "method": 17}'))
        eq(s.wait_response(77)["error"]["code"], -32600)
        # A response to a request we never sent is dropped without an answer.
        m = self.mark(s)
        s.write(frame(b'{"jsonrpc": "2.0", "id": 999, "result": {}}'))
        self.quiet_since(s, m)
        self.intact(s)

    def test_missing_content_length(self):
        """A header block without Content-Length is a -32700; the server must find the next
        message again (its body is not a header block)."""
        s = self.fresh()
        m = self.mark(s)
        s.write(b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}")
        eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32700)
        self.intact(s)

    def test_bad_content_length_values(self):
        """Negative, non-numeric, empty: -32700, then the next message is read."""
        for header in [b"Content-Length: -5\r\n\r\n", b"Content-Length: abc\r\n\r\n",
                       b"Content-Length: \r\n\r\n", b"Content-Length: 5x\r\n\r\n",
                       b"garbage without colon\r\n\r\n"]:
            s = self.fresh()
            m = self.mark(s)
            s.write(header)
            eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32700, "header %r" % header)
            self.intact(s)
            s.kill()

    def test_huge_content_length(self):
        """A length beyond any cap (10^17): -32600 (message too large); the stream goes on."""
        s = self.fresh()
        m = self.mark(s)
        s.write(b"Content-Length: 99999999999999999\r\n\r\n")
        eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32600)
        self.intact(s)

    def test_body_over_the_cap_is_skipped(self):
        """A 64 MiB + 1 body: refused with -32600, its bytes discarded as they arrive, and the
        message after it is answered."""
        s = self.fresh()
        m = self.mark(s)
        n = (64 << 20) + 1
        s.write(b"Content-Length: %d\r\n\r\n" % n)
        chunk = b"x" * (1 << 20)
        left = n
        while left:
            k = min(left, len(chunk))
            s.write(chunk[:k])
            left -= k
        eq(self.errors_since(s, m, 1, timeout=60)[0]["error"]["code"], -32600)
        self.intact(s, timeout=60)
        # The discarded body was not read as headers: that one error and no other.
        with s._cond:
            errs = [x for x in s.received[m:] if "error" in x]
        eq(len(errs), 1, "errors: %r" % errs[:3])

    def test_header_block_too_large(self):
        """8 KiB of headers without an end: -32600, then resync."""
        s = self.fresh()
        m = self.mark(s)
        s.write(b"X-Junk: " + b"y" * 20000 + b"\r\n\r\n")
        eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32600)
        self.intact(s)

    # ------------------------------------------------------------------ encoding

    def test_invalid_utf8(self):
        """Invalid UTF-8 anywhere in a body makes it unparsable (-32700): a didOpen with it
        opens nothing, a request with it gets the error."""
        s = self.fresh()
        body = ('{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":'
                '{"uri":"file:///bad.py","languageId":"python","version":1,"text":"x = \'')\
            .encode() + b"\xff\xfe\xc0\xaf\xed\xa0\x80" + b"'\"}}}"
        m = self.mark(s)
        s.write(frame(body))
        eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32700)
        r = s.request("understudy/documentText", {"textDocument": {"uri": "file:///bad.py"}})
        eq(r["error"]["code"], -32602)
        m = self.mark(s)
        s.write(frame(b'{"jsonrpc":"2.0","id":"\xc3\x28","method":"shutdown"}'))
        eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32700)
        # A change whose text is invalid UTF-8 is not applied.
        s.write(frame(('{"jsonrpc":"2.0","method":"textDocument/didChange","params":'
                       '{"textDocument":{"uri":"%s","version":9},"contentChanges":[{"text":"'
                       % A_URI).encode() + b"\x80\x80" + b'"}]}}'))
        self.intact(s)

    def test_escaped_nul_and_lone_surrogates(self):
        """JSON escapes for NUL are kept byte-exact; a lone surrogate escape is refused by the
        JSON parser (-32700)."""
        s = self.fresh()
        uri = "file:///nul.txt"
        s.open(uri, "a\u0000b", language="plaintext")
        self.docs[uri] = "a\u0000b"
        m = self.mark(s)
        s.write(frame(b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":'
                      b'{"uri":"file:///sur.txt","languageId":"x","version":1,"text":"\\ud800"}}}'))
        eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32700)
        self.intact(s)

    # ------------------------------------------------------------------ positions

    def test_positions_out_of_range(self):
        s = self.fresh()
        td = {"uri": A_URI}
        # Negative and non-integer positions are invalid params.
        for pos in [{"line": -1, "character": 0}, {"line": 0, "character": -1},
                    {"line": 1.5, "character": 0}, {"line": 1e30, "character": 0},
                    {"line": "1", "character": 0}, {"line": 0}, {}, [0, 0], None, 7]:
            for method in ("textDocument/completion", "textDocument/inlineCompletion"):
                params = {"textDocument": td, "position": pos,
                          "context": {"triggerKind": 1}}
                r = s.request(method, params)
                eq(r.get("error", {}).get("code"), -32602, "%s %r" % (method, pos))
        # Huge but valid positions clamp to the end of the line / document: an answer.
        for pos in [{"line": 10 ** 9, "character": 0}, {"line": 0, "character": 2 ** 40},
                    {"line": 2 ** 62, "character": 2 ** 62}, {"line": 3, "character": 10 ** 6}]:
            for method in ("textDocument/completion", "textDocument/inlineCompletion"):
                r = s.request(method, {"textDocument": td, "position": pos,
                                       "context": {"triggerKind": 1}}, timeout=20)
                check("result" in r, "%s %r: %r" % (method, pos, r))
        self.intact(s)
        # A change at a far position appends at the end; a negative one is skipped.
        far = {"line": 10 ** 9, "character": 10 ** 9}
        s.change(A_URI, 2, [{"range": {"start": far, "end": far}, "text": "!"}])
        self.docs[A_URI] = A_TEXT + "!"
        s.change(A_URI, 3, [{"range": {"start": {"line": -1, "character": 0}, "end": POS0},
                             "text": "NO"}])
        self.intact(s)
        # Past the end of a line (not of the document) clamps to that line's end, before its
        # terminator: "\r\n" stays one line break.
        s.change(A_URI, 4, [{"range": {"start": {"line": 3, "character": 500},
                                       "end": {"line": 3, "character": 900}}, "text": "#"}])
        self.docs[A_URI] = A_TEXT.replace("😀')\r\n", "😀')#\r\n") + "!"
        self.intact(s)

    # ------------------------------------------------------------------ documents

    def test_unknown_uris(self):
        s = self.fresh()
        ghost = {"uri": "file:///never/opened.py"}
        m = self.mark(s)
        s.change(ghost["uri"], 2, [{"text": "boo"}])
        s.notify("textDocument/didClose", {"textDocument": ghost})
        s.notify("textDocument/didSave", {"textDocument": ghost})
        self.quiet_since(s, m)
        for method in ("textDocument/completion", "textDocument/inlineCompletion",
                       "understudy/documentText", "understudy/syntaxTree"):
            r = s.request(method, {"textDocument": ghost, "position": POS0,
                                   "context": {"triggerKind": 1}})
            eq(r.get("error", {}).get("code"), -32602, method)
        # Closing twice: the second is a no-op, the document is gone after the first.
        s.notify("textDocument/didClose", {"textDocument": {"uri": B_URI}})
        s.notify("textDocument/didClose", {"textDocument": {"uri": B_URI}})
        del self.docs[B_URI]
        r = s.request("understudy/documentText", {"textDocument": {"uri": B_URI}})
        eq(r["error"]["code"], -32602)
        self.intact(s)

    def test_versions_going_backwards(self):
        """Edits with older versions are still applied (the editor is the source of truth);
        the server only logs it."""
        s = self.fresh()
        s.change(A_URI, 10, [{"text": "v10"}])
        s.change(A_URI, 3, [{"text": "v3"}])
        s.change(A_URI, -7, [{"range": {"start": POS0, "end": POS0}, "text": ">"}])
        s.change(A_URI, 2 ** 63 - 1, [{"range": {"start": POS0, "end": POS0}, "text": "^"}])
        self.docs[A_URI] = "^>v3"
        self.intact(s)
        # Re-opening an open document replaces it.
        s.open(A_URI, "reopened", version=1)
        self.docs[A_URI] = "reopened"
        self.intact(s)

    def test_malformed_ranges(self):
        s = self.fresh()
        bad = [
            {"range": "0:0-1:0", "text": "X"},
            {"range": {"start": POS0}, "text": "X"},
            {"range": {"end": POS0}, "text": "X"},
            {"range": {"start": [0, 0], "end": POS0}, "text": "X"},
            {"range": {"start": {"line": 0, "character": 0.5}, "end": POS0}, "text": "X"},
            {"range": {"start": POS0, "end": {"line": None, "character": 0}}, "text": "X"},
            {"range": [], "text": "X"},
            {"range": 5, "text": "X"},
            {"range": {"start": POS0, "end": POS0}},
            {"range": {"start": POS0, "end": POS0}, "text": 5},
            {"range": {"start": POS0, "end": POS0}, "text": None},
            "just a string", 17, None, [],
        ]
        for ch in bad:
            s.change(A_URI, 5, [ch])
        for changes in ["x", 5, None, {"text": "X"}]:
            s.notify("textDocument/didChange", {"textDocument": {"uri": A_URI, "version": 6},
                                                "contentChanges": changes})
        self.intact(s)
        # A reversed range means the same span; a bad change among good ones is skipped alone.
        s.change(A_URI, 7, [
            {"range": {"start": {"line": 0, "character": 8}, "end": {"line": 0, "character": 4}},
             "text": "AREA"},
            {"range": "bad", "text": "X"},
            {"range": {"start": POS0, "end": POS0}, "text": "# "},
        ])
        self.docs[A_URI] = "# def AREA(r):" + A_TEXT[len("def area(r):"):]
        self.intact(s)
        # A range splitting a surrogate pair snaps to the character's start.
        line3 = A_TEXT.split("\n")[3]
        col = len(line3[:line3.index("😀")].encode("utf-16-le")) // 2
        s.change(A_URI, 8, [{"range": {"start": {"line": 3, "character": col + 1},
                                       "end": {"line": 3, "character": col + 1}}, "text": "|"}])
        self.docs[A_URI] = self.docs[A_URI].replace("😀", "|😀")
        self.intact(s)

    def test_50mb_document(self):
        """A 50 MB document is tracked (under the 64 MiB cap; too big for a syntax tree): edits
        and completions on it work and the other documents stay intact. A 70 MB one is refused
        with a warning and not tracked."""
        s = self.fresh()
        big_uri = "file:///work/hostile/big.py"
        line = "value_%d = compute(alpha, beta) + 1  # padding padding padding\n"
        parts, size, i = [], 0, 0
        while size < 50 * 1000 * 1000:
            t = line % i
            parts.append(t)
            size += len(t)
            i += 1
        big = "".join(parts)
        s.open(big_uri, big, language="python")
        s.change(big_uri, 2, [{"range": {"start": {"line": i, "character": 0},
                                         "end": {"line": i, "character": 0}}, "text": "tail = "}])
        r = s.request("textDocument/completion", {"textDocument": {"uri": big_uri},
                                                  "position": {"line": i, "character": 7}},
                      timeout=60)
        check("result" in r, "completion on the big document: %r" % r.get("error"))
        r = s.request("understudy/documentText", {"textDocument": {"uri": big_uri}}, timeout=60)
        eq(len(r["result"]["text"]), len(big) + len("tail = "))
        check(r["result"]["text"].endswith(parts[-1] + "tail = "))
        self.intact(s, timeout=60)
        # Growing it past the 64 MiB document cap through didChange: the change is skipped
        # (logged), the document keeps its text.
        s.change(big_uri, 3, [{"range": {"start": {"line": 0, "character": 0},
                                         "end": {"line": 0, "character": 0}},
                               "text": "y" * (20 * 1000 * 1000)}])
        r = s.request("understudy/documentText", {"textDocument": {"uri": big_uri}}, timeout=60)
        eq(len(r["result"]["text"]), len(big) + len("tail = "))
        # A 70 MB didOpen: its message is over the 64 MiB message cap, so the framer refuses
        # it (-32600, null id) before the document cap can; either way it is not tracked and
        # the server says so (an error or a showMessage).
        huge_uri = "file:///work/hostile/huge.txt"
        m = self.mark(s)
        s.open(huge_uri, "z" * (70 * 1000 * 1000), language="plaintext")
        end = time.time() + 60
        told = []
        while not told and time.time() < end:
            with s._cond:
                told = [x for x in s.received[m:]
                        if (x.get("method") == "window/showMessage"
                            and "huge.txt" in x["params"]["message"])
                        or ("error" in x and x.get("id") is None)]
            time.sleep(0.1)
        check(told, "a 70 MB didOpen got neither an error nor a showMessage")
        r = s.request("understudy/documentText", {"textDocument": {"uri": huge_uri}}, timeout=60)
        eq(r["error"]["code"], -32602)
        s.notify("textDocument/didClose", {"textDocument": {"uri": big_uri}})
        self.intact(s, timeout=60)

    # ------------------------------------------------------------------ size and volume

    def test_deep_nesting(self):
        """100,000 nested arrays (and objects): the JSON parser's depth cap refuses them with
        -32700; nothing recurses into them."""
        s = self.fresh()
        for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
            deep = opener * 100000 + b"1" + closer * 100000
            body = (b'{"jsonrpc":"2.0","id":1234,"method":"understudy/documentText","params":'
                    b'{"textDocument":{"uri":"' + A_URI.encode() + b'"},"x":' + deep + b"}}")
            m = self.mark(s)
            s.write(frame(body))
            eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32700)
            m = self.mark(s)
            s.write(frame(deep))
            eq(self.errors_since(s, m, 1)[0]["error"]["code"], -32700)
            self.intact(s)
        # A nesting the parser accepts (1,000 levels) inside params is simply ignored.
        ok = b"[" * 1000 + b"]" * 1000
        s.write(frame(b'{"jsonrpc":"2.0","id":4321,"method":"understudy/documentText","params":'
                      b'{"textDocument":{"uri":"' + A_URI.encode() + b'"},"x":' + ok + b"}}"))
        eq(s.wait_response(4321)["result"]["text"], A_TEXT)

    def test_flood_of_10000_messages(self):
        """10,000 messages in one write: 5,000 edits interleaved with 5,000 requests; every
        request is answered, in order, seeing exactly the edits sent before it."""
        s = self.fresh()
        uri = "file:///work/hostile/flood.txt"
        s.open(uri, "", language="plaintext")
        out = []
        for k in range(5000):
            out.append(frame({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": k + 2},
                "contentChanges": [{"range": {"start": {"line": 0, "character": k},
                                              "end": {"line": 0, "character": k}},
                                    "text": "ab"[k % 2]}]}}))
            out.append(frame({"jsonrpc": "2.0", "id": "f%d" % k,
                              "method": "understudy/documentText",
                              "params": {"textDocument": {"uri": uri}}}))
        t0 = time.time()
        s.write(b"".join(out))
        for k in range(5000):
            r = s.wait_response("f%d" % k, timeout=120)
            eq(r["result"]["text"], ("ab" * 2500)[:k + 1], "response %d" % k)
            eq(r["result"]["version"], k + 2)
        check(time.time() - t0 < 120, "flood took %.1fs" % (time.time() - t0))
        self.docs[uri] = "ab" * 2500
        self.intact(s)

    # ------------------------------------------------------------------ types and ids

    def test_wrong_param_types(self):
        """Every method with params of the wrong shape: requests get -32602 (or -32600 when
        params is not even a structured value); notifications are ignored."""
        s = self.fresh()
        requests = ["textDocument/completion", "textDocument/inlineCompletion",
                    "understudy/documentText", "understudy/syntaxTree",
                    "workspace/executeCommand"]
        for method in requests:
            for params in ([], [1, 2], None, {}, {"textDocument": 5},
                           {"textDocument": {"uri": 5}, "position": POS0},
                           {"textDocument": {"uri": None}}, {"textDocument": []},
                           {"command": 5}, {"command": None}, {"command": "no.such"}):
                r = s.request(method, params)
                eq(r.get("error", {}).get("code"), -32602, "%s %r" % (method, params))
            for params in ("str", 5, True):
                r = s.request(method, params)
                eq(r.get("error", {}).get("code"), -32600, "%s %r" % (method, params))
        r = s.request("shutdown", [])
        eq(r.get("error", {}).get("code"), -32602)
        r = s.request("initialize", {"capabilities": "no"})
        eq(r["error"]["code"], -32600)  # already initialized
        notifications = ["textDocument/didOpen", "textDocument/didChange",
                         "textDocument/didClose", "textDocument/didSave", "$/cancelRequest",
                         "$/setTrace", "initialized", "workspace/didChangeConfiguration"]
        m = self.mark(s)
        for method in notifications:
            for params in ([], [1], None, {}, "str", 5, {"textDocument": 5},
                           {"textDocument": {"uri": 5, "text": "x"}},
                           {"textDocument": {"uri": A_URI, "text": 5}},
                           {"textDocument": {"uri": A_URI}, "contentChanges": {"text": "X"}},
                           {"id": {}}, {"id": [1]}, {"settings": "x"}, {"settings": []},
                           {"settings": {"understudy": 5}}):
                if method == "textDocument/didClose" and A_URI in json.dumps(params):
                    continue  # a well-formed close; not what this case is about
                s.notify(method, params)
        # Notifications get no answer, except that params which are not even an object or an
        # array make the message an invalid request: -32600 with a null id (JSON-RPC 2.0).
        time.sleep(0.5)
        with s._cond:
            answers = [x for x in s.received[m:] if "id" in x]
        eq(len(answers), 2 * len(notifications), "answers: %r" % answers[:3])
        for a in answers:
            eq((a["id"], a["error"]["code"]), (None, -32600))
        # didOpen with odd but usable fields: languageId and version of the wrong type.
        s.notify("textDocument/didOpen", {"textDocument": {
            "uri": "file:///odd.txt", "languageId": 5, "version": "seven", "text": "odd"}})
        r = s.request("understudy/documentText", {"textDocument": {"uri": "file:///odd.txt"}})
        eq(r["result"]["text"], "odd")
        self.docs["file:///odd.txt"] = "odd"
        self.intact(s)

    def test_odd_ids(self):
        """Ids that are neither integer nor string (float, object, array, bool): -32600 with a
        null id. A null id makes it a notification in the server's eyes: no answer."""
        s = self.fresh()
        for raw in [b"1.5", b"{}", b'{"a":1}', b"[1]", b"true", b"-0.0", b"1e400"]:
            m = self.mark(s)
            s.write(frame(b'{"jsonrpc":"2.0","id":' + raw + b',"method":'
                          b'"understudy/documentText","params":{"textDocument":{"uri":"'
                          + A_URI.encode() + b'"}}}'))
            errs = self.errors_since(s, m, 1)
            check(errs[0]["error"]["code"] in (-32600, -32700), "id %r: %r" % (raw, errs[0]))
        m = self.mark(s)
        s.write(frame(b'{"jsonrpc":"2.0","id":null,"method":"understudy/documentText",'
                      b'"params":{"textDocument":{"uri":"' + A_URI.encode() + b'"}}}'))
        time.sleep(0.5)
        with s._cond:
            got = [x for x in s.received[m:] if "id" in x]
        check(got == [] or got[0].get("error", {}).get("code") == -32600,
              "null id: %r" % got)
        # Extreme but legal ids are echoed exactly.
        for rid in [0, -1, 2 ** 63 - 1, -(2 ** 63), "", "é中😀", "x" * 10000]:
            s.send({"jsonrpc": "2.0", "id": rid, "method": "understudy/documentText",
                    "params": {"textDocument": {"uri": A_URI}}})
            r = s.wait_response(rid)
            eq(r["result"]["text"], A_TEXT)
        # Duplicate ids in flight are both answered.
        s.send({"jsonrpc": "2.0", "id": 42, "method": "understudy/documentText",
                "params": {"textDocument": {"uri": A_URI}}})
        s.send({"jsonrpc": "2.0", "id": 42, "method": "understudy/documentText",
                "params": {"textDocument": {"uri": B_URI}}})
        n = 0
        end = time.time() + 10
        while n < 2 and time.time() < end:
            with s._cond:
                n = len([x for x in s.received if x.get("id") == 42])
            time.sleep(0.05)
        eq(n, 2)
        self.intact(s)

    def test_long_method_and_cancel_of_nothing(self):
        s = self.fresh()
        r = s.request("x" * 100000, {})
        eq(r["error"]["code"], -32601)
        check(len(r["error"]["message"]) < 1000, "error message echoes the whole method")
        m = self.mark(s)
        s.notify("$/cancelRequest", {"id": 123456})
        s.notify("$/cancelRequest", {"id": "nope"})
        s.notify("$/cancelRequest", {})
        self.quiet_since(s, m)
        self.intact(s)

    def test_exit_mid_garbage(self):
        """Garbage, then a clean shutdown: exit code 0 and nothing on stdout after exit."""
        s = self.fresh()
        s.write(b"Content-Length: 3\r\n\r\n{]]")
        self.intact(s)
        eq(s.shutdown_and_exit(), 0)


if __name__ == "__main__":
    Hostile().run()
