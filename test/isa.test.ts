// Runs the ISA test ELFs (tests/isa/bin, and optionally $RISCV_TESTS_DIR) on
// bin/tsvm-system-riscv64.js -M spike: exit status 0 = pass, non-zero = fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/isa.test.js -> repo root is two levels up
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'bin', 'tsvm-system-riscv64.js');
const OWN_DIR = join(ROOT, 'tests', 'isa', 'bin');
const TIMEOUT_MS = 20_000;

function listElfs(dir: string, filter: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => filter(n) && !n.endsWith('.dump') && statSync(join(dir, n)).isFile())
    .sort()
    .map((n) => join(dir, n));
}

const own = listElfs(OWN_DIR, (n) => !n.startsWith('.'));
const extDir = process.env.RISCV_TESTS_DIR;
const ext = extDir ? listElfs(extDir, (n) => /^rv64\w*-[pv]-/.test(n)) : [];

interface RunResult { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; output: string }

/** Every test runs with the translator on (default), off, and translating everything on first entry. */
const JIT_MODES = ['on', 'off', 'always'];

function run(file: string, jit: string): Promise<RunResult> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, '-M', 'spike', '-bios', 'none', '-nographic', '-accel', `tcg,jit=${jit}`, '-kernel', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const add = (b: Buffer) => { if (output.length < 4000) output += b.toString(); };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, TIMEOUT_MS);
    child.on('close', (code, signal) => { clearTimeout(timer); res({ code, signal, timedOut, output }); });
  });
}

const all = [...own, ...ext];
test('ISA test ELFs and the emulator command are present', () => {
  assert.ok(own.length > 0, `no ELFs in ${OWN_DIR} (run tests/isa/build.sh)`);
  assert.ok(existsSync(CLI), `missing ${CLI}`);
});

// One parent test whose subtests run at most 2 at a time.
test('isa', { concurrency: 2 }, async (t) => {
  await Promise.all(all.flatMap((file) => JIT_MODES.map((jit) => {
    const name = `${basename(file)} jit=${jit}`;
    const shouldFail = name.startsWith('selftest-fail');
    return t.test(name, { timeout: TIMEOUT_MS + 10_000 }, async () => {
      const r = await run(file, jit);
      const what = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
      assert.ok(existsSync(CLI), `missing ${CLI}`);
      if (shouldFail) {
        assert.ok(!r.timedOut && r.code !== null && r.code !== 0, `${name} must fail with a non-zero status, got ${what}\n${r.output}`);
      } else {
        assert.equal(r.code, 0, `${name}: ${what}\n${r.output}`);
      }
    });
  })));
});
