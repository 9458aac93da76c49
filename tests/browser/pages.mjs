// Journeys and reports as a marketer uses them, in Debian's headless Chromium
// driven by playwright-core (ctest browser_pages, started by run.sh with
// PATRON_URL, SMTP_DIR, SCREENSHOTS and ADMIN_PASSWORD):
// - Journeys: create one from a template, see its steps, enable it, a customer
//   signs up through the collection API and enters, the counts move; disable.
// - Reports: the KPIs of the period (and of a segment) against the previous
//   period, the cohort table, the campaign results with lift and verdict, the
//   funnel, the targeting suggestions (a segment set up to respond to the
//   campaign, to be targeted) and the weekly report in a new tab and in a frame; the dashboard's
//   30-day trends.
// - Settings: consent purposes added, renamed, retired and brought back.
// - The same pages in Persian (and the KPIs in Arabic): right to left, their
//   digits, the same numbers.
// Every number on screen is compared with what the API answers.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { restoreEnglish } from './common.mjs';

const url = process.env.PATRON_URL;
const shots = process.env.SCREENSHOTS;
const password = process.env.ADMIN_PASSWORD;
assert.ok(url && shots && password, 'PATRON_URL, SCREENSHOTS and ADMIN_PASSWORD are required');

let context, page, profile;
const consoleErrors = [];

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'patron-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--lang=en-US'],
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20000);
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(url + '/');
  await page.fill('input[name=name]', 'admin');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav.sidebar');
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const shot = (name) => page.screenshot({ path: join(shots, name + '.png'), fullPage: true });

async function api(method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const headers = { 'Content-Type': 'application/json' };
      if (method !== 'GET') headers['X-CSRF-Token'] = (await (await fetch('/api/v1/me')).json()).csrf_token;
      const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: await res.json().catch(() => null) };
    },
    { method, path, body },
  );
}

// Text as shown -> a JavaScript number: Persian (۰-۹) and Arabic-Indic (٠-٩)
// digits, their decimal and grouping separators, the minus sign, percent.
function toNumber(text) {
  const latin = text
    .replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x6f0))
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x660))
    .replace(/[٫]/g, '.')
    .replace(/[,٬\s\u200e\u200f\u061c]/g, '')
    .replace(/[−‎]/g, '-')
    .replace(/[%٪]/g, '');
  const m = latin.match(/[-+]?\d+(\.\d+)?/);
  assert.ok(m, `a number in "${text}"`);
  return Number(m[0]);
}
const hasLatinDigits = (s) => /[0-9]/.test(s);
const hasPersianDigits = (s) => /[۰-۹]/.test(s);

// A value shown rounded to `decimals` is within half a unit of the last digit.
function assertShown(text, expected, decimals, what) {
  const shown = toNumber(text);
  assert.ok(Math.abs(shown - expected) <= 0.5 * 10 ** -decimals + 1e-9, `${what}: shown "${text}", the API says ${expected}`);
}
const minorDigits = (c) => (['IRR', 'JPY', 'KRW', 'ISK', 'CLP', 'VND', 'IQD'].includes(c) ? 0 : ['KWD', 'BHD', 'OMR', 'JOD'].includes(c) ? 3 : 2);

// Checks a KPI card against its API row: value, previous value and change.
async function checkKpiCard(scope, row, persian) {
  const card = page.locator(`${scope} .kpi[data-kpi="${row.kpi}"]`);
  const value = await card.locator('.kpi-value').textContent();
  const previous = await card.locator('.previous-value').textContent();
  const change = await card.locator('.change').textContent();
  for (const [text, v] of [[value, row.value], [previous, row.previous]]) {
    if (v === null) assert.equal(text, '—', row.kpi);
    else if (row.unit === 'ratio') assertShown(text, v * 100, 1, row.kpi);
    else if (row.unit === 'number') assertShown(text, v, 2, row.kpi);
    else assert.equal(toNumber(text), v, `${row.kpi}: "${text}"`);
    if (persian && v !== null) assert.ok(hasPersianDigits(text) && !hasLatinDigits(text), `Persian digits: ${text}`);
  }
  if (row.change === null) assert.equal(change.trim(), '—');
  else assertShown(change, row.change * 100, 1, row.kpi + ' change');
}

async function setLocale(locale) {
  await page.goto(url + '/#/settings');
  await page.waitForSelector('select[name=locale]');
  await page.selectOption('select[name=locale]', locale);
  await page.waitForFunction((l) => document.documentElement.lang === l, locale);
}

// A test that fails while the interface is in Persian or Arabic must not fail the ones after it.
afterEach(() => restoreEnglish(page));

// A row of the journey list (a step row of one journey has no link).
const journeyListRow = 'main table tbody tr td:first-child a[href^="#/journeys/"]';

// The words the Journeys page uses in English for statuses, triggers and step kinds.
const english = { draft: 'Draft', enabled: 'Enabled', disabled: 'Disabled', event: 'An event', purchase: 'A purchase',
  wait: 'Wait', send: 'Send', branch: 'Branch', call_task: 'Call task', add_tag: 'Add tag', exit: 'Exit' };

test('journeys: create from a template, see its steps, enable it, a customer enters and the counts move, disable', async () => {
  await page.click('nav.sidebar >> text=Journeys');
  await page.waitForSelector('h1:has-text("Journeys")');
  const before = (await api('GET', '/api/v1/journeys')).json.journeys;
  await page.waitForSelector('select >> option[value=welcome]', { state: 'attached' });
  await page.selectOption('form select', 'welcome');
  await page.fill('form input', 'browser welcome');
  await page.click('form button[type=submit]');
  await page.waitForSelector('h1:has-text("browser welcome")');
  const id = page.url().match(/journeys\/(\d+)/)[1];
  let journey = (await api('GET', '/api/v1/journeys/' + id)).json;
  assert.equal(journey.name, 'browser welcome');
  assert.equal(journey.status, 'draft');
  assert.equal(journey.trigger.kind, 'event');

  // One row per step, in order, with the kind and the counts of the API.
  const stepRows = async () =>
    page.$$eval('main table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  let rows = await stepRows();
  assert.deepEqual(rows.map((r) => r[0]), journey.stats.steps.map((s) => s.id));
  assert.deepEqual(rows.map((r) => r[1]), journey.steps.map((s) => english[s.kind]));
  // What each step does: the message it sends, how long it waits.
  assert.equal(rows[0][5], 'browser welcome · welcome');
  assert.match(rows[1][5], /^2d · until 10:00$/);
  assert.ok(rows.every((r) => r[2] === '0' && r[3] === '0'), 'a new journey has reached nobody');

  // Enable: the server records it, the button turns into Disable.
  await page.click('button:text-is("Enable")');
  await page.waitForSelector('button:text-is("Disable")');
  assert.equal((await api('GET', '/api/v1/journeys/' + id)).json.status, 'enabled');

  // A visitor signs up on the website (a Segment track call with a collector key): they enter.
  const key = await api('POST', '/api/v1/keys', { name: 'browser site ' + Date.now().toString(36), role: 'collector' });
  assert.equal(key.status, 201, JSON.stringify(key.json));
  const track = await fetch(url + '/v1/track', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + Buffer.from(key.json.key + ':').toString('base64') },
    body: JSON.stringify({ userId: 'NEWS-' + Date.now().toString(36), event: 'newsletter_signup' }),
  });
  assert.equal(track.status, 200);
  for (let i = 0; i < 100; i++) {
    journey = (await api('GET', '/api/v1/journeys/' + id)).json;
    if (journey.stats.entered >= 1 && journey.stats.steps[0].reached >= 1) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(journey.stats.entered, 1, JSON.stringify(journey.stats));
  await page.reload();
  await page.waitForSelector('main table tbody tr');
  rows = await stepRows();
  for (const [i, s] of journey.stats.steps.entries()) {
    assert.equal(rows[i][2], String(s.reached), `${s.id} reached`);
    assert.equal(rows[i][3], String(s.waiting), `${s.id} waiting`);
    for (const [outcome, n] of Object.entries(s.outcomes)) assert.ok(rows[i][4].includes(`${outcome} ${n}`), rows[i][4]);
  }
  assert.equal(rows[0][2], '1', 'the welcome step reached the new customer');
  const summary = await page.textContent('main .card p');
  assert.match(summary, /Entered 1 · Active 1/);
  await shot('p01-journey-entered');

  // The list: every journey with the API's counts.
  // The step table stays up until the list has loaded: wait for a row of the list itself.
  await page.click('text=All journeys');
  await page.waitForSelector(journeyListRow);
  const list = (await api('GET', '/api/v1/journeys')).json.journeys;
  assert.equal(list.length, before.length + 1);
  const listed = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  assert.deepEqual(
    listed,
    list.map((j) => [j.name, english[j.trigger.kind], english[j.status], ...['entered', 'active', 'completed', 'exited'].map((k) => String(j.stats[k]))]),
  );
  await shot('p02-journeys');

  // Disable: nobody enters or moves on.
  await page.click(`a:has-text("browser welcome")`);
  await page.click('button:text-is("Disable")');
  await page.waitForSelector('button:text-is("Enable")');
  assert.equal((await api('GET', '/api/v1/journeys/' + id)).json.status, 'disabled');
});

// A campaign sent to the test SMTP server, with a holdout and two variants,
// for the campaign results.
async function sendCampaign() {
  const policy = await api('PUT', '/api/v1/campaign-policy', { quiet_hours: { start: '00:00', end: '00:00' }, weekend_days: { '*': [] } });
  assert.equal(policy.status, 200, JSON.stringify(policy.json));
  const created = await api('POST', '/api/v1/campaigns', {
    name: 'browser report campaign',
    channel: 'email',
    audience: 'reachable(email)',
    purpose: 'marketing',
    holdout_percent: 20,
    schedule: { kind: 'now' },
    cost_per_message: 0.05,
    currency: 'EUR',
    from_name: 'Shop',
    from_address: 'news@shop.example',
    contents: [
      { variant: 'A', language: '', split_percent: 50, subject: 'Hello {{given_name}}', text: 'A. {{unsubscribe_url}}', html: '' },
      { variant: 'B', language: '', split_percent: 50, subject: 'Hi {{given_name}}', text: 'B. {{unsubscribe_url}}', html: '' },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id;
  const sent = await api('POST', `/api/v1/campaigns/${id}/send`, {});
  assert.ok(sent.status < 300, JSON.stringify(sent.json));
  for (let i = 0; i < 300; i++) {
    const c = (await api('GET', `/api/v1/campaigns/${id}`)).json;
    if (c.status === 'done') return id;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('the campaign did not finish sending');
}

// A response the targeting suggestions must find, set up here: a saved segment
// (the Swedish speakers among those reachable by email) every member of which
// buys right after the campaign, against one in eight of the other reachable
// customers. Orders go through the import API as a shop's export would.
const seededSegment = 'browser swedish';
async function seedSuggestion() {
  const saved = await api('PUT', '/api/v1/segments/' + encodeURIComponent(seededSegment), {
    definition: 'language = "sv"',
    description: 'Customers who read Swedish',
  });
  assert.equal(saved.status, 200, JSON.stringify(saved.json));
  const preview = async (definition) => {
    const r = await api('POST', '/api/v1/segments/preview?limit=500', { definition });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.customers.length, r.json.count, definition);
    return r.json.customers.filter((c) => c.email);
  };
  const members = await preview('reachable(email) and language = "sv"');
  const others = (await preview('reachable(email) and not language = "sv"')).filter((_, i) => i % 8 === 0);
  assert.ok(members.length >= 20 && others.length >= 5, `${members.length} members, ${others.length} others`);
  const at = new Date().toISOString(); // after the campaign was sent: a conversion
  const csv =
    'order_id,email,ordered_at,status,sku,product_name,quantity,unit_price,currency\n' +
    [...members, ...others].map((c, i) => `BROWSER-${i},${c.email},${at},completed,BRW-1,Browser test mug,1,100.00,SEK`).join('\n') +
    '\n';
  const started = await page.evaluate(async (csv) => {
    const token = (await (await fetch('/api/v1/me')).json()).csrf_token;
    const res = await fetch('/api/v1/imports?kind=orders&source=browser-shop&format=csv', {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': token },
      body: csv,
    });
    return { status: res.status, json: await res.json() };
  }, csv);
  assert.equal(started.status, 202, JSON.stringify(started.json));
  for (let i = 0; i < 300; i++) {
    const job = (await api('GET', '/api/v1/imports/' + started.json.id)).json;
    if (job.status === 'finished') break;
    assert.notEqual(job.status, 'failed', JSON.stringify(job));
    await new Promise((r) => setTimeout(r, 200));
  }
  // The suggestions see the orders once the server has read them.
  for (let i = 0; i < 100; i++) {
    const rows = (await api('GET', '/api/v1/reports/suggestions?min_reach=10')).json.rows;
    if (rows.some((r) => r.segment === seededSegment && r.converted > 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('the imported orders never reached the suggestions');
}

// The Wilson score interval at 95 %, as docs/reports.md defines it, computed here.
function wilson(x, n) {
  const z = 1.959963984540054, p = x / n, z2 = z * z;
  const d = 1 + z2 / n, center = (p + z2 / (2 * n)) / d, half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / d;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

// The targeting suggestions at a least number of messages per group: every row
// of the API shown, in the page's order (strongest first), with its numbers.
async function checkSuggestions(persian, minReach) {
  await page.selectOption('select[name=suggestion-min-reach]', minReach);
  await page.waitForSelector(`#suggestion-table[data-min-reach="${minReach}"]`);
  const rows = (await api('GET', '/api/v1/reports/suggestions?min_reach=' + minReach)).json.rows;
  const shown = await page.$$eval('#suggestion-table tbody tr', (trs) =>
    trs.map((tr) => {
      const text = (sel) => tr.querySelector(sel)?.textContent ?? null;
      return {
        channel: tr.dataset.channel,
        segment: tr.dataset.segment,
        verdict: tr.dataset.verdict,
        badge: text('td[data-col=verdict]').trim(),
        rate: text('.rate-value'),
        ci: text('.rate-ci'),
        rest: text('.rest-value'),
        ratio: text('td[data-col=ratio]'),
        ratioValue: text('.ratio-value'),
        ratioCi: text('.ratio-ci'),
        reach: text('.reach-value'),
        all: tr.textContent,
      };
    }),
  );
  assert.equal(shown.length, rows.length, 'one row per channel and segment the API judges');
  const verdictOf = (r) => r.action ?? (r.reason === 'not_significant' ? 'not_significant' : 'small_sample');
  const rank = { target: 0, suppress: 1, not_significant: 2, small_sample: 3 };
  const strength = (r) => (r.ratio === null ? (r.action ? Infinity : 0) : Math.abs(Math.log(r.ratio)));
  const badges = persian
    ? { target: 'هدف بگیرید', suppress: 'کنار بگذارید', not_significant: 'نامعنادار', small_sample: 'داده برای داوری کم است' }
    : { target: 'Target', suppress: 'Suppress', not_significant: 'Not significant', small_sample: 'Too few to judge' };
  let previous = null;
  for (const s of shown) {
    const r = rows.find((x) => x.channel === s.channel && x.segment === s.segment);
    assert.ok(r, `${s.channel} ${s.segment} is a row of the API`);
    const what = `${r.channel} ${r.segment} (min ${minReach})`;
    assert.equal(s.verdict, verdictOf(r), what);
    assert.equal(s.badge, badges[verdictOf(r)], what);
    assertShown(s.rate, r.conversion_rate * 100, 1, what + ' conversion');
    const [lo, hi] = s.ci.split('…');
    assertShown(lo, r.rate_ci_low * 100, 1, what + ' interval low');
    assertShown(hi, r.rate_ci_high * 100, 1, what + ' interval high');
    assertShown(s.rest, r.rest_rate * 100, 1, what + ' other recipients');
    assert.equal(toNumber(s.reach), r.reach, what + ' messages');
    if (r.ratio === null) assert.equal(s.ratio, '—', what);
    else {
      assertShown(s.ratioValue, r.ratio, 2, what + ' ratio');
      const [rlo, rhi] = s.ratioCi.split('…');
      assertShown(rlo, r.ratio_ci_low, 2, what + ' ratio low');
      assertShown(rhi, r.ratio_ci_high, 2, what + ' ratio high');
    }
    if (persian) assert.ok(!hasLatinDigits(s.all), `${what}: Persian digits in "${s.all}"`);
    // Strongest first: targets, suppressions, the rest; then the ratio farthest from 1.
    if (previous) {
      assert.ok(rank[verdictOf(previous)] <= rank[verdictOf(r)], `${previous.segment} before ${r.segment}`);
      if (rank[verdictOf(previous)] === rank[verdictOf(r)]) assert.ok(strength(previous) >= strength(r), `${previous.segment} before ${r.segment}`);
    }
    previous = r;
  }

  // The segment set up to respond: most members who got the message bought
  // (not all: an order names its buyer by email, and the demo data has
  // duplicate records sharing an address, one of which gets the order).
  const seeded = rows.find((r) => r.channel === 'email' && r.segment === seededSegment);
  assert.ok(seeded, 'the seeded segment is judged for email');
  assert.ok(seeded.reach >= 10 && seeded.converted >= seeded.reach / 2, JSON.stringify(seeded));
  assert.ok(seeded.rest_converted <= seeded.rest_reach / 3, JSON.stringify(seeded));
  const row = shown.find((s) => s.channel === 'email' && s.segment === seededSegment);
  // Its interval and ratio as the test computes them from the counts: the
  // page rounds the API's figures (4 decimals), hence half a unit of each.
  const near = (text, expected, decimals, apiUnit, what) => {
    const shown = toNumber(text);
    assert.ok(Math.abs(shown - expected) <= 0.5 * 10 ** -decimals + 0.5 * apiUnit + 1e-9, `${what}: shown "${text}", computed ${expected}`);
  };
  const [wlo, whi] = wilson(seeded.converted, seeded.reach);
  near(row.ci.split('…')[0], wlo * 100, 1, 0.01, 'Wilson low');
  near(row.ci.split('…')[1], whi * 100, 1, 0.01, 'Wilson high');
  if (seeded.reach >= Number(minReach) && seeded.rest_reach >= Number(minReach)) {
    // Enough messages: a real suggestion to target it, the strongest one shown first.
    assert.equal(row.verdict, 'target');
    assert.equal(shown[0].segment, seededSegment, 'the strongest suggestion comes first');
    near(row.ratioValue, seeded.converted / seeded.reach / (seeded.rest_converted / seeded.rest_reach), 2, 0.0001, 'rate ratio');
  } else {
    assert.equal(row.verdict, 'small_sample', JSON.stringify(seeded));
  }
}

async function checkReports(persian) {
  // KPIs of the default period (the 30 days before today), card by card.
  await page.waitForSelector('#report-kpis .kpi');
  const kpis = (await api('GET', '/api/v1/reports/kpis')).json.rows;
  const cards = await page.$$eval('#report-kpis .kpi[data-kpi]', (ds) => ds.map((d) => d.dataset.kpi));
  assert.ok(cards.length >= 10, cards.join());
  for (const key of cards) {
    const row = kpis.find((r) => r.kpi === key && !r.breakdown && !r.currency);
    await checkKpiCard('#report-kpis', row, persian);
  }
  // Money per currency: every currency with some amount in either period; revenue in its minor-unit decimals.
  const moneyKpis = ['revenue', 'average_order_value', 'ltv_historical', 'ltv_predicted_12m'];
  const currencies = new Set(kpis.filter((r) => moneyKpis.includes(r.kpi) && !r.breakdown && (r.value || r.previous)).map((r) => r.currency));
  const shown = await page.$$eval('#report-money tbody tr', (trs) => trs.map((tr) => tr.dataset.currency));
  assert.deepEqual(shown.sort(), [...currencies].sort());
  const revenue = kpis.filter((r) => r.kpi === 'revenue' && !r.breakdown && currencies.has(r.currency));
  assert.ok(revenue.some((r) => r.value > 0), 'the demo data has revenue in the period');
  for (const r of revenue) {
    const text = await page.textContent(`#report-money tr[data-currency="${r.currency}"] td[data-kpi=revenue] .money-value`);
    const d = minorDigits(r.currency);
    assertShown(text, r.value / 10 ** d, d, 'revenue ' + r.currency);
    if (persian) assert.ok(!hasLatinDigits(text.replace(r.currency, '')), text);
  }

  // The cohort table: one row per cohort, its size, and the share who bought each month.
  await page.waitForSelector('#cohort-table tbody tr');
  // Up to the end of the page's default period (yesterday, UTC), as the page asks:
  // today's orders (the seeded conversions) are not in it.
  const yesterday = new Date(Math.floor(Date.now() / 86400000) * 86400000 - 86400000).toISOString().slice(0, 10);
  const cohorts = (await api('GET', '/api/v1/reports/cohorts?months=12&to=' + yesterday)).json.tables[0];
  const cohortRows = await page.$$eval('#cohort-table tbody tr', (trs) =>
    trs.map((tr) => ({ cohort: tr.dataset.cohort, cells: [...tr.cells].map((td) => td.textContent) })),
  );
  assert.equal(cohortRows.length, cohorts.rows.length);
  assert.ok(cohorts.rows.length >= 6, 'a year of demo purchases');
  const months = cohorts.columns.filter((c) => /^m\d+$/.test(c));
  for (const [i, row] of cohorts.rows.entries()) {
    assert.equal(cohortRows[i].cohort, row.cohort);
    assert.equal(toNumber(cohortRows[i].cells[1]), row.size, row.cohort + ' size');
    for (const [k, m] of months.entries()) {
      const cell = cohortRows[i].cells[2 + k];
      if (row[m] === null) assert.equal(cell, '');
      else assertShown(cell, row[m] * 100, 0, `${row.cohort} ${m}`);
    }
  }
  if (persian) assert.ok(cohortRows.every((r) => !hasLatinDigits(r.cells.join(''))), 'cohorts in Persian digits');

  // The campaign results: reach, holdout, lift with its interval and the verdict, per campaign and variant.
  await page.waitForSelector('#campaign-report tbody tr');
  const campaigns = (await api('GET', '/api/v1/reports/campaigns')).json.rows;
  assert.equal(await page.locator('#campaign-report tbody tr').count(), campaigns.length);
  for (const r of campaigns) {
    const tr = page.locator(`#campaign-report tr[data-campaign="${r.campaign_id}"][data-variant="${r.variant ?? ''}"]`);
    assert.equal(toNumber(await tr.locator('td[data-col=reach]').textContent()), r.reach);
    assert.equal(toNumber(await tr.locator('td[data-col=holdout] .holdout-count').textContent()), r.holdout);
    assert.equal(toNumber(await tr.locator('td[data-col=converted]').textContent()), r.converted);
    assertShown(await tr.locator('td[data-col=conversion]').textContent(), r.conversion_rate * 100, 1, 'conversion');
    const verdict = (await tr.locator('td[data-col=verdict]').textContent()).trim();
    if (r.lift !== null) {
      assertShown(await tr.locator('.lift-value').textContent(), r.lift * 100, 1, 'lift');
      const [lo, hi] = (await tr.locator('.lift-ci').textContent()).split('…');
      assertShown(lo, r.lift_ci_low * 100, 1, 'lift CI low');
      assertShown(hi, r.lift_ci_high * 100, 1, 'lift CI high');
    }
    const expected = persian
      ? { yes: 'معنادار', no: 'نامعنادار', null: 'بدون گروه کنترل' }
      : { yes: 'Significant', no: 'Not significant', null: 'No holdout' };
    assert.equal(verdict, expected[r.significant], `${r.campaign} ${r.variant}: ${verdict}`);
  }

  // The funnel: customers at each stage.
  const funnel = (await api('GET', '/api/v1/reports/funnel')).json.rows;
  for (const r of funnel) {
    assert.equal(toNumber(await page.textContent(`#funnel-table tr[data-stage=${r.stage}] td[data-col=customers]`)), r.customers);
  }

  // Targeting suggestions: at the server's default (100 messages in each group)
  // the seeded segment is too small to judge; at 10, it is to be targeted.
  await checkSuggestions(persian, '100');
  await checkSuggestions(persian, '10');
}

test('reports: KPIs against the previous period, a segment, cohorts, campaign results with lift, funnel, the weekly report', async () => {
  const campaignId = await sendCampaign();
  await seedSuggestion();
  const nav = await page.$$eval('nav.sidebar li a', (as) => as.map((a) => a.textContent));
  assert.deepEqual(nav, ['Dashboard', 'Customers', 'Segments', 'Campaigns', 'Journeys', 'Reports', 'Data', 'Settings']);
  await page.click('nav.sidebar >> text=Reports');
  await page.waitForSelector('h1:has-text("Reports")');
  await checkReports(false);
  // The campaign just sent: its row, and one per variant.
  const rows = (await api('GET', '/api/v1/reports/campaigns')).json.rows.filter((r) => r.campaign_id === campaignId);
  assert.deepEqual(rows.map((r) => r.variant), [null, 'A', 'B']);
  assert.ok(rows[0].reach > 0 && rows[0].holdout > 0, JSON.stringify(rows[0]));
  await shot('p03-reports');

  // A segment and another period: the numbers are the segment's.
  await page.fill('#report-period input[name=from]', '2026-01-01');
  await page.fill('#report-period input[name=to]', '2026-06-30');
  await page.fill('#report-period input[name=segment]', 'segment:loyal');
  await page.click('#report-period button[type=submit]');
  const loyal = (await api('GET', '/api/v1/reports/kpis?from=2026-01-01&to=2026-06-30&segment=segment:loyal')).json.rows;
  const everyone = (await api('GET', '/api/v1/reports/kpis?from=2026-01-01&to=2026-06-30')).json.rows;
  const total = loyal.find((r) => r.kpi === 'customers_total' && !r.breakdown);
  assert.ok(total.value < everyone.find((r) => r.kpi === 'customers_total' && !r.breakdown).value, 'the segment is a part');
  await page.waitForFunction(
    (n) => document.querySelector('#report-kpis .kpi[data-kpi=customers_total] .kpi-value')?.textContent.replace(/,/g, '') === String(n),
    total.value,
  );
  for (const key of ['customers_total', 'buyers', 'orders', 'retention_rate']) {
    await checkKpiCard('#report-kpis', loyal.find((r) => r.kpi === key && !r.breakdown && !r.currency), false);
  }
  assert.match(await page.textContent('#report-period-line'), /Jan 1, 2026 to Jun 30, 2026, against .*2025.* to Dec 31, 2025 · segment:loyal/);
  // A definition the server refuses: its message, naming line and column.
  await page.fill('#report-period input[name=segment]', 'bougt(within 30 days)');
  await page.click('#report-period button[type=submit]');
  await page.waitForSelector('#report-kpis .error');
  assert.match(await page.textContent('#report-kpis .error'), /line 1, column 1/);
  await page.fill('#report-period input[name=segment]', '');
  await page.click('#report-period button[type=submit]');
  await page.waitForSelector('#report-kpis .kpi');

  // Revenue per customer instead of retention, in the currency with the most revenue.
  await page.selectOption('select[name=cohort-show]', 'revenue');
  await page.waitForSelector('#cohort-table[data-show=revenue]');
  const revenue = (await api('GET', '/api/v1/reports/cohorts?months=12')).json.tables[1];
  const first = revenue.rows[0];
  const cell = await page.textContent(`#cohort-table tr[data-cohort="${first.cohort}"] td[data-month=m0]`);
  const d = minorDigits(first.currency);
  assertShown(cell, first.m0 / 10 ** d, d, 'revenue per customer');
  assert.ok(cell.includes(first.currency), cell);
  await page.selectOption('select[name=cohort-show]', 'retention');

  // The weekly report: in a new tab (the server's HTML, in the chosen language) and in a frame.
  const [tab] = await Promise.all([context.waitForEvent('page'), page.click('#open-weekly')]);
  await tab.waitForLoadState();
  assert.match(tab.url(), /\/api\/v1\/reports\/weekly\?lang=en&calendar=gregorian$/);
  assert.equal(await tab.getAttribute('html', 'lang'), 'en');
  for (const id of ['kpis', 'trends', 'cohorts', 'campaigns', 'quality', 'actions'])
    assert.equal(await tab.locator(`section#${id}`).count(), 1, `section ${id}`);
  assert.match(await tab.locator('section#campaigns').innerText(), /browser report campaign/);
  await tab.screenshot({ path: join(shots, 'p04-weekly-en.png'), fullPage: true });
  await tab.close();
  await page.click('#show-weekly');
  const frame = await (await page.waitForSelector('#weekly-frame')).contentFrame();
  await frame.waitForSelector('section#kpis');
  assert.equal(await page.getAttribute('#weekly-frame', 'sandbox'), '');
  await shot('p05-reports-weekly-frame');
});

test('dashboard: the last 30 days against the 30 before, and the data-quality summary', async () => {
  await page.click('nav.sidebar >> text=Dashboard');
  await page.waitForSelector('#trends .kpi');
  const kpis = (await api('GET', '/api/v1/reports/kpis')).json.rows;
  for (const key of ['customers_active', 'customers_new', 'buyers', 'orders', 'retention_rate', 'churn_rate'])
    await checkKpiCard('#trends', kpis.find((r) => r.kpi === key && !r.breakdown && !r.currency), false);
  assert.ok((await page.locator('#trend-money tbody tr').count()) > 0, 'revenue per currency');
  assert.ok((await page.locator('table.quality-summary tbody tr').count()) > 0, 'data-quality summary');
  await shot('p06-dashboard-trends');
});

test('Persian and Arabic: reports and journeys right to left, in their digits, with the same numbers', async () => {
  await setLocale('fa');
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  await page.click('nav.sidebar >> text=گزارش‌ها');
  await page.waitForSelector('h1:has-text("گزارش‌ها")');
  const nav = await page.locator('nav.sidebar').boundingBox();
  const main = await page.locator('main.content').boundingBox();
  assert.ok(nav.x > main.x, 'the navigation is on the right');
  await checkReports(true);
  // Mirrored: the first column of the cohort table is on the right.
  const [firstX, lastX] = await page.$$eval('#cohort-table thead th', (ths) => [ths[0].getBoundingClientRect().x, ths[ths.length - 1].getBoundingClientRect().x]);
  assert.ok(firstX > lastX, 'the cohort column is at the right edge');
  // The period in the Persian calendar (2026 is 1404/1405).
  assert.match(await page.textContent('#report-period-line'), /۱۴۰[۴۵]/);
  // The browser's date picker is Gregorian; beside it, the picked day as the Persian calendar names it.
  const from = await page.inputValue('input[name=from]');
  await page.fill('input[name=from]', '2026-03-21');
  assert.equal(await page.textContent('output[name=from-in-calendar]'), '۱ فروردین ۱۴۰۵');
  // Or typed in the Persian calendar, in Persian digits: the picker follows.
  await page.fill('input[name=from]', from);
  await page.fill('input[name=from-calendar]', '۱۴۰۵/۰۹/۱۰');
  assert.equal(await page.inputValue('input[name=from]'), '2026-12-01');
  assert.equal(await page.textContent('output[name=from-in-calendar]'), '۱۰ آذر ۱۴۰۵');
  await page.fill('input[name=from-calendar]', '');
  await page.fill('input[name=from]', from);
  assert.match(await page.textContent('output[name=to-in-calendar]'), /^[۰-۹]+ \S+ ۱۴۰[۴۵]$/);
  await shot('p07-reports-fa');

  // The weekly report in Persian with the Persian calendar.
  const [tab] = await Promise.all([context.waitForEvent('page'), page.click('#open-weekly')]);
  await tab.waitForLoadState();
  assert.match(tab.url(), /lang=fa&calendar=persian$/);
  assert.equal(await tab.getAttribute('html', 'dir'), 'rtl');
  assert.match(await tab.locator('header').innerText(), /[۰-۹]/);
  await tab.screenshot({ path: join(shots, 'p08-weekly-fa.png'), fullPage: true });
  await tab.close();

  // A campaign's moment, typed as an ISO time, read back in the Persian calendar and digits.
  await page.goto(url + '/#/campaigns/new');
  await page.selectOption('select[name=schedule]', 'at');
  await page.fill('input[name=at]', '2026-12-01T10:00:00Z');
  assert.match(await page.textContent('output[name=at-in-calendar]'), /۱۰ آذر ۱۴۰۵/);
  // Or a day in the Persian calendar and a time on the user's clock, in Persian digits.
  await page.fill('input[name=at]', '۱۴۰۵/۰۹/۱۱ ۰۹:۳۰');
  assert.match(await page.textContent('output[name=at-in-calendar]'), /۱۱ آذر ۱۴۰۵.*۹:۳۰/);
  await page.fill('input[name=at]', 'tomorrow');
  assert.equal(await page.textContent('output[name=at-in-calendar]'), '');

  // Journeys: the list in Persian digits, equal to the API.
  await page.click('nav.sidebar >> text=سفرها');
  await page.waitForSelector(journeyListRow);
  const list = (await api('GET', '/api/v1/journeys')).json.journeys;
  const cells = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => [...tr.cells].slice(3).map((td) => td.textContent)));
  for (const [i, j] of list.entries()) {
    assert.deepEqual(cells[i].map(toNumber), ['entered', 'active', 'completed', 'exited'].map((k) => j.stats[k]));
    assert.ok(cells[i].every((c) => !hasLatinDigits(c)), cells[i].join(' '));
  }
  await page.click('main table a:has-text("browser welcome")');
  await page.waitForSelector('button:text-is("فعال کردن")');
  assert.match(await page.textContent('main .card p'), /وضعیت: غیرفعال/);
  const reached = await page.$$eval('main table tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
  assert.equal(reached[0], '۱');
  await shot('p09-journey-fa');

  // Settings in Persian: roles, source kinds and the contact policy's channels in words, not keys.
  await page.click('nav.sidebar >> text=تنظیمات');
  await page.waitForSelector('tr[data-user=admin]');
  assert.equal((await page.textContent('tr[data-user=admin] td:nth-child(2)')).trim(), 'مدیر');
  await page.waitForSelector('input[name^=cap-][name$=-max]');  // the contact policy loads on its own
  const policyChannels = await page.$$eval('input[name^=cap-][name$=-max]', (inputs) => inputs.map((i) => i.closest('tr').cells[0].textContent));
  assert.ok(policyChannels.length > 0 && policyChannels.every((c) => !/[a-z]/.test(c)), policyChannels.join(', '));

  // Saved segments: the member count under its heading, not beside the date unexplained.
  await page.click('nav.sidebar >> text=بخش‌ها');
  await page.waitForSelector('#saved-segments tbody tr');
  const segHeads = await page.$$eval('#saved-segments thead th', (ths) => ths.map((th) => th.textContent));
  assert.equal(segHeads[2], 'اعضا');
  const loyalCount = (await api('GET', '/api/v1/segments')).json.segments.find((x) => x.name === 'loyal').last_count;
  assert.equal(toNumber(await page.textContent('#saved-segments tbody tr:has(a:text-is("loyal")) td:nth-child(3)')), loyalCount);

  // The data-quality report in Persian: its headings and the fields it measures in words.
  await page.click('nav.sidebar >> text=داده‌ها');
  await page.waitForSelector('#quality-completeness th[data-field]');
  const qualityHeads = await page.$$eval('#quality h3, #quality-completeness th, #quality-invalid th', (hs) => hs.map((h) => h.textContent));
  assert.ok(qualityHeads.every((h) => !/[a-z]/i.test(h)), qualityHeads.join(' | '));

  // Arabic: right to left too, the KPIs in Arabic-Indic digits with the API's values.
  await setLocale('ar');
  await page.click('nav.sidebar >> text=التقارير');
  await page.waitForSelector('#report-kpis .kpi');
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  const kpis = (await api('GET', '/api/v1/reports/kpis')).json.rows;
  for (const key of ['customers_total', 'orders', 'retention_rate']) {
    const row = kpis.find((r) => r.kpi === key && !r.breakdown && !r.currency);
    await checkKpiCard('#report-kpis', row, false);
    const text = await page.textContent(`#report-kpis .kpi[data-kpi=${key}] .kpi-value`);
    assert.ok(/[٠-٩]/.test(text) && !hasLatinDigits(text), `Arabic-Indic digits: ${text}`);
  }
  await shot('p11-reports-ar');
  await setLocale('en');
});

test('settings: an admin adds, renames and retires a consent purpose; retired, the forms stop offering it', async () => {
  await page.click('nav.sidebar >> text=Settings');
  await page.waitForSelector('#purpose-form');
  // A key the server refuses: its reason, under the form.
  await page.fill('input[name=purpose-name]', 'Member Offers');
  await page.click('#purpose-form button[type=submit]');
  await page.waitForSelector('#purpose-form .error');
  assert.match(await page.textContent('#purpose-form .error'), /a-z, 0-9/);
  await page.fill('input[name=purpose-name]', 'member_offers');
  await page.fill('input[name=purpose-new-title]', 'Member offers');
  await page.fill('input[name=purpose-new-description]', 'Offers for club members by email and SMS');
  await page.click('#purpose-form button[type=submit]');
  const row = '#purpose-definitions tr[data-purpose=member_offers]';
  await page.waitForSelector(`${row} .purpose-title:has-text("Member offers")`);
  assert.equal(await page.textContent(`${row} .purpose-status`), 'Offered');

  // Renamed: the title changes, the key stays.
  await page.click(`${row} .edit-purpose`);
  await page.fill(`${row} input[name=purpose-title]`, 'Club offers');
  await page.click(`${row} .save-purpose`);
  await page.waitForSelector(`${row} .purpose-title:has-text("Club offers")`);
  let defs = (await api('GET', '/api/v1/consent-purposes')).json.definitions;
  let def = defs.find((d) => d.name === 'member_offers');
  assert.equal(def.title, 'Club offers');
  assert.equal(def.description, 'Offers for club members by email and SMS');
  // The new campaign form offers it while it is in use.
  await page.goto(url + '/#/campaigns/new');
  await page.waitForSelector('select[name=purpose] option[value=member_offers]', { state: 'attached' });
  assert.match(await page.textContent('select[name=purpose] option[value=member_offers]'), /Club offers \(member_offers\)/);

  // Retired: marked so, and no longer offered for new campaigns.
  await page.click('nav.sidebar >> text=Settings');
  await page.click(`${row} .retire-purpose`);
  await page.waitForSelector(`${row} .purpose-status:has-text("Retired")`);
  def = (await api('GET', '/api/v1/consent-purposes')).json.definitions.find((d) => d.name === 'member_offers');
  assert.ok(def.retired_at, 'retired on the server');
  await shot('p10-settings-purposes');
  await page.goto(url + '/#/campaigns/new');
  await page.waitForSelector('select[name=purpose] option[value=marketing]', { state: 'attached' });
  assert.equal(await page.locator('select[name=purpose] option[value=member_offers]').count(), 0);
  // The server itself refuses a new grant for it (a script or an old tab cannot record one); a withdrawal still goes.
  const someone = (await api('GET', '/api/v1/customers?limit=1')).json.customers[0];
  const consent = (status) => ({ channel: 'email', purpose: 'member_offers', status, method: 'written', proof: 'form 12' });
  const refused = await api('POST', `/api/v1/customers/${someone.id}/consents`, consent('granted'));
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.field, 'purpose');
  assert.match(refused.json.error.message, /retired/);
  assert.equal((await api('POST', `/api/v1/customers/${someone.id}/consents`, consent('withdrawn'))).status, 201);
  // Brought back.
  await page.click('nav.sidebar >> text=Settings');
  await page.click(`${row} .retire-purpose`);
  await page.waitForSelector(`${row} .purpose-status:has-text("Offered")`);
  // The audit log has every change.
  const audit = (await api('GET', '/api/v1/audit?action=consent_purpose.update')).json;
  assert.ok(JSON.stringify(audit).includes('member_offers'), JSON.stringify(audit).slice(0, 400));
});

test('settings: an admin chooses which value of each field golden records keep and how far each source is trusted', async () => {
  await page.click('nav.sidebar >> text=Settings');
  await page.waitForSelector('#survivorship select[name=rule-address]');
  await page.selectOption('#survivorship select[name=rule-address]', 'longest');
  await page.fill('#survivorship input[name=trust-crm]', '9');
  await page.click('#survivorship button[name=save-survivorship]');
  // Saved at once; the server rewrites the golden records in the background and the card follows.
  await page.waitForSelector('#survivorship .saved', { timeout: 20000 });
  assert.equal(await page.textContent('#survivorship .saved'), 'Saved: every golden record follows these rules.');
  const status = (await api('GET', '/api/v1/identity/status')).json;
  assert.equal(status.golden_records_stale_since, null, JSON.stringify(status));
  assert.equal(status.golden_rewrite.running, false);
  let policy = (await api('GET', '/api/v1/identity/survivorship')).json;
  assert.equal(policy.fields.find((f) => f.field === 'address').rule, 'longest');
  assert.deepEqual(policy.sources.find((s) => s.source === 'crm'), { source: 'crm', kind: 'internal', trust: 9, configured: true });
  // The golden records follow: a customer of several records with an address keeps the longest one.
  const customers = (await api('GET', '/api/v1/customers?limit=200')).json.customers;
  let checked = 0;
  for (const c of customers) {
    const golden = (await api('GET', `/api/v1/customers/${c.id}/golden`)).json;
    const address = golden.fields.find((f) => f.field === 'address');
    if (golden.members.length < 2 || !address) continue;
    assert.equal(address.rule, 'longest', JSON.stringify(golden));
    if (++checked === 3) break;
  }
  assert.ok(checked > 0, 'the demo has customers of several records with an address');
  await shot('p11-settings-survivorship');

  // Back to the defaults: the default rule chosen again, the rank emptied.
  await page.selectOption('#survivorship select[name=rule-address]', 'most_recently_verified');
  await page.fill('#survivorship input[name=trust-crm]', '');
  await page.click('#survivorship button[name=save-survivorship]');
  for (let i = 0; i < 100; i++) {
    policy = (await api('GET', '/api/v1/identity/survivorship')).json;
    if (!policy.sources.find((s) => s.source === 'crm').configured) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(policy.fields.find((f) => f.field === 'address').configured, false);
  assert.deepEqual(policy.sources.find((s) => s.source === 'crm'), { source: 'crm', kind: 'internal', trust: 2, configured: false });
  const audit = (await api('GET', '/api/v1/audit?action=identity.survivorship')).json;
  assert.equal(audit.entries.length, 2, JSON.stringify(audit).slice(0, 400));
});

test('one customer view: the whole timeline page by page, orders in words and money, and who changed what', async () => {
  // Half an email or phone number typed: no red error, a hint that they are looked up whole.
  await page.goto(url + '/#/customers');
  await page.selectOption('select[name=phone-country]', '');
  await page.fill('input[name=search]', '09332');
  await page.waitForSelector('#search-hint');
  assert.match(await page.textContent('#search-hint'), /looked up whole/);
  assert.equal(await page.locator('main .error').count(), 0);
  await page.fill('input[name=search]', 'someone@exa');
  await page.waitForSelector('#search-hint:has-text("No customer matches")');
  assert.match(await page.textContent('#search-hint'), /looked up whole/);
  await page.fill('input[name=search]', '');

  // The customer with the longest history (more than one page of 50).
  let busiest = null;
  for (const c of (await api('GET', '/api/v1/customers?limit=300')).json.customers) {
    const first = (await api('GET', `/api/v1/customers/${c.id}/timeline?limit=50`)).json;
    if (first.next_cursor) {
      busiest = c;
      break;
    }
  }
  assert.ok(busiest, 'the demo data has a customer with more than 50 timeline items');
  const all = (await api('GET', `/api/v1/customers/${busiest.id}/timeline?limit=500`)).json.items;
  assert.ok(all.length > 50);
  await page.goto(`${url}/#/customers/${busiest.id}`);
  await page.waitForSelector('#timeline li');
  assert.equal(await page.locator('#timeline li').count(), 50);
  // "Show older" until there is nothing older: every item, none twice, newest first.
  while (await page.locator('button[name=timeline-older]').count()) {
    const before = await page.locator('#timeline li').count();
    await page.click('button[name=timeline-older]');
    await page.waitForFunction((n) => document.querySelectorAll('#timeline li').length > n, before);
  }
  assert.equal(await page.locator('#timeline li').count(), all.length);
  const shown = await page.$$eval('#timeline li time', (ts) => ts.map((t) => t.getAttribute('datetime')));
  assert.deepEqual(shown, all.map((i) => i.at));
  // An order reads as its number, its state, its total as money and its lines; no raw keys or JSON.
  const order = all.find((i) => i.kind === 'order' && i.detail.lines?.length);
  if (order) {
    const text = await page.textContent(`#timeline li.order:has(time[datetime="${order.at}"])`);
    assert.ok(text.includes(order.detail.order_number), text);
    assert.ok(text.includes(order.detail.lines[0].name), text);
    assert.doesNotMatch(text, /total_minor|\[\{|order_number/);
    const major = new Intl.NumberFormat('en', { style: 'currency', currency: order.detail.currency }).format(order.detail.total_minor / 100);
    assert.ok(text.includes(major), `${major} in ${text}`);
  }

  // The best send time in words: the weekday spelled out, not the model's "Tue 21:00 UTC".
  const traits = (await api('GET', `/api/v1/customers/${busiest.id}`)).json.traits;
  if (traits.best_send_hour) {
    const days = { Mon: 'Monday', Tue: 'Tuesday', Wed: 'Wednesday', Thu: 'Thursday', Fri: 'Friday', Sat: 'Saturday', Sun: 'Sunday' };
    const shownHour = await page.textContent('dd[data-trait=best_send_hour]');
    assert.ok(shownHour.startsWith(days[traits.best_send_hour.slice(0, 3)]), `${shownHour} for ${traits.best_send_hour}`);
  }

  // Edited on the page: the change is in the customer's history with who made it and which fields.
  await page.click('#profile button:has-text("Edit")');
  await page.fill('#profile input[name=city]', 'Göteborg');
  await page.click('#profile button[type=submit]');
  await page.waitForSelector('#profile dd:has-text("Göteborg")');
  await page.reload();
  const edited = '#history li[data-action="customer.update"]';
  await page.waitForSelector(edited);
  const line = await page.textContent(edited);
  assert.match(line, /Profile edited/);
  assert.match(line, /user:admin/);
  assert.match(line, /City/);
  const audit = (await api('GET', `/api/v1/audit?customer_id=${busiest.id}&action=customer.update`)).json.entries;
  assert.equal(await page.locator(edited).count(), audit.length);
  // Views are audited too, hidden until asked for.
  assert.equal(await page.locator('#history li[data-action="customer.read"]').count(), 0);
  await page.check('input[name=history-views]');
  await page.waitForSelector('#history li[data-action="customer.read"]');
  await shot('p11-customer-history');
});

test('a person\'s rights: an admin exports everything held about a customer, sees what erasure removes, and erases them', async () => {
  const list = (await api('GET', '/api/v1/customers?limit=300')).json.customers;
  const person = list[list.length - 1];
  await page.goto(`${url}/#/customers/${person.id}`);
  // Only the hash changes: the last test's customer may still be on the page
  // for a moment, so wait for this customer's export link.
  await page.waitForSelector(`#privacy #export-customer[href="/api/v1/customers/${person.id}/export"]`);
  // The export: the server's JSON file, downloaded.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-customer')]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(exported.format, 'patron-customer-export/1');
  assert.equal(exported.customer_id, person.id);
  assert.equal(exported.profile.id, person.id);
  // Erasure: first what would go (the server's dry run), then only once the number is typed.
  await page.click('#erase-plan');
  await page.waitForSelector('#erase-what li');
  const plan = (await api('DELETE', `/api/v1/customers/${person.id}?dry_run=true`)).json.plan;
  const listed = await page.$$eval('#erase-what li', (lis) => lis.map((li) => li.dataset.table));
  assert.deepEqual(listed.sort(), Object.keys(plan.rows).filter((k) => plan.rows[k] > 0).sort());
  assert.ok(await page.isDisabled('#erase'));
  await page.fill('input[name=erase-confirm]', String(person.id + 1));
  assert.ok(await page.isDisabled('#erase'));
  await page.fill('input[name=erase-confirm]', String(person.id));
  await page.click('#erase');
  await page.waitForSelector('#privacy .notice');
  assert.equal((await api('GET', `/api/v1/customers/${person.id}`)).status, 404);
  await shot('p12-customer-erased');
});

test('no script errors in the console', () => {
  const real = consoleErrors.filter((e) => !/status of 4[0-9][0-9]/.test(e));
  assert.deepEqual(real, []);
});
