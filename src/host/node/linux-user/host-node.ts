/**
 * LinuxHost for Node: synchronous file system calls through node:fs, clocks, randomness, exit.
 * Errors come back as negative Linux errno values (Node's err.errno is already negative).
 */
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import { randomFillSync } from 'node:crypto';
import type { HostDirent, HostStat, HostStatfs, LinuxHost } from '../../../core/linux-user/host.js';

function errno(e: unknown): number {
  const n = (e as { errno?: number }).errno;
  return typeof n === 'number' && n < 0 ? n : -5;
}

function toStat(s: fs.BigIntStats): HostStat {
  const t = (ns: bigint): [number, number] => [Number(ns / 1000000000n), Number(ns % 1000000000n)];
  return {
    dev: Number(s.dev), ino: Number(s.ino), mode: Number(s.mode), nlink: Number(s.nlink), uid: Number(s.uid),
    gid: Number(s.gid), rdev: Number(s.rdev), size: Number(s.size), blksize: Number(s.blksize), blocks: Number(s.blocks),
    atime: t(s.atimeNs), mtime: t(s.mtimeNs), ctime: t(s.ctimeNs),
  };
}

function attempt(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (e) {
    return errno(e);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const EAGAIN = -11;

export class NodeLinuxHost implements LinuxHost {
  readonly uid = process.getuid?.() ?? 0;
  readonly gid = process.getgid?.() ?? 0;
  readonly hostname = hostname();
  private readonly epochNs = BigInt(Date.now()) * 1000000n - process.hrtime.bigint();

  open(path: string, flags: number, mode: number): number {
    try {
      return fs.openSync(path, flags, mode);
    } catch (e) {
      return errno(e);
    }
  }
  close(fd: number): void {
    if (fd <= 2) return; // the emulator's own stdio stays open
    try { fs.closeSync(fd); } catch { /* already closed */ }
  }
  read(fd: number, buf: Uint8Array, pos: number | null): number {
    for (;;) {
      try {
        return fs.readSync(fd, buf, 0, buf.length, pos);
      } catch (e) {
        const n = errno(e);
        if (n === EAGAIN) { this.sleep(2); continue; }
        if (n === -4095) return 0; // EOF on some stdin kinds
        return n;
      }
    }
  }
  write(fd: number, buf: Uint8Array, pos: number | null): number {
    let done = 0;
    while (done < buf.length) {
      try {
        done += fs.writeSync(fd, buf, done, buf.length - done, pos === null ? null : pos + done);
      } catch (e) {
        const n = errno(e);
        if (n === EAGAIN) { this.sleep(1); continue; }
        return done > 0 ? done : n;
      }
    }
    return done;
  }
  statfs(path: string): HostStatfs | number {
    try {
      const s = fs.statfsSync(path);
      return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
    } catch (e) {
      return errno(e);
    }
  }
  fstat(fd: number): HostStat | number {
    try { return toStat(fs.fstatSync(fd, { bigint: true })); } catch (e) { return errno(e); }
  }
  stat(path: string, follow: boolean): HostStat | number {
    try {
      return toStat(follow ? fs.statSync(path, { bigint: true }) : fs.lstatSync(path, { bigint: true }));
    } catch (e) {
      return errno(e);
    }
  }
  readdir(path: string): HostDirent[] | number {
    try {
      return fs.readdirSync(path, { withFileTypes: true }).map((d) => {
        let ino = 0;
        try { ino = Number(fs.lstatSync(path + '/' + d.name, { bigint: true }).ino); } catch { /* raced */ }
        const type = d.isDirectory() ? 4 : d.isFile() ? 8 : d.isSymbolicLink() ? 10 : d.isFIFO() ? 1
          : d.isCharacterDevice() ? 2 : d.isBlockDevice() ? 6 : d.isSocket() ? 12 : 0;
        return { name: d.name, ino, type };
      });
    } catch (e) {
      return errno(e);
    }
  }
  readlink(path: string): string | number {
    try { return fs.readlinkSync(path); } catch (e) { return errno(e); }
  }
  access(path: string, mode: number): number { return attempt(() => fs.accessSync(path, mode)); }
  mkdir(path: string, mode: number): number { return attempt(() => fs.mkdirSync(path, { mode })); }
  rmdir(path: string): number { return attempt(() => fs.rmdirSync(path)); }
  unlink(path: string): number { return attempt(() => fs.unlinkSync(path)); }
  rename(from: string, to: string): number { return attempt(() => fs.renameSync(from, to)); }
  symlink(target: string, path: string): number { return attempt(() => fs.symlinkSync(target, path)); }
  link(from: string, to: string): number { return attempt(() => fs.linkSync(from, to)); }
  chmod(path: string, mode: number): number { return attempt(() => fs.chmodSync(path, mode)); }
  ftruncate(fd: number, len: number): number { return attempt(() => fs.ftruncateSync(fd, len)); }
  utimes(path: string, atime: number, mtime: number): number { return attempt(() => fs.utimesSync(path, atime, mtime)); }
  isatty(fd: number): boolean { return isatty(fd); }
  winsize(fd: number): [number, number] | undefined {
    if (!isatty(fd)) return undefined;
    const s = fd === 2 ? process.stderr : process.stdout;
    return s.isTTY ? [s.rows ?? 24, s.columns ?? 80] : [24, 80];
  }
  realtime(): [number, number] {
    const ns = this.epochNs + process.hrtime.bigint();
    return [Number(ns / 1000000000n), Number(ns % 1000000000n)];
  }
  monotonic(): number { return Number(process.hrtime.bigint()); }
  random(buf: Uint8Array): void { randomFillSync(buf); }
  sleep(ms: number): void { Atomics.wait(sleepCell, 0, 0, ms); }
  log(msg: string): void {
    try { fs.writeSync(2, msg + '\n'); } catch { /* stderr closed */ }
  }
  exit(status: number): never {
    process.exit(status);
  }
  exitSignal(sig: number): never {
    // SIGSEGV/SIGBUS would reach V8's own handlers; report those as a shell would see them.
    if (sig !== 11 && sig !== 7 && sig !== 4 && sig !== 8 && sig !== 13) {
      try { process.kill(process.pid, sig); } catch { /* fall through */ }
      this.sleep(50);
    }
    process.exit(128 + sig);
  }
}
