#!/usr/bin/env python3
"""Install what is missing, and nothing else: Debian packages (via sudo when not root) and the
pinned npm packages of grammars/ (and of the editor clients for the test set).

    deps.py build   what `make run` needs
    deps.py test    plus what the whole suite needs (real editors, clangd, clang, valgrind)

A second run finds everything present and does no reinstall."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

BUILD_PACKAGES = ["meson", "ninja-build", "pkg-config", "gcc", "libc6-dev", "libuv1-dev",
                  "libjansson-dev", "libcurl4-openssl-dev", "libtree-sitter-dev", "python3"]
TEST_PACKAGES = ["neovim", "emacs-nox", "elpa-eglot", "elpa-company", "clangd", "clang", "libclang-rt-14-dev",
                 "valgrind", "chromium", "ca-certificates", "openssl", "tmux",
                 # code-server's native modules and its offline ripgrep (tests/editors)
                 "ripgrep", "libkrb5-dev", "libxkbfile-dev", "libsecret-1-dev", "libx11-dev",
                 "g++", "make"]
# npm folders whose package-lock.json pins what they need.
BUILD_NPM = ["grammars"]
# tests/sdk: the official provider SDKs (and typescript) the conformance tests use as oracles.
TEST_NPM = ["editors/vscode", "tests/sdk"]


def missing_packages(pkgs):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n"] + pkgs,
                         capture_output=True, text=True)
    installed = {line.split()[0] for line in out.stdout.splitlines()
                 if len(line.split()) > 1 and line.split()[1].startswith("ii")}
    return [p for p in pkgs if p not in installed]


def apt_install(pkgs):
    need = missing_packages(pkgs)
    if not need:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("installing Debian packages: " + " ".join(need), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-q"], check=False, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + need,
                   check=True, env=env)


def npm_ci(folder):
    path = os.path.join(ROOT, folder)
    lock = os.path.join(path, "package-lock.json")
    if not os.path.exists(lock):
        return
    stamp = os.path.join(path, "node_modules", ".package-lock.json")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(lock):
        return
    if not shutil.which("npm"):
        apt_install(["nodejs", "npm"])
    print("installing pinned npm packages in %s" % folder, flush=True)
    # --ignore-scripts: grammar packages would try to build node bindings we do not use.
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=path,
                   check=True)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "build"
    pkgs = BUILD_PACKAGES + (TEST_PACKAGES if which == "test" else [])
    apt_install(pkgs)
    for folder in BUILD_NPM + (TEST_NPM if which == "test" else []):
        npm_ci(folder)


if __name__ == "__main__":
    main()
