"""Helper for Python tests: start a fake provider (tests/fakes/fake_provider.py) as a
subprocess, script its faults, read its statistics and request log, stop it.

    from fakeclient import FakeProvider
    with FakeProvider(mode="healthy", text="return 1\n") as fake:
        fake.control(mode="hang")            # default for every request from now on
        fake.queue("status_503", count=2)    # next 2 requests fail, then the default again
        ... point Understudy at fake.base_url ...
        assert fake.stats()["connections_accepted"] <= 2
        fake.wait_for(lambda s: s["requests"][-1]["client_closed"])

Standard library only.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "fake_provider.py")


def unused_port():
    """A port nobody listens on: bind, read the number, close (connect() then gets refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop_process(proc):
    """End a helper process started with a stdout pipe: terminate, then kill after 5 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


class FakeProvider:
    def __init__(self, mode="healthy", text=None, max_seconds=600, extra_args=None, **params):
        args = [sys.executable, SCRIPT, "--port", "0", "--mode", mode,
                "--max-seconds", str(max_seconds)]
        if text is not None:
            args += ["--text", text]
        if params:
            args += ["--fault-json", json.dumps(params)]
        args += list(extra_args or [])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fake provider did not start (exit %s)" % self.proc.poll())
        info = json.loads(line)
        self.port = info["port"]
        self.pid = info["pid"]
        self.base_url = "http://127.0.0.1:%d" % self.port
        self.tls_port = info.get("tls_port")  # with extra_args=["--tls-port", "0"]

    # -- control
    def _call(self, path, payload=None, timeout=10):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.base_url + path, data=data,
                                     method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}")

    def control(self, **cmd):
        """Raw control command, e.g. control(mode="stall", stall_ms=2000) sets the default."""
        return self._call("/_control", cmd)

    def mode(self, mode, **params):
        return self.control(mode=mode, **params)

    def queue(self, mode, count=1, **params):
        """The next `count` requests get `mode`, then the default mode again."""
        return self.control(queue=[dict(mode=mode, count=count, **params)])

    def reset(self):
        return self._call("/_reset", {})

    def stats(self):
        return self._call("/_stats")

    def requests(self):
        return self.stats()["requests"]

    def catalog(self):
        return self._call("/_catalog")["modes"]

    def wait_for(self, pred, timeout=5.0, interval=0.02):
        """Poll the stats until pred(stats) is true; returns the stats or raises."""
        end = time.monotonic() + timeout
        while True:
            s = self.stats()
            if pred(s):
                return s
            if time.monotonic() > end:
                raise TimeoutError("fake provider condition not met; stats: %s" %
                                   json.dumps({k: v for k, v in s.items() if k != "requests"}))
            time.sleep(interval)

    # -- lifetime
    def stop(self):
        stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
