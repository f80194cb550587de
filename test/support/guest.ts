/**
 * Drives a tsvm process like a person at its serial console: waits for text, types lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createServer, type AddressInfo } from 'node:net';

/** Repository root (dist/test/support/guest.js → three levels up). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SYSTEM = join(ROOT, 'bin', 'tsvm-system-riscv64.js');
export const FRONT = join(ROOT, 'bin', 'tsvm.js');
export const IMAGE = join(ROOT, 'images', 'riscv64', 'Image.gz');
export const INITRD = join(ROOT, 'images', 'riscv64', 'initramfs.cpio.gz');
export const OPENSBI_DIR = '/usr/lib/riscv64-linux-gnu/opensbi/generic';
export const PROMPT = /(^|\n)~ # /;

export class Guest {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  /** Runs `node script args`, or with `program` given, `program args` (e.g. a real qemu-system-riscv64). */
  constructor(script: string, args: string[], program?: string) {
    this.child = program === undefined
      ? spawn(process.execPath, [script, ...args], { cwd: ROOT })
      : spawn(program, args, { cwd: ROOT });
    this.child.stdout.on('data', (b: Buffer) => { this.output += b.toString('latin1'); this.poke(); });
    this.child.stderr.on('data', (b: Buffer) => { this.stderr += b.toString('latin1'); this.poke(); });
    this.exited = new Promise((res) => this.child.on('close', (code) => { this.poke(); res(code); }));
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `re` matches the output after `from`; rejects after `ms` with the tail of the output. */
  async waitFor(re: RegExp, ms: number, from = 0): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.output.slice(from));
      if (m) return from + m.index + m[0].length;
      if (this.child.exitCode !== null) throw new Error(`guest exited (${this.child.exitCode}) before ${re}:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}:\n${this.tail()}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 1000));
        this.waiters.push(() => { clearTimeout(t); res(); });
      });
    }
  }

  type(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  tail(): string {
    return `--- stdout (tail) ---\n${this.output.slice(-3000)}\n--- stderr ---\n${this.stderr.slice(-2000)}`;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Boots to the shell, runs `uname -m; echo $((6*7))` and `time true`, powers off; returns the exit code. */
export async function bootAndCheck(g: Guest, bootMs: number): Promise<{ code: number | null; answer: string }> {
  try {
    const at = await g.waitFor(PROMPT, bootMs);
    g.type('uname -m; echo $((6*7))');
    const end = await g.waitFor(/riscv64\s+42\s/, 30_000, at);
    const answer = g.output.slice(at, end);
    // User-mode rdtime (busybox `time`, the vDSO) needs the firmware to open scounteren, as OpenSBI does.
    const at2 = await g.waitFor(PROMPT, 10_000, end);
    g.type('time true');
    const end2 = await g.waitFor(/real\s+0m/, 20_000, at2);
    await g.waitFor(PROMPT, 10_000, end2);
    g.type('poweroff');
    const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 30_000).unref());
    const code = await Promise.race([g.exited, timeout]);
    if (code === 'timeout') throw new Error(`no exit after poweroff:\n${g.tail()}`);
    return { code, answer };
  } finally {
    g.kill();
  }
}

/** A file's bytes out of a gzipped newc cpio archive (the initramfs). */
export function cpioFile(archive: string, name: string): Buffer {
  const a = gunzipSync(readFileSync(archive));
  const hex = (p: number) => parseInt(a.toString('latin1', p, p + 8), 16);
  const pad4 = (n: number) => (n + 3) & ~3;
  for (let p = 0; p + 110 <= a.length;) {
    if (a.toString('latin1', p, p + 6) !== '070701') throw new Error(`bad cpio header at ${p}`);
    const size = hex(p + 54), nameSize = hex(p + 94);
    const n = a.toString('latin1', p + 110, p + 110 + nameSize - 1);
    if (n === 'TRAILER!!!') break;
    const data = pad4(p + 110 + nameSize);
    if (n === name && size > 0) return a.subarray(data, data + size);
    p = pad4(data + size);
  }
  throw new Error(`${name} not in ${archive}`);
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

