/**
 * The host file an image format sits on (BlockFile), and helpers shared by the format drivers.
 * Portable: the Node host provides a BlockFile on a file handle (src/host/node/block/file.ts), a
 * browser host could provide one on OPFS. Offsets are byte counts in JS numbers (exact to 2^53).
 */
import { BlockError, type BlockDriver } from './block-driver.js';

/** A host file holding an image (raw bytes or a container format such as qcow2). */
export interface BlockFile {
  readonly readOnly: boolean;
  /** A name for messages (the host path). */
  readonly name: string;
  /** Current length in bytes. */
  size(): Promise<number>;
  /** Reads up to buf.length bytes at pos; returns the count read (short only at end of file). */
  read(pos: number, buf: Uint8Array): Promise<number>;
  write(pos: number, data: Uint8Array): Promise<void>;
  truncate(length: number): Promise<void>;
  /** Data and the metadata needed to read it back are on stable storage (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Checks a request against the device size; throws BlockError when it does not fit. */
export function checkRange(drv: { size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 ||
      offset + length > drv.size) {
    throw new BlockError(`request out of range: offset ${offset} length ${length} (size ${drv.size})`);
  }
}

/** Reads exactly buf.length bytes at pos; bytes past the end of the file read as zeros. */
export async function readFull(file: BlockFile, pos: number, buf: Uint8Array): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const n = await file.read(pos + done, buf.subarray(done));
    if (n <= 0) break;
    done += n;
  }
  if (done < buf.length) buf.fill(0, done);
}

/** Opens a backing image by the name stored in an overlay (format from the header, if any). */
export type BackingOpener = (name: string, format: string | undefined) => Promise<BlockDriver>;
