/**
 * The qcow2 format as a BlockDriver (QEMU docs/interop/qcow2.txt, versions 2 and 3). Requests are
 * serialised: metadata updates must not interleave. Guest flush = Qcow2Image.flushMetadata():
 * data, refcounts, L2 and L1 reach stable storage in the order the spec's consistency model needs.
 */
import { BlockError, type BlockDriver } from '../block-driver.js';
import { checkRange, type BlockFile } from '../block-file.js';
import { Qcow2Image, type Qcow2Options } from './image.js';
import { readImage, writeImage, zeroImage } from './io.js';

export type { Qcow2Options } from './image.js';

export class Qcow2Driver implements BlockDriver {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing?: Promise<void>;

  private constructor(readonly image: Qcow2Image) {}

  static async open(file: BlockFile, opts: Qcow2Options = {}): Promise<Qcow2Driver> {
    return new Qcow2Driver(await Qcow2Image.open(file, opts));
  }

  get size(): number {
    return this.image.size;
  }

  get readOnly(): boolean {
    return this.image.readOnly;
  }

  get backing(): BlockDriver | undefined {
    return this.image.backing;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(() => {
      if (this.closed) throw new BlockError(`${this.image.file.name}: image is closed`);
      return fn();
    });
    this.tail = p.catch(() => undefined);
    return p;
  }

  private check(offset: number, length: number, writing: boolean): void {
    if (writing && this.readOnly) throw new BlockError(`${this.image.file.name}: image is read-only`);
    checkRange(this, offset, length);
  }

  read(offset: number, buf: Uint8Array): Promise<void> {
    return this.serial(async () => {
      this.check(offset, buf.length, false);
      await readImage(this.image, offset, buf);
    });
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return this.serial(async () => {
      this.check(offset, data.length, true);
      await writeImage(this.image, offset, data);
    });
  }

  discard(offset: number, length: number): Promise<void> {
    return this.serial(async () => {
      this.check(offset, length, true);
      await zeroImage(this.image, offset, length, false);
    });
  }

  writeZeroes(offset: number, length: number): Promise<void> {
    return this.serial(async () => {
      this.check(offset, length, true);
      await zeroImage(this.image, offset, length, true);
    });
  }

  flush(): Promise<void> {
    return this.serial(async () => {
      if (!this.readOnly) await this.image.flushMetadata();
    });
  }

  /** Grows the virtual size (shrinking a qcow2 image is refused). */
  resize(size: number): Promise<void> {
    return this.serial(async () => {
      if (this.readOnly) throw new BlockError(`${this.image.file.name}: image is read-only`);
      await this.image.grow(size);
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    return (this.closing = this.serial(async () => {
      this.closed = true;
      try {
        if (!this.readOnly) await this.image.flushMetadata();
      } finally {
        await this.image.file.close();
        await this.image.backing?.close();
      }
    }));
  }
}
