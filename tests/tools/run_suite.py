#!/usr/bin/env python3
"""Run the meson test suite of a build directory and end with the line `N passed, N failed`."""
import json
import os
import subprocess
import sys

build = sys.argv[1] if len(sys.argv) > 1 else "build"
extra = sys.argv[2:]
env = dict(os.environ)
# Sanitizer builds: fail on the first report, and keep leak checking on.
env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
rc = subprocess.call(["meson", "test", "-C", build, "--print-errorlogs",
                      "--num-processes", str(os.cpu_count() or 2)] + extra, env=env)

passed = failed = skipped = 0
names = []
log = os.path.join(build, "meson-logs", "testlog.json")
try:
    with open(log) as f:
        for line in f:
            t = json.loads(line)
            r = t.get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
                names.append("%s (%s)" % (t.get("name"), r))
except OSError:
    failed += 1
    names.append("no test log: the suite did not run")
if names:
    print("failed: " + ", ".join(names))
if skipped:
    print("%d skipped" % skipped)
if rc != 0 and failed == 0:
    failed = 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
