"""Sections drill and recovery of run.py: they run the drill scripts in tests/bench/drill/
(the outage drill, the latency-spike drill, outages of 30 s to 5 min) against the build and turn
their JSON into table rows. DrillSections is mixed into run.py's Bench. Standard library only.
"""
import glob
import json
import os
import subprocess
import sys

from bench_helpers import HERE, SRC


class DrillSections:
    """Bench's sections 5 (outage and spike drills) and 6 (recovery drill)."""

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
