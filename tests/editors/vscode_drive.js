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
  error = 'watchdog: driver did not finish in 240 s';
  fs.writeFileSync(env('US_RESULT'), JSON.stringify({ checks, error }));
  process.exit(1);
}, 240000);

main()
  .catch((e) => { error = String(e && e.stack || e); })
  .finally(() => {
    clearTimeout(watchdog);
    fs.writeFileSync(env('US_RESULT'), JSON.stringify({ checks, error }));
  });
