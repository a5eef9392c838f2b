#!/usr/bin/env python3
"""Neovim (Debian's 0.7.2, or whatever `nvim` is) headless against the real server and a fake
provider: ghost text, accept / accept word / accept line, omnifunc items, status string."""
import json
import os
import shutil
import sys

import edtest


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
        return edtest.report(box, rc, out, fake)
    finally:
        fake.stop()
        box.close()


if __name__ == "__main__":
    sys.exit(main())
