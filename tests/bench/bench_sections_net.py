"""Sections roundtrip, failover and tls of run.py (the provider's network path): the inline
round trip against the libcurl floor (and GitHub's Copilot language server when installed), the
added cost of failing over from a refusing, failing, hanging or breaker-open primary, and the
round trip over TLS + HTTP/2 with the first completion of a fresh process and the loop-stall
scenario (inner_stall: run.py --inner-stall, inside `unshare -rmn`). NetSections is mixed into
run.py's Bench. Standard library only.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import LspError, summarize_runs, median
from fakeclient import FakeProvider
from bench_helpers import (HERE, SUGGESTION, Doc, Understudy, config, fmt_lat, inline_source,
                           log, model_requests, provider, unused_port)


class NetSections:
    """Bench's sections 1 (round trip), 3 (failover) and 6 (network path)."""

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
            floor_cmd = self.floor_replay(fake, fake.base_url, "floor-body.json", n, warm)
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

    def floor_replay(self, fake, base_url, body_name, n, warm, *extra):
        """The floor client's command replaying the last model request the fake received
        (body and headers, minus those the client sets itself and HTTP/2 pseudo-headers)."""
        req = [q for q in fake.requests() if not q["path"].startswith("/_")][-1]
        body_path = os.path.join(self.tmp, body_name)
        with open(body_path, "w") as f:
            f.write(req["body"])
        skip = {"host", "content-length", "expect", "transfer-encoding", "connection"}
        hdrs = []
        for k, v in req["headers"]:
            if k.lower() not in skip and not k.startswith(":"):
                hdrs += ["--header", "%s: %s" % (k, v)]
        return [self.floor, "--url", base_url + req["path"], "--body", body_path,
                "--iterations", str(n), "--warmup", str(warm)] + list(extra) + hdrs

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
            floor_cmd = self.floor_replay(fake, front.base_url, "floor-tls-body.json", n, warm,
                                          "--cacert", bundle, "--http2")
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
        inner = [sys.executable, os.path.join(HERE, "run.py"), self.build, "--inner-stall",
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


def inner_stall(Bench, build, keys, dns):
    """Run by stall_rows (as run.py BUILD --inner-stall KEYS; Bench is run.py's suite class),
    inside `unshare -rmn` when dns: loopback up, a nameserver on 127.0.0.1:53 that never
    replies bound over /etc/resolv.conf, then a server with the loop
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
