// Drives code-server in Debian's chromium with playwright-core (run by test_vscode.py).
// Opens the fixture file, waits for the status bar item, types, waits for the ghost text,
// saves a screenshot, accepts with Tab and saves the file; writes checks to US_RESULT.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error('missing env ' + k);
  return v;
};
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: !!ok, detail: ok ? null : String(detail) });
let error = null;

async function statusText(page) {
  return page.evaluate(() => {
    const items = Array.from(document.querySelectorAll('.statusbar-item'));
    const mine = items.find((e) => /Understudy/.test(e.textContent || '') || /understudy/i.test(e.id || ''));
    return mine ? (mine.textContent || '').trim() : '';
  });
}

async function fakeControl(obj) {
  try {
    const r = await fetch(env('US_FAKE_URL') + '/_control', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(obj) });
    return r.ok;
  } catch (e) {
    return false;
  }
}

async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The fake provider's answer for what follows (its control endpoint on loopback).
async function fakeText(text) {
  const r = await fetch(env('US_FAKE_URL') + '/_control', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ mode: 'healthy', text }),
  });
  if (!r.ok) throw new Error('fake control: ' + r.status);
}

async function fakeRequests() {
  const r = await fetch(env('US_FAKE_URL') + '/_stats?log=0');
  return (await r.json()).requests_total;
}

const ghostText = (page) => page.evaluate(() =>
  Array.from(document.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text'))
    .map((e) => e.textContent || '').join('').replace(/\u00a0/g, ' '));

// Open a file of the workspace with Quick Open and wait until the editor shows `marker`.
async function openFile(page, name, marker) {
  const shown = () => page.evaluate((m) =>
    (document.querySelector('.monaco-editor .view-lines')?.textContent || '').replace(/\u00a0/g, ' ').includes(m), marker);
  for (let attempt = 0; attempt < 4 && !(await shown()); attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    await page.waitForTimeout(600);
    await page.keyboard.type(name, { delay: 20 });
    await page.waitForTimeout(1200);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(1200);
  }
  await waitFor('editor showing ' + name, shown, 15000);
  await page.click('.monaco-editor .view-lines');
}

// Save the active editor and return the file's exact text from disk.
async function saved(page, name) {
  const file = require('path').join(env('US_WORK'), name);
  const before = fs.statSync(file).mtimeMs;
  await page.keyboard.press('Control+S');
  try {
    await waitFor('save of ' + name, async () => fs.statSync(file).mtimeMs !== before, 5000);
  } catch (e) {
    // unchanged text is not written again
  }
  return fs.readFileSync(file, 'utf8');
}

// Accept a multi-line AI item from the open suggest popup (VS Code's default settings: quick
// suggestions and auto-indent on) and check the file's exact text: the item's continuation
// lines keep the model's indentation (insertTextMode asIs), nothing is re-indented.
async function popupAccept(page, { file, marker, text, lineKeys, typed, key, want, shot }) {
  await fakeText(text);
  await openFile(page, file, marker);
  for (const k of lineKeys) await page.keyboard.press(k);
  await page.keyboard.type(typed, { delay: 40 });
  const firstRow = () => page.evaluate(() => {
    const w = document.querySelector('.editor-widget.suggest-widget.visible');
    const row = w && (w.querySelector('.monaco-list-row.focused') || w.querySelector('.monaco-list-row'));
    return row ? (row.textContent || '') : '';
  });
  let row = '';
  for (let attempt = 0; attempt < 4 && !/fake/.test(row); attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Space');
    try {
      row = await waitFor('suggest popup with the AI item first', async () => {
        const r = await firstRow();
        return /fake/.test(r) ? r : '';
      }, 4000);
    } catch (e) {
      row = await firstRow();
    }
  }
  check(`${file}: the suggest popup shows the AI item first, with its provider`, /fake/.test(row),
    'first row: ' + JSON.stringify(row));
  if (shot) await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 900, height: 330 } });
  await page.keyboard.press(key);
  await page.waitForTimeout(400);
  const got = await saved(page, file);
  check(`${file}: ${key} in the popup inserts the multi-line item exactly (no re-indent)`, got === want,
    'saved ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
}

// Typing through ghost text across an auto-closed "(": the suggestion stays on screen at every
// keystroke (no frame without it) and the server serves the rest from its cache (no request).
async function typeThroughAutoclosed(page) {
  await fakeText('print(a, b)');
  await openFile(page, 'show.py', 'def show');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('    ', { delay: 40 });
  let ghost = '';
  for (let attempt = 0; attempt < 3 && !/print\(a, b\)/.test(ghost); attempt++) {
    try {
      ghost = await waitFor('ghost text print(a, b)', async () => {
        const g = await ghostText(page);
        return /print\(a, b\)/.test(g) ? g : '';
      }, 5000);
    } catch (e) {
      ghost = await ghostText(page);
      await page.keyboard.press('Alt+Backslash');
    }
  }
  check('show.py: ghost text before typing through', /print\(a, b\)/.test(ghost), JSON.stringify(ghost));
  await page.keyboard.type('print', { delay: 120 });
  await page.waitForTimeout(600);
  await page.keyboard.press('Escape'); // close a suggest popup the word may have opened
  await page.waitForTimeout(300);
  const before = await fakeRequests();
  // Watch every DOM change from here: a frame without ghost text is a blink.
  await page.evaluate(() => {
    const has = () => document.querySelector('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text') !== null;
    window.__usBlinks = has() ? [] : ['no ghost text at the start'];
    window.__usObs = new MutationObserver(() => {
      if (!has()) {
        window.__usBlinks.push(Math.round(performance.now()) + (document.querySelector('.suggest-widget.visible') ? ' [suggest open] ' : ' ') + (document.querySelector('.monaco-editor .view-lines')?.textContent || '').slice(-40));
      }
    });
    window.__usObs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const seen = [];
  // The blink check covers "(" (auto-closed) and the punctuation typed after it. A word
  // character opens VS Code's quick-suggest popup, which hides inline suggestions for a few
  // frames while it loads whatever the server does: that one is VS Code's, not checked.
  const keyTimes = [];
  let blinks = [];
  for (const ch of ['(', 'a', ',', ' ']) {
    keyTimes.push(ch + '@' + Math.round(await page.evaluate(() => performance.now())));
    await page.keyboard.type(ch);
    await page.waitForTimeout(500);
    seen.push(await ghostText(page));
    const b = await page.evaluate(() => window.__usBlinks.splice(0));
    if (ch !== 'a') blinks = blinks.concat(b.map((x) => ch + ': ' + x));
  }
  await page.evaluate(() => window.__usObs.disconnect());
  const after = await fakeRequests();
  const line = await page.evaluate(() =>
    (document.querySelector('.monaco-editor .view-lines')?.textContent || '').replace(/\u00a0/g, ' '));
  check('show.py: the editor auto-closed "(" (the case under test)', /print\(a, \)/.test(line) || /print\(a, b\)/.test(line),
    'line: ' + JSON.stringify(line));
  check('show.py: typing through after the auto-closed "(" keeps the ghost text at every keystroke',
    seen.every((g) => g.length > 0) && /b/.test(seen[seen.length - 1]), 'ghost after each key: ' + JSON.stringify(seen));
  check('show.py: no frame without the ghost text while typing through (no blink)', blinks.length === 0,
    'frames without ghost: ' + JSON.stringify(blinks.slice(0, 5)) + ' keys: ' + keyTimes.join(' '));
  check('show.py: typing through is served from the cache (no new provider request)', after === before,
    `${after - before} new requests to the fake`);
  await page.keyboard.press('Tab');
  await page.waitForTimeout(400);
  const got = await saved(page, 'show.py');
  const want = 'def show(a, b):\n    print(a, b)';
  check('show.py: Tab after typing through gives the suggestion exactly (one ")")', got.replace(/\n+$/, '') === want,
    'saved ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.US_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--proxy-server=direct://', '--proxy-bypass-list=*'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Only loopback: anything else (open-vsx lookups, fonts) is refused at once.
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.protocol === 'data:' ||
          u.protocol === 'blob:') {
        return route.continue();
      }
      return route.abort();
    });
    await page.goto(env('US_URL'), { waitUntil: 'domcontentloaded', timeout: 60000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    check('workbench loads', true);

    // Open the fixture (activates the extension: onLanguage:python): click it in the Explorer,
    // falling back to Quick Open; both need the workbench to settle first.
    const name = env('US_FILE_NAME');
    const editorHasFile = () => page.evaluate(() =>
      /def.add/.test(document.querySelector('.monaco-editor .view-lines')?.textContent || ''));
    for (let attempt = 0; attempt < 5 && !(await editorHasFile()); attempt++) {
      try {
        const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
        await row.waitFor({ timeout: 10000 });
        await row.click();
      } catch (e) {
        await page.keyboard.press('Control+P');
        await page.waitForTimeout(500);
        await page.keyboard.type(name, { delay: 20 });
        await page.waitForTimeout(1500);
        await page.keyboard.press('Enter');
      }
      await page.waitForTimeout(1500);
    }
    await waitFor('file content in the editor', () =>
      page.evaluate(() => /def.add/.test(document.querySelector('.monaco-editor .view-lines')?.textContent || '')), 20000);

    let bar = '';
    try {
      bar = await waitFor('status bar item naming the provider', async () => {
        const t = await statusText(page);
        return /Understudy: fake/.test(t) ? t : '';
      }, 45000);
    } catch (e) {
      bar = await statusText(page);
    }
    check('status bar shows the serving provider', /Understudy: fake/.test(bar), 'status bar: ' + JSON.stringify(bar));

    // Type at the end of the file; inline suggestions come on their own, Alt+\ asks again.
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('Control+End');
    await page.keyboard.type(env('US_TYPED'), { delay: 40 });
    // Monaco splits ghost text into token spans and puts further lines in view zones, which
    // render a moment apart: wait until every line of the suggestion is on screen.
    const ghostText = () => page.evaluate(() =>
      Array.from(document.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text'))
        .map((e) => e.textContent || '').join(''));
    const wanted = env('US_AI_TEXT').split('\n').map((l) => l.trim());
    const missingIn = (g) => wanted.filter((l) => !g.replace(/\s+/g, ' ').includes(l));
    let ghost = '';
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        ghost = await waitFor('ghost text', async () => {
          const g = await ghostText();
          return missingIn(g).length === 0 ? g : '';
        }, 5000);
        break;
      } catch (e) {
        ghost = await ghostText();
        if (!ghost) await page.keyboard.press('Alt+Backslash');
      }
    }
    const missing = missingIn(ghost);
    check('ghost text renders the fake provider\'s suggestion (every line)', ghost && missing.length === 0,
      'ghost: ' + JSON.stringify(ghost) + ' missing: ' + JSON.stringify(missing));
    await page.screenshot({ path: env('US_SCREENSHOT') });
    await page.keyboard.press('Tab');
    await page.waitForTimeout(500);
    await page.keyboard.press('Control+S');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: env('US_SCREENSHOT').replace(/\.png$/, '-accepted.png') });

    if (process.env.US_BASIC_ONLY) return; // test_install.py: install, status, ghost, Tab
    await popupAccept(page, {
      file: 'pop.py', marker: 'def mul', text: 'product = a * b\n    return product',
      lineKeys: ['Control+End'], typed: '    ', key: 'Tab',
      want: 'def mul(a, b):\n    product = a * b\n    return product',
    });
    await popupAccept(page, {
      file: 'pop.js', marker: 'function mul', text: 'const product = a * b;\n  return product;',
      lineKeys: ['Control+Home', 'ArrowDown', 'End'], typed: '  ', key: 'Enter',
      want: 'function mul(a, b) {\n  const product = a * b;\n  return product;\n}\n',
      shot: process.env.US_POPUP_SCREENSHOT,
    });
    await page.keyboard.press('Escape');
    await typeThroughAutoclosed(page);

    // Issue 18: provider states in the status bar, and the retry command. The fake's next
    // answer says the request budget is spent for a minute: the bar shows rate-limited with
    // its reset; "Understudy: Retry Providers" resets it and the bar names the provider again.
    const typeSome = async (s) => {
      await page.click('.monaco-editor .view-lines');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type(s, { delay: 60 });
    };
    const waitBar = async (what, re, ms) => {
      try {
        return await waitFor(what, async () => { const t = await statusText(page); return re.test(t) ? t : ''; }, ms);
      } catch (e) {
        return statusText(page);
      }
    };
    const retryCommand = async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await page.waitForTimeout(500);
      await page.keyboard.type('Understudy: Retry Providers', { delay: 20 });
      await page.waitForTimeout(800);
      await page.keyboard.press('Enter');
    };
    check('fake queues a spent budget', await fakeControl({ next: 1, mode: 'healthy', headers: {
      'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '60s' } }));
    await typeSome('x = ');
    let t = await waitBar('rate-limited in the status bar', /fake rate-limited \d+s/, 15000);
    check('status bar shows rate_limited with its reset', /fake rate-limited \d+s/.test(t), 'status bar: ' + JSON.stringify(t));
    await retryCommand();
    t = await waitBar('provider back after retry', /Understudy: fake$/, 10000);
    check('Understudy: Retry Providers resets the provider', /Understudy: fake$/.test(t), 'status bar: ' + JSON.stringify(t));
    // The provider rejects every request (the same 400 three times): the bar says rejected.
    check('fake rejects requests', await fakeControl({ mode: 'bad_request', message: 'model not supported' }));
    for (let i = 0; i < 4 && !/fake rejected/.test(await statusText(page)); i++) {
      await typeSome('y' + i + ' = ');
      await waitBar('rejected in the status bar', /fake rejected/, 4000);
    }
    t = await statusText(page);
    check('status bar shows rejected', /fake rejected/.test(t), 'status bar: ' + JSON.stringify(t));
    check('status bar shows offline when only the local engine can serve', /offline/.test(t), 'status bar: ' + JSON.stringify(t));
    await fakeControl({ mode: 'healthy' });
    await retryCommand();
    t = await waitBar('provider back after the second retry', /Understudy: fake$/, 10000);
    check('retry brings the rejected provider back', /Understudy: fake$/.test(t), 'status bar: ' + JSON.stringify(t));
  } finally {
    await browser.close();
  }
}

const watchdog = setTimeout(() => {
  error = 'watchdog: driver did not finish in 420 s';
  fs.writeFileSync(env('US_RESULT'), JSON.stringify({ checks, error }));
  process.exit(1);
}, 420000);

main()
  .catch((e) => { error = String(e && e.stack || e); })
  .finally(() => {
    clearTimeout(watchdog);
    fs.writeFileSync(env('US_RESULT'), JSON.stringify({ checks, error }));
  });
