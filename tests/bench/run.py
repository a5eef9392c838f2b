#!/usr/bin/env python3
"""The benchmark suite behind `make bench`: Understudy against the physical floor (a raw HTTP
request from libcurl) and against GitHub's Copilot language server, start-up and memory,
failover costs, the local engine, and the outage drill. Prints a table, writes JSON.

    python3 tests/bench/run.py [BUILD] [--smoke] [--json PATH] [--runs N] [--no-copilot]
                               [--only roundtrip,startup,memory,failover,local,quality,localperf,privacy,drill,recovery,tls]

Every latency row is measured in several runs; the figure shown is the median over runs of
each run's percentile. --smoke runs a few iterations of everything except Copilot (for
`make test`, so the benchmark cannot rot). Standard library only.
"""
import argparse
import glob
import json
import os
import socket
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "copilot"))
sys.path.insert(0, os.path.join(SRC, "tests", "fakes"))
import benchlib  # noqa: E402
from benchlib import Lsp, LspError, summarize_runs, percentile, median  # noqa: E402
from fakeclient import FakeProvider  # noqa: E402

SUGGESTION = "return a + b\n"
SECTIONS = ["roundtrip", "startup", "memory", "failover", "local", "quality", "localperf",
            "privacy", "drill", "recovery", "tls"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ Understudy helpers
class Understudy:
    """build/understudy over stdio with a lean client; never reads the user's configuration."""

    def __init__(self, bench, init_options=None, capabilities=None, env_extra=None):
        env = dict(os.environ)
        env.update(env_extra or {})
        env["XDG_CONFIG_HOME"] = os.path.join(bench.tmp, "no-config")
        env.pop("UNDERSTUDY_CONFIG", None)
        self.lsp = Lsp([bench.binary], env=env, cwd=bench.tmp,
                       stderr=open(os.path.join(bench.tmp, "understudy-stderr.log"), "ab"))
        t0 = self.lsp.t_spawn
        params = {"processId": os.getpid(), "rootUri": None,
                  "capabilities": capabilities or {
                      "general": {"positionEncodings": ["utf-8", "utf-16"]},
                      "textDocument": {"completion": {"completionItem": {
                          "snippetSupport": True, "labelDetailsSupport": True}},
                          "inlineCompletion": {}}}}
        if init_options is not None:
            params["initializationOptions"] = init_options
        r = self.lsp.request("initialize", params, timeout=30)
        self.init_ms = (time.perf_counter() - t0) * 1000
        if "error" in r:
            raise RuntimeError("initialize failed: %s" % r["error"])
        self.lsp.notify("initialized", {})
        self.versions = {}

    def open(self, uri, text, language="python"):
        self.versions[uri] = 1
        self.lsp.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": 1, "text": text}})

    def replace_line(self, uri, line, old_len, text):
        self.versions[uri] += 1
        self.lsp.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": self.versions[uri]},
            "contentChanges": [{"range": {"start": {"line": line, "character": 0},
                                          "end": {"line": line, "character": old_len}},
                                "text": text}]})

    def inline(self, uri, line, col, trigger=1):
        t0 = time.perf_counter()
        r = self.lsp.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": col},
            "context": {"triggerKind": trigger}})
        return (time.perf_counter() - t0) * 1000, r

    def completion(self, uri, line, col):
        t0 = time.perf_counter()
        r = self.lsp.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": col},
            "context": {"triggerKind": 1}})
        return (time.perf_counter() - t0) * 1000, r

    def status(self):
        r = self.lsp.request("workspace/executeCommand", {"command": "understudy.status",
                                                          "arguments": []})
        return r.get("result") or {}

    def rss_mb(self):
        return benchlib.rss_mb(self.lsp.pid, tree=False)

    def close(self):
        self.lsp.close()


def inline_source(r):
    items = (r.get("result") or {}).get("items") or []
    if not items:
        return None
    try:
        return items[0]["command"]["arguments"][0]["source"]
    except (KeyError, IndexError, TypeError):
        return None


def provider(name, base_url, **extra):
    entry = {"name": name, "kind": "openai-compatible", "model": "fake-model",
             "base_url": base_url + "/v1"}
    entry.update(extra)
    return entry


def config(providers, breaker=None, **completion):
    comp = {"deadline_ms": 1500, "popup_budget_ms": 150, "hedge_ms": 200}
    comp.update(completion)
    return {"providers": providers, "completion": comp,
            "breaker": breaker or {"failures": 3, "cooldown_ms": 5000}}


def model_requests(fake):
    """Requests that reached a fake's model endpoints (its request log left out)."""
    return fake._call("/_stats?log=0")["requests_total"]


def unused_port():
    """A port nobody listens on: bind, read the number, close (connect() then gets refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Doc:
    """A small document whose second line carries a counter, so each request has a prefix
    never seen before (no cache hit) while the text at the cursor stays the same."""
    HEAD = "def add(a, b):\n"

    def __init__(self, us, name="bench"):
        self.us = us
        self.uri = "file:///tmp/understudy-bench/%s-%d.py" % (name, id(self))
        self.n = 0
        us.open(self.uri, self.HEAD + self._line(0) + "\n    ")

    @staticmethod
    def _line(n):
        return "    # request %d" % n

    def bump(self):
        old = len(self._line(self.n))
        self.n += 1
        self.us.replace_line(self.uri, 1, old, self._line(self.n))

    def fresh_inline(self, trigger=1):
        self.bump()
        return self.us.inline(self.uri, 2, 4, trigger)


# ------------------------------------------------------------------ generated source
def python_source(lines, seed=0):
    out = ["import os", "import sys", "from collections import defaultdict", ""]
    k = 0
    while len(out) < lines:
        k += 1
        out += ["class Shape%d_%d:" % (seed, k),
                '    """Shape number %d of module %d."""' % (k, seed),
                "    def __init__(self, width, height):",
                "        self.width = width",
                "        self.height = height",
                "",
                "    def area_%d(self):" % k,
                "        total = self.width * self.height + %d" % k,
                "        return total",
                "",
                "def make_shape_%d(width, height):" % k,
                "    shape = Shape%d_%d(width, height)" % (seed, k),
                "    result = shape.area_%d()" % k,
                "    return result",
                "", ""]
    return "\n".join(out[:lines]) + "\n"


# ------------------------------------------------------------------ the suite
class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.binary = os.path.join(self.build, "understudy")
        self.floor = os.path.join(self.build, "tests", "bench", "floor", "floor")
        self.syntax = os.path.join(self.build, "tests", "bench", "syntax", "bench_syntax")
        self.quality_bin = os.path.join(self.build, "tests", "bench", "local", "local_quality")
        self.privacy_bin = os.path.join(self.build, "tests", "bench", "privacy", "bench_privacy")
        self.exec_floor = os.path.join(self.build, "tests", "bench", "floor", "exec_floor")
        self.tmp = tempfile.mkdtemp(prefix="understudy-bench-")
        self.smoke = args.smoke
        self.runs = args.runs or (1 if self.smoke else 5)
        self.rows = []       # (section, name, value text, target text, met)
        self.results = {}

    def n(self, full, smoke):
        return smoke if self.smoke else full

    def row(self, section, name, value, target="", met=None, extra=None):
        self.rows.append({"section": section, "name": name, "value": value, "target": target,
                          "met": met, **(extra or {})})

    # ---------------------------------------------------------------- 1. round trip
    def roundtrip(self):
        res = self.results.setdefault("roundtrip", {})
        n = self.n(300, 20)
        warm = self.n(30, 5)
        with FakeProvider(mode="healthy", text=SUGGESTION) as fake:
            us = Understudy(self, config([provider("fake", fake.base_url)]))
            doc = Doc(us)
            first_ms, r = doc.fresh_inline()
            if inline_source(r) != "fake":
                raise RuntimeError("round trip: the fake did not serve: %s" % json.dumps(r)[:300])
            for _ in range(warm):
                doc.fresh_inline()
            # The exact request Understudy sends, replayed by the floor client.
            req = [q for q in fake.requests() if not q["path"].startswith("/_")][-1]
            body_path = os.path.join(self.tmp, "floor-body.json")
            with open(body_path, "w") as f:
                f.write(req["body"])
            skip = {"host", "content-length", "expect", "transfer-encoding", "connection"}
            hdrs = []
            for k, v in req["headers"]:
                if k.lower() not in skip:
                    hdrs += ["--header", "%s: %s" % (k, v)]
            floor_cmd = [self.floor, "--url", fake.base_url + req["path"], "--body", body_path,
                         "--iterations", str(n), "--warmup", str(warm)] + hdrs
            us_runs, echo_runs, floor_runs = [], [], []
            bad = 0
            connects = 0
            before = fake._call("/_stats?log=0")["connections_accepted"]
            # Interleave the servers' runs so a drift of the machine hits both alike.
            for _ in range(self.runs):
                samples = []
                for _ in range(n):
                    ms, r = doc.fresh_inline()
                    bad += inline_source(r) != "fake"
                    samples.append(ms)
                us_runs.append(samples)
                echo = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    us.lsp.request("understudy/benchEcho", {})
                    echo.append((time.perf_counter() - t0) * 1000)
                echo_runs.append(echo)
                p = subprocess.run(floor_cmd, capture_output=True, text=True, timeout=300)
                if p.returncode != 0:
                    raise RuntimeError("floor failed: %s" % p.stderr[-500:])
                out = json.loads(p.stdout.strip().splitlines()[-1])
                floor_runs.append([us_ / 1000.0 for us_ in out["samples_us"]])
                connects += out["connects"]
            us_conns = fake._call("/_stats?log=0")["connections_accepted"] - before - self.runs
            rss = us.rss_mb()
            us.close()
        u, e, fl = summarize_runs(us_runs), summarize_runs(echo_runs), summarize_runs(floor_runs)
        added = u["p50_ms"] - fl["p50_ms"]
        res.update({"understudy": u, "lsp_echo": e, "floor": fl, "first_request_ms": first_ms,
                    "added_p50_ms": added, "added_p95_ms": u["p95_ms"] - fl["p95_ms"],
                    "understudy_rss_mb": rss, "not_served_by_fake": bad,
                    "floor_new_connections": connects,
                    "understudy_new_connections_during_runs": max(us_conns, 0)})
        S = "1. inlineCompletion round trip (instant fake)"
        self.row(S, "floor: libcurl easy, keep-alive, same request", fmt_lat(fl))
        self.row(S, "Understudy over stdio (LSP client in Python)", fmt_lat(u) +
                 "  RSS %.1f MB" % rss)
        self.row(S, "  of which LSP echo (pipe + JSON, no network)", fmt_lat(e))
        self.row(S, "  added over the floor", "p50 %+.3f ms  p95 %+.3f ms" %
                 (added, u["p95_ms"] - fl["p95_ms"]), "< 1 ms at p50", added < 1.0)
        self.row(S, "  first request, sent with the didOpen (connection set-up)",
                 "%.2f ms" % first_ms)
        # The same in new processes, the first keystroke 0.3 s after the file opened (the
        # grammar's queries compile on a worker meanwhile), against a later completion of
        # the same process after the same pause.
        with FakeProvider(mode="healthy", text=SUGGESTION) as fake:
            firsts, laters = [], []
            for _ in range(self.n(5, 1)):
                p2 = Understudy(self, config([provider("fake", fake.base_url)]))
                d2 = Doc(p2, "first")
                p2.lsp.pump(0.3)
                firsts.append(d2.fresh_inline()[0])
                p2.lsp.pump(0.3)
                laters.append(d2.fresh_inline()[0])
                p2.close()
        res["first_after_pause_ms"], res["later_after_pause_ms"] = firsts, laters
        self.row(S, "  first request of a new process, 0.3 s after the didOpen",
                 "median %.2f ms  (a later one after the same pause: %.2f ms)" %
                 (median(firsts), median(laters)))
        if bad:
            self.row(S, "  answers not from the fake", str(bad), "0", False)
        if self.args.no_copilot or self.smoke:
            res["copilot"] = {"available": False, "reason": "skipped (--smoke or --no-copilot)"}
            self.row(S, "Copilot language server", "skipped (%s)" %
                     ("--smoke" if self.smoke else "--no-copilot"))
            return
        self.copilot_rows(S, res, u, rss)

    def copilot_rows(self, S, res, u, us_rss):
        import copilot
        c = mock = None
        try:
            binary = copilot.ensure_installed(log=log)
            mock = copilot.Mock(SUGGESTION)
            c = copilot.Copilot(binary, mock, self.tmp)
            c.start()
            for i in range(1, 6):
                c.complete(i)
            k = 6
            runs, bad = [], 0
            nc = 40
            for _ in range(self.runs):
                samples = []
                for _ in range(nc):
                    ms, text, err = c.complete(k)
                    k += 1
                    bad += (text or "").strip() != SUGGESTION.strip()
                    samples.append(ms)
                runs.append(samples)
            auto = []
            for _ in range(10):
                ms, _, _ = c.complete(k, trigger=2)
                k += 1
                auto.append(ms)
            rss = c.rss_mb()
            cp = summarize_runs(runs)
            res["copilot"] = {"available": True, "version": copilot.version(), "invoked": cp,
                              "automatic_p50_ms": median(auto), "rss_mb": rss,
                              "initialize_ms": c.init_ms, "wrong_answers": bad}
            speed = cp["p50_ms"] / u["p50_ms"]
            mem = rss / us_rss
            res["ratios"] = {"copilot_over_understudy_p50": speed,
                             "copilot_over_understudy_p95": cp["p95_ms"] / u["p95_ms"],
                             "copilot_over_understudy_rss": mem}
            self.row(S, "Copilot %s (native binary, mock endpoints)" % copilot.version(),
                     fmt_lat(cp) + "  RSS %.0f MB" % rss)
            self.row(S, "  Copilot, automatic trigger (its own debounce)",
                     "p50 %.1f ms" % median(auto))
            self.row(S, "  Copilot / Understudy, p50", "%.0fx" % speed, ">= 20x", speed >= 20)
            self.row(S, "  Copilot / Understudy, RSS", "%.0fx" % mem, ">= 20x", mem >= 20)
            if bad:
                self.row(S, "  Copilot answers not from the mock", str(bad), "0", False)
        except (copilot.Unavailable, LspError, OSError, RuntimeError) as e:
            res["copilot"] = {"available": False, "reason": str(e)}
            self.row(S, "Copilot language server", "unavailable: %s" % e)
        finally:
            if c is not None:
                c.stop()
            if mock is not None:
                mock.stop()

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
                 "%.1f MB" % after_use, "<= 20 MB", after_use <= 20)
        self.row(S, "  the same texts as plain text (no grammar: no trees)", "%.1f MB" % plain_rss)
        self.row(S, "  all of them closed again", "%.1f MB" % closed)
        self.row(S, "inlineCompletion round trip with those documents open",
                 "p50 %7.3f ms  p95 %7.3f ms" % (median(lat), percentile(lat, 95)))
        cp = self.results.get("roundtrip", {}).get("copilot") or {}
        if cp.get("available"):
            self.row(S, "  Copilot RSS after its benchmark", "%.0f MB" % cp["rss_mb"])

    # ---------------------------------------------------------------- 3. failover
    def failover(self):
        res = self.results.setdefault("failover", {})
        S = "3. failover (added cost over the secondary alone)"
        n = self.n(60, 5)
        runs = max(1, min(self.runs, 3))
        # The most the configuration accepts: the breaker stays closed through the whole row,
        # so every request really tries the primary first.
        never = {"failures": 1000, "cooldown_ms": 5000}
        default = {"failures": 3, "cooldown_ms": 5000}
        with FakeProvider(mode="healthy", text=SUGGESTION) as sec, \
                FakeProvider(mode="status_500") as bad500, \
                FakeProvider(mode="hang") as hang, \
                FakeProvider(mode="status_500") as tripped:
            secondary = provider("secondary", sec.base_url)
            dead = "http://127.0.0.1:%d" % unused_port()
            hung = [provider("primary", hang.base_url), secondary]
            # (key, label, providers, breaker, completion settings, warm-up, requests per run,
            #  runs, fake behind the primary)
            cases = [
                ("secondary_alone", "secondary alone", [secondary], never, {}, 3, n, runs,
                 None),
                ("refusing", "primary refusing connections",
                 [provider("primary", dead), secondary], never, {}, 3, n, runs, None),
                ("status_500", "primary answering 500",
                 [provider("primary", bad500.base_url), secondary], never, {}, 3, n, runs,
                 bad500),
                # The router spends hedges from a budget (about 5 at once, then one per ten
                # successes), so the hedged cost is measured on fresh servers, 5 requests each.
                ("hang_hedged", "primary never answering, hedged (hedge_ms 150)", hung, never,
                 {"hedge_ms": 150}, 0, 5, self.n(5, 1), hang),
                ("hang_sustained", "  same, 20 in a row, breaker held closed", hung, never,
                 {"hedge_ms": 150}, 0, self.n(20, 3), 1, hang),
                ("hang_default_breaker", "  same, 20 in a row, default breaker (3 failures)",
                 hung, default, {"hedge_ms": 150}, 0, self.n(20, 3), 1, hang),
                ("breaker_open", "primary's breaker open",
                 [provider("primary", tripped.base_url), secondary],
                 {"failures": 1, "cooldown_ms": 600000, "max_cooldown_ms": 600000}, {}, 3, n,
                 runs, tripped),
            ]
            base = None
            for key, name, provs, breaker, comp, warm, count, nruns, primary_fake in cases:
                all_runs, wrong, reached, tried, st = [], 0, 0, 0, {}
                for _ in range(nruns):
                    us = Understudy(self, config(provs, breaker, **comp))
                    doc = Doc(us, "failover")
                    for _ in range(warm):
                        doc.fresh_inline()    # warm connections; trips the breaker case
                    before = model_requests(primary_fake) if primary_fake else 0
                    st0 = self._primary_status(us)
                    samples = []
                    for _ in range(count):
                        ms, r = doc.fresh_inline()
                        wrong += inline_source(r) != "secondary"
                        samples.append(ms)
                    all_runs.append(samples)
                    st = self._primary_status(us)
                    tried += st.get("requests", 0) - st0.get("requests", 0)
                    if primary_fake is not None:
                        reached += model_requests(primary_fake) - before
                    us.close()
                s = summarize_runs(all_runs)
                measured = nruns * count
                entry = {"latency": s, "not_from_secondary": wrong, "requests": measured,
                         "primary_attempts": tried, "primary_status_at_end": st}
                if primary_fake is not None:
                    entry["requests_reaching_primary"] = reached
                if base is None:
                    base = s
                    self.row(S, name, fmt_lat(s))
                else:
                    added = s["p50_ms"] - base["p50_ms"]
                    entry["added_p50_ms"] = added
                    target, met, label = "", None, name
                    if key == "breaker_open":
                        target = "~0 (< 0.5 ms), no request to it"
                        met = added < 0.5 and st.get("state") == "open" and reached == 0
                        label = "%s (%d requests reached it)" % (name, reached)
                    elif key in ("refusing", "status_500", "hang_hedged"):
                        # Every measured request must have tried the primary first.
                        label = "%s (tried %d/%d)" % (name, tried, measured)
                        if tried < measured:
                            target, met = "primary tried on every request", False
                        if key == "refusing":
                            target, met = "< 5 ms", added < 5 and tried >= measured
                    else:
                        label = "%s (breaker %s)" % (name, st.get("state"))
                    self.row(S, label, fmt_lat(s) + "  added p50 %+.2f ms" % added, target, met)
                if wrong:
                    self.row(S, "  answers not from the secondary", str(wrong), "0", False)
                res[key] = entry

    @staticmethod
    def _primary_status(us):
        return next((p for p in us.status().get("providers", []) if p.get("name") == "primary"),
                    {})

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

    def localperf(self):
        """First completion after didOpen, RSS with a large workspace root (localperf.py)."""
        import localperf
        localperf.run(self, Understudy, python_source)

    def privacy(self):
        """Masking cost per completion (issue 15): a 10,000-line file with 50 secrets, masked
        whole for a new version (what the first completion after an edit pays) and looked up
        for the same version (what every other completion pays); target under 2 ms."""
        S = "4b. privacy: masking per completion (10,000-line file, 50 secrets)"
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

    # ---------------------------------------------------------------- 5. drill
    def drill(self):
        S = "5. outage drill"
        d = os.path.join(HERE, "drill")
        entry = None
        for cand in ("run.py", "drill.py", "bench_drill.py"):
            if os.path.exists(os.path.join(d, cand)):
                entry = os.path.join(d, cand)
                break
        if entry is None:
            cands = sorted(glob.glob(os.path.join(d, "*.py")))
            entry = cands[0] if cands else None
        if entry is None:
            self.results["drill"] = {"available": False, "reason": "tests/bench/drill/ not present"}
            self.row(S, "outage drill", "not available (tests/bench/drill/ not present)")
            return
        args = [sys.executable, entry, self.build] + (["--smoke"] if self.smoke else [])
        env = dict(os.environ, UNDERSTUDY_BIN=self.binary)
        p = subprocess.run(args, capture_output=True, text=True, timeout=900, env=env, cwd=SRC)
        js = [ln for ln in p.stdout.splitlines() if ln.strip().startswith("{")]
        data = None
        if js:
            try:
                data = json.loads(js[-1])
            except ValueError:
                data = None
        self.results["drill"] = {"available": True, "exit": p.returncode, "data": data,
                                 "stdout_tail": p.stdout[-2000:]}
        if p.returncode != 0 and data is None:
            self.row(S, "outage drill (%s)" % os.path.basename(entry), "failed (exit %d): %s" %
                     (p.returncode, (p.stderr or p.stdout)[-200:].strip()), "", False)
            return
        if isinstance(data, dict):
            flat = data.get("figures") if isinstance(data.get("figures"), dict) else data
            for k, v in flat.items():
                if isinstance(v, (int, float, str, bool)) or v is None:
                    self.row(S, k.replace("_", " "), str(v))
        else:
            for ln in p.stdout.strip().splitlines()[-12:]:
                self.row(S, ln.strip(), "")
        self.spike()

    def spike(self):
        """Latency-spike drill (drill/spike.py): hedging against 2-4 s spikes on 10 %."""
        S = "5. outage drill"
        entry = os.path.join(HERE, "drill", "spike.py")
        if not os.path.exists(entry):
            return
        args = [sys.executable, entry, self.build] + (["--smoke"] if self.smoke else [])
        env = dict(os.environ, UNDERSTUDY_BIN=self.binary)
        p = subprocess.run(args, capture_output=True, text=True, timeout=900, env=env, cwd=SRC)
        js = [ln for ln in p.stdout.splitlines() if ln.strip().startswith("{")]
        try:
            data = json.loads(js[-1]) if js else None
        except ValueError:
            data = None
        self.results["spike"] = {"exit": p.returncode, "data": data}
        if not data:
            self.row(S, "latency-spike drill", "failed (exit %d): %s" % (
                p.returncode, (p.stderr or p.stdout)[-200:].strip()), "", False)
            return
        al, he = data["spike"]["alone"], data["spike"]["hedged"]
        self.row(S, "spike drill p95: better provider alone / hedged pair",
                 "%s / %s ms" % (al["p95_ms"], he["p95_ms"]), "hedged <= 1/3",
                 None if self.smoke else data["p95_ratio"] <= 0.34)
        self.row(S, "spike drill extra requests (hedges)", "%.1f %%" % he["extra_requests_pct"],
                 "<= 20 %", None if self.smoke else he["extra_requests_pct"] <= 20)

    # ---------------------------------------------------------------- 6. recovery
    def recovery(self):
        """Outages of 30 s, 2 min and 5 min (smoke: 3 s): time from the provider's return to
        the first answer it serves (tests/bench/drill/recovery.py)."""
        S = "6. recovery drill"
        entry = os.path.join(HERE, "drill", "recovery.py")
        args = [sys.executable, entry, self.build] + (["--smoke"] if self.smoke else [])
        env = dict(os.environ, UNDERSTUDY_BIN=self.binary)
        p = subprocess.run(args, capture_output=True, text=True, timeout=1200, env=env, cwd=SRC)
        js = [ln for ln in p.stdout.splitlines() if ln.strip().startswith("{")]
        data = json.loads(js[-1]) if js else None
        self.results["recovery"] = {"exit": p.returncode, "data": data}
        if data is None:
            self.row(S, "recovery drill", "failed (exit %d): %s" % (
                p.returncode, (p.stderr or p.stdout)[-200:].strip()), "", False)
            return
        for r in data["rows"]:
            self.row(S, "back after a %g s outage: first answer it serves" % r["outage_s"],
                     "%s s" % r["recovery_s"], "<= 10 s", bool(r["met"]))

    # ---------------------------------------------------------------- output
    # ---------------------------------------------------------------- 6. network path
    def tls(self):
        """Issue 18's network benchmarks: the round trip over TLS + HTTP/2 (tls_front.js in
        front of the same fake) next to libcurl over a warm TLS + HTTP/2 connection; the first
        completion of a fresh process (connections pre-warmed) against the warm round trip;
        the longest loop stall (UNDERSTUDY_LOOP_PROBE) with TLS, DNS trouble and
        cancellations."""
        import testcerts
        from tlsfront import TlsFront
        res = self.results.setdefault("tls", {})
        S = "6. network path: TLS + HTTP/2 through tls_front.js (same instant fake)"
        certs = testcerts.make_certs(os.path.join(self.tmp, "certs"))
        bundle = ca_bundle(certs, self.tmp)
        env = {"SSL_CERT_FILE": bundle}
        res["load_at_start"] = benchlib.loadavg()
        n = self.n(300, 20)
        warm = self.n(30, 5)
        with FakeProvider(mode="healthy", text=SUGGESTION) as fake, \
                TlsFront(fake, certs) as front:
            # The default CA path a user has: the system bundle (+ the test CA) from
            # $SSL_CERT_FILE, ~140 certificates to parse before the first handshake.
            cfg = config([provider("fake", front.base_url)])
            # First completion of a fresh process, then its second one. "after a pause": the
            # editor opened a file and the user typed for 0.3 s (the warm-up had time);
            # "at once": the request races the warm-up's handshake.
            firsts, pauses_second, at_once, bad_first = [], [], [], 0
            for i in range(self.n(5, 1) * 2):
                us = Understudy(self, cfg, env_extra=env)
                doc = Doc(us, "first")
                if i % 2 == 0:
                    us.lsp.pump(0.3)
                ms, r = doc.fresh_inline()
                if inline_source(r) != "fake":
                    bad_first += 1
                    log("tls: a first completion was not served by the fake: %s" %
                        json.dumps(r)[:200])
                if i % 2 == 0:
                    firsts.append(ms)
                    # The same process, the same pause, a later completion: what a pause
                    # costs by itself (every process on the path goes idle: wake-ups, caches).
                    us.lsp.pump(0.3)
                    pauses_second.append(doc.fresh_inline()[0])
                else:
                    at_once.append(ms)
                us.close()
            us = Understudy(self, cfg, env_extra=env)
            doc = Doc(us)
            for _ in range(warm):
                doc.fresh_inline()
            req = [q for q in fake.requests() if not q["path"].startswith("/_")][-1]
            body_path = os.path.join(self.tmp, "floor-tls-body.json")
            with open(body_path, "w") as f:
                f.write(req["body"])
            skip = {"host", "content-length", "expect", "transfer-encoding", "connection"}
            hdrs = []
            for k, v in req["headers"]:
                if k.lower() not in skip and not k.startswith(":"):
                    hdrs += ["--header", "%s: %s" % (k, v)]
            floor_cmd = [self.floor, "--url", front.base_url + req["path"], "--body", body_path,
                         "--iterations", str(n), "--warmup", str(warm), "--cacert", bundle,
                         "--http2"] + hdrs
            front.reset()
            us_runs, floor_runs, bad, floor_version = [], [], 0, None
            for _ in range(self.runs):
                samples = []
                for _ in range(n):
                    ms, r = doc.fresh_inline()
                    bad += inline_source(r) != "fake"
                    samples.append(ms)
                us_runs.append(samples)
                p = subprocess.run(floor_cmd, capture_output=True, text=True, timeout=300)
                if p.returncode != 0:
                    raise RuntimeError("tls floor failed: %s" % p.stderr[-500:])
                out = json.loads(p.stdout.strip().splitlines()[-1])
                floor_version = out.get("http_version")
                floor_runs.append([x / 1000.0 for x in out["samples_us"]])
            fst = front.stats()
            us.close()
        u, fl = summarize_runs(us_runs), summarize_runs(floor_runs)
        added = u["p50_ms"] - fl["p50_ms"]
        first = median(firsts)
        first_gap = first - u["p50_ms"]
        res.update({"understudy": u, "floor": fl, "added_p50_ms": added,
                    "added_p95_ms": u["p95_ms"] - fl["p95_ms"], "floor_http_version":
                    floor_version, "front_stats_during_runs": fst,
                    "not_served_by_fake": bad, "first_after_pause_ms": firsts,
                    "second_after_pause_min_ms": pauses_second, "first_at_once_ms": at_once,
                    "first_minus_warm_p50_ms": first_gap})
        self.row(S, "floor: libcurl easy, warm TLS + HTTP/%s connection" % floor_version,
                 fmt_lat(fl))
        self.row(S, "Understudy over stdio, HTTP/2", fmt_lat(u))
        self.row(S, "  added over the floor", "p50 %+.3f ms  p95 %+.3f ms" %
                 (added, u["p95_ms"] - fl["p95_ms"]), "< 0.5 ms at p50", added < 0.5)
        self.row(S, "first completion of a new process, 0.3 s after start",
                 "median %.2f ms  (max %.2f, %d processes)" % (first, max(firsts), len(firsts)))
        self.row(S, "  over the warm round trip's p50", "%+.2f ms" % first_gap, "< 2 ms",
                 first_gap < 2.0)
        later = median(pauses_second)
        res["later_after_pause_median_ms"] = later
        self.row(S, "  a later completion of the same process after the same pause",
                 "median %.2f ms  (first %+.2f ms over it)" % (later, first - later))
        self.row(S, "  sent at once (races the warm-up handshake)",
                 "median %.2f ms  (max %.2f)" % (median(at_once), max(at_once)))
        if bad or bad_first:
            self.row(S, "  answers not from the fake (warm, first)", "%d, %d" % (bad, bad_first),
                     "0", False)
        self.stall_rows(S, res)

    def stall_rows(self, S, res):
        """The stall scenario in a user + network + mount namespace with a nameserver that
        never answers (as test_net); without unshare, with no DNS trouble (said so)."""
        keys = self.n(150, 12)
        inner = [sys.executable, os.path.abspath(__file__), self.build, "--inner-stall",
                 str(keys)]
        dns = True
        if not shutil.which("unshare") or subprocess.run(
                ["unshare", "-rmn", "true"], capture_output=True).returncode != 0:
            dns = False
        cmd = (["unshare", "-rmn"] if dns else []) + inner + ([] if dns else ["--no-dns"])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError("stall scenario failed: %s" % (p.stdout + p.stderr)[-1500:])
        st = json.loads(p.stdout.strip().splitlines()[-1])
        res["stall"] = st
        worst = st["max_late_us"] / 1000.0
        after = st["max_after_start_us"] / 1000.0
        what = "%d keys, 1/3 cancelled%s" % (
            st["keystrokes"], ", DNS never answers" if dns else ", no DNS trouble (no unshare)")
        self.row(S, "longest loop stall (1 ms probe), %s" % what,
                 "%.2f ms  (over 2 ms: %d of %d ticks)" % (worst, st["over_2ms"], st["ticks"]),
                 "< 2 ms", worst < 2.0)
        self.row(S, "  longest while typing (first to last completion)", "%.2f ms" % after,
                 "< 2 ms", after < 2.0)
        self.row(S, "  longest not spent waiting for a core (schedstat run delay)",
                 "%.2f ms at %d ms after start" % (st.get("max_own_us", 0) / 1000.0,
                                                 st.get("max_own_at_ms", 0)))
        own_after = st["max_own_after_start_us"] / 1000.0
        self.row(S, "    the same, while typing", "%.2f ms" % own_after,
                 "< 2 ms", own_after < 2.0)
        self.row(S, "  most loop-thread CPU between two ticks",
                 "%.2f ms at %d ms after start" % (st.get("max_cpu_us", 0) / 1000.0,
                                                 st.get("max_cpu_at_ms", 0)))
        self.row(S, "  top: late/CPU/waiting for a core, us @ ms after start", ", ".join(
            "%d/%d/%d@%d" % (e[0], e[2], e[4], e[1]) for e in st["top"][:4]))

    def print_table(self):
        m = self.results["machine"]
        print()
        print("Understudy benchmarks%s  (%s, build %s)" % (
            " -- SMOKE (tiny counts, numbers meaningless)" if self.smoke else "",
            time.strftime("%Y-%m-%d %H:%M"), os.path.relpath(self.build, SRC)))
        print("machine: %s, %s cores, %s GB RAM, kernel %s, %s" % (
            m["cpu"], m["cores"], m["memory_gb"], m["kernel"], m["os"]))
        print("runs per latency row: %d (figures are medians over runs); load average %s at "
              "start, %s at the end" % (self.runs, m.get("loadavg_1m_at_start"),
                                        self.results.get("loadavg_1m_at_end")))
        if (m.get("loadavg_1m_at_start") or 0) > (m.get("cores") or 1) * 0.5:
            print("warning: the machine was busy when the run started; latencies are inflated")
        section = None
        w = max([len(r["name"]) for r in self.rows] + [20])
        for r in self.rows:
            if r["section"] != section:
                section = r["section"]
                print("\n" + section)
            verdict = ""
            if r["met"] is not None:
                verdict = "  [%s target %s]" % ("ok" if r["met"] else "MISSED", r["target"])
            elif r["target"]:
                verdict = "  [target %s]" % r["target"]
            print("  %-*s  %s%s" % (w, r["name"], r["value"], verdict))
        missed = [r for r in self.rows if r["met"] is False]
        print("\n%d targets checked, %d met, %d missed" % (
            sum(1 for r in self.rows if r["met"] is not None),
            sum(1 for r in self.rows if r["met"]), len(missed)))


def fmt_lat(s, p99=False):
    if not s:
        return "n/a"
    t = "p50 %7.3f ms  p95 %7.3f ms" % (s["p50_ms"], s["p95_ms"])
    if p99:
        t += "  p99 %7.3f ms" % s["p99_ms"]
    return t


def ca_bundle(certs, d):
    """The system CA bundle with the test CA appended (what $SSL_CERT_FILE names in the TLS
    rows), so the CA load costs what a user's does."""
    path = os.path.join(d, "bundle.pem")
    with open(path, "w") as out:
        for src in ("/etc/ssl/certs/ca-certificates.crt", certs["ca"]):
            if os.path.exists(src):
                with open(src) as f:
                    out.write(f.read().rstrip("\n") + "\n")
    return path


def inner_stall(build, keys, dns):
    """Run by stall_rows, inside `unshare -rmn` when dns: loopback up, a nameserver on
    127.0.0.1:53 that never replies bound over /etc/resolv.conf, then a server with the loop
    probe, a provider needing DNS first (hedged at 100 ms), the TLS fake second; every third
    keystroke is cancelled by the next one. Prints the probe's JSON plus a few figures."""
    import threading
    import testcerts
    from tlsfront import TlsFront
    d = tempfile.mkdtemp(prefix="understudy-stall-")
    if dns:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        rc = os.path.join(d, "resolv.conf")
        with open(rc, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:4 attempts:2\n")
        subprocess.run(["mount", "--bind", rc, "/etc/resolv.conf"], check=True)
        ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ns.bind(("127.0.0.1", 53))
        threading.Thread(target=lambda: [ns.recvfrom(4096) for _ in iter(int, 1)],
                         daemon=True).start()
    args = argparse.Namespace(build=build, smoke=True, runs=1)
    b = Bench(args)
    certs = testcerts.make_certs(os.path.join(d, "certs"))
    bundle = ca_bundle(certs, d)
    probe = os.path.join(d, "probe.json")
    with FakeProvider(mode="healthy", text=SUGGESTION) as fake, TlsFront(fake, certs) as front:
        provs = [provider("fake", front.base_url)]
        if dns:
            provs.insert(0, {"name": "nodns", "kind": "openai-compatible", "model": "m",
                             "base_url": "https://provider.understudy-test.example:8443/v1"})
        us = Understudy(b, config(provs, hedge_ms=100), env_extra={
            "UNDERSTUDY_LOOP_PROBE": probe, "SSL_CERT_FILE": bundle})
        doc = Doc(us)
        # The editor opened a file; the first keystroke comes a little later (the start-up's
        # own stalls, before any completion, are in the row above this one's).
        us.lsp.pump(0.5)
        t_first = None
        cancelled = 0
        for i in range(keys):
            if i % 3 == 2:
                # A keystroke whose request the next keystroke cancels.
                doc.bump()
                rid = us.lsp.next_id
                us.lsp.next_id += 1
                us.lsp._write({"jsonrpc": "2.0", "id": rid,
                               "method": "textDocument/inlineCompletion", "params": {
                                   "textDocument": {"uri": doc.uri},
                                   "position": {"line": 2, "character": 4},
                                   "context": {"triggerKind": 2}}})
                us.lsp.notify("$/cancelRequest", {"id": rid})
                us.lsp.wait_response(rid)
                cancelled += 1
            ms, r = doc.fresh_inline(trigger=2)
            if t_first is None:
                t_first = (time.perf_counter() - us.lsp.t_spawn) * 1000
        t_last = (time.perf_counter() - us.lsp.t_spawn) * 1000
        us.close()
        fst = front.stats()
    with open(probe) as f:
        st = json.load(f)
    st["keystrokes"] = keys
    st["cancelled"] = cancelled
    st["first_completion_at_ms"] = t_first
    st["last_completion_at_ms"] = t_last
    st["front"] = {k: fst.get(k) for k in ("connections", "connections_closed", "client_resets",
                                          "alpn", "streams")}
    # The typing part of the run: from the first completion to the last (not start-up, not
    # shutdown). The probe keeps the 8 longest of each kind; when all 8 fall outside, the
    # longest inside is at most the 8th.
    def inside(top):
        vals = [e[0] for e in top if t_first <= e[1] <= t_last]
        if not vals and len(top) == 8:
            return top[-1][0]
        return max(vals + [0])
    st["max_after_start_us"] = inside(st["top"])
    st["max_own_after_start_us"] = inside(st.get("top_own", []))
    print(json.dumps(st))
    return 0


def main():
    if "--inner-stall" in sys.argv:
        i = sys.argv.index("--inner-stall")
        return inner_stall(os.path.abspath(sys.argv[1]), int(sys.argv[i + 1]),
                           "--no-dns" not in sys.argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--smoke", action="store_true", help="a few iterations, no Copilot")
    ap.add_argument("--json", help="where to write the results (default BUILD/bench.json)")
    ap.add_argument("--runs", type=int, help="runs per latency row (default 5; smoke 1)")
    ap.add_argument("--no-copilot", action="store_true", help="skip the Copilot row")
    ap.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    args = ap.parse_args()
    b = Bench(args)
    for path, what in ((b.binary, "the server"), (b.floor, "the floor client")):
        if not os.access(path, os.X_OK):
            print("run.py: %s is missing (%s); build first: ninja -C %s" %
                  (path, what, args.build), file=sys.stderr)
            return 2
    only = args.only.split(",") if args.only else SECTIONS
    b.results["machine"] = benchlib.machine()
    b.results["smoke"] = b.smoke
    b.results["runs"] = b.runs
    b.results["date"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    failed = []
    t_all = time.perf_counter()
    for name in SECTIONS:
        if name not in only:
            continue
        log("bench: %s..." % name)
        t0 = time.perf_counter()
        try:
            getattr(b, name)()
        except Exception as e:  # noqa: BLE001 - one broken section must not hide the others
            import traceback
            traceback.print_exc()
            failed.append(name)
            b.row(name, "section failed", "%s: %s" % (type(e).__name__, e), "", False)
        b.results.setdefault("section_seconds", {})[name] = round(time.perf_counter() - t0, 2)
    b.results["rows"] = b.rows
    b.results["loadavg_1m_at_end"] = benchlib.loadavg()
    b.results["total_seconds"] = round(time.perf_counter() - t_all, 2)
    b.print_table()
    out = args.json or os.path.join(b.build, "bench.json")
    with open(out, "w") as f:
        json.dump(b.results, f, indent=1)
    print("JSON: %s" % out)
    if failed:
        print("sections that failed to run: %s" % ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
