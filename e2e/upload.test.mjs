// A large file's upload on the 名录导入 page shows its progress, then the preview:
// the upload is throttled (as from a county office's line) so that the progress can
// be watched. Needs BASE_URL (set by e2e/run.sh) and the demo county.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(here, '..', 'docs', 'screenshots');
const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** `rows` check points over the market regulator's five items (at most 200 an
 * item), about 140 bytes a row: the preview counts them. */
function pointsCsv(rows) {
  const lines = ['事项编码,要点编码,检查内容,检查方法,法律条款,符合表述,不符合表述,不符合时的检查结果'];
  for (let i = 0; i < rows; i++) {
    const item = `SC-00${(i % 5) + 1}`;
    lines.push(`${item},P${i},是否在第 ${i} 处经营场所醒目位置公示营业执照和投诉举报电话,实地检查,` +
      `《中华人民共和国市场主体登记管理条例》第三十六条,已公示,未公示,发现问题已责令改正`);
  }
  return Buffer.from(lines.join('\r\n'));
}

describe('a large upload shows its progress', {
  skip: BASE === '' && 'BASE_URL is not set (run e2e/run.sh)',
  timeout: 120_000,
}, () => {
  let browser;
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

  it('the department admin sees how much has gone up, then the preview', async () => {
    const context = await browser.newContext({ baseURL: BASE, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto('/login');
    await page.fill('input[name=username]', 'amr-admin');
    await page.fill('input[name=password]', 'Liancha#2026');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: '登录' }).click()]);
    await page.goto('/staff/import?kind=check-points');
    await page.selectOption('select[name=kind]', 'check-points');
    await page.setInputFiles('input[name=file]', { name: '检查要点.csv', mimeType: 'text/csv', buffer: pointsCsv(950) });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: 4_000_000,
      uploadThroughput: 100_000,
    });
    await page.getByRole('button', { name: '上传并预览' }).click();
    const status = page.locator('form[data-upload-progress] .upload-status');
    await page.waitForFunction(() => /正在上传：\d+%/.test(document.querySelector('.upload-status')?.textContent || ''));
    assert.equal(await page.getByRole('button', { name: '上传并预览' }).isDisabled(), true, 'no second upload meanwhile');
    const bar = page.locator('form[data-upload-progress] progress');
    assert.ok(Number(await bar.getAttribute('max')) > 100_000);
    if (process.env.E2E_SCREENSHOTS !== '0') {
      mkdirSync(SHOTS, { recursive: true });
      await page.locator('form[data-upload-progress]').screenshot({ path: join(SHOTS, 'import-progress.png') });
    }
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await status.waitFor({ state: 'hidden' });
    await page.locator('#preview').waitFor();
    assert.match(await page.locator('#preview').innerText(), /检查要点.csv/);
    assert.equal((await page.locator('dt:text-is("行数") + dd').innerText()).trim(), '950');

    // Again from the page the first upload wrote (the clerk's fix-and-retry): the
    // script runs there too, so the second upload shows its progress as well.
    await page.setInputFiles('input[name=file]', { name: '检查要点2.csv', mimeType: 'text/csv', buffer: pointsCsv(900) });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: 4_000_000,
      uploadThroughput: 100_000,
    });
    await page.getByRole('button', { name: '上传并预览' }).click();
    await page.waitForFunction(() => /正在上传：\d+%/.test(document.querySelector('.upload-status')?.textContent || ''));
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.locator('#preview').filter({ hasText: '检查要点2.csv' }).waitFor();
    assert.equal((await page.locator('dt:text-is("行数") + dd').innerText()).trim(), '900');

    // A file over the limit is stopped in the browser, with the reason.
    await page.setInputFiles('input[name=file]', { name: '太大.csv', mimeType: 'text/csv', buffer: Buffer.alloc(31 * 1024 * 1024, 'a') });
    await page.getByRole('button', { name: '上传并预览' }).click();
    assert.match(await status.innerText(), /超过 30 MB/);
    assert.equal(await page.getByRole('button', { name: '上传并预览' }).isDisabled(), false);
    await context.close();
  });
});
