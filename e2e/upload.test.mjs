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

/** 1,500 check points of SC-001, about 200 KB: the preview counts them. */
function pointsCsv(rows) {
  const lines = ['事项编码,要点编码,检查内容,检查方法,法律条款,符合表述,不符合表述,不符合时的检查结果'];
  for (let i = 0; i < rows; i++) {
    lines.push(`SC-001,P${i},营业执照是否置于住所或者主要经营场所的醒目位置（第 ${i} 处经营场所）,实地检查,` +
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
    await page.setInputFiles('input[name=file]', { name: '检查要点.csv', mimeType: 'text/csv', buffer: pointsCsv(1500) });
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
    assert.ok((await bar.getAttribute('max')) > 100_000);
    if (process.env.E2E_SCREENSHOTS !== '0') {
      mkdirSync(SHOTS, { recursive: true });
      await page.locator('form[data-upload-progress]').screenshot({ path: join(SHOTS, 'import-progress.png') });
    }
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await status.waitFor({ state: 'hidden' });
    await page.locator('#preview').waitFor();
    assert.match(await page.locator('#preview').innerText(), /检查要点.csv/);
    assert.equal((await page.locator('dt:text-is("行数") + dd').innerText()).trim(), '1500');
    await context.close();
  });
});
