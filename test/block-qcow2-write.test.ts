/**
 * qcow2 writing: random writes (partial clusters, several clusters), discards and write-zeroes
 * through our driver must leave images that `qemu-img check` finds clean and whose content
 * (`qemu-img convert -O raw`) is what we wrote. Also overlays on qemu-made bases, copy-on-write
 * of compressed clusters, refcount widths, refcount table growth, L1 growth on resize.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockDriver } from '../src/core/block/block-driver.js';
import { Qcow2Driver } from '../src/core/block/qcow2/qcow2.js';
import { openChain } from '../src/host/node/block/drive.js';
import { createImage, pattern, qemuImg, qemuIo, qemuRaw, readAll, rng, scratch, SKIP_NO_QEMU } from './support/block.js';

const MiB = 1 << 20;
const dir = scratch();

async function open(file: string, readOnly = false): Promise<BlockDriver> {
  return (await openChain(file, { readOnly, format: 'qcow2' })).driver;
}

function assertClean(file: string): void {
  const r = qemuImg(['check', file]);
  assert.equal(r.code, 0, `qemu-img check ${file}: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /No errors were found on the image\./);
}

/**
 * Random requests against `d`, mirrored into `expect`. Discard zeroes whole clusters only
 * (`discardZeroes`), since partial discards are advisory.
 */
async function workout(d: BlockDriver, expect: Uint8Array, seed: number, n: number, cs: number,
  discardZeroes = true): Promise<void> {
  const r = rng(seed);
  const size = d.size;
  for (let i = 0; i < n; i++) {
    const kind = r();
    const off = Math.floor(r() * size);
    const len = Math.min(size - off, Math.floor(r() * (kind < 0.1 ? 4 * cs : 3 * cs + 1000)) + 1);
    if (kind < 0.7) {
      const data = pattern(len, seed * 1000 + i);
      await d.write(off, data);
      expect.set(data, off);
    } else if (kind < 0.85) {
      await d.writeZeroes(off, len);
      expect.fill(0, off, off + len);
    } else {
      await d.discard(off, len);
      if (discardZeroes) {
        const first = Math.ceil(off / cs) * cs;
        const end = off + len === size ? size : Math.floor((off + len) / cs) * cs;
        if (end > first) expect.fill(0, first, end);
      }
    }
    if (r() < 0.05) await d.flush();
  }
}

const layouts: [string, { version: 2 | 3; clusterSize: number; refcountBits?: number }, number][] = [
  ['v3 64K clusters', { version: 3, clusterSize: 65536 }, 8 * MiB],
  ['v2 64K clusters', { version: 2, clusterSize: 65536 }, 8 * MiB],
  ['v3 512-byte clusters (refcount table grows)', { version: 3, clusterSize: 512 }, 20 * MiB + 512],
  ['v3 4K clusters, 1-bit refcounts', { version: 3, clusterSize: 4096, refcountBits: 1 }, 3 * MiB + 1536],
  ['v3 4K clusters, 64-bit refcounts', { version: 3, clusterSize: 4096, refcountBits: 64 }, 3 * MiB],
];

for (const [name, layout, size] of layouts) {
  test(`random writes, zeroes and discards: ${name}`, { skip: SKIP_NO_QEMU }, async () => {
    const f = join(dir, `rw-${name.replace(/\W+/g, '-')}.qcow2`);
    await createImage(f, { size, ...layout });
    assertClean(f);
    const expect = new Uint8Array(size);
    const d = await open(f);
    await workout(d, expect, 11, layout.clusterSize === 512 ? 150 : 120, layout.clusterSize);
    if (layout.clusterSize === 512) {
      const big = pattern(9 * MiB, 5); // sequential fill: many refcount blocks, a bigger refcount table
      await d.write(4 * MiB, big);
      expect.set(big, 4 * MiB);
    }
    await d.close();
    assertClean(f);
    if (layout.clusterSize === 512) assert.ok(readFileSync(f).readUInt32BE(56) > 1, 'refcount table has grown');
    assert.ok(qemuRaw(f, dir).equals(expect), 'qemu-img sees what we wrote');
    const again = await open(f, true);
    assert.ok(Buffer.from(await readAll(again)).equals(expect), 'we read back what we wrote');
    await again.close();
  });
}

test('concurrent requests are serialised correctly', { skip: SKIP_NO_QEMU }, async () => {
  const f = join(dir, 'concurrent.qcow2');
  await createImage(f, { size: 4 * MiB, clusterSize: 4096 });
  const d = await open(f);
  const expect = new Uint8Array(4 * MiB);
  const ops: Promise<void>[] = [];
  for (let i = 0; i < 64; i++) {
    const data = pattern(10000, i);
    const off = (i * 61 * 1024) % (4 * MiB - 10000);
    expect.set(data, off);
    ops.push(d.write(off, data));
  }
  ops.push(d.flush());
  await Promise.all(ops);
  await d.close();
  assertClean(f);
  assert.ok(qemuRaw(f, dir).equals(expect));
});

test('an overlay on a qemu-made base: copy-on-write, zero clusters, base unchanged', { skip: SKIP_NO_QEMU }, async () => {
  for (const compat of ['1.1', '0.10']) {
    const base = join(dir, `ov-base-${compat}.qcow2`);
    const top = join(dir, `ov-top-${compat}.qcow2`);
    qemuImg(['create', '-q', '-f', 'qcow2', '-o', `compat=${compat}`, base, '3M']);
    qemuIo(base, ['write -P 0x5a 0 3M']);
    const hash = () => createHash('sha256').update(readFileSync(base)).digest('hex');
    const before = hash();
    qemuImg(['create', '-q', '-f', 'qcow2', '-o', `compat=${compat}`, '-b', `ov-base-${compat}.qcow2`, '-F', 'qcow2', top, '4M']);
    const expect = new Uint8Array(4 * MiB);
    expect.fill(0x5a, 0, 3 * MiB);
    const d = await open(top);
    await workout(d, expect, 23, 100, 65536, compat === '1.1');
    await d.close();
    assert.equal(hash(), before, 'the base image is untouched');
    assertClean(top);
    assert.ok(qemuRaw(top, dir).equals(expect), `overlay content (compat=${compat})`);
  }
});

test('writing over compressed clusters copies them out; refcounts stay right', { skip: SKIP_NO_QEMU }, async () => {
  const raw = join(dir, 'cw.raw');
  const data = new Uint8Array(2 * MiB);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) >> 9;
  writeFileSync(raw, data);
  const f = join(dir, 'cw.qcow2');
  execFileSync('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', raw, f]);
  const d = await open(f);
  const expect = data.slice();
  await workout(d, expect, 31, 80, 4096);
  await d.close();
  assertClean(f);
  assert.ok(qemuRaw(f, dir).equals(expect));
});

test('resize grows the image and its L1 table', { skip: SKIP_NO_QEMU }, async () => {
  const f = join(dir, 'grow.qcow2');
  await createImage(f, { size: MiB, clusterSize: 512 });
  const d = (await open(f)) as Qcow2Driver;
  const a = pattern(5000, 1);
  await d.write(MiB - 3000, a.subarray(0, 3000));
  await d.resize(10 * MiB);
  assert.equal(d.size, 10 * MiB);
  await d.write(9 * MiB, a);
  await assert.rejects(d.resize(MiB), /can only grow|not supported/);
  await d.close();
  assertClean(f);
  const expect = new Uint8Array(10 * MiB);
  expect.set(a.subarray(0, 3000), MiB - 3000);
  expect.set(a, 9 * MiB);
  assert.ok(qemuRaw(f, dir).equals(expect));
  assert.match(qemuImg(['info', f]).stdout, /virtual size: 10 MiB/);
});
