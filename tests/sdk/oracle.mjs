// The official SDKs' stream parsers as the oracle (issue 14; tests/integration/test_sdk_streams.py).
//
//   node tests/sdk/oracle.mjs CASES.json
//
// CASES.json is an array of {"fake": BASE, "control": {...}, "sdk": {"kind", "model"}}. For each
// case, in order: POST control to BASE/_control (the fake then serves the case's bytes), make one
// streaming call through the kind's SDK pointed at the fake (dummy key, no retries), and print one
// JSON line {"ok": bool, "raw": decoded text (up to a failure), "error": message}. The text is
// what the SDK's own parser hands to an application: the answer's text deltas (choice index 0,
// Gemini's chunk.text), in order.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { Ollama } from 'ollama';
import { readFileSync } from 'node:fs';

const KEY = 'sk-oracle-dummy-key';
const PROMPT = 'def add(a, b):\n    return ';
const SUFFIX = '\n\nprint(add(1, 2))\n';

// OpenAI-shaped choices: the one with index 0, wherever it stands.
function choice0(chunk) {
  return (chunk.choices || []).find((c) => c.index === 0);
}

// Mistral's delta.content: a string, or an array of typed chunks (text ones carry text).
function mistralText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.filter((p) => p.type === 'text' && typeof p.text === 'string').map((p) => p.text).join('');
  return '';
}

// The text decoded so far (kept when the SDK throws part-way).
let raw = '';

async function decode(base, kind, model) {
  raw = '';
  switch (kind) {
    case 'anthropic': {
      const client = new Anthropic({ apiKey: KEY, baseURL: base, maxRetries: 0 });
      const stream = await client.messages.create({
        model, max_tokens: 64, stream: true,
        messages: [{ role: 'user', content: PROMPT }],
      });
      for await (const ev of stream)
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') raw += ev.delta.text;
      break;
    }
    case 'openai':
    case 'openai-compatible':
    case 'openrouter': {
      const path = kind === 'openrouter' ? '/api/v1' : '/v1';
      const client = new OpenAI({ apiKey: KEY, baseURL: base + path, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model, stream: true, messages: [{ role: 'user', content: PROMPT }],
      });
      for await (const chunk of stream) {
        const c = choice0(chunk);
        if (c && c.delta && typeof c.delta.content === 'string') raw += c.delta.content;
      }
      break;
    }
    case 'openai-fim': {
      const client = new OpenAI({ apiKey: KEY, baseURL: base + '/v1', maxRetries: 0 });
      const stream = await client.completions.create({ model, stream: true, prompt: PROMPT, suffix: SUFFIX });
      for await (const chunk of stream) {
        const c = choice0(chunk);
        if (c && typeof c.text === 'string') raw += c.text;
      }
      break;
    }
    case 'gemini': {
      const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: base, retryOptions: { attempts: 1 } } });
      const stream = await ai.models.generateContentStream({ model, contents: PROMPT });
      for await (const chunk of stream) raw += chunk.text ?? '';
      break;
    }
    case 'mistral': {
      const client = new Mistral({ apiKey: KEY, serverURL: base, retryConfig: { strategy: 'none' } });
      const stream = await client.fim.stream({ model, prompt: PROMPT, suffix: SUFFIX });
      for await (const ev of stream) {
        const c = choice0(ev.data);
        if (c && c.delta) raw += mistralText(c.delta.content);
      }
      break;
    }
    case 'ollama': {
      const client = new Ollama({ host: base });
      const stream = await client.generate({ model, prompt: PROMPT, suffix: SUFFIX, stream: true });
      for await (const part of stream) raw += part.response ?? '';
      break;
    }
    default:
      throw new Error('no SDK for kind ' + kind);
  }
  return raw;
}

const origWarn = console.warn;
console.warn = () => {}; // the SDKs' advice (multiple candidates ...) is not output
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const c of cases) {
  const r = await fetch(c.fake + '/_control', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(c.control),
  });
  if (!r.ok) {
    origWarn('oracle: control refused', r.status);
    process.exit(1);
  }
  await r.text();
  let out;
  try {
    out = { ok: true, raw: await decode(c.fake, c.sdk.kind, c.sdk.model) };
  } catch (e) {
    out = { ok: false, raw, error: String(e && e.message ? e.message : e).slice(0, 300) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
