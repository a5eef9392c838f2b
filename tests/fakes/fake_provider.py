#!/usr/bin/env python3
"""Fake AI provider: one HTTP/1.1 server on 127.0.0.1 that speaks all eight wire formats
Understudy talks to, records every request, and misbehaves on command (a catalog of scripted
faults, selectable as the default mode or queued for the next N requests).

This file is the server: shared state, connections, the responder that plays a fault, the control
API and the command line. What it sends (fault catalog, each API's stream events and error
bodies) is in fake_streams.py; the live APIs' request checks are in fake_rules.py.

Standard library only. See tests/fakes/README.md for the control API.
Start: python3 fake_provider.py [--port 0] [--mode healthy] [--text T] [--max-seconds 600]
It prints one JSON line {"port": N, "pid": P} on stdout once it listens.
"""

import argparse
import base64
import email.utils
import gzip
import json
import os
import select
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

# The two halves moved out of this file; their names stay reachable as fake_provider.NAME.
from fake_rules import (ANTHROPIC_FIELDS, MISTRAL_FIM_FIELDS,  # noqa: F401
                        rejection_body, validate)
from fake_streams import (CATALOG, DEFAULTS, HTML_PAGE, STATUS_TEXT,
                          content_type_for, detect_kind, error_body, full_response, j,
                          malformed_event, resolve_fault, stream_delta, stream_end,
                          stream_error_event, stream_start)


# ------------------------------------------------------------------ shared state
class State:
    def __init__(self, default_spec):
        self.lock = threading.Lock()
        self.default = resolve_fault(default_spec)
        self.queue = []          # list of [params, remaining]
        self.accepted = 0
        self.closed_by_peer = 0
        self.closed_by_server = 0
        self.tls_handshake_failures = 0
        self.requests = []
        self.conns = {}          # id -> dict
        self.next_conn = 1

    def take_fault(self):
        with self.lock:
            while self.queue:
                entry = self.queue[0]
                if entry[1] <= 0:
                    self.queue.pop(0)
                    continue
                entry[1] -= 1
                if entry[1] <= 0:
                    self.queue.pop(0)
                return entry[0]
            return self.default

    def peek_fault(self):
        with self.lock:
            for params, remaining in self.queue:
                if remaining > 0:
                    return params
            return self.default

    def reset(self):
        with self.lock:
            self.default = resolve_fault({})
            self.queue = []
            self.accepted = 0
            self.closed_by_peer = 0
            self.closed_by_server = 0
            self.requests = []
            self.conns = {k: v for k, v in self.conns.items() if v["state"] != "closed"}

    def stats(self, with_log=True):
        with self.lock:
            out = {
                "connections_accepted": self.accepted,
                "connections_closed_by_peer": self.closed_by_peer,
                "connections_closed_by_server": self.closed_by_server,
                "connections_open": sum(1 for c in self.conns.values()
                                        if c["state"] != "closed" and not c.get("control")),
                "requests_total": len(self.requests),
                "tls_handshake_failures": self.tls_handshake_failures,
                "mode": self.default["mode"],
                "queue": [{"mode": p["mode"], "remaining": n} for p, n in self.queue],
                "connections": [dict(c) for c in self.conns.values() if not c.get("control")],
            }
            if with_log:
                out["requests"] = [dict(r) for r in self.requests]
            return out


STATE = None
NO_VALIDATE = False  # --no-validate


class PeerGone(Exception):
    pass


# ------------------------------------------------------------------ connection handling
class Conn:
    def __init__(self, sock, cid):
        self.sock = sock
        self.id = cid
        self.buf = b""
        self.peer_closed = False
        self.control = False     # carried only control requests: left out of the counts
        self.served = 0

    def set_state(self, state, **extra):
        with STATE.lock:
            c = STATE.conns.get(self.id)
            if c is not None:
                c["state"] = state
                c.update(extra)

    def mark_peer_closed(self):
        if not self.peer_closed:
            self.peer_closed = True
            with STATE.lock:
                if not self.control:
                    STATE.closed_by_peer += 1
                c = STATE.conns.get(self.id)
                if c is not None:
                    c["state"] = "closed"
                    c["closed_by"] = "peer"

    def recv_some(self, timeout=None):
        pending = getattr(self.sock, "pending", None)
        if not (pending and pending()):
            r, _, _ = select.select([self.sock], [], [], timeout)
            if not r:
                return None
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, OSError):
            data = b""
        if not data:
            self.mark_peer_closed()
            raise PeerGone()
        return data

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise PeerGone()
            self.buf += self.recv_some()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = (lines[0].split(" ") + ["", ""])[:3]
        headers = []
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.append((k.strip(), v.strip()))
        hmap = {k.lower(): v for k, v in headers}
        if hmap.get("expect", "").lower() == "100-continue":
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = b""
        if "chunked" in hmap.get("transfer-encoding", "").lower():
            while True:
                while b"\r\n" not in self.buf:
                    self.buf += self.recv_some()
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self.buf += self.recv_some()
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            n = int(hmap.get("content-length", "0") or 0)
            while len(self.buf) < n:
                self.buf += self.recv_some()
            body, self.buf = self.buf[:n], self.buf[n:]
        return method, target, version, headers, hmap, body

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.mark_peer_closed()
            raise PeerGone()

    def sleep_watching(self, seconds):
        """Sleep, but notice (and record) the peer leaving meanwhile."""
        end = None if seconds is None else time.monotonic() + seconds
        while True:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                return
            r, _, _ = select.select([self.sock], [], [], left if left is not None else 1.0)
            if r:
                try:
                    data = self.sock.recv(65536, socket.MSG_PEEK)
                except ValueError:  # TLS sockets cannot peek
                    data = self.sock.recv(65536)
                    if data:
                        self.buf += data
                        continue
                except OSError:
                    data = b""
                if not data:
                    self.mark_peer_closed()
                    raise PeerGone()
                # Pipelined bytes: keep them for the next request, stop watching the socket.
                self.buf += self.sock.recv(65536)
                if end is not None:
                    time.sleep(max(0.0, end - time.monotonic()))
                    return

    def reset(self):
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_by_server()

    def close_by_server(self):
        with STATE.lock:
            c = STATE.conns.get(self.id)
            if c is not None and c["state"] != "closed":
                c["state"] = "closed"
                c["closed_by"] = "server"
                if not self.control:
                    STATE.closed_by_server += 1
        try:
            self.sock.close()
        except OSError:
            pass


def split_pieces(body, sizes):
    if not sizes:
        return [body]
    out, i, k = [], 0, 0
    while i < len(body):
        n = max(1, int(sizes[min(k, len(sizes) - 1)]))
        out.append(body[i:i + n])
        i += n
        k += 1
    return out


def text_deltas(text, size):
    size = max(1, int(size))
    return [text[i:i + size] for i in range(0, len(text), size)]


class Responder:
    def __init__(self, conn, params, kind, record, keep_alive):
        self.c = conn
        self.p = params
        self.kind = kind
        self.record = record
        self.keep_alive = keep_alive

    def head(self, status, ctype, extra=None, length=None, chunked=False):
        lines = ["HTTP/1.1 %d %s" % (status, STATUS_TEXT.get(status, "Status"))]
        lines.append("Content-Type: %s" % ctype)
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif length is not None:
            lines.append("Content-Length: %d" % length)
        lines.append("Connection: %s" % ("keep-alive" if self.keep_alive else "close"))
        for k, v in (extra or {}).items():
            lines.append("%s: %s" % (k, v))
        for k, v in (self.p.get("headers") or {}).items():
            lines.append("%s: %s" % (k, v))
        self.c.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.record["status"] = status

    def chunk(self, data):
        if data:
            self.c.send(b"%x\r\n" % len(data) + data + b"\r\n")

    def send_body_pieces(self, data, chunked):
        """data: bytes, or a list of stream events (sent one per piece unless chunk_sizes)."""
        delay = (self.p.get("chunk_delay_ms") or 0) / 1000.0
        if isinstance(data, list):
            if self.p.get("chunk_sizes"):
                pieces = split_pieces(b"".join(data), self.p.get("chunk_sizes"))
            else:
                pieces = [ev for ev in data if ev]
        else:
            pieces = split_pieces(data, self.p.get("chunk_sizes"))
        for i, piece in enumerate(pieces):
            if i and delay:
                self.c.sleep_watching(delay)
            if chunked:
                self.chunk(piece)
            else:
                self.c.send(piece)

    def finish_chunked(self):
        self.c.send(b"0\r\n\r\n")

    def events(self, text):
        evs = stream_start(self.kind)
        return evs, [stream_delta(self.kind, d) for d in text_deltas(text, self.p["delta_size"])]

    def send_raw(self, p):
        """Serve the test's own bytes: raw_body (text; "\n" becomes raw_newline), as
        raw_content_type, optionally gzipped, chunked in chunk_sizes, or close-delimited."""
        body = p.get("raw_body", "").replace("\n", p.get("raw_newline") or "\n").encode("utf-8")
        if p.get("raw_bom"):
            body = b"\xef\xbb\xbf" + body
        extra = {}
        if p.get("raw_gzip"):
            body = gzip.compress(body)
            extra["Content-Encoding"] = "gzip"
        ctype = p.get("raw_content_type") or "text/event-stream"
        if p.get("raw_close_delimited"):
            head = "HTTP/1.1 %d OK\r\nContent-Type: %s\r\n" % (int(p.get("status", 200)), ctype)
            for k, v in extra.items():
                head += "%s: %s\r\n" % (k, v)
            head += "Connection: close\r\n\r\n"
            self.c.send(head.encode())
            self.record["status"] = int(p.get("status", 200))
            self.send_body_pieces([body], False)
            return False
        self.head(int(p.get("status", 200)), ctype, extra, chunked=True)
        self.send_body_pieces([body], True)
        self.finish_chunked()
        return True

    def respond(self, req_json):
        p, kind = self.p, self.kind
        fault = p["fault"]
        text = p["text"]
        if p.get("latency_ms"):
            self.c.sleep_watching(p["latency_ms"] / 1000.0)
        problem = None if (p.get("lenient") or NO_VALIDATE) else validate(kind, self.record["path"], req_json)
        if problem:
            status, message = problem
            self.record["rejected"] = message
            body = j(rejection_body(kind, status, message)).encode()
            self.head(status, "application/json", length=len(body))
            self.c.send(body)
            return True
        if fault == "raw":
            return self.send_raw(p)
        if fault == "hang":
            self.record["hung"] = True
            self.c.set_state("hanging")
            self.c.sleep_watching(None if p.get("hang_ms") is None else p["hang_ms"] / 1000.0)
            return False
        if fault == "reset_before_response":
            self.c.reset()
            return False
        if fault == "close_before_response":
            self.c.close_by_server()
            return False
        if fault == "status":
            status = int(p["status"])
            body = j(error_body(kind, status, p)).encode()
            extra = {}
            if p.get("retry_after") is not None:
                extra["Retry-After"] = str(p["retry_after"])
            if p.get("retry_after_date_s") is not None:
                extra["Retry-After"] = email.utils.formatdate(
                    time.time() + float(p["retry_after_date_s"]), usegmt=True)
            if p.get("retry_after_ms") is not None:
                extra["retry-after-ms"] = str(p["retry_after_ms"])
            if p.get("should_retry") is not None:
                extra["x-should-retry"] = "true" if p["should_retry"] else "false"
            self.head(status, "application/json", extra, length=len(body))
            self.c.send(body)
            return True
        if fault == "html_error":
            status = int(p.get("status", 502))
            reason = STATUS_TEXT.get(status, "Error")
            body = (HTML_PAGE % (status, reason, status, reason)).encode()
            self.head(status, "text/html", length=len(body))
            self.c.send(body)
            return True
        if fault == "wrong_content_type":
            body = b"<!DOCTYPE html><html><body><h1>Welcome to our captive portal</h1></body></html>"
            self.head(200, "text/html; charset=utf-8", length=len(body))
            self.c.send(body)
            return True

        streaming = True
        if isinstance(req_json, dict) and req_json.get("stream") is False:
            streaming = False
        if kind == "gemini" and "streamGenerateContent" not in self.record["path"]:
            streaming = False
        if not streaming and fault in ("none", "gzip"):
            body = j(full_response(kind, text)).encode()
            extra = {}
            if fault == "gzip":
                body = gzip.compress(body)
                extra["Content-Encoding"] = "gzip"
            self.head(200, "application/json", extra, length=len(body))
            self.send_body_pieces(body, False)
            return True

        start, deltas = self.events(text)
        if fault == "gzip":
            body = gzip.compress(b"".join(start + deltas + stream_end(kind)))
            self.head(200, content_type_for(kind), {"Content-Encoding": "gzip"}, length=len(body))
            self.send_body_pieces(body, False)
            return True
        if fault == "huge":
            size = int(p.get("size_bytes", 20 * 1024 * 1024))
            filler = stream_delta(kind, "x" * 1000)
            self.head(200, content_type_for(kind), chunked=True)
            # text_first: the answer's own deltas come first, then the runaway line (a model
            # that gives a usable beginning and then never stops).
            for ev in start + (deltas if p.get("text_first") else []):
                self.chunk(ev)
            sent = 0
            block = filler * 64
            while sent < size:
                self.chunk(block)
                sent += len(block)
            for ev in stream_end(kind):
                self.chunk(ev)
            self.finish_chunked()
            return True

        self.head(200, content_type_for(kind), chunked=True)
        after = int(p.get("after_deltas", 1))
        if fault == "none":
            self.send_body_pieces(start + deltas + stream_end(kind), True)
            self.finish_chunked()
            return True
        self.send_body_pieces(start + deltas[:after], True)
        if fault == "stall":
            self.record["stalled"] = True
            self.c.set_state("stalled")
            stall = p.get("stall_ms")
            self.c.sleep_watching(None if stall is None else stall / 1000.0)
            self.send_body_pieces(deltas[after:] + stream_end(kind), True)
            self.finish_chunked()
            return True
        if fault == "reset_mid_body":
            # Give the client time to read what was sent: an RST can discard unread data.
            self.c.sleep_watching((p.get("reset_delay_ms") or 50) / 1000.0)
            self.c.reset()
            return False
        if fault == "truncated":
            self.finish_chunked()
            return True
        if fault == "malformed":
            self.chunk(malformed_event(kind))
            self.send_body_pieces(deltas[after:] + stream_end(kind), True)
            self.finish_chunked()
            return True
        if fault == "stream_error":
            self.chunk(stream_error_event(kind))
            self.finish_chunked()
            return True
        raise ValueError("unhandled fault %r" % fault)


def control(conn, method, path, hmap, body, keep_alive):
    status, out = 200, {"ok": True}
    try:
        if path == "/_stats" or path.startswith("/_stats?"):
            out = STATE.stats(with_log="log=0" not in path)
        elif path == "/_catalog":
            out = {"modes": sorted(CATALOG), "defaults": DEFAULTS}
        elif path == "/_reset":
            STATE.reset()
        elif path == "/_shutdown":
            resp = b'{"ok":true}'
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d"
                      b"\r\nConnection: close\r\n\r\n%s" % (len(resp), resp))
            os._exit(0)
        elif path == "/_control":
            cmd = json.loads(body or b"{}")
            if cmd.get("reset"):
                STATE.reset()
            if cmd.get("clear_log"):
                with STATE.lock:
                    STATE.requests = []
            if "mode" in cmd and "next" not in cmd:
                spec = {k: v for k, v in cmd.items() if k not in ("reset", "clear_log", "queue")}
                params = resolve_fault(spec)
                with STATE.lock:
                    STATE.default = params
            if "next" in cmd:
                spec = {k: v for k, v in cmd.items() if k not in ("reset", "clear_log", "next")}
                params = resolve_fault(spec)
                with STATE.lock:
                    STATE.queue.append([params, int(cmd["next"])])
            for item in cmd.get("queue", []):
                params = resolve_fault(item)
                with STATE.lock:
                    STATE.queue.append([params, int(item.get("count", 1))])
        else:
            status, out = 404, {"error": "unknown control path"}
    except (ValueError, KeyError, TypeError) as e:
        status, out = 400, {"error": str(e)}
    data = json.dumps(out).encode()
    conn.send(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
              b"Connection: %s\r\n\r\n" % (status, STATUS_TEXT.get(status, "X").encode(),
                                            len(data), b"keep-alive" if keep_alive else b"close")
              + data)


def looks_like_control(sock):
    """Peek at the request line: control traffic must get through connection-level faults."""
    r, _, _ = select.select([sock], [], [], 2.0)
    if not r:
        return False
    try:
        head = sock.recv(64, socket.MSG_PEEK)
    except OSError:
        return False
    parts = head.split(b" ", 2)
    return len(parts) > 1 and parts[1].startswith(b"/_")


def serve_conn(sock, cid, tls_ctx=None):
    if tls_ctx is not None:
        try:
            sock.settimeout(5)
            sock = tls_ctx.wrap_socket(sock, server_side=True)
            sock.settimeout(None)
        except (ssl.SSLError, OSError) as e:
            # The client refused our self-signed certificate (as it must) or went away.
            with STATE.lock:
                STATE.tls_handshake_failures += 1
                c = STATE.conns.get(cid)
                if c is not None:
                    c["state"] = "closed"
                    c["closed_by"] = "tls"
                    c["tls_error"] = str(e)[:200]
            try:
                sock.close()
            except OSError:
                pass
            return
    conn = Conn(sock, cid)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    try:
        first = STATE.peek_fault()
        if first["fault"] in ("accept_reset", "accept_close") and not looks_like_control(sock):
            STATE.take_fault()
            with STATE.lock:
                STATE.requests.append({"id": len(STATE.requests) + 1, "conn": cid,
                                       "mode": first["mode"], "method": None, "path": None,
                                       "time": time.time()})
            if first["fault"] == "accept_reset":
                conn.reset()
            else:
                conn.close_by_server()
            return
        while True:
            conn.set_state("idle")
            method, target, version, headers, hmap, body = conn.read_request()
            keep_alive = hmap.get("connection", "").lower() != "close" and version == "HTTP/1.1"
            conn.set_state("busy")
            is_control = target.startswith("/_")
            with STATE.lock:
                STATE.conns[cid]["requests"] += 1
                if conn.served == 0 and is_control:
                    conn.control = True
                    STATE.conns[cid]["control"] = True
                    STATE.accepted -= 1
            conn.served += 1
            if is_control:
                control(conn, method, target, hmap, body, keep_alive)
                if not keep_alive:
                    conn.close_by_server()
                    return
                continue
            params = STATE.take_fault()
            kind = detect_kind(target)
            try:
                body_text = body.decode("utf-8")
            except UnicodeDecodeError:
                body_text = base64.b64encode(body).decode()
            try:
                req_json = json.loads(body_text) if body_text else None
            except ValueError:
                req_json = None
            record = {"id": 0, "conn": cid, "method": method, "path": target,
                      "headers": [[k, v] for k, v in headers], "body": body_text,
                      "json": req_json, "kind": kind, "mode": params["mode"],
                      "time": time.time(), "status": None, "client_closed": False,
                      "completed": False}
            with STATE.lock:
                record["id"] = len(STATE.requests) + 1
                STATE.requests.append(record)
            if kind is None:
                data = j({"error": "fake: unknown path %s" % target}).encode()
                conn.send(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(data) + data)
                record["status"] = 404
                record["completed"] = True
                continue
            responder = Responder(conn, params, kind, record, keep_alive)
            try:
                go_on = responder.respond(req_json)
            except PeerGone:
                record["client_closed"] = True
                raise
            if not go_on:
                conn.close_by_server()
                return
            record["completed"] = True
            if not keep_alive:
                conn.close_by_server()
                return
    except PeerGone:
        try:
            sock.close()
        except OSError:
            pass
    except Exception as e:  # never kill the server over one connection
        sys.stderr.write("fake_provider: connection %d: %r\n" % (cid, e))
        conn.close_by_server()


def main():
    global STATE, NO_VALIDATE
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", default="healthy", help="default fault mode (see /_catalog)")
    ap.add_argument("--text", default=None, help="completion text for healthy answers")
    ap.add_argument("--fault-json", default=None, help="JSON object of default fault parameters")
    ap.add_argument("--max-seconds", type=float, default=600.0,
                    help="exit after this long no matter what (0: never)")
    ap.add_argument("--tls-port", type=int, default=None,
                    help="also listen with TLS (self-signed certificate, made with the openssl "
                         "CLI) on this port (0: any); clients that verify must refuse it")
    ap.add_argument("--no-validate", action="store_true",
                    help="accept any request body (tests of the bare HTTP engine, which send "
                         "no API request at all)")
    ap.add_argument("--parent-pid", type=int, default=None,
                    help="exit when this process is gone (default: the parent)")
    args = ap.parse_args()

    NO_VALIDATE = args.no_validate
    spec = {"mode": args.mode}
    if args.fault_json:
        spec.update(json.loads(args.fault_json))
    if args.text is not None:
        spec["text"] = args.text
    STATE = State(spec)

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(128)
    port = lsock.getsockname()[1]

    parent = args.parent_pid if args.parent_pid is not None else os.getppid()

    def watchdog():
        start = time.monotonic()
        while True:
            time.sleep(0.25)
            if args.max_seconds and time.monotonic() - start > args.max_seconds:
                os._exit(0)
            if parent > 1:
                try:
                    os.kill(parent, 0)
                except ProcessLookupError:
                    os._exit(0)
                except PermissionError:
                    pass
                if args.parent_pid is None and os.getppid() != parent:
                    os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    hello = {"port": port, "pid": os.getpid()}
    if args.tls_port is not None:
        tls_sock, tls_ctx = make_tls_listener(args.host, args.tls_port)
        hello["tls_port"] = tls_sock.getsockname()[1]
        threading.Thread(target=accept_loop, args=(tls_sock, tls_ctx), daemon=True).start()
    sys.stdout.write(json.dumps(hello) + "\n")
    sys.stdout.flush()
    accept_loop(lsock, None)


def make_tls_listener(host, port):
    d = tempfile.mkdtemp(prefix="fake-tls-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    shutil.rmtree(d, ignore_errors=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(128)
    return s, ctx


def accept_loop(lsock, tls_ctx):
    while True:
        try:
            sock, _ = lsock.accept()
        except InterruptedError:
            continue
        with STATE.lock:
            cid = STATE.next_conn
            STATE.next_conn += 1
            STATE.accepted += 1
            STATE.conns[cid] = {"id": cid, "state": "idle", "requests": 0, "closed_by": None,
                                "tls": tls_ctx is not None}
        threading.Thread(target=serve_conn, args=(sock, cid, tls_ctx), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
