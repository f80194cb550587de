/**
 * The default guest with virtio devices, booted once: a raw disk from `qemu-img create` attached
 * with `tsvm --disk` (the guest reads what the host wrote and writes a pattern the host checks
 * after poweroff — so the drive was flushed and closed), virtio-rng read through /dev/hwrng, and
 * a virtio console on a file chardev. With this kernel hvc0 is the SBI console, so the virtio
 * console is hvc1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRONT, Guest, PROMPT } from './support/guest.js';

const BOOT_MS = 120_000;

function haveQemuImg(): boolean {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('default guest: virtio-blk, virtio-rng and virtio-console', { timeout: 200_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-virtio-'));
  const disk = join(dir, 'disk.img');
  const hvc = join(dir, 'hvc.out');
  if (haveQemuImg()) execFileSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '8M']);
  else writeFileSync(disk, new Uint8Array(8 << 20)); // same bytes as qemu-img would make
  const fd = openSync(disk, 'r+');
  writeSync(fd, Buffer.from('HOSTPATTERN'), 0, 11, 0);
  closeSync(fd);
  const g = new Guest(FRONT, ['--disk', disk, '-device', 'virtio-rng-device', '-device', 'virtio-serial-device',
    '-chardev', `file,id=c0,path=${hvc}`, '-device', 'virtconsole,chardev=c0']);
  t.after(() => {
    g.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  // Markers are computed by the shell so the echoed command line never matches them.
  let at = await g.waitFor(PROMPT, BOOT_MS);
  g.type('for i in 1 2 3 4 5; do [ -b /dev/vda ] && break; sleep 1; done; cat /sys/block/vda/size; head -c 11 /dev/vda; echo :H$((5+5))');
  at = await g.waitFor(/16384\s+HOSTPATTERN:H10/, 30_000, at);
  g.type('echo guest-pattern-0123456789 | dd of=/dev/vda bs=512 seek=8 conv=sync 2>/dev/null && sync && echo W$((2+2))');
  at = await g.waitFor(/W4/, 30_000, at);
  g.type("dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n'; echo :E$((3+3))");
  const rngAt = at;
  at = await g.waitFor(/[0-9a-f]{32}:E6/, 30_000, at);
  const rnd = /([0-9a-f]{32}):E6/.exec(g.output.slice(rngAt))![1];
  assert.notEqual(rnd, '0'.repeat(32));
  g.type('echo hvc-hello > /dev/hvc1; echo C$((4+4))');
  at = await g.waitFor(/C8/, 30_000, at);
  await g.waitFor(PROMPT, 10_000, at);
  g.type('poweroff');
  const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 30_000).unref());
  const code = await Promise.race([g.exited, timeout]);
  assert.equal(code, 0, g.tail());
  const img = readFileSync(disk);
  assert.equal(img.subarray(4096, 4096 + 25).toString('latin1'), 'guest-pattern-0123456789\n');
  assert.equal(img.subarray(0, 11).toString('latin1'), 'HOSTPATTERN');
  assert.match(readFileSync(hvc, 'latin1'), /hvc-hello/);
  assert.doesNotMatch(g.stderr, /warning/i, g.stderr);
});
