"""Document sync: 2,000 random incremental edits over text with é, 中, 😀, tabs and CRLF, in both
position encodings, compared with a reference after every edit via understudy/documentText."""
import random

from lspclient import TestCase, check, eq

ALPHABET = ["a", "b", "x", " ", "\t", "é", "中", "😀", "\n", "\r\n", "\r", "{", "}", "()", "ab😀c", "é\r\n中"]


def split_lines(text):
    """Lines as LSP sees them: terminated by \\n, \\r\\n or a lone \\r."""
    lines, start, i = [], 0, 0
    while i < len(text):
        c = text[i]
        if c == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            lines.append(text[start:i]); i += 2; start = i; continue
        if c in "\r\n":
            lines.append(text[start:i]); i += 1; start = i; continue
        i += 1
    lines.append(text[start:])
    return lines


def line_starts(text):
    starts, i = [0], 0
    while i < len(text):
        if text[i] == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            i += 2; starts.append(i); continue
        if text[i] in "\r\n":
            i += 1; starts.append(i); continue
        i += 1
    return starts


def units(s, enc):
    if enc == "utf-8":
        return len(s.encode("utf-8"))
    return len(s.encode("utf-16-le")) // 2


def to_position(text, idx, enc):
    """Python string index -> LSP position."""
    starts = line_starts(text)
    line = max(i for i, st in enumerate(starts) if st <= idx)
    return {"line": line, "character": units(text[starts[line]:idx], enc)}


def random_index(rng, text):
    """A code-point index that is not inside a \\r\\n pair."""
    while True:
        i = rng.randint(0, len(text))
        if 0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n":
            continue
        return i


class Sync(TestCase):
    def run_edits(self, enc, seed, n=2000):
        rng = random.Random(seed)
        s = self.server()
        caps = {"general": {"positionEncodings": ["utf-8"]}} if enc == "utf-8" else {}
        r = s.initialize(caps)
        eq(r["result"]["capabilities"]["positionEncoding"], enc)
        uri = "file:///sync-%s.txt" % enc
        text = "héllo\twörld\r\n中文 😀 x\nlast\rline"
        s.open(uri, text, language="plaintext")
        for v in range(2, n + 2):
            a = random_index(rng, text)
            b = random_index(rng, text)
            a, b = min(a, b), max(a, b)
            if rng.random() < 0.5:
                b = min(len(text), a + rng.randint(0, 3))
                if 0 < b < len(text) and text[b - 1] == "\r" and text[b] == "\n":
                    b += 1
            new = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 3)))
            change = {"range": {"start": to_position(text, a, enc), "end": to_position(text, b, enc)},
                      "text": new}
            # Splicing inside a \r\n pair would change line structure ambiguously; the index
            # picker avoids it, and so must the new text's neighbours.
            text = text[:a] + new + text[b:]
            s.change(uri, v, [change])
            got = s.text(uri)
            if got["text"] != text:
                raise AssertionError("edit %d diverged:\n got %r\nwant %r\nchange %r" % (v, got["text"], text, change))
            eq(got["version"], v)
        # A full-text change replaces everything.
        s.change(uri, n + 2, [{"text": "fresh"}])
        eq(s.text(uri)["text"], "fresh")
        eq(s.shutdown_and_exit(), 0)

    def test_random_edits_utf16(self):
        self.run_edits("utf-16", 1)

    def test_random_edits_utf8(self):
        self.run_edits("utf-8", 2)

    def test_clamping_past_end(self):
        s = self.server()
        s.initialize()
        uri = "file:///clamp.txt"
        s.open(uri, "ab\ncd", language="plaintext")
        # Past the end of a line clamps to the line end; past the last line to the document end.
        s.change(uri, 2, [{"range": {"start": {"line": 0, "character": 99},
                                     "end": {"line": 0, "character": 99}}, "text": "X"}])
        eq(s.text(uri)["text"], "abX\ncd")
        s.change(uri, 3, [{"range": {"start": {"line": 9, "character": 0},
                                     "end": {"line": 9, "character": 0}}, "text": "!"}])
        eq(s.text(uri)["text"], "abX\ncd!")
        # Several changes in one notification apply in order.
        s.change(uri, 4, [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "text": ""},
                          {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "text": "> "}])
        eq(s.text(uri)["text"], "bX\n> cd!")

    def test_surrogate_pair_middle_snaps(self):
        s = self.server()
        s.initialize()
        uri = "file:///emoji.txt"
        s.open(uri, "a😀b", language="plaintext")
        # character 2 is inside the surrogate pair of 😀 (units: a=1, 😀=2)
        s.change(uri, 2, [{"range": {"start": {"line": 0, "character": 3},
                                     "end": {"line": 0, "character": 3}}, "text": "|"}])
        eq(s.text(uri)["text"], "a😀|b")
        s.change(uri, 3, [{"range": {"start": {"line": 0, "character": 2},
                                     "end": {"line": 0, "character": 2}}, "text": "<"}])
        eq(s.text(uri)["text"], "a<😀|b")

    def test_close_and_reopen(self):
        s = self.server()
        s.initialize()
        s.open("file:///a.py", "one")
        s.open("file:///b.py", "two")
        s.notify("textDocument/didClose", {"textDocument": {"uri": "file:///a.py"}})
        r = s.request("understudy/documentText", {"textDocument": {"uri": "file:///a.py"}})
        eq(r["error"]["code"], -32602)
        eq(s.text("file:///b.py")["text"], "two")
        s.open("file:///a.py", "again", version=7)
        eq(s.text("file:///a.py"), {"text": "again", "version": 7})
        s.notify("textDocument/didSave", {"textDocument": {"uri": "file:///a.py"}})
        eq(s.text("file:///a.py")["text"], "again")


if __name__ == "__main__":
    Sync().run()
