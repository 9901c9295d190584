// Public pages in the browser: the draw verifier recomputes a record in Chromium
// with the Web Crypto API (genuine, tampered, and county-sized), and the
// check-a-visit page refuses an unknown code.
//
// Needs BASE_URL (set by e2e/run.sh).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawInput, pretty } from '../crates/web/static/verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const VECTORS = join(here, '..', 'crates', 'draw', 'tests', 'vectors');
const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** A county-sized plan: 25,000 entities, 150 inspectors, 40 teams. */
function countyInput() {
  let s = 7;
  const r = (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const towns = ['共和镇', '新桥镇', '江坡镇', '凤屯镇', '蟠猫乡', '戌街乡', '安乐乡'];
  const entities = [];
  for (let i = 0; i < 25000; i++) {
    entities.push({ id: `92532323MA${String(i).padStart(8, '0')}`, stratum: 'ABCD'[r(4)], township: towns[r(7)] });
  }
  const departments = ['amr', 'agri', 'health'];
  const inspectors = [];
  for (let i = 0; i < 150; i++) inspectors.push({ id: `532323${String(i).padStart(4, '0')}`, department: departments[i % 3], township: towns[r(7)] });
  return JSON.stringify({
    format: 'liancha-draw/1',
    plan: {
      task: { id: 1, title: '全县联合抽查' },
      entities,
      quotas: [{ stratum: 'A', ratio_bp: 300 }, { stratum: 'B', ratio_bp: 500 }, { stratum: 'C', ratio_bp: 1000 }, { stratum: 'D', ratio_bp: 2000 }],
      inspectors,
      conflicts: [],
      teams: { count: 40, size: 2, departments: ['amr', 'agri'], avoid_same_township: true },
      sources: ['公证员掷骰'],
    },
    reveal: ['3 1 4 1 5'],
  });
}

describe('public pages', { skip: BASE === '' && 'BASE_URL is not set (run e2e/run.sh)' }, () => {
  let browser;
  let page;

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await (await browser.newContext()).newPage();
  });

  after(async () => {
    await browser?.close();
  });

  async function verifyFile(name, buffer) {
    await page.goto(`${BASE}/verify`);
    const started = Date.now();
    await page.locator('#record-file').setInputFiles({ name, mimeType: 'application/json', buffer });
    const result = page.locator('#verify-result');
    await result.locator('xpath=self::*[@data-status="ok" or @data-status="mismatch" or @data-status="error"]').waitFor({ timeout: 30000 });
    return { status: await result.getAttribute('data-status'), text: await result.textContent(), ms: Date.now() - started };
  }

  it('a genuine record is 一致', async () => {
    const v = await verifyFile('small.json', readFileSync(join(VECTORS, 'small.json')));
    assert.equal(v.status, 'ok', v.text);
    assert.match(v.text, /一致/);
  });

  it('a tampered record names the first field that differs', async () => {
    const v = await verifyFile('tampered.json', readFileSync(join(VECTORS, 'tampered-order.json')));
    assert.equal(v.status, 'mismatch', v.text);
    assert.match(v.text, /result\.selected\[0\]\.id/);
    // Said in Chinese: where, and what differs.
    assert.match(v.text, /不一致：第 1 个抽中主体（result\.selected\[0\]\.id）/);
    assert.match(v.text, /重新计算得 .*，记录中为 /);
  });

  // A visitor who pastes a broken file reads why in Chinese, with the place.
  it('a malformed record is refused in Chinese, line and column named', async () => {
    const v = await verifyFile('broken.json', Buffer.from('{\n  "format" "liancha-draw/1"\n}'));
    assert.equal(v.status, 'error', v.text);
    assert.match(v.text, /无法验证：内容不是有效的 JSON/);
    assert.doesNotMatch(v.text, /不一致|未通过/, 'a file that cannot be read is not a draw that failed');
    assert.match(v.text, /第 2 行第 12 列：键名之后应为冒号「:」/);
    assert.doesNotMatch(v.text, /\bexpected\b|\bmust\b/);
    const plan = await verifyFile('plan.json', Buffer.from('{"format":"liancha-draw/1","plan":{},"reveal":[],"plan_digest":"","seed":"","result":{}}'));
    assert.equal(plan.status, 'error', plan.text);
    assert.match(plan.text, /✗ 未通过验证：抽取方案不符合规则/);
    assert.match(plan.text, /`plan` 缺少必需的键 `task`/);
  });

  // The figure is reported, not asserted tightly: timing belongs to measurements,
  // and a loaded CI machine must not turn it red (target: under 5 s).
  it('a county-sized record (25,000 entities) verifies in the browser', async () => {
    const record = await drawInput(countyInput());
    const v = await verifyFile('county.json', Buffer.from(pretty(record)));
    assert.equal(v.status, 'ok', v.text);
    console.log(`county-sized record verified in Chromium in ${v.ms} ms`);
    assert.ok(v.ms < 30000, `${v.ms} ms`);
  });

  // The log check in the browser on the demo year's largest published draw: its
  // sealing found in the log, before its source, and the record the one committed to.
  it('the largest published draw is found in the transparency log, in the browser', async () => {
    const { items } = await (await fetch(`${BASE}/api/v1/tasks?county=532323`)).json();
    let best = null;
    for (const t of items) {
      const r = await fetch(`${BASE}/public/tasks/${t.id}/record.json`);
      if (!r.ok) continue;
      const n = (await r.json()).plan.entities.length;
      if (!best || n > best.n) best = { id: t.id, n };
    }
    assert.ok(best, 'the demo year has a published record');
    const started = Date.now();
    await page.goto(`${BASE}/verify?task=${best.id}`);
    const log = page.locator('#log-result');
    await page.locator('#log-result[data-status=ok]').waitFor({ timeout: 30000 });
    const text = await log.textContent();
    assert.match(text, /方案封存记入日志第 \d+ 条/);
    assert.match(text, /封存早于其最早揭示时间/);
    assert.match(text, /抽取记录就是日志在抽取时记下摘要的那一份/);
    console.log(`a published record of ${best.n} entities checked against the log in Chromium in ${Date.now() - started} ms`);
  });

  it('an unknown check code is refused', async () => {
    await page.goto(`${BASE}/check?code=ZZZZ2222`);
    assert.match(await page.locator('[role=alert]').textContent(), /未找到该核验码/);
  });
});
