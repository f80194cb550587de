#!/usr/bin/env node
// User-mode speed: busybox sha256sum of 16 MiB under tsvm-riscv64 and under qemu-riscv64.
// Usage: node bench/user.mjs   (needs npm run build, images/riscv64/initramfs.cpio.gz, cpio; qemu-user optional)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// As bench/run.mjs: a proxy's NODE_EXTRA_CA_CERTS costs every Node start 40-80 ms; tsvm makes no TLS connection.
if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  delete process.env.NODE_EXTRA_CA_CERTS;
  console.log('(NODE_EXTRA_CA_CERTS removed from the environment)');
}
const work = mkdtempSync(join(tmpdir(), 'tsvm-bench-user-'));
execFileSync('sh', ['-c', `gzip -dc '${join(ROOT, 'images/riscv64/initramfs.cpio.gz')}' | cpio -idm --quiet bin/busybox`], { cwd: work });
const busybox = join(work, 'bin/busybox');
const data = join(work, 'data.bin');
const buf = Buffer.alloc(16 * 1024 * 1024);
for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
writeFileSync(data, buf);

function time(cmd, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) return { s: NaN, out: r.stderr.trim() };
  return { s, out: r.stdout.split(' ')[0] };
}

const tsvm = time(process.execPath, [join(ROOT, 'bin/tsvm-riscv64.js'), busybox, 'sha256sum', data]);
console.log(`tsvm-riscv64   ${tsvm.s.toFixed(2)} s  ${tsvm.out}`);
const hasQemu = spawnSync('sh', ['-c', 'command -v qemu-riscv64']).status === 0;
if (hasQemu) {
  const qemu = time('qemu-riscv64', [busybox, 'sha256sum', data]);
  console.log(`qemu-riscv64   ${qemu.s.toFixed(2)} s  ${qemu.out}`);
  console.log(`ratio          ${(tsvm.s / qemu.s).toFixed(1)}x slower than QEMU${tsvm.out === qemu.out ? '' : '  (OUTPUTS DIFFER)'}`);
} else {
  console.log('qemu-riscv64   not installed');
}
rmSync(work, { recursive: true, force: true });
