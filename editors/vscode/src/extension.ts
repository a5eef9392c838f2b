// Understudy for VS Code: starts the Understudy language server over stdio and lets
// vscode-languageclient turn its inline completions into ghost text; a status bar item shows
// which provider serves (fed by the server's understudy/status notification).

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

interface ProviderStatus {
  name: string;
  kind: string;
  state: string;
  reason?: string | null;
  retry_in_ms?: number;
  p50_ms?: number;
  requests?: number;
  failures?: number;
}

interface Status {
  state: 'ok' | 'degraded' | 'offline';
  served_by?: string;
  providers?: ProviderStatus[];
}

let client: LanguageClient | undefined;
let statusItem: vscode.StatusBarItem;
let output: vscode.LogOutputChannel;
let lastStatus: Status | undefined;

type Json = { [key: string]: unknown };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  }
  return out;
}

// The server's configuration object (design: same shape as config.json) from the settings.
export function serverSettings(cfg: vscode.WorkspaceConfiguration): Json {
  const out: Json = {};
  const providers = cfg.get<unknown[]>('providers') ?? [];
  if (providers.length > 0) {
    out.providers = providers;
  }
  const completion: Json = {};
  const put = (obj: Json, key: string, value: unknown) => {
    if (value !== null && value !== undefined) {
      obj[key] = value;
    }
  };
  put(completion, 'deadline_ms', cfg.get('completion.deadlineMs'));
  put(completion, 'popup_budget_ms', cfg.get('completion.popupBudgetMs'));
  put(completion, 'max_lines', cfg.get('completion.maxLines'));
  if (Object.keys(completion).length > 0) {
    out.completion = completion;
  }
  const breaker: Json = {};
  put(breaker, 'failures', cfg.get('breaker.failures'));
  put(breaker, 'cooldown_ms', cfg.get('breaker.cooldownMs'));
  if (Object.keys(breaker).length > 0) {
    out.breaker = breaker;
  }
  if (cfg.get<boolean>('local.enabled') === false) {
    out.local = { snippets: false, symbols: false, words: false, lines: false };
  }
  const privacy: Json = {};
  if (cfg.get<boolean>('privacy.remote') === false) {
    privacy.remote = false;
  }
  put(privacy, 'exclude', cfg.get('privacy.exclude'));
  if (Object.keys(privacy).length > 0) {
    out.privacy = privacy;
  }
  out.log = { level: cfg.get<string>('log.level') ?? 'info' };
  return merge(out, cfg.get<Json>('settings') ?? {});
}

// The binary: the path setting, else one bundled in the extension, else `understudy` on PATH.
export function findServer(extensionPath: string, setting: string | undefined): string {
  if (setting && setting.trim() !== '') {
    return setting.replace(/^~(?=$|\/)/, process.env.HOME ?? '~');
  }
  const bundled = [
    path.join(extensionPath, 'bin', `${process.platform}-${process.arch}`, 'understudy'),
    path.join(extensionPath, 'bin', 'understudy'),
  ];
  for (const candidate of bundled) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not bundled for this platform
    }
  }
  return 'understudy';
}

// Providers worth a word in the status bar: 'claude slow', 'gpt rate-limited 42s',
// 'codestral rejected' (open and disabled ones are what 'degraded' says).
const NOTED: Record<string, string> = { slow: 'slow', rate_limited: 'rate-limited', rejected: 'rejected' };

export function providerNotes(st: Status): string[] {
  const notes: string[] = [];
  for (const p of st.providers ?? []) {
    const word = NOTED[p.state];
    if (!word) {
      continue;
    }
    let n = `${p.name} ${word}`;
    if (p.state === 'rate_limited' && typeof p.retry_in_ms === 'number' && p.retry_in_ms > 0) {
      n += ` ${Math.ceil(p.retry_in_ms / 1000)}s`;
    }
    notes.push(n);
  }
  return notes;
}

export function statusText(st: Status | undefined): string {
  if (!st) {
    return '$(loading~spin) Understudy';
  }
  const notes = providerNotes(st).join(', ');
  if (st.state === 'offline') {
    return '$(circle-slash) Understudy: offline' + (notes ? ` (${notes})` : '');
  }
  if (st.state === 'degraded') {
    return `$(warning) Understudy: ${st.served_by ?? '?'} (degraded${notes ? '; ' + notes : ''})`;
  }
  return `$(sparkle) Understudy: ${st.served_by ?? '?'}` + (notes ? ` (${notes})` : '');
}

// Understudy: Retry Providers -- the server resets every breaker and probes the providers now.
// (Not named understudy.retryProviders: the language client registers the server's own
// commands under their names.)
async function retryProviders(): Promise<void> {
  if (!client || client.state !== State.Running) {
    void vscode.window.showWarningMessage('Understudy is not running.');
    return;
  }
  try {
    const st = (await client.sendRequest('workspace/executeCommand', {
      command: 'understudy.retryProviders',
      arguments: [],
    })) as Status;
    showStatusItem(st);
    output.appendLine('Understudy: providers reset; probing them now');
  } catch (e) {
    output.appendLine(`understudy.retryProviders failed: ${e}`);
  }
}

function providerLine(p: ProviderStatus): string {
  const parts = [`${p.name} (${p.kind}): ${p.state}`];
  if (p.reason) {
    parts.push(p.reason);
  }
  if (typeof p.retry_in_ms === 'number' && p.retry_in_ms > 0) {
    parts.push(`retry in ${(p.retry_in_ms / 1000).toFixed(1)} s`);
  }
  if (typeof p.p50_ms === 'number') {
    parts.push(`p50 ${p.p50_ms} ms`);
  }
  if (typeof p.requests === 'number') {
    parts.push(`${p.requests} requests, ${p.failures ?? 0} failed`);
  }
  return parts.join(' · ');
}

function showStatusItem(st: Status | undefined): void {
  lastStatus = st;
  statusItem.text = statusText(st);
  const lines = st
    ? [`Understudy: ${st.state}, served by ${st.served_by ?? '-'}`, ...(st.providers ?? []).map(providerLine)]
    : ['Understudy is starting'];
  statusItem.tooltip = lines.join('\n');
  statusItem.backgroundColor =
    st?.state === 'offline'
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : st?.state === 'degraded'
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
  statusItem.show();
}

async function showStatus(): Promise<void> {
  let st = lastStatus;
  if (client && client.state === State.Running) {
    try {
      st = (await client.sendRequest('workspace/executeCommand', {
        command: 'understudy.status',
        arguments: [],
      })) as Status;
      showStatusItem(st);
    } catch (e) {
      output.appendLine(`understudy.status failed: ${e}`);
    }
  }
  if (!st) {
    void vscode.window.showWarningMessage('Understudy is not running.');
    return;
  }
  output.appendLine(`Understudy: ${st.state}, served by ${st.served_by ?? '-'}`);
  for (const p of st.providers ?? []) {
    output.appendLine('  ' + providerLine(p));
  }
  const picks = (st.providers ?? []).map((p) => ({ label: p.name, description: p.state, detail: providerLine(p) }));
  if (picks.length === 0) {
    picks.push({ label: 'local', description: 'no providers configured', detail: 'the local engine serves' });
  }
  void vscode.window.showQuickPick(picks, {
    title: `Understudy: ${st.state}, served by ${st.served_by ?? '-'}`,
    canPickMany: false,
  });
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const cfg = vscode.workspace.getConfiguration('understudy');
  const command = findServer(context.extensionPath, cfg.get<string>('path'));
  const run: Executable = { command, args: ['--stdio'] };
  const serverOptions: ServerOptions = { run, debug: run };
  const languages = cfg.get<string[]>('languages') ?? [];
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    initializationOptions: serverSettings(cfg),
    outputChannel: output,
  };
  const c = new LanguageClient('understudy', 'Understudy', serverOptions, clientOptions);
  c.onNotification('understudy/status', (st: Status) => showStatusItem(st));
  return c;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  client = createClient(context);
  showStatusItem(undefined);
  try {
    await client.start();
  } catch (e) {
    statusItem.text = '$(error) Understudy: not started';
    statusItem.tooltip = String(e);
    void vscode.window.showErrorMessage(
      `Understudy could not start (${e}). Set "understudy.path" to the understudy binary.`,
    );
  }
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch {
      // already stopped
    }
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('Understudy', { log: true });
  statusItem = vscode.window.createStatusBarItem('understudy.status', vscode.StatusBarAlignment.Right, 100);
  statusItem.name = 'Understudy';
  statusItem.command = 'understudy.showStatus';
  context.subscriptions.push(output, statusItem);
  context.subscriptions.push(
    vscode.commands.registerCommand('understudy.showStatus', showStatus),
    vscode.commands.registerCommand('understudy.retry', retryProviders),
    vscode.commands.registerCommand('understudy.restart', async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('understudy')) {
        return;
      }
      if (e.affectsConfiguration('understudy.path') || e.affectsConfiguration('understudy.languages')) {
        await stop();
        await start(context);
      } else if (client && client.state === State.Running) {
        const settings = serverSettings(vscode.workspace.getConfiguration('understudy'));
        await client.sendNotification('workspace/didChangeConfiguration', { settings: { understudy: settings } });
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
