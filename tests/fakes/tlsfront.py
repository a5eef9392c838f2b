"""Run any fake behind tls_front.js (TLS, HTTP/2 by ALPN unless h1_only):

    with FakeProvider() as fake, TlsFront(fake, certs) as front:
        provider(..., base_url=front.base_url + "/v1", ca_file=certs["ca"])
        front.stats()["alpn"]  # {"h2": 1}

The fake's own control API stays on fake.base_url (plain HTTP)."""
import json
import os
import subprocess
import urllib.request

from fakeclient import stop_process

HERE = os.path.dirname(os.path.abspath(__file__))


class TlsFront:
    def __init__(self, fake, certs, h1_only=False, max_seconds=600, host="127.0.0.1"):
        args = ["node", os.path.join(HERE, "tls_front.js"), "--upstream", str(fake.port),
                "--cert", certs["cert"], "--key", certs["key"],
                "--max-seconds", str(max_seconds)]
        if h1_only:
            args.append("--h1-only")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("tls_front did not start (exit %s)" % self.proc.poll())
        info = json.loads(line)
        self.port = info["port"]
        self.stats_port = info["stats_port"]
        self.base_url = "https://%s:%d" % (host, self.port)

    def stats(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/stats" % self.stats_port,
                                    timeout=10) as r:
            return json.loads(r.read())

    def reset(self):
        req = urllib.request.Request("http://127.0.0.1:%d/reset" % self.stats_port, data=b"{}")
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def stop(self):
        stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
