#!/usr/bin/env node
// Disk speed inside the default guest, tsvm vs QEMU, on the same kernel, initrd and fresh images.
//   node bench/disk.mjs [--runs N] [--skip-qemu]
// Each run boots each emulator once per image format (a fresh raw and a fresh qcow2 image of 64 MiB from
// `qemu-img create`, attached as `-drive file=F,format=FMT,if=none,id=d0 -device virtio-blk-device,drive=d0`,
// default cache=writeback; not `if=virtio`, which on QEMU's virt board means virtio-blk-pci, and the
// default kernel has no PCI) and times,
// inside the guest, with /proc/uptime read by the shell's `read` builtin (10 ms resolution, no process start):
//   seq write   dd if=/dev/zero of=/dev/vda bs=1M count=32 oflag=direct conv=fsync
//               (the first pass allocates the qcow2 clusters; QEMU repeats it 4 times to get well past 10 ms)
//   seq read    sync; echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=1M count=32
//               (QEMU: 4 times, dropping the cache each time)
//   random 4K   200 times `dd if=/dev/vda of=/dev/null bs=4k count=1 skip=$((RANDOM % 8192)) iflag=direct`
//               over the written 32 MiB. Busybox has no single-process random-I/O tool, so each read starts
//               a dd process: this is what a shell loop gets, and on tsvm process start dominates it.
//   QD1 4K      one `dd if=/dev/vda of=/dev/null bs=4k count=N iflag=direct`: N synchronous 4 KiB requests at
//               queue depth 1 from one process (tsvm 2048, QEMU 8192), the device's
//               own cost per request. The addresses are sequential, but with the image in the host's page
//               cache and every qcow2 L2 table cached that costs the device the same as random ones (and
//               O_DIRECT keeps the guest's readahead out).
// Median over runs. QEMU gets the gunzipped Image (QEMU 7.2 cannot boot a gzipped one) and its default
// firmware (OpenSBI); tsvm its built-in SBI.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSVM = [process.execPath, join(ROOT, 'bin', 'tsvm-system-riscv64.js')];
const QEMU = ['qemu-system-riscv64'];
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const RUNS = opt('--runs', 1);
const MB = 32;
const IOS = 200;
const IMAGE_MB = 64;
const skipQemu = args.includes('--skip-qemu') || spawnSync('qemu-system-riscv64', ['-version']).status !== 0;
if (spawnSync('qemu-img', ['--version']).status !== 0) {
  console.log('SKIP: qemu-img not installed');
  process.exit(0);
}
const tmp = mkdtempSync(join(tmpdir(), 'tsvm-bench-disk-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const INITRD = join(ROOT, 'images', 'riscv64', 'initramfs.cpio.gz');
const imageGz = join(ROOT, 'images', 'riscv64', 'Image.gz');
const imageRaw = join(tmp, 'Image');
writeFileSync(imageRaw, gunzipSync(readFileSync(imageGz)));

/** Per emulator: repetitions of the sequential passes, and the QD1 request count (in passes of `qd` pages). */
const SCALE = { tsvm: { seq: 1, qd: 2048, qdPasses: 1 }, qemu: { seq: 4, qd: 8192, qdPasses: 1 } };

/** The guest steps: [name, command]; a timed step prints "T@@ start end" from /proc/uptime. */
const timed = (cmd) => `read a _ < /proc/uptime; ${cmd}; read b _ < /proc/uptime; echo "T@@ $a $b"`;
const PAGES = (MB << 20) / 4096;
const times = (n, body) => `k=0; while [ $k -lt ${n} ]; do ${body}; k=$((k + 1)); done`;
const steps = (sc) => [
  ['wait', 'for i in 1 2 3 4 5; do [ -b /dev/vda ] && break; sleep 1; done'],
  ['write', timed(times(sc.seq, `dd if=/dev/zero of=/dev/vda bs=1M count=${MB} oflag=direct conv=fsync 2>/dev/null || echo DD$((0))FAIL`))],
  ['sync', 'sync'],
  ['read', timed(times(sc.seq, `echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=1M count=${MB} 2>/dev/null || echo DD$((0))FAIL`))],
  ['rand', timed(times(IOS, `dd if=/dev/vda of=/dev/null bs=4k count=1 skip=$((RANDOM % ${PAGES})) iflag=direct 2>/dev/null || echo DD$((0))FAIL`))],
  ['qd1', timed(times(sc.qdPasses, `dd if=/dev/vda of=/dev/null bs=4k count=${sc.qd} iflag=direct 2>/dev/null || echo DD$((0))FAIL`))],
];

function measure(cmd, kernel, image, format, STEPS) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], [...cmd.slice(1), '-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernel,
      '-initrd', INITRD, '-append', 'console=ttyS0', '-drive', `file=${image},format=${format},if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0']);
    let out = '';
    let err = '';
    let step = -1;
    let from = 0;
    const got = {};
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out:\n${out.slice(-2000)}`)); }, 600_000);
    const next = () => {
      step++;
      if (step === STEPS.length) { child.stdin.write('poweroff\n'); return; }
      child.stdin.write(`${STEPS[step][1]}; echo @@$((${step} + 1000))\n`);
    };
    child.stdout.on('data', (d) => {
      out += d.toString('latin1');
      if (step < 0) {
        if (/\n~ # /.test(out)) { from = out.length; next(); }
        return;
      }
      if (step >= STEPS.length) return;
      const tail = out.slice(from);
      const m = new RegExp(`@@${step + 1000}\\r?\\n`).exec(tail);
      if (!m) return;
      if (/DD0FAIL/.test(tail)) { child.kill('SIGKILL'); reject(new Error(`${cmd[0]}: a dd failed:\n${tail}`)); return; }
      const t = /T@@ ([\d.]+) ([\d.]+)/.exec(tail);
      if (t) got[STEPS[step][0]] = Number(t[2]) - Number(t[1]);
      from += m.index + m[0].length;
      next();
    });
    child.stderr.on('data', (d) => { err += d.toString('latin1'); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (step < STEPS.length) reject(new Error(`${cmd.join(' ')}: exit ${code} at step ${step}:\n${out.slice(-2000)}\n${err}`));
      else resolve(got);
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function run(cmd, kernel, format, sc) {
  const rs = [];
  for (let i = 0; i < RUNS; i++) {
    const image = join(tmp, `disk.${format}`);
    rmSync(image, { force: true });
    spawnSync('qemu-img', ['create', '-q', '-f', format, image, `${IMAGE_MB}M`]);
    const t = await measure(cmd, kernel, image, format, steps(sc));
    rs.push({
      write: (sc.seq * MB) / t.write,
      read: (sc.seq * MB) / t.read,
      iops: IOS / t.rand,
      qd1: (sc.qd * sc.qdPasses) / t.qd1,
    });
  }
  const m = {};
  for (const k of Object.keys(rs[0])) m[k] = median(rs.map((r) => r[k]));
  return m;
}

const fmt = (v, d = 1) => (v === undefined ? '-' : v.toFixed(d));
const rows = [];
for (const format of ['raw', 'qcow2']) {
  const t = await run(TSVM, imageGz, format, SCALE.tsvm);
  const q = skipQemu ? undefined : await run(QEMU, imageRaw, format, SCALE.qemu);
  const ratio = (k) => (q ? `${fmt(q[k] / t[k])}x slower` : '-');
  rows.push([`${format}: sequential write, 1 MiB O_DIRECT + fsync (MiB/s)`, fmt(t.write), fmt(q?.write), ratio('write')]);
  rows.push([`${format}: sequential read, 1 MiB after drop_caches (MiB/s)`, fmt(t.read), fmt(q?.read), ratio('read')]);
  rows.push([`${format}: 4 KiB random read, one dd each (IOPS)`, fmt(t.iops, 0), fmt(q?.iops, 0), ratio('iops')]);
  rows.push([`${format}: 4 KiB O_DIRECT reads in one dd, QD1 (IOPS)`, fmt(t.qd1, 0), fmt(q?.qd1, 0), ratio('qd1')]);
}

console.log(`tsvm disk bench, ${new Date().toISOString().slice(0, 10)}, median of ${RUNS} run(s), ${MB} MiB sequential, ` +
  `${IMAGE_MB} MiB images, node ${process.version}`);
console.log('| measure (higher is better) | tsvm | QEMU 7.2 TCG | ratio |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
