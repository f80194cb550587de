/**
 * Helpers for the block-layer tests: qemu-img / qemu-io (skipped with a visible line when absent),
 * scratch directories, a seeded random generator, and opening images through the Node host.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import type { BlockDriver } from '../../src/core/block/block-driver.js';
import { createQcow2, type Qcow2CreateOptions } from '../../src/core/block/qcow2/create.js';
import { NodeBlockFile } from '../../src/host/node/block/file.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const IMG = join(ROOT, 'bin', 'tsvm-img.js');

export const HAVE_QEMU = spawnSync('qemu-img', ['--version']).status === 0 &&
  spawnSync('qemu-io', ['--version']).status === 0;
/** The `skip` option for tests that compare against qemu-img. */
export const SKIP_NO_QEMU: string | false = HAVE_QEMU ? false : 'qemu-img not installed';
if (!HAVE_QEMU) console.log('SKIP: qemu-img not installed');

export interface Run { code: number | null; stdout: string; stderr: string }

export function run(cmd: string, args: string[], cwd?: string): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function qemuImg(args: string[], cwd?: string): Run {
  return run('qemu-img', args, cwd);
}

export function tsvmImg(args: string[], cwd?: string): Run {
  return run(process.execPath, [IMG, ...args], cwd);
}

/** Runs qemu-io commands on an image (`-f fmt`), throwing on failure. */
export function qemuIo(file: string, cmds: string[], fmt = 'qcow2'): void {
  execFileSync('qemu-io', ['-f', fmt, ...cmds.flatMap((c) => ['-c', c]), file], { stdio: 'pipe' });
}

/** qemu-img convert -O raw of an image, returned as bytes. */
export function qemuRaw(file: string, dir: string): Buffer {
  const out = join(dir, `raw-${Math.random().toString(36).slice(2)}.img`);
  execFileSync('qemu-img', ['convert', '-O', 'raw', file, out], { stdio: 'pipe' });
  const b = readFileSync(out);
  rmSync(out);
  return b;
}

/** A scratch directory removed after the test file. */
export function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-block-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

export async function createImage(path: string, o: Qcow2CreateOptions): Promise<void> {
  const f = await NodeBlockFile.open(path, { create: true });
  await createQcow2(f, o);
  await f.close();
}

export async function readAll(d: BlockDriver): Promise<Uint8Array> {
  const b = new Uint8Array(d.size);
  await d.read(0, b);
  return b;
}

export function pattern(len: number, seed: number): Uint8Array {
  const r = rng(seed);
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (r() * 256) | 0;
  return b;
}

/** Overwrites bytes of a file in place (to corrupt an image by hand). */
export function poke(file: string, pos: number, bytes: number[]): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from(bytes), 0, bytes.length, pos);
  closeSync(fd);
}

