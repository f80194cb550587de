/**
 * tsvm-riscv64 with a real distribution: Debian trixie's dynamically linked riscv64 coreutils (ls, sort,
 * sha256sum, uname, cat, env), run with `-L SYSROOT` where SYSROOT holds libc6, coreutils and their shared
 * libraries (tests/user/fetch-debian-sysroot.sh, cached in /var/tmp, or in $TSVM_DEBIAN_SYSROOT if set). Outputs
 * must match the host's coreutils. Skipped, with the reason, if the sysroot cannot be fetched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'tsvm-riscv64.js');
const FETCH = join(ROOT, 'tests', 'user', 'fetch-debian-sysroot.sh');

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The sysroot path, or the reason the tests are skipped. */
function sysroot(): { root: string } | { skip: string } {
  for (const cmd of ['bash', 'apt-get', 'dpkg-deb', 'ls', 'sort', 'sha256sum', 'cat']) {
    if (!has(cmd)) return { skip: `SKIP: ${cmd} not installed (needed for the Debian riscv64 sysroot or the host comparison)` };
  }
  const dirArg = process.env.TSVM_DEBIAN_SYSROOT ? [process.env.TSVM_DEBIAN_SYSROOT] : [];
  const r = spawnSync('bash', [FETCH, ...dirArg], { encoding: 'utf8', timeout: 120_000 });
  const root = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !root || !existsSync(join(root, 'usr', 'bin', 'ls'))) {
    const why = (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `status ${r.status}`;
    return { skip: `SKIP: tests/user/fetch-debian-sysroot.sh failed (${why})` };
  }
  return { root };
}

const SR = sysroot();
const SKIP = 'skip' in SR ? SR.skip : false;
const SYSROOT = 'root' in SR ? SR.root : '';
if (SKIP) console.log(`# ${SKIP}`);

const ENV: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };
delete ENV.LANG;
delete ENV.LANGUAGE;

interface Run { stdout: string; stderr: string; status: number | null }

/** Debian's riscv64 `prog` from the sysroot under tsvm-riscv64 -L SYSROOT. */
function guest(prog: string, args: string[], opts: { cwd?: string; input?: string } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, '-L', SYSROOT, join(SYSROOT, 'usr', 'bin', prog), ...args], {
    encoding: 'utf8', env: ENV, cwd: opts.cwd, input: opts.input, timeout: 60_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function host(prog: string, args: string[], opts: { cwd?: string; input?: string } = {}): Run {
  const r = spawnSync(prog, args, { encoding: 'utf8', env: ENV, cwd: opts.cwd, input: opts.input });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

let dir = '';
/** A directory with known files, sizes and times. */
function workDir(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'tsvm-debian-'));
  const data = Buffer.alloc(123_457);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + (i >> 5)) & 0xff;
  writeFileSync(join(dir, 'data.bin'), data);
  writeFileSync(join(dir, 'notes.txt'), 'banana\napple\nCherry\napple\n42\n');
  writeFileSync(join(dir, 'empty'), '');
  mkdirSync(join(dir, 'sub'));
  symlinkSync('notes.txt', join(dir, 'link'));
  for (const n of ['data.bin', 'notes.txt', 'empty', 'sub']) utimesSync(join(dir, n), 1700000000, 1700000000);
  return dir;
}

function same(prog: string, args: string[], opts: { cwd?: string; input?: string } = {}): Run {
  const want = host(prog, args, opts);
  const got = guest(prog, args, opts);
  assert.equal(got.stderr, want.stderr);
  assert.equal(got.stdout, want.stdout);
  assert.equal(got.status, want.status);
  return got;
}

test('user-debian: the sysroot has Debian\'s dynamically linked riscv64 coreutils', { skip: SKIP }, () => {
  const elf = spawnSync('sh', ['-c', `od -An -tx1 -j16 -N4 '${join(SYSROOT, 'usr', 'bin', 'ls')}'`], { encoding: 'utf8' }).stdout;
  assert.match(elf, /03 00 f3 00/); // ET_DYN (PIE), EM_RISCV
  assert.ok(existsSync(join(SYSROOT, 'lib', 'ld-linux-riscv64-lp64d.so.1')));
});

test('user-debian: ls -1 and ls -ln print what the host ls prints', { skip: SKIP }, () => {
  const d = workDir();
  same('ls', ['-1', d]);
  same('ls', ['-1aF', '--color=never'], { cwd: d });
  same('ls', ['-ln', '--time-style=long-iso', d]);
});

test('user-debian: ls -l shows the file names and sizes', { skip: SKIP }, () => {
  const d = workDir();
  const got = guest('ls', ['-l', d]);
  assert.equal(got.stderr, '');
  assert.equal(got.status, 0);
  assert.match(got.stdout, /^total \d+\n/);
  assert.match(got.stdout, /^-[rwx-]{9} 1 \S+ +\S+ +123457 Nov 14 {2}2023 data\.bin$/m);
  assert.match(got.stdout, /^-[rwx-]{9} 1 \S+ +\S+ +29 Nov 14 {2}2023 notes\.txt$/m);
  assert.match(got.stdout, /^-[rwx-]{9} 1 \S+ +\S+ +0 Nov 14 {2}2023 empty$/m);
  assert.match(got.stdout, /^d[rwx-]{9} \d+ \S+ +\S+ +\d+ Nov 14 {2}2023 sub$/m);
  assert.match(got.stdout, /^l[rwx-]{9} 1 \S+ +\S+ +9 .* link -> notes\.txt$/m);
  // owners come from the host's /etc/passwd (not in the sysroot), so the whole listing matches too
  assert.equal(got.stdout, host('ls', ['-l', d]).stdout);
});

test('user-debian: sort, sha256sum and cat print what the host prints', { skip: SKIP }, () => {
  const d = workDir();
  same('sort', [join(d, 'notes.txt')]);
  same('sort', ['-u', '-r'], { input: 'pear\nfig\napple\nfig\nZebra\n10\n9\n' });
  same('sort', ['-n'], { input: '10\n9\n-3\n100\n2.5\n' });
  same('sha256sum', ['data.bin', 'notes.txt', 'empty'], { cwd: d });
  same('sha256sum', [], { input: 'hello\n' });
  same('cat', [join(d, 'notes.txt'), join(d, 'empty'), join(d, 'link')]);
  same('cat', [join(d, 'missing')]);
});

test('user-debian: stat and stat -f (statfs) print what the host stat prints', { skip: SKIP }, () => {
  const d = workDir();
  same('stat', ['-c', '%n %s %F %a %Y', 'data.bin', 'notes.txt', 'empty', 'sub', 'link'], { cwd: d });
  same('stat', ['-f', '-c', '%S %l %T', d]);
});

test('user-debian: uname -m is riscv64, and env execs another sysroot program', { skip: SKIP }, () => {
  const got = guest('uname', ['-m']);
  assert.equal(got.stdout, 'riscv64\n');
  assert.equal(got.status, 0);
  // execve of /usr/bin/uname is looked up in the sysroot first, like the ELF interpreter
  const viaEnv = guest('env', ['-i', 'X=1', '/usr/bin/uname', '-sm']);
  assert.equal(viaEnv.stdout, 'Linux riscv64\n');
  assert.equal(viaEnv.stderr, '');
  assert.equal(viaEnv.status, 0);
});
