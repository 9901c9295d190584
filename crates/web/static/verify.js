// liancha-draw/1 and /2 verifier (docs/draw-v1.md, docs/draw-v2.md: teams that must
// hold a specialty), for the visitor's browser and
// for Node.js 20 tests. Hand-written, no dependencies.
//
// Everything the draw computes is recomputed here from the record's `plan` and
// `reveal`: plan_digest = H(canonical(plan)), the seed, the tickets, the selection,
// the teams and the matching; then compared with what the record claims. SHA-256
// comes from the Web Crypto API (globalThis.crypto.subtle), which browsers only
// offer on secure pages (HTTPS or localhost).
//
// Exact arithmetic: counts are array lengths (< 2^32), so N_s × ratio_bp stays
// below 2^32 × 10^4 < 2^53; the `total` allocation multiplies two counts and uses
// BigInt.

export const FORMAT = 'liancha-draw/1';
/** Plans whose teams require specialties (docs/draw-v2.md); one plan, one format. */
export const FORMAT_V2 = 'liancha-draw/2';

/** Largest integer magnitude the format allows (2^53 − 1). */
export const MAX_SAFE_INT = 9007199254740991;

const MAX_DEPTH = 128;

/**
 * Why a draw was refused or a record did not verify. `code` is one of spec §8's
 * codes (invalid-json, invalid-format, invalid-plan, reveal-mismatch,
 * not-enough-inspectors) or `mismatch`; `path` names the place when known.
 */
export class DrawError extends Error {
  constructor(code, message, path = null) {
    super(message);
    this.name = 'DrawError';
    this.code = code;
    this.path = path;
  }
}

// ------------------------------------------------------------------ strict JSON

// Parsed objects have no prototype (so a key such as "__proto__" is just a key).
// JS objects list integer-like keys first whatever their input order; where such a
// key occurs, the input order is kept under this symbol so that `pretty` re-prints
// the object as it was given.
const KEY_ORDER = Symbol('liancha.keyOrder');
const INDEX_LIKE = /^(0|[1-9][0-9]*)$/;

function hasOwn(o, k) {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys of `o` in input order (see KEY_ORDER). */
function keysInOrder(o) {
  const order = o[KEY_ORDER];
  const keys = Object.keys(o);
  if (!order) return keys;
  const seen = new Set(order.filter((k) => hasOwn(o, k)));
  return [...seen, ...keys.filter((k) => !seen.has(k))];
}

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8 = new TextEncoder();

/** Text from a string, an ArrayBuffer or a byte view; bytes must be valid UTF-8. */
function toText(input) {
  if (typeof input === 'string') return input;
  let bytes = null;
  if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
  else if (ArrayBuffer.isView(input)) {
    bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  }
  if (bytes === null) {
    throw new DrawError('invalid-json', '输入必须是文本或字节');
  }
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    throw new DrawError('invalid-json', '不是有效的 UTF-8 编码');
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !LONE_SURROGATE.test(s);
}

/**
 * Parses strict JSON (spec §2): integers only (no fraction, no exponent, no -0,
 * magnitude ≤ 2^53 − 1, no leading zero), no repeated key, no byte-order mark, no
 * lone surrogate, nothing after the value. Throws DrawError('invalid-json').
 * Objects come back without prototype; numbers as JS numbers (exact).
 */
export function parseStrict(input) {
  const text = toText(input);
  if (!wellFormed(text)) {
    throw new DrawError('invalid-json', '文本中有孤立的代理码元（不是 UTF-8）');
  }
  const p = new Parser(text);
  try {
    p.ws();
    const v = p.value(0);
    p.ws();
    if (p.pos !== text.length) p.fail('JSON 值之后还有多余的字符');
    return v;
  } catch (e) {
    if (e instanceof DrawError && e.code === 'invalid-json' && typeof e.offset === 'number') {
      const before = text.slice(0, e.offset);
      const line = before.split('\n').length;
      const column = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
      const err = new DrawError('invalid-json', `第 ${line} 行第 ${column} 列：${e.message}`);
      err.offset = e.offset;
      throw err;
    }
    throw e;
  }
}

class Parser {
  constructor(text) {
    this.s = text;
    this.pos = 0;
  }

  fail(reason, at = this.pos) {
    const e = new DrawError('invalid-json', reason);
    e.offset = at;
    throw e;
  }

  ws() {
    const s = this.s;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  value(depth) {
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: return this.object(depth + 1); // {
      case 0x5b: return this.array(depth + 1); // [
      case 0x22: return this.string(); // "
      case 0x74: return this.literal('true', true);
      case 0x66: return this.literal('false', false);
      case 0x6e: return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        if (Number.isNaN(c)) this.fail('内容意外结束（记录可能不完整）');
        return this.fail('此处应为一个 JSON 值');
    }
  }

  literal(word, v) {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return v;
    }
    return this.fail('无法识别的字面量（只允许 true、false、null）');
  }

  object(depth) {
    if (depth > MAX_DEPTH) this.fail('嵌套层数过多');
    this.pos++;
    const o = Object.create(null);
    let order = null;
    const keys = [];
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return o;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 0x22) this.fail('此处应为带引号的键名');
      const keyPos = this.pos;
      const key = this.string();
      if (hasOwn(o, key)) this.fail(`键 ${JSON.stringify(key)} 重复出现`, keyPos);
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 0x3a) this.fail('键名之后应为冒号「:」');
      this.pos++;
      this.ws();
      o[key] = this.value(depth);
      keys.push(key);
      if (order === null && INDEX_LIKE.test(key)) order = keys;
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) this.pos++;
      else if (c === 0x7d) {
        this.pos++;
        break;
      } else this.fail('此处应为逗号「,」或右花括号「}」');
    }
    if (order !== null) {
      Object.defineProperty(o, KEY_ORDER, { value: order, enumerable: false });
    }
    return o;
  }

  array(depth) {
    if (depth > MAX_DEPTH) this.fail('嵌套层数过多');
    this.pos++;
    const a = [];
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return a;
    }
    for (;;) {
      this.ws();
      a.push(this.value(depth));
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) this.pos++;
      else if (c === 0x5d) {
        this.pos++;
        return a;
      } else this.fail('此处应为逗号「,」或右方括号「]」');
    }
  }

  hex4() {
    const h = this.s.slice(this.pos, this.pos + 4);
    if (h.length < 4) this.fail('\\u 转义不完整');
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('\\u 转义中有无效的十六进制数字');
    this.pos += 4;
    return parseInt(h, 16);
  }

  string() {
    const s = this.s;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      const start = this.pos;
      let i = start;
      let c = s.charCodeAt(i);
      while (c !== 0x22 && c !== 0x5c && c >= 0x20) c = s.charCodeAt(++i);
      // NaN (end of input) fails every comparison above, so the loop stops there too.
      if (i > start) out += s.slice(start, i);
      this.pos = i;
      if (Number.isNaN(c)) this.fail('字符串没有结束引号');
      if (c === 0x22) {
        this.pos++;
        return out;
      }
      if (c !== 0x5c) this.fail('字符串中有未转义的控制字符');
      this.pos++;
      const e = s.charCodeAt(this.pos);
      if (Number.isNaN(e)) this.fail('转义序列不完整');
      this.pos++;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: { // u
          const hi = this.hex4();
          if (hi >= 0xd800 && hi < 0xdc00) {
            if (!s.startsWith('\\u', this.pos)) this.fail('孤立的高位代理码元');
            this.pos += 2;
            const lo = this.hex4();
            if (!(lo >= 0xdc00 && lo < 0xe000)) this.fail('高位代理码元之后缺少低位代理码元');
            out += String.fromCharCode(hi, lo);
          } else if (hi >= 0xdc00 && hi < 0xe000) {
            this.fail('孤立的低位代理码元');
          } else {
            out += String.fromCharCode(hi);
          }
          break;
        }
        default:
          this.pos--;
          this.fail('无效的转义序列');
      }
    }
  }

  number() {
    const s = this.s;
    const start = this.pos;
    let i = start;
    const negative = s.charCodeAt(i) === 0x2d;
    if (negative) i++;
    const digitsStart = i;
    let c = s.charCodeAt(i);
    if (c === 0x30) {
      i++;
      c = s.charCodeAt(i);
      if (c >= 0x30 && c <= 0x39) this.fail('数字不能以 0 开头', i);
    } else if (c >= 0x31 && c <= 0x39) {
      while (c >= 0x30 && c <= 0x39) c = s.charCodeAt(++i);
    } else {
      this.fail('此处应为数字', i);
    }
    if (c === 0x2e || c === 0x65 || c === 0x45) {
      this.fail('数字必须是整数（不允许小数或指数）', start);
    }
    const digits = s.slice(digitsStart, i);
    // 16 digits bound the magnitude below 10^16, so Number() is exact before the check.
    if (digits.length > 16 || Number(digits) > MAX_SAFE_INT) {
      this.fail('整数绝对值超过 2^53 - 1', start);
    }
    const n = Number(digits);
    if (negative && n === 0) this.fail('不允许 -0', start);
    this.pos = i;
    return negative ? -n : n;
  }
}

// ------------------------------------------------------------------ writing

/**
 * A JSON string literal escaping exactly `"`, `\` and U+0000–U+001F (spec §2):
 * `\b \f \n \r \t` where JSON has them, else `\u00xx` in lower-case hex; all else
 * as itself. This is ECMAScript's QuoteJSONString, which RFC 8785 adopts, so the
 * built-in does it, natively fast. It would escape a lone surrogate instead; such
 * a string is not UTF-8, and is refused.
 */
export function quote(s) {
  if (!wellFormed(s)) throw new DrawError('invalid-json', '字符串中有孤立的代理码元（不是 UTF-8）');
  return JSON.stringify(s);
}

function scalar(v) {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || Object.is(v, -0)) {
      throw new DrawError('invalid-json', `${v} 不是允许的整数`);
    }
    return String(v);
  }
  if (typeof v === 'string') return quote(v);
  throw new DrawError('invalid-json', `${typeof v} 类型不是 JSON 值`);
}

/**
 * RFC 8785 canonical JSON of a value (spec §2): keys sorted by UTF-16 code units
 * (what JS's default string order is), no whitespace, minimal escapes. Returns a
 * string; its UTF-8 bytes are what gets hashed.
 */
export function canonicalize(v) {
  const parts = [];
  writeCanonical(v, parts);
  return parts.join('');
}

function writeCanonical(v, out) {
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      writeCanonical(v[i], out);
    }
    out.push(']');
  } else if (isObject(v)) {
    const keys = Object.keys(v).sort();
    out.push('{');
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out.push(',');
      out.push(quote(keys[i]), ':');
      writeCanonical(v[keys[i]], out);
    }
    out.push('}');
  } else {
    out.push(scalar(v));
  }
}

/**
 * Human-readable JSON laid out as the spec's vectors and the Rust crate print it:
 * one-space indent, `": "` after keys, keys in input order, no trailing newline.
 */
export function pretty(v) {
  const out = [];
  writePretty(v, '', out);
  return out.join('');
}

function writePretty(v, indent, out) {
  if (Array.isArray(v)) {
    if (v.length === 0) return void out.push('[]');
    const inner = indent + ' ';
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      out.push(i > 0 ? ',\n' : '\n', inner);
      writePretty(v[i], inner, out);
    }
    out.push('\n', indent, ']');
  } else if (isObject(v)) {
    const keys = keysInOrder(v);
    if (keys.length === 0) return void out.push('{}');
    const inner = indent + ' ';
    out.push('{');
    for (let i = 0; i < keys.length; i++) {
      out.push(i > 0 ? ',\n' : '\n', inner, quote(keys[i]), ': ');
      writePretty(v[keys[i]], inner, out);
    }
    out.push('\n', indent, '}');
  } else {
    out.push(scalar(v));
  }
}

// ------------------------------------------------------------------ hashing

const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

function toHex(buf) {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

function subtle() {
  const c = globalThis.crypto;
  if (!c || !c.subtle) {
    throw new DrawError(
      'no-webcrypto',
      '此浏览器在此页面上无法使用 Web Crypto（需要安全连接：HTTPS 或本机地址）',
    );
  }
  return c.subtle;
}

async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

/** SHA-256 of a string's UTF-8, as lower-case hex. */
export async function sha256Hex(text) {
  return toHex(await sha256(UTF8.encode(text)));
}

const BATCH = 4096;

/**
 * Tickets `ticket(purpose, s) = H(seed ‖ purpose ‖ 0x00 ‖ s)` for every `s` in
 * `names`, as 64-digit lower-case hex (whose string order is the tickets' 256-bit
 * big-endian order). The prefix is laid out once; each batch of messages lives in
 * one fresh buffer, and its digests run concurrently.
 */
export async function tickets(seed, purpose, names) {
  const crypto = subtle();
  const prefix = new Uint8Array(seed.length + purpose.length + 1);
  prefix.set(seed, 0);
  for (let i = 0; i < purpose.length; i++) prefix[seed.length + i] = purpose.charCodeAt(i);
  const out = new Array(names.length);
  for (let from = 0; from < names.length; from += BATCH) {
    const to = Math.min(names.length, from + BATCH);
    let size = 0;
    for (let i = from; i < to; i++) size += prefix.length + names[i].length * 3;
    const buf = new Uint8Array(size);
    const pending = [];
    let at = 0;
    for (let i = from; i < to; i++) {
      const start = at;
      buf.set(prefix, at);
      at += prefix.length;
      at += UTF8.encodeInto(names[i], buf.subarray(at)).written;
      pending.push(crypto.digest('SHA-256', buf.subarray(start, at)));
    }
    const digests = await Promise.all(pending);
    for (let i = 0; i < digests.length; i++) out[from + i] = toHex(digests[i]);
  }
  return out;
}

/** `H(canonical(plan))` as raw bytes. */
async function digestPlan(planJson) {
  return sha256(UTF8.encode(canonicalize(planJson)));
}

/** `seed = H("liancha-draw/1" ‖ 0x00 ‖ plan_digest ‖ u32be(len(r1)) ‖ r1 ‖ …)`. */
async function computeSeed(planDigest, reveal) {
  // v2 keeps v1's prefix (docs/draw-v2.md §4).
  const parts = [UTF8.encode(FORMAT + '\u0000'), planDigest];
  for (const r of reveal) {
    const bytes = UTF8.encode(r);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length, false);
    parts.push(len, bytes);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const msg = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    msg.set(p, at);
    at += p.length;
  }
  return sha256(msg);
}

/**
 * Compares two strings by their UTF-8 bytes (= by code points), which differs from
 * JS's UTF-16 order when a character above U+FFFF meets one in U+E000–U+FFFF.
 */
export function compareUtf8(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) stand for code points above U+FFFF: lift them above
    // U+E000–U+FFFF. (At the first differing unit both strings agree before it, so
    // a low surrogate here is paired with the same high one on both sides.)
    if (x >= 0xd800 && x < 0xe000) x += 0x10000;
    if (y >= 0xd800 && y < 0xe000) y += 0x10000;
    return x < y ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** Draw order: ticket (hex, same order as the 256-bit integer), then id bytes. */
function byTicketThenId(a, b) {
  if (a.ticket !== b.ticket) return a.ticket < b.ticket ? -1 : 1;
  return compareUtf8(a.id, b.id);
}

// ------------------------------------------------------------------ plan (spec §3)

function invalid(message, path = null) {
  return new DrawError('invalid-plan', message, path);
}

function kind(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return '数组';
  switch (typeof v) {
    case 'object': return '对象';
    case 'string': return '字符串';
    case 'number': return '数字';
    case 'boolean': return '布尔值';
    default: return typeof v;
  }
}

function asObject(v, path) {
  if (!isObject(v)) throw invalid(`\`${path}\` 应为对象，实际为${kind(v)}`, path);
  return v;
}

function asArray(v, path) {
  if (!Array.isArray(v)) throw invalid(`\`${path}\` 应为数组，实际为${kind(v)}`, path);
  return v;
}

function nameProblem(s) {
  if (s.length === 0) return '不能为空';
  if (s.includes('\u0000')) return '不能含有 U+0000 字符';
  return null;
}

/** A name (id, stratum, department, township, source): non-empty, no U+0000. */
function asName(v, path) {
  if (typeof v !== 'string') throw invalid(`\`${path}\` 应为字符串，实际为${kind(v)}`, path);
  const p = nameProblem(v);
  if (p) throw invalid(`\`${path}\` ${p}`, path);
  return v;
}

function asUint(v, path) {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw invalid(`\`${path}\` 应为整数，实际为${kind(v)}`, path);
  }
  if (v < 0) throw invalid(`\`${path}\` 不能为负数`, path);
  return v;
}

/** Only `allowed` keys, no null value, every `required` key. */
function checkKeys(o, required, allowed, path) {
  for (const k of keysInOrder(o)) {
    if (!allowed.includes(k)) throw invalid(`\`${path}\` 中有未知的键 \`${k}\``, `${path}.${k}`);
    if (o[k] === null) {
      throw invalid(`\`${path}.${k}\` 为 null；抽取方案中不允许 null`, `${path}.${k}`);
    }
  }
  for (const k of required) {
    if (!hasOwn(o, k)) throw invalid(`\`${path}\` 缺少必需的键 \`${k}\``, path);
  }
}

function optName(o, key, path) {
  return hasOwn(o, key) ? asName(o[key], `${path}.${key}`) : null;
}

/** An optional array of names, none twice (absent = empty). */
function optNames(o, key, path, distinct) {
  if (!hasOwn(o, key)) return [];
  const list = asArray(o[key], `${path}.${key}`).map((d, i) => asName(d, `${path}.${key}[${i}]`));
  if (distinct) {
    list.forEach((d, i) => {
      if (list.indexOf(d) !== i) {
        throw invalid(`专业领域 \`${d}\` 在 \`${path}.${key}\` 中重复出现`, `${path}.${key}[${i}]`);
      }
    });
  }
  return list;
}

/** The format a plan belongs to: v2 exactly when its teams require specialties. */
export function planFormat(plan) {
  return plan.teams && plan.teams.specialties.length > 0 ? FORMAT_V2 : FORMAT;
}

/**
 * Reads and validates a plan (spec §3, §5) strictly; throws DrawError('invalid-plan')
 * naming the rule and the place. Returns the typed plan.
 */
export function readPlan(v) {
  const o = asObject(v, 'plan');
  checkKeys(
    o,
    ['task', 'entities', 'sources'],
    ['task', 'entities', 'sources', 'quotas', 'total', 'inspectors', 'conflicts', 'teams'],
    'plan',
  );
  asObject(o.task, 'plan.task');

  const entities = asArray(o.entities, 'plan.entities').map((e, i) => {
    const p = `plan.entities[${i}]`;
    asObject(e, p);
    checkKeys(e, ['id', 'stratum'], ['id', 'stratum', 'township'], p);
    return {
      id: asName(e.id, `${p}.id`),
      stratum: asName(e.stratum, `${p}.stratum`),
      township: optName(e, 'township', p),
    };
  });

  const hasQuotas = hasOwn(o, 'quotas');
  const hasTotal = hasOwn(o, 'total');
  if (hasQuotas && hasTotal) {
    throw invalid('方案同时有 `quotas` 和 `total`，只能有其中一个', 'plan');
  }
  if (!hasQuotas && !hasTotal) throw invalid('方案必须有 `quotas` 或 `total` 中的一个', 'plan');
  let total = null;
  let quotas = null;
  if (hasTotal) {
    total = asUint(o.total, 'plan.total');
  } else {
    quotas = asArray(o.quotas, 'plan.quotas').map((q, i) => {
      const p = `plan.quotas[${i}]`;
      asObject(q, p);
      checkKeys(q, ['stratum'], ['stratum', 'ratio_bp', 'count'], p);
      const hasRatio = hasOwn(q, 'ratio_bp');
      const hasCount = hasOwn(q, 'count');
      if (hasRatio === hasCount) throw invalid(`\`${p}\` 必须有 \`ratio_bp\` 或 \`count\` 中的一个`, p);
      const rule = hasRatio
        ? { ratioBp: asUint(q.ratio_bp, `${p}.ratio_bp`) }
        : { count: asUint(q.count, `${p}.count`) };
      return { stratum: asName(q.stratum, `${p}.stratum`), ...rule };
    });
  }

  let specialtyKey = false;
  const inspectors = !hasOwn(o, 'inspectors')
    ? []
    : asArray(o.inspectors, 'plan.inspectors').map((x, i) => {
        const p = `plan.inspectors[${i}]`;
        asObject(x, p);
        checkKeys(x, ['id', 'department'], ['id', 'department', 'township', 'specialties'], p);
        if (hasOwn(x, 'specialties')) specialtyKey = true;
        return {
          id: asName(x.id, `${p}.id`),
          department: asName(x.department, `${p}.department`),
          township: optName(x, 'township', p),
          specialties: optNames(x, 'specialties', p, true),
        };
      });

  const conflicts = !hasOwn(o, 'conflicts')
    ? []
    : asArray(o.conflicts, 'plan.conflicts').map((c, i) => {
        const p = `plan.conflicts[${i}]`;
        asObject(c, p);
        checkKeys(c, ['inspector', 'entity'], ['inspector', 'entity'], p);
        return { inspector: asName(c.inspector, `${p}.inspector`), entity: asName(c.entity, `${p}.entity`) };
      });

  let teams = null;
  if (hasOwn(o, 'teams')) {
    const t = asObject(o.teams, 'plan.teams');
    checkKeys(
      t,
      ['count', 'size'],
      ['count', 'size', 'departments', 'avoid_same_township', 'specialties'],
      'plan.teams',
    );
    const departments = optNames(t, 'departments', 'plan.teams', false);
    const specialties = optNames(t, 'specialties', 'plan.teams', true);
    if (hasOwn(t, 'specialties') && specialties.length === 0) {
      throw invalid('`plan.teams.specialties` 为空；请至少列出一个专业领域，或省略该键', 'plan.teams.specialties');
    }
    let avoid = false;
    if (hasOwn(t, 'avoid_same_township')) {
      avoid = t.avoid_same_township;
      if (typeof avoid !== 'boolean') {
        throw invalid(
          `\`plan.teams.avoid_same_township\` 应为布尔值，实际为${kind(avoid)}`,
          'plan.teams.avoid_same_township',
        );
      }
    }
    teams = {
      count: asUint(t.count, 'plan.teams.count'),
      size: asUint(t.size, 'plan.teams.size'),
      departments,
      avoidSameTownship: avoid,
      specialties,
    };
  }

  const sources = asArray(o.sources, 'plan.sources').map((s, i) => asName(s, `plan.sources[${i}]`));

  // Rules across items (Rust: Plan::validate).
  const ids = new Set();
  for (let i = 0; i < entities.length; i++) {
    const id = entities[i].id;
    if (ids.has(id)) throw invalid(`主体编号 \`${id}\` 重复出现（plan.entities[${i}]）`, `plan.entities[${i}].id`);
    ids.add(id);
  }
  if (quotas) {
    const strata = new Set();
    quotas.forEach((q, i) => {
      if (q.ratioBp !== undefined && q.ratioBp > 10000) {
        throw invalid(`\`plan.quotas[${i}].ratio_bp\` 为 ${q.ratioBp}，应在 0 … 10000 之间`, `plan.quotas[${i}].ratio_bp`);
      }
      if (strata.has(q.stratum)) {
        throw invalid(`分层 \`${q.stratum}\` 有不止一个配额（plan.quotas[${i}]）`, `plan.quotas[${i}].stratum`);
      }
      strata.add(q.stratum);
    });
  }
  const inspectorIds = new Set();
  inspectors.forEach((x, i) => {
    if (inspectorIds.has(x.id)) {
      throw invalid(`执法检查人员编号 \`${x.id}\` 重复出现（plan.inspectors[${i}]）`, `plan.inspectors[${i}].id`);
    }
    inspectorIds.add(x.id);
  });
  if (teams) {
    if (teams.count < 1) throw invalid('`plan.teams.count` 至少为 1', 'plan.teams.count');
    if (teams.size < 2) {
      throw invalid(`\`plan.teams.size\` 为 ${teams.size}，每个检查组至少需要 2 名执法检查人员`, 'plan.teams.size');
    }
  }
  if (sources.length === 0) {
    throw invalid('`plan.sources` 至少要声明一个随机源', 'plan.sources');
  }
  const plan = { entities, total, quotas, inspectors, conflicts, teams, sources };
  if (specialtyKey && planFormat(plan) === FORMAT) {
    throw invalid(
      `执法检查人员列有 \`specialties\`，但 \`plan.teams.specialties\` 未要求任何专业领域；专业领域只属于 ${FORMAT_V2} 方案`,
      'plan.inspectors',
    );
  }
  return plan;
}

// ------------------------------------------------------------------ envelope

function badFormat(message, path = null) {
  return new DrawError('invalid-format', message, path);
}

/** RFC 3339 UTC as the Rust crate accepts it: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±00:00)`. */
export function isRfc3339Utc(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|\+00:00|-00:00)$/.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (dim === undefined) return false;
  return day >= 1 && day <= dim && hour <= 23 && minute <= 59 && second <= 60;
}

/**
 * Reads `format`, `plan`, `reveal`, `committed_at` (and the `extra` keys a record
 * has) in the order that makes error codes predictable: format, keys, plan,
 * reveal, committed_at.
 */
function readEnvelope(root, what, extra) {
  if (!isObject(root)) throw badFormat(`${what}应为 JSON 对象，实际为${kind(root)}`);
  if (!hasOwn(root, 'format')) throw badFormat(`${what}缺少 \`format\``, 'format');
  if (root.format !== FORMAT && root.format !== FORMAT_V2) {
    throw badFormat(`\`format\` 为 ${abbreviate(root.format)}，应为 "${FORMAT}" 或 "${FORMAT_V2}"`, 'format');
  }
  const allowed = ['format', 'plan', 'reveal', 'committed_at', ...extra];
  for (const k of keysInOrder(root)) {
    if (!allowed.includes(k)) throw badFormat(`${what}中有未知的键 \`${k}\``, k);
  }
  for (const k of ['plan', 'reveal', ...extra]) {
    if (!hasOwn(root, k)) throw badFormat(`${what}缺少 \`${k}\``, k);
  }
  const plan = readPlan(root.plan);
  if (planFormat(plan) !== root.format) {
    throw badFormat(
      planFormat(plan) === FORMAT_V2
        ? `\`format\` 为 "${root.format}"，但方案要求检查组具备专业领域，这只有 "${FORMAT_V2}" 才有`
        : `\`format\` 为 "${root.format}"，但方案未要求任何专业领域，应为 "${FORMAT}"`,
      'format',
    );
  }
  const reveal = root.reveal;
  if (!Array.isArray(reveal) || !reveal.every((r) => typeof r === 'string')) {
    throw badFormat('`reveal` 应为字符串数组', 'reveal');
  }
  if (reveal.length !== plan.sources.length) {
    throw new DrawError(
      'reveal-mismatch',
      `有 ${reveal.length} 个开奖值，但声明了 ${plan.sources.length} 个随机源`,
      'reveal',
    );
  }
  reveal.forEach((r, i) => {
    const p = nameProblem(r);
    if (p) throw new DrawError('reveal-mismatch', `reveal[${i}] ${p}`, `reveal[${i}]`);
  });
  let committedAt = null;
  if (hasOwn(root, 'committed_at')) {
    committedAt = root.committed_at;
    if (typeof committedAt !== 'string') {
      throw badFormat(`\`committed_at\` 应为字符串，实际为${kind(committedAt)}`, 'committed_at');
    }
    if (!isRfc3339Utc(committedAt)) {
      throw badFormat(`\`committed_at\` ${JSON.stringify(committedAt)} 不是 RFC 3339 格式的 UTC 时间`, 'committed_at');
    }
  }
  return { plan, planJson: root.plan, reveal, committedAt };
}

// ------------------------------------------------------------------ the draw

/** `k_s` per stratum (spec §5); `populations` is a Map stratum → N_s. */
async function stratumQuotas(plan, populations, seed) {
  const k = new Map();
  for (const s of populations.keys()) k.set(s, 0);
  if (plan.quotas) {
    for (const q of plan.quotas) {
      const n = populations.get(q.stratum);
      if (n === undefined) continue;
      // n < 2^32 and ratioBp ≤ 10000: the product is an exact double.
      const want = q.count !== undefined ? q.count : Math.ceil((n * q.ratioBp) / 10000);
      k.set(q.stratum, Math.min(want, n));
    }
    return k;
  }
  const strata = [...populations.keys()];
  const N = BigInt(strata.reduce((sum, s) => sum + populations.get(s), 0));
  if (N === 0n) return k;
  const T = BigInt(plan.total) < N ? BigInt(plan.total) : N;
  const ticketsOf = await tickets(seed, 'stratum', strata);
  let given = 0n;
  const rest = strata.map((s, i) => {
    const prod = T * BigInt(populations.get(s));
    const base = prod / N;
    given += base;
    k.set(s, Number(base));
    return { stratum: s, remainder: prod % N, ticket: ticketsOf[i] };
  });
  rest.sort((a, b) => {
    if (a.remainder !== b.remainder) return a.remainder > b.remainder ? -1 : 1;
    if (a.ticket !== b.ticket) return a.ticket < b.ticket ? -1 : 1;
    return compareUtf8(a.stratum, b.stratum);
  });
  const left = Number(T - given);
  for (let i = 0; i < left; i++) k.set(rest[i].stratum, k.get(rest[i].stratum) + 1);
  return k;
}

/** Selected entities in draw order: `{ id, stratum, ticket, township }`. */
async function selectEntities(plan, seed) {
  const populations = new Map();
  for (const e of plan.entities) populations.set(e.stratum, (populations.get(e.stratum) || 0) + 1);
  const k = await stratumQuotas(plan, populations, seed);
  // Only strata that select anything need tickets.
  const rows = plan.entities.filter((e) => k.get(e.stratum) > 0);
  const t = await tickets(seed, 'entity', rows.map((e) => e.id));
  const byStratum = new Map();
  rows.forEach((e, i) => {
    let list = byStratum.get(e.stratum);
    if (!list) byStratum.set(e.stratum, (list = []));
    list.push({ id: e.id, stratum: e.stratum, ticket: t[i], township: e.township });
  });
  const selected = [];
  for (const [s, list] of byStratum) {
    list.sort(byTicketThenId);
    const n = k.get(s);
    for (let i = 0; i < n; i++) selected.push(list[i]);
  }
  selected.sort(byTicketThenId);
  return selected;
}

/** Teams (spec §6); throws not-enough-inspectors. */
async function formTeams(plan, seed) {
  const rules = plan.teams;
  const t = await tickets(seed, 'inspector', plan.inspectors.map((p) => p.id));
  const order = plan.inspectors.map((p, i) => ({
    id: p.id,
    department: p.department,
    specialties: p.specialties,
    ticket: t[i],
  }));
  order.sort(byTicketThenId);
  const taken = new Array(order.length).fill(false);
  const byDept = new Map();
  const bySpecialty = new Map();
  const listOf = (map, key) => {
    let d = map.get(key);
    if (!d) map.set(key, (d = { positions: [], cursor: 0 }));
    return d;
  };
  order.forEach((p, pos) => {
    listOf(byDept, p.department).positions.push(pos);
    for (const s of p.specialties) listOf(bySpecialty, s).positions.push(pos);
  });
  const firstFree = (map, key) => {
    const d = map.get(key);
    if (!d) return null;
    while (d.cursor < d.positions.length && taken[d.positions[d.cursor]]) d.cursor++;
    return d.cursor < d.positions.length ? d.positions[d.cursor] : null;
  };
  let anyCursor = 0;
  // v2 (docs/draw-v2.md §3): every team's specialists first, before any department
  // pick or filler can take them.
  const specialists = [];
  for (let no = 1; no <= rules.count; no++) {
    const members = [];
    for (const s of rules.specialties) {
      if (members.some((m) => order[m].specialties.includes(s))) continue;
      const pos = firstFree(bySpecialty, s);
      if (pos === null) {
        throw new DrawError(
          'not-enough-inspectors',
          `第 ${no} 个检查组需要具备专业领域 \`${s}\` 的执法检查人员，但已无人可选` +
            `（共 ${plan.inspectors.length} 名执法检查人员，要求 ${rules.count} 个检查组）`,
          'plan.inspectors',
        );
      }
      taken[pos] = true;
      members.push(pos);
    }
    specialists.push(members);
  }
  const teams = [];
  for (let no = 1; no <= rules.count; no++) {
    const members = specialists[no - 1];
    // A specialist stands for one listed entry of its own department.
    const counted = members.map(() => false);
    for (const dept of rules.departments) {
      const k = counted.findIndex((c, i) => !c && order[members[i]].department === dept);
      if (k >= 0) {
        counted[k] = true;
        continue;
      }
      const pos = firstFree(byDept, dept);
      if (pos === null) {
        throw new DrawError(
          'not-enough-inspectors',
          `第 ${no} 个检查组需要部门 \`${dept}\` 的执法检查人员，但已无人可选` +
            `（共 ${plan.inspectors.length} 名执法检查人员，要求 ${rules.count} 个检查组）`,
          'plan.inspectors',
        );
      }
      taken[pos] = true;
      members.push(pos);
    }
    while (members.length < rules.size) {
      while (anyCursor < order.length && taken[anyCursor]) anyCursor++;
      if (anyCursor === order.length) {
        throw new DrawError(
          'not-enough-inspectors',
          `第 ${no} 个检查组需要 ${rules.size} 名成员，只能找到 ${members.length} 名` +
            `（共 ${plan.inspectors.length} 名执法检查人员，要求 ${rules.count} 个检查组）`,
          'plan.inspectors',
        );
      }
      taken[anyCursor] = true;
      members.push(anyCursor);
    }
    teams.push({ no, members: members.map((m) => order[m].id) });
  }
  return teams;
}

/** Matching (spec §7): assignments and unassigned, both in draw order. */
async function assignTeams(plan, selected, teams, seed) {
  const rules = plan.teams;
  const assignments = [];
  const unassigned = [];
  const cap = Math.ceil(selected.length / teams.length);
  const townOf = new Map(plan.inspectors.map((p) => [p.id, p.township]));
  const teamOf = new Map();
  const teamTowns = teams.map((t, ti) => {
    const towns = new Set();
    for (const m of t.members) {
      teamOf.set(m, ti);
      const tw = townOf.get(m);
      if (tw !== null && tw !== undefined) towns.add(tw);
    }
    return towns;
  });
  const conflictsOf = new Map();
  for (const c of plan.conflicts) {
    let list = conflictsOf.get(c.entity);
    if (!list) conflictsOf.set(c.entity, (list = []));
    list.push(c.inspector);
  }
  const teamTickets = await tickets(seed, 'team', teams.map((t) => String(t.no)));
  const load = new Array(teams.length).fill(0);
  const blocked = new Array(teams.length).fill(false);
  for (const e of selected) {
    blocked.fill(false);
    for (const insp of conflictsOf.get(e.id) || []) {
      const ti = teamOf.get(insp);
      if (ti !== undefined) blocked[ti] = true;
    }
    if (rules.avoidSameTownship && e.township !== null) {
      for (let ti = 0; ti < teams.length; ti++) if (teamTowns[ti].has(e.township)) blocked[ti] = true;
    }
    let best = -1;
    for (let ti = 0; ti < teams.length; ti++) {
      if (blocked[ti] || load[ti] >= cap) continue;
      if (
        best < 0 ||
        load[ti] < load[best] ||
        (load[ti] === load[best] && teamTickets[ti] < teamTickets[best])
      ) {
        best = ti;
      }
    }
    if (best < 0) unassigned.push({ entity: e.id, reason: 'no-eligible-team' });
    else {
      load[best]++;
      assignments.push({ entity: e.id, team: teams[best].no });
    }
  }
  return { assignments, unassigned };
}

/** The draw proper: digest, seed and the record's `result` object. */
async function runDraw(env) {
  const digest = await digestPlan(env.planJson);
  const seed = await computeSeed(digest, env.reveal);
  const picked = await selectEntities(env.plan, seed);
  let teams = [];
  let assignments = [];
  let unassigned = [];
  if (env.plan.teams) {
    teams = await formTeams(env.plan, seed);
    ({ assignments, unassigned } = await assignTeams(env.plan, picked, teams, seed));
  }
  return {
    planDigest: toHex(digest),
    seed: toHex(seed),
    result: {
      selected: picked.map((s) => ({ id: s.id, stratum: s.stratum, ticket: s.ticket })),
      teams,
      assignments,
      unassigned,
    },
  };
}

/**
 * Draws from an input document (`format`, `plan`, `reveal`, optional
 * `committed_at`; nothing else) and returns the record object, keys in the order
 * the spec's vectors use; `pretty(record)` is the publishable text. Throws
 * DrawError on a refused draw.
 */
export async function drawInput(text) {
  const root = parseStrict(text);
  const env = readEnvelope(root, '抽取输入', []);
  const drawn = await runDraw(env);
  const record = {
    format: planFormat(env.plan),
    plan: env.planJson,
    reveal: env.reveal,
    plan_digest: drawn.planDigest,
    seed: drawn.seed,
    result: drawn.result,
  };
  if (env.committedAt !== null) record.committed_at = env.committedAt;
  return record;
}

// ------------------------------------------------------------------ verifying

/** Canonical JSON cut to a readable length, for one-line messages. */
function abbreviate(v) {
  let s;
  try {
    s = canonicalize(v);
  } catch {
    s = String(v);
  }
  const chars = [...s.slice(0, 200)];
  return chars.length > 72 ? chars.slice(0, 72).join('') + '…' : chars.join('');
}

/**
 * Path and description of the first value where `found` differs from `expected`,
 * depth-first in `expected`'s order; object key order does not matter.
 */
function firstDifference(expected, found, path) {
  if (Array.isArray(expected)) {
    if (!Array.isArray(found)) return [path, `应为数组，记录中为 ${abbreviate(found)}`];
    const n = Math.max(expected.length, found.length);
    for (let i = 0; i < n; i++) {
      if (i >= found.length) return [`${path}[${i}]`, `应为 ${abbreviate(expected[i])}，记录中缺少此项`];
      if (i >= expected.length) return [`${path}[${i}]`, `记录中多出一项 ${abbreviate(found[i])}`];
      const e = expected[i];
      const f = found[i];
      if (e === f) continue;
      const d = firstDifference(e, f, `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isObject(expected)) {
    if (!isObject(found)) return [path, `应为对象，记录中为 ${abbreviate(found)}`];
    for (const k of Object.keys(expected)) {
      if (!hasOwn(found, k)) return [`${path}.${k}`, `应为 ${abbreviate(expected[k])}，记录中缺少此项`];
      const d = firstDifference(expected[k], found[k], `${path}.${k}`);
      if (d) return d;
    }
    for (const k of keysInOrder(found)) {
      if (!hasOwn(expected, k)) return [`${path}.${k}`, '记录中多出此键'];
    }
    return null;
  }
  if (expected === found) return null;
  return [path, `重新计算得 ${abbreviate(expected)}，记录中为 ${abbreviate(found)}`];
}

function compare(expected, found, path) {
  const d = firstDifference(expected, found, path);
  if (d) {
    throw new DrawError('mismatch', `记录与重新计算的结果在 ${d[0]} 处不同：${d[1]}`, d[0]);
  }
}

/**
 * Verifies a published record (spec §8): recomputes plan_digest, seed and the whole
 * result from `plan` and `reveal` and compares them with the record, checking
 * plan_digest, seed, result.selected, .teams, .assignments, .unassigned in turn.
 *
 * `text` is the record's text (or its bytes, which must be UTF-8). Resolves to
 * `{ ok: true, summary }` or `{ ok: false, code, path, message }`; never rejects
 * for a bad record.
 *
 * Beacon signatures (drand) are not checked here: the summary lists the sources so
 * that a reader can check them elsewhere.
 */
export async function verifyRecord(text) {
  try {
    const root = parseStrict(text);
    const env = readEnvelope(root, '抽取记录', ['plan_digest', 'seed', 'result']);
    const drawn = await runDraw(env);
    compare(drawn.planDigest, root.plan_digest, 'plan_digest');
    compare(drawn.seed, root.seed, 'seed');
    compare(drawn.result, root.result, 'result');
    return {
      ok: true,
      summary: {
        plan_digest: drawn.planDigest,
        seed: drawn.seed,
        selected: drawn.result.selected.length,
        teams: drawn.result.teams.length,
        assignments: drawn.result.assignments.length,
        unassigned: drawn.result.unassigned.length,
        committed_at: env.committedAt,
        sources: env.plan.sources.slice(),
      },
    };
  } catch (e) {
    if (e instanceof DrawError) return { ok: false, code: e.code, path: e.path, message: e.message };
    return { ok: false, code: 'internal-error', path: null, message: String(e && e.message ? e.message : e) };
  }
}
