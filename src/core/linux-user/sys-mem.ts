/** Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise and friends. */
import type { Syscall } from './syscalls.js';
import { PAGE, alignUp } from './memory.js';
import { E, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, PROT_READ, PROT_WRITE } from './abi.js';

const USER_END = 0x4000000000;

const brk: Syscall = (k, p, a) => {
  const as = p.as;
  const want = a.u64(0);
  if (want < as.brkStart) return as.brkCur;
  const oldEnd = alignUp(as.brkCur), newEnd = alignUp(want);
  if (newEnd > oldEnd) {
    if (as.overlaps(oldEnd, newEnd)) return as.brkCur;
    as.map(oldEnd, newEnd - oldEnd, PROT_READ | PROT_WRITE, 'brk');
  } else if (newEnd < oldEnd) {
    as.unmap(newEnd, oldEnd);
  }
  as.brkCur = want;
  return want;
};

const mmap: Syscall = (k, p, a) => {
  const hint = a.u64(0), len = alignUp(a.u64(1)), prot = a.int(2), flags = a.int(3), fd = a.int(4), off = a.s64(5);
  if (len === 0 || len > USER_END) return -E.INVAL;
  if (off % PAGE !== 0) return -E.INVAL;
  let data: Uint8Array | undefined;
  if (!(flags & MAP_ANONYMOUS)) {
    const f = p.fds.get(fd);
    if (!f) return -E.BADF;
    const r = f.read(len, off);
    if (typeof r === 'number') return r === -E.ISDIR ? -E.NODEV : r;
    data = r;
  }
  let addr: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (hint % PAGE !== 0 || hint + len > USER_END) return -E.INVAL;
    if ((flags & MAP_FIXED_NOREPLACE) && p.as.overlaps(hint, hint + len)) return -E.EXIST;
    addr = hint;
  } else if (hint && hint % PAGE === 0 && hint + len <= USER_END && !p.as.overlaps(hint, hint + len)) {
    addr = hint;
  } else {
    addr = p.as.findFree(len);
    if (addr < 0) return -E.NOMEM;
  }
  p.as.map(addr, len, prot, data ? 'file' : 'anon', data);
  return addr;
};

const munmap: Syscall = (k, p, a) => {
  const addr = a.u64(0), len = alignUp(a.u64(1));
  if (addr % PAGE !== 0 || len === 0) return -E.INVAL;
  p.as.unmap(addr, addr + len);
  return 0;
};

const mprotect: Syscall = (k, p, a) => {
  const addr = a.u64(0), len = alignUp(a.u64(1));
  if (addr % PAGE !== 0) return -E.INVAL;
  return p.as.protect(addr, addr + len, a.int(2)) ? 0 : -E.NOMEM;
};

const mremap: Syscall = (k, p, a) => {
  const old = a.u64(0), oldLen = alignUp(a.u64(1)), newLen = alignUp(a.u64(2)), flags = a.int(3);
  if (old % PAGE !== 0 || newLen === 0) return -E.INVAL;
  const v = p.as.findVma(old);
  if (!v) return -E.FAULT;
  if (flags & 2) { // MREMAP_FIXED
    const to = a.u64(4);
    p.as.move(old, oldLen, to, newLen);
    return to;
  }
  if (newLen <= oldLen) {
    if (newLen < oldLen) p.as.unmap(old + newLen, old + oldLen);
    return old;
  }
  if (!p.as.overlaps(old + oldLen, old + newLen)) {
    if (v.end === old + oldLen) v.end = old + newLen;
    else p.as.map(old + oldLen, newLen - oldLen, v.prot, v.name);
    return old;
  }
  if (!(flags & 1)) return -E.NOMEM;
  const to = p.as.findFree(newLen);
  if (to < 0) return -E.NOMEM;
  p.as.move(old, oldLen, to, newLen);
  return to;
};

export const MEM_SYSCALLS: Record<number, Syscall> = {
  214: brk,
  222: mmap,
  215: munmap,
  226: mprotect,
  216: mremap,
  233: () => 0, // madvise
  227: () => 0, // msync
  228: () => 0, 229: () => 0, 230: () => 0, 231: () => 0, // mlock family
  223: () => 0, // fadvise64
};
