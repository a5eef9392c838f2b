"""The exact bodies Understudy sends, checked against artifacts nobody here wrote (issue 14): each
kind is driven through the server against the fake (a Python and a C file, with text after the
cursor, current model names including reasoning models), the fake logs the body and applies the
real APIs' documented rules, and every body is then type-checked with `tsc --strict --noEmit`
against the official SDK's request type, as an object literal (excess and missing properties
are errors). The SDKs are pinned in tests/sdk/package-lock.json.

Translation: the REST wire names are checked as they are where the SDK's type uses them
(Anthropic, OpenAI, Mistral's `$Outbound` wire type, Ollama). Only Gemini's SDK type is shaped
differently from its REST body: @google/genai's GenerateContentParameters takes
{model, contents, config} where REST has {contents, systemInstruction, generationConfig}; the
test moves systemInstruction and the generationConfig fields into `config` (same camelCase
names) and nothing else. llama.cpp has no official SDK: its body is not type-checked here."""
import json
import os
import subprocess
import tempfile

from lspclient import TestCase, check, eq
from routerlib import FakeProvider, inline, model_requests

SRC = os.environ.get("UNDERSTUDY_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
SDK = os.path.join(SRC, "tests", "sdk")
KEY = "sk-sdk-test-0123456789abcdef"

DOCS = {
    "python": "import os\n\ndef add(a, b):\n    total = ",
    "c": "#include <stdio.h>\n\nint add(int a, int b)\n{\n    int total = ",
}
SUFFIX_TAIL = {"python": "\n    return total\n\nprint(add(1, 2))\n",
               "c": "\n    return total;\n}\n"}

# kind -> (base suffix, models, extra config)
CASES = [
    ("anthropic", "", ["claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-4-6"], {}),
    ("openai", "/v1", ["gpt-4.1-mini", "gpt-5", "gpt-5.4-mini", "o4-mini"], {}),
    ("openai", "/v1", ["gpt-4.1-mini"], {"temperature": 0.2}),
    ("openai-compatible", "/v1", ["qwen2.5-coder-7b-instruct"], {}),
    ("openai-compatible", "/v1", ["qwen2.5-coder-1.5b"], {"fim": True}),
    ("openrouter", "/api/v1", ["qwen/qwen-2.5-coder-32b-instruct", "openai/gpt-5-mini"], {}),
    ("gemini", "/v1beta", ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro",
                           "gemini-2.0-flash"], {}),
    ("mistral", "/v1", ["codestral-latest"], {}),
    ("mistral", "/v1", ["codestral-latest"], {"temperature": 0.1}),
    ("ollama", "", ["qwen2.5-coder:1.5b", "llama3.2:3b"], {}),
]

IMPORTS = """\
import type { MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages/messages';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions/completions';
import type { CompletionCreateParamsStreaming } from 'openai/resources/completions';
import type { GenerateContentParameters } from '@google/genai';
import type { FIMCompletionRequest$Outbound } from '@mistralai/mistralai/models/components/fimcompletionrequest.js';
import type { GenerateRequest } from 'ollama';
"""


def sdk_type(kind, path):
    if kind == "anthropic":
        return "MessageCreateParamsStreaming"
    if kind == "gemini":
        return "GenerateContentParameters"
    if kind == "mistral":
        return "FIMCompletionRequest$Outbound"
    if kind == "ollama":
        return "GenerateRequest & { stream: true }"
    if path.endswith("/chat/completions"):
        return "ChatCompletionCreateParamsStreaming"
    return "CompletionCreateParamsStreaming"


def as_sdk_value(kind, path, body):
    if kind != "gemini":
        return body
    model = path.split("/models/", 1)[1].split(":", 1)[0]
    config = dict(body.get("generationConfig") or {})
    if "systemInstruction" in body:
        config["systemInstruction"] = body["systemInstruction"]
    out = {"model": model, "contents": body["contents"], "config": config}
    for k in body:
        if k not in ("contents", "generationConfig", "systemInstruction"):
            out[k] = body[k]  # anything else stays where it was, so tsc sees it
    return out


def tsc(ts_text):
    fd, path = tempfile.mkstemp(suffix=".ts", prefix="bodies-", dir=SDK)
    with os.fdopen(fd, "w") as f:
        f.write(ts_text)
    try:
        r = subprocess.run(["node", os.path.join(SDK, "node_modules", "typescript", "bin", "tsc"),
                            "--strict", "--noEmit", "--skipLibCheck", "--module", "nodenext",
                            "--moduleResolution", "nodenext", "--target", "es2022", path],
                           cwd=SDK, capture_output=True, text=True, timeout=120)
        return r.returncode, r.stdout + r.stderr
    finally:
        os.unlink(path)


class SdkRequests(TestCase):
    def cleanup(self):
        super().cleanup()
        for f in getattr(self, "_fakes", []):
            f.stop()
        self._fakes = []

    def capture(self):
        """Every (kind, model, language) body as the fake received it."""
        fake = FakeProvider(text="a + b\n")
        self._fakes = [fake]
        out = []
        for kind, suffix, models, extra in CASES:
            for model in models:
                entry = {"name": "p", "kind": kind, "model": model,
                         "base_url": fake.base_url + suffix, "api_key_env": "US_SDK_KEY"}
                entry.update(extra)
                s = self.server(env={"US_SDK_KEY": KEY})
                s.initialize(init_options={"providers": [entry], "completion": {"hedge_ms": 0},
                                           "privacy": {"loopback_raw": True}})
                for lang, text in DOCS.items():
                    fake.control(clear_log=True)
                    n = len(out)
                    uri = "file:///tmp/understudy-sdk-%d.%s" % (n, "py" if lang == "python" else "c")
                    head = "// case %d\n%s" % (n, text) if lang == "c" else "# case %d\n%s" % (n, text)
                    s.open(uri, head + SUFFIX_TAIL[lang], language=lang)
                    rows = head.split("\n")
                    pos = {"line": len(rows) - 1, "character": len(rows[-1])}
                    inline(s, uri, pos)
                    reqs = model_requests(fake)
                    eq(len(reqs), 1, "%s %s %s: one request" % (kind, model, lang))
                    q = reqs[0]
                    check(not q.get("rejected"), "%s %s: the real API would reject it: %s"
                          % (kind, model, q.get("rejected")))
                    eq(q["status"], 200, "%s %s answered" % (kind, model))
                    out.append((kind, model, lang, q["path"], q["json"], extra))
                s.shutdown_and_exit()
        return out

    def test_bodies_type_check_against_the_sdks(self):
        check(os.path.isdir(os.path.join(SDK, "node_modules", "typescript")),
              "tests/sdk/node_modules missing: run `python3 tests/tools/deps.py test`")
        bodies = self.capture()
        lines = [IMPORTS]
        for i, (kind, model, lang, path, body, extra) in enumerate(bodies):
            lines.append("// %s %s (%s)" % (kind, model, lang))
            lines.append("export const body%d: %s = %s;" % (
                i, sdk_type(kind, path), json.dumps(as_sdk_value(kind, path, body), indent=1)))
            # what each kind must (not) carry, beyond the types
            check("temperature" not in json.dumps(body) or "temperature" in extra,
                  "%s %s: temperature only when configured" % (kind, model))
        rc, out = tsc("\n".join(lines) + "\n")
        if rc != 0:
            print(out[:6000])
        eq(rc, 0, "every body type-checks against its SDK")

    def test_tsc_catches_excess_fields(self):
        """The check has teeth: the old Anthropic body (prefill, temperature, blank stops)."""
        old = {"model": "claude-sonnet-5-5", "max_tokens": 96, "temperature": 0.2,
               "system": "x", "stop_sequences": ["\n"], "stream": True,
               "messages": [{"role": "user", "content": "x"},
                            {"role": "assistant", "content": "    return"}]}
        rc, out = tsc(IMPORTS + "export const b: MessageCreateParamsStreaming = %s;\n"
                      % json.dumps(old))
        check(rc != 0 and "temperature" in out, "tsc rejects a field the SDK does not have")


if __name__ == "__main__":
    SdkRequests().run()
