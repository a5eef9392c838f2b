#!/usr/bin/env python3
"""Outage drill benchmark: the full 60 s timeline of drill.py against two fake providers;
prints a table of the figures, then one JSON line (the last line of stdout).

    python3 tests/bench/drill/run.py [BUILD_DIR] [--smoke] [--duration S] [--json PATH]

--smoke runs a 10 s compressed timeline (for the benchmark smoke test; figures indicative)."""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import drill  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=None)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--duration", type=float, default=None)
    ap.add_argument("--json", default=None, help="also write the full result here")
    args = ap.parse_args()
    binary = os.environ.get("UNDERSTUDY_BIN")
    if args.build and not binary:
        for cand in ("understudy", os.path.join("lsp", "understudy")):
            if os.path.exists(os.path.join(args.build, cand)):
                binary = os.path.abspath(os.path.join(args.build, cand))
                break
    duration = args.duration or (10.0 if args.smoke else 60.0)
    d = drill.Drill(duration=duration, binary=binary,
                    log=lambda *a: print(*a, file=sys.stderr, flush=True))
    result = d.run()
    print(drill.table(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    out = {"figures": result["figures"], "phases": result["phases"],
           "settings": result["settings"], "transitions": result["transitions"],
           "smoke": args.smoke}
    print(json.dumps(out))
    return 0 if result["figures"]["server_exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
