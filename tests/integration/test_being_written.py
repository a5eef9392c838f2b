"""A comment or string still being typed (no end yet: the tree has errors there) is what the
server tells the provider and how it answers, end to end against the fake provider: the chat
prompt says the cursor is in a comment or a string, the popup does not ask the AI inside a string
being typed (it does in code), and no snippet is offered there."""
from lspclient import TestCase, check, eq
from routerlib import FakeProvider, config, inline, model_requests, provider, strings_of

COMMENT_HINT = "The cursor is inside a comment"
STRING_HINT = "The cursor is inside a string literal"

CASES = [
    # (language, extension, text ending at the cursor, hint expected)
    ("python", "py", "import sys\n\nprint(\"Hello, wor", STRING_HINT),
    ("python", "py", "def total(xs):\n    \"\"\"Return the sum of", STRING_HINT),
    ("c", "c", "#include <stdio.h>\n\n/* Read the bytes ", COMMENT_HINT),
    ("javascript", "js", "const a = 1;\nconst s = 'abc de", STRING_HINT),
    ("python", "py", "import sys\n\nx = len(", None),
]


class BeingWritten(TestCase):
    def cleanup(self):
        super().cleanup()
        fake = getattr(self, "_fake", None)
        if fake:
            fake.stop()

    def start(self):
        self._fake = FakeProvider(text="done\n")
        s = self.server()
        s.initialize(init_options=config([provider("fake", self._fake)],
                                         completion={"hedge_ms": 0}))
        return s

    def test_prompt_says_where_the_cursor_is(self):
        s = self.start()
        for i, (lang, ext, text, hint) in enumerate(CASES):
            uri = "file:///tmp/understudy-written-%d.%s" % (i, ext)
            s.open(uri, text, language=lang)
            lines = text.split("\n")
            before = len(model_requests(self._fake))
            r, _ = inline(s, uri, {"line": len(lines) - 1, "character": len(lines[-1])})
            check("result" in r, "case %d answered: %r" % (i, r))
            reqs = model_requests(self._fake)[before:]
            eq(len(reqs), 1, "case %d: one request reached the provider" % i)
            prompt = strings_of(reqs[0]["json"])
            for h in (COMMENT_HINT, STRING_HINT):
                eq(h in prompt, h == hint, "case %d (%s): %r in the prompt" % (i, lang, h))
        s.shutdown_and_exit()

    def test_popup_in_a_string_being_typed(self):
        s = self.start()
        uri = "file:///tmp/understudy-written-popup.py"
        text = "import sys\n\nfor_each = 1\nprint(\"now for"
        s.open(uri, text, language="python")
        before = len(model_requests(self._fake))
        r = s.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": 3, "character": 14}})
        items = r["result"]["items"] if isinstance(r["result"], dict) else r["result"]
        check(not any(it.get("kind") == 15 for it in items),
              "no snippet inside a string: %r" % [it["label"] for it in items])
        eq(len(model_requests(self._fake)) - before, 0, "the popup does not ask the AI in a string")
        # the same word in code: snippets and the AI join again
        uri2 = "file:///tmp/understudy-written-popup2.py"
        s.open(uri2, "import sys\n\nfor_each = 1\nfor", language="python")
        r = s.request("textDocument/completion", {
            "textDocument": {"uri": uri2}, "position": {"line": 3, "character": 3}})
        items = r["result"]["items"] if isinstance(r["result"], dict) else r["result"]
        check(any(it.get("kind") == 15 for it in items), "a snippet in code")
        self._fake.wait_for(lambda st: len(model_requests(self._fake)) > before, timeout=5)
        s.shutdown_and_exit()


if __name__ == "__main__":
    BeingWritten().run()
