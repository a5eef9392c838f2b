"""Outage drill (issue 5): the scripted timeline of tests/bench/drill/drill.py (healthy, 500
storm, 429 with Retry-After, latency spike, recovery), compressed to 20 s, with an
inlineCompletion every 250 ms against two fake providers. Generous bounds; the benchmark
(tests/bench/drill/run.py) runs the full 60 s and prints the figures.

US_DRILL_SECONDS overrides the duration."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench", "drill"))
import drill  # noqa: E402
from lspclient import BIN, check  # noqa: E402

SLACK_MS = 300


def main():
    duration = float(os.environ.get("US_DRILL_SECONDS", "20"))
    d = drill.Drill(duration=duration, binary=BIN,
                    log=lambda *a: print(*a, flush=True))
    res = d.run()
    f = res["figures"]
    print(drill.table(res))
    print(json.dumps({"transitions": res["transitions"]}))
    failures = []

    def expect(cond, msg):
        try:
            check(cond, msg)
        except AssertionError as e:
            failures.append(str(e))

    late = [r for r in res["rows"] if r["latency_ms"] is None or r["error"]
            or r["latency_ms"] > d.deadline_ms + SLACK_MS]
    expect(not late, "every request answered within deadline + %d ms; not: %r" % (
        SLACK_MS, late[:5]))
    # The secondary is healthy the whole time, so an AI provider is always up.
    expect(f["served_by_ai_while_any_up_pct"] >= 95.0,
           "served by AI %.1f %% < 95 %%" % f["served_by_ai_while_any_up_pct"])
    # Requests reaching the failing primary: the failures that open the breaker, then about one
    # probe per open interval, never one while the router holds it open.
    expect(f["open_intervals"] >= 2, "the breaker opened during the outage (%d)" %
           f["open_intervals"])
    expect(f["requests_to_primary_while_failing"] <= 3 + f["open_intervals"] + 1,
           "%d requests reached the failing primary over %d open intervals" % (
               f["requests_to_primary_while_failing"], f["open_intervals"]))
    expect(f["requests_to_primary_while_open"] <= 1,
           "%d requests reached the primary while its breaker was open" %
           f["requests_to_primary_while_open"])
    expect(f["time_to_detect_outage_ms"] is not None and f["time_to_detect_outage_ms"] < 3000,
           "outage detected in %s ms" % f["time_to_detect_outage_ms"])
    expect(f["final_state"] == "ok", "status back to ok after recovery (%s)" % f["final_state"])
    expect(f["time_to_recover_ms"] is not None, "recovery was notified")
    # The healthy phase is served by the primary, the outage phases by the secondary.
    ph = res["phases"]
    expect(ph["healthy"]["served_by_primary"] >= ph["healthy"]["requests"] - 1,
           "healthy phase served by the primary: %r" % ph["healthy"])
    for name in ("500 storm", "429 Retry-After", "latency spike"):
        expect(ph[name]["served_by_primary"] + ph[name]["served_by_secondary"]
               >= ph[name]["requests"] - 1, "%s phase served by AI: %r" % (name, ph[name]))
    expect(f["server_exit"] == 0, "clean shutdown (exit %r)" % f["server_exit"])
    for m in failures:
        print("FAIL", m)
    print("%d failed" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
