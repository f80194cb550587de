/**
 * Crash safety through a real guest: the default guest writes block after block to a qcow2 disk,
 * each with `dd ... conv=fsync` (the kernel sends a virtio-blk FLUSH, tsvm syncs the image) and
 * prints "flushed N" after each; the tsvm process gets SIGKILL at a random moment. Then
 * `qemu-img check` must find no corruption (leaked clusters, exit 3, are allowed: QEMU leaks them
 * too), every block whose "flushed N" line the test saw must read back, and every byte no block
 * could have touched must be what it was. Two rounds: boot, kill, check; boot again from the same
 * image (a second pattern, shifted so its blocks straddle the first round's), kill, check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRONT, Guest, INITRD, PROMPT, cpioFile } from './support/guest.js';

const BOOT_MS = 120_000;
const SIZE = 64 << 20;
const CLUSTER = 8192; // small clusters: more L2 and refcount updates per write
const BLOCK = 86016; // 10.5 clusters: every other block starts or ends mid-cluster
const MAX_BLOCKS = 700;
const SRC_PAGES = 360; // source offsets in /bin/busybox (1.6 MB), in pages
/** Blocks the guest may have written after the last "flushed" line the test saw before the kill. */
const IN_FLIGHT = 8;

const HAVE_QEMU_IMG = spawnSync('qemu-img', ['--version']).status === 0;
if (!HAVE_QEMU_IMG) console.log('SKIP: qemu-img not installed');

/**
 * Round r, block n: where it goes, and which page of the guest's /bin/busybox it is copied from
 * (one dd per block, so the loop spends its time writing, not starting processes).
 */
function blockOffset(round: number, n: number): number {
  return (round === 1 ? 0 : 6144) + n * BLOCK;
}
function srcPage(round: number, n: number): number {
  return round === 1 ? (n * 37) % SRC_PAGES : (n * 53 + 11) % SRC_PAGES;
}
/** The guest's loop for one round. */
function loop(round: number): string {
  const src = round === 1 ? '$((i * 37 % ' + SRC_PAGES + ' * 4096))' : '$(((i * 53 + 11) % ' + SRC_PAGES + ' * 4096))';
  return `i=0; while [ $i -lt ${MAX_BLOCKS} ]; do dd if=/bin/busybox of=/dev/vda bs=${BLOCK} count=1 ` +
    `iflag=skip_bytes,fullblock skip=${src} oflag=seek_bytes seek=$((${blockOffset(round, 0)} + i * ${BLOCK})) conv=fsync 2>/dev/null ` +
    '&& echo flushed $i || echo failed $i; i=$((i + 1)); done';
}

test('SIGKILL of tsvm while the guest writes and flushes a qcow2 disk: consistent image, flushed blocks intact', { skip: HAVE_QEMU_IMG ? false : 'qemu-img not installed', timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-disk-crash-'));
  const guests: Guest[] = [];
  t.after(() => {
    for (const g of guests) g.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const image = join(dir, 'crash.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `cluster_size=${CLUSTER}`, image, String(SIZE)]);
  const busybox = cpioFile(INITRD, 'bin/busybox');
  let content = Buffer.alloc(SIZE); // what the image held after the previous round
  const seed = Date.now();
  let r = seed >>> 0 || 1;
  const random = () => { r ^= r << 13; r >>>= 0; r ^= r >>> 17; r ^= r << 5; r >>>= 0; return r / 2 ** 32; };

  for (const round of [1, 2]) {
    const g = new Guest(FRONT, ['--disk', image]);
    guests.push(g);
    let at = await g.waitFor(PROMPT, BOOT_MS);
    g.type(`for i in 1 2 3 4 5; do [ -b /dev/vda ] && break; sleep 1; done; echo dev$((1+1))`);
    at = await g.waitFor(/dev2/, 30_000, at);
    g.type(loop(round));
    await g.waitFor(/flushed 2\r?\n/, 60_000, at);
    const delay = 200 + random() * 2000;
    await new Promise((res) => setTimeout(res, delay));
    g.kill();
    await g.exited;
    const seen = [...g.output.slice(at).matchAll(/flushed (\d+)\r?\n/g)].map((m) => Number(m[1]));
    const last = Math.max(...seen);
    const info = `round ${round} (seed ${seed}, killed ${delay.toFixed(0)} ms after "flushed 2", last seen "flushed ${last}")`;
    assert.doesNotMatch(g.output.slice(at), /failed \d|I\/O error/, `${info}: every write and flush succeeded:\n${g.tail()}`);
    assert.doesNotMatch(g.stderr, /error|warning/i, `${info}: ${g.stderr}`);

    const check = spawnSync('qemu-img', ['check', image], { encoding: 'utf8' });
    assert.ok(check.status === 0 || check.status === 3, `${info}: qemu-img check exit ${check.status}: ${check.stdout}${check.stderr}`);
    assert.doesNotMatch(check.stdout + check.stderr, /ERROR|(?<!No )errors were found/, `${info}: ${check.stdout}${check.stderr}`);

    const expect = Buffer.from(content);
    // The loop is sequential and no dd failed: every block up to the last reported one was flushed
    // (even if a kernel message garbled its line).
    for (let n = 0; n <= last; n++) busybox.copy(expect, blockOffset(round, n), srcPage(round, n) * 4096, srcPage(round, n) * 4096 + BLOCK);
    const unsure = new Uint8Array(SIZE);
    for (let n = last + 1; n <= last + IN_FLIGHT; n++) unsure.fill(1, blockOffset(round, n), blockOffset(round, n) + BLOCK);
    const raw = join(dir, 'crash.raw');
    execFileSync('qemu-img', ['convert', '-O', 'raw', image, raw]);
    const got = readFileSync(raw);
    rmSync(raw);
    for (let p = 0; p < SIZE; p++) {
      if (!unsure[p] && got[p] !== expect[p]) {
        const n = Math.floor((p - blockOffset(round, 0)) / BLOCK);
        assert.fail(`${info}: byte ${p} (block ${n} of this round) is ${got[p]}, want ${expect[p]}`);
      }
    }
    if (process.env.CRASH_DEBUG) console.log(`${info}: check exit ${check.status}`);
    content = got;
  }
});
