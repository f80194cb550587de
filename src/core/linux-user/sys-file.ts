/** Descriptor I/O syscalls: read/write and friends, lseek, dup, pipe2, fcntl, ioctl, getdents64, ppoll. */
import type { Syscall } from './syscalls.js';
import type { Kernel } from './kernel.js';
import type { Process } from './proc.js';
import { BLOCK, HostFile, Pipe, PipeEnd } from './files.js';
import { E, O_CLOEXEC, O_NONBLOCK, O_WRONLY, SIG } from './abi.js';

function readInto(k: Kernel, p: Process, fd: number, va: number, len: number, pos?: number): number {
  const f = p.fds.get(fd);
  if (!f) return -E.BADF;
  if (!f.readable) return -E.BADF;
  const r = f.read(Math.min(len, 1 << 24), pos);
  if (typeof r === 'number') return r;
  if (r.length && !p.as.write(va, r)) return -E.FAULT;
  return r.length;
}

function writeFrom(k: Kernel, p: Process, fd: number, va: number, len: number, pos?: number): number {
  const f = p.fds.get(fd);
  if (!f) return -E.BADF;
  if (!f.writable) return -E.BADF;
  const data = p.as.read(va, len);
  if (!data) return -E.FAULT;
  const r = f.write(data, pos);
  if (f.brokenPipe) { f.brokenPipe = false; k.signal(p, SIG.PIPE); }
  return r;
}

function iovecs(p: Process, va: number, n: number): [number, number][] | undefined {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const base = p.as.readU64(va + i * 16);
    const len = p.as.readU64(va + i * 16 + 8);
    if (base === undefined || len === undefined) return undefined;
    out.push([base, len]);
  }
  return out;
}

const readv: Syscall = (k, p, a) => {
  const v = iovecs(p, a.u64(1), a.int(2));
  if (!v) return -E.FAULT;
  let total = 0;
  for (const [base, len] of v) {
    if (len === 0) continue;
    const r = readInto(k, p, a.int(0), base, len);
    if (r < 0) return total > 0 ? total : r;
    total += r;
    if (r < len) break;
  }
  return total;
};

const writev: Syscall = (k, p, a) => {
  const v = iovecs(p, a.u64(1), a.int(2));
  if (!v) return -E.FAULT;
  const parts = v.map(([base, len]) => p.as.read(base, len));
  if (parts.some((x) => !x)) return -E.FAULT;
  const total = parts.reduce((s, x) => s + x!.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const x of parts) { all.set(x!, o); o += x!.length; }
  const f = p.fds.get(a.int(0));
  if (!f || !f.writable) return -E.BADF;
  const r = f.write(all);
  if (f.brokenPipe) { f.brokenPipe = false; k.signal(p, SIG.PIPE); }
  return r;
};

const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONBIO = 0x5421, FIOCLEX = 0x5451, FIONCLEX = 0x5450;

const ioctl: Syscall = (k, p, a) => {
  const fd = a.int(0);
  const f = p.fds.get(fd);
  if (!f) return -E.BADF;
  const req = a.u32(1);
  if (req === FIOCLEX || req === FIONCLEX) { p.fds.fds[fd]!.cloexec = req === FIOCLEX; return 0; }
  if (req === FIONBIO) return 0;
  const tty = f.hostFd >= 0 && k.host.isatty(f.hostFd);
  if (!tty) return -E.NOTTY;
  switch (req) {
    case TCGETS: {
      // struct termios (asm-generic): iflag, oflag, cflag, lflag, line, cc[19]: a cooked terminal.
      const t = new Uint8Array(36);
      const dv = new DataView(t.buffer);
      dv.setUint32(0, 0x500, true); // ICRNL | IXON
      dv.setUint32(4, 0x5, true); // OPOST | ONLCR
      dv.setUint32(8, 0xbf, true); // B38400 | CS8 | CREAD
      dv.setUint32(12, 0x8a3b, true); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
      const cc = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22];
      cc.forEach((c, i) => { t[17 + i] = c; });
      return p.as.write(a.u64(2), t) ? 0 : -E.FAULT;
    }
    case TCSETS: case TCSETSW: case TCSETSF: case TIOCSWINSZ: case TIOCSPGRP: return 0;
    case TIOCGPGRP: return p.as.writeU32(a.u64(2), p.pgid) ? 0 : -E.FAULT;
    case TIOCGWINSZ: {
      const ws = k.host.winsize(f.hostFd) ?? [24, 80];
      const b = new Uint8Array(8);
      new DataView(b.buffer).setUint16(0, ws[0], true);
      new DataView(b.buffer).setUint16(2, ws[1], true);
      return p.as.write(a.u64(2), b) ? 0 : -E.FAULT;
    }
    default: return -E.NOTTY;
  }
};

const fcntl: Syscall = (k, p, a) => {
  const fd = a.int(0);
  const e = p.fds.fds[fd];
  if (fd < 0 || !e) return -E.BADF;
  switch (a.int(1)) {
    case 0: case 1030: { // F_DUPFD, F_DUPFD_CLOEXEC
      e.file.refs++;
      const r = p.fds.add(e.file, a.int(1) === 1030, a.int(2));
      if (r < 0) e.file.refs--;
      return r;
    }
    case 1: return e.cloexec ? 1 : 0;
    case 2: e.cloexec = (a.int(2) & 1) !== 0; return 0;
    case 3: return e.file.flags & ~O_CLOEXEC;
    case 4: e.file.flags = (e.file.flags & ~(O_NONBLOCK | 0o2000)) | (a.int(2) & (O_NONBLOCK | 0o2000)); return 0;
    case 5: case 6: case 7: case 36: case 37: case 38: return 0; // locks: single host view
    case 1032: return 65536; // F_GETPIPE_SZ
    default: return -E.INVAL;
  }
};

function dup3(p: Process, oldfd: number, newfd: number, flags: number): number {
  const f = p.fds.get(oldfd);
  if (!f || newfd < 0 || newfd >= 1024) return -E.BADF;
  if (oldfd === newfd) return -E.INVAL;
  p.fds.set(newfd, f, (flags & O_CLOEXEC) !== 0);
  return newfd;
}

const DT_DIR = 4;

const getdents64: Syscall = (k, p, a) => {
  const f = p.fds.get(a.int(0));
  if (!f) return -E.BADF;
  if (!(f instanceof HostFile) || !f.isDir) return -E.NOTDIR;
  if (!f.dir) {
    const list = k.host.readdir(k.hostPath(f.path));
    if (typeof list === 'number') return list;
    const self = f.stat();
    const ino = typeof self === 'number' ? 1 : self.ino;
    f.dir = [{ name: '.', ino, type: DT_DIR }, { name: '..', ino: 2, type: DT_DIR }, ...list];
  }
  const count = a.u32(2);
  const out = new Uint8Array(count);
  const dv = new DataView(out.buffer);
  const enc = new TextEncoder();
  let o = 0;
  while (f.dirPos < f.dir.length) {
    const d = f.dir[f.dirPos];
    const name = enc.encode(d.name);
    const reclen = (19 + name.length + 1 + 7) & ~7;
    if (o + reclen > count) {
      if (o === 0) return -E.INVAL;
      break;
    }
    dv.setBigUint64(o, BigInt(d.ino), true);
    dv.setBigInt64(o + 8, BigInt(f.dirPos + 1), true);
    dv.setUint16(o + 16, reclen, true);
    out[o + 18] = d.type;
    out.set(name, o + 19);
    o += reclen;
    f.dirPos++;
  }
  f.pos = f.dirPos;
  return p.as.write(a.u64(1), out.subarray(0, o)) ? o : -E.FAULT;
};

/** ppoll: regular files and terminals are always ready; pipes when they have data or are closed. */
const ppoll: Syscall = (k, p, a) => {
  const n = a.u32(1);
  const va = a.u64(0);
  const raw = p.as.read(va, n * 8);
  if (!raw) return -E.FAULT;
  const dv = new DataView(raw.buffer);
  let ready = 0;
  for (let i = 0; i < n; i++) {
    const fd = dv.getInt32(i * 8, true);
    const ev = dv.getInt16(i * 8 + 4, true);
    let re = 0;
    if (fd >= 0) {
      const f = p.fds.get(fd);
      if (!f) re = 0x20; // POLLNVAL
      else if (f instanceof PipeEnd) {
        if (f.isWrite) re = f.pipe.readers ? ev & 4 : 8;
        else re = f.pipe.size ? ev & 1 : f.pipe.writers ? 0 : 0x10;
      } else re = ev & 5;
    }
    dv.setInt16(i * 8 + 6, re, true);
    if (re) ready++;
  }
  const tmo = a.u64(2);
  if (ready === 0 && (tmo === 0 || (p.as.readU64(tmo) ?? 0) + (p.as.readU64(tmo + 8) ?? 0) !== 0)) return BLOCK;
  p.as.write(va, raw);
  return ready;
};

export const FILE_SYSCALLS: Record<number, Syscall> = {
  63: (k, p, a) => readInto(k, p, a.int(0), a.u64(1), a.u64(2)),
  64: (k, p, a) => writeFrom(k, p, a.int(0), a.u64(1), a.u64(2)),
  65: readv,
  66: writev,
  67: (k, p, a) => readInto(k, p, a.int(0), a.u64(1), a.u64(2), a.s64(3)),
  68: (k, p, a) => writeFrom(k, p, a.int(0), a.u64(1), a.u64(2), a.s64(3)),
  62: (k, p, a) => { const f = p.fds.get(a.int(0)); return f ? f.seek(a.s64(1), a.int(2)) : -E.BADF; },
  57: (k, p, a) => p.fds.close(a.int(0)),
  23: (k, p, a) => { const f = p.fds.get(a.int(0)); if (!f) return -E.BADF; f.refs++; const r = p.fds.add(f, false); if (r < 0) f.refs--; return r; },
  24: (k, p, a) => dup3(p, a.int(0), a.int(1), a.int(2)),
  59: (k, p, a) => {
    const pipe = new Pipe();
    const fl = a.int(1);
    const r = p.fds.add(new PipeEnd(pipe, false, fl & O_NONBLOCK), (fl & O_CLOEXEC) !== 0);
    const w = p.fds.add(new PipeEnd(pipe, true, O_WRONLY | (fl & O_NONBLOCK)), (fl & O_CLOEXEC) !== 0);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setInt32(0, r, true);
    new DataView(b.buffer).setInt32(4, w, true);
    return p.as.write(a.u64(0), b) ? 0 : -E.FAULT;
  },
  25: fcntl,
  29: ioctl,
  61: getdents64,
  73: ppoll,
  71: (k, p, a) => { // sendfile(out, in, offset*, count)
    const inf = p.fds.get(a.int(1)), outf = p.fds.get(a.int(0));
    if (!inf || !outf) return -E.BADF;
    const offp = a.u64(2);
    const off = offp ? p.as.readU64(offp) : undefined;
    const data = inf.read(Math.min(a.u64(3), 1 << 20), off);
    if (typeof data === 'number') return data;
    if (offp) p.as.writeU64(offp, (off ?? 0) + data.length);
    return data.length ? outf.write(data) : 0;
  },
  82: () => 0, 83: () => 0, 81: () => 0, // fsync, fdatasync, sync
  46: (k, p, a) => { const f = p.fds.get(a.int(0)); return f && f.hostFd >= 0 ? k.host.ftruncate(f.hostFd, a.s64(1)) : -E.BADF; },
};


