// The staff workflow of a joint inspection, in a real browser: a county coordinator
// creates a two-department task, seals the plan, registers a witness, reveals the
// source and draws; an inspector (on a phone) and a department admin (from paper
// forms) record results; both departments approve; the lead department publishes;
// oversight reads. Also what a stale or doubled form, a wrong URL or a source
// revealed too early gives: a page that says why, and nothing changed.
//
// Needs a running server with the demo county (BASE_URL), its database
// (LIANCHA_DB_URL) and binary (LIANCHA_BIN): `bash e2e/run.sh` provides them.
// Screenshots of the key steps go to docs/screenshots/ (E2E_SCREENSHOTS=0: none).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(here, '..', 'docs', 'screenshots');
const FAILURES = join(here, 'test-results');

const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const BIN = process.env.LIANCHA_BIN;
const DB = process.env.LIANCHA_DB_URL;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const PASSWORD = 'Liancha#2026'; // every demo account
const INSPECTOR_INITIAL = 'Init#2026a';
const INSPECTOR_NEW = 'Jiancha#2026b';
const ITEMS = ['SC-001', 'NY-001']; // 市场监管局, 农业农村局
const DAY = 24 * 3600 * 1000;

/** Beijing time (UTC+8) as `YYYY-MM-DDTHH:MM:SS`, `offsetMs` from now. */
function beijing(offsetMs = 0) {
  return new Date(Date.now() + offsetMs + 8 * 3600 * 1000).toISOString().slice(0, 19);
}
const today = () => beijing().slice(0, 10);

// ------------------------------------------------------------------ harness

let chromium;
let browser;
const sessions = new Map(); // name -> { context, page }
const serverErrors = []; // any 5xx answer seen by any page
let broken = null; // the first failed step: later steps are skipped

/** A step of the one workflow: steps run in order; after a failure the rest skip. */
function step(name, fn) {
  it(name, async (t) => {
    if (broken) {
      t.skip(`an earlier step failed: ${broken}`);
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      await saveFailurePages(name);
      throw e;
    }
  });
}

async function saveFailurePages(stepName) {
  mkdirSync(FAILURES, { recursive: true });
  const slug = stepName.replace(/[^\w\u4e00-\u9fff-]+/g, '_').slice(0, 60);
  for (const [who, s] of sessions) {
    for (const [i, p] of s.context.pages().entries()) {
      await p
        .screenshot({ path: join(FAILURES, `${slug}-${who}-${i}.png`), fullPage: true })
        .catch(() => {});
    }
  }
}

/**
 * A screenshot for the user guide: the whole page, only the viewport
 * (`fullPage` false), or the page down to the heading `until` (the task page's
 * long JSON log is left out: it is wider than the window).
 */
async function shot(page, name, { fullPage = true, until } = {}) {
  if (process.env.E2E_SCREENSHOTS === '0') return;
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  const box = until ? await page.locator(until).first().boundingBox() : null;
  if (box) {
    const width = page.viewportSize().width;
    const height = Math.ceil(box.y + (await page.evaluate(() => window.scrollY))) - 8;
    await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height } });
  } else {
    await page.screenshot({ path, fullPage });
  }
}
const BEFORE_LOG = 'h2:text-is("任务日志")';

/** A fresh browser context (own cookies) for one account, signed in. */
async function signIn(who, { username = who, password = PASSWORD, phone = false, screenshot } = {}) {
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
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  const page = await context.newPage();
  sessions.set(who, { context, page });
  await page.goto('/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  if (screenshot) await shot(page, screenshot, { fullPage: false });
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: '登录' }).click()]);
  return page;
}

/**
 * A second tab of the same session on `url`, as if the user had the form open
 * twice. The first tab is brought back to the front: a background tab's frames
 * are throttled, which makes every action there wait.
 */
async function secondTab(page, url) {
  const tab = await page.context().newPage();
  await tab.goto(url);
  await page.bringToFront();
  return tab;
}

/** A 1×1 PNG, as a phone camera's photo stands in for in the tests. */
const PHOTO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * An irreversible step: the form's box saying what cannot be undone must be ticked
 * first (the browser will not send the form without it), then the button clicked.
 */
async function confirmAndSubmit(page, buttonName) {
  const button = page.getByRole('button', { name: buttonName, exact: typeof buttonName === 'string' });
  const box = button.locator('xpath=ancestor::form//input[@name="confirm"]');
  assert.equal(await box.count(), 1, `a confirmation box beside ${buttonName}`);
  assert.match(await box.locator('xpath=ancestor::label').innerText(), /不可|不能|公示|改变|立即/);
  await box.check();
  return submit(page, buttonName);
}

/**
 * 上传并预览: the upload goes through the page's script (it shows the upload's
 * progress, then the server's page replaces the document, which is no navigation),
 * so this waits for the new page's (hidden) progress line instead.
 */
async function uploadAndPreview(page) {
  await page.getByRole('button', { name: '上传并预览' }).click();
  // Hidden again once the server's page has replaced the form's (upload.test.mjs
  // watches the progress itself, on a throttled line).
  await page.locator('form[data-upload-progress] .upload-status').waitFor({ state: 'hidden' });
  await page.waitForLoadState('load');
}

/** Clicks a submit button and waits for the page the form leads to. */
async function submit(page, buttonName) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await page.getByRole('button', { name: buttonName, exact: typeof buttonName === 'string' }).click();
  return nav;
}

/**
 * The refusal page: status, Chinese message, nothing changed, said inside the
 * workbench (its menu and the signed-in user still there).
 */
async function expectRefusal(page, response, { status, message }) {
  assert.equal(response.status(), status, `HTTP status of ${page.url()}`);
  await assertText(page.locator('h1'), '未能完成');
  assert.equal(await page.locator('body.staff header .who').count(), 1, 'the staff header stays');
  assert.equal(await page.getByRole('link', { name: '返回工作台' }).count(), 1);
  const alert = await page.getByRole('alert').innerText();
  assert.match(alert, message);
  return alert;
}

async function assertText(locator, expected) {
  const text = (await locator.innerText()).trim();
  if (expected instanceof RegExp) assert.match(text, expected);
  else assert.ok(text.includes(expected), `expected ${JSON.stringify(expected)} in ${JSON.stringify(text)}`);
}

/** The table right after the heading whose text starts with `heading`. */
function tableAfter(page, heading) {
  return page
    .locator('h2', { hasText: new RegExp(`^${heading}`) })
    .first()
    .locator('xpath=following-sibling::table[1]');
}

/** Teams of the task page: [{ no, members: [{ name, department, id }] }]. */
async function readTeams(page) {
  return tableAfter(page, '检查组').evaluate((table) =>
    [...table.tBodies[0].rows].map((tr) => ({
      no: Number(tr.cells[0].textContent.match(/\d+/)[0]),
      members: [...tr.cells[1].children]
        .filter((s) => s.tagName === 'SPAN')
        .map((s) => {
          const m = s.textContent.match(/^(.+?)（(.+?)，/);
          return { name: m[1], department: m[2], id: s.querySelector('.id').textContent.trim() };
        }),
    })),
  );
}

/** Visits of the task page: [{ href, name, entity, code, team, state }]. */
async function readVisits(page) {
  return tableAfter(page, '检查对象').evaluate((table) =>
    [...table.tBodies[0].rows].map((tr) => {
      const a = tr.cells[1].querySelector('a');
      const team = tr.cells[4].textContent.match(/\d+/);
      return {
        href: a.getAttribute('href'),
        name: a.textContent.trim(),
        entity: tr.cells[2].textContent.trim(),
        code: tr.cells[5].textContent.trim(),
        team: team ? Number(team[0]) : null,
        state: tr.cells[6].textContent.trim(),
      };
    }),
  );
}

/** Fills the result form of one visit: per item one category and 实地检查. */
async function fillResults(page, categories = {}) {
  assert.equal(await page.inputValue('input[name=inspected_on]'), today());
  for (const code of ITEMS) {
    // A department's staff see only their own items' inputs.
    if ((await page.locator(`input[name="cat_${code}"]`).count()) === 0) continue;
    await page.check(`input[name="cat_${code}"][value="${categories[code] || 'none'}"]`);
    await page.check(`input[name="method_${code}"][value="on-site"]`);
  }
}

// ------------------------------------------------------------------ the workflow

const skip = BASE ? false : 'BASE_URL is not set: run `bash e2e/run.sh`';

describe('staff workflow of a joint inspection', { skip, timeout: 240_000 }, () => {
  const stamp = beijing().replace(/[-T:]/g, '').slice(0, 14); // tells runs on one server apart
  const title = `E2E 市场监管与农业部门联合抽查 ${stamp}`;
  const inspectorUser = `insp${stamp.slice(4)}`;
  let taskId;
  // This task's follow-up of the entity (the demo year may have given it others).
  const followUpRow = (page) =>
    page.locator('#follow-up-list tbody tr', { hasText: unreachable.entity }).filter({ hasText: `任务 ${taskId}` });
  let taskUrl;
  let digest;
  let draftPreview; // the draft task page's preview rows, compared with the sealed plan's
  let notBefore; // ms since epoch when the declared source may be revealed
  let teams;
  let visits;
  let myTeam;
  let inspectorId;
  let unreachable; // the visit recorded as 无法联系
  let deregistered; // an enterprise of 共和镇 deregistered on its page before the task
  let stillActive; // another enterprise of 共和镇, left as it was

  before(async () => {
    ({ chromium } = await import('playwright-core'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    for (const s of sessions.values()) await s.context.close().catch(() => {});
    await browser?.close();
  });

  step('a wrong password is refused; the coordinator signs in', async () => {
    const context = await browser.newContext({ baseURL: BASE, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto('/login');
    await page.fill('input[name=username]', 'bianban');
    await page.fill('input[name=password]', 'not-the-password');
    const nav = page.waitForNavigation();
    await page.getByRole('button', { name: '登录' }).click();
    assert.equal((await nav).status(), 401);
    assert.ok((await page.getByRole('alert').innerText()).length > 0);
    await context.close();

    const p = await signIn('bianban', { screenshot: 'login' });
    assert.equal(new URL(p.url()).pathname, '/staff');
    await assertText(p.locator('header .who'), '县级统筹');
  });

  step('the amr admin deregisters an enterprise on its page; a refused edit changes nothing', async () => {
    const page = await signIn('amr-admin');
    await page.getByRole('link', { name: '名录库' }).click();
    await page.waitForURL('**/staff/entities');
    await page.selectOption('select[name=township]', '共和镇');
    await page.selectOption('select[name=entity_type]', 'enterprise');
    await page.selectOption('select[name=status]', 'active');
    await submit(page, '查询');
    const rows = page.locator('table tbody tr');
    deregistered = (await rows.nth(0).locator('td').first().innerText()).trim();
    stillActive = (await rows.nth(1).locator('td').first().innerText()).trim();
    await Promise.all([
      page.waitForURL(`**/staff/entities/${deregistered}`),
      rows.nth(0).locator('td[data-label="名称"] a').click(),
    ]);
    await assertText(page.locator('dt:text-is("登记状态") + dd'), '存续');
    // Refused (a reason that says nothing): the page says why beside the field, keeps
    // what was typed, and nothing changed.
    await page.selectOption('select[name=status]', 'deregistered');
    await page.fill('input[name=contact_name]', '王芳');
    await page.fill('textarea[name=reason]', '注');
    const refused = await submit(page, '保存修改');
    assert.equal(refused.status(), 422);
    await assertText(page.locator('label:has(textarea[name=reason]) .field-error'), '修改原因');
    assert.equal(await page.inputValue('select[name=status]'), 'deregistered');
    assert.equal(await page.inputValue('input[name=contact_name]'), '王芳');
    await assertText(page.locator('dt:text-is("登记状态") + dd'), '存续');
    await page.fill('textarea[name=reason]', '2026年11月20日注销登记公告');
    await submit(page, '保存修改');
    await assertText(page.getByRole('status'), '已保存');
    await assertText(page.locator('dt:text-is("登记状态") + dd'), '注销');
    await assertText(page.locator('dt:text-is("联络员") + dd'), '王芳');
    const history = tableAfter(page, '变更记录');
    await assertText(history, '2026年11月20日注销登记公告');
    await assertText(history, '存续 → 注销');
    await shot(page, 'entity-record');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'entity-record-phone', { fullPage: false });
    const { context } = sessions.get('amr-admin');
    sessions.delete('amr-admin');
    await context.close();
  });

  step('the coordinator creates a two-department task', async () => {
    const { page } = sessions.get('bianban');
    await page.goto('/staff/tasks');
    await Promise.all([page.waitForURL('**/staff/tasks/new'), page.getByRole('link', { name: '新建任务' }).click()]);
    await page.fill('input[name=title]', title);
    await page.fill('input[name=year]', today().slice(0, 4));
    // The lead department follows the domain: the market's by default, agriculture's
    // when the domain changes to it.
    assert.equal(await page.inputValue('select[name=lead_department]'), 'amr');
    await page.selectOption('select[name=domain]', 'agriculture');
    assert.equal(await page.inputValue('select[name=lead_department]'), 'agri');
    await page.selectOption('select[name=domain]', 'market');
    assert.equal(await page.inputValue('select[name=lead_department]'), 'amr');
    // Inspections start today by default: results entered today are accepted.
    assert.equal(await page.inputValue('input[name=inspection_start]'), today());
    await page.fill('input[name=inspection_start]', today());
    await page.fill('input[name=inspection_end]', beijing(30 * DAY).slice(0, 10));
    for (const code of ITEMS) await page.check(`input[name=items][value="${code}"]`);
    await page.check('input[name=townships][value="共和镇"]');
    await page.check('input[name=entity_types][value="enterprise"]');
    await page.check('input[name=quota_kind][value=count]');
    for (const c of 'abcd') await page.fill(`input[name=quota_${c}]`, '2');
    await page.fill('input[name=team_count]', '2');
    await page.fill('input[name=team_size]', '2');
    // Without township avoidance both teams get visits whatever the draw (a team with a
    // member living in 共和镇 would get none), so both the inspector's own team and the
    // other team, entered from paper forms, have work.
    await page.uncheck('input[name=avoid_same_township]');
    // A refused form comes back on the same page under the staff menu, each error
    // beside its field, everything typed kept.
    await page.fill('input[name=year]', '二〇二六');
    await page.fill('input[name=team_count]', '两');
    const refused = await submit(page, '保存草稿');
    assert.equal(refused.status(), 422);
    await assertText(page.locator('label:has(input[name=year]) .field-error'), '年度须为四位数字');
    await assertText(page.locator('label:has(input[name=team_count]) .field-error'), '检查组数量须为整数');
    await assertText(page.getByRole('alert'), '共 2 处');
    assert.equal(await page.inputValue('input[name=title]'), title);
    assert.equal(await page.isChecked('input[name=townships][value="共和镇"]'), true);
    assert.equal(await page.inputValue('input[name=quota_a]'), '2');
    await shot(page, 'task-form-errors', { fullPage: false });
    const office = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'task-form-errors-phone', { fullPage: false });
    await page.setViewportSize(office);
    await page.fill('input[name=year]', today().slice(0, 4));
    await page.fill('input[name=team_count]', '2');
    await shot(page, 'task-form');
    await submit(page, '保存草稿');
    const m = page.url().match(/\/staff\/tasks\/(\d+)\?done=created$/);
    assert.ok(m, `landed on ${page.url()}`);
    taskId = Number(m[1]);
    taskUrl = `/staff/tasks/${taskId}`;
    await assertText(page.getByRole('status'), '任务已创建（草稿）');
    await assertText(page.locator('h1'), title);
    await assertText(page.locator('h1 .state'), '草稿');
    await assertText(page.locator('dt:text-is("参与部门") + dd'), /^牟定县农业农村局、牟定县市场监督管理局$/);
    await assertText(page.locator('dl.facts'), 'A 类 2 户，B 类 2 户，C 类 2 户，D 类 2 户');
    // Before sealing, the page previews what the draw takes: each risk class's pool and
    // quota (2 a class, or the whole class when it is smaller).
    const rows = await tableAfter(page, '抽取预览').evaluate((t) =>
      [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent.trim())),
    );
    assert.equal(rows.length, 5, 'four risk classes and the total');
    let pool = 0;
    let quota = 0;
    for (const [label, population, rule, k] of rows.slice(0, 4)) {
      assert.match(label, /类/);
      assert.equal(rule, '2 户');
      assert.equal(Number(k), Math.min(2, Number(population)));
      pool += Number(population);
      quota += Number(k);
    }
    assert.deepEqual(rows[4].filter((c) => c !== ''), ['合计', String(pool), String(quota)]);
    draftPreview = rows;
  });

  step('sealing waits for 检查审批: the coordinator asks, the amr head refuses with an opinion, then approves on a phone', async () => {
    const { page } = sessions.get('bianban');
    await page.goto(taskUrl);
    await assertText(page.locator('h2#approval + p'), '未报请审批');
    await assertText(page.locator('.notice.warn', { hasText: '审批同意后' }), '负责人审批同意后才能封存抽取方案');
    assert.equal(await page.getByRole('button', { name: '封存方案' }).count(), 0, 'no sealing before approval');
    await submit(page, '报请审批');
    assert.match(page.url(), /\?done=approval-requested$/);
    await assertText(page.getByRole('status'), '已报请部门负责人审批');
    assert.equal(await page.getByRole('button', { name: '报请审批' }).count(), 0, 'asked once');

    // The head finds it on the phone's home page, and sends it back with an opinion.
    const head = await signIn('amr-head', { phone: true });
    await assertText(head.locator('h2#approvals + table'), title);
    await Promise.all([head.waitForURL(`**${taskUrl}#approval`), head.locator('h2#approvals + table').getByRole('link', { name: title }).click()]);
    await assertText(head.locator('h2#approval + p'), '待负责人审批');
    await shot(head, 'task-approval-phone');
    // Sent back without saying why: refused, nothing recorded.
    const [refused] = await Promise.all([
      head.waitForResponse((r) => r.url().endsWith(`${taskUrl}/approval`) && r.request().method() === 'POST'),
      submit(head, '不同意，退回修改'),
    ]);
    await expectRefusal(head, refused, { status: 422, message: /请写明审批意见/ });
    await head.goto(taskUrl);
    await assertText(head.locator('h2#approval + p'), '待负责人审批');
    await head.fill('textarea[name=opinion]', '请把检查期间延至三十日，并写明分工');
    await submit(head, '不同意，退回修改');
    await assertText(head.getByRole('status'), '已不同意');

    await page.goto(taskUrl);
    await assertText(page.locator('h2#approval + p'), '负责人不同意');
    await assertText(tableAfter(page, '检查审批'), '请把检查期间延至三十日，并写明分工');
    await submit(page, '报请审批');
    await head.goto(taskUrl);
    await submit(head, '同意');
    await assertText(head.getByRole('status'), '已同意');
    await page.goto(taskUrl);
    await assertText(page.locator('h2#approval + p'), '负责人已同意');
    await shot(page, 'task-approval', { until: BEFORE_LOG });
    // The 检查审批表 for the file: the head's consent, on A4.
    const [sheet] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: '下载检查审批表（PDF）' }).click(),
    ]);
    assert.match(sheet.suggestedFilename(), /(检查审批表|approval)-\d+\.pdf$/);
    const text = execFileSync('pdftotext', [await sheet.path(), '-']).toString().replace(/\s+/g, '');
    for (const said of ['涉企行政检查审批表', title.replace(/\s+/g, ''), '审批意见同意', '负责人：']) {
      assert.ok(text.includes(said), `${said} in the 检查审批表`);
    }
    assert.ok(!text.includes('请把检查期间延至三十日'), 'only the last request and its decision');
  });

  step('the coordinator seals the plan; a stale copy of the form changes nothing', async () => {
    const { context, page } = sessions.get('bianban');
    // The same form open in a second tab, as if the clerk clicked twice or went back.
    const stale = await secondTab(page, taskUrl);

    await page.goto(taskUrl);
    // drand is offered only when asked for (an offline county cannot fetch its
    // signature): nothing is pre-filled.
    assert.equal(await page.inputValue('input[name=drand_round]'), '');
    assert.equal(await page.locator('input[name=drand_round]').isVisible(), false);
    await shot(page, 'task-draft', { until: BEFORE_LOG });
    const office = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'task-draft-phone', { until: BEFORE_LOG });
    await page.setViewportSize(office);
    await page.fill('input[name=other_source]', '公证员现场掷骰（5 枚）');
    const when = beijing(12_000);
    await page.fill('input[name=other_time]', when);
    // Unticked, the browser keeps the form: sealing cannot be undone.
    const box = page.locator('form[action$="/commit"] input[name=confirm]');
    assert.equal(await box.evaluate((e) => e.checkValidity()), false);
    await confirmAndSubmit(page, '封存方案');
    assert.match(page.url(), /\?done=committed$/);
    notBefore = Date.parse(`${when}+08:00`);
    await assertText(page.getByRole('status'), '抽取方案已封存');
    await assertText(page.locator('h1 .state'), '方案已封存');
    digest = (await page.locator('dt:text-is("方案摘要") + dd').innerText()).split('\n')[0].trim();
    assert.match(digest, /^[0-9a-f]{64}$/);
    await assertText(tableAfter(page, '随机源'), '公证员现场掷骰（5 枚）');
    // The sealed plan's numbers are the ones previewed.
    const sealed = await tableAfter(page, '抽取方案（封存时）').evaluate((t) =>
      [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent.trim())),
    );
    assert.deepEqual(sealed, draftPreview);
    // The plan sealed after the deregistration does not hold the entity; the other
    // enterprise of the township is in it.
    const plan = await (await page.request.get(`${taskUrl}/plan.json`)).text();
    assert.ok(plan.includes(stillActive), 'an operating enterprise of the scope is in the plan');
    assert.ok(!plan.includes(deregistered), 'the deregistered enterprise is not');

    // The stale tab posts the commit form again (version of the draft).
    await stale.bringToFront();
    await stale.fill('input[name=other_source]', '另一组骰子');
    await stale.fill('input[name=other_time]', beijing(60_000));
    const response = await confirmAndSubmit(stale, '封存方案');
    await expectRefusal(stale, response, { status: 422, message: /不能封存抽取方案.*未作任何更改/ });
    await shot(stale, 'error-double-post', { fullPage: false });
    await assertText(stale.getByRole('link', { name: '返回上一页' }), '返回上一页');
    await stale.close();
    await page.bringToFront();

    await page.goto(taskUrl);
    assert.equal((await page.locator('dt:text-is("方案摘要") + dd').innerText()).split('\n')[0].trim(), digest);
    await assertText(tableAfter(page, '随机源'), '公证员现场掷骰（5 枚）');
    assert.equal(await tableAfter(page, '随机源').locator('tbody tr').count(), 1);
    assert.equal(await tableAfter(page, '任务日志').locator('tbody tr', { hasText: '封存抽查方案' }).count(), 1);
  });

  step('revealing before the declared time is refused', async () => {
    const { page } = sessions.get('bianban');
    assert.ok(Date.now() < notBefore - 2000, 'too slow: the declared time has nearly passed');
    await assertText(page.locator('p.notice'), '尚有随机源的时间未到');
    await page.fill('input[name=reveal]', '6 6 6 6 6');
    const response = await confirmAndSubmit(page, '揭示并抽取');
    await expectRefusal(page, response, { status: 422, message: /未到，不能揭示/ });
    await page.goto(taskUrl);
    await assertText(page.locator('h1 .state'), '方案已封存');
  });

  step('before the draw, the public sees the announcement: the digest and when the source is revealed', async () => {
    const context = await browser.newContext({ baseURL: BASE, locale: 'zh-CN' });
    try {
      const page = await context.newPage();
      await page.goto('/c/532323/announcements');
      await Promise.all([page.waitForURL(`**/public/tasks/${taskId}`), page.getByRole('link', { name: title }).click()]);
      await assertText(page.locator('h1 .state'), '方案已封存');
      assert.equal((await page.locator('dt:text-is("方案摘要") + dd').innerText()).trim(), digest);
      const sources = tableAfter(page, '随机源');
      await assertText(sources, '公证员现场掷骰（5 枚）');
      await assertText(sources, '未揭示');
      // The earliest reveal time, to the second, as declared.
      const at = new Date(notBefore + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
      await assertText(sources, at);
      assert.equal(await page.getByRole('link', { name: '下载抽取记录' }).count(), 0, 'no record before the results');
      await shot(page, 'announcement');
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, 'announcement-phone');
    } finally {
      await context.close();
    }
  });

  step('the coordinator registers a witness', async () => {
    const { page } = sessions.get('bianban');
    await page.fill('input[name=name]', '李明');
    await page.selectOption('select[name=role]', 'notary');
    await page.fill('input[name=organisation]', '牟定县公证处');
    await submit(page, '登记见证人');
    await assertText(page.getByRole('status'), '见证人已登记');
    await assertText(page.locator('h2:text-is("见证人") + ul'), '公证员：李明（牟定县公证处）');
    await shot(page, 'task-committed', { until: BEFORE_LOG });
  });

  step('after the declared time the coordinator reveals the value and draws', async () => {
    const { page } = sessions.get('bianban');
    const wait = notBefore + 1500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await page.goto(taskUrl);
    await page.fill('input[name=reveal]', '3 1 4 1 5');
    await confirmAndSubmit(page, '揭示并抽取');
    assert.match(page.url(), /\?done=drawn$/);
    await assertText(page.getByRole('status'), '抽取完成');
    await assertText(page.locator('h1 .state'), '已抽取，检查中');
    await assertText(tableAfter(page, '随机源'), '3 1 4 1 5');
    teams = await readTeams(page);
    visits = await readVisits(page);
    assert.equal(teams.length, 2);
    for (const t of teams) {
      const depts = t.members.map((m) => m.department);
      assert.ok(depts.includes('牟定县市场监督管理局') && depts.includes('牟定县农业农村局'), JSON.stringify(t));
    }
    // 2 of each risk class, fewer where a class has fewer enterprises in 共和镇.
    assert.ok(visits.length >= 2 && visits.length <= 8, `${visits.length} visits`);
    for (const v of visits) {
      assert.equal(v.href, `${taskUrl}/visits/${v.entity}`);
      // Conflicts of interest could leave an entity without a team (未能分配检查组).
      assert.equal(v.state, v.team === null ? '未能分配检查组' : '待检查', JSON.stringify(v));
    }
    assert.ok(visits.some((v) => v.team !== null));
    await shot(page, 'task-drawn', { until: BEFORE_LOG });

    // The record is downloadable for `liancha verify`.
    const record = await page.request.get(`${taskUrl}/record.json`);
    assert.equal(record.status(), 200);
    const json = await record.json();
    assert.equal(json.plan_digest, digest);
  });

  step('a numbered notice downloads as an A4 PDF that says the number, the entity and its rights', async () => {
    const { page } = sessions.get('bianban');
    await page.goto(`${taskUrl}/notices?team=1`);
    const first = page.locator('section.document').first();
    const number = (await first.locator('.doc-no').innerText()).trim();
    assert.match(number, /〔\d{4}〕\d+号$/);
    const addressee = (await first.locator('p').nth(1).innerText()).trim();
    assert.match(addressee, /：$/);
    const entity = addressee.slice(0, -1);
    const notices = await page.locator('section.document').count();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /下载 PDF/ }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.pdf$/);
    const file = await download.path();
    const flat = (t) => t.replace(/\s+/g, '');
    const text = flat(execFileSync('pdftotext', [file, '-']).toString());
    for (const said of [number, flat(entity), '申请其回避', '陈述和申辩', '检查依据']) {
      assert.ok(text.includes(said), `${said} in the PDF`);
    }
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file]).toString())[1]);
    assert.ok(pages >= notices, `${pages} pages for ${notices} notices`);
    const size = /Page size:\s+([\d.]+) x ([\d.]+)/.exec(execFileSync('pdfinfo', [file]).toString());
    assert.deepEqual([Math.round(size[1]), Math.round(size[2])], [595, 842], 'A4');
  });

  step('an inspector account for a drawn amr member is created with the CLI', async () => {
    assert.ok(BIN && DB, 'LIANCHA_BIN and LIANCHA_DB_URL are needed');
    // The team with the most visits; its 市场监管局 member gets an account.
    const count = (no) => visits.filter((v) => v.team === no).length;
    myTeam = [...teams].sort((a, b) => count(b.no) - count(a.no))[0];
    const member = myTeam.members.find((m) => m.department === '牟定县市场监督管理局');
    inspectorId = member.id;
    const out = execFileSync(
      BIN,
      ['--db', DB, '--county', '532323', 'user', 'add', inspectorUser, '--role', 'inspector', '--department', 'amr',
        '--inspector', inspectorId, '--name', member.name],
      { env: { ...process.env, LIANCHA_PASSWORD: INSPECTOR_INITIAL }, encoding: 'utf8' },
    );
    assert.ok(out.includes(`已创建账号 ${inspectorUser}`), out);
  });

  step('the inspector changes the initial password at first sign-in (phone)', async () => {
    const page = await signIn('inspector', { username: inspectorUser, password: INSPECTOR_INITIAL, phone: true });
    assert.equal(new URL(page.url()).pathname, '/account/password');
    await assertText(page.locator('p.notice'), '首次登录须先修改初始密码');
    // Other pages stay closed until the password is changed.
    await page.goto('/staff/my');
    assert.equal(new URL(page.url()).pathname, '/account/password');
    await page.fill('input[name=current]', INSPECTOR_INITIAL);
    await page.fill('input[name=new]', INSPECTOR_NEW);
    await page.fill('input[name=repeat]', INSPECTOR_NEW);
    await shot(page, 'inspector-password');
    await submit(page, '保存');
    assert.equal(new URL(page.url()).pathname, '/staff');
    await assertText(page.getByRole('status'), '密码已修改');
  });

  step('the inspector records the results of every visit of the team (phone)', async () => {
    const { context, page } = sessions.get('inspector');
    await Promise.all([page.waitForURL('**/staff/my'), page.getByRole('link', { name: '我的检查' }).first().click()]);
    const mine = visits.filter((v) => v.team === myTeam.no);
    // This task's visits: the member drawn may also be on a team of the demo
    // year's task under way, whose visits the page lists too.
    const links = page.locator(`ul.visits li a[href^="${taskUrl}/visits/"]`);
    assert.equal(await links.count(), mine.length);
    await shot(page, 'inspector-my');
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual([...hrefs].sort(), mine.map((v) => v.href).sort());

    // The 无法联系 result (which leads to a credit list proposal) is left to the
    // department admin's paper forms, unless the other team has no visit.
    const othersEmpty = !visits.some((v) => v.team !== null && v.team !== myTeam.no);
    let stale;
    // 扫码入企: the phone gives its place to the check-in.
    await context.grantPermissions(['geolocation'], { origin: BASE });
    await context.setGeolocation({ latitude: 25.312345, longitude: 101.546789, accuracy: 20 });
    for (const [i, href] of hrefs.entries()) {
      await page.goto(href);
      await assertText(page.locator('h1 .state'), '待检查');
      // The team is not shown the code: it is what the entity holds.
      assert.equal(await page.locator('dt:text-is("核验码")').count(), 0);
      const code = mine.find((v) => v.href === href).code;
      if (i === 0) {
        // No result form before the check-in, and a post of results is refused.
        await assertText(page.locator('#results-form'), '到达企业后先签到');
        assert.equal(await page.locator('input[name="cat_SC-001"]').count(), 0);
        const csrf = await page.locator('input[name=csrf]').first().inputValue();
        const r = await page.request.post(href, {
          form: { csrf, inspected_on: today(), 'cat_SC-001': 'none', 'method_SC-001': 'on-site', 'cat_NY-001': 'none', 'method_NY-001': 'on-site' },
        });
        assert.equal(r.status(), 422);
        assert.match(await r.text(), /尚未签到/);
        // The QR code of the notice opens the public check page; signed in, the
        // inspector goes on from there to the visit's check-in, the code filled in.
        await page.goto(`/check?code=${code}`);
        await assertText(page.getByRole('status').first(), '核验通过');
        await Promise.all([page.waitForURL(/#check-in$/), page.getByRole('link', { name: '登录后签到' }).click()]);
        assert.equal(new URL(page.url()).pathname, new URL(href, BASE).pathname);
        assert.equal(await page.inputValue('input[name=code]'), code);
        // A wrong code: refused beside the form, nothing recorded.
        await page.fill('input[name=code]', code.slice(0, -1) + (code.endsWith('A') ? 'B' : 'A'));
        const refused = await submit(page, '签到');
        assert.equal(refused.status(), 422);
        await assertText(page.locator('#check-in [role=alert]'), '核验码与该检查对象的不一致');
        await assertText(page.locator('#check-in'), '尚未签到');
        await page.fill('input[name=code]', code);
        await shot(page, 'inspector-check-in');
      } else {
        await page.fill('input[name=code]', code.toLowerCase());
      }
      await submit(page, '签到');
      assert.match(page.url(), /\?done=checked-in$/);
      await assertText(page.getByRole('status').first(), '已签到');
      await assertText(page.locator('ul.check-ins'), '北纬 25.312345，东经 101.546789（±20 米）');
      for (const m of myTeam.members) await assertText(page.locator('ul.check-ins'), m.name);
      if (i === 0) await shot(page, 'inspector-checked-in', { fullPage: false });
      if (i === 0) {
        stale = await secondTab(page, href);
        // An item left without a result: refused, the visit stays 待检查.
        await page.check('input[name="cat_SC-001"][value="none"]');
        for (const code of ITEMS) await page.check(`input[name="method_${code}"][value="on-site"]`);
        const resp = await submit(page, '提交检查结果');
        // The same form comes back, the error beside the item, what was ticked kept.
        assert.equal(resp.status(), 422);
        await assertText(page.locator('fieldset:has(input[name="cat_NY-001"]) .field-error'), '请至少选择一项检查结果');
        assert.equal(await page.locator('fieldset:has(input[name="cat_SC-001"]) .field-error').count(), 0);
        assert.equal(await page.isChecked('input[name="cat_SC-001"][value="none"]'), true);
        await assertText(page.getByRole('alert'), '未保存');
        await shot(page, 'inspector-visit-errors', { fullPage: false });
        await page.goto(href);
        await assertText(page.locator('h1 .state'), '待检查');
      }
      if (i === 0) {
        // Evidence from the phone: a photo uploaded from the visit page itself (the
        // form once sat inside the page title, unreachable).
        assert.doesNotMatch(await page.title(), /[<>]|csrf|取证/);
        await page.setInputFiles('input[name=file]', { name: '现场照片.png', mimeType: 'image/png', buffer: PHOTO });
        await submit(page, '上传');
        assert.match(page.url(), /\?done=attachment$/);
        await assertText(page.getByRole('status'), '材料已上传');
        await assertText(page.locator('h2:text-is("取证材料") + ul'), '现场照片.png');
        const link = page.locator('h2:text-is("取证材料") + ul a', { hasText: '现场照片.png' });
        const photo = await page.request.get(await link.getAttribute('href'));
        assert.equal(photo.status(), 200);
        assert.deepEqual(Buffer.from(await photo.body()), PHOTO);
      }
      if (i === 1) {
        // 暂存 on the phone: half a form kept for later, nothing submitted.
        await page.check('input[name="cat_SC-001"][value="none"]');
        await page.check('input[name="method_SC-001"][value="on-site"]');
        await page.fill('textarea[name="findings_NY-001"]', '经营台账待补');
        await submit(page, '暂存');
        assert.match(page.url(), /\?done=draft$/);
        await assertText(page.getByRole('status').first(), '已暂存，尚未提交');
        await page.goto(href);
        await assertText(page.locator('h1 .state'), '待检查');
        await assertText(page.locator('.notice.warn'), '暂存的内容，尚未提交');
        assert.equal(await page.isChecked('input[name="cat_SC-001"][value="none"]'), true);
        assert.equal(await page.inputValue('textarea[name="findings_NY-001"]'), '经营台账待补');
        await shot(page, 'inspector-visit-draft', { fullPage: false });
        await page.fill('textarea[name="findings_NY-001"]', '');
      }
      if (othersEmpty && i === hrefs.length - 1) {
        unreachable = mine.find((v) => v.href === href);
        await fillResults(page, { 'SC-001': 'unreachable' });
      } else {
        await fillResults(page);
      }
      if (i === 0) await shot(page, 'inspector-visit');
      await submit(page, '提交检查结果');
      assert.match(page.url(), /\?done=submitted$/);
      await assertText(page.getByRole('status'), '检查结果已提交，待部门审核');
      await assertText(page.locator('h1 .state'), '已提交，待审核');
      if (i === 0) await shot(page, 'inspector-submitted');
    }

    // The same form submitted again from a second tab: refused, results unchanged.
    await stale.bringToFront();
    await fillResults(stale, { 'SC-001': 'corrected' });
    const response = await submit(stale, '提交检查结果');
    await expectRefusal(stale, response, { status: 422, message: /已提交.*未作任何更改/ });
    await stale.close();
    await page.bringToFront();
    await page.goto(hrefs[0]);
    await assertText(page.locator('h2:text-is("检查结果") + table'), '未发现问题');
    assert.equal(await page.locator('table', { hasText: '发现问题已责令改正' }).count(), 0);

    await page.goto('/staff/my');
    assert.equal(
      await page.locator(`ul.visits li:has(a[href^="${taskUrl}/visits/"]) .state`, { hasText: '待检查' }).count(),
      0,
    );
  });

  step('the inspector checks a targeted inspection in on arrival (phone), then enters its findings', async () => {
    const { page } = sessions.get('inspector');
    const entity = visits.map((v) => v.entity).find((id) => !id.startsWith('X'));
    await page.getByRole('link', { name: '定向检查' }).first().click();
    await page.waitForURL('**/staff/targeted');
    const form = page.locator('form[data-check-in]');
    await form.locator('input[name=entity_id]').fill(entity);
    await form.locator('input[name=document_ref]').fill('牟市监投〔2026〕88号');
    // Alone: refused beside the colleagues, what was typed kept.
    const alone = await submit(page, '签到');
    assert.equal(alone.status(), 422);
    await assertText(page.locator('#check-in .field-error'), '两名以上执法人员');
    assert.equal(await form.locator('input[name=entity_id]').inputValue(), entity);
    await form.locator('input[name=present]:not([disabled])').first().check();
    await shot(page, 'targeted-check-in', { fullPage: false });
    await submit(page, '签到');
    assert.match(page.url(), /\?done=targeted-checked-in#records$/);
    await assertText(page.getByRole('status'), '已现场签到');
    const row = page.locator('tr', { hasText: '牟市监投〔2026〕88号' });
    await assertText(row, '现场签到');
    await assertText(row, '北纬 25.312345');
    await row.locator('textarea[name=findings]').fill('经核查，投诉反映的问题不属实');
    await submit(page, '保存检查情况');
    await assertText(page.getByRole('status'), '检查情况已保存');
    await assertText(page.locator('tr', { hasText: '牟市监投〔2026〕88号' }), '投诉反映的问题不属实');
    await shot(page, 'targeted-checked-in');
  });

  step('an inspector cannot open another team\'s visit or an entity outside the task', async () => {
    const { page } = sessions.get('inspector');
    const other = visits.find((v) => v.team !== myTeam.no);
    if (other) {
      const r = await page.goto(other.href);
      await expectRefusal(page, r, { status: 403, message: /无权/ });
    }
    const r = await page.goto(`${taskUrl}/visits/91532323000000000X`);
    await expectRefusal(page, r, { status: 404, message: /不是本任务的检查对象/ });
    // The task page shows the inspector only the own team's visits.
    await page.goto(taskUrl);
    const shown = await readVisits(page);
    assert.ok(shown.every((v) => v.team === myTeam.no));
  });

  step('each department admin enters its own items of the other team\'s visits from paper forms', async () => {
    const page = await signIn('amr-admin');
    await page.goto(taskUrl);
    const open = (await readVisits(page)).filter((v) => v.state === '待检查');
    // Both teams have visits (no township avoidance), so there is paper to enter.
    assert.ok(open.length > 0, JSON.stringify(await readVisits(page)));
    assert.deepEqual(
      open.map((v) => v.entity).sort(),
      visits.filter((v) => v.team !== null && v.team !== myTeam.no).map((v) => v.entity).sort(),
    );

    // An entity that is not in the task: a clear 404, for the page and for a post.
    let r = await page.goto(`${taskUrl}/visits/91532323000000000X`);
    await expectRefusal(page, r, { status: 404, message: /不是本任务的检查对象/ });
    await page.goto(open[0]?.href || taskUrl);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    r = await page.request.post(`${taskUrl}/visits/91532323000000000X`, {
      form: { csrf, inspected_on: today(), 'cat_SC-001': 'none', 'method_SC-001': 'on-site', 'cat_NY-001': 'none', 'method_NY-001': 'on-site' },
    });
    assert.equal(r.status(), 404);
    assert.match(await r.text(), /不是本任务的检查对象/);

    for (const [i, v] of open.entries()) {
      await page.goto(v.href);
      if (i === 0) {
        // The first one: the registered address cannot be reached (a credit list proposal).
        unreachable = v;
        await fillResults(page, { 'SC-001': 'unreachable' });
        await page.fill('textarea[name="findings_SC-001"]', '登记住所无人，电话无法接通');
        // Never checked in on the spot: the paper entry must say why.
        await page.locator('textarea[name=paper_reason]').evaluate((t) => t.removeAttribute('required'));
        const refused = await submit(page, '提交检查结果');
        assert.equal(refused.status(), 422);
        await assertText(page.locator('label:has(textarea[name=paper_reason]) .field-error'), '请填写未能扫码签到的原因');
        assert.equal(await page.isChecked('input[name="cat_SC-001"][value="unreachable"]'), true);
      } else {
        await fillResults(page);
      }
      await page.fill('textarea[name=paper_reason]', '检查组手机无信号，未能扫码签到，按纸质检查记录补录');
      // The market item only: the agriculture item's inputs are not on the page.
      assert.equal(await page.locator('input[name="cat_NY-001"]').count(), 0);
      if (i === 0) {
        await shot(page, 'department-visit');
        await page.setViewportSize({ width: 390, height: 844 });
        await shot(page, 'department-visit-phone');
        await page.setViewportSize({ width: 1366, height: 768 });
      }
      await submit(page, '提交检查结果');
      await assertText(page.getByRole('status'), '本部门事项的结果已保存');
      await assertText(page.locator('h1 .state'), '待检查');
      // The next household in draw order is one click away (the last has none).
      const assigned = visits.filter((x) => x.team !== null);
      const following = assigned[assigned.findIndex((x) => x.entity === v.entity) + 1];
      const nextLink = page.locator('nav.households a[rel=next]');
      if (following) assert.ok((await nextLink.getAttribute('href')).endsWith(`/visits/${following.entity}`));
      else assert.equal(await nextLink.count(), 0);
    }
    // The agriculture admin enters its item; each visit is then complete and submitted.
    const agri = await signIn('agri-admin');
    for (const [i, v] of open.entries()) {
      await agri.goto(v.href);
      assert.equal(await agri.locator('input[name="cat_SC-001"]').count(), 0);
      if (i === 0) {
        // A paper form with nothing found: one button, nothing to tick.
        await submit(agri, /均未发现问题，提交/);
        await assertText(agri.locator('table', { hasText: '农药经营的检查' }), '未发现问题');
      } else {
        await fillResults(agri);
        await submit(agri, '提交检查结果');
      }
      await assertText(agri.getByRole('status'), '检查结果已提交');
    }
    await page.goto(taskUrl);
    const after = await readVisits(page);
    assert.ok(after.every((v) => v.team === null || v.state === '已提交，待审核'), JSON.stringify(after));
  });

  step('the entity opens its visit by the code on a phone, rates it and complains anonymously; oversight answers', async () => {
    const visit = visits.find((v) => v.team === myTeam.no);
    const context = await browser.newContext({
      baseURL: BASE, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    });
    context.on('response', (r) => {
      if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    const page = await context.newPage();
    await page.goto(`/check?code=${visit.code}`);
    await assertText(page.getByRole('status').first(), '核验通过');
    await assertText(page.locator('h2:text-is("签到记录") + ul'), '现场签到');
    await assertText(tableAfter(page, '本单位'), '（本次）');
    // A rating without stars is refused by the server too (the browser asks first).
    await page.locator('input[name=stars]').evaluateAll((all) => all.forEach((i) => i.removeAttribute('required')));
    let r = await submit(page, '提交评价');
    assert.equal(r.status(), 422);
    await assertText(page.locator('#feedback [role=alert]').first(), '评价须为 1 至 5 星');
    await page.check('input[name=stars][value="4"]');
    await page.fill('textarea[name=comment]', '检查规范，一次查完');
    await submit(page, '提交评价');
    assert.match(page.url(), /done=rated#feedback$/);
    await assertText(page.locator('#feedback'), '本次检查已收到 1 条评价');
    // What the entity wrote is not shown back on the page (whoever holds the code could read it).
    assert.equal(await page.locator('#feedback', { hasText: '检查规范，一次查完' }).count(), 0);
    await page.fill('textarea[name=text]', 'E2E 检查人员到场后未出示执法证件');
    await page.check('input[name=anonymous]');
    await shot(page, 'entity-check-feedback');
    await submit(page, '提交投诉');
    await assertText(page.locator('#feedback-done'), '投诉已提交');
    await context.close();

    const oversight = await signIn('duchashi');
    await oversight.goto('/staff/oversight');
    // Visits entered from paper without a check-in are flagged, with the reason.
    await assertText(tableAfter(oversight, '未现场签到的检查'), '检查组手机无信号');
    await Promise.all([oversight.waitForURL('**/staff/oversight/complaints**'), oversight.getByRole('link', { name: '待处理的企业投诉' }).click()]);
    const article = oversight.locator('article', { hasText: 'E2E 检查人员到场后未出示执法证件' });
    await assertText(article, '匿名');
    await article.locator('textarea[name=reply]').fill('已核实，责成检查组整改，今后入企一律亮证');
    await shot(oversight, 'oversight-complaints');
    await Promise.all([oversight.waitForURL(/done=handled/), article.getByRole('button', { name: '办结' }).click()]);
    await assertText(oversight.getByRole('status'), '投诉处理情况已保存');
    await assertText(oversight.locator('article', { hasText: 'E2E 检查人员到场后未出示执法证件' }), '已核实，责成检查组整改');
  });

  step('both departments approve their items\' results', async () => {
    const agri = await signIn('agri-admin');
    await agri.goto(taskUrl);
    // The agriculture admin reviews but does not manage an amr-led task.
    assert.equal(await agri.getByRole('button', { name: '公示检查结果' }).count(), 0);
    const staleApprove = await secondTab(agri, taskUrl);
    await confirmAndSubmit(agri, /农业农村局：审核通过本部门事项的检查结果/);
    await assertText(agri.getByRole('status'), '本部门已审核通过');
    // Approved once, the button is gone.
    assert.equal(await agri.getByRole('button', { name: /审核通过本部门事项/ }).count(), 0);
    await assertText(tableAfter(agri, '审核与公示').locator('tr', { hasText: '牟定县农业农村局' }), '已通过');
    // Approving twice (the old page's button) is refused.
    await staleApprove.bringToFront();
    const r = await confirmAndSubmit(staleApprove, /审核通过本部门事项的检查结果/);
    await expectRefusal(staleApprove, r, { status: 422, message: /已审核通过/ });
    await staleApprove.close();
    await agri.bringToFront();

    const { page: amr } = sessions.get('amr-admin');
    // The reviewer reads every visit's results on one page, then the problems only.
    await amr.goto(taskUrl);
    await Promise.all([amr.waitForURL('**/review'), amr.getByRole('link', { name: '逐户审核检查结果' }).click()]);
    const lines = await amr.locator('table.review tbody tr').count();
    assert.ok(lines > 0);
    await assertText(amr.locator('nav.tabs a[aria-current=page]'), `全部（${lines}）`);
    assert.equal(await amr.locator('table.review', { hasText: '未录入' }).count(), 0, 'every item has its result');
    await shot(amr, 'review-sheet', { fullPage: false });
    const desk = amr.viewportSize();
    await amr.setViewportSize({ width: 390, height: 844 });
    await shot(amr, 'review-sheet-phone', { fullPage: false });
    await amr.setViewportSize(desk);
    const problemsTab = amr.locator('nav.tabs a', { hasText: '发现问题' });
    const problems = Number((await problemsTab.innerText()).match(/（(\d+)）/)[1]);
    await Promise.all([amr.waitForURL('**show=problems'), problemsTab.click()]);
    assert.equal(await amr.locator('table.review tbody tr').count(), problems);
    assert.equal(await amr.locator('table.review tbody tr:not(.problem)').count(), 0);
    await amr.goto(taskUrl);
    // The publish button only appears once every department has approved; a
    // publish request sent anyway is refused and changes nothing.
    assert.equal(await amr.getByRole('button', { name: '公示检查结果' }).count(), 0);
    const csrf = await amr.locator('input[name="csrf"]').first().inputValue();
    const version = await amr.locator('form[action$="/cancel"] input[name="version"]').inputValue();
    // Without its confirmation a publish request is refused first, changing nothing.
    const unconfirmed = await amr.context().request.post(`${taskUrl}/publish`, { form: { csrf, version }, maxRedirects: 0 });
    assert.equal(unconfirmed.status(), 422);
    assert.match(await unconfirmed.text(), /请勾选确认：公示后结果向社会公开/);
    const early = await amr.context().request.post(`${taskUrl}/publish`, { form: { csrf, version, confirm: 'yes' }, maxRedirects: 0 });
    assert.equal(early.status(), 422);
    assert.match(await early.text(), /尚未审核通过：牟定县市场监督管理局/);
    await amr.reload();
    await assertText(amr.locator('h1 .state'), '已抽取');

    await confirmAndSubmit(amr, /市场监督管理局：审核通过本部门事项的检查结果/);
    await assertText(amr.getByRole('status'), '本部门已审核通过');
    for (const d of ['牟定县市场监督管理局', '牟定县农业农村局']) {
      await assertText(tableAfter(amr, '审核与公示').locator('tr', { hasText: d }), '已通过');
    }
    await shot(amr, 'review', { until: BEFORE_LOG });
  });

  step('the lead department\'s admin publishes the results', async () => {
    const { page } = sessions.get('amr-admin');
    await page.goto(taskUrl);
    await confirmAndSubmit(page, '公示检查结果');
    assert.match(page.url(), /\?done=published$/);
    await assertText(page.getByRole('status'), '检查结果已公示');
    await assertText(page.locator('h1 .state'), '结果已公示');
    assert.equal(await page.getByRole('button', { name: '公示检查结果' }).count(), 0);
    await shot(page, 'published', { until: BEFORE_LOG });
    await page.goto('/staff/tasks');
    await assertText(page.locator('tr', { hasText: title }), '结果已公示');
  });

  step('a citizen verifies the published draw in the browser, against the transparency log', async () => {
    const context = await browser.newContext({ baseURL: BASE, locale: 'zh-CN' });
    try {
      const page = await context.newPage();
      await page.goto(`/verify?task=${taskId}`);
      await page.locator('#verify-result[data-status=ok]').waitFor();
      const log = page.locator('#log-result');
      await page.locator('#log-result[data-status=ok]').waitFor({ timeout: 20000 });
      await assertText(log, '方案封存记入日志第');
      await assertText(log, '抽取记录就是日志在抽取时记下摘要的那一份');
      await shot(page, 'verify-log');
    } finally {
      await context.close();
    }
  });

  step('the amr admin confirms the credit list proposal from the results', async () => {
    const { page } = sessions.get('amr-admin');
    await page.goto('/staff');
    await page.getByRole('link', { name: /待确认的信用名单建议/ }).click();
    await page.waitForURL('**/staff/follow-ups#credit');
    const followUp = followUpRow(page);
    await assertText(followUp, '责令整改');
    // Each row says which item's finding it came from.
    await assertText(followUp, '营业执照（登记证）规范使用情况的检查');
    assert.equal(await followUpRow(page).count(), 1);
    const proposal = tableAfter(page, '信用名单建议').locator('tbody tr', { hasText: unreachable.entity });
    await assertText(proposal, '经营异常名录');
    await assertText(proposal, '营业执照（登记证）规范使用情况的检查');
    await assertText(proposal, '待确认');
    await shot(page, 'follow-ups');
    const office = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'follow-ups-phone');
    await page.setViewportSize(office);
    await confirmAndSubmit(page, '确认列入');
    await assertText(page.getByRole('status'), '信用名单建议已处理');
    await assertText(tableAfter(page, '信用名单建议').locator('tbody tr', { hasText: unreachable.entity }), '已确认列入');

    // 办结 is final too: the browser will not send it before its box is ticked.
    const row = followUpRow(page);
    const close = row.locator('form', { has: page.getByRole('button', { name: '办结' }) });
    await close.locator('input[name=note]').fill('经实地核查，已在登记住所恢复经营');
    await close.getByRole('button', { name: '办结' }).click();
    assert.equal(await close.locator('input[name=confirm]:invalid').count(), 1, 'held back by the browser');
    const box = close.locator('input[name=confirm]');
    assert.match(await box.locator('xpath=ancestor::label').innerText(), /不能重新打开/);
    await box.check();
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), close.getByRole('button', { name: '办结' }).click()]);
    await assertText(followUpRow(page), '已办结');
  });

  step('a citizen finds the published result by part of the name and by USCC, opens the entity page and checks the visit code', async () => {
    const context = await browser.newContext({
      baseURL: BASE,
      locale: 'zh-CN',
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    context.setDefaultTimeout(20_000);
    context.on('response', (r) => {
      if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByRole('link', { name: '结果查询' }).click();
    await page.waitForURL('**/public/results');
    const { name, entity: uscc } = unreachable;
    // Two characters from the middle of the name (after 牟定县).
    const part = [...name].slice(3, 5).join('');
    const search = async (q) => {
      await page.fill('input[name=q]', q);
      await Promise.all([page.waitForURL('**/public/results?q=*'), page.getByRole('button', { name: '查询' }).click()]);
    };
    await search(part);
    // The row of this entity and this task, by the entity's code: a name is what a
    // citizen types, not a key, and the demo year may have inspected it before.
    const row = page
      .locator('table.results tbody tr', { has: page.locator('td.id', { hasText: uscc }) })
      .filter({ hasText: title });
    await assertText(row, name);
    await assertText(row, title);
    await assertText(row, '发现问题');
    await assertText(row, '通过登记的住所（经营场所）无法联系');
    assert.equal((await row.locator('td.id').textContent()).trim(), uscc);
    await shot(page, 'public-search');

    await search(uscc);
    const rows = page.locator('table.results tbody tr');
    assert.ok((await rows.count()) >= 1);
    for (const text of await rows.allTextContents()) assert.ok(text.includes(uscc), text);

    // A mistyped check character is named, not answered with nothing.
    const wrong = uscc.slice(0, 17) + (uscc.endsWith('0') ? '1' : '0');
    await search(wrong);
    await assertText(page.getByRole('alert'), '不是有效的统一社会信用代码');

    // The entity's page lists the published inspection and the confirmed listing.
    await search(uscc);
    await rows.first().getByRole('link', { name }).click();
    await page.waitForURL(`**/entities/${uscc}`);
    await assertText(page.locator('h1'), name);
    await assertText(tableAfter(page, '已公示的抽查记录'), title);
    await assertText(page.locator('dt:text-is("经营异常名录") + dd'), '已列入');
    await shot(page, 'public-entity');

    // The code on its notice still checks out after publication: task, team, items.
    await page.goto('/check');
    await page.fill('input[name=code]', unreachable.code.toLowerCase());
    await Promise.all([page.waitForURL('**/check?code=*'), page.getByRole('button', { name: '核验' }).click()]);
    await assertText(page.getByRole('status'), '核验通过');
    await assertText(page.locator('dt:text-is("检查对象") + dd'), name);
    await assertText(page.locator('dt:text-is("任务") + dd'), title);

    // The county's statistics count the published visits.
    await page.goto('/c/532323/stats');
    assert.ok((await page.locator('figure.chart').count()) >= 3);
    await context.close();
  });

  step('the entity applies for credit repair on a phone; amr grants it; the public list shows when it was listed and removed', async () => {
    const context = await browser.newContext({
      baseURL: BASE, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    });
    context.setDefaultTimeout(20_000);
    context.on('response', (r) => {
      if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    const entity = await context.newPage();
    const date = /\d{4}-\d{2}-\d{2}/;
    // On the public list, since the day amr confirmed it.
    await entity.goto(`/c/532323/lists?list=abnormal&q=${unreachable.entity}`);
    const listed = entity.locator('table.results tbody tr', { hasText: unreachable.entity });
    assert.match(await listed.locator('td[data-label=列入日期]').innerText(), date);

    await entity.goto(`/check?code=${unreachable.code}`);
    const repair = entity.locator('#repair');
    const listing = repair.locator('article', { hasText: '经营异常名录' });
    await assertText(listing, '列入日期');
    // What was done and who to call, but no ground ticked: refused, what was typed kept.
    await listing.locator('textarea[name=statement]').fill('已于本月办理住所变更登记，新住所可以联系');
    await listing.locator('input[name=repair_contact]').fill('王会计 13800000000');
    let r = await submit(entity, '提交信用修复申请');
    assert.equal(r.status(), 422);
    await assertText(listing.getByRole('alert'), '请选择申请移出经营异常名录的情形');
    assert.equal(await listing.locator('textarea[name=statement]').inputValue(), '已于本月办理住所变更登记，新住所可以联系');
    await listing.locator('input[name=grounds][value=reachable]').check();
    await shot(entity, 'entity-credit-repair');
    await submit(entity, '提交信用修复申请');
    assert.match(entity.url(), /done=repair#repair$/);
    await assertText(repair.getByRole('status'), '信用修复申请已提交');
    await assertText(listing, '待决定');
    assert.equal(await listing.getByRole('button', { name: '提交信用修复申请' }).count(), 0, 'one application at a time');

    // amr decides within its 15 working days: granted with its reasons.
    const { page } = sessions.get('amr-admin');
    await page.goto('/staff/follow-ups#repairs');
    const row = page.locator('#repair-list tbody tr', { hasText: unreachable.entity });
    await assertText(row, '企业在线申请');
    await assertText(row, '已办理住所（经营场所）变更登记');
    await assertText(row, '王会计 13800000000');
    assert.match(await row.locator('td[data-label=决定期限]').innerText(), date);
    await row.locator('textarea[name=note][aria-label=准予理由]').fill('经实地核查，新住所可以取得联系');
    await shot(page, 'credit-repairs');
    await row.locator('form', { has: page.getByRole('button', { name: '准予修复' }) }).locator('input[name=confirm]').check();
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), row.getByRole('button', { name: '准予修复' }).click()]);
    await assertText(page.getByRole('status'), '已准予信用修复');
    await assertText(page.locator('#repair-list tbody tr', { hasText: unreachable.entity }), '准予修复，已移出名单');
    await assertText(tableAfter(page, '信用名单建议').locator('tbody tr', { hasText: unreachable.entity }), '已移出名单');

    // The public sees it off the list, with both dates and the reason.
    await entity.goto(`/c/532323/lists?list=abnormal&state=removed&q=${unreachable.entity}`);
    const removed = entity.locator('table.results tbody tr', { hasText: unreachable.entity });
    assert.match(await removed.locator('td[data-label=列入日期]').innerText(), date);
    assert.equal((await removed.locator('td[data-label=移出日期]').innerText()).trim(), today());
    await assertText(removed, '信用修复：经实地核查，新住所可以取得联系');
    await shot(entity, 'public-lists-removed');
    await entity.goto(`/check?code=${unreachable.code}#repair`);
    await assertText(entity.locator('#repair article', { hasText: '经营异常名录' }), `已于 ${today()} 移出`);
    await assertText(entity.locator('#repair'), '准予修复，已移出名单');
    await entity.goto(`/c/532323/entities/${unreachable.entity}`);
    await assertText(entity.locator('dt:text-is("经营异常名录") + dd'), '未列入');
    // Its page keeps the listing's history: listed, and taken off by the repair.
    const history = tableAfter(entity, '信用名单记录').locator('tr', { hasText: '经营异常名录' });
    assert.equal((await history.locator('td[data-label=移出日期]').innerText()).trim(), today());
    await assertText(history, '信用修复：经实地核查，新住所可以取得联系');

    // The entity objects to the published result; amr corrects its item, and the
    // public result says so beside it.
    await entity.goto(`/check?code=${unreachable.code}#objection`);
    await entity.selectOption('select[name=objection_department]', 'amr');
    await entity.locator('textarea[name=objection]').fill('检查当日本店在登记住所正常营业，结果与事实不符');
    await entity.locator('input[name=objection_contact]').fill('王会计 13800000000');
    await submit(entity, '提交异议');
    await assertText(entity.locator('#objection').getByRole('status'), '异议已提交');
    await assertText(entity.locator('#objection'), '待处理');
    await page.goto('/staff/follow-ups#objections');
    const objection = page.locator('#objection-list tbody tr', { hasText: '检查当日本店在登记住所正常营业' });
    await objection.getByText('更正本部门事项的结果…').click();
    await objection.locator('input[name=categories][value=corrected]').check();
    await objection.locator('details input[name=note]').fill('经复核，检查当日企业在登记住所经营，更正为已责令改正');
    await objection.locator('details input[name=confirm]').check();
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), objection.getByRole('button', { name: '更正结果' }).click()]);
    await assertText(page.getByRole('status'), '检查结果已更正');
    await entity.goto(`/public/tasks/${taskId}`);
    await assertText(entity.locator('table', { hasText: unreachable.name }).locator('tr', { hasText: unreachable.name }), '更正理由：经复核，检查当日企业在登记住所经营');
    await entity.goto(`/check?code=${unreachable.code}#objection`);
    await assertText(entity.locator('#objection'), '已更正');
    await entity.goto('/public/log');
    await assertText(tableAfter(entity, '条目'), '移出信用名单');
    await assertText(tableAfter(entity, '条目'), '更正检查结果');
    await context.close();
  });

  step('oversight reads the task and its log but cannot change it', async () => {
    const page = await signIn('duchashi');
    await page.goto('/staff/tasks');
    await assertText(page.locator('tr', { hasText: title }), '结果已公示');
    await page.getByRole('link', { name: title }).click();
    await page.waitForURL(`**${taskUrl}`);
    await assertText(page.locator('h1 .state'), '结果已公示');
    assert.equal(await page.locator('form[method="post"][action*="/staff/tasks/"]').count(), 0);
    await assertText(tableAfter(page, '任务日志'), '公示结果');
    await page.goto('/staff/audit');
    await assertText(page.locator('table.log'), '揭示随机源并抽取');
    // The oversight dashboard shows the task and the county's figures.
    await page.getByRole('link', { name: '监督看板' }).click();
    await page.waitForURL('**/staff/oversight');
    await assertText(tableAfter(page, '本年度任务').locator('tr', { hasText: title }), '结果已公示');
    assert.ok((await page.locator('figure.chart').count()) >= 2);
    // Each task in one domain: the domain rows add up to the county's task count.
    const total = Number(await page.locator('.cards .card b').first().innerText());
    const domainRows = await tableAfter(page, '按领域').evaluate((table) =>
      [...table.tBodies[0].rows].map((tr) => [...tr.cells].slice(1, 5).reduce((n, td) => n + Number(td.textContent), 0)),
    );
    assert.equal(domainRows.reduce((a, b) => a + b, 0), total);
    await shot(page, 'oversight');
    const office = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'oversight-phone');
    await page.setViewportSize(office);
    // The lead department's monthly report says what it led and what it took part in.
    await page.goto('/staff/oversight/report?department=amr');
    await assertText(page.locator('.document'), /本部门牵头新建联合抽查任务 \d+ 项/);
    await shot(page, 'report');
    // A post by hand is refused too.
    await page.goto(taskUrl);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const r = await page.request.post(`${taskUrl}/witnesses`, { form: { csrf, name: '某人', role: 'press' } });
    assert.equal(r.status(), 403);
  });

  step('the system administrator reads the audit log', async () => {
    const page = await signIn('admin');
    await assertText(page.locator('header .who'), '系统管理员');
    await page.getByRole('link', { name: '操作日志' }).click();
    await page.waitForURL('**/staff/audit');
    const log = page.locator('table.log');
    await assertText(log.locator('tr', { hasText: '新建账号' }).first(), inspectorUser);
    // Actions in Chinese, filtered by group: the whole task's steps, newest first.
    await page.locator('select[name=what]').selectOption('task.');
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForURL('**/staff/audit?*what=task.*');
    for (const action of ['新建任务', '封存抽查方案', '揭示随机源并抽取', '审核通过', '公示结果']) {
      assert.ok((await log.locator('td', { hasText: action }).count()) > 0, action);
    }
    assert.equal(await log.locator('td', { hasText: '新建账号' }).count(), 0);
    // The inspection results, by group, with the item named.
    await page.locator('select[name=what]').selectOption('visit.submit');
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForURL('**/staff/audit?*what=visit.submit*');
    await assertText(log.locator('tbody tr').first(), '检查结果');
    await shot(page, 'audit', { fullPage: false });
    const office = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'audit-phone', { fullPage: false });
    await page.setViewportSize(office);
    // A wrong date is named beside its field, on the same page.
    await page.goto('/staff/audit?from=2026-02-30');
    await assertText(page.locator('.field-error'), '不是日期');
    assert.equal(await page.getByRole('link', { name: '操作日志' }).count(), 1);
    // The export is linked from the page.
    await page.goto('/staff/audit?what=task.');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /导出 Excel/ }).click();
    assert.match((await download).suggestedFilename(), /audit-log\.xlsx|操作日志\.xlsx/);
  });

  step('the township officer sees the task of the township', async () => {
    const page = await signIn('gonghe');
    await page.goto('/staff/tasks');
    await assertText(page.locator('tr', { hasText: title }), '结果已公示');
    assert.equal(await page.getByRole('link', { name: '新建任务' }).count(), 0);
  });

  step('the amr admin imports a new entity from a CSV after reading its preview', async () => {
    const { page } = sessions.get('amr-admin');
    await page.goto('/staff');
    await page.getByRole('link', { name: '名录导入' }).click();
    await page.waitForURL('**/staff/import');
    const template = page.waitForEvent('download');
    await page.locator('a[href$="/entities.xlsx"]').click();
    assert.match((await template).suggestedFilename(), /entities-template\.xlsx|检查对象名录导入模板\.xlsx/);
    // Only the required columns, as a clerk might keep them.
    const file = (rows) => ({ name: '新登记.csv', mimeType: 'text/csv', buffer: Buffer.from(`名称,类型,乡镇,注册号\r\n${rows}\r\n`) });
    await page.selectOption('select[name=kind]', 'entities');
    await page.setInputFiles('input[name=file]', file('牟定县共和镇测试早餐店,个体工商户,共和镇,532323600088888\r\n牟定县测试二店,个体工商户,无此镇,532323600088889'));
    await uploadAndPreview(page);
    await assertText(page.getByRole('alert'), '未导入任何记录');
    await assertText(page.locator('table', { hasText: '第 3 行' }), '无此镇');
    assert.equal(await page.getByRole('button', { name: '确认导入' }).count(), 0);
    // The bad rows come back as a workbook to correct in Excel.
    const bad = page.waitForEvent('download');
    await page.getByRole('link', { name: /下载有问题的行/ }).click();
    assert.match((await bad).suggestedFilename(), /errors\.xlsx|有问题的行\.xlsx/);
    await shot(page, 'import-errors');
    await page.setInputFiles('input[name=file]', file('牟定县共和镇测试早餐店,个体工商户,共和镇,532323600088888'));
    await uploadAndPreview(page);
    await assertText(page.locator('#preview'), '新登记.csv');
    await assertText(page.locator('dt:text-is("新增") + dd'), '1');
    await shot(page, 'import-preview');
    await confirmAndSubmit(page, '确认导入');
    await assertText(page.getByRole('status'), '已导入 1 行：新增 1');
    await page.goto('/c/532323/entities?q=%E6%B5%8B%E8%AF%95%E6%97%A9%E9%A4%90');
    await assertText(page.locator('main'), '牟定县共和镇测试早餐店');
  });

  step('the amr admin imports the province\'s credit statuses after reading the preview; the entity\'s page shows the listing', async () => {
    const { page } = sessions.get('amr-admin');
    const entity = visits.map((v) => v.entity).find((id) => !id.startsWith('X'));
    await page.goto('/staff/import?kind=credit-status');
    const state = await page.request.get('/staff/upward/credit-state.xlsx');
    assert.equal(state.status(), 200);
    const file = (rows) => ({
      name: '省级回传.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`统一社会信用代码,企业名称,信用风险分类,经营异常名录,经营异常名录列入日期\r\n${rows}\r\n`),
    });
    await page.selectOption('select[name=kind]', 'credit-status');
    await page.setInputFiles('input[name=file]', file(`${entity},,E,也许,`));
    await uploadAndPreview(page);
    await assertText(page.getByRole('alert'), '未导入任何记录');
    await assertText(page.locator('table', { hasText: '第 2 行' }), '不是有效的信用风险分类');
    await page.setInputFiles('input[name=file]', file(`${entity},,D,在列,2026-11-20\r\n91532301MA6N0ABC1F,楚雄市某商贸有限公司,A,不在列,`));
    await uploadAndPreview(page);
    await assertText(page.locator('dt:text-is("内容改变") + dd'), '1');
    await assertText(page.locator('table', { hasText: entity }), '在列（2026-11-20 列入）');
    await assertText(page.locator('table', { hasText: '91532301MA6N0ABC1F' }), '不在本县检查对象名录中');
    await shot(page, 'import-credit-status');
    await confirmAndSubmit(page, '确认导入');
    await assertText(page.getByRole('status'), '1 户的风险分类或名单状态已更新');
    await page.goto(`/c/532323/entities/${entity}`);
    await assertText(page.locator('main'), '省级协同监管平台回传');
    await assertText(page.locator('main'), '2026-11-20');
  });

  step('no page answered with a server error', async () => {
    assert.deepEqual(serverErrors, []);
  });
});
