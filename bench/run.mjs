#!/usr/bin/env node
// tsvm (translator on, interpreter only) vs QEMU, side by side in one run on the same inputs
// (issue: speed is measured, never asserted in tests).
//   node bench/run.mjs [--runs N] [--skip-qemu] [--only loop,boot,work] [--jit on,off[,always]] [--timeout S]
//   --runs N       median of N runs of everything (default 3)
//   --only LIST    any of loop, boot, work (default all three; `work` boots too, so it reports boot as well)
//   --jit LIST     tsvm's -accel tcg,jit= modes to measure (default on,off)
//   --skip-qemu    tsvm only (also when qemu-system-riscv64 is not installed)
//   --timeout S    kill an emulator after S seconds in one loop run, one boot or one guest step (default 300);
//                  a killed run shows as FAIL
//   --keep-env     keep NODE_EXTRA_CA_CERTS in tsvm's environment (removed by default, see below)
// 1. CPU throughput: bench/loop.bin (7 instructions per iteration) on `-M virt -bios none`, run with two
//    iteration counts; MIPS = extra instructions / extra seconds, so start-up cost cancels out.
// 2. Boot: the default guest (images/riscv64: Image.gz + initramfs.cpio.gz) to its first /init line
//    ("tsvm: init") and to the shell prompt, on `-M virt -m 256M -append console=ttyS0` with each
//    emulator's default firmware (QEMU: OpenSBI; tsvm: built-in SBI). QEMU gets the gunzipped Image
//    (QEMU 7.2 cannot boot a gzipped one); the kernel is the same.
// 3. In-guest work, in the same boot as 2 (commands typed on the serial console, one after the other):
//      shell loop   sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo $i'
//      sha256sum    sha256sum /run/bench.dat            (4 MiB file on tmpfs)
//      gzip         gzip -c /run/bench.dat > /run/bench.gz
//    /run/bench.dat is /bin/busybox three times over, cut to 4 MiB (untimed, before the first timed step):
//    deterministic, so the hash is checked against the host's, and the gzip size and round trip
//    (gunzip | sha256sum, untimed) are compared across emulators and jit modes. Each timed step is
//    bracketed by two marker lines printed by the guest; the time is host wall time between the two
//    markers arriving on the serial console (the guest's own clock, /proc/uptime, is shown under the
//    table as a cross-check).
// The ratio columns say how many times slower tsvm is than QEMU (time / time, or MIPS / MIPS).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const RUNS = Number(opt('--runs', 3)) || 3;
const ONLY = new Set(opt('--only', 'loop,boot,work').split(','));
const JIT = opt('--jit', 'on,off').split(',');
const TIMEOUT = (Number(opt('--timeout', 300)) || 300) * 1000;
// Some machines (this project's CI and sandboxes) set NODE_EXTRA_CA_CERTS for a proxy: every Node process
// then parses the CA bundle at start-up, before any JavaScript runs (`node -e 0` 0.06-0.10 s instead of
// 0.02 s). tsvm makes no TLS connection, so the emulators run without it; the header says when it was removed.
const droppedCaCerts = process.env.NODE_EXTRA_CA_CERTS !== undefined && !args.includes('--keep-env');
if (droppedCaCerts) delete process.env.NODE_EXTRA_CA_CERTS;
for (const o of ONLY) if (!['loop', 'boot', 'work'].includes(o)) throw new Error(`--only: unknown part ${o}`);
for (const j of JIT) if (!['on', 'off', 'always'].includes(j)) throw new Error(`--jit: unknown mode ${j}`);
const qemuVersion = spawnSync('qemu-system-riscv64', ['-version'], { encoding: 'utf8' });
const skipQemu = args.includes('--skip-qemu') || qemuVersion.status !== 0;
const qemuName = skipQemu ? 'QEMU' : `QEMU ${/version (\d+\.\d+)/.exec(qemuVersion.stdout)?.[1] ?? ''} TCG`.replace('  ', ' ');
const tmp = mkdtempSync(join(tmpdir(), 'tsvm-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// With the node options of the bin script's shebang (what `npx tsvm` runs).
const TSVM = [process.execPath, '--v8-pool-size=1', join(ROOT, 'bin', 'tsvm-system-riscv64.js')];
/** The emulators, in column order. `loop`: [small, large] iteration counts (enough for a few seconds). */
const EMUS = [
  ...JIT.map((j) => ({
    name: `tsvm jit=${j}`, short: `jit=${j}`, cmd: [...TSVM, '-accel', `tcg,jit=${j}`],
    loop: j === 'off' ? [2_000_000, 30_000_000] : [40_000_000, 600_000_000], gz: true,
  })),
  ...(skipQemu ? [] : [{ name: qemuName, short: 'QEMU', cmd: ['qemu-system-riscv64', '-accel', 'tcg'], loop: [40_000_000, 600_000_000], gz: false, qemu: true }]),
];
const QEMU_COL = EMUS.find((e) => e.qemu);

// ---------------------------------------------------------------- 1. loop MIPS
function loopImage(iterations) {
  const bin = Buffer.from(readFileSync(join(ROOT, 'bench', 'loop.bin')));
  bin.writeBigUInt64LE(BigInt(iterations), 0x38); // `iterations` (see loop.S)
  const f = join(tmp, `loop-${iterations}.bin`);
  writeFileSync(f, bin);
  return f;
}

function timeRun(cmd, argv) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...argv], { stdio: ['ignore', 'ignore', 'pipe'], timeout: TIMEOUT, killSignal: 'SIGKILL' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} ${argv.join(' ')}: ${r.signal ? `killed (${r.signal}, timeout?)` : `exit ${r.status}`}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function median(xs) {
  const s = xs.filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : undefined;
}

function mips(emu) {
  const [small, large] = emu.loop;
  const a = loopImage(small), b = loopImage(large);
  const base = ['-M', 'virt', '-m', '64M', '-bios', 'none', '-nographic', '-kernel'];
  const t1 = median(Array.from({ length: RUNS }, () => timeRun(emu.cmd, [...base, a])));
  const t2 = median(Array.from({ length: RUNS }, () => timeRun(emu.cmd, [...base, b])));
  return (7 * (large - small)) / (t2 - t1) / 1e6;
}

// ---------------------------------------------------------------- 2 + 3. boot and in-guest work
const INITRD = join(ROOT, 'images', 'riscv64', 'initramfs.cpio.gz');
const imageGz = join(ROOT, 'images', 'riscv64', 'Image.gz');
const imageRaw = join(tmp, 'Image');

/** A file's bytes out of a gzipped newc cpio archive (as test/support/guest.ts cpioFile). */
function cpioFile(archive, name) {
  const a = gunzipSync(readFileSync(archive));
  const hex = (p) => parseInt(a.toString('latin1', p, p + 8), 16);
  const pad4 = (n) => (n + 3) & ~3;
  for (let p = 0; p + 110 <= a.length;) {
    const size = hex(p + 54), nameSize = hex(p + 94);
    const n = a.toString('latin1', p + 110, p + 110 + nameSize - 1).replace(/^\.?\//, '');
    if (n === 'TRAILER!!!') break;
    const data = pad4(p + 110 + nameSize);
    if (n === name && size > 0) return a.subarray(data, data + size);
    p = pad4(data + size);
  }
  throw new Error(`${name} not in ${archive}`);
}

const DATA = 4 << 20;
/** The expected sha256 of /run/bench.dat. */
function expectedHash() {
  const bb = cpioFile(INITRD, 'bin/busybox');
  return createHash('sha256').update(Buffer.concat([bb, bb, bb]).subarray(0, DATA)).digest('hex');
}

/** Guest steps: [key, command, timed]. A step's output is what the guest prints between its markers. */
const STEPS = [
  ['setup', `cat /bin/busybox /bin/busybox /bin/busybox | head -c ${DATA} > /run/bench.dat; wc -c < /run/bench.dat`, false],
  ['shell', `sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo $i'`, true],
  ['sha256', 'sha256sum /run/bench.dat', true],
  ['gzip', 'gzip -c /run/bench.dat > /run/bench.gz', true],
  ['check', 'wc -c < /run/bench.gz; gunzip -c /run/bench.gz | sha256sum', false],
];

/**
 * One boot: times to the first /init line and to the prompt, then (if `work`) each step of STEPS.
 * Resolves { init, prompt, steps: {key: {host, guest, out}}, error }; never rejects.
 */
function session(emu, work) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const sec = () => Number(process.hrtime.bigint() - t0) / 1e9;
    const child = spawn(emu.cmd[0], [...emu.cmd.slice(1), '-M', 'virt', '-m', '256M', '-nographic',
      '-kernel', emu.gz ? imageGz : imageRaw, '-initrd', INITRD, '-append', 'console=ttyS0']);
    let out = '', err = '';
    let init, prompt, error;
    const steps = {};
    let step = -1, from = 0, started;
    // The boot and each step get TIMEOUT of their own: a hung guest or emulator is killed, a slow one is not.
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        error = `timed out after ${TIMEOUT / 1000} s${step < 0 ? ' booting' : step < STEPS.length && work ? ` in step ${STEPS[step][0]}: ${STEPS[step][1]}` : ' at poweroff'}`;
        child.kill('SIGKILL');
      }, TIMEOUT);
    };
    arm();
    const next = () => {
      step++;
      arm();
      if (!work || step === STEPS.length) { child.stdin.write('poweroff\n'); return; }
      started = undefined;
      // `$((N))` so that the console's echo of the typed line never matches a marker
      child.stdin.write(`echo @@S$((${step} + 1000)); read a _ < /proc/uptime; ${STEPS[step][1]}; ` +
        `read b _ < /proc/uptime; echo "@@E$((${step} + 1000)) $a $b"\n`);
    };
    child.stdout.on('data', (d) => {
      out += d.toString('latin1');
      if (init === undefined && out.includes('tsvm: init')) init = sec();
      if (prompt === undefined) {
        if (/(^|\n)~ # /.test(out)) { prompt = sec(); from = out.length; next(); }
        return;
      }
      while (step >= 0 && step < (work ? STEPS.length : 0)) {
        const tail = out.slice(from);
        if (started === undefined) {
          const m = new RegExp(`@@S${step + 1000}\\r?\\n`).exec(tail);
          if (!m) return;
          started = { t: sec(), at: from + m.index + m[0].length };
        }
        const body = out.slice(started.at);
        const m = new RegExp(`@@E${step + 1000} ([\\d.]+) ([\\d.]+)\\r?\\n`).exec(body);
        if (!m) return;
        steps[STEPS[step][0]] = { host: sec() - started.t, guest: Number(m[2]) - Number(m[1]), out: body.slice(0, m.index).replace(/\r/g, '').trim() };
        from = started.at + m.index + m[0].length;
        next();
      }
    });
    child.stderr.on('data', (d) => { err += d.toString('latin1'); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!error && prompt === undefined) error = `no prompt (exit ${code ?? signal})`;
      else if (!error && work && step < STEPS.length) error = `exit ${code ?? signal} in step ${STEPS[step][0]}: ${STEPS[step][1]}`;
      if (error) error += `\n--- console tail ---\n${out.slice(-1500)}\n--- stderr ---\n${err.slice(-1500)}`;
      resolve({ init, prompt, steps, error });
    });
  });
}

// ---------------------------------------------------------------- main
const stray = (spawnSync('ps', ['-eo', 'pid=,pcpu=,args='], { encoding: 'utf8' }).stdout ?? '').split('\n')
  .filter((l) => /qemu-system|tsvm-/.test(l) && Number(l.trim().split(/\s+/)[0]) !== process.pid);
if (stray.length) console.error(`warning: other emulator processes are running, timings will suffer:\n${stray.join('\n')}`);
const load0 = loadavg()[0];
if (load0 > 0.5) console.error(`warning: load average ${loadavg()[0].toFixed(2)} before the start: other jobs will slow every column`);

const res = Object.fromEntries(EMUS.map((e) => [e.name, { loop: undefined, sessions: [], errors: [] }]));
if (ONLY.has('loop')) {
  for (const e of EMUS) {
    try { res[e.name].loop = mips(e); } catch (x) { res[e.name].errors.push(`loop: ${x.message}`); }
  }
}
const work = ONLY.has('work');
if (ONLY.has('boot') || work) {
  if (!skipQemu) writeFileSync(imageRaw, gunzipSync(readFileSync(imageGz))); // QEMU 7.2 cannot boot a gzipped Image
  for (let i = 0; i < RUNS; i++) {
    for (const e of EMUS) { // interleaved, so drift in the machine's load hits every column alike
      const s = await session(e, work);
      res[e.name].sessions.push(s);
      if (s.error) res[e.name].errors.push(`run ${i + 1}: ${s.error}`);
    }
  }
}

const fmt = (v, d = 2) => (v === undefined ? 'FAIL' : v.toFixed(d));
const ratio = (v, q, higherIsBetter) => (v === undefined || q === undefined ? '-' : `${(higherIsBetter ? q / v : v / q).toFixed(1)}x`);
const rows = [];
function row(label, get, d, higherIsBetter = false) {
  const v = EMUS.map((e) => get(res[e.name]));
  const q = QEMU_COL ? get(res[QEMU_COL.name]) : undefined;
  const tsvmCols = EMUS.filter((e) => !e.qemu);
  const on = res['tsvm jit=on'] && get(res['tsvm jit=on']), off = res['tsvm jit=off'] && get(res['tsvm jit=off']);
  rows.push([label, ...v.map((x) => fmt(x, d)),
    ...(QEMU_COL ? tsvmCols.map((e) => ratio(get(res[e.name]), q, higherIsBetter)) : []),
    ...(JIT.includes('on') && JIT.includes('off') ? [ratio(on, off, !higherIsBetter)] : [])]);
}
const sessMedian = (f) => (r) => (r.sessions.length ? median(r.sessions.map(f)) : undefined);
const stepTime = (k, which = 'host') => (s) => s.steps[k]?.[which];
if (ONLY.has('loop')) row('loop throughput (MIPS, higher is better)', (r) => r.loop, 0, true);
if (ONLY.has('boot') || work) {
  row('boot to first /init line (s)', sessMedian((s) => s.init), 2);
  row('boot to shell prompt (s)', sessMedian((s) => s.prompt), 2);
}
if (work) {
  row("shell loop, `sh -c` 200,000 iterations (s)", sessMedian(stepTime('shell')), 2);
  row('`sha256sum` of 4 MiB on tmpfs (s)', sessMedian(stepTime('sha256')), 2);
  row('`gzip -c` of 4 MiB on tmpfs to tmpfs (s)', sessMedian(stepTime('gzip')), 2);
}

const git = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout?.trim() || '?';
const load = loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`tsvm bench (${git}), ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC, median of ${RUNS} run(s), ` +
  `node ${process.version}, ${cpus().length} CPUs, load average ${load0.toFixed(2)} at the start, ${load} at the end` +
  (droppedCaCerts ? ', NODE_EXTRA_CA_CERTS removed from the environment (--keep-env keeps it)' : ''));
const head = ['measure', ...EMUS.map((e) => e.name),
  ...(QEMU_COL ? EMUS.filter((e) => !e.qemu).map((e) => `${e.short} vs QEMU (x slower)`) : []),
  ...(JIT.includes('on') && JIT.includes('off') ? ['jit speed-up (off / on)'] : [])];
console.log(`| ${head.join(' | ')} |`);
console.log(`| ${head.map(() => '---').join(' | ')} |`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

if (work) {
  // Cross-checks: guest clock vs host clock, and the guest's outputs (same on every emulator and run).
  const hash = expectedHash();
  const expect = { setup: String(DATA), shell: '200000', sha256: `${hash}  /run/bench.dat`, gzip: '' };
  const seen = new Map(); // check output -> emulators
  console.log('\nguest clock (/proc/uptime, 10 ms), median, s:');
  for (const e of EMUS) {
    const r = res[e.name];
    const g = (k) => fmt(sessMedian(stepTime(k, 'guest'))(r));
    console.log(`  ${e.name}: shell loop ${g('shell')}, sha256sum ${g('sha256')}, gzip ${g('gzip')}`);
    r.sessions.forEach((s, i) => {
      for (const [k, want] of Object.entries(expect)) {
        if (s.steps[k] && s.steps[k].out !== want) r.errors.push(`run ${i + 1}: step ${k}: expected ${JSON.stringify(want)}, got ${JSON.stringify(s.steps[k].out)}`);
      }
      const c = s.steps.check?.out;
      if (c !== undefined) {
        if (!c.includes(`${hash}  -`)) r.errors.push(`run ${i + 1}: gzip round trip: gunzip | sha256sum gave ${JSON.stringify(c)}`);
        seen.set(c, [...(seen.get(c) ?? []), `${e.name} run ${i + 1}`]);
      }
    });
  }
  if (seen.size > 1) {
    console.log('MISMATCH: gzip output size / round trip differ between runs:');
    for (const [c, who] of seen) console.log(`  ${JSON.stringify(c)}: ${who.join(', ')}`);
  } else if (seen.size === 1) {
    console.log(`outputs: same on every emulator and run (sha256 ${hash.slice(0, 16)}…, gzip ${[...seen.keys()][0].split('\n')[0]} bytes)`);
  }
}
let failed = false;
for (const e of EMUS) {
  for (const x of res[e.name].errors) {
    failed = true;
    console.log(`\nFAIL ${e.name} (${e.cmd.slice(e.cmd[0] === process.execPath ? 1 : 0).join(' ')}): ${x}`);
  }
}
process.exitCode = failed ? 1 : 0;
