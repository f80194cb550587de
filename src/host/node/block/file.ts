/**
 * A BlockFile on a Node file handle (node:fs/promises). Read-only files are opened O_RDONLY;
 * sync() is fdatasync, or nothing with cache=unsafe.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BlockError } from '../../../core/block/block-driver.js';
import { type BlockFile } from '../../../core/block/block-file.js';

export interface NodeFileOptions {
  readOnly?: boolean;
  /** Create (or truncate) the file. */
  create?: boolean;
  /** sync() does nothing (cache=unsafe). */
  noSync?: boolean;
}

export class NodeBlockFile implements BlockFile {
  private closed = false;

  private constructor(private readonly fh: FileHandle, readonly name: string, readonly readOnly: boolean,
    private readonly noSync: boolean) {}

  static async open(path: string, o: NodeFileOptions = {}): Promise<NodeBlockFile> {
    const readOnly = o.readOnly ?? false;
    let fh: FileHandle;
    try {
      fh = await open(path, o.create ? 'w+' : readOnly ? 'r' : 'r+');
    } catch (e) {
      throw new BlockError(`Could not open '${path}': ${describe(e)}`);
    }
    return new NodeBlockFile(fh, path, readOnly, o.noSync ?? false);
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  async read(pos: number, buf: Uint8Array): Promise<number> {
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, pos);
    return bytesRead;
  }

  async write(pos: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new BlockError(`${this.name}: file is read-only`);
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, pos + done);
      done += bytesWritten;
    }
  }

  async truncate(length: number): Promise<void> {
    if (this.readOnly) throw new BlockError(`${this.name}: file is read-only`);
    await this.fh.truncate(length);
  }

  async sync(): Promise<void> {
    if (!this.noSync && !this.readOnly) await this.fh.datasync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

/** "No such file or directory" and friends from a Node system error. */
export function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const byCode: Record<string, string> = {
    ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory',
    EROFS: 'Read-only file system', EPERM: 'Operation not permitted', ENOTDIR: 'Not a directory',
  };
  return (err?.code && byCode[err.code]) || (err?.message ?? String(e));
}
