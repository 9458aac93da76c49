// The weekly report as a reader opens it (tests/browser/report.sh): in Debian's
// headless Chromium, at a desktop and a phone width, in English (left to
// right), Persian and Arabic (right to left): the charts are there, nothing is
// fetched, and no element sticks out of the viewport horizontally.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const dir = process.env.REPORT_DIR;
const shots = process.env.SCREENSHOTS;
assert.ok(dir && shots, 'REPORT_DIR and SCREENSHOTS are required');

let context, profile;
before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'patron-report-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});
after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function open(lang, width) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto('file://' + join(dir, `weekly-${lang}.html`));
  return { page, requests };
}

// Elements whose box reaches beyond the viewport's left or right edge (those
// inside a horizontal scroller, meant to scroll, excepted).
async function overflowing(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('.scroll') && !el.classList.contains('scroll')) continue;
      if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > vw + 1 || r.left < -1) out.push(`${el.tagName} ${el.className?.baseVal ?? el.className} ${Math.round(r.left)}..${Math.round(r.right)} > ${vw}`);
    }
    if (document.documentElement.scrollWidth > vw + 1) out.push(`page scrollWidth ${document.documentElement.scrollWidth} > ${vw}`);
    return out;
  });
}

for (const [lang, dir_] of [['en', 'ltr'], ['fa', 'rtl'], ['ar', 'rtl']]) {
  for (const width of [1280, 390]) {
    test(`weekly report ${lang} at ${width}px: charts, ${dir_}, no horizontal overflow`, async () => {
      const { page, requests } = await open(lang, width);
      assert.equal(await page.getAttribute('html', 'dir'), dir_);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      const charts = await page.locator('svg').count();
      assert.ok(charts >= 4, `expected the trend, cohort and quality charts, found ${charts} svg elements`);
      assert.ok((await page.locator('svg polyline').count()) >= 2, 'KPI trend lines');
      assert.ok((await page.locator('svg.heatmap rect').count()) >= 1, 'cohort heatmap cells');
      for (const id of ['kpis', 'trends', 'cohorts', 'campaigns', 'quality', 'actions'])
        assert.equal(await page.locator(`section#${id}`).count(), 1, `section ${id}`);
      assert.ok((await page.locator('.card').count()) >= 5, 'KPI cards');
      if (lang === 'fa') assert.match(await page.locator('header').innerText(), /[۰-۹]/, 'Persian digits');
      if (lang === 'ar') assert.match(await page.locator('header').innerText(), /[٠-٩]/, 'Arabic-Indic digits');
      assert.deepEqual(await overflowing(page), []);
      assert.deepEqual(requests, [], 'the report fetches nothing');
      await page.screenshot({ path: join(shots, `weekly-${lang}-${width}.png`), fullPage: true });
      await page.close();
    });
  }
}
