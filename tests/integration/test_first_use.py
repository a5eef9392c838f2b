"""issue 17 items 4 and 5, end to end: a freshly opened document's tree is built off the loop
before the first completion needs it (understudy/syntaxTree says built_on_worker), a
completion right after didOpen of a big file is answered without waiting for the parse, and the
loop keeps answering while the workspace index of a large tree (/usr) is built on workers
(understudy/localStats)."""
import os
import time

from lspclient import BIN, TestCase, check, eq, sanitized
from routerlib import FakeProvider, inline, model_requests, strings_of


def python_source(lines, seed=0):
    out = ["import os", ""]
    k = 0
    while len(out) < lines:
        k += 1
        out += ["class Shape%d_%d:" % (seed, k),
                "    def __init__(self, width, height):",
                "        self.width = width",
                "        self.height = height",
                "",
                "    def area_%d(self):" % k,
                "        return self.width * self.height + %d" % k,
                "",
                "def make_shape_%d(width, height):" % k,
                "    shape = Shape%d_%d(width, height)" % (seed, k),
                "    return shape.area_%d()" % k,
                "", ""]
    return "\n".join(out[:lines]) + "\n"


class FirstUse(TestCase):
    def test_tree_built_on_worker_after_did_open(self):
        # It reads the tree: a busy machine (or ASan) must not make the parse give up.
        s = self.server(env={"UNDERSTUDY_PARSE_BUDGET_US": "20000000"})
        s.initialize()
        uri = "file:///w/first.py"
        text = python_source(1500, 1)
        s.open(uri, text)
        # What an editor leaves between opening a file and the first keystroke: the build is
        # back by then, so the first completion reads a tree the loop never parsed.
        time.sleep(0.5)
        r = s.request("understudy/syntaxTree", {"textDocument": {"uri": uri}})["result"]
        check(r["built_on_worker"], "the first tree should come from the worker: %r" %
              {k: v for k, v in r.items() if k != "tree"})
        check((r["tree"] or "").startswith("(module"), (r["tree"] or "no tree")[:80])
        line = text.split("\n").index("    shape = Shape1_7(width, height)")
        t0 = time.perf_counter()
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": line, "character": 14}})
        ms = (time.perf_counter() - t0) * 1000
        items = r["result"]["items"] if isinstance(r["result"], dict) else r["result"]
        labels = [it["label"] for it in items]
        check(any(l.startswith("Shape1_") for l in labels), labels[:10])
        check(ms < 2000, "first completion took %.0f ms" % ms)
        eq(s.shutdown_and_exit(), 0)

    def test_big_file_first_completion_does_not_wait_for_parse(self):
        # This test compares trees: a busy machine (or ASan) must not make a parse give up.
        s = self.server(env={"UNDERSTUDY_PARSE_BUDGET_US": "20000000"})
        s.initialize()
        uri = "file:///w/big.py"
        text = python_source(8000, 2)  # ~180 KB: built on a worker, not parsed in place
        line = text.split("\n").index("    shape = Shape2_300(width, height)")
        s.open(uri, text)
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": line, "character": 14}})
        items = r["result"]["items"] if isinstance(r["result"], dict) else r["result"]
        check(items, "words answer even before the tree is back")
        # Typing meanwhile: the edits reach the built tree, which then matches the text.
        s.change(uri, 2, [{"range": {"start": {"line": line, "character": 4},
                                     "end": {"line": line, "character": 9}}, "text": "form"}])
        time.sleep(1.0)
        tree = s.request("understudy/syntaxTree", {"textDocument": {"uri": uri}})["result"]
        ref = "file:///w/ref.py"
        lines = text.split("\n")
        lines[line] = "    form = Shape2_300(width, height)"
        s.open(ref, "\n".join(lines))
        want = s.request("understudy/syntaxTree", {"textDocument": {"uri": ref}})["result"]
        check(tree["tree"] is not None and tree["tree"] == want["tree"],
              "tree after edits during the build differs from a fresh parse (%s)"
              % ("no tree" if tree["tree"] is None else "%d vs %d bytes"
                 % (len(tree["tree"]), len(want["tree"] or ""))))
        eq(s.shutdown_and_exit(), 0)

    def test_first_completion_does_not_parse_on_the_loop(self):
        # The first build of every document sleeps 1.5 s on its worker: a completion right
        # after didOpen of a small file (~22 KB, which the loop used to parse itself when the
        # build was not back within 3 ms) is answered from the text meanwhile, and the tree the
        # document ends up with is still the worker's (a parse on the loop would have replaced
        # it: built_on_worker false).
        s = self.server(env={"UNDERSTUDY_PARSE_BUDGET_US": "20000000",
                             "UNDERSTUDY_TEST_BUILD_DELAY_MS": "1500"})
        s.initialize()
        uri = "file:///w/small.py"
        text = python_source(1000, 3)
        line = text.split("\n").index("    shape = Shape3_40(width, height)")
        s.open(uri, text)
        t0 = time.perf_counter()
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": line, "character": 14}})
        ms = (time.perf_counter() - t0) * 1000
        items = r["result"]["items"] if isinstance(r["result"], dict) else r["result"]
        labels = [it["label"] for it in items]
        check(any(l.startswith("Shape3_") for l in labels), labels[:10])
        # Generous (a busy machine, ASan), yet well under the build's 1.5 s sleep.
        check(ms < 1000, "the completion waited for the build: %.0f ms" % ms)
        time.sleep(2.0)
        r = s.request("understudy/syntaxTree", {"textDocument": {"uri": uri}})["result"]
        check(r["built_on_worker"], "the tree should be the worker's, not a parse on the loop")
        eq(s.shutdown_and_exit(), 0)

    def test_tree_asked_for_with_none_held_is_built_on_a_worker(self):
        # Two documents with no tree when a completion asks for one: a 300 KB file (over the
        # size that gets a build at didOpen) and a small file whose tree was dropped to bound
        # memory (ten files asked about, eight trees held). The loop parsed both in place (a
        # 435 KB file held its first completion ~280 ms with the index); each is now built on
        # a worker (slowed here by 0.3 s), and the completion answers from the text meanwhile.
        # A parse on the loop would replace the worker's tree: built_on_worker false.
        s = self.server(env={"UNDERSTUDY_PARSE_BUDGET_US": "20000000",
                             "UNDERSTUDY_TEST_BUILD_DELAY_MS": "300"})
        s.initialize()

        def complete(uri, text, k):
            line = text.split("\n").index("    shape = Shape%d_40(width, height)" % k)
            r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                      "position": {"line": line, "character": 14}})
            items = r["result"]["items"] if isinstance(r["result"], dict) else r["result"]
            labels = [it["label"] for it in items]
            check(any(l.startswith("Shape%d_" % k) for l in labels), labels[:10])

        def built_on_worker(uri):
            return s.request("understudy/syntaxTree", {"textDocument": {"uri": uri}})[
                "result"]["built_on_worker"]

        big, big_text = "file:///w/huge.py", python_source(14000, 50)
        check(len(big_text) > 250 * 1024, "the big file should be over 250 KB")
        s.open(big, big_text)
        complete(big, big_text, 50)
        time.sleep(1.5)
        check(built_on_worker(big), "the big file's tree should be the worker's")
        small = [("file:///w/small_%d.py" % k, python_source(1000, 60 + k)) for k in range(10)]
        for uri, text in small:
            s.open(uri, text)
        for k, (uri, text) in enumerate(small):
            complete(uri, text, 60 + k)
        time.sleep(1.5)
        # The first small file's tree was dropped (the least recently used of nine or more).
        uri, text = small[0]
        complete(uri, text, 60)
        time.sleep(1.5)
        check(built_on_worker(uri), "a dropped tree asked for again should be built on a worker")
        eq(s.shutdown_and_exit(), 0)

    def test_big_stdlib_file(self):
        # Real code nobody here wrote: the biggest module of Debian's Python standard library
        # over 256 KB (pydoc_data/topics.py, 740 KB of string literals, on Debian 12). Its
        # tree is built on a worker when first asked for, and the line model learns a window
        # of it around the cursor, not the whole file.
        import glob
        found = sorted((os.path.getsize(p), p) for p in glob.glob("/usr/lib/python3*/**/*.py",
                                                                   recursive=True)
                       if os.path.getsize(p) > 256 * 1024)
        if not found:
            print("  (no standard library module over 256 KB here; skipped)")
            return
        path = found[-1][1]
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        s = self.server(env={"UNDERSTUDY_PARSE_BUDGET_US": "20000000"})
        s.initialize()
        uri = "file://" + path
        s.open(uri, text)
        lines = text.split("\n")
        line = len(lines) * 2 // 3
        s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                              "position": {"line": line, "character": 0}})
        inline(s, uri, {"line": line, "character": 0})
        st = s.request("understudy/localStats")["result"]
        check(64 * 1024 < st["line_doc_bytes"] <= 256 * 1024 + 64 * 1024,
              "the line model should hold a window of %s, not %d bytes of %d"
              % (path, st["line_doc_bytes"], len(text.encode())))
        deadline = time.time() + 30
        while time.time() < deadline:
            r = s.request("understudy/syntaxTree", {"textDocument": {"uri": uri}})["result"]
            if r["built_on_worker"]:
                break
            time.sleep(0.2)
        check(r["built_on_worker"], "%s: the tree should be the worker's" % path)
        eq(s.shutdown_and_exit(), 0)

    def test_other_files_definitions_read_on_a_worker(self):
        # Thirty files opened at once (an editor restoring a session), each over 8 KB with a
        # function of its own; a completion in another file that calls one of them. The
        # first request is not held up by parsing the thirty on the loop: it goes without
        # that excerpt (the worker is reading them, each deliberately slowed). Once the
        # workers are through, the excerpt rides along, and the heap is trimmed after the
        # batch (the pages the parses dirtied go back).
        fake = FakeProvider(text="return 1\n")
        try:
            s = self.server(env={"UNDERSTUDY_TEST_BUILD_DELAY_MS": "20"},
                            args=["--log-level", "debug"])
            cfg = {"providers": [{"name": "gw", "kind": "openai-compatible", "model": "m",
                                  "base_url": fake.base_url + "/v1"}],
                   "completion": {"deadline_ms": 3000, "hedge_ms": 0}, "cache": {"entries": 0}}
            s.initialize(init_options=cfg)
            for i in range(30):
                # Over 8 KB (not parsed on the loop); the batch's parses free well over the
                # 1 MB the heap upkeep trims at the least.
                body = python_source(1200, 100 + i)
                s.open("file:///w/other/lib_%d.py" % i,
                       body + "\ndef only_in_lib_%d(x):\n    return x * %d\n" % (i, i))
            uri = "file:///w/other/main.py"
            s.open(uri, "def run():\n    y = only_in_lib_3(2)\n    ")
            _, took = inline(s, uri, {"line": 2, "character": 4})
            first = strings_of(model_requests(fake)[-1].get("json"))
            check("def only_in_lib_3" not in first,
                  "the first request waited for the other files' parse")
            check(took < 2.5, "first completion took %.2f s" % took)
            # Thirty parses one after another on one worker: ~1.5 s under ASan on a quiet
            # machine, 6-12 s with both cores busy (measured); the bound is generous.
            # Every request since is looked at, not only the last: on a loaded machine the fake
            # can answer late, the breaker open, and a health probe be the newest request.
            deadline = time.time() + 60
            sent = False
            while time.time() < deadline and not sent:
                time.sleep(0.5)
                inline(s, uri, {"line": 2, "character": 4})
                sent = any("def only_in_lib_3" in strings_of(q.get("json"))
                           for q in model_requests(fake)[1:])
            check(sent, "the excerpt never came")
            # The rest of the batch may still be out on a busy machine: wait for it (generous).
            # A sanitizer's allocator replaces glibc's: nothing to trim there.
            if sanitized(BIN):
                eq(s.shutdown_and_exit(), 0)
                return
            trims = []
            deadline = time.time() + 30
            while time.time() < deadline and not trims:
                time.sleep(0.25)
                s.text(uri)  # a round trip: every log line sent before it has arrived
                trims = [m for m in s.notifications_of("window/logMessage")
                         if "trim:" in m["params"]["message"]]
            check(trims, "no trim after the batch of definitions")
            eq(s.shutdown_and_exit(), 0)
        finally:
            fake.stop()

    def test_loop_responsive_while_indexing_large_tree(self):
        root = "/usr"
        if not os.path.isdir(root):
            print("  (no %s; skipped)" % root)
            return
        s = self.server()
        s.initialize(root="file://" + root)
        uri = "file:///w/probe.py"
        s.open(uri, "import os\n")
        worst, probes, scanning_seen = 0.0, 0, 0
        t_end = time.time() + 60
        while time.time() < t_end:
            t0 = time.perf_counter()
            eq(s.text(uri)["text"], "import os\n")
            worst = max(worst, (time.perf_counter() - t0) * 1000)
            probes += 1
            st = s.request("understudy/localStats")["result"]
            if not st["scanning"]:
                break
            scanning_seen += 1
            time.sleep(0.01)
        print("  %d probes while indexing, worst %.1f ms; %r" % (scanning_seen, worst, st))
        check(scanning_seen >= 3, "the index should take a while on %s" % root)
        check(not st["scanning"], "indexing %s did not finish within 60 s" % root)
        # Generous: the machine may be busy; what matters is that no batch runs on the loop.
        check(worst < 500, "documentText took %.0f ms while indexing" % worst)
        check(st["files"] > 0 and st["distinct"] > 0, st)
        check(st["distinct"] <= 150000 and st["memory"] <= 8 << 20, st)
        eq(s.shutdown_and_exit(), 0)


if __name__ == "__main__":
    FirstUse().run()
