/**
 * The raw format: the image file is the disk, byte for byte. As QEMU does for a raw image whose
 * format was probed rather than given, a probed image refuses writes that would make block 0 look
 * like a qcow2 header (which would turn the guest's disk into a host-side image on the next probe).
 */
import { BlockError, type BlockDriver } from './block-driver.js';
import { checkRange, readFull, type BlockFile } from './block-file.js';

const QCOW2_MAGIC = [0x51, 0x46, 0x49, 0xfb];
const ZERO_CHUNK = 1 << 20;

export interface RawOptions {
  /** The format was guessed: restrict writes to block 0 (see above). */
  probed?: boolean;
  readOnly?: boolean;
}

export class RawDriver implements BlockDriver {
  readonly readOnly: boolean;
  private closed = false;
  private readonly probed: boolean;

  private constructor(private readonly file: BlockFile, public size: number, opts: RawOptions) {
    this.readOnly = file.readOnly || (opts.readOnly ?? false);
    this.probed = opts.probed ?? false;
  }

  static async open(file: BlockFile, opts: RawOptions = {}): Promise<RawDriver> {
    return new RawDriver(file, await file.size(), opts);
  }

  private check(offset: number, length: number, writing: boolean): void {
    if (this.closed) throw new BlockError(`${this.file.name}: image is closed`);
    if (writing && this.readOnly) throw new BlockError(`${this.file.name}: image is read-only`);
    checkRange(this, offset, length);
  }

  async read(offset: number, buf: Uint8Array): Promise<void> {
    this.check(offset, buf.length, false);
    await readFull(this.file, offset, buf);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check(offset, data.length, true);
    if (this.probed && offset < 4 && data.length > 0) {
      const head = new Uint8Array(4);
      await readFull(this.file, 0, head);
      head.set(data.subarray(0, 4 - offset), offset);
      if (QCOW2_MAGIC.every((b, i) => head[i] === b)) {
        throw new BlockError(`${this.file.name}: write to block 0 refused: the image format was probed (specify format=raw)`);
      }
    }
    await this.file.write(offset, data);
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.file.sync();
  }

  /** Discard is advisory; a raw file on a portable host cannot punch holes, so it does nothing. */
  async discard(offset: number, length: number): Promise<void> {
    this.check(offset, length, true);
  }

  async writeZeroes(offset: number, length: number): Promise<void> {
    this.check(offset, length, true);
    const zero = new Uint8Array(Math.min(length, ZERO_CHUNK));
    for (let done = 0; done < length; done += zero.length) {
      const n = Math.min(zero.length, length - done);
      await this.write(offset + done, zero.subarray(0, n));
    }
  }

  /** Changes the virtual size (grows or shrinks the file). */
  async resize(size: number): Promise<void> {
    if (this.readOnly) throw new BlockError(`${this.file.name}: image is read-only`);
    await this.file.truncate(size);
    this.size = size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.readOnly) await this.file.sync();
    } finally {
      await this.file.close();
    }
  }
}
