// The verify page's DOM part: reads a record (chosen file, pasted text, or the URL
// in #verifier[data-record-url]), runs verify.js on it, and shows the verdict in
// #verify-result, whose data-status becomes running, then ok / mismatch / error.
// Text only (textContent), no HTML from the record ever reaches the page.

import { verifyRecord } from './verify.js';
import { beijingTime, checkRecordInLog } from './verify-log.js';

export { beijingTime };

const CODE_TEXT = {
  'invalid-json': '内容不是有效的 JSON（可能复制不全或被改动过）',
  'invalid-format': '内容不是抽取记录（应为 liancha-draw/1 或 liancha-draw/2 格式，且与方案是否要求专业领域相符）',
  'invalid-plan': '抽取方案不符合规则',
  'reveal-mismatch': '开奖值与声明的随机源不对应',
  'not-enough-inspectors': '执法检查人员不足，无法按规则组队',
  mismatch: '重新计算的结果与记录不同',
  'no-webcrypto': '此页面无法使用浏览器的 Web Crypto（需通过 HTTPS 访问）',
  'fetch-failed': '无法读取抽取记录',
  'internal-error': '验证程序出错',
};

/** Codes that mean the input could not be read as a record at all. */
const UNREADABLE = ['invalid-json', 'invalid-format', 'fetch-failed', 'no-webcrypto', 'internal-error'];

/** Where in a record a path points, in words: `result.selected[2].id` → 第 3 个抽中主体. */
export function pathText(path) {
  if (!path) return '';
  const n = (s) => Number(s) + 1;
  const rules = [
    [/^plan_digest$/, () => '方案摘要'],
    [/^seed$/, () => '随机种子'],
    [/^reveal\[(\d+)\]/, (m) => `第 ${n(m[1])} 个随机源的开奖值`],
    [/^result\.selected\[(\d+)\]/, (m) => `第 ${n(m[1])} 个抽中主体`],
    [/^result\.teams\[(\d+)\]\.members\[(\d+)\]/, (m) => `第 ${n(m[1])} 个检查组的第 ${n(m[2])} 名成员`],
    [/^result\.teams\[(\d+)\]/, (m) => `第 ${n(m[1])} 个检查组`],
    [/^result\.assignments\[(\d+)\]/, (m) => `第 ${n(m[1])} 条分派`],
    [/^result\.unassigned/, () => '未分派的主体'],
    [/^plan\./, () => '抽取方案'],
    [/^result/, () => '抽取结果'],
  ];
  for (const [re, text] of rules) {
    const m = path.match(re);
    if (m) return text(m);
  }
  return '';
}

const byId = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

let latest = 0; // only the newest run may write the result

function show(status, children) {
  const box = byId('verify-result');
  if (!box) return;
  box.dataset.status = status;
  box.setAttribute('aria-busy', status === 'running' ? 'true' : 'false');
  box.replaceChildren(...children);
}

function showVerdict(v, ms) {
  if (v.ok) {
    const s = v.summary;
    const rows = [
      ['方案摘要', s.plan_digest, true],
      ['随机种子', s.seed, true],
      ['抽中主体', `${s.selected} 户`],
      ['检查组', `${s.teams} 个`],
      ['已分派', `${s.assignments} 户`],
      ['未分派', `${s.unassigned} 户`],
    ];
    if (s.committed_at) rows.push(['方案登记时间', beijingTime(s.committed_at)]);
    rows.push(['用时', `${Math.round(ms)} 毫秒`]);
    const dl = el('dl');
    for (const [name, value, mono] of rows) {
      dl.append(el('dt', name));
      const dd = el('dd');
      dd.append(mono ? el('code', value) : document.createTextNode(value));
      dl.append(dd);
    }
    const sources = el('ul');
    for (const src of s.sources || []) sources.append(el('li', src));
    show('ok', [
      el('p', '✓ 一致：这次抽取经重新计算与记录完全相符', 'verify-verdict'),
      el('p', '按公开的抽取方案和开奖值重新计算，抽中主体、检查组和分派结果与记录完全一致。'),
      dl,
      el('p', '随机源（请对照其公开发布的开奖值核对记录中的 reveal）：'),
      sources,
    ]);
    return;
  }
  const label = CODE_TEXT[v.code] || v.code;
  if (v.code === 'mismatch') {
    const where = pathText(v.path);
    show('mismatch', [
      el('p', `✗ 不一致：${where ? `${where}（${v.path}）` : v.path}`, 'verify-verdict'),
      el('p', `${label}。`),
      el('p', v.message),
      el('p', `用时 ${Math.round(ms)} 毫秒`),
    ]);
  } else {
    // A file that cannot be read says nothing about the draw: said plainly, not in
    // the red of a draw that failed.
    const unreadable = UNREADABLE.includes(v.code);
    show('error', [
      el('p', unreadable ? `无法验证：${label}` : `✗ 未通过验证：${label}`, unreadable ? 'verify-verdict unreadable' : 'verify-verdict'),
      el('p', v.path ? `${v.path}：${v.message}` : v.message),
      el('p', `错误代码 ${v.code}（见抽取规范 §8）`, 'muted'),
    ]);
  }
}

/** Verifies `source()` (a promise of text or bytes) and shows the verdict. */
async function run(source) {
  const mine = ++latest;
  show('running', [el('p', '正在验证…')]);
  let input;
  try {
    input = await source();
  } catch (e) {
    if (mine === latest) {
      showVerdict({ ok: false, code: 'fetch-failed', path: null, message: String(e && e.message ? e.message : e) }, 0);
    }
    return;
  }
  const start = performance.now();
  const v = await verifyRecord(input);
  const ms = performance.now() - start;
  if (mine !== latest) return;
  showVerdict(v, ms);
  if (v.ok) await showLog(input, mine);
}

/** The record against this site's transparency log, below the draw's verdict. */
async function showLog(input, mine) {
  const box = byId('verify-result');
  if (!box) return;
  const section = el('section', undefined, 'log-check');
  section.id = 'log-result';
  section.dataset.status = 'running';
  section.append(el('h2', '透明日志'), el('p', '正在核对本平台的透明日志…'));
  box.append(section);
  let verdict;
  try {
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
    verdict = await checkRecordInLog(text);
  } catch (e) {
    verdict = { ok: false, lines: [['bad', `无法核对透明日志：${e && e.message ? e.message : e}`]] };
  }
  if (mine !== latest) return;
  const list = el('ul');
  for (const [kind, text] of verdict.lines) list.append(el('li', text, `log-${kind}`));
  const children = [
    el('h2', '透明日志'),
    el('p', verdict.ok ? '一致：本次抽取的方案先于随机源记入了只增不改的透明日志。' : '不一致：见下列各项。', 'verify-verdict'),
    list,
  ];
  if (verdict.key) children.push(el('p', `日志公钥 ${verdict.key}（请与平台公布的公钥核对）`, 'muted'));
  section.dataset.status = verdict.ok ? 'ok' : 'mismatch';
  section.replaceChildren(...children);
}

function chosenFile() {
  const input = byId('record-file');
  return input && input.files && input.files.length > 0 ? input.files[0] : null;
}

function init() {
  const fileInput = byId('record-file');
  const textArea = byId('record-text');
  const button = byId('verify-button');

  if (fileInput) {
    fileInput.addEventListener('change', () => {
      const file = chosenFile();
      if (file) run(() => file.arrayBuffer());
    });
  }
  if (button) {
    button.addEventListener('click', (event) => {
      event.preventDefault();
      const text = textArea ? textArea.value : '';
      const file = chosenFile();
      if (text.trim() !== '') run(async () => text);
      else if (file) run(() => file.arrayBuffer());
      else show('error', [el('p', '请选择抽取记录文件，或把记录内容粘贴到文本框中。')]);
    });
  }

  const verifier = byId('verifier');
  const url = verifier && verifier.dataset.recordUrl;
  if (url) {
    run(async () => {
      const res = await fetch(url, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`HTTP ${res.status}：${url}`);
      return res.arrayBuffer();
    });
  }
}

// Imported outside a page (the node tests of pathText), there is nothing to set up.
if (typeof document === 'undefined') {
  // no page
} else if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
