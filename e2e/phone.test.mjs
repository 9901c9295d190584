// Every page on a phone (390×844): from the public home and from each role's staff
// home, every link is followed (one page per link shape: the same path with other
// ids counts once) and no page may be wider than the phone, which would make the
// whole page slide sideways under the thumb. Wide tables scroll inside themselves.
//
// Needs BASE_URL (set by e2e/run.sh); the demo county with its year behind it.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORD = 'Liancha#2026';

/** The path with each id-like segment as `#`, and the query's names. */
function shape(href) {
  const u = new URL(href, BASE);
  const path = u.pathname.split('/').map((s) => (/\d/.test(s) ? '#' : s)).join('/');
  return `${path}?${[...u.searchParams.keys()].sort().join('&')}`;
}

async function walk(page, start) {
  const seen = new Set();
  const shapes = new Set();
  const queue = [...start];
  const wide = [];
  let pages = 0;
  while (queue.length > 0) {
    const path = queue.shift();
    if (seen.has(path) || shapes.has(shape(path))) continue;
    seen.add(path);
    shapes.add(shape(path));
    const response = await page.goto(`${BASE}${path}`);
    const type = response?.headers()['content-type'] || '';
    if (!type.startsWith('text/html') || path.startsWith('/api/')) continue;
    pages += 1;
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) {
      const culprit = await page.evaluate(() => {
        const e = [...document.querySelectorAll('body *')].find((x) => x.getBoundingClientRect().right > 391);
        return e ? `${e.tagName.toLowerCase()}.${e.className}` : '?';
      });
      wide.push(`${path}: ${width}px (${culprit})`);
    }
    const hrefs = await page.$$eval('a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')));
    for (const h of hrefs) {
      const href = h.split('#')[0];
      if (href.startsWith('//') || href.startsWith('/static/') || href.startsWith('/logout')) continue;
      if (/\.(csv|xlsx|json|pdf)(\?|$)/.test(href) || /[?&]format=/.test(href)) continue;
      queue.push(href);
    }
  }
  return { pages, wide };
}

describe('every page fits a phone', { skip: BASE === '' && 'BASE_URL is not set (run e2e/run.sh)' }, () => {
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

  async function phone() {
    return (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  }

  it('the public pages', async () => {
    const page = await phone();
    const { pages, wide } = await walk(page, ['/', '/c/532323']);
    console.log(`public: ${pages} pages on a phone`);
    assert.ok(pages >= 20, `the public reached only ${pages} pages`);
    assert.deepEqual(wide, []);
    await page.context().close();
  });

  for (const user of ['admin', 'amr-admin', 'amr-head', 'inspector', 'duchashi', 'gonghe', 'zhou-duchashi']) {
    it(`the staff pages of ${user}`, async () => {
      const page = await phone();
      await page.goto(`${BASE}/login`);
      await page.fill('input[name=username]', user);
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL('**/staff**'), page.getByRole('button', { name: '登录' }).click()]);
      const { pages, wide } = await walk(page, ['/staff']);
      console.log(`${user}: ${pages} pages on a phone`);
      // A walk stuck on its first page would find nothing wide.
      assert.ok(pages >= 20, `${user} reached only ${pages} pages`);
      assert.deepEqual(wide, []);
      await page.context().close();
    });
  }
});
