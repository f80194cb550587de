/**
 * Open file descriptions and the per-process descriptor table: host files and directories (through
 * LinuxHost), and pipes kept inside the emulator (every guest process lives in this one emulator).
 */
import type { HostDirent, HostStat, LinuxHost } from './host.js';
import { E, O_ACCMODE, O_APPEND, O_NONBLOCK, O_WRONLY } from './abi.js';

/** Returned by an operation that must wait (the syscall is retried after other processes ran). */
export const BLOCK = -0x40000000;

export abstract class OpenFile {
  refs = 1;
  constructor(public flags: number) {}
  abstract read(n: number, pos?: number): Uint8Array | number;
  abstract write(data: Uint8Array, pos?: number): number;
  abstract stat(): HostStat | number;
  release(): void {}
  seek(_off: number, _whence: number): number { return -E.SPIPE; }
  get readable(): boolean { return (this.flags & O_ACCMODE) !== O_WRONLY; }
  get writable(): boolean { return (this.flags & O_ACCMODE) !== 0; }
  /** Host descriptor for terminal queries, if any. */
  hostFd = -1;
  path = '';
  /** Sends SIGPIPE to the writer when set by write(). */
  brokenPipe = false;
}

export class HostFile extends OpenFile {
  pos = 0;
  dir?: HostDirent[];
  dirPos = 0;
  constructor(private host: LinuxHost, fd: number, path: string, flags: number, readonly seekable: boolean, readonly isDir: boolean) {
    super(flags);
    this.hostFd = fd;
    this.path = path;
  }
  read(n: number, pos?: number): Uint8Array | number {
    if (this.isDir) return -E.ISDIR;
    const buf = new Uint8Array(n);
    const at = pos !== undefined ? pos : this.seekable ? this.pos : null;
    const r = this.host.read(this.hostFd, buf, at);
    if (r < 0) return r;
    if (pos === undefined && this.seekable) this.pos += r;
    return buf.subarray(0, r);
  }
  write(data: Uint8Array, pos?: number): number {
    let at: number | null = pos !== undefined ? pos : this.seekable ? this.pos : null;
    if (pos === undefined && this.seekable && (this.flags & O_APPEND)) {
      const st = this.host.fstat(this.hostFd);
      if (typeof st !== 'number') at = st.size;
    }
    const r = this.host.write(this.hostFd, data, at);
    if (r > 0 && pos === undefined && this.seekable) this.pos = (at ?? 0) + r;
    return r;
  }
  stat(): HostStat | number { return this.host.fstat(this.hostFd); }
  override seek(off: number, whence: number): number {
    if (!this.seekable && !this.isDir) return -E.SPIPE;
    let base = 0;
    if (whence === 1) base = this.pos;
    else if (whence === 2) {
      const st = this.host.fstat(this.hostFd);
      if (typeof st === 'number') return st;
      base = st.size;
    } else if (whence !== 0) return -E.INVAL;
    const n = base + off;
    if (n < 0) return -E.INVAL;
    this.pos = n;
    if (this.isDir) { this.dirPos = n; if (n === 0) this.dir = undefined; }
    return n;
  }
  override release(): void { this.host.close(this.hostFd); }
}

export class Pipe {
  chunks: Uint8Array[] = [];
  readers = 1;
  writers = 1;
  size = 0;
}

export class PipeEnd extends OpenFile {
  constructor(readonly pipe: Pipe, readonly isWrite: boolean, flags: number) {
    super(flags);
  }
  read(n: number): Uint8Array | number {
    const p = this.pipe;
    if (p.size === 0) {
      if (p.writers === 0) return new Uint8Array(0);
      return (this.flags & O_NONBLOCK) ? -E.AGAIN : BLOCK;
    }
    const out = new Uint8Array(Math.min(n, p.size));
    let o = 0;
    while (o < out.length) {
      const c = p.chunks[0];
      const k = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) p.chunks.shift();
      else p.chunks[0] = c.subarray(k);
    }
    p.size -= out.length;
    return out;
  }
  write(data: Uint8Array): number {
    if (this.pipe.readers === 0) { this.brokenPipe = true; return -E.PIPE; }
    this.pipe.chunks.push(data.slice());
    this.pipe.size += data.length;
    return data.length;
  }
  stat(): HostStat {
    const z: [number, number] = [0, 0];
    return { dev: 12, ino: 1, mode: 0o010600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: z, mtime: z, ctime: z };
  }
  override release(): void {
    if (this.isWrite) this.pipe.writers--;
    else this.pipe.readers--;
  }
}

export interface FdEntry {
  file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  fds: (FdEntry | undefined)[] = [];

  get(fd: number): OpenFile | undefined {
    return fd >= 0 ? this.fds[fd]?.file : undefined;
  }

  /** Installs `file` at the lowest free descriptor ≥ min. */
  add(file: OpenFile, cloexec: boolean, min = 0): number {
    let fd = min;
    while (this.fds[fd]) fd++;
    if (fd >= 1024) return -E.MFILE;
    this.fds[fd] = { file, cloexec };
    return fd;
  }

  set(fd: number, file: OpenFile, cloexec: boolean): void {
    this.close(fd);
    file.refs++;
    this.fds[fd] = { file, cloexec };
  }

  close(fd: number): number {
    const e = this.fds[fd];
    if (!e) return -E.BADF;
    this.fds[fd] = undefined;
    if (--e.file.refs === 0) e.file.release();
    return 0;
  }

  closeAll(): void {
    for (let i = 0; i < this.fds.length; i++) if (this.fds[i]) this.close(i);
  }

  closeOnExec(): void {
    for (let i = 0; i < this.fds.length; i++) if (this.fds[i]?.cloexec) this.close(i);
  }

  clone(): FdTable {
    const t = new FdTable();
    t.fds = this.fds.map((e) => {
      if (!e) return undefined;
      e.file.refs++;
      return { file: e.file, cloexec: e.cloexec };
    });
    return t;
  }
}
