#!/usr/bin/env python3
"""Emacs 28 + Eglot 1.9 in batch against the real server and a fake provider: completion-at-point
offers Understudy's items and applies the multi-line AI item; the mode-line indicator follows
the status notifications."""
import json
import os
import shutil
import sys

import edtest


def main():
    emacs = shutil.which("emacs")
    if not emacs or not os.path.isdir("/usr/share/emacs/site-lisp/elpa"):
        print("emacs or elpa-eglot not installed: skipped (apt-get install emacs-nox elpa-eglot)")
        return edtest.SKIP
    binary = edtest.binary()
    box = edtest.Sandbox("emacs")
    fake = edtest.FakeProvider(text=edtest.AI_TEXT, max_seconds=180)
    try:
        path = box.write("calc.py", "def add(a, b):\n")
        os.makedirs(os.path.join(box.work, ".git"), exist_ok=True)
        env = box.env(
            US_BIN=binary,
            US_SETTINGS=json.dumps(edtest.settings(fake, box)),
            US_FAKE_URL=fake.base_url,
            US_AI_TEXT=edtest.AI_TEXT,
            US_RESULT=box.result,
            US_FILE=path,
            UNDERSTUDY_SRC=edtest.SRC,
        )
        script = os.path.join(edtest.HERE, "emacs_test.el")
        rc, out = edtest.run_editor([emacs, "--batch", "-Q", "-l", script], box, env, timeout=90)
        return edtest.report(box, rc, out, fake)
    finally:
        fake.stop()
        box.close()


if __name__ == "__main__":
    sys.exit(main())
