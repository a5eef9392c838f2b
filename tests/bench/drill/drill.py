"""The outage drill (issue 5): a scripted timeline against two fake providers with an
inlineCompletion every 250 ms, and the figures that say how the user fared. Shared by the
benchmark (run.py here, full 60 s) and the integration test (tests/integration/
test_outage_drill.py, a compressed timeline with generous bounds). Standard library only.

Timeline, as fractions of the duration (60 s in full):
  0.00-0.17  healthy          both providers answer
  0.17-0.42  500 storm        the primary answers 500 to everything
  0.42-0.62  rate limited     the primary answers 429 with Retry-After
  0.62-0.80  latency spike    the primary answers, but only after 1.2 s
  0.80-1.00  recovery         both healthy again
The secondary stays healthy throughout, so an AI provider is up the whole time."""
import os
import queue
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "tests", "fakes"))
from fakeclient import FakeProvider  # noqa: E402
from lspclient import Server  # noqa: E402

ANSWER = "return a + b\n"
AI = ("primary", "secondary")


def phases(duration, retry_after_s):
    d = duration
    return [
        dict(name="healthy", start=0.0, end=0.17 * d, mode=("healthy", {})),
        dict(name="500 storm", start=0.17 * d, end=0.42 * d, mode=("status_500", {}), down=True),
        dict(name="429 Retry-After", start=0.42 * d, end=0.62 * d,
             mode=("rate_limit_seconds", {"retry_after": str(retry_after_s)}), down=True),
        dict(name="latency spike", start=0.62 * d, end=0.80 * d,
             mode=("latency", {"latency_ms": 1200})),
        dict(name="recovery", start=0.80 * d, end=d, mode=("healthy", {})),
    ]


class Drill:
    def __init__(self, duration=60.0, interval=0.25, deadline_ms=1500, hedge_ms=200,
                 binary=None, log=None):
        self.duration = duration
        self.interval = interval
        self.deadline_ms = deadline_ms
        self.hedge_ms = hedge_ms
        self.scale = duration / 60.0
        self.retry_after_s = max(1, int(round(4 * self.scale)))
        self.cooldown_ms = max(400, int(5000 * self.scale))
        self.binary = binary
        self.log = log or (lambda *a: None)

    # ---------------------------------------------------------------- running
    def run(self):
        p = FakeProvider(text=ANSWER, latency_ms=20)
        q = FakeProvider(text=ANSWER, latency_ms=40)
        try:
            return self._run(p, q)
        finally:
            p.stop()
            q.stop()

    def _drain(self, s, events, stop):
        while not stop.is_set():
            try:
                msg = s.inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            events.append((time.time(), msg))

    def _run(self, p, q):
        cfg = {"providers": [
            {"name": "primary", "kind": "openai-compatible", "model": "m",
             "base_url": p.base_url + "/v1"},
            {"name": "secondary", "kind": "openai-compatible", "model": "m",
             "base_url": q.base_url + "/v1"}],
            "completion": {"deadline_ms": self.deadline_ms, "hedge_ms": self.hedge_ms,
                           "popup_budget_ms": 150},
            "breaker": {"failures": 3, "cooldown_ms": self.cooldown_ms,
                        "max_cooldown_ms": self.cooldown_ms * 4}}
        if self.binary:
            import lspclient
            lspclient.BIN = self.binary
        s = Server()
        events = []
        stop = threading.Event()
        drain = threading.Thread(target=self._drain, args=(s, events, stop), daemon=True)
        drain.start()
        try:
            s.initialize(init_options=cfg)
            # A ring of documents: each request edits one so its context is new (no cache
            # hit), and a document is reused only after the deadline so nothing supersedes.
            ring = max(2, int(self.deadline_ms / 1000.0 / self.interval) + 2)
            docs = []
            for i in range(ring):
                uri = "file:///tmp/understudy-drill-%d-%d.py" % (os.getpid(), i)
                s.open(uri, self._text(i, 0))
                docs.append([uri, 1])
            plan = phases(self.duration, self.retry_after_s)
            sent = []  # (id, t_send, phase index)
            t0 = time.time()
            self.t0 = t0
            current = -1
            n = 0
            while True:
                now = time.time() - t0
                if now >= self.duration:
                    break
                idx = next(i for i, ph in enumerate(plan) if ph["start"] <= now < ph["end"]
                           or i == len(plan) - 1)
                if idx != current:
                    mode, params = plan[idx]["mode"]
                    p.mode(mode, text=ANSWER, **dict({"latency_ms": 20}, **params))
                    plan[idx]["t_actual"] = time.time()
                    self.log("%6.2fs  phase: %s" % (now, plan[idx]["name"]))
                    current = idx
                doc = docs[n % ring]
                doc[1] += 1
                text = self._text(n, doc[1])
                s.notify("textDocument/didChange", {
                    "textDocument": {"uri": doc[0], "version": doc[1]},
                    "contentChanges": [{"text": text}]})
                lines = text.split("\n")
                rid = s.request_async("textDocument/inlineCompletion", {
                    "textDocument": {"uri": doc[0]},
                    "position": {"line": len(lines) - 1, "character": len(lines[-1])},
                    "context": {"triggerKind": 2}})
                sent.append((rid, time.time(), idx))
                n += 1
                nxt = t0 + n * self.interval
                time.sleep(max(0.0, nxt - time.time()))
            t_end = time.time()
            # Let the last requests finish; then wait (up to the longest open interval the
            # breaker can choose, with its jitter) for the status to return to ok by itself.
            time.sleep(self.deadline_ms / 1000.0 + 0.5)
            wait_until = time.time() + self.cooldown_ms * 4 * 1.25 / 1000.0 + 2.0
            while True:
                status = s.request("workspace/executeCommand", {"command": "understudy.status"})
                if status["result"]["state"] == "ok" or time.time() > wait_until:
                    break
                time.sleep(0.1)
            s.shutdown_and_exit()
            time.sleep(0.1)
            stop.set()
            drain.join(1)
            return self._figures(plan, sent, events, p.requests(), status["result"], t_end,
                                 s.proc.returncode)
        finally:
            stop.set()
            s.kill()

    @staticmethod
    def _text(n, version):
        return "# drill request %d v%d\nimport math\n\ndef add_%d(a, b):\n    " % (n, version, n)

    # ---------------------------------------------------------------- figures
    def _figures(self, plan, sent, events, p_log, final_status, t_end, exit_code):
        arrivals = {}
        statuses = []
        for t, msg in events:
            if "id" in msg and ("result" in msg or "error" in msg):
                arrivals[msg["id"]] = (t, msg)
            elif msg.get("method") == "understudy/status":
                statuses.append((t, msg["params"]))
        deadline_s = self.deadline_ms / 1000.0
        rows = []
        for rid, ts, idx in sent:
            t, msg = arrivals.get(rid, (None, None))
            src = None
            if msg and "result" in msg and msg["result"] and msg["result"].get("items"):
                src = msg["result"]["items"][0]["command"]["arguments"][0]["source"]
            rows.append(dict(id=rid, sent=ts - self.t0, phase=plan[idx]["name"],
                             latency_ms=None if t is None else (t - ts) * 1000.0,
                             source=src, error=(msg or {}).get("error")))
        answered = [r for r in rows if r["latency_ms"] is not None and not r["error"]]
        in_time = [r for r in answered if r["latency_ms"] <= self.deadline_ms + 50]
        ai = [r for r in rows if r["source"] in AI]
        lat = sorted(r["latency_ms"] for r in answered)

        def pct(v, q):
            return round(v[min(len(v) - 1, int(q / 100.0 * len(v)))], 1) if v else None

        # The primary as the router saw it, over time.
        def primary_state_at(t):
            st = "closed"
            for ts, params in statuses:
                if ts > t:
                    break
                st = params["providers"][0]["state"]
            return st

        storm = next(ph for ph in plan if ph["name"] == "500 storm")
        rl = next(ph for ph in plan if ph["name"] == "429 Retry-After")
        rec = next(ph for ph in plan if ph["name"] == "recovery")
        model = [x for x in p_log if x.get("path") and not x["path"].startswith("/_")]
        down_from = storm["t_actual"]
        down_to = rec.get("t_actual", t_end)
        sent_down = [x for x in model if down_from <= x["time"] < down_to and
                     x.get("status") in (429, 500)]
        # Open intervals the router went through while the primary was failing.
        opens = 0
        prev = None
        for ts, params in statuses:
            st = params["providers"][0]["state"]
            if st == "open" and prev != "open" and down_from <= ts <= down_to + 1:
                opens += 1
            prev = st
        sent_while_open = [x for x in model if primary_state_at(x["time"] - 0.02) == "open"
                           and primary_state_at(x["time"] + 0.02) == "open"]
        # Detection: from the storm's start to the first status saying the primary is open.
        detect = next((ts - storm["t_actual"] for ts, params in statuses
                       if ts >= storm["t_actual"] and params["providers"][0]["state"] == "open"),
                      None)
        # Already back when the recovery phase starts (the status is the state, not the last
        # answer, so nothing new is notified then): recovered at once.
        before = [params for ts, params in statuses if ts < rec["t_actual"]]
        if before and before[-1]["state"] == "ok" and before[-1]["providers"][0]["state"] == "closed":
            recover = 0.0
        else:
            recover = next((ts - rec["t_actual"] for ts, params in statuses
                            if ts >= rec["t_actual"] and params["state"] == "ok"
                            and params["providers"][0]["state"] == "closed"), None)
        per_phase = {}
        for ph in plan:
            rs = [r for r in rows if r["phase"] == ph["name"]]
            ls = sorted(r["latency_ms"] for r in rs if r["latency_ms"] is not None)
            per_phase[ph["name"]] = {
                "requests": len(rs),
                "served_by_primary": sum(1 for r in rs if r["source"] == "primary"),
                "served_by_secondary": sum(1 for r in rs if r["source"] == "secondary"),
                "local_or_empty": sum(1 for r in rs if r["source"] not in AI),
                "p50_ms": pct(ls, 50), "max_ms": round(max(ls), 1) if ls else None}
        figures = {
            "duration_s": self.duration,
            "requests": len(rows),
            "answered_pct": round(100.0 * len(answered) / max(1, len(rows)), 2),
            "answered_within_deadline_pct": round(100.0 * len(in_time) / max(1, len(rows)), 2),
            "served_by_ai_while_any_up_pct": round(100.0 * len(ai) / max(1, len(rows)), 2),
            "latency_p50_ms": pct(lat, 50), "latency_p95_ms": pct(lat, 95),
            "latency_max_ms": round(max(lat), 1) if lat else None,
            "requests_to_primary_while_failing": len(sent_down),
            "open_intervals": opens,
            "requests_to_primary_while_open": len(sent_while_open),
            "time_to_detect_outage_ms": None if detect is None else round(detect * 1000),
            "time_to_recover_ms": None if recover is None else round(recover * 1000),
            "final_state": final_status["state"],
            "server_exit": exit_code,
        }
        transitions = []
        for ts, params in statuses:
            pr = params["providers"][0]
            item = (pr["state"], params["state"])
            if not transitions or (transitions[-1]["primary"], transitions[-1]["overall"]) != item:
                transitions.append({"t": round(ts - self.t0, 3), "primary": pr["state"],
                                    "overall": params["state"],
                                    "retry_in_ms": pr.get("retry_in_ms"),
                                    "reason": pr.get("reason")})
        return {"figures": figures, "phases": per_phase, "rows": rows,
                "transitions": transitions,
                "settings": {"deadline_ms": self.deadline_ms, "hedge_ms": self.hedge_ms,
                             "interval_s": self.interval, "retry_after_s": self.retry_after_s,
                             "cooldown_ms": self.cooldown_ms, "failures": 3},
                "final_status": final_status}


def table(result):
    f = result["figures"]
    lines = ["Outage drill: %.0f s, a request every %.0f ms, deadline %d ms, hedge %d ms" % (
        f["duration_s"], result["settings"]["interval_s"] * 1000,
        result["settings"]["deadline_ms"], result["settings"]["hedge_ms"]), ""]
    rows = [
        ("requests", f["requests"], ""),
        ("answered within the deadline", "%.1f %%" % f["answered_within_deadline_pct"], "100 %"),
        ("served by an AI provider while one was up", "%.1f %%" %
         f["served_by_ai_while_any_up_pct"], ">= 99 %"),
        ("latency p50 / p95 / max", "%s / %s / %s ms" % (
            f["latency_p50_ms"], f["latency_p95_ms"], f["latency_max_ms"]), ""),
        ("requests to the primary while failing", f["requests_to_primary_while_failing"],
         "failures to open + one probe per open interval"),
        ("open intervals", f["open_intervals"], ""),
        ("requests to the primary while its breaker was open", f["requests_to_primary_while_open"],
         "0"),
        ("time to detect the outage", "%s ms" % f["time_to_detect_outage_ms"], ""),
        ("time to recover (status ok)", "%s ms" % f["time_to_recover_ms"], ""),
        ("final state", f["final_state"], "ok"),
    ]
    w = max(len(r[0]) for r in rows)
    for name, val, target in rows:
        lines.append("  %-*s  %-18s %s" % (w, name, val, ("target " + target) if target else ""))
    lines.append("")
    lines.append("  %-16s %8s %8s %9s %6s %8s %8s" % ("phase", "requests", "primary", "secondary",
                                                     "local", "p50 ms", "max ms"))
    for name, ph in result["phases"].items():
        lines.append("  %-16s %8d %8d %9d %6d %8s %8s" % (
            name, ph["requests"], ph["served_by_primary"], ph["served_by_secondary"],
            ph["local_or_empty"], ph["p50_ms"], ph["max_ms"]))
    return "\n".join(lines)
