#!/usr/bin/env python3
"""The benchmark suite behind `make bench`: Understudy against the physical floor (a raw HTTP
request from libcurl) and against GitHub's Copilot language server, start-up and memory,
failover costs, the local engine, and the outage drill. Prints a table, writes JSON.

    python3 tests/bench/run.py [BUILD] [--smoke] [--json PATH] [--runs N] [--no-copilot]
                               [--only roundtrip,startup,memory,failover,local,quality,localperf,privacy,drill,recovery,tls]

Every latency row is measured in several runs; the figure shown is the median over runs of
each run's percentile. --smoke runs a few iterations of everything except Copilot (for
`make test`, so the benchmark cannot rot). Standard library only.

This file is the command line, the suite object and its table; the sections live in
bench_sections_net.py (roundtrip, failover, tls), bench_sections_local.py (startup, memory,
local, quality, localperf, privacy) and bench_sections_drills.py (drill, recovery).
"""
import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "copilot"))
sys.path.insert(0, os.path.join(SRC, "tests", "fakes"))
import benchlib  # noqa: E402
from bench_helpers import log  # noqa: E402
from bench_sections_drills import DrillSections  # noqa: E402
from bench_sections_local import LocalSections  # noqa: E402
from bench_sections_net import NetSections, inner_stall  # noqa: E402

SECTIONS = ["roundtrip", "startup", "memory", "failover", "local", "quality", "localperf",
            "privacy", "drill", "recovery", "tls"]


# ------------------------------------------------------------------ the suite
class Bench(NetSections, LocalSections, DrillSections):
    """The suite's state (paths, counts, rows, results); the sections are the mixins' methods,
    named as in SECTIONS: bench_sections_net.py, bench_sections_local.py,
    bench_sections_drills.py (their helpers: bench_helpers.py)."""

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

    # ---------------------------------------------------------------- output
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




def main():
    if "--inner-stall" in sys.argv:
        i = sys.argv.index("--inner-stall")
        return inner_stall(Bench, os.path.abspath(sys.argv[1]), int(sys.argv[i + 1]),
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
