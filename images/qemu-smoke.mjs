#!/usr/bin/env node
// Boot a riscv64 kernel + the tsvm initramfs on real QEMU (virt), drive the shell, power off.
// Checks: "tsvm: init" appears, the "~ # " prompt appears, `uname -m; echo $((6*7))` prints
// riscv64 and 42, `poweroff` makes QEMU exit on its own with status 0.
// Prints one JSON line with the timings (ms since QEMU was started). Exit status 0 on success.
//
// node images/qemu-smoke.mjs [--kernel K] [--initrd I] [--bios B] [--append "console=ttyS0"]
//                            [--mem 256M] [--smp 1] [--timeout 120] [--qemu qemu-system-riscv64] [--verbose]
//                            [--extra "more qemu args"] [--cmd "shell command to run before poweroff"]
// A kernel named *.gz is gunzipped to a temporary file first (QEMU 7.2 cannot load a gzipped Image).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const opt = {
  kernel: join(here, 'riscv64/Image.gz'),
  initrd: join(here, 'riscv64/initramfs.cpio.gz'),
  bios: '',
  append: 'console=ttyS0',
  mem: '256M',
  smp: '1',
  timeout: '120',
  qemu: 'qemu-system-riscv64',
  verbose: false,
  extra: '',
  cmd: '',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in opt)) { console.error(`unknown option ${argv[i]}`); process.exit(2); }
  if (typeof opt[k] === 'boolean') opt[k] = true; else opt[k] = argv[++i];
}

let kernelPath = opt.kernel;
let tmp = '';
if (kernelPath.endsWith('.gz')) {
  tmp = mkdtempSync(join(tmpdir(), 'tsvm-smoke-'));
  kernelPath = join(tmp, 'Image');
  writeFileSync(kernelPath, gunzipSync(readFileSync(opt.kernel)));
}
const cleanup = () => { if (tmp) rmSync(tmp, { recursive: true, force: true }); };

const args = ['-M', 'virt', '-m', opt.mem, '-smp', opt.smp, '-nographic', '-no-reboot',
  '-kernel', kernelPath, '-initrd', opt.initrd, '-append', opt.append];
if (opt.bios) args.push('-bios', opt.bios);
if (opt.extra) args.push(...opt.extra.trim().split(/\s+/));

const t0 = performance.now();
const q = spawn(opt.qemu, args, { stdio: ['pipe', 'pipe', 'inherit'] });
const ms = () => Math.round(performance.now() - t0);
const res = { kernel: opt.kernel, bios: opt.bios || 'default', append: opt.append };
let out = '';
let step = 'boot';
let mark = 0; // index into `out` where the current step started looking

const fail = (why) => {
  console.error(`FAIL (${why}) at step ${step}; last output:\n${out.slice(-2000)}`);
  q.kill('SIGKILL');
  cleanup();
  process.exit(1);
};
const timer = setTimeout(() => fail(`timeout ${opt.timeout}s`), Number(opt.timeout) * 1000);

q.stdout.on('data', (buf) => {
  const s = buf.toString('latin1');
  out += s;
  if (opt.verbose) process.stderr.write(s);
  if (res.init_ms === undefined && /(^|\n)tsvm: init\r*\n/.test(out)) res.init_ms = ms();
  const tail = out.slice(mark);
  if (step === 'boot' && tail.includes('~ # ')) {
    res.prompt_ms = ms();
    step = 'cmd'; mark = out.length;
    q.stdin.write('uname -m; echo $((6*7))\n');
  } else if (step === 'cmd' && /\nriscv64\r*\n42\r*\n[^]*~ # /.test(tail)) {
    res.cmd_ms = ms();
    mark = out.length;
    if (opt.cmd) { step = 'usercmd'; q.stdin.write(opt.cmd + '\n'); }
    else { step = 'poweroff'; q.stdin.write('poweroff\n'); }
  } else if (step === 'usercmd' && tail.includes('~ # ')) {
    res.cmd_output = tail.slice(0, tail.lastIndexOf('~ # '));
    step = 'poweroff'; mark = out.length;
    q.stdin.write('poweroff\n');
  }
});
q.on('exit', (code, sig) => {
  clearTimeout(timer);
  if (step !== 'poweroff') fail(`qemu exited early (code ${code}, signal ${sig})`);
  if (code !== 0) fail(`qemu exit code ${code}`);
  cleanup();
  res.exit_ms = ms();
  res.powered_off = /reboot: Power down|Power down/.test(out.slice(mark));
  console.log(JSON.stringify(res));
  process.exit(0);
});
