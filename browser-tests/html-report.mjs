#!/usr/bin/env node
// The conformance suite's HTML report, opened the way a person opens a CI artifact: from a file,
// in headless Chromium, with every network request blocked (the report must be self-contained).
//
//   node browser-tests/html-report.mjs REPORT.html CHECK-ID [--screenshot FILE]
//
// Proves that the failure of CHECK-ID is visible: its section shows the rule, the expected and
// actual values and the curl line, and its first HTTP exchange opens to show the response. Saves
// a full-page screenshot (default: target/browser-screenshots/html-report.png). Exit 1 on any
// failed step, naming it; exit 1 when the page attempted any network request.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const [reportArg, checkId] = argv;
if (!reportArg || !checkId) {
  console.error('usage: node html-report.mjs REPORT.html CHECK-ID [--screenshot FILE]');
  process.exit(2);
}
let screenshot = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'target', 'browser-screenshots', 'html-report.png');
const at = argv.indexOf('--screenshot');
if (at >= 0) screenshot = resolve(argv[at + 1]);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`html-report: no Chromium at ${executablePath}`);
  process.exit(2);
}
mkdirSync(dirname(screenshot), { recursive: true });

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const attempted = [];
let failed = false;
async function step(name, body) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message}`);
    failed = true;
  }
}
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    attempted.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(pathToFileURL(resolve(reportArg)).href);
  const section = page.locator(`section[id="${checkId}"]`);
  await step('verdict-is-shown', async () => {
    const verdict = await page.locator('.verdict').innerText();
    if (verdict !== 'DOES NOT CONFORM') throw new Error(`verdict says ${JSON.stringify(verdict)}`);
  });
  await step('failure-section-is-visible', async () => {
    if (!(await section.isVisible())) throw new Error(`no visible section for ${checkId}`);
    const text = await section.innerText();
    for (const want of [checkId, 'rule', 'source', 'Expected', 'Actual', 'Reproduce', 'curl']) {
      if (!text.includes(want)) throw new Error(`the section lacks ${JSON.stringify(want)}`);
    }
  });
  await step('summary-links-to-the-failure', async () => {
    await page.locator(`a[href="#${checkId}"]`).first().click();
    if (!(await section.isVisible())) throw new Error('the link does not lead to the failure');
  });
  await step('exchange-opens-to-show-the-response', async () => {
    const details = section.locator('details').first();
    await details.locator('summary').click();
    const body = await details.innerText();
    if (!body.includes('Response') || !body.includes('HTTP ')) throw new Error('the exchange shows no response');
    if (body.includes('X-Auth-Token:') && !body.includes('$X_AUTH_TOKEN')) throw new Error('a token is not redacted');
  });
  await step('no-network-request', async () => {
    if (attempted.length) throw new Error(`the report tried to load: ${attempted.join(', ')}`);
  });
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`screenshot ${screenshot}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
