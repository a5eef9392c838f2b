#!/usr/bin/env python3
"""VS Code (code-server 4.100.3 = Code 1.100.3, the newest release on Node 20) in Debian's
chromium, driven by playwright-core: the packaged .vsix installs, ghost text renders and Tab
accepts it, the status bar item names the serving provider. Screenshots go to edtest.screenshot_dir()
(build/screenshots/).

The tools are installed once into tests/editors/vscode_e2e/node_modules (gitignored; pinned by
its package-lock.json) and reused; the .vsix is rebuilt from editors/vscode on every run."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import edtest

E2E = os.path.join(edtest.HERE, "vscode_e2e")
CACHE = os.path.join(edtest.HERE, ".cache")
EXT = os.path.join(edtest.SRC, "editors", "vscode")
ARTIFACTS = edtest.screenshot_dir()
CODE_SERVER = os.path.join(E2E, "node_modules", "code-server", "out", "node", "entry.js")
RG_CACHE = "vscode-ripgrep-cache-1.15.11"
RG_TARBALL = "ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"


def stale(folder):
    stamp = os.path.join(folder, "node_modules", ".package-lock.json")
    lock = os.path.join(folder, "package-lock.json")
    return not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(lock)


def setup_tools():
    """npm ci of code-server + playwright-core, once. code-server's install scripts need: root
    allowed to run them, `npx node-gyp` allowed, and @vscode/ripgrep's download (github.com)
    replaced by a cache seeded with Debian's rg."""
    if not stale(E2E) and os.path.exists(CODE_SERVER):
        return
    rg = shutil.which("rg")
    if not rg:
        raise RuntimeError("ripgrep (Debian package) is needed to install code-server offline")
    tmp = os.path.join(CACHE, "tmp")
    os.makedirs(os.path.join(tmp, RG_CACHE), exist_ok=True)
    tarball = os.path.join(tmp, RG_CACHE, RG_TARBALL)
    if not os.path.exists(tarball):
        subprocess.run(["tar", "czf", tarball, "-C", os.path.dirname(rg), "rg"], check=True)
    env = dict(os.environ, TMPDIR=tmp, npm_config_yes="true", npm_config_unsafe_perm="true")
    print("installing code-server and playwright-core into %s (about a minute, once)" % E2E, flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--foreground-scripts"], cwd=E2E,
                   env=env, check=True, stdout=subprocess.DEVNULL, timeout=900)


def build_vsix():
    if stale(EXT):
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=EXT,
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
    subprocess.run(["npx", "--no-install", "tsc", "-p", "."], cwd=EXT, check=True, timeout=300)
    os.makedirs(CACHE, exist_ok=True)
    vsix = os.path.join(CACHE, "understudy.vsix")
    subprocess.run(["npx", "--no-install", "vsce", "package", "--allow-missing-repository",
                    "--skip-license", "-o", vsix], cwd=EXT, check=True, stdout=subprocess.DEVNULL,
                   timeout=300)
    return vsix


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_settings():
    """VS Code's defaults, but for the noise a test cannot have (tips, telemetry, updates)."""
    return {
        # VS Code's defaults otherwise (quick suggestions, auto-indent, auto-closing brackets,
        # indentation detection): the test stands for a user.
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "update.mode": "none",
        "files.autoSave": "off",
    }


def drive(box, vsix, settings, driver_env, timeout=480, node_env=None):
    """Install the .vsix into a fresh code-server, serve box.work, run vscode_drive.js in
    chromium. Returns (installed, install output, driver exit, driver output)."""
    ud = os.path.join(box.root, "user-data")
    ext = os.path.join(box.root, "extensions")
    env = node_env or box.env()
    node = shutil.which("node")
    base = [node, CODE_SERVER, "--user-data-dir", ud, "--extensions-dir", ext]
    inst = subprocess.run(base + ["--install-extension", vsix], env=env, cwd=box.work,
                          capture_output=True, text=True, timeout=120)
    installed = os.path.isdir(ext) and any(d.startswith("understudy.understudy-")
                                           for d in os.listdir(ext))
    os.makedirs(os.path.join(ud, "User"), exist_ok=True)
    with open(os.path.join(ud, "User", "settings.json"), "w") as f:
        json.dump(settings, f, indent=2)
    port = free_port()
    cs = None
    try:
        log = open(os.path.join(box.root, "code-server.stderr"), "wb")
        cs = subprocess.Popen(base + ["--bind-addr", "127.0.0.1:%d" % port, "--auth", "none",
                                      "--disable-telemetry", "--disable-update-check",
                                      "--disable-workspace-trust", "--disable-getting-started-override",
                                      box.work], env=env, cwd=box.work, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or cs.poll() is not None:
                    raise RuntimeError("code-server did not come up")
                time.sleep(0.3)
        denv = dict(env, US_URL="http://127.0.0.1:%d/?folder=%s" % (port, box.work),
                    US_RESULT=box.result, US_WORK=box.work,
                    US_CHROMIUM=shutil.which("chromium"), NODE_PATH=os.path.join(E2E, "node_modules"))
        denv.update(driver_env)
        rc, out = edtest.run_editor([node, os.path.join(edtest.HERE, "vscode_drive.js")], box,
                                    denv, timeout=timeout)
        return installed, inst.stdout + inst.stderr, rc, out
    finally:
        if cs is not None:
            try:
                os.killpg(cs.pid, 15)
                cs.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(cs.pid, 9)
                cs.wait()


def main():
    chromium = shutil.which("chromium")
    if not chromium or not shutil.which("node") or not shutil.which("npm"):
        print("chromium, node or npm not installed: skipped")
        return edtest.SKIP
    binary = edtest.binary()
    setup_tools()
    vsix = build_vsix()
    box = edtest.Sandbox("vscode")
    fake = edtest.FakeProvider(text=edtest.AI_TEXT, max_seconds=400)
    try:
        path = box.write("calc.py", "def add(a, b):\n")
        box.write("pop.py", "def mul(a, b):\n")
        box.write("pop.js", "function mul(a, b) {\n\n}\n")
        box.write("show.py", "def show(a, b):\n")
        settings = dict(base_settings(), **{
            "understudy.path": binary,
            "understudy.providers": edtest.settings(fake, box)["providers"],
            "understudy.settings": {k: v for k, v in edtest.settings(fake, box).items()
                                    if k != "providers"},
        })
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "vscode-ghost.png")
        installed, inst_out, rc, out = drive(box, vsix, settings, dict(
            US_FILE_NAME="calc.py", US_AI_TEXT=edtest.AI_TEXT, US_TYPED=edtest.TYPED,
            US_SCREENSHOT=shot, US_FAKE_URL=fake.base_url,
            US_POPUP_SCREENSHOT=os.path.join(ARTIFACTS, "vscode-popup.png")))
        # Checks only Python can make: the install and the saved file.
        try:
            with open(box.result) as f:
                res = json.load(f)
        except (OSError, ValueError):
            res = {"checks": [], "error": "driver wrote no result (exit %s)" % rc}
        checks = [{"name": "the .vsix installs", "ok": installed,
                   "detail": None if installed else inst_out}]
        with open(path) as f:
            saved = f.read()
        want = "def add(a, b):\n" + edtest.TYPED + edtest.AI_TEXT
        ok = saved.rstrip("\n") == want
        checks += res.get("checks", [])
        checks.append({"name": "Tab inserts the suggestion exactly (file saved)", "ok": ok,
                       "detail": None if ok else "saved %r, want %r" % (saved, want)})
        res["checks"] = checks
        with open(box.result, "w") as f:
            json.dump(res, f)
        print("screenshots: %s" % os.path.dirname(shot))
        return edtest.report(box, rc, out, fake)
    finally:
        fake.stop()
        box.close()


if __name__ == "__main__":
    sys.exit(main())
