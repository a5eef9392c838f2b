#!/usr/bin/env python3
"""Run every libFuzzer target of a build directory for a bounded time and report crashes.

usage: run.py BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]

Each target starts from its committed seed corpus (tests/fuzz/corpus/<name>/, read only) and
works in a scratch corpus under BUILD_DIR/fuzz-work/<name>/ that persists between runs. A crash,
leak, timeout or oracle failure leaves its input under BUILD_DIR/fuzz-work/artifacts/; to keep
it as a regression, copy it into the seed corpus once the bug is fixed. Exit status 1 when any
target failed. Ends with the line `N passed, N failed`."""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ["framer", "rpc", "stream", "position", "snippet", "syntax", "remask", "local"]
# Per-target extras: dictionaries, an input size that keeps one run quick, and how long one
# input may take before it counts as a hang (seconds, sanitizer build).
EXTRA = {
    "rpc": ["-dict=" + os.path.join(HERE, "rpc.dict"), "-max_len=8192", "-timeout=10"],
    "snippet": ["-dict=" + os.path.join(HERE, "snippet.dict"), "-max_len=1024", "-timeout=10"],
    "syntax": ["-max_len=4096", "-timeout=60"],
    "framer": ["-max_len=4096", "-timeout=10"],
    "stream": ["-max_len=4096", "-timeout=10"],
    "position": ["-max_len=2048", "-timeout=10"],
    "remask": ["-dict=" + os.path.join(HERE, "remask.dict"), "-max_len=4096", "-timeout=10"],
    "local": ["-max_len=2048", "-timeout=30"],
}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = sys.argv[1]
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    only = sys.argv[3:] or TARGETS
    work = os.path.join(build, "fuzz-work")
    arts = os.path.join(work, "artifacts")
    os.makedirs(arts, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    passed = failed = 0
    for name in only:
        exe = os.path.join(build, "tests", "fuzz", "fuzz_" + name)
        if not os.access(exe, os.X_OK):
            print("FAIL %s: %s not built (configure with -Dfuzz=true)" % (name, exe), flush=True)
            failed += 1
            continue
        scratch = os.path.join(work, name)
        os.makedirs(scratch, exist_ok=True)
        seeds = os.path.join(HERE, "corpus", name)
        log = os.path.join(work, name + ".log")
        cmd = [exe, scratch, seeds, "-max_total_time=%d" % secs,
               "-artifact_prefix=" + os.path.join(arts, name + "-"), "-print_final_stats=1",
               "-rss_limit_mb=4096"] + EXTRA.get(name, ["-timeout=10"])
        t0 = time.time()
        with open(log, "wb") as f:
            # The hard limit covers a target that hangs outside libFuzzer's own timeout. It
            # grows with the scratch corpus: libFuzzer first runs every input of it, outside
            # -max_total_time, and a slow target (fuzz_local: ~10 inputs a second under the
            # sanitizers) takes minutes over a corpus grown by long runs.
            grown = len(os.listdir(scratch))
            try:
                rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                                     timeout=secs * 3 + 120 + grown // 4)
            except subprocess.TimeoutExpired:
                rc = -1
        with open(log, "rb") as f:
            text = f.read().decode(errors="replace")
        runs = [ln for ln in text.splitlines() if ln.startswith("stat::number_of_executed_units")]
        runs = runs[-1].split(":")[-1].strip() if runs else "?"
        if rc == 0:
            passed += 1
            print("ok   %s: %s runs in %.0fs" % (name, runs, time.time() - t0), flush=True)
        else:
            failed += 1
            crash = [ln for ln in text.splitlines()
                     if "ERROR:" in ln or "oracle failed" in ln or "Test unit written" in ln
                     or "SUMMARY" in ln]
            print("FAIL %s (exit %d); log %s" % (name, rc, log), flush=True)
            for ln in crash[:8]:
                print("     " + ln, flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
