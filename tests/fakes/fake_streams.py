"""Fake provider, what it sends: the fault catalog (CATALOG, DEFAULTS, resolve_fault), the
status texts, which wire format a request path speaks (detect_kind), each API's stream events
(start, delta, end, in-stream error, malformed line), its non-streaming answer and its JSON error
bodies, and the HTML error page. Pure data and functions, no sockets; fake_provider.py serves
them. Standard library only.
"""

import copy
import json

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


HTML_PAGE = ("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1>"
             "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
