/**
 * openDrive: QEMU -drive semantics (format probing and its warning, readonly, snapshot=on, cache
 * modes, relative backing names) and the raw driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDrive } from '../src/host/node/block/drive.js';
import { createImage, pattern, qemuImg, qemuIo, qemuRaw, readAll, scratch, SKIP_NO_QEMU } from './support/block.js';

const MiB = 1 << 20;
const dir = scratch();

test('raw: probing warns as QEMU does, and block 0 is protected when probed', async () => {
  const f = join(dir, 'disk.raw');
  writeFileSync(f, new Uint8Array(MiB));
  const warnings: string[] = [];
  const d = await openDrive({ file: f, warn: (m) => warnings.push(m) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^WARNING: Image format was not specified for '.*disk\.raw' and probing guessed raw\./);
  await assert.rejects(d.write(0, Uint8Array.of(0x51, 0x46, 0x49, 0xfb)), /block 0/);
  const data = pattern(5000, 3);
  await d.write(1000, data);
  await d.writeZeroes(2000, 100);
  data.fill(0, 1000, 1100);
  await d.flush();
  await d.close();
  assert.deepEqual(readFileSync(f).subarray(1000, 6000), Buffer.from(data));
  const explicit = await openDrive({ file: f, format: 'raw', warn: (m) => warnings.push(m) });
  await explicit.write(0, Uint8Array.of(0x51, 0x46, 0x49, 0xfb)); // allowed with format=raw
  await explicit.close();
  assert.equal(warnings.length, 1);
  await assert.rejects(openDrive({ file: f, format: 'vmdk' }), /Unknown driver 'vmdk'/);
});

test('readonly refuses writes', async () => {
  const f = join(dir, 'ro.qcow2');
  await createImage(f, { size: MiB });
  const d = await openDrive({ file: f, readOnly: true });
  assert.equal(d.readOnly, true);
  await assert.rejects(d.write(0, new Uint8Array(512)), /read-only/);
  await assert.rejects(d.discard(0, 512), /read-only/);
  await d.close();
});

test('snapshot=on: writes go to a temporary overlay, the image is unchanged', { skip: SKIP_NO_QEMU }, async () => {
  for (const fmt of ['raw', 'qcow2']) {
    const f = join(dir, `snap.${fmt}`);
    qemuImg(['create', '-q', '-f', fmt, f, '2M']);
    qemuIo(f, ['write -P 0x42 0 2M'], fmt);
    const before = readFileSync(f);
    const temps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('tsvm-snapshot-')).length;
    const t0 = temps();
    const d = await openDrive({ file: f, format: fmt, snapshot: true });
    assert.equal(temps(), t0 + 1);
    const data = pattern(100000, 9);
    await d.write(12345, data);
    await d.discard(0, 2 * MiB);
    await d.write(12345, data);
    await d.flush();
    const got = await readAll(d);
    assert.deepEqual(got.subarray(12345, 112345), data);
    await d.close();
    assert.equal(temps(), t0, 'the overlay is deleted at close');
    assert.ok(readFileSync(f).equals(before), `${fmt} image unchanged`);
  }
});

test('cache modes: writethrough is durable per write, unsafe ignores flush', { skip: SKIP_NO_QEMU }, async () => {
  const data = pattern(70000, 4);
  const wt = join(dir, 'wt.qcow2');
  await createImage(wt, { size: MiB });
  const d = await openDrive({ file: wt, format: 'qcow2', cache: 'writethrough' });
  await d.write(4096, data);
  // Still open: the metadata is already in the file.
  assert.deepEqual(qemuRaw(wt, dir).subarray(4096, 4096 + data.length), Buffer.from(data));
  assert.equal(qemuImg(['check', '-U', wt]).code, 0);
  await d.close();

  const us = join(dir, 'unsafe.qcow2');
  await createImage(us, { size: MiB });
  const u = await openDrive({ file: us, format: 'qcow2', cache: 'unsafe' });
  await u.write(4096, data);
  await u.flush();
  assert.ok(qemuRaw(us, dir).subarray(4096, 4096 + data.length).every((b) => b === 0), 'flush was ignored');
  await u.close();
  assert.deepEqual(qemuRaw(us, dir).subarray(4096, 4096 + data.length), Buffer.from(data), 'close writes back');

  for (const cache of ['writeback', 'none'] as const) {
    const f = join(dir, `${cache}.qcow2`);
    await createImage(f, { size: MiB });
    const w = await openDrive({ file: f, format: 'qcow2', cache });
    await w.write(4096, data);
    await w.flush();
    assert.deepEqual(qemuRaw(f, dir).subarray(4096, 4096 + data.length), Buffer.from(data), `${cache}: flush writes back`);
    await w.close();
  }
  await assert.rejects(openDrive({ file: us, cache: 'bogus' as 'none' }), /Invalid cache mode/);
});

test('relative backing file names resolve against the overlay directory', { skip: SKIP_NO_QEMU }, async () => {
  mkdirSync(join(dir, 'a', 'b'), { recursive: true });
  const base = join(dir, 'a', 'base.qcow2');
  qemuImg(['create', '-q', '-f', 'qcow2', base, '1M']);
  qemuIo(base, ['write -P 0x77 0 1M']);
  const top = join(dir, 'a', 'b', 'top.qcow2');
  qemuImg(['create', '-q', '-f', 'qcow2', '-b', '../base.qcow2', '-F', 'qcow2', top]);
  const d = await openDrive({ file: top });
  const b = new Uint8Array(10);
  await d.read(MiB - 10, b);
  assert.deepEqual([...b], new Array(10).fill(0x77));
  await d.write(0, new Uint8Array(10));
  await d.close();
  assert.ok(existsSync(base));
  assert.equal(qemuRaw(base, dir)[0], 0x77);
});
