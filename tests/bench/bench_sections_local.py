"""Sections startup, memory, local, quality, localperf and privacy of run.py (the server
process and its local engine): spawn-to-initialize against an exec floor, RSS idle, after many
requests and with many open documents, the local completion engine on a 10,000-line file with
the syntax reparse and the cache, the held-out quality benchmark, first use and a big workspace
(localperf.py), and the masking cost. LocalSections is mixed into run.py's Bench. Standard
library only.
"""
import json
import os
import subprocess
import time

import benchlib
from benchlib import summarize_runs, percentile, median
from fakeclient import FakeProvider
from bench_helpers import (SRC, SUGGESTION, Doc, Understudy, config, fmt_lat, inline_source,
                           model_requests, provider, python_source)


class LocalSections:
    """Bench's sections 2 (start-up, memory), 4 (local engine, cache), 4b (quality, privacy)
    and 4c (localperf)."""

    # ---------------------------------------------------------------- 2. start-up
    def startup(self):
        res = self.results.setdefault("startup", {})
        k = self.n(40, 3)
        times = []
        for _ in range(k):
            us = Understudy(self)
            times.append(us.init_ms)
            us.close()
        res["initialize_ms"] = {"median": median(times), "p95": percentile(times, 95),
                                "min": min(times), "runs": k}
        S = "2. start-up and memory"
        if os.access(self.exec_floor, os.X_OK):
            fl = []
            for _ in range(k):
                t0 = time.perf_counter()
                subprocess.run([self.exec_floor])
                fl.append((time.perf_counter() - t0) * 1000)
            out = subprocess.run([self.exec_floor, "--rss"], capture_output=True, text=True)
            try:
                rss = int(out.stdout.split()[1]) / 1024.0
            except (IndexError, ValueError):
                rss = None
            res["exec_floor_ms"] = {"median": median(fl), "min": min(fl), "runs": k}
            res["exec_floor_rss_mb"] = rss
            self.row(S, "floor: spawn to exit of a no-op linked with libcurl",
                     "median %.2f ms  p95 %.2f ms  min %.2f ms  (RSS %s MB)" %
                     (median(fl), percentile(fl, 95), min(fl),
                      "%.1f" % rss if rss is not None else "?"))
        self.row(S, "spawn to initialize response (%d runs)" % k,
                 "median %.2f ms  p95 %.2f ms  min %.2f ms" %
                 (median(times), percentile(times, 95), min(times)),
                 "< 10 ms", median(times) < 10)
        cp = self.results.get("roundtrip", {}).get("copilot") or {}
        if cp.get("available"):
            self.row(S, "  Copilot spawn to initialize response (1 run)",
                     "%.0f ms" % cp["initialize_ms"])

    @staticmethod
    def rss_split(us):
        """(private, file-backed) MB: the heap and other private pages, and the pages of the
        binary and its shared libraries (the latter is mostly what libcurl's dependencies
        cost, see the exec floor)."""
        anon = benchlib._status_kb(us.lsp.pid, "RssAnon")
        files = benchlib._status_kb(us.lsp.pid, "RssFile")
        return (anon / 1024.0 if anon is not None else None,
                files / 1024.0 if files is not None else None)

    @staticmethod
    def fmt_split(split):
        anon, files = split
        if anon is None or files is None:
            return ""
        return "  [private %.1f, file-backed %.1f]" % (anon, files)

    def memory(self):
        res = self.results.setdefault("memory", {})
        S = "2. start-up and memory"
        ndocs, nlines = self.n(100, 10), 1000
        nreq = self.n(10000, 100)
        # The server returns free heap pages once it has been quiet for 200 ms: readings are
        # taken after a pause longer than that, as an editor's session has between bursts.
        quiet = 0.3
        with FakeProvider(mode="healthy", text=SUGGESTION) as fake:
            us = Understudy(self, config([provider("fake", fake.base_url)]))
            us.lsp.pump(quiet)
            idle, idle_split = us.rss_mb(), self.rss_split(us)
            # Requests first, on one small document: growth here is per request, not per file.
            doc = Doc(us, "mem")
            t0 = time.perf_counter()
            bad = 0
            for _ in range(nreq):
                _, r = doc.fresh_inline()
                bad += inline_source(r) != "fake"
            req_s = time.perf_counter() - t0
            after = us.rss_mb()
            hwm = benchlib.hwm_mb(us.lsp.pid)
            after_split = self.rss_split(us)
            t0 = time.perf_counter()
            uris = ["file:///tmp/understudy-bench/mem/module_%d.py" % i for i in range(ndocs)]
            for i, uri in enumerate(uris):
                us.open(uri, python_source(nlines, i))
            us.lsp.request("understudy/documentText", {"textDocument": {"uri": uris[-1]}})
            open_ms = (time.perf_counter() - t0) * 1000
            us.lsp.pump(quiet)
            with_docs, docs_split = us.rss_mb(), self.rss_split(us)
            # The same round trip as section 1, now with every document open. The first
            # request also builds what completions read from other documents (their
            # definitions, the word index).
            lat = [doc.fresh_inline()[0] for _ in range(self.n(50, 5))]
            # Definitions of files holding no tree are read on a worker, one file at a time
            # (about a second for these 100): the reading is taken once that is done, and the
            # highest reading meanwhile is kept too.
            reading_peak = 0.0
            for _ in range(20):
                us.lsp.pump(0.1)
                reading_peak = max(reading_peak, us.rss_mb())
            us.lsp.pump(quiet)
            after_use = us.rss_mb()
            # Breakdown: the same texts without a grammar (no syntax trees, no definitions),
            # then nothing open at all.
            for uri in uris:
                us.lsp.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            plain = [uri[:-3] + ".txt" for uri in uris]
            for i, uri in enumerate(plain):
                us.open(uri, python_source(nlines, i), language="plaintext")
            us.lsp.request("understudy/documentText", {"textDocument": {"uri": plain[-1]}})
            us.lsp.pump(quiet)
            plain_rss = us.rss_mb()
            for uri in plain:
                us.lsp.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            us.lsp.request("understudy/documentText", {"textDocument": {"uri": doc.uri}})
            us.lsp.pump(quiet)
            closed = us.rss_mb()
            us.close()
        text_mb = ndocs * len(python_source(nlines, 0)) / 1e6
        res.update({"idle_rss_mb": idle, "requests": nreq, "after_requests_rss_mb": after,
                    "peak_rss_mb_after_requests": hwm, "requests_per_s": nreq / req_s,
                    "not_served_by_fake": bad, "docs": ndocs, "lines_per_doc": nlines,
                    "docs_text_mb": text_mb, "open_docs_ms": open_ms,
                    "with_docs_rss_mb": with_docs, "with_docs_after_use_rss_mb": after_use,
                    "with_docs_reading_peak_rss_mb": reading_peak,
                    "plain_docs_rss_mb": plain_rss, "docs_closed_rss_mb": closed,
                    "private_file_backed_mb": {"idle": idle_split, "after_requests": after_split,
                                               "with_docs": docs_split},
                    "inline_with_docs": {"p50_ms": median(lat), "p95_ms": percentile(lat, 95)}})
        self.row(S, "RSS idle (after initialize, one provider)",
                 "%.1f MB" % idle + self.fmt_split(idle_split), "< 10 MB", idle < 10)
        self.row(S, "RSS after %d inlineCompletion requests" % nreq,
                 "%.1f MB (peak %.1f MB, %.0f req/s)" % (after, hwm or 0, nreq / req_s) +
                 self.fmt_split(after_split))
        self.row(S, "RSS with %d open documents of %d lines (%.1f MB of text)" %
                 (ndocs, nlines, text_mb), "%.1f MB (opened in %.0f ms)" % (with_docs, open_ms) +
                 self.fmt_split(docs_split), "< 20 MB", with_docs < 20)
        self.row(S, "  after completions read them (definitions, word index)",
                 "%.1f MB (up to %.1f MB while workers read them)" % (after_use, reading_peak),
                 "<= 20 MB", after_use <= 20)
        self.row(S, "  the same texts as plain text (no grammar: no trees)", "%.1f MB" % plain_rss)
        self.row(S, "  all of them closed again", "%.1f MB" % closed)
        self.row(S, "inlineCompletion round trip with those documents open",
                 "p50 %7.3f ms  p95 %7.3f ms" % (median(lat), percentile(lat, 95)))
        cp = self.results.get("roundtrip", {}).get("copilot") or {}
        if cp.get("available"):
            self.row(S, "  Copilot RSS after its benchmark", "%.0f MB" % cp["rss_mb"])

    # ---------------------------------------------------------------- 4. local engine, cache
    def local(self):
        res = self.results.setdefault("local", {})
        S = "4. local engine (10,000-line file), cache"
        lines = self.n(10000, 2000)
        n = self.n(150, 20)
        text = python_source(lines, 7)
        rows = text.split("\n")
        us = Understudy(self)
        uri = "file:///tmp/understudy-bench/big.py"
        t0 = time.perf_counter()
        us.open(uri, text)
        # The tree is built when first needed: the first completion pays the full parse.
        us.completion(uri, 0, 0)
        open_ms = (time.perf_counter() - t0) * 1000
        # Cursor spots: a class name, a member after '.', a local variable.
        spots = []
        for i, ln in enumerate(rows):
            if ln.startswith("    shape = Sh"):
                spots.append((i, 14))
            elif ln.startswith("    result = shape.ar"):
                spots.append((i, 22))
            elif ln == "        return total":
                spots.append((i, 17))
        returns = [i for i, ln in enumerate(rows) if ln == "        return total"]
        ends = [(i, len(ln)) for i, ln in enumerate(rows) if ln.startswith("        self.height")]
        comp_runs, inline_runs, edit_runs = [], [], []
        empty = 0
        step = max(1, len(spots) // n)
        for run in range(self.runs):
            comp, inl, edit = [], [], []
            for j in range(n):
                line, col = spots[(j * step + run) % len(spots)]
                ms, r = us.completion(uri, line, col)
                res_ = r.get("result") or {}
                items = res_.get("items") if isinstance(res_, dict) else res_
                empty += not items
                comp.append(ms)
                line, col = ends[(j * 7 + run) % len(ends)]
                ms, _ = us.inline(uri, line, col)
                inl.append(ms)
                # Typing in the big file: one character changes, then the popup is asked for.
                line = returns[(j * 13 + run) % len(returns)]
                now = "        return tot" if (j + run) % 2 == 0 else "        return total"
                us.replace_line(uri, line, len(rows[line]), now)
                rows[line] = now
                ms, _ = us.completion(uri, line, len(now))
                edit.append(ms)
            comp_runs.append(comp)
            inline_runs.append(inl)
            edit_runs.append(edit)
        us.close()
        c, i_, e = summarize_runs(comp_runs), summarize_runs(inline_runs), summarize_runs(edit_runs)
        res.update({"lines": lines, "open_ms": open_ms, "completion": c, "inline_local": i_,
                    "edit_then_completion": e, "empty_completion_lists": empty})
        self.row(S, "open a %d-line file and ask a completion (full parse)" % lines,
                 "%.1f ms" % open_ms)
        self.row(S, "textDocument/completion, no providers", fmt_lat(c, p99=True),
                 "p99 < 5 ms", c["p99_ms"] < 5)
        self.row(S, "inlineCompletion, no providers (local ghost text)", fmt_lat(i_, p99=True))
        self.row(S, "didChange (1 char) + completion", fmt_lat(e, p99=True))
        if empty:
            self.row(S, "  empty completion lists", "%d of %d" % (empty, n * self.runs))
        self.syntax_bench(S, res)
        self.cache_rows(S, res)

    def quality(self):
        """The local engine's quality (issue 17) on the held-out half of the corpus of installed
        Debian files (tests/bench/local/corpus.manifest), next to the naive baseline computed on
        the same samples. Smoke: 20 samples per language, no typing latency."""
        S = "4b. local engine quality (held-out half, no providers)"
        res = self.results.setdefault("quality", {})
        if not os.access(self.quality_bin, os.X_OK):
            self.row(S, "local_quality", "not built")
            return
        args = ["--split", "test", "--json", "-"] + (
            ["--samples", "20", "--keys", "0"] if self.smoke else ["--keys", "0"])
        try:
            p = subprocess.run([self.quality_bin] + args, capture_output=True, text=True,
                               timeout=self.n(1800, 300), cwd=SRC)
        except subprocess.TimeoutExpired as e:
            self.row(S, "local_quality", "timed out after %d s" % e.timeout, "", False)
            return
        if p.returncode == 77:
            self.row(S, "local_quality", "corpus missing (skipped)")
            return
        js = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not js:
            self.row(S, "local_quality", "failed (exit %d): %s" %
                     (p.returncode, (p.stderr or p.stdout)[-200:].strip()), "", False)
            return
        d = json.loads(js[-1])
        res.update(d)
        t = d["table"]
        self.row(S, "popup: identifier in the top 5 (naive %.1f %%)" % t["popup_top5_naive"],
                 "%.1f %%" % t["popup_top5"], ">= 98.5 %", t["popup_top5"] >= 98.5)
        self.row(S, "popup: identifier first (naive %.1f %%)" % t["popup_first_naive"],
                 "%.1f %%" % t["popup_first"], ">= 85 %", t["popup_first"] >= 85)
        self.row(S, "shell scripts, first (naive %.1f %%)" % t["shell_first_naive"],
                 "%.1f %%" % t["shell_first"], ">= 75 %", t["shell_first"] >= 75)
        self.row(S, "ghost text shown (after a non-word character)",
                 "%.1f %%" % t["ghost_shown"], ">= 60 %", t["ghost_shown"] >= 60)
        self.row(S, "ghost text: first token right, when shown (trigram %.1f %% of all)"
                 % t["trigram_next_token"], "%.1f %%" % t["ghost_first_token"], ">= 70 %",
                 t["ghost_first_token"] >= 70)
        self.row(S, "ghost text: rest of line exact, when shown", "%.1f %%" % t["ghost_exact"],
                 ">= 35 %", t["ghost_exact"] >= 35)
        for lang, v in sorted(d.get("languages", {}).items()):
            self.row(S, "  %s: popup first %.1f %% (naive %.1f), top 5 %.1f %%; ghost shown "
                     "%.1f %%" % (lang, v["popup_first"], v["naive_first"], v["popup_top5"],
                                  v["ghost_shown"]),
                     "learning: exact %.1f -> %.1f %% of all" % (v["learn_exact_without"],
                                                                v["learn_exact_with"]))
            if v.get("missing_files"):
                self.row(S, "    %s: %d corpus files not installed on this machine" %
                         (lang, v["missing_files"]), "figures not comparable")

    def localperf(self):
        """First completion after didOpen, RSS with a large workspace root (localperf.py)."""
        import localperf
        localperf.run(self, Understudy, python_source)

    def privacy(self):
        """Masking cost per completion (issue 15): a 10,000-line file with 50 secrets, masked
        whole for a new version (what the first completion after an edit pays) and looked up
        for the same version (what every other completion pays); target under 2 ms."""
        S = "4d. privacy: masking per completion (10,000-line file, 50 secrets)"
        res = self.results.setdefault("privacy", {})
        if not os.access(self.privacy_bin, os.X_OK):
            self.row(S, "masking (bench_privacy)", "not built")
            return
        args = ["--iterations", str(self.n(200, 10)), "--lines", "10000", "--secrets", "50"]
        p = subprocess.run([self.privacy_bin] + args, capture_output=True, text=True,
                           timeout=self.n(300, 60), cwd=SRC)
        js = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not js:
            self.row(S, "masking (bench_privacy)", "failed (exit %d): %s" %
                     (p.returncode, (p.stderr or p.stdout)[-200:].strip()), "", False)
            return
        d = json.loads(js[-1])
        res.update(d)
        target = d.get("target_ms", 2)
        self.row(S, "mask the whole document, new version (%d lines, %d bytes, %d masked)"
                 % (d["lines"], d["bytes"], d["masked"]),
                 "p50 %.3f ms  p99 %.3f ms" % (d["first_p50_ms"], d["first_p99_ms"]),
                 "p50 < %s ms" % target, d["first_p50_ms"] < target)
        self.row(S, "a keystroke: new version, only the changed line scanned again",
                 "p50 %.3f ms  p99 %.3f ms" % (d["keystroke_p50_ms"], d["keystroke_p99_ms"]),
                 "p99 < %s ms" % target, d["keystroke_p99_ms"] < target)
        self.row(S, "same version again (cached per document version)",
                 "p50 %.4f ms  p99 %.4f ms" % (d["cached_p50_ms"], d["cached_p99_ms"]),
                 "p99 < %s ms" % target, d["cached_p99_ms"] < target)
        self.row(S, "no version (CLI): cached by content hash",
                 "p50 %.4f ms  p99 %.4f ms" % (d["hashed_p50_ms"], d["hashed_p99_ms"]),
                 "p99 < %s ms" % target, d["hashed_p99_ms"] < target)

    def syntax_bench(self, S, res):
        if not os.access(self.syntax, os.X_OK):
            self.row(S, "syntax reparse (bench_syntax)", "not built")
            return
        args = ["--iterations", "20", "--lines", "2000"] if self.smoke else \
            ["--iterations", "200"]
        try:
            p = subprocess.run([self.syntax] + args, capture_output=True, text=True,
                               timeout=self.n(600, 120), cwd=SRC)
        except subprocess.TimeoutExpired as e:
            self.row(S, "syntax reparse (bench_syntax %s)" % " ".join(args),
                     "timed out after %d s" % e.timeout, "", False)
            return
        js = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if not js:
            self.row(S, "syntax reparse (bench_syntax)", "failed (exit %d): %s" %
                     (p.returncode, (p.stderr or p.stdout)[-200:].strip()), "", False)
            return
        data = json.loads(js[-1])
        res["syntax"] = data
        for r in data.get("results", []):
            met = r.get("p99_ms") is not None and r["p99_ms"] < data.get("target_p99_ms", 2)
            what = {"reparse": "reparse after a 1-char edit",
                    "analyze": "cursor analysis after the edit"}.get(r.get("op"), r.get("op"))
            self.row(S, "syntax: %s, %s (%d lines)" % (what, r["language"], r["lines"]),
                     "p50 %.3f ms  p99 %.3f ms" % (r["p50_ms"], r["p99_ms"]),
                     "p99 < %s ms" % data.get("target_p99_ms", 2), met)

    def cache_rows(self, S, res):
        n = self.n(100, 10)
        with FakeProvider(mode="healthy", text=SUGGESTION) as fake:
            us = Understudy(self, config([provider("fake", fake.base_url)]))
            doc = Doc(us, "cache")
            doc.fresh_inline()
            hit_runs, type_runs = [], []
            misses = 0
            typed_ok = 0
            for _ in range(self.runs):
                hits, typing = [], []
                for _ in range(n):
                    doc.fresh_inline()                      # miss: fills the cache
                    before = model_requests(fake)
                    ms, r = us.inline(doc.uri, 2, 4)        # same spot again: exact hit
                    hits.append(ms)
                    # Type the suggestion's first characters: served from the same entry.
                    typed = ""
                    for ch in "retu":
                        us.replace_line(doc.uri, 2, 4 + len(typed), "    " + typed + ch)
                        typed += ch
                        ms, r = us.inline(doc.uri, 2, 4 + len(typed))
                        typing.append(ms)
                        items = (r.get("result") or {}).get("items") or []
                        typed_ok += bool(items) and SUGGESTION.strip().endswith(
                            items[0].get("insertText", "").strip() or "\0")
                    us.replace_line(doc.uri, 2, 4 + len(typed), "    ")
                    after = model_requests(fake)
                    misses += after - before
                hit_runs.append(hits)
                type_runs.append(typing)
            us.close()
        h, t = summarize_runs(hit_runs), summarize_runs(type_runs)
        total_typed = 4 * n * self.runs
        res.update({"cache_hit": h, "typing_through": t, "provider_requests_on_hits": misses,
                    "typing_through_served": typed_ok, "typing_through_total": total_typed})
        self.row(S, "cache hit (same spot asked again)", fmt_lat(h))
        self.row(S, "typing-through (didChange + inlineCompletion)", fmt_lat(t) +
                 "  %d/%d served from cache" % (typed_ok, total_typed))
        self.row(S, "  provider requests made by hits and typing", str(misses), "0",
                 misses == 0)
