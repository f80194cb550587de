/**
 * Boots real Linux guests on the `virt` board and talks to them over the serial console:
 * the default guest through `tsvm` (what `npx tsvm` runs), the same kernel through Debian's
 * OpenSBI firmware, and Debian's generic kernel when it has been fetched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRONT, Guest, IMAGE, INITRD, OPENSBI_DIR, SYSTEM, bootAndCheck } from './support/guest.js';

const BOOT_MS = 240_000;
const DEBIAN_KERNEL = process.env.TSVM_DEBIAN_KERNEL ?? '/var/tmp/tsvm-debian-kernel/vmlinux';

test('linux boots', { concurrency: 2 }, async (t) => {
  await t.test('the default guest boots to a shell, runs commands and powers off with status 0', async () => {
    const g = new Guest(FRONT, []);
    const r = await bootAndCheck(g, BOOT_MS);
    assert.match(r.answer, /riscv64\s+42/);
    assert.equal(r.code, 0, g.tail());
    assert.match(g.output, /tsvm: init/);
  });

  for (const jit of ['off', 'always']) {
    await t.test(`the default guest boots with -accel tcg,jit=${jit}`, async () => {
      const g = new Guest(SYSTEM, ['-M', 'virt', '-m', '256M', '-nographic', '-accel', `tcg,jit=${jit}`, '-kernel', IMAGE,
        '-initrd', INITRD, '-append', 'console=ttyS0']);
      const r = await bootAndCheck(g, BOOT_MS);
      assert.match(r.answer, /riscv64\s+42/);
      assert.equal(r.code, 0, g.tail());
    });
  }

  await t.test('the same kernel boots through Debian OpenSBI fw_dynamic.bin', async (tt) => {
    const fw = join(OPENSBI_DIR, 'fw_dynamic.bin');
    if (!existsSync(fw)) return tt.skip(`SKIP: ${fw} missing (apt-get install opensbi)`);
    const g = new Guest(SYSTEM, ['-M', 'virt', '-m', '256M', '-nographic', '-bios', fw, '-kernel', IMAGE,
      '-initrd', INITRD, '-append', 'console=ttyS0']);
    const r = await bootAndCheck(g, BOOT_MS);
    assert.match(g.output, /OpenSBI v\d/);
    assert.match(g.output, /Platform Name\s*: riscv-virtio,qemu/);
    assert.equal(r.code, 0, g.tail());
  });
});

test('Debian generic kernel (modules, 6.12) boots to a shell', { timeout: 400_000 }, async (t) => {
  if (!existsSync(DEBIAN_KERNEL)) return t.skip(`SKIP: ${DEBIAN_KERNEL} not fetched (bash images/fetch-debian-kernel.sh)`);
  const g = new Guest(SYSTEM, ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', DEBIAN_KERNEL,
    '-initrd', INITRD, '-append', 'console=ttyS0']);
  const r = await bootAndCheck(g, 360_000);
  assert.match(g.output, /Linux version 6\.12/);
  assert.equal(r.code, 0, g.tail());
});

test('-machine dumpdtb writes a device tree that dtc accepts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-dtb-'));
  const file = join(dir, 'virt.dtb');
  execFileSync(process.execPath, [SYSTEM, '-M', 'virt,dumpdtb=' + file, '-m', '512M', '-kernel', IMAGE,
    '-initrd', INITRD, '-append', 'console=ttyS0 foo=bar'], { stdio: 'pipe' });
  const dtb = readFileSync(file);
  assert.equal(dtb.readUInt32BE(0), 0xd00dfeed);
  let dts: string;
  try {
    dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('SKIP: dtc not installed');
    throw e;
  }
  assert.match(dts, /bootargs = "console=ttyS0 foo=bar"/);
  assert.match(dts, /memory@80000000 \{[^}]*reg = <0x00 0x80000000 0x00 0x20000000>/s);
  assert.match(dts, /linux,initrd-start/);
  assert.match(dts, /serial@10000000/);
});
