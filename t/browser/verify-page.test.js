#!/usr/bin/env node
// End-to-end test of the demo's verification page (examples/demo/page/) in
// Debian's chromium, headless, driven by playwright-core.  It starts its own
// nginx (with the module and the demo's config) and Telesign simulator
// through examples/demo/stack, on ports 19970 (nginx) and 19971 (simulator),
// walks the page as a person would, and saves a screenshot of every screen
// in build/browser-screens/.
//
//   node t/browser/verify-page.test.js     (or: make test-browser)
//
// Environment: BROWSER_PORT, BROWSER_SIM_PORT, CHROMIUM (default
// /usr/bin/chromium).  Prints "N passed, N failed" last; exits non-zero on
// any failure.  Never downloads a browser.
'use strict';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '..', '..');
const PORT = Number(process.env.BROWSER_PORT || 19970);
const SIM_PORT = Number(process.env.BROWSER_SIM_PORT || 19971);
const BASE = `http://127.0.0.1:${PORT}`;
const SIM = `http://127.0.0.1:${SIM_PORT}`;
const STACK_DIR = path.join(root, 'build', 'browser-stack');
const SCREENS = path.join(root, 'build', 'browser-screens');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STACK = path.join(root, 'examples', 'demo', 'stack');
const WAIT = 10000;            // ms: one step's longest wait
const DEADLINE = 180000;       // ms: the whole run

let passed = 0, failed = 0;
let browser = null, profileDir = null;

function stack(...args) {
  const r = spawnSync(STACK, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 30000 });
  if (r.status !== 0) throw new Error(`examples/demo/stack ${args[0]} failed (${r.status})`);
}

async function cleanup() {
  if (browser) { try { await browser.close(); } catch (e) { /* already gone */ } browser = null; }
  try { stack('stop', STACK_DIR); } catch (e) { /* nothing to stop */ }
  if (profileDir) { fs.rmSync(profileDir, { recursive: true, force: true }); profileDir = null; }
}

const killer = setTimeout(async () => {
  console.log(`not ok - the run took longer than ${DEADLINE / 1000} s`);
  await cleanup();
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, DEADLINE);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => { await cleanup(); process.exit(130); });
}

// --- tiny harness: scenarios of steps; a failed step ends its scenario ----

async function scenario(name, steps) {
  console.log(`# ${name}`);
  for (const [title, fn] of steps) {
    try {
      await fn();
      passed++;
      console.log(`ok - ${title}`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${title}\n  ${String(e && e.stack || e).split('\n').slice(0, 4).join('\n  ')}`);
      const skipped = steps.length - steps.findIndex(s => s[0] === title) - 1;
      if (skipped > 0) console.log(`# the ${skipped} later step(s) of "${name}" were not run`);
      failed += skipped;
      return;
    }
  }
}

function expect(cond, what) { if (!cond) throw new Error(what); }
function expectIncludes(text, part, what) {
  if (!String(text).includes(part)) throw new Error(`${what}: ${JSON.stringify(part)} not in ${JSON.stringify(text)}`);
}

async function shot(page, name) {
  // let transitions settle, then the whole page
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SCREENS, name), fullPage: true });
}

async function sim(pathname, body) {
  const r = await fetch(SIM + pathname, {
    method: body ? 'POST' : 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return r.json();
}

async function visibleScreen(page) {
  return page.evaluate(() => {
    const s = [...document.querySelectorAll('.screen')].find(e => !e.hidden);
    return s ? s.id : null;
  });
}

async function waitScreen(page, id) {
  await page.waitForSelector(`#${id}:not([hidden])`, { timeout: WAIT });
  expect(await visibleScreen(page) === id, `screen ${id} is the only one shown`);
}

// The page must never show raw JSON to a person.
async function noJson(page, selector) {
  const t = await page.textContent(selector);
  expect(!/[{}]|"error"/.test(t), `${selector} shows JSON: ${t}`);
}

// Enter a phone number the way a person does: type into both fields, press Next.
async function enterPhone(page, cc, number) {
  await page.getByLabel('Country code').fill('');
  await page.getByLabel('Country code').type(cc);
  await page.getByLabel('Phone number').fill('');
  await page.getByLabel('Phone number').type(number);
  await page.getByRole('button', { name: 'Next' }).click();
}

// The newest call on the simulated phone, once the incoming-call overlay is gone.
async function missedCall(page) {
  await page.waitForSelector('#calls li[data-from]', { timeout: WAIT });
  await page.waitForSelector('#incoming', { state: 'hidden', timeout: WAIT });
  return page.getAttribute('#calls li[data-from]', 'data-from');
}

async function fitsWidth(page) {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth,
                                              document.documentElement.clientWidth]);
  expect(sw <= cw, `page is ${sw}px wide in a ${cw}px viewport`);
}

async function typeCode(page, code) {
  await page.getByLabel('Digit 1 of 5').click();
  await page.keyboard.type(code);
}

// --- the run ------------------------------------------------------------------

async function main() {
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (make deps installs Debian's chromium)`);
  fs.rmSync(SCREENS, { recursive: true, force: true });
  fs.mkdirSync(SCREENS, { recursive: true });
  stack('start', STACK_DIR, String(PORT), String(SIM_PORT));

  // A fresh profile for this run, removed at the end.  Playwright makes the
  // browser's --user-data-dir itself (and refuses one in args); this one
  // holds chromium's crash dumps and cache so nothing lands in $HOME.
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'appverify-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           `--disk-cache-dir=${path.join(profileDir, 'cache')}`,
           `--crash-dumps-dir=${path.join(profileDir, 'crash')}`],
    env: { ...process.env, HOME: profileDir },
    timeout: 30000,
  });
  console.log(`# chromium ${browser.version()}, nginx on ${BASE}, simulator on ${SIM}`);

  // --- the happy path, desktop width ---
  const desk = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  let page = await desk.newPage();
  page.setDefaultTimeout(WAIT);
  let prefix = '', code = '';
  await scenario('happy path: phone → call → code from the simulated phone → success → /account/', [
    ['the page loads on the phone screen, with labelled, separate country code and number fields', async () => {
      const r = await page.goto(BASE + '/');
      expect(r.status() === 200, `GET / is ${r.status()}`);
      await waitScreen(page, 'screen-phone');
      expect(await page.getByLabel('Country code').getAttribute('inputmode') === 'numeric', 'country code inputmode');
      expect(await page.getByLabel('Phone number').getAttribute('inputmode') === 'numeric', 'number inputmode');
      await shot(page, '01-phone.png');
    }],
    ['the number field keeps digits only (spaces and special characters are dropped)', async () => {
      await page.getByLabel('Phone number').type('(7981) 897-555 x');
      const v = await page.getByLabel('Phone number').inputValue();
      expect(v === '7981897555', `number field holds ${JSON.stringify(v)}`);
      await page.getByLabel('Country code').fill('');
      await page.getByLabel('Country code').type('+4a4');
      const c = await page.getByLabel('Country code').inputValue();
      expect(c === '44', `country code holds ${JSON.stringify(c)}`);
    }],
    ['an unassigned country code is shown inline next to its field, in words', async () => {
      await enterPhone(page, '999', '7981897555');
      await page.waitForSelector('#country-code-error:not(:empty)');
      expectIncludes(await page.textContent('#country-code-error'), "isn't a country code", 'country code error');
      expect(await page.getAttribute('#country-code', 'aria-invalid') === 'true', 'country code marked invalid');
      await noJson(page, '#flow');
      await waitScreen(page, 'screen-phone');
      await shot(page, '02-phone-error-country.png');
    }],
    ['a number of the wrong length is shown inline next to the number field', async () => {
      await enterPhone(page, '44', '123');
      await page.waitForSelector('#phone-number-error:not(:empty)');
      expectIncludes(await page.textContent('#phone-number-error'), "doesn't look right", 'number error');
      expect(await page.textContent('#country-code-error') === '', 'the country code error is cleared');
      await noJson(page, '#flow');
      await shot(page, '03-phone-error-number.png');
    }],
    ['Next places the call and explains it: do not answer, the last five digits are the code', async () => {
      await enterPhone(page, '44', '07981897555');
      await waitScreen(page, 'screen-call');
      const t = await page.textContent('#screen-call');
      expectIncludes(t, "don't pick up", 'call screen');
      expectIncludes(t, 'last five digits are your verification code', 'call screen');
      expectIncludes(await page.textContent('#call-phone'), '+44 7981897555', 'the normalized number');
      expect(await page.getByRole('button', { name: 'Call me again' }).isVisible(), 'retry button');
      expect(await page.getByRole('button', { name: /continue/ }).isVisible(), 'continue button');
      prefix = (await page.textContent('#call-prefix')).replace(/\D/g, '');
      expect(/^44\d+$/.test(prefix), `prefix ${prefix}`);
      await page.waitForSelector('#incoming:not([hidden])');
      await shot(page, '04-call.png');
    }],
    ['continue shows the caller number with its last five digits blanked, and the phone shows the missed call', async () => {
      await page.getByRole('button', { name: /continue/ }).click();
      await waitScreen(page, 'screen-code');
      const masked = await page.textContent('.masked');
      expectIncludes(masked.replace(/\s/g, ''), prefix + '•••••', 'masked number');
      const from = await missedCall(page);
      expect(from.startsWith(prefix) && from.length === prefix.length + 5, `call from ${from}, prefix ${prefix}`);
      code = from.slice(-5);
      expectIncludes(await page.textContent('#calls'), 'Missed call', 'call log');
      await shot(page, '05-code.png');
    }],
    ['the five digits from the missed call verify the phone', async () => {
      await typeCode(page, code);
      expect(await page.getByLabel('Digit 5 of 5').inputValue() === code[4], 'digits spread over the boxes');
      await shot(page, '06-code-entered.png');
      await page.getByRole('button', { name: 'Verify' }).click();
      await waitScreen(page, 'screen-done');
      expectIncludes(await page.textContent('#screen-done'), 'verified', 'success screen');
      await shot(page, '07-success.png');
    }],
    ['the link to the protected page works for this session', async () => {
      const [resp] = await Promise.all([
        page.waitForNavigation(),
        page.getByRole('link', { name: /account/ }).click(),
      ]);
      expect(resp.status() === 200, `/account/ is ${resp.status()}`);
      expectIncludes(await page.textContent('#verified-phone'), '+447981897555', 'the account page');
      await shot(page, '08-account.png');
    }],
    ['the same link in a fresh private window (no cookie) is refused with 401 and a friendly page', async () => {
      const fresh = await browser.newContext({ viewport: { width: 1100, height: 820 } });
      const p = await fresh.newPage();
      const r = await p.goto(BASE + '/account/');
      expect(r.status() === 401, `/account/ without a session is ${r.status()}`);
      expectIncludes(await p.textContent('h1'), 'verify your phone first', 'the 401 page');
      await noJson(p, 'body');
      await shot(p, '09-account-denied.png');
      await fresh.close();
    }],
  ]);
  await desk.close();

  // --- wrong codes, at phone width ---
  const mobile = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
                                            hasTouch: true, deviceScaleFactor: 1 });
  page = await mobile.newPage();
  page.setDefaultTimeout(WAIT);
  let wrong = '';
  await scenario('wrong codes at phone width: attempts left, then too many', [
    ['the page fits a phone screen without sideways scrolling', async () => {
      await page.goto(BASE + '/');
      await fitsWidth(page);
      await shot(page, '10-phone-mobile.png');
    }],
    ['the call is placed and the code screen is reached', async () => {
      await enterPhone(page, '1', '5555550123');
      await waitScreen(page, 'screen-call');
      await page.getByRole('button', { name: /continue/ }).click();
      await waitScreen(page, 'screen-code');
      const right = (await missedCall(page)).slice(-5);
      await fitsWidth(page);
      wrong = right.split('').map(d => String((Number(d) + 1) % 10)).join('');
    }],
    ['with Telesign failing, Verify says so in words and uses no attempt', async () => {
      await sim('/_sim/mode', { mode: 'error503' });
      await typeCode(page, wrong);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForSelector('#code-alert:not(:empty)');
      expectIncludes(await page.textContent('#code-alert'), "can't be reached", '503 message');
      await noJson(page, '#flow');
      await waitScreen(page, 'screen-code');
      await sim('/_sim/mode', { mode: 'ok' });
    }],
    ['a wrong code says so in words, with the attempts left', async () => {
      await typeCode(page, wrong);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForSelector('#code-alert:not(:empty)');
      const t = await page.textContent('#code-alert');
      expectIncludes(t, "doesn't match", 'wrong code message');
      expectIncludes(t, '2 attempts left', 'wrong code message');
      await noJson(page, '#flow');
      await waitScreen(page, 'screen-code');
      await fitsWidth(page);
      await shot(page, '11-wrong-code-mobile.png');
    }],
    ['a second wrong code leaves one attempt', async () => {
      await typeCode(page, wrong);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForFunction(() => document.querySelector('#code-alert').textContent.includes('1 attempt left'));
    }],
    ['the third wrong code ends the verification with a human message', async () => {
      await typeCode(page, wrong);
      await page.getByRole('button', { name: 'Verify' }).click();
      await waitScreen(page, 'screen-failed');
      expectIncludes(await page.textContent('#failed-message'), 'last attempt', 'failure message');
      await noJson(page, '#flow');
      await shot(page, '12-too-many-attempts-mobile.png');
    }],
    ['the gate refuses the failed session (403), with the friendly page', async () => {
      const r = await page.goto(BASE + '/account/');
      expect(r.status() === 403, `/account/ after a failed verification is ${r.status()}`);
      expectIncludes(await page.textContent('h1'), 'verify your phone first', 'the 403 page');
    }],
  ]);
  await mobile.close();

  // --- Telesign (the simulator) down, then rate limited ---
  const errs = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  page = await errs.newPage();
  page.setDefaultTimeout(WAIT);
  await scenario('errors: Telesign down (503), then too many calls (429)', [
    ['with Telesign failing, Next shows a human message and stays on the phone screen', async () => {
      await page.goto(BASE + '/');
      await sim('/_sim/mode', { mode: 'error503' });
      await enterPhone(page, '33', '612345678');
      await page.waitForSelector('#phone-alert:not(:empty)');
      expectIncludes(await page.textContent('#phone-alert'), "can't be reached", '503 message');
      await noJson(page, '#flow');
      await waitScreen(page, 'screen-phone');
      await shot(page, '13-telesign-down.png');
    }],
    ['once Telesign is back, the same Next places the call', async () => {
      await sim('/_sim/mode', { mode: 'ok' });
      await page.getByRole('button', { name: 'Next' }).click();
      await waitScreen(page, 'screen-call');
    }],
    ['"Call me again" calls again, until the edge says too many calls, in words', async () => {
      let t = '';
      for (let i = 0; i < 8 && !t; i++) {
        await page.getByRole('button', { name: 'Call me again' }).click();
        await page.waitForSelector('#call-retry:not([disabled])');
        t = await page.textContent('#call-alert');
        if (!t) expectIncludes(await page.textContent('#call-status'), 'calling you again', 'retry status');
      }
      expectIncludes(t, 'too often', 'rate limit message');
      await noJson(page, '#flow');
      await waitScreen(page, 'screen-call');
      await shot(page, '14-rate-limited.png');
    }],
  ]);
  await errs.close();
}

main().catch(e => {
  failed++;
  console.log(`not ok - the run stopped: ${String(e && e.stack || e).split('\n').slice(0, 4).join('\n  ')}`);
}).then(async () => {
  await cleanup();
  clearTimeout(killer);
  console.log(`# screenshots in ${path.relative(root, SCREENS)}/`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
