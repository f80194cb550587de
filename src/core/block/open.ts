/**
 * Opening an image file as a BlockDriver by format name, and QEMU-style format probing (a qcow2
 * magic means qcow2; anything else is raw).
 */
import { BlockError, type BlockDriver } from './block-driver.js';
import { readFull, type BackingOpener, type BlockFile } from './block-file.js';
import { QCOW2_MAGIC } from './qcow2/header.js';
import { Qcow2Driver } from './qcow2/qcow2.js';
import { RawDriver } from './raw.js';

export const FORMATS = ['raw', 'qcow2'] as const;
export type ImageFormat = (typeof FORMATS)[number];

export function checkFormat(name: string): ImageFormat {
  if ((FORMATS as readonly string[]).includes(name)) return name as ImageFormat;
  throw new BlockError(`Unknown driver '${name}'`);
}

/** Guesses the format from the first bytes of the file. */
export async function probeFormat(file: BlockFile): Promise<ImageFormat> {
  const head = new Uint8Array(4);
  await readFull(file, 0, head);
  return new DataView(head.buffer).getUint32(0) === QCOW2_MAGIC ? 'qcow2' : 'raw';
}

export interface OpenImageOptions {
  format: ImageFormat;
  readOnly?: boolean;
  /** The format was probed (raw then restricts writes to block 0, as QEMU does). */
  probed?: boolean;
  openBacking?: BackingOpener;
}

/** Opens `file` with a format driver; on failure the file is closed. */
export async function openImage(file: BlockFile, o: OpenImageOptions): Promise<BlockDriver> {
  try {
    if (o.format === 'qcow2') return await Qcow2Driver.open(file, { readOnly: o.readOnly, openBacking: o.openBacking });
    return await RawDriver.open(file, { probed: o.probed, readOnly: o.readOnly });
  } catch (e) {
    await file.close().catch(() => undefined);
    throw e;
  }
}
