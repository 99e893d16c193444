// Headless-Chromium test of the `swift app` chat page, against a running server (the C++ one or
// mock_server.mjs): loads the page, checks the title and the defaults from /app/config.json, sends
// a message, waits for the streamed answer to finish, checks that no error is shown, that model text
// made no elements and that the page fetched nothing from another origin, and takes a full-page
// screenshot. APP_MOCK=1 adds the checks that need the mock's fixed answers (thinking block, code
// block, Regenerate, HTTP and mid-stream errors, Stop, Clear, Shift+Enter).
//   APP_URL=http://127.0.0.1:8000/ SCREENSHOT=/tmp/app.png node tests/app/app_test.mjs
// Env: CHROMIUM (default /usr/bin/chromium), APP_MESSAGE (the message sent), APP_TIMEOUT_S (60).
import { chromium } from 'playwright-core';

const APP_URL = process.env.APP_URL;
const SCREENSHOT = process.env.SCREENSHOT || 'app-screenshot.png';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MESSAGE = process.env.APP_MESSAGE || 'Hello! Who are you?';
const MOCK = process.env.APP_MOCK === '1';
const TIMEOUT_S = Number(process.env.APP_TIMEOUT_S || 60);

let browser = null;
function fail(message) {
  console.error(`[app_test] FAIL: ${message}`);
  process.exitCode = 1;
  const exit = () => process.exit(1);
  if (browser) browser.close().then(exit, exit); else exit();
}
function check(cond, message) {
  if (!cond) throw new Error(message);
}
const watchdog = setTimeout(() => fail(`did not finish within ${TIMEOUT_S} s`), TIMEOUT_S * 1000);

async function main() {
  check(APP_URL, 'set APP_URL to the server, e.g. APP_URL=http://127.0.0.1:8000/');
  const base = new URL(APP_URL);
  const configUrl = new URL('app/config.json', base);
  const config = await fetch(configUrl).then((r) => {
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.json();
  }).catch((e) => { throw new Error(`cannot read ${configUrl}: ${e.message}`); });
  const title = config.studio_title || config.model;

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.origin !== base.origin) {
      problems.push(`request to another origin: ${r.url()}`);
    }
  });

  await page.goto(base.href, { waitUntil: 'load' });
  await page.waitForFunction((t) => document.getElementById('title').textContent === t, title,
                             { timeout: 10000 }).catch(() => {});
  const shownTitle = await page.textContent('#title');
  check(shownTitle === title, `title is '${shownTitle}', config.json says '${title}'`);
  check((await page.title()) === title, `document title is '${await page.title()}'`);
  await page.waitForSelector('#model option', { state: 'attached', timeout: 10000 });
  check((await page.inputValue('#model')) === config.model,
        `selected model '${await page.inputValue('#model')}' is not config.model '${config.model}'`);
  for (const [name, value] of Object.entries(config.defaults || {})) {
    if (value === null || value === undefined) continue;
    const shown = await page.inputValue(`#${name}`);
    check(Number(shown) === Number(value), `#${name} shows '${shown}', config default is ${value}`);
  }
  check((await page.inputValue('#system')) === (config.system || ''), '#system is not config.system');

  await page.fill('#input', MESSAGE);
  await page.click('#send');
  await page.waitForSelector('.msg.user', { timeout: 5000 });
  check((await page.textContent('.msg.user')) === MESSAGE, 'the user bubble does not show the message');
  const answer = await waitForAnswer(page, 1);
  console.log(`[app_test] answer: ${JSON.stringify(answer.slice(0, 200))}`);
  check((await page.textContent('#usage')).trim() !== '', 'no usage tokens shown');
  check((await page.$$('.msg b, .msg script, .msg img')).length === 0, 'model text made elements');
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`[app_test] screenshot: ${SCREENSHOT}`);

  check(problems.length === 0, problems.join('; '));
  if (MOCK) {
    await mockChecks(page);
    // The refused requests log "Failed to load resource" on purpose; anything else is a problem.
    const rest = problems.filter((p) => !p.includes('Failed to load resource'));
    check(rest.length === 0, rest.join('; '));
  }
  console.log(`[app_test] ok${MOCK ? ' (with the mock-only checks)' : ''}`);
}

// Waits until the count-th assistant bubble has finished; returns its answer text.
async function waitForAnswer(page, count) {
  await page.waitForFunction((n) => {
    const done = document.querySelectorAll('.msg.assistant.done, .msg.assistant.failed').length;
    return done >= n || !document.getElementById('error').hidden;
  }, count, { timeout: TIMEOUT_S * 750 });
  check(await page.isHidden('#error'), `error shown: ${await page.textContent('#error')}`);
  const answers = await page.$$('.msg.assistant.done .content');
  check(answers.length === count, `${answers.length} finished answers, expected ${count}`);
  const text = await answers[count - 1].textContent();
  check(text.trim() !== '', 'the assistant answer is empty');
  check(await page.isDisabled('#stop'), 'Stop is still enabled after the answer');
  return text;
}

async function mockChecks(page) {
  const thinking = await page.textContent('.msg.assistant .thinking .thinking-text');
  check(thinking.includes('1 < 2 & <b>no markup</b>'), `thinking block shows '${thinking}'`);
  check(await page.isVisible('.msg.assistant .thinking summary'), 'thinking block is not shown');
  const code = await page.textContent('.msg.assistant pre code');
  check(code.includes('console.log("<b>hi</b>");'), `code block shows '${code}'`);

  await page.click('#regenerate');
  await waitForAnswer(page, 1);

  await page.fill('#input', 'first line');
  await page.press('#input', 'Shift+Enter');
  await page.type('#input', 'second line');
  check((await page.inputValue('#input')) === 'first line\nsecond line', 'Shift+Enter is no newline');
  await page.press('#input', 'Enter');
  await waitForAnswer(page, 2);
  check((await page.textContent('.msg.user >> nth=1')) === 'first line\nsecond line',
        'the newline was not kept');

  await page.fill('#input', 'please error');
  await page.click('#send');
  await page.waitForSelector('#error:not([hidden])', { timeout: 5000 });
  const httpError = await page.textContent('#error');
  check(httpError.includes('mock error: the request was refused'), `HTTP error shows '${httpError}'`);

  await page.click('#clear');
  check((await page.$$('#messages > *')).length === 0, 'Clear left messages');
  check(await page.isHidden('#error'), 'Clear left the error');

  await page.fill('#input', 'midstream please');
  await page.click('#send');
  await page.waitForSelector('#error:not([hidden])', { timeout: 10000 });
  const streamError = await page.textContent('#error');
  check(streamError.includes('mock error in the middle of the stream'), `SSE error shows '${streamError}'`);

  await page.fill('#input', 'and now stop');
  await page.click('#send');
  await page.waitForSelector('.msg.assistant.streaming .content:not(:empty)', { timeout: 5000 });
  await page.click('#stop');
  await page.waitForSelector('.msg.assistant .note', { timeout: 5000 });
  check(await page.isHidden('#error'), `Stop showed an error: ${await page.textContent('#error')}`);
  check(await page.isEnabled('#send'), 'Send is disabled after Stop');
  check((await page.$$('.msg.assistant.streaming')).length === 0, 'still streaming after Stop');
}

main().then(async () => {
  clearTimeout(watchdog);
  await browser.close();
}, (e) => fail(e.message));
