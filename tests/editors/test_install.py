#!/usr/bin/env python3
"""Installing like a user (issue 16): `make install PREFIX=<tmp>` and `make vsix`, then each
editor started from the installed files only: Neovim with the prefix's share/ in XDG_DATA_DIRS
(its packpath) and bin/ on PATH, Emacs with the installed site-lisp on load-path, code-server
`--install-extension` of the built .vsix with no understudy.path setting and no understudy on
PATH (the bundled bin/linux-x64/understudy must serve). An editor that is not installed is
skipped within the test; the test is skipped only when none is."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import edtest

MAKE_TIMEOUT = 600


def make(args, env):
    build = os.path.dirname(edtest.binary())
    p = subprocess.run(["make", "-C", edtest.SRC, "BUILD=" + build] + args, env=env,
                       capture_output=True, text=True, timeout=MAKE_TIMEOUT)
    if p.returncode != 0:
        raise RuntimeError("make %s failed:\n%s%s" % (" ".join(args), p.stdout[-3000:], p.stderr[-3000:]))
    return p.stdout


def result_checks(box, rc, out):
    try:
        with open(box.result) as f:
            res = json.load(f)
    except (OSError, ValueError):
        res = {"checks": [], "error": "no result (exit %s): %s" % (rc, out[-2000:])}
    os.remove(box.result) if os.path.exists(box.result) else None
    checks = res.get("checks", [])
    if res.get("error"):
        checks.append({"name": "editor run", "ok": False, "detail": res["error"]})
    return checks


def installed_files(prefix):
    want = ["bin/understudy",
            "share/nvim/site/pack/understudy/start/understudy/lua/understudy/init.lua",
            "share/emacs/site-lisp/understudy.el",
            "share/doc/understudy/README.md"]
    missing = [w for w in want if not os.path.exists(os.path.join(prefix, w))]
    return [{"name": "make install puts the binary, the Neovim package, understudy.el and the "
                     "docs under PREFIX", "ok": not missing, "detail": "missing: %s" % missing}]


def main():
    binary = edtest.binary()
    box = edtest.Sandbox("install")
    fake = edtest.FakeProvider(text=edtest.AI_TEXT, max_seconds=600)
    checks = []
    outputs = []
    try:
        prefix = os.path.join(box.root, "prefix")
        make(["install", "PREFIX=" + prefix], os.environ.copy())
        checks += installed_files(prefix)
        # DESTDIR stages the same tree under another root.
        stage = os.path.join(box.root, "stage")
        make(["install", "PREFIX=/usr", "DESTDIR=" + stage], os.environ.copy())
        ok = os.access(os.path.join(stage, "usr", "bin", "understudy"), os.X_OK)
        checks.append({"name": "make install honours DESTDIR", "ok": ok, "detail": stage})

        path = box.write("calc.py", "def add(a, b):\n")
        os.makedirs(os.path.join(box.work, ".git"), exist_ok=True)
        settings = edtest.settings(fake, box)
        # PATH: the installed bin/ first, and no build folder.
        path_env = os.pathsep.join([os.path.join(prefix, "bin")] + [
            d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, "understudy"))])
        env = box.env(PATH=path_env, US_PREFIX=prefix, US_RESULT=box.result, US_FILE=path,
                      US_SETTINGS=json.dumps(settings), US_FAKE_URL=fake.base_url,
                      XDG_DATA_DIRS=os.path.join(prefix, "share") + ":/usr/local/share:/usr/share")

        nvim = shutil.which("nvim")
        if nvim:
            rc, out = edtest.run_editor([nvim, "--headless", "-i", "NONE", "-n", "-c",
                                         "luafile " + os.path.join(edtest.HERE, "install_nvim.lua")],
                                        box, env, timeout=90)
            checks += result_checks(box, rc, out)
            outputs.append(("nvim", out))
        else:
            print("nvim not installed: its part skipped")

        emacs = shutil.which("emacs")
        if emacs and os.path.isdir("/usr/share/emacs/site-lisp/elpa"):
            eenv = dict(env, US_SITE_LISP=os.path.join(prefix, "share", "emacs", "site-lisp"))
            rc, out = edtest.run_editor([emacs, "--batch", "-Q", "-l",
                                         os.path.join(edtest.HERE, "install_emacs.el")],
                                        box, eenv, timeout=90)
            checks += result_checks(box, rc, out)
            outputs.append(("emacs", out))
        else:
            print("emacs or elpa-eglot not installed: its part skipped")

        if shutil.which("chromium") and shutil.which("node") and shutil.which("npm"):
            import test_vscode
            test_vscode.setup_tools()
            before = set(os.listdir(os.path.dirname(binary)))
            make(["vsix"], os.environ.copy())
            vsixes = sorted(f for f in os.listdir(os.path.dirname(binary)) if f.endswith(".vsix"))
            vsix = os.path.join(os.path.dirname(binary), vsixes[-1]) if vsixes else None
            checks.append({"name": "make vsix builds the package", "ok": bool(vsix),
                           "detail": sorted(before)})
            if vsix:
                listing = subprocess.run(["unzip", "-l", vsix], capture_output=True, text=True).stdout
                inside = "extension/bin/linux-x64/understudy" in listing
                checks.append({"name": "the .vsix bundles bin/linux-x64/understudy", "ok": inside,
                               "detail": listing[-1500:]})
                # Which understudy runs while code-server is up: it must be the bundled one.
                # Only this test's descendants count: other tests of the suite (and other
                # users of a shared machine) run servers from build folders meanwhile.
                seen, stop = set(), threading.Event()
                me = os.getpid()

                def ours(pid):
                    for _ in range(64):
                        try:
                            with open("/proc/%s/status" % pid) as f:
                                pid = int(next(l for l in f if l.startswith("PPid:")).split()[1])
                        except (OSError, StopIteration, ValueError):
                            return False
                        if pid == me:
                            return True
                        if pid <= 1:
                            return False
                    return False

                def watch():
                    while not stop.is_set():
                        for pid in os.listdir("/proc"):
                            if not pid.isdigit():
                                continue
                            try:
                                exe = os.readlink("/proc/%s/exe" % pid)
                            except OSError:
                                continue
                            if os.path.basename(exe) == "understudy" and ours(pid):
                                seen.add(exe)
                        time.sleep(0.5)
                t = threading.Thread(target=watch, daemon=True)
                t.start()
                vs_settings = dict(test_vscode.base_settings(), **{
                    "understudy.providers": settings["providers"],
                    "understudy.settings": {k: v for k, v in settings.items() if k != "providers"},
                })
                os.makedirs(test_vscode.ARTIFACTS, exist_ok=True)
                installed, inst_out, rc, out = test_vscode.drive(box, vsix, vs_settings, dict(
                    US_FILE_NAME="calc.py", US_AI_TEXT=edtest.AI_TEXT, US_TYPED=edtest.TYPED,
                    US_FAKE_URL=fake.base_url, US_BASIC_ONLY="1",
                    US_SCREENSHOT=os.path.join(box.root, "install-vscode.png")),
                    timeout=300, node_env=env)
                stop.set()
                t.join()
                checks.append({"name": "code-server --install-extension installs the built .vsix",
                               "ok": installed, "detail": inst_out})
                checks += [dict(c, name="vscode: " + c["name"]) for c in result_checks(box, rc, out)]
                bundled = [e for e in seen if "/extensions/understudy.understudy-" in e and
                           e.endswith("/bin/linux-x64/understudy")]
                checks.append({"name": "vscode: the server is the binary bundled in the extension",
                               "ok": bool(bundled) and len(seen) == len(bundled),
                               "detail": sorted(seen)})
                outputs.append(("vscode", out))
        else:
            print("chromium, node or npm not installed: the VS Code part skipped")

        if not outputs:
            print("no editor installed: skipped")
            return edtest.SKIP
        for c in checks:
            c["detail"] = None if c["ok"] else c.get("detail")
        with open(box.result, "w") as f:
            json.dump({"checks": checks, "error": None}, f)
        return edtest.report(box, 0, "\n".join("---- %s\n%s" % (n, o[-2000:]) for n, o in outputs), fake)
    finally:
        fake.stop()
        box.close()


if __name__ == "__main__":
    sys.exit(main())
