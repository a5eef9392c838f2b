"""The configuration file follows the user (issue 16): edits to $XDG_CONFIG_HOME/understudy/
config.json or to --config apply while the server runs, with the same per-key messages as at
start; a broken edit keeps the last good configuration and says so once."""
import json
import os
import tempfile
import time

from lspclient import TestCase, check, eq


def provider(name):
    # A loopback port nobody listens on: the provider is configured, never reached.
    return {"name": name, "kind": "openai-compatible", "model": "m",
            "base_url": "http://127.0.0.1:9/v1"}


def save_like_an_editor(path, text):
    """Write a temporary file next to it and rename it over the old one (Vim, VS Code)."""
    tmp = os.path.join(os.path.dirname(path), ".config.json.tmp~")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def names(status_msg):
    return [p["name"] for p in status_msg["params"].get("providers", [])]


class ConfigWatch(TestCase):
    def user_server(self, first):
        xdg = tempfile.mkdtemp(prefix="us-xdg-")
        os.makedirs(os.path.join(xdg, "understudy"))
        path = os.path.join(xdg, "understudy", "config.json")
        with open(path, "w") as f:
            json.dump(first, f)
        s = self.server(env={"XDG_CONFIG_HOME": xdg})
        s.initialize()
        s.wait_notification("understudy/status")
        return s, path

    def test_edit_break_fix_user_file(self):
        s, path = self.user_server({"providers": [provider("first")]})
        # An edit applies: the new provider shows in understudy/status, and an unknown key gets
        # the same warning as at start.
        m = s.mark()
        save_like_an_editor(path, json.dumps({"providers": [provider("first"), provider("fresh")],
                                              "colour": "blue"}))
        st = s.wait_notification("understudy/status", lambda x: "fresh" in names(x), start=m)
        eq(names(st), ["first", "fresh"])
        warn = s.wait_notification("window/logMessage",
                                   lambda x: "colour" in x["params"]["message"], start=m)
        check(warn["params"]["type"] == 2, warn)

        # A broken edit: one showMessage naming the file; the last good configuration stays.
        m = s.mark()
        save_like_an_editor(path, '{"providers": [')
        msg = s.wait_notification("window/showMessage", start=m)
        eq(msg["params"]["type"], 1)
        check("config.json" in msg["params"]["message"] and
              "last good configuration" in msg["params"]["message"], msg["params"]["message"])
        save_like_an_editor(path, '{"providers": [')  # saved again, still broken: no repeat
        with open(path, "a") as f:                       # written in place, still broken
            f.write(" ")
        time.sleep(1.0)
        shown = [x for x in s.notifications[m:] if x.get("method") == "window/showMessage"]
        eq(len(shown), 1, "the broken file is reported once: %s" % shown)
        r = s.request("workspace/executeCommand", {"command": "understudy.status", "arguments": []})
        eq([p["name"] for p in r["result"]["providers"]], ["first", "fresh"])
        check(not any(x.get("method") == "understudy/status" for x in s.notifications[m:]),
              "a broken edit changes nothing")

        # Fixed: applied, and the user is told it is valid again.
        m = s.mark()
        save_like_an_editor(path, json.dumps({"providers": [provider("second")]}))
        st = s.wait_notification("understudy/status", lambda x: names(x) == ["second"], start=m)
        ok = s.wait_notification("window/showMessage", start=m)
        eq(ok["params"]["type"], 3)
        # A bad value (valid JSON) is broken too: nothing changes.
        m = s.mark()
        save_like_an_editor(path, json.dumps({"providers": [provider("third")],
                                              "completion": {"deadline_ms": -1}}))
        msg = s.wait_notification("window/showMessage", start=m)
        check("completion.deadline_ms" in msg["params"]["message"], msg["params"]["message"])
        r = s.request("workspace/executeCommand", {"command": "understudy.status", "arguments": []})
        eq([p["name"] for p in r["result"]["providers"]], ["second"])
        eq(s.shutdown_and_exit(), 0)

    def test_explicit_config_written_in_place(self):
        d = tempfile.mkdtemp(prefix="us-cfg-")
        path = os.path.join(d, "mine.json")
        with open(path, "w") as f:
            json.dump({"providers": [provider("a")]}, f)
        s = self.server(args=["--config", path])
        s.initialize()
        s.wait_notification("understudy/status")
        m = s.mark()
        with open(path, "w") as f:  # in place, no rename
            json.dump({"providers": [provider("a"), provider("b")]}, f)
        st = s.wait_notification("understudy/status", lambda x: "b" in names(x), start=m)
        eq(names(st), ["a", "b"])
        # Removing a provider the client did not give either: the file is the only source.
        m = s.mark()
        with open(path, "w") as f:
            json.dump({}, f)
        s.wait_notification("understudy/status", lambda x: names(x) == [], start=m)
        eq(s.shutdown_and_exit(), 0)

    def test_client_settings_still_win(self):
        s, path = self.user_server({"providers": [provider("from-file")]})
        m = s.mark()
        s.notify("workspace/didChangeConfiguration",
                 {"settings": {"understudy": {"providers": [provider("from-client")]}}})
        s.wait_notification("understudy/status", lambda x: names(x) == ["from-client"], start=m)
        m = s.mark()
        save_like_an_editor(path, json.dumps({"providers": [provider("file-2")],
                                              "completion": {"max_lines": 3}}))
        time.sleep(1.0)
        r = s.request("workspace/executeCommand", {"command": "understudy.status", "arguments": []})
        eq([p["name"] for p in r["result"]["providers"]], ["from-client"])
        eq(s.shutdown_and_exit(), 0)


if __name__ == "__main__":
    ConfigWatch().run()
