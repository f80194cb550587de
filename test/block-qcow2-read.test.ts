/**
 * qcow2 reading: images written by qemu-img/qemu-io (v2 and v3, zero and compressed clusters,
 * backing chains) read back exactly; bad and unsupported images are refused with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlockError } from '../src/core/block/block-driver.js';
import { openChain, openDrive } from '../src/host/node/block/drive.js';
import { qemuImg, qemuIo, qemuRaw, readAll, scratch, SKIP_NO_QEMU, pattern, poke } from './support/block.js';

const MiB = 1 << 20;
const dir = scratch();

async function open(file: string, readOnly = true) {
  return (await openChain(file, { readOnly, format: 'qcow2' })).driver;
}

for (const compat of ['0.10', '1.1']) {
  test(`qemu-io patterns in a compat=${compat} image read back exactly`, { skip: SKIP_NO_QEMU }, async () => {
    const f = join(dir, `pat-${compat}.qcow2`);
    qemuImg(['create', '-q', '-f', 'qcow2', '-o', `compat=${compat}`, f, '4M']);
    qemuIo(f, ['write -P 0xab 0 1M', 'write -P 0x12 1536K 3000', 'write -P 0xcd 3M 512', 'write -P 0x01 4095K 1K']);
    if (compat === '1.1') qemuIo(f, ['write -z 64K 128K', 'write -z -u 512K 64K']);
    const d = await open(f);
    assert.equal(d.size, 4 * MiB);
    const got = await readAll(d);
    await d.close();
    assert.deepEqual(Buffer.from(got), qemuRaw(f, dir));
    assert.equal(got[0], 0xab);
    assert.equal(got[1536 * 1024 + 2999], 0x12);
    if (compat === '1.1') assert.equal(got[100 * 1024], 0);
  });
}

test('compressed clusters (qemu-img convert -c) read back', { skip: SKIP_NO_QEMU }, async () => {
  const raw = join(dir, 'comp-src.raw');
  const data = new Uint8Array(3 * MiB + 4096);
  const rnd = pattern(MiB, 7);
  for (let i = 0; i < data.length; i++) data[i] = i % 3 === 0 ? rnd[i % MiB] : (i >> 10) & 0xff; // compressible
  data.fill(0, MiB, MiB + 200000);
  writeFileSync(raw, data);
  for (const cs of ['65536', '4096']) {
    const f = join(dir, `comp-${cs}.qcow2`);
    execFileSync('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', `cluster_size=${cs}`, raw, f]);
    const d = await open(f);
    assert.deepEqual(await readAll(d), data);
    const part = new Uint8Array(70000);
    await d.read(12345, part);
    assert.deepEqual(part, data.subarray(12345, 12345 + 70000));
    await d.close();
  }
});

test('a backing chain reads through, with the overlay on top', { skip: SKIP_NO_QEMU }, async () => {
  const base = join(dir, 'chain-base.qcow2');
  const mid = join(dir, 'chain-mid.qcow2');
  const top = join(dir, 'chain-top.qcow2');
  qemuImg(['create', '-q', '-f', 'qcow2', base, '2M']);
  qemuIo(base, ['write -P 0x11 0 2M']);
  qemuImg(['create', '-q', '-f', 'qcow2', '-b', 'chain-base.qcow2', '-F', 'qcow2', mid]);
  qemuIo(mid, ['write -P 0x22 64K 64K', 'write -z 1M 64K']);
  qemuImg(['create', '-q', '-f', 'qcow2', '-b', 'chain-mid.qcow2', '-F', 'qcow2', top, '3M']);
  qemuIo(top, ['write -P 0x33 100K 10']);
  const d = await open(top);
  const got = await readAll(d);
  await d.close();
  assert.deepEqual(Buffer.from(got), qemuRaw(top, dir));
  assert.equal(got[0], 0x11);
  assert.equal(got[70 * 1024], 0x22);
  assert.equal(got[MiB + 5], 0);
  assert.equal(got[100 * 1024 + 9], 0x33);
  assert.equal(got[2.5 * MiB], 0); // past the end of the backing file
});

test('bad images are refused with one line', { skip: SKIP_NO_QEMU }, async () => {
  const good = join(dir, 'good.qcow2');
  qemuImg(['create', '-q', '-f', 'qcow2', good, '1M']);
  const cases: [string, (f: string) => void, RegExp, boolean?][] = [
    ['bad magic', (f) => poke(f, 0, [0x51, 0x46, 0x49, 0xfc]), /bad magic/],
    ['cluster_bits', (f) => poke(f, 20, [0, 0, 0, 30]), /cluster_bits 30 out of range/],
    ['L1 beyond EOF', (f) => poke(f, 40, [0, 0, 0, 1, 0, 0, 0, 0]), /L1 table extends beyond end of file/],
    ['refcount table beyond EOF', (f) => poke(f, 48, [0, 0, 0, 1, 0, 0, 0, 0]), /refcount table extends beyond end of file/],
    ['unknown incompatible bit', (f) => poke(f, 72, [0, 0, 0, 0, 0, 0, 0, 0x20]), /unsupported qcow2 feature\(s\): bit 5/],
    ['external data file', (f) => poke(f, 79, [0x04]), /external data file/],
    ['extended L2', (f) => poke(f, 79, [0x10]), /extended L2/],
    ['encryption', (f) => poke(f, 32, [0, 0, 0, 1]), /encrypted/],
    ['corrupt bit', (f) => poke(f, 79, [0x02]), /marked corrupt.*read-only/, false],
    ['dirty bit', (f) => poke(f, 79, [0x01]), /dirty/, false],
  ];
  for (const [name, corrupt, re, readOnly] of cases) {
    const f = join(dir, `bad-${name.replace(/ /g, '-')}.qcow2`);
    copyFileSync(good, f);
    corrupt(f);
    await assert.rejects(open(f, readOnly ?? true).then((d) => d.close()), (e: Error) => {
      assert.ok(e, name);
      assert.ok(e instanceof BlockError, name);
      assert.match(e.message, re, name);
      assert.ok(!e.message.includes('\n'), name);
      return true;
    });
    if (readOnly === false) (await open(f, true)).close(); // read-only is allowed
  }
});

test('a loop in the backing chain is refused', { skip: SKIP_NO_QEMU }, async () => {
  const a = join(dir, 'loop-a.qcow2');
  const b = join(dir, 'loop-b.qcow2');
  qemuImg(['create', '-q', '-f', 'qcow2', a, '1M']);
  qemuImg(['create', '-q', '-f', 'qcow2', '-b', 'loop-a.qcow2', '-F', 'qcow2', b]);
  qemuImg(['rebase', '-u', '-f', 'qcow2', '-b', 'loop-b.qcow2', '-F', 'qcow2', a]);
  await assert.rejects(openDrive({ file: b, readOnly: true }), /Backing file chain contains a loop/);
  await assert.rejects(openDrive({ file: join(dir, 'missing.qcow2') }), /Could not open '.*missing.qcow2': No such file or directory/);
});
