"""Screenshots of terminal editors for the docs: the editor runs in a real terminal (tmux, its
own server socket), the screen is captured with its colours (capture-pane -e), turned into HTML
and photographed by the chromium + playwright-core the VS Code test installs. Best effort: when
tmux, chromium or playwright-core is missing, shoot() returns None and the test goes on."""
import html
import os
import shutil
import subprocess
import time

import edtest

E2E_MODULES = os.path.join(edtest.HERE, "vscode_e2e", "node_modules")
XTERM = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
         "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]
FG, BG = "#d0d0d0", "#1c1c1c"


def color256(n):
    if n < 16:
        return XTERM[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def ansi_to_html(text):
    """tmux capture-pane -e output (SGR sequences only) as <span>s."""
    out, st, i = [], {}, 0
    buf = []

    def flush():
        if not buf:
            return
        fg, bg = st.get("fg", FG), st.get("bg", None)
        if st.get("rev"):
            fg, bg = bg or BG, fg
        css = "color:%s;" % fg + ("background:%s;" % bg if bg else "")
        css += "font-weight:bold;" if st.get("bold") else ""
        css += "font-style:italic;" if st.get("italic") else ""
        css += "text-decoration:underline;" if st.get("ul") else ""
        out.append('<span style="%s">%s</span>' % (css, html.escape("".join(buf))))
        buf.clear()

    while i < len(text):
        if text[i] == "\x1b" and text[i + 1:i + 2] == "[":
            j = i + 2
            while j < len(text) and not text[j].isalpha():
                j += 1
            if text[j:j + 1] == "m":
                flush()
                codes = [int(c) if c.isdigit() else 0 for c in text[i + 2:j].split(";")] or [0]
                k = 0
                while k < len(codes):
                    c = codes[k]
                    if c == 0:
                        st = {}
                    elif c == 1:
                        st["bold"] = True
                    elif c == 3:
                        st["italic"] = True
                    elif c == 4:
                        st["ul"] = True
                    elif c == 7:
                        st["rev"] = True
                    elif c in (22, 23, 24, 27):
                        st.pop({22: "bold", 23: "italic", 24: "ul", 27: "rev"}[c], None)
                    elif 30 <= c <= 37 or 90 <= c <= 97:
                        st["fg"] = XTERM[c - 30 if c < 90 else c - 82]
                    elif 40 <= c <= 47 or 100 <= c <= 107:
                        st["bg"] = XTERM[c - 40 if c < 100 else c - 92]
                    elif c in (38, 48) and k + 1 < len(codes):
                        key = "fg" if c == 38 else "bg"
                        if codes[k + 1] == 5 and k + 2 < len(codes):
                            st[key] = color256(codes[k + 2])
                            k += 2
                        elif codes[k + 1] == 2 and k + 4 < len(codes):
                            st[key] = "#%02x%02x%02x" % tuple(codes[k + 2:k + 5])
                            k += 4
                    elif c == 39:
                        st.pop("fg", None)
                    elif c == 49:
                        st.pop("bg", None)
                    k += 1
            i = j + 1
            continue
        buf.append(text[i])
        i += 1
    flush()
    return "".join(out)


class Tmux:
    def __init__(self, box, cmd, env, cols=92, rows=16):
        self.sock = os.path.join(box.root, "tmux.sock")
        self.env = env
        self.run("new-session", "-d", "-x", str(cols), "-y", str(rows), cmd)
        self.run("set-option", "-g", "status", "off")

    def run(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null"] + list(args),
                              env=self.env, capture_output=True, text=True, timeout=20)

    def keys(self, *keys):
        self.run("send-keys", *keys)

    def text(self):
        return self.run("capture-pane", "-p").stdout

    def capture(self):
        return self.run("capture-pane", "-p", "-e").stdout.rstrip("\n")

    def wait_text(self, pred, seconds=15):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t = self.text()
            if pred(t):
                return True
            time.sleep(0.2)
        return False

    def kill(self):
        self.run("kill-server")


def available():
    return bool(shutil.which("tmux") and shutil.which("chromium") and shutil.which("node") and
                os.path.isdir(os.path.join(E2E_MODULES, "playwright-core")))


def render(captures, out_png, title):
    """captures: [(caption, capture-pane -e text)] stacked in one PNG."""
    parts = []
    for caption, cap in captures:
        parts.append('<div class="cap">%s</div><pre>%s</pre>' % (html.escape(caption), ansi_to_html(cap)))
    page = ("<html><body style='margin:0;background:#fff'><div id='shot' style='display:inline-block;"
            "padding:8px;background:#fff;font:12px sans-serif'><div class='t'>%s</div>%s</div>"
            "<style>pre{background:%s;color:%s;font:13px/1.25 'DejaVu Sans Mono',monospace;"
            "margin:4px 0 10px;padding:6px}.t{font-weight:bold;margin-bottom:4px}"
            ".cap{color:#333}</style></body></html>" % (html.escape(title), "".join(parts), BG, FG))
    page_path = out_png[:-4] + ".html"
    with open(page_path, "w") as f:
        f.write(page)
    js = ("const {chromium}=require('playwright-core');(async()=>{const b=await chromium.launch("
          "{executablePath:process.env.US_CHROMIUM,args:['--no-sandbox','--disable-gpu']});"
          "const p=await b.newPage({viewport:{width:900,height:400}});"
          "await p.goto('file://'+process.argv[1]);"
          "await (await p.$('#shot')).screenshot({path:process.argv[2]});await b.close();})()"
          ".catch(e=>{console.error(e);process.exit(1);});")
    env = dict(os.environ, NODE_PATH=E2E_MODULES, US_CHROMIUM=shutil.which("chromium"))
    r = subprocess.run(["node", "-e", js, page_path, out_png], env=env, capture_output=True,
                       text=True, timeout=120)
    os.remove(page_path)
    return out_png if r.returncode == 0 and os.path.exists(out_png) else None
