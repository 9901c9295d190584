// Tests of the browser verifier crates/web/static/verify.js against the spec's
// vectors (shared/spec/vectors, copied to crates/draw/tests/vectors) and against
// tampering. Run with: node --test e2e/verify.test.mjs   (Node 20, no packages)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  canonicalize,
  compareUtf8,
  drawInput,
  parseStrict,
  pretty,
  verifyRecord,
} from '../crates/web/static/verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const VECTORS = join(here, '..', 'crates', 'draw', 'tests', 'vectors');
// liancha-draw/2 (docs/draw-v2.md): the project's own vectors, file names `v2-…`.
const VECTORS_V2 = join(here, '..', 'crates', 'draw', 'tests', 'vectors-v2');
const dirOf = (f) => (f.startsWith('v2-') ? VECTORS_V2 : VECTORS);
const isError = (f) => f.replace(/^v2-/, '').startsWith('error-');

// What the vectors' README says each error input must give.
const ERROR_CODES = {
  'error-duplicate-entity.input.json': 'invalid-plan',
  'error-fraction.input.json': 'invalid-json',
  'error-not-enough-inspectors.input.json': 'not-enough-inspectors',
  'error-null.input.json': 'invalid-plan',
  'error-reveal-length.input.json': 'reveal-mismatch',
  'error-stratum-twice.input.json': 'invalid-plan',
  'error-team-size-1.input.json': 'invalid-plan',
  'error-unknown-key.input.json': 'invalid-plan',
  'v2-error-no-specialist.input.json': 'not-enough-inspectors',
  'v2-error-format-v1.input.json': 'invalid-format',
  'v2-error-format-v2.input.json': 'invalid-format',
  'v2-error-specialty-in-v1.input.json': 'invalid-plan',
  'v2-error-specialty-twice.input.json': 'invalid-plan',
  'v2-error-empty-specialties-in-v1.input.json': 'invalid-plan',
  'v2-error-inspector-specialty-twice.input.json': 'invalid-plan',
};

// Records the README says `verify` rejects, with the first differing path.
const TAMPERED = {
  'tampered-order.json': 'result.selected[0].id', // two selected entities swapped
  'tampered-plan.json': 'plan_digest', // a stratum changed after the draw
};

function vectorFiles() {
  assert.ok(existsSync(VECTORS), `vectors missing at ${VECTORS}`);
  const files = [VECTORS, VECTORS_V2]
    .flatMap((d) => readdirSync(d))
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(files.length > 0, 'no vectors found');
  return files;
}

const read = (f) => readFileSync(join(dirOf(f), f), 'utf8');

/** The draw input a record was made from: format, plan, reveal, committed_at. */
function inputOf(record) {
  const input = { format: record.format, plan: record.plan, reveal: record.reveal };
  if (record.committed_at !== undefined) input.committed_at = record.committed_at;
  return pretty(input);
}

const genuine = vectorFiles().filter((f) => !isError(f) && !(f in TAMPERED));

// ------------------------------------------------------------------ vectors

test('every vector file is covered by an expectation', () => {
  for (const f of vectorFiles()) {
    if (isError(f)) {
      assert.ok(f in ERROR_CODES, `${f}: no expected error code known; add it to ERROR_CODES`);
    }
  }
  for (const f of [...Object.keys(ERROR_CODES), ...Object.keys(TAMPERED)]) {
    assert.ok(existsSync(join(dirOf(f), f)), `${f} is expected but missing`);
  }
  assert.ok(genuine.length >= 8, `only ${genuine.length} genuine records`);
});

for (const f of genuine) {
  test(`vector ${f}: a draw from its plan and reveal reproduces it byte for byte`, async () => {
    const text = read(f);
    const record = await drawInput(inputOf(parseStrict(text)));
    // The vectors are laid out as the Rust crate prints (pretty, no trailing newline).
    assert.equal(pretty(record), text);
    assert.equal(canonicalize(record), canonicalize(parseStrict(text)));
  });

  test(`vector ${f}: verify accepts it`, async () => {
    const text = read(f);
    const v = await verifyRecord(text);
    assert.equal(v.ok, true, JSON.stringify(v));
    const r = parseStrict(text);
    assert.deepEqual(
      { ...v.summary, committed_at: undefined, sources: undefined },
      {
        plan_digest: r.plan_digest,
        seed: r.seed,
        selected: r.result.selected.length,
        teams: r.result.teams.length,
        assignments: r.result.assignments.length,
        unassigned: r.result.unassigned.length,
        committed_at: undefined,
        sources: undefined,
      },
    );
    // Same record as bytes, and in canonical (minified) layout: still valid.
    assert.equal((await verifyRecord(new TextEncoder().encode(text))).ok, true);
    assert.equal((await verifyRecord(canonicalize(r))).ok, true);
  });
}

test('the vectors exercise what the README says they do', async () => {
  const unassigned = parseStrict(read('unassigned.json'));
  assert.ok(unassigned.result.unassigned.length >= 2);
  const capBinds = parseStrict(read('cap-binds.json'));
  assert.ok(capBinds.result.unassigned.length >= 1);
  const noTeams = parseStrict(read('no-teams.json'));
  assert.deepEqual([noTeams.result.teams, noTeams.result.assignments], [[], []]);
  assert.ok('committed_at' in parseStrict(read('chinese-reveal.json')));
  assert.ok('total' in parseStrict(read('total-tie.json')).plan);
  // v2: every team holds both specialties; one holder covers two in one team, and a
  // second specialist of a listed department makes another team grow to three.
  const v2 = parseStrict(read('v2-specialty.json'));
  assert.equal(v2.format, 'liancha-draw/2');
  for (const s of v2.plan.teams.specialties) {
    const holds = new Set(v2.plan.inspectors.filter((i) => (i.specialties || []).includes(s)).map((i) => i.id));
    for (const t of v2.result.teams) assert.ok(t.members.some((m) => holds.has(m)), `${s}: ${JSON.stringify(t)}`);
  }
  const sizes = v2.result.teams.map((t) => t.members.length).sort();
  assert.ok(sizes.includes(2) && sizes.includes(3), `team sizes ${sizes}`);
});

for (const [f, code] of Object.entries(ERROR_CODES)) {
  test(`vector ${f}: a draw fails with ${code}`, async () => {
    await assert.rejects(drawInput(read(f)), (e) => {
      assert.equal(e.code, code, e.message);
      assert.ok(e.message.length > 10, 'a clear message');
      return true;
    });
    // Dressed up as a record, verify refuses it for the same reason.
    const asRecord = read(f).replace(/\n\}\s*$/, ',\n "plan_digest": "", "seed": "", "result": {}\n}');
    const v = await verifyRecord(asRecord);
    assert.equal(v.ok, false);
    assert.equal(v.code, code, v.message);
  });
}

for (const [f, path] of Object.entries(TAMPERED)) {
  test(`vector ${f}: verify rejects it at ${path}`, async () => {
    const text = read(f);
    const v = await verifyRecord(text);
    assert.deepEqual([v.ok, v.code, v.path], [false, 'mismatch', path], v.message);
    // Redrawing from its plan and reveal gives a record that does verify, and differs.
    const redrawn = pretty(await drawInput(inputOf(parseStrict(text))));
    assert.notEqual(redrawn, text);
    assert.equal((await verifyRecord(redrawn)).ok, true);
  });
}

// ------------------------------------------------------------------ tampering

async function expectMismatch(record, path) {
  const v = await verifyRecord(pretty(record));
  assert.equal(v.ok, false, `tampering at ${path} went unnoticed`);
  assert.equal(v.code, 'mismatch', v.message);
  assert.equal(v.path, path, v.message);
}

const fresh = (f) => parseStrict(read(f));

test('tampering: one selected id changed', async () => {
  const r = fresh('small.json');
  r.result.selected[3].id = r.result.selected[3].id.slice(0, -1) + 'Z';
  await expectMismatch(r, 'result.selected[3].id');
});

test('tampering: a selected entity replaced by an unselected one', async () => {
  const r = fresh('small.json');
  const chosen = new Set(r.result.selected.map((s) => s.id));
  const other = r.plan.entities.find((e) => !chosen.has(e.id));
  const last = r.result.selected.length - 1;
  r.result.selected[last].id = other.id;
  await expectMismatch(r, `result.selected[${last}].id`);
});

test('tampering: a ticket changed', async () => {
  const r = fresh('unassigned.json');
  const t = r.result.selected[1].ticket;
  r.result.selected[1].ticket = (t[0] === '0' ? '1' : '0') + t.slice(1);
  await expectMismatch(r, 'result.selected[1].ticket');
});

test('tampering: a reveal changed (seed differs)', async () => {
  const r = fresh('small.json');
  r.reveal[0] = r.reveal[0] + '0';
  await expectMismatch(r, 'seed');
});

test('tampering: a reveal changed and the seed recomputed by the forger', async () => {
  const r = fresh('chinese-reveal.json');
  r.reveal[r.reveal.length - 1] += '。';
  const forged = await drawInput(inputOf(r)); // honest seed for the forged reveal
  r.seed = forged.seed;
  const v = await verifyRecord(pretty(r));
  assert.equal(v.ok, false);
  assert.equal(v.code, 'mismatch');
  assert.match(v.path, /^result\./);
});

test('tampering: one team member changed', async () => {
  const r = fresh('small.json');
  const used = new Set(r.result.teams.flatMap((t) => t.members));
  const spare = r.plan.inspectors.find((p) => !used.has(p.id));
  assert.ok(spare, 'small.json has a spare inspector');
  r.result.teams[1].members[0] = spare.id;
  await expectMismatch(r, 'result.teams[1].members[0]');
});

test('tampering: two members of a team swapped', async () => {
  const r = fresh('small.json');
  const m = r.result.teams[0].members;
  [m[0], m[1]] = [m[1], m[0]];
  await expectMismatch(r, 'result.teams[0].members[0]');
});

test('tampering: plan_digest changed', async () => {
  const r = fresh('small.json');
  r.plan_digest = r.plan_digest.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
  await expectMismatch(r, 'plan_digest');
  r.plan_digest = r.plan_digest.toUpperCase();
  await expectMismatch(r, 'plan_digest');
});

test('tampering: the plan changed (a conflict removed) without a new digest', async () => {
  const r = fresh('unassigned.json');
  assert.ok(r.plan.conflicts.length > 0);
  r.plan.conflicts.pop();
  await expectMismatch(r, 'plan_digest');
});

test('tampering: an assignment moved to another team', async () => {
  const r = fresh('small.json');
  const a = r.result.assignments[2];
  a.team = a.team === 1 ? 2 : 1;
  await expectMismatch(r, 'result.assignments[2].team');
});

test('tampering: an unassigned entity dropped, or an extra key added', async () => {
  const r = fresh('unassigned.json');
  const n = r.result.unassigned.length;
  r.result.unassigned.pop();
  await expectMismatch(r, `result.unassigned[${n - 1}]`);
  const s = fresh('small.json');
  s.result.note = 'looks fine';
  await expectMismatch(s, 'result.note');
  const t = fresh('small.json');
  t.result.selected[0].extra = 1;
  await expectMismatch(t, 'result.selected[0].extra');
});

test('key order inside the record does not matter, but cannot hide a later change', async () => {
  const r = fresh('small.json');
  const reorder = (o) => Object.fromEntries(Object.entries(o).reverse());
  r.result = reorder(r.result);
  r.result.selected = r.result.selected.map(reorder);
  r.result.teams = r.result.teams.map(reorder);
  assert.equal((await verifyRecord(pretty(r))).ok, true);
  // A re-ordered earlier element must not stop the comparison before a later change.
  r.result.selected[5].id = 'X' + r.result.selected[5].id;
  await expectMismatch(r, 'result.selected[5].id');
});

test('a record is refused for its envelope before anything is compared', async () => {
  const r = fresh('small.json');
  r.format = 'liancha-draw/2';
  assert.equal((await verifyRecord(pretty(r))).code, 'invalid-format');
  const s = fresh('small.json');
  delete s.seed;
  assert.equal((await verifyRecord(pretty(s))).code, 'invalid-format');
  const t = fresh('small.json');
  t.committed_at = '2026-02-30T00:00:00Z';
  assert.equal((await verifyRecord(pretty(t))).code, 'invalid-format');
  const u = fresh('small.json');
  u.reveal.push('more');
  assert.equal((await verifyRecord(pretty(u))).code, 'reveal-mismatch');
  const w = fresh('small.json');
  w.reveal[0] = '';
  assert.equal((await verifyRecord(pretty(w))).code, 'reveal-mismatch');
});

test('a record with non-strict JSON is invalid-json', async () => {
  const text = read('small.json');
  const cases = [
    text.replace('"year": 2026', '"year": 2026.0'),
    text.replace('"year": 2026', '"year": 2.026e3'),
    text.replace('"year": 2026', '"year": -0'),
    text.replace('"year": 2026', '"year": 9007199254740992'),
    text.replace('"year": 2026', '"year": 2026, "year": 2027'),
    text.replace('"format"', '"seed": "x", "format"'),
    text + '\n{}',
    '\ufeff' + text,
  ];
  for (const c of cases) {
    assert.notEqual(c, text);
    const v = await verifyRecord(c);
    assert.equal(v.code, 'invalid-json', c.slice(0, 80));
  }
  // Invalid UTF-8 bytes, and a BOM given as bytes.
  const bytes = new TextEncoder().encode(text);
  const bad = new Uint8Array(bytes.length + 2);
  bad.set(bytes.subarray(0, 20));
  bad.set([0xc3, 0x28], 20);
  bad.set(bytes.subarray(20), 22);
  assert.equal((await verifyRecord(bad)).code, 'invalid-json');
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
  assert.equal((await verifyRecord(bom)).code, 'invalid-json');
});

// ------------------------------------------------------------------ JSON layer

test('canonical JSON escapes exactly the required characters', () => {
  const s = '"\\/\u0008\u000c\n\r\t\u0000\u001f\u007fé中\u2028😀';
  assert.equal(canonicalize(s), '"\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u007fé中\u2028😀"');
  assert.equal(canonicalize(parseStrict('"\\u00e9\\ud83d\\ude00\\/\\u001F"')), '"é😀/\\u001f"');
});

test('canonical JSON sorts keys by UTF-16 code units', () => {
  const s = '{"ｂ":1,"😀":2,"b":3,"B":4,"中":5,"a":{"z":1,"y":[true,null]},"10":6,"9":7,"__proto__":8}';
  assert.equal(
    canonicalize(parseStrict(s)),
    '{"10":6,"9":7,"B":4,"__proto__":8,"a":{"y":[true,null],"z":1},"b":3,"中":5,"😀":2,"ｂ":1}',
  );
  // Input order survives for printing, integer-like keys included.
  assert.equal(pretty(parseStrict('{"b":1,"2":2,"a":{"9":1,"1":2}}')),
    '{\n "b": 1,\n "2": 2,\n "a": {\n  "9": 1,\n  "1": 2\n }\n}');
});

test('numbers: integers within 2^53 only; malformed JSON refused', () => {
  assert.equal(
    canonicalize(parseStrict('[0,-1,9007199254740991,-9007199254740991]')),
    '[0,-1,9007199254740991,-9007199254740991]',
  );
  const bad = [
    '300.0', '1e3', '1E3', '-0', '01', '9007199254740992', '-9007199254740992',
    '99999999999999999999999', '+1', '.5', '-', '0x10', '1.', 'Infinity', 'NaN',
    '', ' ', '{', '[1,]', '{"a":1,}', '{"a":1,"a":2}', '{"a" 1}', '[1 2]', '"abc',
    '"a\u0001b"', '"\\x"', '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', 'nul', 'truex',
    '{} {}', '\ufeff{}', '[1]x', "'a'", '"\ud800"', '[' .repeat(200) + ']'.repeat(200),
  ];
  for (const s of bad) {
    assert.throws(() => parseStrict(s), (e) => e.code === 'invalid-json', JSON.stringify(s));
  }
  assert.deepEqual(parseStrict('{"a":{"a":1}}').a.a, 1);
  assert.equal(parseStrict('[' .repeat(128) + ']'.repeat(128)).length, 1);
});

test('pretty layout matches the Rust crate', () => {
  const v = parseStrict('{"a":[],"b":{},"c":[1,{"d":"中\\n"}],"e":null}');
  assert.equal(pretty(v), '{\n "a": [],\n "b": {},\n "c": [\n  1,\n  {\n   "d": "中\\n"\n  }\n ],\n "e": null\n}');
});

test('ids compare by UTF-8 bytes, not UTF-16 units', () => {
  const samples = ['a', 'ab', '', 'Ａ', '😀', '\uffff', '\ue000', '中', '\ud7ff', 'a😀', 'a\uff21', 'z'];
  for (const a of samples) {
    for (const b of samples) {
      const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.equal(Math.sign(compareUtf8(a, b)), want, `${a} vs ${b}`);
    }
  }
});

// ------------------------------------------------------------------ a county-sized draw

/** Deterministic pseudo-random numbers (a 32-bit LCG), so the test is repeatable. */
function rng(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function syntheticInput() {
  const r = rng(20260302);
  const towns = ['共和镇', '新桥镇', '凤屯镇', '江坡镇', '蟠猫乡', '戌街乡', '安乐乡', '里达镇', '董干镇', '西畴镇'];
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const strata = [['A', 1500], ['B', 6000], ['C', 14000], ['D', 3500]];
  const entities = [];
  let n = 0;
  for (const [stratum, size] of strata) {
    for (let i = 0; i < size; i++) {
      let tail = '';
      for (let j = 0; j < 4; j++) tail += alphabet[r(alphabet.length)];
      const id = `91532323MA${String(n++).padStart(5, '0')}${tail}`;
      const e = { id, stratum };
      if (r(10) > 0) e.township = towns[r(towns.length)];
      entities.push(e);
    }
  }
  const departments = ['县市场监管局', '县农业农村局', '县生态环境局'];
  const inspectors = [];
  for (let i = 0; i < 150; i++) {
    const p = { id: `53232300${String(i).padStart(4, '0')}`, department: departments[i % 3] };
    if (r(5) > 0) p.township = towns[r(towns.length)];
    inspectors.push(p);
  }
  const conflicts = [];
  for (let i = 0; i < 400; i++) {
    conflicts.push({ inspector: inspectors[r(150)].id, entity: entities[r(entities.length)].id });
  }
  return {
    format: 'liancha-draw/1',
    plan: {
      task: { id: 'T-2026-001', title: '2026年度跨部门联合“双随机”抽查', year: 2026 },
      entities,
      quotas: [
        { stratum: 'A', ratio_bp: 1000 },
        { stratum: 'B', ratio_bp: 500 },
        { stratum: 'C', ratio_bp: 300 },
        { stratum: 'D', count: 60 },
      ],
      inspectors,
      conflicts,
      teams: { count: 40, size: 3, departments: ['县市场监管局', '县农业农村局'], avoid_same_township: true },
      sources: ['drand quicknet round 27946612', '体彩排列5 第26321期开奖号码'],
    },
    reveal: ['a3f1'.repeat(24), '3 5 7 1 9'],
    committed_at: '2026-03-02T01:30:00Z',
  };
}

test('a county-sized record (25,000 entities, 150 inspectors) draws and verifies quickly', async (t) => {
  const input = JSON.stringify(syntheticInput());
  let start = performance.now();
  const record = await drawInput(input);
  const drawMs = performance.now() - start;
  const text = pretty(record);
  const expected = 150 + 300 + 420 + 60; // ceil(N_s × bp / 10000) and the count
  assert.equal(record.result.selected.length, expected);
  assert.equal(record.result.teams.length, 40);
  assert.equal(record.result.assignments.length + record.result.unassigned.length, expected);

  start = performance.now();
  const v = await verifyRecord(text);
  const verifyMs = performance.now() - start;
  assert.equal(v.ok, true, v.message);
  const report =
    `25,000 entities, ${text.length} chars: draw ${drawMs.toFixed(0)} ms, ` +
    `verify ${verifyMs.toFixed(0)} ms (selected ${v.summary.selected}, ` +
    `assigned ${v.summary.assignments}, unassigned ${v.summary.unassigned})`;
  t.diagnostic(report);
  assert.ok(verifyMs < 20000, `verify took ${verifyMs} ms`);

  // And it catches a change in the middle of a big record.
  const r = parseStrict(text);
  r.result.selected[500].id = r.plan.entities[0].id === r.result.selected[500].id ? 'x' : r.plan.entities[0].id;
  const bad = await verifyRecord(pretty(r));
  assert.deepEqual([bad.code, bad.path], ['mismatch', 'result.selected[500].id']);
});

test('the verify page says where a record differs, and when, as people read it', async () => {
  const { pathText, beijingTime } = await import('../crates/web/static/verify-page.js');
  assert.equal(pathText('result.selected[2].id'), '第 3 个抽中主体');
  assert.equal(pathText('result.teams[1].members[0]'), '第 2 个检查组的第 1 名成员');
  assert.equal(pathText('plan_digest'), '方案摘要');
  assert.equal(pathText('reveal[0]'), '第 1 个随机源的开奖值');
  assert.equal(pathText(null), '');
  assert.equal(beijingTime('2026-01-12T02:00:00Z'), '2026-01-12 10:00:00（北京时间）');
  assert.equal(beijingTime('2026-12-31T16:30:05Z'), '2027-01-01 00:30:05（北京时间）');
  assert.equal(beijingTime('not a time'), 'not a time');
});


// The transparency log's pieces in the browser verifier (crates/web/static/verify-log.js).
import { splitBundle, tileIndex, treeRoot } from '../crates/web/static/verify-log.js';

test('the log verifier hashes trees as RFC 6962 does', async () => {
  const sha = async (...parts) => new Uint8Array(await crypto.subtle.digest('SHA-256', Buffer.concat(parts.map((p) => Buffer.from(p)))));
  const leaf = (s) => sha([0], Buffer.from(s));
  const node = async (l, r) => sha([1], await l, await r);
  assert.deepEqual(await treeRoot([]), await sha([]));
  assert.deepEqual(await treeRoot([Buffer.from('a')]), await leaf('a'));
  // Three leaves: the left subtree is the largest power of two below the size.
  const want = await node(node(leaf('a'), leaf('b')), leaf('c'));
  assert.deepEqual(await treeRoot(['a', 'b', 'c'].map((s) => Buffer.from(s))), want);
  const five = await node(node(node(leaf('a'), leaf('b')), node(leaf('c'), leaf('d'))), leaf('e'));
  assert.deepEqual(await treeRoot(['a', 'b', 'c', 'd', 'e'].map((s) => Buffer.from(s))), five);
});

test('the log verifier reads entry bundles and tile paths as tlog-tiles writes them', () => {
  const bundle = new Uint8Array([0, 2, 123, 125, 0, 1, 120]);
  assert.deepEqual(splitBundle(bundle).map((e) => Buffer.from(e).toString()), ['{}', 'x']);
  assert.throws(() => splitBundle(bundle.subarray(0, 6)));
  assert.equal(tileIndex(0), '000');
  assert.equal(tileIndex(1234067), 'x001/x234/067');
});
