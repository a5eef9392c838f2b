"""Pieces the benchmark driver shares: a lean single-threaded LSP client (no reader thread, so
the client adds as little as possible to each round trip), percentiles, process memory, and a
description of the machine. Standard library only."""
import json
import os
import platform
import select
import subprocess
import time


# ------------------------------------------------------------------ statistics
def percentile(values, q):
    """Linear interpolation between closest ranks; q in [0, 100]."""
    if not values:
        return None
    v = sorted(values)
    if len(v) == 1:
        return v[0]
    pos = (len(v) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def median(values):
    return percentile(values, 50)


def summarize_runs(runs):
    """runs: list of lists of samples (ms). Each run gets its own p50/p95/p99; the figure
    reported is the median over runs, so one disturbed run does not move it."""
    runs = [r for r in runs if r]
    if not runs:
        return None
    return {
        "p50_ms": median([percentile(r, 50) for r in runs]),
        "p95_ms": median([percentile(r, 95) for r in runs]),
        "p99_ms": median([percentile(r, 99) for r in runs]),
        "min_ms": min(min(r) for r in runs),
        "max_ms": max(max(r) for r in runs),
        "runs": len(runs),
        "samples": sum(len(r) for r in runs),
        "run_p50s_ms": [round(percentile(r, 50), 4) for r in runs],
    }


# ------------------------------------------------------------------ processes and memory
def _status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def descendants(pid):
    """pid and every process below it (the Copilot server runs helpers of its own)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mb(pid, tree=True):
    """Resident set size in MB (the sum over the process tree when tree is true)."""
    pids = descendants(pid) if tree else [pid]
    kb = [_status_kb(p, "VmRSS") for p in pids]
    kb = [k for k in kb if k is not None]
    return sum(kb) / 1024.0 if kb else None


def hwm_mb(pid):
    k = _status_kb(pid, "VmHWM")
    return None if k is None else k / 1024.0


# ------------------------------------------------------------------ machine
def loadavg():
    """The 1-minute load average: other work on the machine moves every figure."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def machine():
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    distro = None
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {"cpu": cpu or platform.processor() or "unknown", "cores": os.cpu_count(),
            "loadavg_1m_at_start": loadavg(),
            "memory_gb": mem, "kernel": platform.release(), "os": distro,
            "python": platform.python_version()}


# ------------------------------------------------------------------ lean LSP client
class LspError(Exception):
    pass


class Lsp:
    """One language server over pipes. Requests are synchronous: write, then read until the
    matching response, answering the server's own requests (workspace/configuration and the
    like) on the way. Notifications are kept in self.notifications."""

    def __init__(self, cmd, env=None, cwd=None, stderr=None, on_server_request=None):
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr if stderr is not None else subprocess.DEVNULL,
                                     env=env, cwd=cwd, bufsize=0)
        self.fd = self.proc.stdout.fileno()
        self.buf = bytearray()
        self.next_id = 1
        self.notifications = []
        self.on_server_request = on_server_request or (lambda method, params: None)

    @property
    def pid(self):
        return self.proc.pid

    def _write(self, obj):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self._write(msg)

    def _read_message(self, deadline):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                length = None
                for line in bytes(self.buf[:end]).split(b"\r\n"):
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                if length is None:
                    raise LspError("frame without Content-Length")
                if len(self.buf) >= end + 4 + length:
                    body = bytes(self.buf[end + 4:end + 4 + length])
                    del self.buf[:end + 4 + length]
                    return json.loads(body)
            left = deadline - time.perf_counter()
            if left <= 0:
                raise LspError("timed out waiting for the server")
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                raise LspError("server closed its output (exit %s)" % self.proc.poll())
            self.buf += chunk

    def request(self, method, params=None, timeout=30.0):
        """Returns the whole response message (with "result" or "error")."""
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self._write(msg)
        return self.wait_response(rid, timeout)

    def wait_response(self, rid, timeout=30.0):
        deadline = time.perf_counter() + timeout
        while True:
            m = self._read_message(deadline)
            if "method" in m and "id" in m:
                result = self.on_server_request(m["method"], m.get("params"))
                self._write({"jsonrpc": "2.0", "id": m["id"], "result": result})
            elif "method" in m:
                self.notifications.append(m)
                if len(self.notifications) > 1000:
                    del self.notifications[:500]
            elif m.get("id") == rid:
                return m

    def pump(self, seconds):
        """Read and answer whatever the server sends for a while (no request of ours open)."""
        deadline = time.perf_counter() + seconds
        try:
            while True:
                m = self._read_message(deadline)
                if "method" in m and "id" in m:
                    result = self.on_server_request(m["method"], m.get("params"))
                    self._write({"jsonrpc": "2.0", "id": m["id"], "result": result})
                elif "method" in m:
                    self.notifications.append(m)
        except LspError as e:
            if "timed out" not in str(e):
                raise

    def close(self, timeout=5.0):
        """shutdown + exit, then make sure the process is gone."""
        if self.proc.poll() is None:
            try:
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit")
                self.proc.stdin.close()
                self.proc.wait(timeout)
            except (LspError, OSError, subprocess.TimeoutExpired, ValueError):
                pass
        self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
