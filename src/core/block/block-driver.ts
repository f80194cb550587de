/**
 * The block backend contract between block devices (virtio-blk, ...) and disk image drivers
 * (raw, qcow2, ...). Offsets and lengths are in bytes; every operation is asynchronous so a
 * device can keep several requests in flight and complete them in the order they finish.
 * The host file a format sits on (BlockFile) and shared helpers live in block-file.ts.
 */
export interface BlockDriver {
  readonly size: number;            // bytes
  readonly readOnly: boolean;
  read(offset: number, buf: Uint8Array): Promise<void>;
  write(offset: number, data: Uint8Array): Promise<void>;
  flush(): Promise<void>;
  discard(offset: number, length: number): Promise<void>;
  writeZeroes(offset: number, length: number): Promise<void>;
  close(): Promise<void>;
}
export class BlockError extends Error { override name = 'BlockError'; }

export type { BackingOpener, BlockFile } from './block-file.js';
export { checkRange, readFull } from './block-file.js';
