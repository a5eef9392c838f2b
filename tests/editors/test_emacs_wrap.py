#!/usr/bin/env python3
"""Emacs 28 + Eglot 1.9 in batch through wrap mode: c-mode's clangd entry is routed through
`understudy --wrap --` by understudy-wrap-setup; hover, go-to-definition and diagnostics come
from clangd, completion-at-point offers clangd's items and Understudy's AI item from a fake
provider, and clangd goes away with the wrapper."""
import json
import os
import shutil
import sys

import edtest

FIXTURE = os.path.join(edtest.SRC, "tests", "fixtures", "wrap_c_project")
AI_TEXT = "perimeter(&box);"


def main():
    emacs = shutil.which("emacs")
    if not emacs or not os.path.isdir("/usr/share/emacs/site-lisp/elpa"):
        print("emacs or elpa-eglot not installed: skipped (apt-get install emacs-nox elpa-eglot)")
        return edtest.SKIP
    if not shutil.which("clangd"):
        print("clangd not installed: skipped (apt-get install clangd)")
        return edtest.SKIP
    binary = edtest.binary()
    box = edtest.Sandbox("emacs-wrap")
    fake = edtest.FakeProvider(text=AI_TEXT, max_seconds=180)
    try:
        for name in os.listdir(FIXTURE):
            shutil.copy(os.path.join(FIXTURE, name), box.work)
        os.makedirs(os.path.join(box.work, ".git"), exist_ok=True)
        # Wrap mode users configure providers in the config file: the wrapped server's
        # initializationOptions belong to it.
        cfg_dir = os.path.join(box.root, "config", "understudy")
        os.makedirs(cfg_dir, exist_ok=True)
        with open(os.path.join(cfg_dir, "config.json"), "w") as f:
            json.dump(edtest.settings(fake, box), f)
        env = box.env(
            US_BIN=binary,
            US_AI_TEXT=AI_TEXT,
            US_RESULT=box.result,
            US_FILE=os.path.join(box.work, "main.c"),
            UNDERSTUDY_SRC=edtest.SRC,
        )
        script = os.path.join(edtest.HERE, "emacs_wrap_test.el")
        rc, out = edtest.run_editor([emacs, "--batch", "-Q", "-l", script], box, env, timeout=90)
        return edtest.report(box, rc, out, fake)
    finally:
        fake.stop()
        box.close()


if __name__ == "__main__":
    sys.exit(main())
