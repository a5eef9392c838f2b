"""Log lines reach the editor as window/logMessage with their type (issue 16): info lines are
type 3, nothing goes to stderr in normal operation (editors show stderr as errors: Neovim's
lsp.log tags it [ERROR]); a fatal start-up error does go to stderr, since no client listens."""
import os
import subprocess
import tempfile

from lspclient import BIN, TestCase, check, eq


class LogMessage(TestCase):
    def test_info_lines_are_log_messages_and_stderr_stays_empty(self):
        root = tempfile.mkdtemp(prefix="us-root-")
        with open(os.path.join(root, ".understudyignore"), "w") as f:
            f.write("secret/\n")
        xdg = tempfile.mkdtemp(prefix="us-xdg-")
        s = self.server(env={"XDG_CONFIG_HOME": xdg})
        # A provider nobody answers: its failure is an info line of the router.
        opts = {"providers": [{"name": "gone", "kind": "openai-compatible", "model": "m",
                               "base_url": "http://127.0.0.1:9/v1", "timeout_ms": 500}],
                "completion": {"deadline_ms": 800}, "breaker": {"failures": 5},
                "log": {"level": "info"}}
        s.initialize(init_options=opts, root="file://" + root)
        info = s.wait_notification("window/logMessage",
                                   lambda m: ".understudyignore" in m["params"]["message"])
        eq(info["params"]["type"], 3)
        uri = "file://" + os.path.join(root, "a.py")
        s.open(uri, "def add(a, b):\n    \n")
        s.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": 1, "character": 4},
            "context": {"triggerKind": 1}}, timeout=15)
        failed = s.wait_notification("window/logMessage",
                                     lambda m: "gone failed" in m["params"]["message"])
        eq(failed["params"]["type"], 3)
        for m in s.notifications_of("window/logMessage"):
            check(m["params"]["type"] in (1, 2, 3, 4), m)
            check(not m["params"]["message"].endswith("\n"), m)
        eq(s.shutdown_and_exit(), 0)
        eq(s.stderr(), "", "stderr in normal operation")

    def test_debug_lines_are_type_4(self):
        s = self.server(args=["--log-level", "debug"])
        s.initialize()
        s.open("file:///tmp/x.py", "x = 1\n")
        m = s.wait_notification("window/logMessage", lambda m: m["params"]["type"] == 4)
        check(m["params"]["message"], m)
        eq(s.shutdown_and_exit(), 0)
        eq(s.stderr(), "", "stderr in normal operation (debug level)")

    def test_fatal_startup_error_goes_to_stderr(self):
        p = subprocess.run([BIN, "--no-such-option"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        eq(p.returncode, 2)
        check("unknown option --no-such-option" in p.stderr, p.stderr)
        eq(p.stdout, "", "stdout carries only LSP messages")


if __name__ == "__main__":
    LogMessage().run()
