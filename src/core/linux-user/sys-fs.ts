/** Path syscalls: openat, the stat family, directories, links, access, cwd. */
import type { Syscall } from './syscalls.js';
import type { Kernel } from './kernel.js';
import type { Process } from './proc.js';
import type { HostStat, HostStatfs } from './host.js';
import { HostFile } from './files.js';
import { resolvePath } from './paths.js';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, E, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_PATH,
} from './abi.js';

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000;

interface PathArg { guest: string; host: string }

/** Resolves (dirfd, path pointer) to guest and host paths, or a negative errno. */
export function pathAt(k: Kernel, p: Process, dirfd: number, va: number, emptyOk = false): PathArg | number {
  const s = p.as.readCString(va);
  if (s === undefined) return -E.FAULT;
  if (s === '' && !emptyOk) return -E.NOENT;
  let base = p.cwd;
  if (!s.startsWith('/') && dirfd !== AT_FDCWD) {
    const f = p.fds.get(dirfd);
    if (!f) return -E.BADF;
    base = f.path;
  }
  const guest = s === '' ? base : resolvePath(base, s);
  if (guest === '/proc/self/exe' || guest === `/proc/${p.pid}/exe`) {
    const exe = resolvePath(p.cwd, p.exe);
    return { guest: exe, host: k.hostPath(exe) };
  }
  return { guest, host: k.hostPath(guest) };
}

export function statBytes(st: HostStat): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  const w = (o: number, v: number): void => dv.setBigInt64(o, BigInt(Math.trunc(v)), true);
  w(0, st.dev); w(8, st.ino);
  dv.setUint32(16, st.mode, true); dv.setUint32(20, st.nlink, true);
  dv.setUint32(24, st.uid, true); dv.setUint32(28, st.gid, true);
  w(32, st.rdev); w(48, st.size); dv.setInt32(56, st.blksize, true); w(64, st.blocks);
  w(72, st.atime[0]); w(80, st.atime[1]); w(88, st.mtime[0]); w(96, st.mtime[1]); w(104, st.ctime[0]); w(112, st.ctime[1]);
  return b;
}

function statxBytes(st: HostStat): Uint8Array {
  const b = new Uint8Array(256);
  const dv = new DataView(b.buffer);
  const w = (o: number, v: number): void => dv.setBigUint64(o, BigInt(Math.max(0, Math.trunc(v))), true);
  dv.setUint32(0, 0x7ff, true); // STATX_BASIC_STATS
  dv.setUint32(4, st.blksize, true);
  dv.setUint32(16, st.nlink, true); dv.setUint32(20, st.uid, true); dv.setUint32(24, st.gid, true);
  dv.setUint16(28, st.mode, true);
  w(32, st.ino); w(40, st.size); w(48, st.blocks);
  const ts = (o: number, t: [number, number]): void => { dv.setBigInt64(o, BigInt(t[0]), true); dv.setUint32(o + 8, t[1], true); };
  ts(64, st.atime); ts(80, st.ctime); ts(96, st.ctime); ts(112, st.mtime);
  dv.setUint32(128, Math.floor(st.rdev / 256) & 0xfff, true); dv.setUint32(132, st.rdev & 0xff, true);
  dv.setUint32(136, Math.floor(st.dev / 256) & 0xfff, true); dv.setUint32(140, st.dev & 0xff, true);
  return b;
}

function statAt(k: Kernel, p: Process, dirfd: number, va: number, flags: number): HostStat | number {
  const s = p.as.readCString(va);
  if (s === undefined) return -E.FAULT;
  if (s === '' && (flags & AT_EMPTY_PATH)) {
    const f = p.fds.get(dirfd);
    if (dirfd === AT_FDCWD) return k.host.stat(p.cwd, true);
    return f ? f.stat() : -E.BADF;
  }
  const pa = pathAt(k, p, dirfd, va);
  if (typeof pa === 'number') return pa;
  return k.host.stat(pa.host, (flags & AT_SYMLINK_NOFOLLOW) === 0);
}

/** struct statfs (asm-generic, 64-bit): 120 bytes. */
function statfsBytes(s: HostStatfs): Uint8Array {
  const b = new Uint8Array(120);
  const dv = new DataView(b.buffer);
  const w = (o: number, v: number): void => dv.setBigInt64(o, BigInt(Math.trunc(v)), true);
  w(0, s.type); w(8, s.bsize); w(16, s.blocks); w(24, s.bfree); w(32, s.bavail); w(40, s.files); w(48, s.ffree);
  w(64, 255); w(72, s.bsize); // f_namelen, f_frsize (f_fsid, f_flags, f_spare stay 0)
  return b;
}

/** The *xattr family: files here have no extended attributes (get: ENODATA, list: empty, set/remove: EOPNOTSUPP). */
function xattr(kind: 'get' | 'list' | 'set', how: 'path' | 'lpath' | 'fd'): Syscall {
  return (k, p, a) => {
    if (how === 'fd') {
      if (!p.fds.get(a.int(0))) return -E.BADF;
    } else {
      const pa = pathAt(k, p, AT_FDCWD, a.u64(0));
      if (typeof pa === 'number') return pa;
      const st = k.host.stat(pa.host, how === 'path');
      if (typeof st === 'number') return st;
    }
    return kind === 'get' ? -E.NODATA : kind === 'list' ? 0 : -E.OPNOTSUPP;
  };
}

const openat: Syscall = (k, p, a) => {
  const pa = pathAt(k, p, a.int(0), a.u64(1));
  if (typeof pa === 'number') return pa;
  let flags = a.int(2);
  const st = k.host.stat(pa.host, true);
  const isDir = typeof st !== 'number' && (st.mode & S_IFMT) === S_IFDIR;
  if (isDir && (flags & O_ACCMODE) !== 0) return -E.ISDIR;
  if (!isDir && (flags & O_DIRECTORY) && typeof st !== 'number') return -E.NOTDIR;
  if (flags & O_PATH) flags &= ~O_PATH;
  const hostFlags = flags & ~(O_CLOEXEC | 0o4000 | 0o100000);
  const fd = k.host.open(pa.host, hostFlags, (a.int(3) & ~p.umask) & 0o7777);
  if (fd < 0) return fd;
  const fst = k.host.fstat(fd);
  const regular = typeof fst !== 'number' && (fst.mode & S_IFMT) === S_IFREG;
  const f = new HostFile(k.host, fd, pa.guest, flags & ~O_CLOEXEC, regular, isDir);
  const r = p.fds.add(f, (flags & O_CLOEXEC) !== 0);
  if (r < 0) f.release();
  return r;
};

const readlinkat: Syscall = (k, p, a) => {
  const pa = pathAt(k, p, a.int(0), a.u64(1));
  if (typeof pa === 'number') return pa;
  let target: string | number;
  const raw = p.as.readCString(a.u64(1)) ?? '';
  if (raw === '/proc/self/exe' || raw === `/proc/${p.pid}/exe`) target = pa.guest;
  else target = k.host.readlink(pa.host);
  if (typeof target === 'number') return target;
  const b = new TextEncoder().encode(target).subarray(0, a.u32(3));
  return p.as.write(a.u64(2), b) ? b.length : -E.FAULT;
};

function withPath(fn: (k: Kernel, h: string, p: Process, a: Parameters<Syscall>[2]) => number, argDir = 0, argPath = 1): Syscall {
  return (k, p, a) => {
    const pa = pathAt(k, p, a.int(argDir), a.u64(argPath));
    return typeof pa === 'number' ? pa : fn(k, pa.host, p, a);
  };
}

function twoPaths(fn: (k: Kernel, from: string, to: string) => number): Syscall {
  return (k, p, a) => {
    const from = pathAt(k, p, a.int(0), a.u64(1));
    if (typeof from === 'number') return from;
    const to = pathAt(k, p, a.int(2), a.u64(3));
    if (typeof to === 'number') return to;
    return fn(k, from.host, to.host);
  };
}

const chdirTo = (k: Kernel, p: Process, guest: string, host: string): number => {
  const st = k.host.stat(host, true);
  if (typeof st === 'number') return st;
  if ((st.mode & S_IFMT) !== S_IFDIR) return -E.NOTDIR;
  p.cwd = guest;
  return 0;
};

export const FS_SYSCALLS: Record<number, Syscall> = {
  56: openat,
  79: (k, p, a) => {
    const st = statAt(k, p, a.int(0), a.u64(1), a.int(3));
    if (typeof st === 'number') return st;
    return p.as.write(a.u64(2), statBytes(st)) ? 0 : -E.FAULT;
  },
  80: (k, p, a) => {
    const f = p.fds.get(a.int(0));
    if (!f) return -E.BADF;
    const st = f.stat();
    if (typeof st === 'number') return st;
    return p.as.write(a.u64(1), statBytes(st)) ? 0 : -E.FAULT;
  },
  291: (k, p, a) => {
    const st = statAt(k, p, a.int(0), a.u64(1), a.int(2));
    if (typeof st === 'number') return st;
    return p.as.write(a.u64(4), statxBytes(st)) ? 0 : -E.FAULT;
  },
  78: readlinkat,
  48: withPath((k, h, p, a) => k.host.access(h, a.int(2))),
  439: withPath((k, h, p, a) => k.host.access(h, a.int(2))),
  34: withPath((k, h, p, a) => k.host.mkdir(h, a.int(2) & ~p.umask & 0o7777)),
  35: withPath((k, h, p, a) => (a.int(2) & AT_REMOVEDIR ? k.host.rmdir(h) : k.host.unlink(h))),
  38: twoPaths((k, f, t) => k.host.rename(f, t)),
  276: twoPaths((k, f, t) => k.host.rename(f, t)),
  37: twoPaths((k, f, t) => k.host.link(f, t)),
  36: (k, p, a) => {
    const target = p.as.readCString(a.u64(0));
    if (target === undefined) return -E.FAULT;
    const pa = pathAt(k, p, a.int(1), a.u64(2));
    return typeof pa === 'number' ? pa : k.host.symlink(target, pa.host);
  },
  53: withPath((k, h, p, a) => k.host.chmod(h, a.int(2) & 0o7777)),
  52: (k, p, a) => { const f = p.fds.get(a.int(0)); return f ? k.host.chmod(f.path, a.int(1) & 0o7777) : -E.BADF; },
  54: () => 0, 55: () => 0, // fchownat, fchown: accepted
  88: (k, p, a) => {
    if (a.u64(1) === 0) return 0;
    const pa = pathAt(k, p, a.int(0), a.u64(1));
    if (typeof pa === 'number') return pa;
    const now = Date.now() / 1000;
    return k.host.utimes(pa.host, now, now);
  },
  17: (k, p, a) => {
    const b = new TextEncoder().encode(p.cwd + '\0');
    if (b.length > a.u64(1)) return -E.RANGE;
    return p.as.write(a.u64(0), b) ? b.length : -E.FAULT;
  },
  49: (k, p, a) => {
    const pa = pathAt(k, p, AT_FDCWD, a.u64(0));
    return typeof pa === 'number' ? pa : chdirTo(k, p, pa.guest, pa.host);
  },
  50: (k, p, a) => {
    const f = p.fds.get(a.int(0));
    return f ? chdirTo(k, p, f.path, k.hostPath(f.path)) : -E.BADF;
  },
  43: (k, p, a) => {
    const pa = pathAt(k, p, AT_FDCWD, a.u64(0));
    if (typeof pa === 'number') return pa;
    const s = k.host.statfs(pa.host);
    if (typeof s === 'number') return s;
    return p.as.write(a.u64(1), statfsBytes(s)) ? 0 : -E.FAULT;
  },
  5: xattr('set', 'path'), 6: xattr('set', 'lpath'), 7: xattr('set', 'fd'),
  8: xattr('get', 'path'), 9: xattr('get', 'lpath'), 10: xattr('get', 'fd'),
  11: xattr('list', 'path'), 12: xattr('list', 'lpath'), 13: xattr('list', 'fd'),
  14: xattr('set', 'path'), 15: xattr('set', 'lpath'), 16: xattr('set', 'fd'),
  166: (k, p, a) => { const old = p.umask; p.umask = a.int(0) & 0o777; return old; },
};
