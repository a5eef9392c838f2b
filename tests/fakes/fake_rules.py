"""Fake provider, what it refuses: the checks the live APIs make on a request body (the
*_FIELDS tables, validate()) and the error body of such a rejection, so a request a real service
would reject fails against the fake too. fake_provider.py applies them unless --no-validate or
the fault's "lenient". Standard library only.
"""

from fake_streams import error_body

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
