#!/usr/bin/env node
// Swagger UI of the reference server, used the way a person uses it, in headless Chromium.
//
//   node browser-tests/swagger-ui.mjs http://127.0.0.1:PORT [--screenshots DIR]
//
// Opens URL/docs in Debian's Chromium (driven by playwright-core; no browser download), blocks
// every request that is not to loopback, and walks through named steps: the page renders both
// endpoints with their descriptions and seed examples, "Authorize" takes X-Auth-Token and
// X-User-Id, "Try it out" on users.presence (without and with `from`) and on directory (the
// `query` form and `text`/`type`) answers 200 with the documented body, and after logging out it
// shows the 401 envelope. Each step saves DIR/NN-step-name.png (default: target/browser-screenshots
// at the repository root). The first failing step stops the run: exit 1 with the step's name.
// Any attempted request outside loopback fails the run too, listed.
//
// Environment: CHROMIUM (default /usr/bin/chromium), the server's fixture must be
// fixtures/default.json (seed credentials below).

import { chromium } from 'playwright-core';
import { mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRESENCE_SEED = { token: '9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq', userId: 'aobEdbYhXfu5hkeqG' };
const UNAUTHORIZED = 'You must be logged in to do this.';
const DIRECTORY_PARAMS = ['query', 'text', 'type', 'workspace', 'count', 'offset', 'sort', 'fields'];
const STEP_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// Arguments.

function usage(message) {
  if (message) console.error(`swagger-ui: ${message}`);
  console.error('usage: node swagger-ui.mjs URL [--screenshots DIR]   (URL: http://127.0.0.1:PORT)');
  process.exit(2);
}

const argv = process.argv.slice(2);
let baseArg;
let screenshotsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'target', 'browser-screenshots');
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--screenshots') {
    if (argv[i + 1] === undefined) usage('--screenshots needs a directory');
    screenshotsDir = resolve(argv[++i]);
  } else if (argv[i] === '--help' || argv[i] === '-h') {
    usage();
  } else if (baseArg === undefined) {
    baseArg = argv[i];
  } else {
    usage(`unexpected argument ${argv[i]}`);
  }
}
if (baseArg === undefined) usage('the server URL is missing');
let base;
try {
  base = new URL(baseArg);
} catch {
  usage(`not a URL: ${baseArg}`);
}
base.pathname = base.pathname.replace(/\/(docs\/?)?$/, '');
const baseUrl = base.href.replace(/\/$/, '');
if (!isLoopback(base)) usage(`${baseUrl} is not a loopback address; this test only talks to loopback`);

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`swagger-ui: no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)`);
  process.exit(2);
}

mkdirSync(screenshotsDir, { recursive: true });
for (const f of readdirSync(screenshotsDir)) {
  if (/^\d\d-.*\.png$/.test(f)) rmSync(join(screenshotsDir, f));
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function isLoopback(url) {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

class StepError extends Error {}

function check(condition, message) {
  if (!condition) throw new StepError(message);
}

function excerpt(text, n = 300) {
  const t = String(text).replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

/** The block of one operation, found by its path (tag and operationId spellings vary). */
function operation(page, path) {
  return page.locator(`.opblock:has(.opblock-summary-path[data-path="${path}"])`);
}

async function expand(op) {
  if (!(await op.evaluate((el) => el.classList.contains('is-open')))) {
    await op.locator('.opblock-summary').first().click();
  }
  await op.locator('.opblock-body').waitFor();
}

async function tryItOut(op) {
  const button = op.locator('button.try-out__btn');
  if ((await button.innerText()).trim() === 'Try it out') await button.click();
  await op.locator('button.execute').waitFor();
}

function paramRow(op, name) {
  return op.locator(`tr[data-param-name="${name}"][data-param-in="query"]`);
}

/**
 * Sets the query parameters' fields in "Try it out" to `values` (name -> string, or array of
 * strings for an array parameter); every other field is emptied (an empty field is not sent).
 * Swagger UI fills each field with the parameter's example on "Try it out". Only the fields that
 * differ are touched: each change re-renders the page.
 */
async function setParams(op, values) {
  const rows = op.locator('tr[data-param-in="query"]');
  const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.paramName));
  for (const name of Object.keys(values)) check(names.includes(name), `parameter ${name} is not shown`);
  for (const name of names) {
    const want = values[name] ?? '';
    const row = paramRow(op, name);
    if (await row.locator('.json-schema-array').count()) {
      // An array: one input per item.
      const wantItems = Array.isArray(want) ? want : want === '' ? [] : [want];
      const items = row.locator('.json-schema-form-item input');
      const have = await items.evaluateAll((es) => es.map((e) => e.value));
      if (JSON.stringify(have) === JSON.stringify(wantItems)) continue;
      const remove = row.locator('button.json-schema-form-item-remove');
      while (await remove.count()) await remove.first().click();
      for (const v of wantItems) {
        await row.locator('button.json-schema-form-item-add').click();
        await items.last().fill(v);
      }
      continue;
    }
    const input = row.locator('input, textarea').first();
    if ((await input.inputValue()) !== String(want)) await input.fill(String(want));
  }
}

/** Clicks Execute and returns the network answer and what the page then shows. */
async function execute(page, op, path) {
  const clear = op.locator('button.btn-clear');
  if (await clear.count()) await clear.click();
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'GET'),
    op.locator('button.execute').click(),
  ]);
  const live = op.locator('.live-responses-table .response').first();
  await live.waitFor();
  const shownStatus = (await live.locator('.response-col_status').innerText()).trim();
  const shownBody = (await live.locator('.response-col_description').innerText()).trim();
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new StepError(`${path} answered ${response.status()} with a body that is not JSON: ${excerpt(text)}`);
  }
  return {
    shown: op.locator('.responses-inner').first(),
    status: response.status(),
    body,
    url: new URL(response.url()),
    headers: await response.request().allHeaders(),
    shownStatus,
    shownBody,
  };
}

function checkShown(res, status, snippets) {
  check(res.shownStatus === String(status), `the page shows status ${res.shownStatus}, expected ${status}`);
  for (const s of snippets) {
    check(res.shownBody.includes(s), `the page's response body does not show ${s}: ${excerpt(res.shownBody)}`);
  }
}

function checkAuthHeaders(res, sent) {
  const token = res.headers['x-auth-token'];
  const user = res.headers['x-user-id'];
  if (sent) {
    check(token === PRESENCE_SEED.token, `X-Auth-Token sent was ${token}, expected the one typed in Authorize`);
    check(user === PRESENCE_SEED.userId, `X-User-Id sent was ${user}, expected the one typed in Authorize`);
  } else {
    check(token === undefined && user === undefined, `credentials were still sent after logout (${token}, ${user})`);
  }
}

function checkDirectoryBody(res) {
  check(res.status === 200, `expected 200, got ${res.status}: ${excerpt(JSON.stringify(res.body))}`);
  const b = res.body;
  check(b.success === true, `success is ${b.success}`);
  check(Array.isArray(b.result), `result is not an array: ${excerpt(JSON.stringify(b))}`);
  for (const k of ['count', 'offset', 'total']) check(Number.isInteger(b[k]), `${k} is not an integer: ${b[k]}`);
  check(b.count === b.result.length, `count ${b.count} but result holds ${b.result.length}`);
  checkShown(res, 200, ['"result"', '"count"', '"offset"', '"total"']);
}

// ---------------------------------------------------------------------------------------------
// The browser, with loopback only.

const outside = []; // every URL outside loopback the page tried, once each
const noteOutside = (url) => {
  if (!outside.includes(url)) outside.push(url);
};
const pageErrors = [];
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Belt and braces: even a request that escaped the route below resolves nowhere.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  ],
}).catch((e) => {
  console.error(`FAIL 00 launch-chromium: ${executablePath}: ${e.message}`);
  process.exit(1);
});
// launch() gives each run a fresh, empty profile (user-data dir) of its own.
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
context.setDefaultTimeout(STEP_TIMEOUT_MS);
await context.route('**/*', (route) => {
  const url = route.request().url();
  let u;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (u && (u.protocol === 'http:' || u.protocol === 'https:') && isLoopback(u)) return route.continue();
  if (u && (u.protocol === 'data:' || u.protocol === 'blob:')) return route.continue();
  noteOutside(url);
  return route.abort('blockedbyclient');
});
context.on('request', (req) => {
  const u = new URL(req.url());
  if ((u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') && !isLoopback(u)) {
    noteOutside(req.url());
  }
});
const page = await context.newPage();
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('websocket', (ws) => {
  if (!isLoopback(new URL(ws.url()))) noteOutside(ws.url());
});

// ---------------------------------------------------------------------------------------------
// Steps.

let stepNo = 0;
let failed = false;
let currentShot; // the step's screenshot file, for a step that takes it itself ('taken')
const started = Date.now();

async function step(name, fn) {
  stepNo += 1;
  const file = join(screenshotsDir, `${String(stepNo).padStart(2, '0')}-${name}.png`);
  const t0 = Date.now();
  currentShot = file;
  try {
    const shot = await fn();
    check(pageErrors.length === 0, `the page threw: ${pageErrors.join(' | ')}`);
    check(outside.length === 0, `requests outside loopback were attempted: ${outside.join(', ')}`);
    // A step returns what its screenshot shows: nothing (the viewport), 'taken' (it
    // saved the file itself), or a locator scrolled to the top of the viewport first.
    if (shot && shot !== 'taken') {
      await shot.evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: file });
    } else if (shot !== 'taken') await page.screenshot({ path: file });
    console.log(`ok   ${String(stepNo).padStart(2, '0')} ${name} (${Date.now() - t0} ms) -> ${file}`);
  } catch (e) {
    failed = true;
    const failFile = file.replace(/\.png$/, '-FAILED.png');
    await page.screenshot({ path: failFile, fullPage: false }).catch(() => {});
    const why = e instanceof StepError ? e.message : (e && e.stack) || String(e);
    console.error(`FAIL ${String(stepNo).padStart(2, '0')} ${name}: ${why}`);
    console.error(`     screenshot: ${failFile}`);
    throw e;
  }
}

const presencePath = '/api/v1/users.presence';
const directoryPath = '/api/v1/directory';
const presence = operation(page, presencePath);
const directory = operation(page, directoryPath);

try {
  await step('page-renders-both-endpoints', async () => {
    const resp = await page.goto(`${baseUrl}/docs`);
    check(resp && resp.status() === 200, `GET /docs answered ${resp && resp.status()}`);
    await page.locator('.swagger-ui .info .title').waitFor();
    await page.locator('.opblock').first().waitFor();
    const specErrors = page.locator('.swagger-ui .errors-wrapper');
    if (await specErrors.count()) {
      throw new StepError(`Swagger UI reports errors in the document: ${excerpt(await specErrors.innerText(), 600)}`);
    }
    check((await presence.count()) === 1, `no operation GET ${presencePath} on the page`);
    check((await directory.count()) === 1, `no operation GET ${directoryPath} on the page`);
    check(
      (await presence.locator('.opblock-summary-method').innerText()).trim() === 'GET',
      `${presencePath} is not shown as GET`,
    );
    check(
      (await directory.locator('.opblock-summary-method').innerText()).trim() === 'GET',
      `${directoryPath} is not shown as GET`,
    );
    check(
      (await presence.locator('.opblock-summary-description').innerText()).includes("Gets all connected users' presence"),
      `${presencePath}'s summary is missing`,
    );
    // Collapse every other tag so that the screenshot shows both endpoints at a glance.
    for (const section of await page.locator('.opblock-tag-section').all()) {
      const hasOne = (await section.locator(`.opblock-summary-path[data-path="${presencePath}"], .opblock-summary-path[data-path="${directoryPath}"]`).count()) > 0;
      const open = (await section.getAttribute('class')).includes('is-open');
      if (!hasOne && open) await section.locator('.opblock-tag').first().click();
    }
    // The screenshot: from the top of the page to the end of the last of the two endpoints.
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    let bottom = 0;
    for (const op of [presence, directory]) {
      const box = await op.boundingBox();
      bottom = Math.max(bottom, box.y + box.height);
    }
    await page.screenshot({ path: currentShot, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) + 24 } });
    return 'taken';
  });

  await step('users-presence-description-and-examples', async () => {
    await expand(presence);
    const description = await presence.locator('.opblock-description-wrapper').innerText();
    check(
      /10 minutes old or older/.test(description),
      `the 10-minute rule is not in the description: ${excerpt(description)}`,
    );
    check(/full: true/.test(description) && /full: false/.test(description), 'the description does not name `full: true` and `full: false`');
    for (const p of ['from', 'ids']) check((await paramRow(presence, p).count()) === 1, `parameter ${p} is not listed`);
    const fromText = await paramRow(presence, 'from').innerText();
    check(fromText.includes('ISO 8601'), `from's description is missing: ${excerpt(fromText)}`);
    const ok = presence.locator('.responses-table tr.response[data-code="200"]');
    check((await ok.count()) === 1, 'no 200 response documented');
    const example = await ok.innerText();
    check(example.includes('"rocket.cat"'), `rocket.cat is not in the 200 example: ${excerpt(example)}`);
    check(example.includes('"full": true'), `the 200 example does not show "full": true: ${excerpt(example)}`);
    const unauthorized = await presence.locator('.responses-table tr.response[data-code="401"]').innerText();
    check(unauthorized.includes(UNAUTHORIZED), `the 401 example does not hold "${UNAUTHORIZED}"`);
    return presence;
  });

  await step('directory-description-and-examples', async () => {
    await expand(directory);
    const description = await directory.locator('.opblock-description-wrapper').innerText();
    for (const s of ['Search criteria', 'channels', 'users', 'teams', 'API_Default_Count']) {
      check(description.includes(s), `the description does not mention ${s}: ${excerpt(description)}`);
    }
    for (const p of DIRECTORY_PARAMS) check((await paramRow(directory, p).count()) === 1, `parameter ${p} is not listed`);
    const ok = directory.locator('.responses-table tr.response[data-code="200"]');
    check((await ok.count()) === 1, 'no 200 response documented');
    const example = await ok.innerText();
    for (const s of ['"result"', '"count"', '"offset"', '"total": 4', '"GENERAL"']) {
      check(example.includes(s), `the 200 example (seed: gene, channels, count=1, offset=2) lacks ${s}: ${excerpt(example)}`);
    }
    // The other seed example, picked from the examples list.
    const select = ok.locator('.examples-select select').first();
    check((await select.count()) === 1, 'the 200 response offers no choice of examples');
    const options = await select.locator('option').allInnerTexts();
    const users = options.find((o) => o.includes('"users"'));
    check(users !== undefined, `no users example among ${options.join(' / ')}`);
    await select.selectOption({ label: users });
    const usersExample = await ok.innerText();
    check(usersExample.includes('editedusernameuser.test.1523623548558'), `the users seed example is not shown: ${excerpt(usersExample)}`);
    return directory;
  });

  await step('authorize-offers-both-headers', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.dialog-ux .modal-ux');
    await modal.waitFor();
    const text = await modal.innerText();
    for (const s of ['X-Auth-Token', 'X-User-Id']) check(text.includes(s), `the Authorize dialog does not offer ${s}: ${excerpt(text)}`);
    check((await modal.locator('input').count()) === 2, `expected 2 inputs in the Authorize dialog, found ${await modal.locator('input').count()}`);
    return modal;
  });

  await step('authorize-accepts-credentials', async () => {
    const modal = page.locator('.dialog-ux .modal-ux');
    // One form per scheme (AuthToken, UserId), each with its own Authorize button.
    for (const [header, value] of [['X-Auth-Token', PRESENCE_SEED.token], ['X-User-Id', PRESENCE_SEED.userId]]) {
      const form = modal.locator('.auth-container', { hasText: `Name: ${header}` });
      check((await form.count()) === 1, `no form for ${header} in the Authorize dialog`);
      await form.locator('input').fill(value);
      await form.locator('button.modal-btn.authorize').click();
      await form.locator('button.modal-btn', { hasText: 'Logout' }).waitFor();
      const text = await form.innerText();
      check(text.includes('Authorized'), `${header} is not shown as authorised: ${excerpt(text)}`);
      check(!text.includes(value), `${header}'s value is shown in clear after authorising`);
    }
    return modal;
  });

  await step('authorize-closed-operations-locked', async () => {
    await page.locator('.dialog-ux .modal-ux button.btn-done').first().click();
    await page.locator('.dialog-ux').waitFor({ state: 'detached' });
    for (const [op, path] of [[presence, presencePath], [directory, directoryPath]]) {
      const label = (await op.locator('.authorization__btn').first().getAttribute('aria-label')) || '';
      check(label === 'authorization button locked', `the lock of ${path} does not show authorised (aria-label: ${label})`);
    }
    return null;
  });

  await step('try-users-presence-without-from', async () => {
    await expand(presence);
    await tryItOut(presence);
    await setParams(presence, {});
    const res = await execute(page, presence, presencePath);
    checkAuthHeaders(res, true);
    check(!res.url.searchParams.has('from') && !res.url.searchParams.has('ids'), `parameters were sent: ${res.url.search}`);
    check(res.status === 200, `expected 200, got ${res.status}: ${excerpt(JSON.stringify(res.body))}`);
    check(res.body.full === true, `expected "full": true, got ${JSON.stringify(res.body.full)}`);
    check(res.body.success === true && Array.isArray(res.body.users), 'not {users, full, success: true}');
    check(res.body.users.some((u) => u.username === 'rocket.cat'), 'rocket.cat (online) is not in the full list');
    checkShown(res, 200, ['"full": true', '"rocket.cat"']);
    return res.shown;
  });

  await step('try-users-presence-from-now', async () => {
    const now = new Date().toISOString();
    await setParams(presence, { from: now });
    const res = await execute(page, presence, presencePath);
    checkAuthHeaders(res, true);
    check(res.url.searchParams.get('from') === now, `from was sent as ${res.url.searchParams.get('from')}, expected ${now}`);
    check(res.status === 200, `expected 200, got ${res.status}: ${excerpt(JSON.stringify(res.body))}`);
    check(res.body.full === false, `expected "full": false for from=${now}, got ${JSON.stringify(res.body.full)}`);
    check(res.body.success === true && Array.isArray(res.body.users), 'not {users, full, success: true}');
    checkShown(res, 200, ['"full": false']);
    return res.shown;
  });

  await step('try-directory-query-form', async () => {
    await expand(directory);
    await tryItOut(directory);
    await setParams(directory, { query: '{"text": "gene", "type": "channels"}', count: '1', offset: '2' });
    const res = await execute(page, directory, directoryPath);
    checkAuthHeaders(res, true);
    const sent = [...res.url.searchParams.keys()].sort().join(',');
    check(sent === 'count,offset,query', `sent ${res.url.search}, expected only query, count and offset`);
    checkDirectoryBody(res);
    check(res.body.total === 4 && res.body.count === 1 && res.body.offset === 2, `expected total 4, count 1, offset 2 (the seed's example), got ${res.body.total}, ${res.body.count}, ${res.body.offset}`);
    checkShown(res, 200, ['"total": 4']);
    return res.shown;
  });

  await step('try-directory-text-and-type', async () => {
    await setParams(directory, { text: 'rocket', type: 'users' });
    const res = await execute(page, directory, directoryPath);
    checkAuthHeaders(res, true);
    const sent = [...res.url.searchParams.keys()].sort().join(',');
    check(sent === 'text,type', `sent ${res.url.search}, expected only text and type`);
    checkDirectoryBody(res);
    check(res.body.total >= 1, 'no user matches "rocket"');
    check(
      res.body.result.every((u) => typeof u.username === 'string' && !('t' in u)),
      `type=users answered something other than users: ${excerpt(JSON.stringify(res.body.result))}`,
    );
    check(res.body.result.some((u) => u.username === 'rocket.cat'), 'rocket.cat is not among the users matching "rocket"');
    return res.shown;
  });

  await step('logout-of-authorization', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.dialog-ux .modal-ux');
    await modal.waitFor();
    for (const header of ['X-Auth-Token', 'X-User-Id']) {
      const form = modal.locator('.auth-container', { hasText: `Name: ${header}` });
      const logout = form.locator('button.modal-btn', { hasText: 'Logout' });
      check((await logout.count()) === 1, `no Logout button for ${header} in the Authorize dialog`);
      await logout.click();
      await form.locator('button.modal-btn.authorize').waitFor();
      check((await form.locator('input').inputValue()) === '', `${header}'s input still holds a credential after logout`);
    }
    await modal.screenshot({ path: currentShot });
    await modal.locator('button.btn-done').first().click();
    await page.locator('.dialog-ux').waitFor({ state: 'detached' });
    for (const [op, path] of [[presence, presencePath], [directory, directoryPath]]) {
      const label = (await op.locator('.authorization__btn').first().getAttribute('aria-label')) || '';
      check(label === 'authorization button unlocked', `the lock of ${path} still shows authorised (aria-label: ${label})`);
    }
    return 'taken';
  });

  await step('try-users-presence-logged-out-401', async () => {
    await setParams(presence, {});
    const res = await execute(page, presence, presencePath);
    checkAuthHeaders(res, false);
    check(res.status === 401, `expected 401, got ${res.status}: ${excerpt(JSON.stringify(res.body))}`);
    const b = res.body;
    check(
      b.success === false && b.status === 'error' && b.error === UNAUTHORIZED && b.message === UNAUTHORIZED,
      `not the 401 envelope: ${JSON.stringify(b)}`,
    );
    checkShown(res, 401, [UNAUTHORIZED, '"success": false', '"status": "error"']);
    return res.shown;
  });

  await step('try-directory-logged-out-401', async () => {
    const res = await execute(page, directory, directoryPath);
    checkAuthHeaders(res, false);
    check(res.status === 401, `expected 401, got ${res.status}: ${excerpt(JSON.stringify(res.body))}`);
    check(res.body.error === UNAUTHORIZED && res.body.success === false, `not the 401 envelope: ${JSON.stringify(res.body)}`);
    checkShown(res, 401, [UNAUTHORIZED]);
    return res.shown;
  });
} catch {
  // Reported by step().
} finally {
  await context.close().catch(() => {});
  await browser.close().catch(() => {});
}

if (outside.length) {
  failed = true;
  console.error(`FAIL requests outside loopback were attempted (${outside.length}), all blocked:`);
  for (const u of outside) console.error(`     ${u}`);
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failed) {
  console.error(`swagger-ui: FAILED after ${stepNo} step(s), ${seconds} s; screenshots in ${screenshotsDir}`);
  process.exit(1);
}
console.log(`swagger-ui: all ${stepNo} steps passed in ${seconds} s against ${baseUrl}; screenshots in ${screenshotsDir}; no request left loopback`);
