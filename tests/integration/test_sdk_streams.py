"""Each official SDK's own stream parser is the oracle (issue 14). Streams written here from the
providers' published API references (text split across events, empty deltas, pings, usage
chunks, finish reasons, choices by index, Gemini frames after finishReason, thinking parts,
multi-byte text, in-stream errors) are served by the fake (raw mode) in several framings: LF,
CRLF, CR-only, a UTF-8 BOM, 1-byte and odd HTTP chunks, gzip, close-delimited. The same case
list goes to tests/sdk/oracle.mjs (the SDK pointed at the fake, dummy key, no retries) and to
build/.../oracle_attempt (one real Understudy attempt: http engine + adapter + attempt on libuv,
raw text before post-processing and any line cut). The decoded texts must be equal; a stream the
SDK rejects must not be an OK outcome for Understudy either.

llama.cpp has no official SDK and is not covered here. NDJSON (Ollama) has no CR-only form."""
import json
import os
import subprocess
import sys
import tempfile

from lspclient import TestCase, check
from routerlib import FakeProvider

SRC = os.environ.get("UNDERSTUDY_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
SDK = os.path.join(SRC, "tests", "sdk")
TOOL = os.environ.get("ORACLE_ATTEMPT") or ""


def sse(*events):
    """SSE text from (event name or None, data object or string) pairs; "\\n" line ends (the
    fake rewrites them per framing)."""
    out = []
    for name, data in events:
        s = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        out.append(("event: %s\n" % name if name else "") + "data: %s\n\n" % s)
    return "".join(out)


def ndjson(*objs):
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


# ---------------------------------------------------------------- Anthropic Messages streaming

def anth_start(model="claude-sonnet-4-5"):
    return [("message_start", {"type": "message_start", "message": {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
        "content": [], "model": model, "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1}}})]


def anth_text_block(index, pieces):
    ev = [("content_block_start", {"type": "content_block_start", "index": index,
                                   "content_block": {"type": "text", "text": ""}})]
    for p in pieces:
        ev.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                           "delta": {"type": "text_delta", "text": p}}))
    ev.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return ev


def anth_end(reason="end_turn"):
    return [("message_delta", {"type": "message_delta",
                               "delta": {"stop_reason": reason, "stop_sequence": None},
                               "usage": {"output_tokens": 15}}),
            ("message_stop", {"type": "message_stop"})]


PING = ("ping", {"type": "ping"})

ANTHROPIC = {
    "basic_ping": sse(*anth_start(), PING,
                      *anth_text_block(0, ["a", " + b\n", "", "\n# done\n"]), PING, *anth_end()),
    "thinking_then_text": sse(*anth_start("claude-sonnet-4-6"), (
        "content_block_start", {"type": "content_block_start", "index": 0,
                                "content_block": {"type": "thinking", "thinking": "",
                                                  "signature": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "thinking_delta", "thinking": "add them"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "signature_delta", "signature": "EqQBCgIYAh"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        *anth_text_block(1, ["a + b", "  # \u00e9t\u00e9 \u2192 \U0001F600\n"]),
        *anth_end("max_tokens")),
    "unicode_multiline": sse(*anth_start(), *anth_text_block(
        0, ["s = \"\u65e5\u672c", "\u8a9e\"\n", "    t = '\u00fc'\n", "\t\U0001F680\n"]),
        *anth_end()),
    "multiline_data_unknown_event": sse(*anth_start(), (
        "content_block_future", {"type": "content_block_future", "index": 0})) +
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,\n'
        'data: "delta":{"type":"text_delta","text":"a\\n"}}\n\n' + sse(*anth_end()),
    "no_message_stop": sse(*anth_start(), *anth_text_block(0, ["a + b\n"]), anth_end()[0]),
    "error_midstream": sse(*anth_start(), *anth_text_block(0, ["a +"])[:2], (
        "error", {"type": "error", "error": {"type": "overloaded_error",
                                             "message": "Overloaded"}})),
}

# ---------------------------------------------------------------- OpenAI chat completions


def oa_chunk(choices, model="gpt-4.1-mini", **extra):
    c = {"id": "chatcmpl-9x1", "object": "chat.completion.chunk", "created": 1735689600,
         "model": model, "system_fingerprint": "fp_44709d6fcb", "choices": choices}
    c.update(extra)
    return c


def oa_delta(index, content=None, finish=None, role=None):
    d = {}
    if role:
        d["role"] = role
    if content is not None:
        d["content"] = content
    return {"index": index, "delta": d, "logprobs": None, "finish_reason": finish}


USAGE = {"prompt_tokens": 19, "completion_tokens": 7, "total_tokens": 26}


def oa_chat(pieces, usage=True, model="gpt-4.1-mini"):
    ev = [(None, oa_chunk([oa_delta(0, "", role="assistant")], model))]
    ev += [(None, oa_chunk([oa_delta(0, p)], model)) for p in pieces]
    ev.append((None, oa_chunk([oa_delta(0, finish="stop")], model)))
    if usage:
        ev.append((None, oa_chunk([], model, usage=USAGE)))
    ev.append((None, "[DONE]"))
    return ev


OPENAI_CHAT = {
    "basic_usage": sse(*oa_chat(["a", " + b", "", "\n", "# ok\n"])),
    "two_choices_by_index": sse(
        (None, oa_chunk([oa_delta(1, "", role="assistant"), oa_delta(0, "", role="assistant")])),
        (None, oa_chunk([oa_delta(1, "WRONG ")])),
        (None, oa_chunk([oa_delta(1, "still wrong"), oa_delta(0, "a + b")])),
        (None, oa_chunk([oa_delta(0, "\n")])),
        (None, oa_chunk([oa_delta(1, finish="stop"), oa_delta(0, finish="stop")])),
        (None, "[DONE]")),
    "unicode": sse(*oa_chat(["x = '\u00e9\u00e8", "\u4e2d\u6587'  # \U0001F600", "\n"], False)),
    # SSE details every client must handle: "data:" without a space, id/retry fields, a
    # comment, one JSON object over two data lines (joined with a line feed).
    "sse_fields_multiline": "id: 1\nretry: 1000\ndata:" + json.dumps(
        oa_chunk([oa_delta(0, "a + ", role="assistant")])) + "\n\n: keep-alive\n\n" +
        'data: {"id":"chatcmpl-9x1","object":"chat.completion.chunk","created":1,"model":"m",\n'
        'data: "choices":[{"index":0,"delta":{"content":"b\\n"},"finish_reason":"stop"}]}\n\n'
        "data: [DONE]\n\n",
    "event_named_no_final_blank": "event: message\n" + sse(*oa_chat(["a + b\n"], False))[:-1],
    "null_content_tool_calls": sse(
        (None, oa_chunk([oa_delta(0, None, role="assistant")])),
        (None, oa_chunk([{"index": 0, "delta": {"content": None, "tool_calls": []},
                          "logprobs": None, "finish_reason": None}])),
        (None, oa_chunk([oa_delta(0, "a\n")])), (None, oa_chunk([oa_delta(0, finish="stop")])),
        (None, "[DONE]")),
    "error_chunk": sse((None, oa_chunk([oa_delta(0, "a", role="assistant")])),
                       (None, {"error": {"message": "The server had an error while processing "
                                                    "your request.", "type": "server_error",
                                         "param": None, "code": None}})),
}

OPENROUTER = {
    "processing_comment": ": OPENROUTER PROCESSING\n\n" + sse(*oa_chat(
        ["a + ", "b\n"], model="qwen/qwen-2.5-coder-32b-instruct")),
    "two_choices_by_index": OPENAI_CHAT["two_choices_by_index"],
}

# ---------------------------------------------------------------- OpenAI legacy completions (FIM)


def cmpl(index, text, finish=None):
    return {"id": "cmpl-8a", "object": "text_completion", "created": 1735689600,
            "model": "qwen2.5-coder-1.5b",
            "choices": [{"text": text, "index": index, "logprobs": None,
                         "finish_reason": finish}]}


OPENAI_FIM = {
    "basic": sse((None, cmpl(0, "a")), (None, cmpl(0, " + b")), (None, cmpl(0, "")),
                 (None, cmpl(0, "\n", "stop")), (None, "[DONE]")),
    "two_choices_by_index": sse((None, cmpl(1, "no")), (None, cmpl(0, "a + b\u00e9")),
                                (None, cmpl(1, "pe", "stop")), (None, cmpl(0, "\n", "stop")),
                                (None, "[DONE]")),
}

# ---------------------------------------------------------------- Gemini streamGenerateContent


def gem(parts, finish=None, usage=False, index=0):
    cand = {"content": {"parts": parts, "role": "model"}, "index": index}
    if finish:
        cand["finishReason"] = finish
    f = {"candidates": [cand], "modelVersion": "gemini-2.5-flash",
         "responseId": "mKdVaPq0Cs2xz7IP"}
    if usage:
        f["usageMetadata"] = {"promptTokenCount": 12, "candidatesTokenCount": 6,
                              "totalTokenCount": 18}
    return f


GEMINI = {
    "basic_usage": sse((None, gem([{"text": "a"}])), (None, gem([{"text": " + b\n"}])),
                       (None, gem([{"text": "# ok\n"}], "STOP", usage=True))),
    "frames_after_finish": sse((None, gem([{"text": "a + "}])),
                               (None, gem([{"text": "b"}], "STOP")),
                               (None, gem([{"text": "\n# tail\n"}], usage=True))),
    "thought_parts": sse((None, gem([{"text": "adding", "thought": True}])),
                         (None, gem([{"text": "a + b", "thoughtSignature": "CiIBVKhc"}])),
                         (None, gem([{"text": " # \u00e9\U0001F600\n"}], "STOP", usage=True))),
    "nospace_empty_finish_frame": "data:" + json.dumps(gem([{"text": "a\n"}])) + "\n\n" + sse(
        (None, {"candidates": [{"content": {"role": "model"}, "finishReason": "STOP",
                                "index": 0}], "usageMetadata": {"promptTokenCount": 3}})),
    # No text at all: the SDK hands the application an empty text, Understudy reports why.
    "prompt_blocked": sse((None, {"promptFeedback": {"blockReason": "SAFETY"},
                                  "usageMetadata": {"promptTokenCount": 3}})),
    "error_429": sse((None, gem([{"text": "a"}])),
                     (None, {"error": {"code": 429, "message": "Resource has been exhausted "
                                       "(e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}})),
}

# ---------------------------------------------------------------- Mistral FIM (Codestral)


def ms(index, content=None, finish=None, usage=False, role=None):
    d = {}
    if role:
        d["role"] = role
    if content is not None:
        d["content"] = content
    c = {"id": "3f1b1c6d", "object": "chat.completion.chunk", "created": 1735689600,
         "model": "codestral-latest",
         "choices": [{"index": index, "delta": d, "finish_reason": finish}]}
    if usage:
        c["usage"] = {"prompt_tokens": 10, "total_tokens": 15, "completion_tokens": 5}
    return c


MISTRAL = {
    "basic": sse((None, ms(0, "", role="assistant")), (None, ms(0, "a + ")),
                 (None, ms(0, "b\n")), (None, ms(0, "", "stop", usage=True)), (None, "[DONE]")),
    "content_array": sse((None, ms(0, "", role="assistant")),
                         (None, ms(0, [{"type": "text", "text": "a + "},
                                       {"type": "text", "text": "b"}])),
                         (None, ms(0, [{"type": "text", "text": " # \u00fc\n"}])),
                         (None, ms(0, "", "stop", usage=True)), (None, "[DONE]")),
    "unicode": sse((None, ms(0, "\u0444\u0443\u043d\u043a")), (None, ms(0, "\u0446\u0438\u044f\n")),
                   (None, ms(0, "", "stop")), (None, "[DONE]")),
}

# ---------------------------------------------------------------- Ollama /api/generate (NDJSON)


def ol(response, done=False, **extra):
    o = {"model": "qwen2.5-coder:1.5b", "created_at": "2025-01-01T00:00:00.000000Z",
         "response": response, "done": done}
    if done:
        o.update({"done_reason": "stop", "context": [1, 2, 3], "total_duration": 1200000,
                  "load_duration": 100000, "prompt_eval_count": 12,
                  "prompt_eval_duration": 300000, "eval_count": 5, "eval_duration": 700000})
    o.update(extra)
    return o


OLLAMA = {
    "basic": ndjson(ol("a"), ol(" + b"), ol(""), ol("\n"), ol("", True)),
    "thinking": ndjson(ol("", thinking="add"), ol("a + b \u00e9\U0001F600\n"), ol("", True)),
    "blank_lines": ndjson(ol("a\n")) + "\n" + ndjson(ol("", True)),
    # Ends without done:true: the SDK throws; Understudy keeps the complete lines (truncated).
    "error_no_done": ndjson(ol("a + b\n"), ol("c")),
    "error_line": ndjson(ol("a"), {"error": "model runner has unexpectedly stopped"}),
}

# kind used by the SDK script -> (Understudy provider entry minus base_url, base suffix,
# SDK model, streams, framing set)
KINDS = [
    ("anthropic", {"kind": "anthropic", "model": "claude-sonnet-4-5"}, "", ANTHROPIC, "sse"),
    ("openai", {"kind": "openai", "model": "gpt-4.1-mini"}, "/v1", OPENAI_CHAT, "sse"),
    ("openai-compatible", {"kind": "openai-compatible", "model": "qwen2.5-coder-7b-instruct"},
     "/v1", OPENAI_CHAT, "sse"),
    ("openrouter", {"kind": "openrouter", "model": "qwen/qwen-2.5-coder-32b-instruct"},
     "/api/v1", OPENROUTER, "sse"),
    ("openai-fim", {"kind": "openai-compatible", "model": "qwen2.5-coder-1.5b", "fim": True},
     "/v1", OPENAI_FIM, "sse"),
    ("gemini", {"kind": "gemini", "model": "gemini-2.5-flash"}, "/v1beta", GEMINI, "sse"),
    ("mistral", {"kind": "mistral", "model": "codestral-latest"}, "/v1", MISTRAL, "sse"),
    ("ollama", {"kind": "ollama", "model": "qwen2.5-coder:1.5b"}, "", OLLAMA, "ndjson"),
]

FRAMINGS = {
    "lf": {},
    "crlf": {"raw_newline": "\r\n"},
    "cr": {"raw_newline": "\r"},
    "bom": {"raw_bom": True, "raw_newline": "\r\n"},
    "bytes1": {"chunk_sizes": [1]},
    "odd": {"chunk_sizes": [7, 3, 13, 1, 29]},
    "gzip": {"raw_gzip": True, "chunk_sizes": [11]},
    "close": {"raw_close_delimited": True, "chunk_sizes": [5, 17]},
}


def content_type(framing_set):
    return "text/event-stream" if framing_set == "sse" else "application/x-ndjson"


def build_cases(base):
    """Two parallel case lists (Understudy's, the SDK's) and their labels."""
    ours, theirs, labels = [], [], []
    for sdk_kind, entry, suffix, streams, fset in KINDS:
        for sname, body in streams.items():
            for fname, framing in FRAMINGS.items():
                if fset == "ndjson" and fname == "cr":
                    continue
                control = {"next": 1, "mode": "raw", "raw_body": body,
                           "raw_content_type": content_type(fset)}
                control.update(framing)
                prov = dict(entry, name="oracle", base_url=base + suffix)
                ours.append({"fake": base, "control": control, "provider": prov})
                # The SDKs' own request bodies are not under test here.
                theirs.append({"fake": base, "control": dict(control, lenient=True),
                               "sdk": {"kind": sdk_kind, "model": entry["model"]}})
                labels.append("%s/%s/%s" % (sdk_kind, sname, fname))
    return ours, theirs, labels


def run_lines(argv, cases, n):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
    try:
        p = subprocess.run(argv + [f.name], capture_output=True, text=True, timeout=240)
    finally:
        os.unlink(f.name)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    if p.returncode != 0 or len(lines) != n:
        raise AssertionError("%s: exit %d, %d of %d results\n%s" % (
            os.path.basename(argv[-1]), p.returncode, len(lines), n, p.stderr[-3000:]))
    return lines


class SdkStreams(TestCase):
    def test_understudy_decodes_what_each_sdk_decodes(self):
        with FakeProvider() as fake:
            ours, theirs, labels = build_cases(fake.base_url)
            sdk = run_lines(["node", os.path.join(SDK, "oracle.mjs")], theirs, len(theirs))
            fake.reset()
            us = run_lines([TOOL], ours, len(ours))
        bad = []
        for label, s, u in zip(labels, sdk, us):
            why = None
            if s["ok"] and s["raw"] == "":
                # Nothing to serve: Understudy may call it a failure, but decodes no text.
                if u["raw"] != "":
                    why = "no text expected"
            elif s["ok"]:
                if u["outcome"] != "ok" or u["truncated"] or u["raw"] != s["raw"]:
                    why = "same text expected"
            elif u["outcome"] == "ok" and not u["truncated"]:
                why = "a failure expected"  # (or, by policy, only the complete lines, truncated)
            elif u["outcome"] == "ok" and (not s["raw"].startswith(u["raw"]) or
                                           not u["raw"].endswith("\n")):
                why = "only complete lines of what the SDK decoded expected"
            if why:
                bad.append("%s: %s; SDK %s %r %s, Understudy %s%s %r (%s)" % (
                    label, why, "ok" if s["ok"] else "failed", s["raw"], s.get("error", ""),
                    u["outcome"], " truncated" if u["truncated"] else "", u["raw"], u["message"]))
        # The error streams must fail on both sides (the SDKs throw): the oracle has teeth.
        errors = [lab for lab, s in zip(labels, sdk) if not s["ok"]]
        check(all("error" in lab for lab in errors),
              "only the error streams fail in the SDKs:\n  " +
              "\n  ".join("%s: %s" % (lab, s.get("error")) for lab, s in zip(labels, sdk)
                          if not s["ok"] and "error" not in lab))
        print("%d cases, %d where the SDK reports an error" % (len(labels), len(errors)))
        check(not bad, "%d disagreements:\n  %s" % (len(bad), "\n  ".join(bad[:40])))


if __name__ == "__main__":
    if not os.path.isdir(os.path.join(SDK, "node_modules", "@anthropic-ai")):
        print("SKIP: tests/sdk/node_modules missing (run `python3 tests/tools/deps.py test`)")
        sys.exit(77)
    if not TOOL or not os.path.exists(TOOL):
        print("ORACLE_ATTEMPT does not name the built oracle_attempt tool")
        sys.exit(1)
    SdkStreams().run()
