// Checks a draw record against this site's transparency log, in the visitor's own
// browser (issue 17): the checkpoint's Ed25519 signature (C2SP signed-note), every
// entry from the entry bundles (C2SP tlog-tiles) hashed into the RFC 6962 tree whose
// root the checkpoint signs, then the record's own entries: its plan sealed before
// every source could be known, no second sealing of the task, and the draw the log
// committed to being this very record. The same checks as `liancha verify --log`.

import { canonicalize, parseStrict } from './verify.js';

const enc = new TextEncoder();

/** An RFC 3339 UTC time as people in the county read it: 2026-01-12 10:00:00（北京时间）. */
export function beijingTime(rfc3339) {
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t)) return rfc3339;
  const b = new Date(t + 8 * 3600 * 1000);
  const p = (x) => String(x).padStart(2, '0');
  return `${b.getUTCFullYear()}-${p(b.getUTCMonth() + 1)}-${p(b.getUTCDate())} ${p(b.getUTCHours())}:${p(b.getUTCMinutes())}:${p(b.getUTCSeconds())}（北京时间）`;
}

async function sha256(...parts) {
  let len = 0;
  for (const p of parts) len += p.length;
  const all = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 6962's tree hash of the entries, appended one by one (their frontier). */
export async function treeRoot(entries) {
  const roots = [];
  let size = 0;
  for (const e of entries) {
    let h = await sha256(new Uint8Array([0]), e);
    for (let n = size; n & 1; n >>= 1) h = await sha256(new Uint8Array([1]), roots.pop(), h);
    roots.push(h);
    size += 1;
  }
  if (roots.length === 0) return sha256(new Uint8Array(0));
  let h = roots.pop();
  while (roots.length) h = await sha256(new Uint8Array([1]), roots.pop(), h);
  return h;
}

/** The entries of a tlog-tiles entry bundle (each after a big-endian u16 length). */
export function splitBundle(bytes) {
  const out = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new Error('条目包被截断');
    const len = (bytes[at] << 8) | bytes[at + 1];
    if (at + 2 + len > bytes.length) throw new Error('条目包被截断');
    out.push(bytes.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return out;
}

/** A tile index as tlog-tiles writes it: x001/234. */
export function tileIndex(n) {
  let s = String(n % 1000).padStart(3, '0');
  for (n = Math.floor(n / 1000); n > 0; n = Math.floor(n / 1000)) {
    s = `x${String(n % 1000).padStart(3, '0')}/${s}`;
  }
  return s;
}

/** Checks a signed checkpoint with the verifier key; returns {origin, size, root}. */
export async function readCheckpoint(note, key) {
  // name+id+base64: the base64 may hold '+' too.
  const [name, id, ...rest] = key.trim().split('+');
  const keyB64 = rest.join('+');
  const raw = b64(keyB64);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error('公钥格式不对');
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('检查点格式不对');
  const body = note.slice(0, split + 1);
  const [origin, size, root] = body.split('\n');
  if (origin !== name) throw new Error('检查点不是该公钥的日志的');
  const line = note.slice(split + 2).split('\n').find((l) => l.startsWith(`— ${name} `));
  if (!line) throw new Error('检查点没有该日志的签名');
  const sig = b64(line.slice(`— ${name} `.length));
  if (sig.length !== 68 || hex(sig.subarray(0, 4)) !== id) throw new Error('签名的密钥编号不符');
  const pub = await crypto.subtle.importKey('raw', raw.subarray(1), { name: 'Ed25519' }, false, ['verify']);
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.subarray(4), enc.encode(body));
  if (!ok) throw new Error('检查点签名无效');
  if (!/^\d+$/.test(size)) throw new Error('检查点格式不对');
  return { origin, size: Number(size), root: b64(root) };
}

async function get(url, kind) {
  const res = await fetch(url, { credentials: 'omit' });
  if (!res.ok) throw new Error(`HTTP ${res.status}：${url}`);
  return kind === 'text' ? res.text() : new Uint8Array(await res.arrayBuffer());
}

/**
 * The log's verdict on `recordText`: {ok, lines: [[ok|warn|bad, text]], key}.
 * `base` is the log's address (`/log`).
 */
export async function checkRecordInLog(recordText, base = '/log') {
  const lines = [];
  const record = parseStrict(recordText);
  const planDigest = record.plan_digest;
  const recordDigest = hex(await sha256(enc.encode(canonicalize(record))));
  const key = (await get(`${base}/key`, 'text')).trim();
  const cp = await readCheckpoint(await get(`${base}/checkpoint`, 'text'), key);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const raw = [];
  for (let n = 0; n * 256 < cp.size; n += 1) {
    const width = Math.min(256, cp.size - n * 256);
    const path = `${base}/tile/entries/${tileIndex(n)}${width < 256 ? `.p/${width}` : ''}`;
    const bundle = splitBundle(await get(path));
    if (bundle.length !== width) throw new Error(`${path} 的条目数不对`);
    raw.push(...bundle);
  }
  if (!equal(await treeRoot(raw), cp.root)) {
    return { ok: false, key, lines: [['bad', '日志条目算出的根哈希与签名的检查点不符：日志被改动过']] };
  }
  lines.push(['ok', `检查点签名有效；${cp.size} 条日志条目算出的根哈希与之相同`]);
  const entries = raw.map((r) => JSON.parse(decoder.decode(r)));
  const at = entries.findIndex((e) => e.event === 'task.sealed' && e.plan_digest === planDigest);
  if (at < 0) {
    lines.push(['bad', '本平台的透明日志中没有本方案的封存条目（记录若来自其他平台，请到该平台核对）']);
    return { ok: false, key, lines };
  }
  const sealed = entries[at];
  let ok = true;
  lines.push(['ok', `方案封存记入日志第 ${at} 条（${beijingTime(sealed.at)}）`]);
  for (const [i, s] of (sealed.sources || []).entries()) {
    // RFC 3339 UTC to the second: text order is time order.
    if (sealed.at < s.not_before) {
      lines.push(['ok', `随机源 ${i + 1}「${s.text}」：封存早于其最早揭示时间 ${beijingTime(s.not_before)}`]);
    } else {
      ok = false;
      lines.push(['bad', `随机源 ${i + 1}「${s.text}」的最早揭示时间 ${beijingTime(s.not_before)} 不晚于封存时间`]);
    }
  }
  const later = entries.slice(at + 1).filter((e) => e.county === sealed.county);
  if (later.some((e) => e.event === 'task.sealed' && e.task === sealed.task)) {
    ok = false;
    lines.push(['bad', '同一任务在日志中又被封存']);
  }
  const drawn = later.find((e) => e.event === 'task.drawn' && e.plan_digest === planDigest);
  if (!drawn) lines.push(['warn', '日志中尚无本方案的抽取条目']);
  else if (drawn.record_digest === recordDigest) lines.push(['ok', '抽取记录就是日志在抽取时记下摘要的那一份']);
  else {
    ok = false;
    lines.push(['bad', '抽取记录与日志在抽取时记下的摘要不同']);
  }
  // Cancellations before this sealing: a plan redone, perhaps after its outcome was seen.
  const drawnTasks = new Set();
  for (const e of entries.slice(0, at)) {
    if (e.county !== sealed.county) continue;
    if (e.event === 'task.drawn') drawnTasks.add(e.task);
    if (e.event === 'task.cancelled' && e.task !== sealed.task) {
      const when = drawnTasks.has(e.task) ? '抽取后取消' : '抽取前取消';
      lines.push(['warn', `同县已取消的任务 ${e.task}（${beijingTime(e.at)}，${when}）：${e.reason}`]);
    }
  }
  return { ok, key, lines };
}
