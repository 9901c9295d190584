// Check points (检查要点) in a real browser: the demo's 食品经营者部门联合抽查 joins the
// market regulator's food item (SC-003) and the health commission's public-places
// item (WS-001), which share one point, 从业人员健康证明. On a phone the team's
// inspector is asked it once, answers every point, lets the answers fill in both
// items' results (each citing its own law) and submits; the printed 联合检查记录表
// of the team asks the shared point once too.
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
const TASK = '食品经营者部门联合抽查';
const SHARED = '从业人员是否取得健康证明后上岗';

async function shot(page, name, locator) {
  if (process.env.E2E_SCREENSHOTS === '0') return;
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  if (locator) await locator.screenshot({ path });
  else await page.screenshot({ path });
}

describe('check points drive the phone form and the printed record form', {
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
        : { viewport: { width: 1280, height: 900 } }),
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
  });

  let taskPath;

  it('the inspector answers each point once on a phone and the answers fill in both items', async () => {
    const page = await signIn('inspector', true);
    await page.goto('/staff/my');
    const visit = page.locator('ul.visits li').filter({ hasText: TASK }).filter({ hasText: '待检查' }).first();
    await visit.locator('a').click();
    await page.waitForURL(/\/staff\/tasks\/\d+\/visits\//);
    taskPath = new URL(page.url()).pathname.replace(/\/visits\/.*$/, '');
    // 扫码入企 first: the result form waits for the check-in with the entity's code,
    // which the team is not shown: the county's coordinator reads it for the test.
    const coordinator = await signIn('bianban');
    await coordinator.goto(page.url());
    const code = (await coordinator.locator('dt:text-is("核验码") + dd').innerText()).trim();
    await coordinator.context().close();
    await page.fill('input[name=code]', code);
    await submit(page, '签到');
    await page.waitForURL(/done=checked-in/);

    const points = page.locator('#points');
    assert.match(await points.locator('legend').innerText(), /检查要点（一表通查，共 4 项）/);
    // The shared point: asked once, said to be shared, both departments' law beside it.
    const shared = points.locator('.point').filter({ hasText: SHARED });
    assert.equal(await shared.count(), 1);
    const text = await shared.innerText();
    assert.match(text, /牟定县市场监督管理局、牟定县卫生健康局共用/);
    assert.match(text, /《中华人民共和国食品安全法》第四十五条/);
    assert.match(text, /《公共场所卫生管理条例》第七条/);

    // Enter in the date field submits the results as before, not the proposal.
    const entered = page.waitForNavigation({ waitUntil: 'load' });
    await page.locator('input[name=inspected_on]').press('Enter');
    assert.equal((await entered).status(), 422);
    assert.equal(await page.locator('.point[aria-invalid="true"]').count(), 0);
    assert.match(await page.getByRole('alert').first().innerText(), /未保存/);

    // Half a form proposes nothing: the unanswered points are named.
    await points.locator('.point').first().getByLabel('符合', { exact: true }).check();
    // (A draft of this visit saved earlier on the same server may hold answers.)
    const answered = await points.locator('.point:has(input:checked)').count();
    const refused = await submit(page, '按要点填入结果');
    assert.equal(refused.status(), 422);
    assert.ok(answered < 4);
    assert.equal(await page.locator('.point[aria-invalid="true"]').count(), 4 - answered);
    await shot(page, 'points-unanswered-phone', page.locator('#points'));

    // Every point answered; the shared one fails.
    const answer = (content, label) =>
      page.locator('.point').filter({ hasText: content }).getByLabel(label, { exact: true }).check();
    await answer(SHARED, '不符合');
    await answer('是否查验供货者许可证', '符合');
    await answer('卫生许可证', '不涉及');
    const proposed = await submit(page, '按要点填入结果');
    assert.equal(proposed.status(), 200);
    assert.match(await page.getByRole('status').first().innerText(), /已按检查要点填入/);
    const food = page.locator('fieldset.item').filter({ hasText: '食品经营者经营条件' });
    const health = page.locator('fieldset.item').filter({ hasText: '公共场所卫生监督检查' });
    assert.ok(await food.getByLabel('发现问题已责令改正').isChecked());
    assert.match(await food.locator('textarea').inputValue(), /《中华人民共和国食品安全法》第四十五条/);
    assert.ok(await health.getByLabel('发现问题已责令改正').isChecked());
    assert.match(await health.locator('textarea').inputValue(), /《公共场所卫生管理条例》第七条/);
    await shot(page, 'points-proposed-phone', food);

    const done = await submit(page, '提交检查结果');
    assert.equal(done.status(), 200);
    assert.match(page.url(), /done=submitted/);
    assert.match(await page.locator('h1 .state').innerText(), /待审核|已提交/);
    const results = await page.locator('table').filter({ hasText: '问题描述' }).innerText();
    assert.match(results, /第四十五条/);
    assert.match(results, /第七条/);
    await page.context().close();
  });

  it('the printed record form of the team asks the shared point once', async () => {
    assert.ok(taskPath, 'the first test found the task');
    const page = await signIn('bianban', false);
    await page.goto(`${taskPath}/forms?team=1`);
    const documents = page.locator('section.document');
    const n = await documents.count();
    assert.ok(n > 0);
    const first = documents.first();
    const table = first.locator('table.points');
    assert.match(await table.locator('caption').innerText(), /一表通查/);
    assert.equal(await table.locator('tbody tr').count(), 4);
    assert.equal(await table.locator('tbody tr').filter({ hasText: SHARED }).count(), 1);
    assert.match(await table.innerText(), /牟定县市场监督管理局、牟定县卫生健康局共用/);
    await shot(page, 'points-record-form', first);
    await page.context().close();
    assert.deepEqual(serverErrors, []);
  });
});
