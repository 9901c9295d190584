// The item list kept on the web, in a real browser: the market regulator's clerk
// drafts a new item on an office PC, is told beside the field what the rule book
// refuses, fixes it, saves the draft (the public list unchanged), publishes it with
// a reason, and the public list shows it with its category, ratio and frequency;
// the coordinator (编办) reads the joint lists with their approval.
//
// Needs BASE_URL (set by e2e/run.sh) and the demo county as `serve --demo` loads it.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(here, '..', 'docs', 'screenshots');
const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORD = 'Liancha#2026';
// Unique per run: the server may be reused between runs of this file.
const CODE = `SC-E${Date.now() % 100000}`;
const NAME = '网络交易平台经营者落实主体责任情况的检查';

async function shot(page, name, locator) {
  if (process.env.E2E_SCREENSHOTS === '0') return;
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  if (locator) await locator.screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
}

describe('items are drafted and published on the web', {
  skip: BASE === '' && 'BASE_URL is not set (run e2e/run.sh)',
  timeout: 120_000,
}, () => {
  let browser;
  const serverErrors = [];

  async function signIn(username, phone) {
    const context = await browser.newContext({
      baseURL: BASE,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      ...(phone
        ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
        : { viewport: { width: 1366, height: 768 } }),
    });
    context.setDefaultTimeout(20_000);
    context.on('response', (r) => {
      if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.url()}`);
    });
    const page = await context.newPage();
    await page.goto('/login');
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: '登录' }).click()]);
    return page;
  }

  async function submit(page, name) {
    const nav = page.waitForNavigation({ waitUntil: 'load' });
    await page.getByRole('button', { name, exact: true }).click();
    return nav;
  }

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser?.close();
    assert.deepEqual(serverErrors, []);
  });

  it('a clerk drafts an item, fixes what the rule book refuses, and publishes it', async () => {
    const page = await signIn('amr-admin', false);
    await page.goto('/staff/items');
    const publicList = await page.getByRole('link', { name: '公开页面' }).getAttribute('href');
    assert.match(publicList, /^\/c\/\d+\/items$/);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: '新增事项' }).click()]);
    assert.match(page.url(), /\/staff\/items\/new$/);

    await page.getByLabel(/事项编码/).fill(CODE);
    await page.getByLabel('抽查事项', { exact: true }).fill(NAME);
    await page.getByLabel(/抽查依据/).fill('《中华人民共和国电子商务法》第二十七条、第八十条');
    await page.getByLabel('网络监测').check();
    await page.getByLabel('书面检查').check();
    await page.getByLabel('事项类别').selectOption('key');
    await page.getByLabel(/抽查比例/).fill('5');
    // The market rule book's annual cap is 2: three times a year is refused.
    await page.getByLabel(/抽查频次/).fill('每年3次');
    await page.getByLabel('牟定县卫生健康局').check();
    const refused = await submit(page, '保存草稿');
    assert.equal(refused.status(), 422);
    const frequency = page.getByLabel(/抽查频次/);
    assert.equal(await frequency.getAttribute('aria-invalid'), 'true');
    const beside = page.locator('label').filter({ has: frequency }).locator('.field-error');
    assert.match(await beside.innerText(), /年度抽查上限 2 次/);
    // What was typed is still there.
    assert.equal(await page.getByLabel('抽查事项', { exact: true }).inputValue(), NAME);
    assert.ok(await page.getByLabel('牟定县卫生健康局').isChecked());
    await shot(page, 'item-refused-office', page.locator('#draft'));

    await frequency.fill('1');
    const saved = await submit(page, '保存草稿');
    assert.equal(saved.status(), 200);
    assert.match(await page.getByRole('status').innerText(), /草稿已保存/);
    assert.match(await page.locator('main').innerText(), /新草稿/);

    // Not on the public list until published.
    const anon = await browser.newContext({ baseURL: BASE, locale: 'zh-CN' });
    const pub = await anon.newPage();
    await pub.goto(publicList);
    assert.doesNotMatch(await pub.locator('main').innerText(), new RegExp(CODE));

    // Publishing without a reason is refused; with one, it is public.
    await shot(page, 'item-draft-office');
    await page.getByLabel(/发布原因/).fill('');
    const noReason = await submit(page, '发布');
    assert.equal(noReason.status(), 422);
    assert.match(await page.locator('#publish .field-error').innerText(), /发布原因/);
    await page.getByLabel(/发布原因/).fill('依据电子商务法新增网络交易事项');
    const published = await submit(page, '发布');
    assert.equal(published.status(), 200);
    assert.match(await page.getByRole('status').innerText(), /已发布/);
    assert.match(await page.locator('#versions').locator('xpath=following-sibling::table[1]').innerText(), /第 1 版/);
    // The item's history names the publication and its reason.
    const history = await page.locator('#history ~ table.log').innerText();
    assert.match(history, /发布抽查事项/);
    assert.match(history, /依据电子商务法新增网络交易事项/);

    await pub.goto(publicList);
    const row = pub.locator('tr').filter({ hasText: CODE });
    const text = await row.innerText();
    assert.match(text, /重点/);
    assert.match(text, /不低于 5%/);
    assert.match(text, /每年 1 次/);
    assert.match(text, /配合：牟定县卫生健康局/);
    await anon.close();
    await page.context().close();
  });

  it('on a phone the item list and the joint lists read as cards', async () => {
    const page = await signIn('bianban', true);
    await page.goto('/staff/items?category=key');
    assert.ok(await page.locator('tr').filter({ hasText: 'SC-003' }).count() > 0);
    await shot(page, 'items-phone');
    await page.goto('/staff/joint-lists');
    assert.match(await page.locator('main').innerText(), /已审定公布/);
    await shot(page, 'joint-lists-phone');
    await page.context().close();
  });
});
