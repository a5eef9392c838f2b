#!/usr/bin/env python3
"""Emacs 28 + Eglot 1.9 in batch against the real server and a fake provider: completion-at-point
offers Understudy's items and applies the multi-line AI item; the mode-line indicator follows
the status notifications."""
import json
import os
import shutil
import sys
import time

import edtest

# emacs -nw as a user starts it: Eglot on Python files, Company on (when installed), no menu bar
# (one more line of buffer in a small picture).
INIT = """
(setq package-directory-list '("/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'eglot)
(load (expand-file-name "editors/emacs/understudy.el" (getenv "UNDERSTUDY_SRC")) nil t)
(setq inhibit-startup-screen t)
(menu-bar-mode -1)
(setq suggest-key-bindings nil)
(setq understudy-server-command (list (getenv "US_BIN") "--stdio"))
(setq understudy-extra-settings
      (json-parse-string (getenv "US_SETTINGS") :object-type 'plist :array-type 'array))
(understudy-eglot-setup)
(add-hook 'python-mode-hook #'eglot-ensure)
(when (require 'company nil t) (global-company-mode 1))
"""


def screenshot(emacs, box, env, fake):
    """editors/screenshots/emacs.png's source: emacs -nw in tmux, Company's popup (or
    *Completions*) with the AI item above a local symbol that shares its prefix, and the mode
    line's status (emacs.png in edtest.screenshot_dir()). Not a check: skipped when tmux,
    chromium or playwright-core is missing or the screen does not show what it should."""
    import tui_shot
    if not tui_shot.available():
        print("screenshot skipped (needs tmux, chromium and playwright-core)")
        return
    init = os.path.join(box.root, "init.el")
    with open(init, "w") as f:
        f.write(INIT)
    path = box.write("shot.py", "def add(a, b):\n\n\ndef total_of(xs):\n    return sum(xs)\n")
    # After `t` the fake continues with `otal = a + b` (the local symbol total_of matches too).
    fake.mode("healthy", text="otal = a + b\n    return total")
    company = any(n.startswith("company-") for n in os.listdir("/usr/share/emacs/site-lisp/elpa"))
    tenv = dict(env, TERM="xterm-256color")
    tm = tui_shot.Tmux(box, "%s -nw -Q -l %s %s" % (emacs, init, path), tenv, cols=110, rows=12)
    shot = None
    try:
        ok = tm.wait_text(lambda t: "Understudy:fake" in t, 20)
        tm.keys("C-n")
        tm.keys("Tab")
        time.sleep(0.3)
        tm.keys("t")
        time.sleep(0.3)
        tm.keys("M-x")
        time.sleep(0.3)
        tm.keys("company-manual-begin" if company else "completion-at-point", "Enter")

        def popup(t):
            rows = t.split("\n")
            return len(rows) > 3 and "total = a + b" in rows[2] and "total_of" in t
        ok = ok and tm.wait_text(popup, 10)
        time.sleep(0.3)
        shot = tm.capture()
        tm.keys("C-g", "M-x")
        time.sleep(0.2)
        tm.keys("kill-emacs", "Enter")
        time.sleep(0.5)
    finally:
        screen = tm.text()
        tm.kill()
    if not ok:
        print("screenshot skipped: the screen did not show what it should:\n" + screen)
        return
    what = "Company's popup" if company else "*Completions*"
    png = tui_shot.render([("%s after `t` (M-x %s): the AI item first, then local items; the "
                            "mode line names the serving provider" %
                            (what, "company-manual-begin" if company else "completion-at-point"),
                            shot)],
                          os.path.join(edtest.screenshot_dir(), "emacs.png"),
                          "Emacs 28 + Eglot 1.9 + editors/emacs/understudy.el")
    print("screenshot: %s" % png)


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
        status = edtest.report(box, rc, out, fake)
        edtest.best_effort("screenshot", screenshot, emacs, box, env, fake)
        return status
    finally:
        fake.stop()
        box.close()


if __name__ == "__main__":
    sys.exit(main())
