// ui.test.mjs - the pushgateway-c web UI in a real headless browser (Debian chromium driven by
// playwright-core). Started by tests/blackbox/t_ui_browser.sh, which runs the gateways and
// pushes the data; this file only talks to them over HTTP, like a user's browser would.
//
// Environment:
//   UI_URL        page URL of a gateway without a prefix and without the admin API
//   UI_PREFIX_URL page URL of a gateway with --web.route-prefix=/pg --web.enable-admin-api
//   UI_BIG_URL    optional: page URL of a gateway holding 10k groups (timings are reported)
//   UI_ARTIFACTS  directory for screenshots
//   CHROMIUM      browser binary (default /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const URL1 = process.env.UI_URL;
const URL2 = process.env.UI_PREFIX_URL;
const BIG = process.env.UI_BIG_URL || '';
const ARTIFACTS = process.env.UI_ARTIFACTS || path.join(os.tmpdir(), 'pgw-ui-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// A hung browser must not hang the test suite.
const watchdog = setTimeout(() => {
  console.error('ui.test.mjs: watchdog: 240 s elapsed, aborting');
  process.exit(1);
}, 240000);
watchdog.unref();

let ctx, userDataDir;
const problems = []; // console errors, page errors and failed requests, checked at the end

before(async () => {
  assert.ok(URL1 && URL2, 'UI_URL and UI_PREFIX_URL must be set');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgw-chromium-'));
  // No internet here: keep chromium from phoning home (refused connections, slow start).
  ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
    viewport: { width: 1280, height: 900 },
    timeout: 60000,
  });
  ctx.setDefaultTimeout(15000);
  ctx.on('page', watch);
});

after(async () => {
  if (ctx) await ctx.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
}

async function newPage() {
  const page = await ctx.newPage();
  return page;
}

// The grouping labels of every listed (not filtered out) group, as shown on the badges.
async function shownGroups(page) {
  return page.$$eval('details.group:not([hidden])', (gs) =>
    gs.map((g) => [...g.querySelectorAll('summary .b')].map((b) => b.textContent).join(' ')));
}

function group(page, text) {
  return page.locator('details.group', { has: page.locator('summary .b', { hasText: text }) });
}

// Open a card and wait until the page's script has rendered its times (the toggle event
// that triggers it is asynchronous).
async function open(g) {
  await g.locator('summary').click();
  await g.locator('.gbody time[title]').first().waitFor();
}

async function apiGroups(base) {
  const r = await fetch(new URL('api/v1/metrics', base));
  assert.equal(r.status, 200);
  const d = await r.json();
  return d.data.map((g) => g.labels);
}

test('the page lists every pushed group, job first, collapsed', async () => {
  const page = await newPage();
  const resp = await page.goto(URL1);
  assert.equal(resp.status(), 200);
  assert.equal(await page.title(), 'Pushgateway');
  const shown = await shownGroups(page);
  // Grouping-key order (labels sorted by name: here the instance decides), as upstream.
  assert.deepEqual(shown, [
    'job="batch" instance="db-1"',
    'job="backup/db" instance="nas-1"',
    'job="some_job" instance="some_instance"',
    'job="failing" instance="web-1"',
    'job="empty-instance" instance=""',
  ]);
  assert.equal(await page.locator('details.group[open]').count(), 0, 'collapsed by default');
  assert.equal(await page.textContent('#count'), '5 groups');
  // The stylesheet and script came from the embedded assets.
  const bg = await page.$eval('header.top', (e) => getComputedStyle(e).backgroundColor);
  assert.equal(bg, 'rgb(36, 41, 47)', 'app.css applied');
  assert.equal(await page.$eval('html', (e) => e.classList.contains('has-js')), true, 'app.js ran');
  // Without the admin API there is no "Delete all groups".
  assert.equal(await page.locator('button[data-act="wipe"]').count(), 0);
  // The artifact screenshot: every group listed, two of them opened.
  await group(page, 'job="some_job"').locator('summary').click();
  await group(page, 'job="failing"').locator('summary').click();
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui.png'), fullPage: true });
  console.log(`# screenshot: ${path.join(ARTIFACTS, 'ui.png')}`);
  await page.close();
});

test('a failed push is marked, with both times', async () => {
  const page = await newPage();
  await page.goto(URL1);
  const g = group(page, 'job="failing"');
  await assert.doesNotReject(g.locator('.fail').waitFor({ state: 'visible' }));
  assert.equal(await g.locator('.fail').textContent(), 'Last push failed');
  const meta = await g.locator('summary .meta').textContent();
  assert.match(meta, /^failed (just now|\d+ s ago), last success (just now|\d+ s ago)$/);
  assert.equal(await page.locator('details.group .fail').count(), 1, 'only one group failed');
  await open(g);
  const note = await g.locator('.failnote').textContent();
  assert.match(note, /failed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d \((just now|\d+ s ago)\)/);
  assert.match(note, /last successful push was at \d{4}-/);
  await page.close();
});

test('a group shows each family with type, HELP, push time and series', async () => {
  const page = await newPage();
  await page.goto(URL1);
  const g = group(page, 'job="some_job"');
  await open(g);
  assert.equal(await g.getAttribute('open'), '');
  const fam = g.locator('.fam', { has: page.locator('.fn', { hasText: /^another_metric$/ }) });
  assert.equal(await fam.locator('.ty').textContent(), 'GAUGE');
  assert.equal(await fam.locator('.help').textContent(), 'Just an example.');
  const when = await fam.locator('.fp time').textContent();
  assert.match(when, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d \((just now|\d+ s ago)\)$/);
  assert.match(await fam.locator('.fp time').getAttribute('title'), /^\d{4}-\d\d-\d\dT/);
  assert.equal(await fam.locator('td.v').textContent(), '2398.283');
  const counter = g.locator('.fam', { has: page.locator('.fn', { hasText: /^some_metric$/ }) });
  assert.equal(await counter.locator('.ty').textContent(), 'COUNTER');
  assert.equal(await counter.locator('td.s').textContent(),
    'some_metric{instance="some_instance",job="some_job",label="val1"}');
  assert.equal(await counter.locator('td.v').textContent(), '42');
  // Summaries and histograms show every exposition line.
  const b = group(page, 'job="batch"');
  await open(b);
  const rows = await b.locator('.fam', { has: page.locator('.fn', { hasText: /^duration$/ }) })
    .locator('td.s').allTextContents();
  assert.deepEqual(rows.map((r) => r.replace(/\{.*\}/, '')),
    ['duration_bucket', 'duration_bucket', 'duration_bucket', 'duration_sum', 'duration_count']);
  await page.close();
});

test('pushed HTML is shown as text and never runs', async () => {
  const page = await newPage();
  await page.goto(URL1);
  const g = group(page, 'job="batch"');
  await g.locator('summary').click();
  const fam = g.locator('.fam', { has: page.locator('.fn', { hasText: /^xss_metric$/ }) });
  assert.equal(await fam.locator('.help').textContent(), '<img src=x onerror=window.__xss=2> help');
  assert.match(await fam.locator('td.s').textContent(), /<script>window.__xss=1<\/script>/);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('main script, main img').count(), 0);
  await page.close();
});

test('the filter finds groups by job, label and metric name without a request', async () => {
  const page = await newPage();
  await page.goto(URL1);
  let requests = 0;
  page.on('request', () => requests++);
  const f = page.locator('#filter');
  await f.fill('batch');
  assert.deepEqual(await shownGroups(page), ['job="batch" instance="db-1"']);
  assert.equal(await page.textContent('#count'), '1 of 5 groups');
  await f.fill('instance=nas-1');
  assert.deepEqual(await shownGroups(page), ['job="backup/db" instance="nas-1"']);
  await f.fill('instance="web-1"');
  assert.deepEqual(await shownGroups(page), ['job="failing" instance="web-1"']);
  await f.fill('another_metric');
  assert.deepEqual(await shownGroups(page), ['job="some_job" instance="some_instance"']);
  await f.fill('JOB=SOME some_metric');
  assert.deepEqual(await shownGroups(page), ['job="some_job" instance="some_instance"']);
  await f.fill('no-such-thing');
  assert.deepEqual(await shownGroups(page), []);
  assert.equal(await page.isVisible('#nomatch'), true);
  await f.press('Escape');
  assert.equal((await shownGroups(page)).length, 5);
  assert.equal(requests, 0, 'filtering sent no request');
  await page.close();
});

test('times are shown in local time and relative', async () => {
  const page = await newPage();
  await page.goto(URL1);
  const t = await page.locator('details.group summary time').first().textContent();
  assert.match(t, /^(just now|\d+ s ago)$/);
  await page.close();
});

test('Delete group asks first, then really deletes the group', async () => {
  const page = await newPage();
  await page.goto(URL1);
  const g = group(page, 'job="some_job"');
  await g.locator('summary').click();
  // Cancelled: nothing happens.
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await g.locator('button[data-act="del"]').click();
  assert.match(asked, /Delete the group job="some_job", instance="some_instance"/);
  assert.equal(await g.count(), 1);
  assert.equal((await apiGroups(URL1)).length, 5);
  // Confirmed: the card goes and the gateway lost the group.
  page.once('dialog', (d) => d.accept());
  await g.locator('button[data-act="del"]').click();
  await g.waitFor({ state: 'detached' });
  assert.match(await page.textContent('#msg'), /Deleted the group job="some_job"/);
  assert.equal(await page.textContent('#count'), '4 groups');
  const left = await apiGroups(URL1);
  assert.equal(left.some((l) => l.job === 'some_job'), false, 'group gone from the API');
  const scrape = await (await fetch(new URL('metrics', URL1))).text();
  assert.equal(/job="some_job"/.test(scrape), false, 'group gone from /metrics');
  await page.close();
});

test('groups with an empty label value or a slash in the job are deleted too', async () => {
  const page = await newPage();
  await page.goto(URL1);
  page.on('dialog', (d) => d.accept());
  for (const job of ['empty-instance', 'backup/db']) {
    const g = group(page, `job="${job}"`);
    await g.locator('summary').click();
    await g.locator('button[data-act="del"]').click();
    await g.waitFor({ state: 'detached' });
    const left = await apiGroups(URL1);
    assert.equal(left.some((l) => l.job === job), false, `${job} gone from the API`);
  }
  await page.reload();
  assert.deepEqual(await shownGroups(page),
    ['job="batch" instance="db-1"', 'job="failing" instance="web-1"']);
  await page.close();
});

test('the status tab shows build information, start time and flags', async () => {
  const page = await newPage();
  await page.goto(URL1);
  await page.click('nav a:has-text("Status")');
  await page.waitForURL(/\/status$/);
  assert.equal(await page.getAttribute('nav a.on', 'href'), './status');
  const kv = await page.$$eval('#status table.kv tr', (rs) =>
    Object.fromEntries(rs.map((r) => [r.cells[0].textContent, r.cells[1].textContent])));
  assert.match(kv.version, /^\d+\.\d+\.\d+/);
  assert.equal(kv['web.enable-admin-api'], 'false');
  assert.equal(kv['web.telemetry-path'], '/metrics');
  assert.match(await page.textContent('.start time'), /UTC[+-]\d\d:\d\d \(/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-status.png'), fullPage: true });
  await page.click('nav a:has-text("Metrics")');
  await page.waitForSelector('#metrics');
  await page.close();
});

test('under --web.route-prefix the page, its assets and the buttons use the prefix', async () => {
  const page = await newPage();
  const seen = [];
  page.on('request', (r) => seen.push(new URL(r.url()).pathname));
  await page.goto(URL2);
  assert.deepEqual(await shownGroups(page), [
    'job="api" instance="a-1"',
    'job="api" instance="a-2"',
    'job="cron" instance=""',
  ]);
  for (const p of seen) assert.ok(p.startsWith('/pg/'), `request under the prefix: ${p}`);
  assert.ok(seen.some((p) => p.startsWith('/pg/static/app.js')));
  assert.ok(seen.some((p) => p.startsWith('/pg/static/app.css')));
  const bg = await page.$eval('header.top', (e) => getComputedStyle(e).backgroundColor);
  assert.equal(bg, 'rgb(36, 41, 47)', 'app.css applied under the prefix');
  page.on('dialog', (d) => d.accept());
  const g = group(page, 'instance="a-2"');
  await g.locator('summary').click();
  await g.locator('button[data-act="del"]').click();
  await g.waitFor({ state: 'detached' });
  assert.deepEqual((await apiGroups(URL2)).map((l) => l.instance), ['a-1', '']);
  assert.ok(seen.includes('/pg/metrics/job@base64/YXBp=/instance@base64/YS0y='), 'DELETE URL shape');
  await page.close();
});

test('with the admin API, Delete all groups wipes the gateway', async () => {
  const page = await newPage();
  await page.goto(URL2);
  // Take the screenshot of the artifact here: several groups, one of them opened.
  await group(page, 'job="api"').locator('summary').click();
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-prefix.png'), fullPage: true });
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await page.click('button[data-act="wipe"]');
  await page.waitForSelector('#empty:not([hidden])');
  assert.match(asked, /Delete ALL groups/);
  assert.deepEqual(await apiGroups(URL2), []);
  await page.reload();
  assert.equal(await page.isVisible('#empty'), true);
  assert.equal(await page.locator('details.group').count(), 0);
  await page.close();
});

test('Expand all opens every listed group (screenshot after the deletions)', async () => {
  const page = await newPage();
  await page.goto(URL1);
  await page.click('button[data-act="expand"]');
  assert.equal(await page.locator('details.group[open]').count(), 2);
  await page.click('button[data-act="collapse"]');
  assert.equal(await page.locator('details.group[open]').count(), 0);
  await page.click('button[data-act="expand"]');
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-expanded.png'), fullPage: true });
  await page.close();
});

test('10k groups: collapsed cards load fast, a card loads its metrics when opened', { skip: !BIG }, async () => {
  const page = await newPage();
  const t0 = Date.now();
  await page.goto(BIG, { waitUntil: 'load', timeout: 60000 });
  const tLoad = Date.now() - t0;
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { html: Math.round(n.responseEnd - n.requestStart), dcl: Math.round(n.domContentLoadedEventEnd) };
  });
  assert.equal(await page.locator('details.group').count(), 10000);
  assert.equal(await page.locator('details.group[open]').count(), 0);
  const t1 = Date.now();
  await page.locator('#filter').fill('instance=i-4242');
  await page.waitForFunction(() => document.querySelector('#count').textContent === '1 of 10000 groups');
  const tFilter = Date.now() - t1;
  // The card's families are fetched from its one-group view when it is opened.
  // (Attribute selectors: text-matching locators over 10k cards are slow in playwright itself.)
  const g = page.locator('details.group[data-s~="instance=i-4242"]');
  const tOpen = await g.evaluate((el) => new Promise((resolve) => {
    const t = performance.now();
    const mo = new MutationObserver(() => {
      if (el.querySelector('.fam')) { mo.disconnect(); resolve(Math.round(performance.now() - t)); }
    });
    mo.observe(el, { childList: true, subtree: true });
    el.querySelector('summary').click();
  }));
  const row = g.locator('.fam', { has: page.locator('.fn', { hasText: /^records_processed_total$/ }) });
  assert.equal(await row.locator('td.v').textContent(), '4242');
  assert.match(await row.locator('.fp time').textContent(), /\((just now|\d+ s ago|\d+ min ago)\)$/);
  await page.locator('#filter').fill('batch-7');
  await page.waitForFunction(() => document.querySelector('#count').textContent === '200 of 10000 groups');
  await page.click('button[data-act="expand"]');
  await page.waitForFunction(() => !document.querySelector('details.group:not([hidden]) .gbody.lazy'));
  assert.equal(await page.locator('details.group[open]:not([hidden]) .fam').count(), 200 * 4, '200 cards loaded');
  await page.locator('#filter').fill('batch-');
  await page.waitForFunction(() => document.querySelector('#count').textContent === '10000 groups');
  await page.click('button[data-act="expand"]');
  assert.match(await page.textContent('#msg'), /Narrow the filter to 200 groups or fewer/);
  await page.locator('#filter').fill('instance=i-4242');
  page.once('dialog', (d) => d.accept());
  await g.locator('button[data-act="del"]').click();
  await g.waitFor({ state: 'detached' });
  const left = await apiGroups(BIG);
  assert.equal(left.length, 9999);
  assert.equal(left.some((l) => l.instance === 'i-4242'), false);
  const t3 = Date.now();
  await page.locator('#filter').fill('');
  await page.waitForFunction(() => document.querySelector('#count').textContent === '9999 groups');
  const tClear = Date.now() - t3;
  console.log(`# 10k groups in the browser: page load ${tLoad} ms (HTML ${nav.html} ms, ` +
    `DOMContentLoaded ${nav.dcl} ms), filter ${tFilter} ms, open a card ${tOpen} ms, ` +
    `clear the filter ${tClear} ms`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-10k.png') });
  await page.close();
});

test('no console errors, script errors or failed requests', () => {
  // Expected 4xx answers: none. (The browser asks for nothing outside the gateway.)
  assert.deepEqual(problems, []);
});
