#!/usr/bin/env python3
"""Offline stand-in for the GitHub endpoints @github/copilot-language-server talks to: token,
user, experiment config (telemetry), models, and the streamed completions endpoint, answering as
fast as tests/fakes/fake_provider.py does so the two servers are timed against equivalent fakes.

Standard library only. Start: python3 mock.py [--port 0] [--text T]
It prints one JSON line {"port": N, "pid": P} on stdout once it listens. Every request is logged
to stderr with --verbose; GET /_stats returns counts per path.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "gpt-41-copilot"
TEXT = "return a + b\n"
VERBOSE = False
STATS = {}
STATS_LOCK = threading.Lock()
BASE = ""


def j(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def token_body():
    now = int(time.time())
    return {
        "token": "tid=bench;exp=%d;sku=free_educational;proxy-ep=127.0.0.1" % (now + 3600),
        "expires_at": now + 3600,
        "refresh_in": 1500,
        "annotations_enabled": False,
        "chat_enabled": True,
        "code_quote_enabled": False,
        "copilotignore_enabled": False,
        "public_suggestions": "disabled",
        "telemetry": "disabled",
        "individual": True,
        "sku": "free_educational",
        "tracking_id": "bench",
        "endpoints": {"api": BASE + "/api", "proxy": BASE, "telemetry": BASE + "/telemetry",
                      "origin-tracker": BASE + "/origin"},
    }


def user_body():
    return {"login": "bench", "access_type_sku": "free_educational", "copilot_plan": "individual",
            "chat_enabled": True, "analytics_tracking_id": "bench",
            "assigned_date": "2025-01-01T00:00:00Z", "can_signup_for_limited": False,
            "endpoints": {"api": BASE + "/api", "proxy": BASE, "telemetry": BASE + "/telemetry"}}


def models_body():
    return {"data": [{"id": MODEL, "name": "GPT-4.1 Copilot", "object": "model", "version": MODEL,
                      "vendor": "Azure OpenAI", "model_picker_enabled": False, "preview": False,
                      "capabilities": {"type": "completion", "family": "gpt-4.1",
                                       "tokenizer": "o200k_base"}}],
            "object": "list"}


def completion_events(text):
    """The SSE events of one streamed completion: the text in 4-character pieces, as the
    Understudy fake sends them, then a finish event and [DONE]."""
    evs = []
    for i in range(0, len(text), 4):
        evs.append({"id": "cmpl-bench", "created": 1, "model": MODEL,
                    "choices": [{"index": 0, "text": text[i:i + 4], "finish_reason": None,
                                 "logprobs": None}]})
    evs.append({"id": "cmpl-bench", "created": 1, "model": MODEL,
                "choices": [{"index": 0, "text": "", "finish_reason": "stop", "logprobs": None}]})
    return [b"data: " + j(e) + b"\n\n" for e in evs] + [b"data: [DONE]\n\n"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench-mock"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this Nagle + delayed ACK add
        # ~40 ms to every keep-alive answer (design.md §7).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if VERBOSE:
            sys.stderr.write("mock: " + (fmt % args) + "\n")

    def _count(self):
        path = self.path.split("?", 1)[0]
        with STATS_LOCK:
            STATS[path] = STATS.get(path, 0) + 1

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _json(self, obj, status=200):
        data = j(obj)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-github-request-id", "BENCH:%d" % time.monotonic_ns())
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method):
        self._count()
        body = self._body() if method == "POST" else b""
        path = self.path.split("?", 1)[0]
        if VERBOSE and body:
            sys.stderr.write("mock: body %s\n" % body[:300])
        if path == "/_stats":
            return self._json(STATS)
        if path.endswith("/copilot_internal/v2/token"):
            return self._json(token_body())
        if path.endswith("/copilot_internal/user"):
            return self._json(user_body())
        if path.startswith("/telemetry"):
            if method == "GET" or "exp" in path or "config" in path.lower():
                # Experiment-service answer: no features, no flights.
                return self._json({"Features": [], "Flights": {}, "Configs": [
                    {"Id": "vscode", "Parameters": {}}], "ParameterGroups": [],
                    "FlightingVersion": 1, "ImpressionId": "bench", "AssignmentContext": ""})
            return self._json({"itemsReceived": 1, "itemsAccepted": 1, "errors": []})
        if path.endswith("/models"):
            return self._json(models_body())
        if path.endswith("/completions") and method == "POST":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("x-github-request-id", "BENCH:%d" % time.monotonic_ns())
            self.end_headers()
            self.wfile.flush()
            for ev in completion_events(TEXT):
                self.wfile.write(b"%x\r\n" % len(ev) + ev + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return None
        # Anything else (origin tracker, unknown feature probes): an empty success.
        return self._json({})

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The Copilot server drops its connections when it exits: not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    global TEXT, VERBOSE, BASE
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--text", default=TEXT)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=1800)
    a = ap.parse_args()
    TEXT, VERBOSE = a.text, a.verbose
    srv = Server(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]
    BASE = "http://127.0.0.1:%d" % port
    # Never outlive a crashed benchmark.
    threading.Timer(a.max_seconds, lambda: os._exit(0)).start()
    sys.stdout.write(json.dumps({"port": port, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
