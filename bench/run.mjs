#!/usr/bin/env node
// tsvm vs QEMU, side by side on the same inputs (issue: speed is measured, never asserted in tests).
//   node bench/run.mjs [--runs N] [--skip-qemu]
// 1. CPU throughput: bench/loop.bin (7 instructions per iteration) on `-M virt -bios none`, run with two
//    iteration counts; MIPS = extra instructions / extra seconds, so start-up cost cancels out.
// 2. Boot: the default guest (images/riscv64) to its first /init line ("tsvm: init") and to the shell
//    prompt, on `-M virt -m 256M` with each emulator's default firmware (QEMU: OpenSBI; tsvm: built-in SBI).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSVM = [process.execPath, join(ROOT, 'bin', 'tsvm-system-riscv64.js')];
const QEMU = ['qemu-system-riscv64'];
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 3;
const skipQemu = args.includes('--skip-qemu') || spawnSync('qemu-system-riscv64', ['-version']).status !== 0;
const tmp = mkdtempSync(join(tmpdir(), 'tsvm-bench-'));

function loopImage(iterations) {
  const bin = Buffer.from(readFileSync(join(ROOT, 'bench', 'loop.bin')));
  bin.writeBigUInt64LE(BigInt(iterations), 0x38); // `iterations` (see loop.S)
  const f = join(tmp, `loop-${iterations}.bin`);
  writeFileSync(f, bin);
  return f;
}

function timeRun(cmd, argv) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...argv], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000, killSignal: 'SIGKILL' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function mips(cmd, small, large) {
  const a = loopImage(small), b = loopImage(large);
  const base = ['-M', 'virt', '-m', '64M', '-bios', 'none', '-nographic', '-kernel'];
  const t1 = median(Array.from({ length: RUNS }, () => timeRun(cmd, [...base, a])));
  const t2 = median(Array.from({ length: RUNS }, () => timeRun(cmd, [...base, b])));
  return (7 * (large - small)) / (t2 - t1) / 1e6;
}

function boot(cmd, kernel) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const sec = () => Number(process.hrtime.bigint() - t0) / 1e9;
    const child = spawn(cmd[0], [...cmd.slice(1), '-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernel,
      '-initrd', join(ROOT, 'images', 'riscv64', 'initramfs.cpio.gz'), '-append', 'console=ttyS0']);
    let out = '';
    let init, prompt;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('boot timed out')); }, 300_000);
    child.stdout.on('data', (d) => {
      out += d.toString('latin1');
      if (init === undefined && out.includes('tsvm: init')) init = sec();
      if (prompt === undefined && /\n~ # /.test(out)) {
        prompt = sec();
        child.stdin.write('poweroff\n');
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (prompt === undefined) reject(new Error(`no prompt:\n${out.slice(-2000)}`));
      else resolve({ init, prompt, total: sec() });
    });
  });
}

async function bootMedian(cmd, kernel) {
  const rs = [];
  for (let i = 0; i < RUNS; i++) rs.push(await boot(cmd, kernel));
  return { init: median(rs.map((r) => r.init)), prompt: median(rs.map((r) => r.prompt)) };
}

const fmt = (v, d = 2) => (v === undefined ? '-' : v.toFixed(d));
const rows = [];
const small = 2_000_000, large = 30_000_000;
const tm = mips(TSVM, small, large);
const qm = skipQemu ? undefined : mips(QEMU, small * 20, large * 20);
rows.push(['loop throughput (MIPS, higher is better)', fmt(tm, 0), fmt(qm, 0), qm ? `${fmt(qm / tm, 1)}x slower` : '-']);

const imageGz = join(ROOT, 'images', 'riscv64', 'Image.gz');
const raw = join(tmp, 'Image');
writeFileSync(raw, gunzipSync(readFileSync(imageGz))); // QEMU 7.2 cannot boot a gzipped Image
const tb = await bootMedian(TSVM, imageGz);
const qb = skipQemu ? undefined : await bootMedian(QEMU, raw);
rows.push(['boot to first /init line (s)', fmt(tb.init), fmt(qb?.init), qb ? `${fmt(tb.init / qb.init, 1)}x` : '-']);
rows.push(['boot to shell prompt (s)', fmt(tb.prompt), fmt(qb?.prompt), qb ? `${fmt(tb.prompt / qb.prompt, 1)}x` : '-']);

console.log(`tsvm bench, ${new Date().toISOString().slice(0, 10)}, median of ${RUNS} runs, node ${process.version}`);
console.log('| measure | tsvm | QEMU 7.2 TCG | ratio |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
