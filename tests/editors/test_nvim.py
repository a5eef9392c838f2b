#!/usr/bin/env python3
"""Neovim (Debian's 0.7.2, or whatever `nvim` is) headless against the real server and a fake
provider: ghost text, accept / accept word / accept line, omnifunc items, status string."""
import json
import os
import shutil
import sys
import time

import edtest


INIT = """
vim.opt.runtimepath:prepend(os.getenv('US_PLUGIN'))
vim.cmd('filetype plugin indent on')
vim.cmd('syntax on')
vim.o.laststatus = 2
vim.o.statusline = "%f %= %{v:lua.require'understudy'.status()} "
require('understudy').setup({ cmd = { os.getenv('US_BIN'), '--stdio' },
  settings = vim.fn.json_decode(os.getenv('US_SETTINGS')), debounce_ms = 30 })
"""


def screenshot(nvim, box, env, fake):
    """editors/screenshots/nvim.png's source: Neovim's real TUI in tmux, ghost text and the
    status line (nvim.png in edtest.screenshot_dir()). Not a check: skipped when the tools are
    missing."""
    import tui_shot
    if not tui_shot.available():
        print("screenshot skipped (needs tmux, chromium and playwright-core)")
        return
    init = os.path.join(box.root, "init.lua")
    with open(init, "w") as f:
        f.write(INIT)
    fake.mode("healthy", text=edtest.AI_TEXT)
    tenv = dict(env, TERM="xterm-256color")
    tm = tui_shot.Tmux(box, "%s -u %s -i NONE -n %s" % (nvim, init, env["US_FILE"]), tenv, rows=12)
    try:
        ok = tm.wait_text(lambda t: "understudy: fake" in t)
        tm.keys("o")
        time.sleep(0.5)
        tm.keys("M-\\")  # ask now (the plugin's trigger key)
        ok = ok and tm.wait_text(lambda t: "return total" in t)
        ghost = tm.capture()
        tm.keys("Escape", ":qa!", "Enter")
    finally:
        screen = tm.text()
        tm.kill()
    if not ok:
        print("screenshot skipped: the screen did not show what it should:\n" + screen)
        return
    png = tui_shot.render([("ghost text after `o` and <M-\\> (insert mode); the status line "
                            "names the serving provider", ghost)],
                          os.path.join(edtest.screenshot_dir(), "nvim.png"),
                          "Neovim 0.7 + editors/nvim")
    print("screenshot: %s" % png)


def main():
    nvim = shutil.which("nvim")
    if not nvim:
        print("nvim not installed: skipped (apt-get install neovim)")
        return edtest.SKIP
    binary = edtest.binary()
    box = edtest.Sandbox("nvim")
    fake = edtest.FakeProvider(text=edtest.AI_TEXT, max_seconds=180)
    try:
        box.write("pkg/calc.py", "def add(a, b):\n")
        os.makedirs(os.path.join(box.work, ".git"), exist_ok=True)  # the workspace root marker
        env = box.env(
            US_BIN=binary,
            US_SETTINGS=json.dumps(edtest.settings(fake, box)),
            US_FAKE_URL=fake.base_url,
            US_AI_TEXT=edtest.AI_TEXT,
            US_RESULT=box.result,
            US_PLUGIN=os.path.join(edtest.SRC, "editors", "nvim"),
            US_FILE=os.path.join(box.work, "pkg", "calc.py"),
        )
        script = os.path.join(edtest.HERE, "nvim_test.lua")
        rc, out = edtest.run_editor([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
                                     "-c", "luafile " + script], box, env, timeout=90)
        status = edtest.report(box, rc, out, fake)
        edtest.best_effort("screenshot", screenshot, nvim, box, env, fake)
        return status
    finally:
        fake.stop()
        box.close()


if __name__ == "__main__":
    sys.exit(main())
