/**
 * Crash safety: a child process writes and flushes in a loop and is killed with SIGKILL at a
 * random moment. Afterwards `qemu-img check` must find no corruption (leaked clusters are allowed,
 * as QEMU allows them) and everything written before the last completed flush must read back.
 *
 * The same file is the child: `node block-crash.test.js --child IMAGE ROUND`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDrive } from '../src/host/node/block/drive.js';
import { createImage, pattern, qemuImg, qemuRaw, rng, scratch, SKIP_NO_QEMU } from './support/block.js';

const SIZE = 16 << 20;
const CLUSTER = 4096;

/** The requests of iteration i of a round: [offset, data] pairs, reproducible in the parent. */
function requests(round: number, i: number): [number, Uint8Array][] {
  const r = rng(round * 7919 + i * 104729 + 1);
  const out: [number, Uint8Array][] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const len = 1 + Math.floor(r() * 3 * CLUSTER);
    const off = Math.floor(r() * (SIZE - len));
    out.push([off, pattern(len, round * 1_000_000 + i * 10 + k)]);
  }
  return out;
}

async function child(image: string, round: number): Promise<void> {
  const d = await openDrive({ file: image, format: 'qcow2' });
  for (let i = 0; ; i++) {
    for (const [off, data] of requests(round, i)) await d.write(off, data);
    await d.flush();
    writeSync(1, `flushed ${i}\n`);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1], Number(args[2]));
} else {
  test('SIGKILL during writes and flushes leaves a consistent image with the flushed data', { skip: SKIP_NO_QEMU }, async () => {
    const dir = scratch();
    const image = join(dir, 'crash.qcow2');
    await createImage(image, { size: SIZE, clusterSize: CLUSTER });
    let content = new Uint8Array(SIZE);
    const r = rng(Date.now());
    for (let round = 1; round <= 4; round++) {
      const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', image, String(round)]);
      let out = '';
      let err = '';
      proc.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      proc.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      const exited = new Promise((res) => proc.on('close', res));
      // Wait until the child is running, then kill it at a random moment.
      while (!out.includes('flushed') && proc.exitCode === null) await new Promise((res) => setTimeout(res, 10));
      await new Promise((res) => setTimeout(res, 50 + r() * 400));
      proc.kill('SIGKILL');
      await exited;
      assert.equal(err, '', 'the child ran without errors');
      const flushed = [...out.matchAll(/flushed (\d+)/g)].map((m) => Number(m[1]));
      const last = flushed.length ? flushed[flushed.length - 1] : -1;

      const check = qemuImg(["check", image]);
      if (process.env.CRASH_DEBUG) console.log(`round ${round}: ${last + 1} flushes, check ${check.code}`);
      assert.ok(check.code === 0 || check.code === 3, `round ${round}: qemu-img check: ${check.stdout}${check.stderr}`);
      assert.doesNotMatch(check.stderr, /ERROR/);

      const expect = content.slice();
      for (let i = 0; i <= last; i++) for (const [off, data] of requests(round, i)) expect.set(data, off);
      const unsure = new Uint8Array(SIZE); // bytes of the (at most two) iterations after the last reported flush
      for (let i = last + 1; i <= last + 2; i++) for (const [off, data] of requests(round, i)) unsure.fill(1, off, off + data.length);
      const got = qemuRaw(image, dir);
      for (let p = 0; p < SIZE; p++) {
        if (!unsure[p] && got[p] !== expect[p]) assert.fail(`round ${round}: byte ${p} is ${got[p]}, want ${expect[p]} (${last + 1} flushes)`);
      }
      content = new Uint8Array(got);
    }
  });
}
