#!/usr/bin/env python3
"""Fake AI provider: one HTTP/1.1 server on 127.0.0.1 that speaks all eight wire formats
Understudy talks to, records every request, and misbehaves on command (a catalog of scripted
faults, selectable as the default mode or queued for the next N requests).

Standard library only. See tests/fakes/README.md for the control API.
Start: python3 fake_provider.py [--port 0] [--mode healthy] [--text T] [--max-seconds 600]
It prints one JSON line {"port": N, "pid": P} on stdout once it listens.
"""

import argparse
import base64
import copy
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

# ------------------------------------------------------------------ fault catalog
# Each entry is a base parameter set; a control request may override any field.
CATALOG = {
    "healthy": {"fault": "none"},
    "latency": {"fault": "none", "latency_ms": 300},
    "chunked_bytes": {"fault": "none", "chunk_sizes": [1]},
    "drip": {"fault": "none", "chunk_sizes": [1], "chunk_delay_ms": 100},
    "trickle": {"fault": "none", "chunk_delay_ms": 100},  # one text event (4 chars) per 100 ms
    "accept_reset": {"fault": "accept_reset"},      # RST right after accept, before reading
    "accept_close": {"fault": "accept_close"},      # clean FIN right after accept
    "reset_before_response": {"fault": "reset_before_response"},
    "close_before_response": {"fault": "close_before_response"},
    "reset_mid_body": {"fault": "reset_mid_body", "after_deltas": 1},
    "status_500": {"fault": "status", "status": 500},
    "status_502": {"fault": "status", "status": 502},
    "status_503": {"fault": "status", "status": 503},
    "status_504": {"fault": "status", "status": 504},
    "status_529": {"fault": "status", "status": 529},
    "status_408": {"fault": "status", "status": 408},
    "status_404": {"fault": "status", "status": 404},
    "status_422": {"fault": "status", "status": 422},
    "html_error": {"fault": "html_error", "status": 502},
    "rate_limit_seconds": {"fault": "status", "status": 429, "retry_after": "7"},
    "rate_limit_date": {"fault": "status", "status": 429, "retry_after_date_s": 30},
    "rate_limit_ms": {"fault": "status", "status": 429, "retry_after_ms": 1500},
    "rate_limit_gemini": {"fault": "status", "status": 429, "retry_delay": "32s"},
    "rate_limit_none": {"fault": "status", "status": 429},
    "quota": {"fault": "status", "status": 429, "quota": True},
    "auth_401": {"fault": "status", "status": 401},
    "auth_403": {"fault": "status", "status": 403},
    "payment_402": {"fault": "status", "status": 402},
    "context_too_long": {"fault": "status", "status": 400, "context_too_long": True},
    "bad_request": {"fault": "status", "status": 400},
    "hang": {"fault": "hang"},                      # read the request, never answer
    "hang_after_headers": {"fault": "stall", "after_deltas": 0},
    "stall": {"fault": "stall", "after_deltas": 1},  # some text, then silence
    "malformed": {"fault": "malformed", "after_deltas": 1},
    "truncated": {"fault": "truncated", "after_deltas": 1},
    "gzip": {"fault": "gzip"},
    "huge": {"fault": "huge", "size_bytes": 20 * 1024 * 1024},
    "wrong_content_type": {"fault": "wrong_content_type"},
    "stream_error": {"fault": "stream_error", "after_deltas": 1},
    "stream_error_first": {"fault": "stream_error", "after_deltas": 0},
    "empty": {"fault": "none", "text": ""},
    "raw": {"fault": "raw"},                        # the test's own bytes (see send_raw)
}

DEFAULTS = {
    "text": "hello world\n",
    "delta_size": 4,          # characters of text per stream event
    "chunk_sizes": None,      # split the body bytes: list of sizes, the last one repeats
    "chunk_delay_ms": 0,      # sleep between body pieces
    "latency_ms": 0,          # sleep before the status line
    "stall_ms": None,         # for stall: resume after this long (None: until the peer leaves)
    "hang_ms": None,          # for hang: give up after this long (None: until the peer leaves)
    "headers": {},            # extra response headers
}

STATUS_TEXT = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
               403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 409: "Conflict",
               413: "Payload Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests",
               500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
               504: "Gateway Timeout", 529: "Overloaded"}


def resolve_fault(spec):
    """Turn {"mode": name, ...overrides} into a full parameter dict."""
    spec = dict(spec or {})
    mode = spec.pop("mode", "healthy")
    if mode not in CATALOG:
        raise ValueError("unknown mode %r (known: %s)" % (mode, ", ".join(sorted(CATALOG))))
    p = copy.deepcopy(DEFAULTS)
    p.update(copy.deepcopy(CATALOG[mode]))
    spec.pop("count", None)
    p.update(spec)
    p["mode"] = mode
    return p


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


class PeerGone(Exception):
    pass


# ------------------------------------------------------------------ wire formats
def detect_kind(path):
    base = path.split("?", 1)[0]
    if base.endswith("/messages"):
        return "anthropic"
    if ":streamGenerateContent" in base or ":generateContent" in base:
        return "gemini"
    if base.endswith("/fim/completions"):
        return "mistral"
    if base.endswith("/chat/completions"):
        return "openrouter" if base.startswith("/api/v1/") else "openai-chat"
    if base.endswith("/completions"):
        return "openai-completions"
    if base.endswith("/api/generate"):
        return "ollama"
    if base.endswith("/infill") or base.endswith("/completion"):
        return "llamacpp"
    return None


def j(obj):
    return json.dumps(obj, separators=(",", ":"))


def sse(data, event=None):
    s = ""
    if event:
        s += "event: %s\n" % event
    return (s + "data: %s\n\n" % data).encode("utf-8")


def content_type_for(kind):
    return "application/x-ndjson" if kind == "ollama" else "text/event-stream"


def stream_start(kind):
    if kind == "anthropic":
        msg = {"type": "message_start", "message": {"id": "msg_fake", "type": "message",
               "role": "assistant", "model": "fake", "content": [], "stop_reason": None,
               "usage": {"input_tokens": 10, "output_tokens": 1}}}
        return [sse(j(msg), "message_start"),
                sse(j({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}}), "content_block_start"),
                sse(j({"type": "ping"}), "ping")]
    if kind == "openrouter":
        return [b": OPENROUTER PROCESSING\n\n"]
    return []


def stream_delta(kind, piece):
    if kind == "anthropic":
        return sse(j({"type": "content_block_delta", "index": 0,
                      "delta": {"type": "text_delta", "text": piece}}), "content_block_delta")
    if kind in ("openai-chat", "openrouter", "mistral"):
        return sse(j({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
                      "model": "fake", "choices": [{"index": 0, "delta": {"content": piece},
                                                    "finish_reason": None}]}))
    if kind == "openai-completions":
        return sse(j({"id": "cmpl-fake", "object": "text_completion", "created": 1,
                      "model": "fake", "choices": [{"index": 0, "text": piece,
                                                    "finish_reason": None}]}))
    if kind == "gemini":
        return sse(j({"candidates": [{"content": {"role": "model", "parts": [{"text": piece}]},
                                      "index": 0}]}))
    if kind == "ollama":
        return (j({"model": "fake", "created_at": "2025-01-01T00:00:00Z", "response": piece,
                   "done": False}) + "\n").encode("utf-8")
    if kind == "llamacpp":
        return sse(j({"content": piece, "stop": False}))
    raise ValueError(kind)


def stream_end(kind):
    if kind == "anthropic":
        return [sse(j({"type": "content_block_stop", "index": 0}), "content_block_stop"),
                sse(j({"type": "message_delta", "delta": {"stop_reason": "end_turn",
                       "stop_sequence": None}, "usage": {"output_tokens": 5}}), "message_delta"),
                sse(j({"type": "message_stop"}), "message_stop")]
    if kind in ("openai-chat", "openrouter", "mistral"):
        return [sse(j({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
                       "model": "fake", "choices": [{"index": 0, "delta": {},
                                                     "finish_reason": "stop"}]})),
                sse("[DONE]")]
    if kind == "openai-completions":
        return [sse(j({"id": "cmpl-fake", "object": "text_completion", "created": 1,
                       "model": "fake", "choices": [{"index": 0, "text": "",
                                                     "finish_reason": "stop"}]})),
                sse("[DONE]")]
    if kind == "gemini":
        return [sse(j({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]},
                                       "finishReason": "STOP", "index": 0}],
                       "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5,
                                         "totalTokenCount": 15}}))]
    if kind == "ollama":
        return [(j({"model": "fake", "created_at": "2025-01-01T00:00:00Z", "response": "",
                    "done": True, "done_reason": "stop", "total_duration": 1000,
                    "eval_count": 5}) + "\n").encode("utf-8")]
    if kind == "llamacpp":
        return [sse(j({"content": "", "stop": True, "stop_type": "eos", "model": "fake",
                       "tokens_evaluated": 10}))]
    raise ValueError(kind)


def stream_error_event(kind):
    if kind == "anthropic":
        return sse(j({"type": "error", "error": {"type": "overloaded_error",
                                                  "message": "Overloaded"}}), "error")
    if kind in ("openai-chat", "openai-completions", "mistral"):
        return sse(j({"error": {"message": "The server had an error while processing your "
                                "request.", "type": "server_error", "param": None,
                                "code": None}}))
    if kind == "openrouter":
        return sse(j({"id": "gen-fake", "object": "chat.completion.chunk", "created": 1,
                      "model": "fake", "error": {"code": 502, "message": "Provider returned error"},
                      "choices": [{"index": 0, "delta": {"content": ""},
                                   "finish_reason": "error"}]}))
    if kind == "gemini":
        return sse(j({"error": {"code": 503, "message": "The model is overloaded.",
                                "status": "UNAVAILABLE"}}))
    if kind == "ollama":
        return (j({"error": "an error was encountered while running the model"}) + "\n").encode()
    if kind == "llamacpp":
        return sse(j({"error": {"code": 500, "message": "slot crashed", "type": "server_error"}}))
    raise ValueError(kind)


def malformed_event(kind):
    if kind == "ollama":
        return b'{"model":"fake","response":"x","done":fal\n'
    return b'data: {"choices":[{"delta":{"content":"x"}\n\n'


def full_response(kind, text):
    """Non-streaming JSON answer, for requests that ask for stream:false."""
    if kind == "anthropic":
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": "fake",
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 5}}
    if kind in ("openai-chat", "openrouter", "mistral"):
        return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": "fake",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    if kind == "openai-completions":
        return {"id": "cmpl-fake", "object": "text_completion", "created": 1, "model": "fake",
                "choices": [{"index": 0, "text": text, "finish_reason": "stop"}]}
    if kind == "gemini":
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                "finishReason": "STOP", "index": 0}]}
    if kind == "ollama":
        return {"model": "fake", "created_at": "2025-01-01T00:00:00Z", "response": text,
                "done": True, "done_reason": "stop"}
    if kind == "llamacpp":
        return {"content": text, "stop": True, "stop_type": "eos"}
    raise ValueError(kind)


ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                   402: "billing_error", 403: "permission_error", 404: "not_found_error",
                   413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
                   502: "api_error", 503: "api_error", 504: "timeout_error",
                   529: "overloaded_error"}
GEMINI_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
LLAMA_TYPES = {400: "invalid_request_error", 401: "authentication_error",
               403: "permission_error", 404: "not_found_error", 500: "server_error",
               501: "not_supported_error", 503: "unavailable_error"}


def error_body(kind, status, p):
    """Each provider's JSON error body for a status (reference/provider-apis.md)."""
    ctl = p.get("context_too_long")
    msg = p.get("message") or ("fake error %d" % status)
    if kind == "anthropic":
        if ctl:
            msg = "prompt is too long: 210000 tokens > 200000 maximum"
        return {"type": "error", "error": {"type": ANTHROPIC_TYPES.get(status, "api_error"),
                                           "message": msg}, "request_id": "req_fake"}
    if kind in ("openai-chat", "openai-completions"):
        code, typ = None, "server_error" if status >= 500 else "invalid_request_error"
        if status == 429:
            code, typ = ("insufficient_quota", "insufficient_quota") if p.get("quota") else \
                ("rate_limit_exceeded", "requests")
            msg = "You exceeded your current quota" if p.get("quota") else \
                "Rate limit reached for requests"
        elif status == 401:
            code, typ, msg = "invalid_api_key", "invalid_request_error", "Incorrect API key provided"
        elif ctl:
            code = "context_length_exceeded"
            msg = "This model's maximum context length is 8192 tokens."
        return {"error": {"message": msg, "type": typ, "param": None, "code": code}}
    if kind == "openrouter":
        if ctl:
            msg = "This endpoint's maximum context length is 8192 tokens."
        return {"error": {"code": status, "message": msg}}
    if kind == "mistral":
        if status == 422:
            return {"detail": [{"loc": ["body", "prompt"], "msg": "field required",
                                "type": "missing"}]}
        if status == 429:
            return {"object": "error", "message": "Rate limit exceeded", "type": "rate_limited",
                    "param": None, "code": "1300"}
        if ctl:
            msg = "Prompt contains 40000 tokens, too large for model with 32768 maximum context"
        return {"object": "error", "message": msg, "type": "invalid_request_error",
                "param": None, "code": None}
    if kind == "gemini":
        details = []
        if p.get("retry_delay"):
            details.append({"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                            "violations": [{"quotaMetric": "generativelanguage.googleapis.com/"
                                            "generate_content_free_tier_requests",
                                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]})
            details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                            "retryDelay": p["retry_delay"]})
        if ctl:
            msg = "The input token count (1200000) exceeds the maximum number of tokens allowed"
        return {"error": {"code": status, "message": msg,
                          "status": GEMINI_STATUS.get(status, "UNKNOWN"), "details": details}}
    if kind == "ollama":
        if ctl:
            msg = "input length exceeds maximum context length"
        return {"error": msg}
    if kind == "llamacpp":
        if ctl:
            return {"error": {"code": 400, "message": "the request exceeds the available context "
                              "size", "type": "exceed_context_size_error",
                              "n_prompt_tokens": 9000, "n_ctx": 4096}}
        return {"error": {"code": status, "message": msg,
                          "type": LLAMA_TYPES.get(status, "server_error")}}
    return {"error": msg}


# ------------------------------------------------------------------ the real APIs' rules
# Request checks the live services make (issue 14), so a request they would reject fails here
# too. Field lists: the official SDKs' request types (tests/sdk, pinned); messages: the
# providers' own wording where it is documented.
ANTHROPIC_FIELDS = {"max_tokens", "messages", "model", "cache_control", "container",
                    "diagnostics", "inference_geo", "metadata", "output_config", "service_tier",
                    "speed", "stop_sequences", "stream", "system", "thinking", "tool_choice",
                    "tools", "user_profile_id", "workspace_id"}
MISTRAL_FIM_FIELDS = {"model", "temperature", "top_p", "max_tokens", "stream", "stop",
                      "random_seed", "metadata", "prompt", "suffix", "min_tokens",
                      "prompt_cache_key"}


def _claude_no_prefill(model):
    """Claude 4.6 and later (and every 5.x) reject a last assistant turn."""
    import re
    m = re.match(r"claude-(?:[a-z]+-)?(\d+)(?:-(\d+))?", model or "")
    if not m:
        return (model or "").startswith("claude-mythos") or (model or "").startswith("claude-fable")
    major, minor = int(m.group(1)), int(m.group(2) or 0)
    if minor > 100:  # a date suffix: claude-opus-4-20250514
        minor = 0
    return major > 4 or (major == 4 and minor >= 6)


def _openai_reasoning(model):
    m = (model or "").rsplit("/", 1)[-1]
    if "chat-latest" in m:
        return False
    return (len(m) > 1 and m[0] == "o" and m[1].isdigit()) or m.startswith("gpt-5") \
        or m.startswith("gpt-6")


NO_VALIDATE = False  # --no-validate


def validate(kind, path, b):
    """(status, message) when the real API would reject the request body b, else None."""
    if not isinstance(b, dict):
        return None
    if kind == "anthropic":
        for k in ("model", "max_tokens", "messages"):
            if k not in b:
                return 400, "%s: Field required" % k
        for k in b:
            if k not in ANTHROPIC_FIELDS:
                return 400, "%s: Extra inputs are not permitted" % k
        for stop in b.get("stop_sequences") or []:
            if not isinstance(stop, str) or not stop.strip():
                return 400, "stop_sequences: each stop sequence must contain non-whitespace"
        msgs = b.get("messages") or []
        if msgs and msgs[-1].get("role") == "assistant" and _claude_no_prefill(b.get("model")):
            return 400, ("This model does not support assistant message prefill. The "
                         "conversation must end with a user message.")
    elif kind in ("openai-chat", "openrouter") and _openai_reasoning(b.get("model")):
        if "max_tokens" in b and kind == "openai-chat":
            return 400, ("Unsupported parameter: 'max_tokens' is not supported with this model. "
                         "Use 'max_completion_tokens' instead.")
        if b.get("temperature") not in (None, 1):
            return 400, ("Unsupported value: 'temperature' does not support %s with this model. "
                         "Only the default (1) value is supported." % b.get("temperature"))
        if "stop" in b:
            return 400, "Unsupported parameter: 'stop' is not supported with this model."
    elif kind == "mistral":
        for k in ("model", "prompt"):
            if k not in b:
                return 422, "%s: Field required" % k
        for k in b:
            if k not in MISTRAL_FIM_FIELDS:
                return 422, "%s: Extra inputs are not permitted" % k
    elif kind == "openai-completions":
        if not isinstance(b.get("prompt"), (str, list)):
            return 400, "prompt: Field required"
        stop = b.get("stop")
        if isinstance(stop, list) and len(stop) > 4:
            return 400, "stop: at most 4 stop sequences"
        model = b.get("model") or ""
        if "suffix" in b and (model.startswith("gpt-") or model.startswith("davinci")
                              or model.startswith("babbage")) \
                and model != "gpt-3.5-turbo-instruct":
            return 400, "suffix is not supported with this model"
    elif kind == "gemini":
        gc = b.get("generationConfig") or {}
        if len(gc.get("stopSequences") or []) > 5:
            return 400, "generationConfig.stopSequences: at most 5"
        model = path.split("/models/", 1)[-1].split(":", 1)[0]
        tc = gc.get("thinkingConfig") or {}
        if tc.get("thinkingBudget") == 0 and "2.5-pro" in model:
            return 400, "Budget 0 is invalid. This model only works in thinking mode."
        for k in b:
            if k not in ("contents", "systemInstruction", "generationConfig", "safetySettings",
                         "tools", "toolConfig", "cachedContent", "labels"):
                return 400, 'Invalid JSON payload received. Unknown name "%s": Cannot find ' \
                            'field.' % k
    return None


def rejection_body(kind, status, message):
    if kind == "mistral" and status == 422:
        loc = message.split(":", 1)[0]
        return {"detail": [{"loc": ["body", loc], "msg": message, "type": "extra_forbidden"}]}
    return error_body(kind, status, {"message": message})


HTML_PAGE = ("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1>"
             "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


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
