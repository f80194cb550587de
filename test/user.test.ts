/**
 * tsvm-riscv64 (user-mode emulation): C programs built with riscv64-linux-gnu-gcc (static and
 * dynamic) must print what the same source prints when built with the host gcc and run natively;
 * the riscv64 busybox from the default initramfs must print what the host's busybox prints.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, utimesSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'tsvm-riscv64.js');
const SRC = join(ROOT, 'tests', 'user');
const SYSROOT = '/usr/riscv64-linux-gnu';
const INITRAMFS = join(ROOT, 'images', 'riscv64', 'initramfs.cpio.gz');
const HOST_BUSYBOX = '/usr/bin/busybox';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAVE_CROSS = has('riscv64-linux-gnu-gcc') && has('gcc');
const HAVE_BUSYBOX = existsSync(INITRAMFS) && existsSync(HOST_BUSYBOX) && has('cpio');
const NO_CROSS = !HAVE_CROSS && 'riscv64-linux-gnu-gcc (or gcc) not installed';
const NO_BUSYBOX = !HAVE_BUSYBOX && 'needs images/riscv64/initramfs.cpio.gz, cpio and the host busybox';
const exec = promisify(execFile);

const WORK = mkdtempSync(join(tmpdir(), 'tsvm-user-'));
const PROGRAMS = ['hello', 'args', 'fileio', 'qsort', 'signal'];
let RV_BUSYBOX = '';

interface Run { stdout: string; stderr: string; status: number | null }

function tsvm(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input, timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function native(file: string, args: string[], env?: NodeJS.ProcessEnv): Run {
  const r = spawnSync(file, args, { encoding: 'utf8', env: env ?? process.env });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

before(async () => {
  const jobs: Promise<unknown>[] = [];
  if (HAVE_CROSS) {
    for (const p of PROGRAMS) {
      const src = join(SRC, `${p}.c`);
      jobs.push(exec('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', join(WORK, `${p}-static`), src]));
      jobs.push(exec('riscv64-linux-gnu-gcc', ['-O2', '-o', join(WORK, `${p}-dynamic`), src]));
      jobs.push(exec('gcc', ['-O2', '-o', join(WORK, `${p}-native`), src]));
    }
    jobs.push(exec('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', join(WORK, 'jitcode'), join(SRC, 'jitcode.c')]));
  }
  if (HAVE_BUSYBOX) {
    jobs.push(exec('sh', ['-c', `gzip -dc '${INITRAMFS}' | cpio -idm --quiet bin/busybox`], { cwd: WORK }));
    RV_BUSYBOX = join(WORK, 'bin', 'busybox');
  }
  await Promise.all(jobs);
});

for (const p of PROGRAMS) {
  for (const kind of ['static', 'dynamic']) {
    test(`user: ${p} (${kind}) prints what the native build prints`, { skip: NO_CROSS }, () => {
      const env = { ...process.env, TSVM_T_A: 'one', TSVM_T_B: 'two' };
      let args = ['x', 'y z'];
      let dirN = '', dirT = '';
      if (p === 'fileio') {
        dirN = join(WORK, `fio-${kind}`);
        mkdirSync(dirN, { recursive: true });
        args = [dirN];
      }
      const want = native(join(WORK, `${p}-native`), args, env);
      if (p === 'fileio') {
        dirT = dirN + '-t';
        mkdirSync(dirT, { recursive: true });
        args = [dirT];
      }
      const pre = kind === 'dynamic' ? ['-L', SYSROOT] : [];
      const got = tsvm([...pre, join(WORK, `${p}-${kind}`), ...args], { env });
      assert.equal(got.stderr, '');
      assert.equal(got.stdout.split(dirT || '\0').join(dirN || '\0'), want.stdout);
      assert.equal(got.status, want.status);
    });
  }
}

for (const jit of ['on', 'always', 'off']) {
  test(`user: code rewritten by stores and by the kernel (pread) runs anew (TSVM_JIT=${jit})`, { skip: NO_CROSS }, () => {
    const got = tsvm([join(WORK, 'jitcode'), join(WORK, `jitcode-${jit}.bin`)], { env: { ...process.env, TSVM_JIT: jit } });
    assert.equal(got.stderr, '');
    assert.equal(got.stdout, 'store 42\nstore 7\npread 42\npread 7\n');
    assert.equal(got.status, 0);
  });
}

test('user: TSVM_JIT must be on, off or always', { skip: NO_CROSS }, () => {
  const got = tsvm([join(WORK, 'hello-static')], { env: { ...process.env, TSVM_JIT: 'fast' } });
  assert.equal(got.status, 1);
  assert.match(got.stderr, /^tsvm-riscv64: TSVM_JIT.*\n$/);
});

test('user: -E, -U and -0 edit the guest environment and argv[0]', { skip: NO_CROSS }, () => {
  const env = { ...process.env, TSVM_T_A: 'one', TSVM_T_X: 'gone' };
  const got = tsvm(['-E', 'TSVM_T_B=two', '-U', 'TSVM_T_X', '-0', 'zero', join(WORK, 'args-static'), 'p'], { env });
  assert.match(got.stdout, /argc=2\nargv\[1\]=p\nenv TSVM_T_A=one\nenv TSVM_T_B=two\ngetenv=one\npagesz=4096/);
  assert.equal(got.status, 0);
});

test('user: -strace logs syscalls QEMU-style', { skip: NO_CROSS }, () => {
  const got = tsvm(['-strace', join(WORK, 'hello-static')]);
  assert.equal(got.stdout, 'hello, world\n');
  assert.match(got.stderr, /^\d+ write\(1,0x[0-9a-f]+,13\) = 13$/m);
  assert.match(got.stderr, /^\d+ exit_group\(0\)$/m);
});

test('user: bad programs get one line and status 1', { skip: NO_CROSS }, () => {
  const notElf = join(WORK, 'not-elf');
  writeFileSync(notElf, 'just text\n', { mode: 0o755 });
  let r = tsvm([notElf]);
  assert.equal(r.stderr, `tsvm-riscv64: ${notElf}: Invalid ELF image for this architecture\n`);
  assert.equal(r.status, 1);
  r = tsvm([join(WORK, 'hello-native')]);
  assert.match(r.stderr, /^tsvm-riscv64: .*hello-native: Invalid ELF image for this architecture\n$/);
  assert.equal(r.status, 1);
  r = tsvm([join(WORK, 'missing')]);
  assert.match(r.stderr, /^tsvm-riscv64: Could not open '.*missing': No such file or directory\n$/);
  assert.equal(r.status, 1);
  r = tsvm(['-L', '/nonexistent', join(WORK, 'hello-dynamic')]);
  assert.match(r.stderr, /^tsvm-riscv64: Could not open '\/lib\/ld-linux-riscv64-lp64d\.so\.1': No such file or directory\n$/);
  assert.equal(r.status, 1);
});

/** Runs `sh -c script` under both busyboxes, with $BB naming the busybox to use for commands. */
function bothShells(script: string, cwd: string): [Run, Run] {
  const h = spawnSync(HOST_BUSYBOX, ['sh', '-c', script], { encoding: 'utf8', cwd, env: { ...process.env, BB: HOST_BUSYBOX } });
  const t = spawnSync(process.execPath, [BIN, RV_BUSYBOX, 'sh', '-c', script], {
    encoding: 'utf8', cwd, env: { ...process.env, BB: RV_BUSYBOX }, timeout: 60_000,
  });
  return [{ stdout: h.stdout, stderr: h.stderr, status: h.status }, { stdout: t.stdout, stderr: t.stderr, status: t.status }];
}

function busyboxDir(): string {
  const d = join(WORK, 'bbdir');
  if (!existsSync(d)) {
    mkdirSync(d);
    const data = Buffer.alloc(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + (i >> 5)) & 0xff;
    writeFileSync(join(d, 'data.bin'), data);
    writeFileSync(join(d, 'notes.txt'), 'banana\napple\ncherry\napple\n');
    mkdirSync(join(d, 'sub'));
    for (const n of readdirSync(d)) utimesSync(join(d, n), 1700000000, 1700000000);
  }
  return d;
}

const BUSYBOX_CASES: [string, string][] = [
  ['arithmetic', 'echo $((6*7))'],
  ['ls -l', '$BB ls -l'],
  ['sha256sum', '$BB sha256sum data.bin notes.txt'],
  ['gzip round trip', '$BB gzip -c data.bin | $BB gunzip -c | $BB sha256sum; $BB gzip -c notes.txt | $BB wc -c'],
  ['pipeline script', 'for w in $($BB cat notes.txt); do echo "$w"; done | $BB sort | $BB uniq -c | $BB tr a-z A-Z; '
    + 'x=$($BB seq 1 100 | $BB awk \'{s+=$1} END {print s}\'); echo "sum=$x"; echo done > out.txt; $BB cat out.txt; '
    + '$BB rm out.txt; (exit 3); echo "status=$?"'],
];

for (const [name, script] of BUSYBOX_CASES) {
  test(`user: busybox ${name} matches the host busybox`, { skip: NO_BUSYBOX }, () => {
    const [want, got] = bothShells(script, busyboxDir());
    assert.equal(got.stdout, want.stdout);
    assert.equal(got.status, want.status);
  });
}
