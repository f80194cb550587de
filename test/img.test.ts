/**
 * tsvm-img against qemu-img: create, info, check (clean and hand-corrupted images), convert and
 * resize give the same output, images and exit statuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cFixed2, humanSize, parseSize } from '../src/host/node/cli/img-util.js';
import { pattern, qemuImg, qemuIo, qemuRaw, scratch, SKIP_NO_QEMU, tsvmImg, poke } from './support/block.js';

const MiB = 1 << 20;
const dir = scratch();

/** info --output=json minus the fields that name the file. */
function infoJson(tool: typeof qemuImg, file: string): Record<string, unknown> {
  const j = JSON.parse(tool(['info', '--output=json', file], dir).stdout);
  delete j.filename;
  delete j['actual-size'];
  return j;
}

test('sizes parse and print as qemu-img does', () => {
  assert.equal(parseSize('1G'), 2 ** 30);
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize('1.5M'), 1.5 * MiB);
  assert.equal(parseSize('64k'), 65536);
  assert.throws(() => parseSize('1Q'), /Invalid image size/);
  assert.equal(humanSize(200704), '196 KiB');
  assert.equal(humanSize(2 ** 30), '1 GiB');
  assert.equal(humanSize(1376256), '1.31 MiB');
  assert.equal(humanSize(1023), '0.999 KiB');
  assert.equal(humanSize(4096), '4 KiB');
  assert.equal(cFixed2(10.625), '10.62');
  assert.equal(cFixed2(10.375), '10.38');
  assert.equal(cFixed2(12.5), '12.50');
  assert.equal(cFixed2(100 / 3), '33.33');
});

test('create: same message and same image as qemu-img create', { skip: SKIP_NO_QEMU }, () => {
  const variants: string[][] = [
    ['-f', 'qcow2', '%', '1G'],
    ['-f', 'qcow2', '-o', 'compat=0.10', '%', '10M'],
    ['-f', 'qcow2', '-o', 'cluster_size=4096,lazy_refcounts=on', '%', '3M'],
    ['-f', 'raw', '%', '1M'],
  ];
  variants.forEach((v, i) => {
    const q = qemuImg(['create', ...v.map((a) => (a === '%' ? `q${i}.img` : a))], dir);
    const t = tsvmImg(['create', ...v.map((a) => (a === '%' ? `t${i}.img` : a))], dir);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout.replace(`t${i}.img`, `q${i}.img`), q.stdout);
    assert.deepEqual(infoJson(qemuImg, join(dir, `t${i}.img`)), infoJson(qemuImg, join(dir, `q${i}.img`)));
    if (v[1] === 'qcow2') assert.equal(qemuImg(['check', join(dir, `t${i}.img`)]).code, 0);
  });
  // An overlay takes its size from the backing file; a backing file needs its format.
  const o = tsvmImg(['create', '-f', 'qcow2', '-b', 't0.img', '-F', 'qcow2', 'ov.qcow2'], dir);
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stdout, /size=1073741824 backing_file=t0.img backing_fmt=qcow2/);
  assert.deepEqual(infoJson(qemuImg, join(dir, 'ov.qcow2')), { ...infoJson(qemuImg, join(dir, 't0.img')),
    'backing-filename': 't0.img', 'full-backing-filename': join(dir, 't0.img'), 'backing-filename-format': 'qcow2' });
  const bad = tsvmImg(['create', '-f', 'qcow2', '-b', 't0.img', 'ov2.qcow2'], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^tsvm-img: ov2.qcow2: Backing file specified without backing format.*\n$/);
  for (const args of [['create', '-f', 'qcow2', 'x.qcow2'], ['create', '-f', 'qcow2', 'x.qcow2', '1Q'],
    ['create', '-f', 'qcow2', '-o', 'cluster_size=1000', 'x.qcow2', '1M'], ['frobnicate'], ['info', 'nonexistent']]) {
    const r = tsvmImg(args, dir);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /^tsvm-img: [^\n]+\n$/, args.join(' '));
  }
});

test('info: the same text and JSON as qemu-img info', { skip: SKIP_NO_QEMU }, () => {
  qemuImg(['create', '-q', '-f', 'qcow2', 'i3.qcow2', '1G'], dir);
  qemuImg(['create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', 'i2.qcow2', '10M'], dir);
  qemuImg(['create', '-q', '-f', 'qcow2', '-b', 'i3.qcow2', '-F', 'qcow2', 'iov.qcow2'], dir);
  qemuImg(['create', '-q', '-f', 'raw', 'ir.img', '3M'], dir);
  qemuIo(join(dir, 'i3.qcow2'), ['write -P 1 0 300K']);
  for (const f of ['i3.qcow2', 'i2.qcow2', 'iov.qcow2', 'ir.img']) {
    for (const out of [[], ['--output=json']]) {
      const q = qemuImg(['info', ...out, f], dir);
      const t = tsvmImg(['info', ...out, f], dir);
      assert.equal(t.code, 0, t.stderr);
      assert.equal(t.stdout, q.stdout, `info ${out.join(' ')} ${f}`);
    }
  }
});

test('check agrees with qemu-img check on good and corrupted images', { skip: SKIP_NO_QEMU }, () => {
  const good = join(dir, 'ck.qcow2');
  qemuImg(['create', '-q', '-f', 'qcow2', good, '10M']);
  qemuIo(good, ['write -P 0xab 0 1M', 'write -P 1 5M 64K']);
  // Layout: header, refcount table, refcount block (cluster 2), L1, then L2 and data.
  const end = statSync(good).size;
  const cases: [string, (f: string) => void, number][] = [
    ['clean', () => undefined, 0],
    ['leaked cluster', (f) => { writeFileSync(f, new Uint8Array(65536), { flag: 'a' }); poke(f, 2 * 65536 + 2 * (end / 65536), [0, 1]); }, 3],
    ['refcount too low', (f) => poke(f, 2 * 65536 + 2 * 5, [0, 0]), 2],
    ['refcount too high', (f) => poke(f, 2 * 65536 + 2 * 6, [0, 2]), 2],
    ['L2 entry past EOF', (f) => poke(f, 4 * 65536 + 8, [0x80, 0, 0, 0, 0x10, 0, 0, 0]), 2],
    ['L2 entry unaligned', (f) => poke(f, 4 * 65536 + 8, [0x80, 0, 0, 0, 0, 0x05, 0x02, 0]), 2],
    ['L1 entry past EOF', (f) => poke(f, 3 * 65536, [0x80, 0, 0, 0, 0x10, 0, 0, 0]), 2],
  ];
  for (const [name, corrupt, code] of cases) {
    const f = join(dir, `ck-${name.replace(/ /g, '-')}.qcow2`);
    copyFileSync(good, f);
    corrupt(f);
    const q = qemuImg(['check', f]);
    const t = tsvmImg(['check', f]);
    assert.equal(q.code, code, `${name}: qemu-img: ${q.stdout}${q.stderr}`);
    assert.equal(t.code, q.code, name);
    assert.equal(t.stdout, q.stdout, name);
    assert.equal(t.stderr, q.stderr, name);
    assert.equal(tsvmImg(['check', '--output=json', f]).stdout, qemuImg(['check', '--output=json', f]).stdout, `${name} (json)`);
  }
  writeFileSync(join(dir, 'ck.raw'), new Uint8Array(4096));
  const raw = tsvmImg(['check', join(dir, 'ck.raw')]);
  assert.equal(raw.code, 63);
  assert.match(raw.stderr, /does not support checks/);
});

test('convert: qcow2 to raw and back, zero clusters skipped, progress', { skip: SKIP_NO_QEMU }, () => {
  const src = join(dir, 'cv.raw');
  const data = new Uint8Array(6 * MiB);
  data.set(pattern(MiB, 1), 0);
  data.set(pattern(100000, 2), 4 * MiB + 777);
  writeFileSync(src, data);
  const q2 = tsvmImg(['convert', '-f', 'raw', '-O', 'qcow2', '-p', src, join(dir, 'cv.qcow2')]);
  assert.equal(q2.code, 0, q2.stderr);
  assert.match(q2.stdout, /^ {4}\(0\.00\/100%\)\r.* {4}\(100\.00\/100%\)\r\n$/s);
  assert.equal(qemuImg(['check', join(dir, 'cv.qcow2')]).code, 0);
  assert.ok(qemuRaw(join(dir, 'cv.qcow2'), dir).equals(data));
  const map = JSON.parse(qemuImg(['map', '--output=json', join(dir, 'cv.qcow2')]).stdout) as { data: boolean; length: number }[];
  const allocated = map.filter((m) => m.data).reduce((a, m) => a + m.length, 0);
  assert.equal(allocated, MiB + 2 * 65536, 'only non-zero clusters are allocated');
  const back = tsvmImg(['convert', '-O', 'raw', join(dir, 'cv.qcow2'), join(dir, 'cv2.raw')]);
  assert.equal(back.code, 0, back.stderr);
  assert.ok(readFileSync(join(dir, 'cv2.raw')).equals(data));
  assert.ok(statSync(join(dir, 'cv2.raw')).blocks * 512 < 3 * MiB, 'the raw output is sparse');
  const v2 = tsvmImg(['convert', '-O', 'qcow2', '-o', 'compat=0.10,cluster_size=4096', join(dir, 'cv.qcow2'), join(dir, 'cv3.qcow2')]);
  assert.equal(v2.code, 0, v2.stderr);
  assert.ok(qemuRaw(join(dir, 'cv3.qcow2'), dir).equals(data));
  assert.match(qemuImg(['info', join(dir, 'cv3.qcow2')]).stdout, /compat: 0\.10/);
});

test('resize: grow raw and qcow2, shrink raw with --shrink only', { skip: SKIP_NO_QEMU }, () => {
  const raw = join(dir, 'rs.raw');
  writeFileSync(raw, new Uint8Array(MiB).fill(3));
  let r = tsvmImg(['resize', '-f', 'raw', raw, '+1M']);
  assert.equal(r.stdout, 'Image resized.\n');
  assert.equal(statSync(raw).size, 2 * MiB);
  r = tsvmImg(['resize', '-f', 'raw', raw, '512K']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Use the --shrink option/);
  r = tsvmImg(['resize', '-f', 'raw', '--shrink', raw, '512K']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(raw).size, 512 * 1024);
  const q = join(dir, 'rs.qcow2');
  qemuImg(['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', q, '1M']);
  qemuIo(q, ['write -P 9 1000K 24K']);
  r = tsvmImg(['resize', q, '+15M']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(qemuImg(['info', q]).stdout, /virtual size: 16 MiB/);
  assert.equal(qemuImg(['check', q]).code, 0);
  assert.equal(qemuRaw(q, dir)[1000 * 1024 + 5], 9);
  r = tsvmImg(['resize', q, '--', '-1M']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^tsvm-img: [^\n]*grow[^\n]*\n$/);
});
