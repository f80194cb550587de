/**
 * openDrive: an image file as a BlockDriver with QEMU's -drive semantics: format probing (with
 * QEMU's warning for a guessed raw), readonly, snapshot=on (writes go to a temporary qcow2 overlay
 * deleted at close) and the cache modes (writeback/none: flush on request; writethrough: flush
 * after every write; unsafe: flush ignored). Backing file names resolve against the directory of
 * the image that names them; a loop in the backing chain is refused.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BlockError, type BlockDriver } from '../../../core/block/block-driver.js';
import { checkFormat, openImage, probeFormat, type ImageFormat } from '../../../core/block/open.js';
import { createQcow2 } from '../../../core/block/qcow2/create.js';
import { describe, NodeBlockFile } from './file.js';

export type CacheMode = 'writeback' | 'writethrough' | 'none' | 'unsafe';

export interface DriveOptions {
  file: string;
  format?: string;
  readOnly?: boolean;
  snapshot?: boolean;
  cache?: CacheMode;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

export interface OpenedImage {
  driver: BlockDriver;
  format: ImageFormat;
}

const MAX_CHAIN = 256;

export function probeWarning(file: string): string {
  return `WARNING: Image format was not specified for '${file}' and probing guessed raw.\n` +
    '         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n' +
    "         Specify the 'raw' format explicitly to remove the restrictions.";
}

/**
 * Opens an image and (recursively, read-only) its backing chain. `seen` holds the real paths of
 * the images above it, to catch loops.
 */
export async function openChain(path: string, o: {
  format?: string; readOnly: boolean; noSync?: boolean; warn?: (m: string) => void; seen?: string[];
}): Promise<OpenedImage> {
  const seen = o.seen ?? [];
  let real: string;
  try {
    real = await realpath(path);
  } catch (e) {
    throw new BlockError(`Could not open '${path}': ${describe(e)}`);
  }
  if (seen.includes(real)) throw new BlockError(`Backing file chain contains a loop at '${path}'`);
  if (seen.length >= MAX_CHAIN) throw new BlockError(`Backing file chain of '${path}' is too long`);
  const format = o.format !== undefined ? checkFormat(o.format) : undefined;
  const file = await NodeBlockFile.open(path, { readOnly: o.readOnly, noSync: o.noSync });
  let fmt: ImageFormat;
  try {
    fmt = format ?? (await probeFormat(file));
  } catch (e) {
    await file.close();
    throw e;
  }
  if (format === undefined && fmt === 'raw' && !o.readOnly && o.warn) o.warn(probeWarning(path));
  const driver = await openImage(file, {
    format: fmt,
    readOnly: o.readOnly,
    probed: format === undefined,
    openBacking: async (name, bfmt) => {
      const bpath = isAbsolute(name) ? name : resolve(dirname(path), name);
      return (await openChain(bpath, { format: bfmt, readOnly: true, seen: [...seen, real] })).driver;
    },
  });
  return { driver, format: fmt };
}

/** Opens a drive as qemu-system's -drive file=,format=,readonly=,snapshot=,cache= would. */
export async function openDrive(opts: DriveOptions): Promise<BlockDriver> {
  const cache = opts.cache ?? 'writeback';
  if (!['writeback', 'writethrough', 'none', 'unsafe'].includes(cache)) {
    throw new BlockError(`Invalid cache mode '${cache}'`);
  }
  const warn = opts.warn ?? ((m: string) => process.stderr.write(m + '\n'));
  const readOnly = opts.readOnly ?? false;
  if (!opts.snapshot || readOnly) {
    const { driver } = await openChain(opts.file, {
      format: opts.format, readOnly, noSync: cache === 'unsafe', warn,
    });
    return withCacheMode(driver, cache);
  }
  const base = await openChain(opts.file, { format: opts.format, readOnly: true, warn });
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'tsvm-snapshot-'));
    const overlay = join(dir, 'overlay.qcow2');
    const file = await NodeBlockFile.open(overlay, { create: true, noSync: true });
    await createQcow2(file, { size: base.driver.size, backingFile: await realpath(opts.file), backingFormat: base.format });
    const driver = await openImage(file, { format: 'qcow2', openBacking: async () => base.driver });
    const tmp = dir;
    return new DriveWrapper(driver, cache, async () => { await rm(tmp, { recursive: true, force: true }); });
  } catch (e) {
    await base.driver.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

function withCacheMode(driver: BlockDriver, cache: CacheMode): BlockDriver {
  return cache === 'writethrough' || cache === 'unsafe' ? new DriveWrapper(driver, cache) : driver;
}

/** Applies a cache mode on top of a driver, and runs a clean-up after close (snapshot=on). */
export class DriveWrapper implements BlockDriver {
  constructor(readonly inner: BlockDriver, private readonly cache: CacheMode,
    private readonly cleanup?: () => Promise<void>) {}

  get size(): number { return this.inner.size; }
  get readOnly(): boolean { return this.inner.readOnly; }

  read(offset: number, buf: Uint8Array): Promise<void> {
    return this.inner.read(offset, buf);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    await this.inner.write(offset, data);
    if (this.cache === 'writethrough') await this.inner.flush();
  }

  async discard(offset: number, length: number): Promise<void> {
    await this.inner.discard(offset, length);
    if (this.cache === 'writethrough') await this.inner.flush();
  }

  async writeZeroes(offset: number, length: number): Promise<void> {
    await this.inner.writeZeroes(offset, length);
    if (this.cache === 'writethrough') await this.inner.flush();
  }

  async flush(): Promise<void> {
    if (this.cache !== 'unsafe') await this.inner.flush();
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      await this.cleanup?.();
    }
  }
}
