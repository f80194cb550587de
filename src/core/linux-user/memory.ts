/**
 * A guest address space for user-mode emulation: "physical" RAM in one WebAssembly.Memory with a
 * page allocator, Sv39 page tables built in that RAM (the CPU walks them as hardware would), and the
 * list of mappings (VMAs). Pages are allocated lazily on the first fault, as Linux does.
 */
import { allocateMachineMemory, RAM_OFFSET } from '../target/riscv/state.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from './abi.js';

export const PAGE = 4096;
export const RAM_BASE = 0x80000000;
/** Top of the user stack (Sv39 user space ends at 2^38). */
export const STACK_TOP = 0x3ffffff000;
export const STACK_SIZE = 8 * 1024 * 1024;
/** mmap() without a hint allocates downwards from here. */
export const MMAP_TOP = 0x3ff0000000;
export const MMAP_BOTTOM = 0x1000000;

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;

export interface Vma {
  start: number;
  end: number;
  prot: number;
  /** Initial contents from byte 0 of the mapping (a private file mapping); zero beyond. */
  data?: Uint8Array;
  name: string;
}

export const alignUp = (n: number): number => Math.ceil(n / PAGE) * PAGE;
export const alignDown = (n: number): number => Math.floor(n / PAGE) * PAGE;

export class AddressSpace {
  readonly memory: WebAssembly.Memory;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly pages: number;
  /** Next never-used physical page and the free list. */
  private bump = 0;
  private free: number[] = [];
  /** Virtual page number → host byte offset of its physical page. */
  private present = new Map<number, number>();
  /** Physical page of the root table; the trap page is physical page 0. */
  rootPage = 0;
  vmas: Vma[] = [];
  brkStart = 0;
  brkCur = 0;
  /** Called when PTEs change so the CPU can flush its TLB. */
  onFlush: () => void = () => {};
  /** Called after the kernel wrote guest pages (host byte offset, length): translated code there is stale. */
  onWrite: (host: number, len: number) => void = () => {};

  constructor(readonly ramBytes: number, from?: AddressSpace) {
    this.memory = allocateMachineMemory(ramBytes);
    this.u8 = new Uint8Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.pages = Math.floor(ramBytes / PAGE);
    if (from) {
      // fork(): the same physical layout, so the page tables stay valid as they are.
      this.u8.set(from.u8.subarray(0, RAM_OFFSET + from.bump * PAGE));
      this.bump = from.bump;
      this.free = from.free.slice();
      this.present = new Map(from.present);
      this.rootPage = from.rootPage;
      this.vmas = from.vmas.map((v) => ({ ...v }));
      this.brkStart = from.brkStart;
      this.brkCur = from.brkCur;
    } else {
      const trap = this.allocPage();
      this.i32[(RAM_OFFSET + trap * PAGE) >> 2] = 0x10500073; // wfi: the M-mode trap vector
      this.rootPage = this.allocPage();
    }
  }

  /** satp value (Sv39) as lo/hi. */
  satp(): [number, number] {
    const ppn = (RAM_BASE + this.rootPage * PAGE) / PAGE;
    return [ppn | 0, 8 << 28];
  }

  private allocPage(): number {
    let p = this.free.pop();
    if (p === undefined) {
      if (this.bump >= this.pages) throw new RangeError('out of guest memory');
      p = this.bump++;
    }
    const h = RAM_OFFSET + p * PAGE;
    this.u8.fill(0, h, h + PAGE);
    this.onWrite(h, PAGE); // a reused page may have held code
    return p;
  }

  private setPte(vpn: number, pteLo: number): void {
    let table = this.rootPage;
    for (const shift of [18, 9]) {
      const idx = Math.floor(vpn / 2 ** shift) & 511;
      const w = (RAM_OFFSET + table * PAGE + idx * 8) >> 2;
      let pte = this.i32[w];
      if ((pte & PTE_V) === 0) {
        if (pteLo === 0) return;
        const t = this.allocPage();
        pte = ((((RAM_BASE / PAGE) + t) << 10) | PTE_V);
        this.i32[w] = pte;
        this.i32[w + 1] = 0;
      }
      table = (pte >>> 10) - RAM_BASE / PAGE;
    }
    const w = (RAM_OFFSET + table * PAGE + (vpn & 511) * 8) >> 2;
    this.i32[w] = pteLo;
    this.i32[w + 1] = 0;
  }

  private pteFor(host: number, prot: number): number {
    if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) === 0) return 0;
    const ppn = (host - RAM_OFFSET) / PAGE + RAM_BASE / PAGE;
    let f = PTE_V | PTE_U | PTE_A | PTE_D;
    if (prot & (PROT_READ | PROT_WRITE)) f |= PTE_R;
    if (prot & PROT_WRITE) f |= PTE_W;
    if (prot & PROT_EXEC) f |= PTE_X;
    return (ppn << 10) | f;
  }

  findVma(va: number): Vma | undefined {
    for (const v of this.vmas) if (va >= v.start && va < v.end) return v;
    return undefined;
  }

  /** Makes the page at `va` present (first touch). `acc`: 0 read, 1 write, 2 exec. False → SIGSEGV. */
  fault(va: number, acc: number): boolean {
    const v = this.findVma(va);
    if (!v) return false;
    const need = acc === 1 ? PROT_WRITE : acc === 2 ? PROT_EXEC : PROT_READ;
    if ((v.prot & need) === 0 && !(need === PROT_READ && (v.prot & PROT_WRITE))) return false;
    const vpn = Math.floor(va / PAGE);
    if (this.present.has(vpn)) {
      // Present but the TLB/PTE did not allow it: re-install (after mprotect) or a real violation.
      const host = this.present.get(vpn)!;
      this.setPte(vpn, this.pteFor(host, v.prot));
      this.onFlush();
      return true;
    }
    this.populate(vpn, v);
    return true;
  }

  private populate(vpn: number, v: Vma): number {
    const host = RAM_OFFSET + this.allocPage() * PAGE;
    if (v.data) {
      const off = vpn * PAGE - v.start;
      // allocPage() already dropped whatever was translated in this page.
      if (off < v.data.length) this.u8.set(v.data.subarray(off, Math.min(off + PAGE, v.data.length)), host);
    }
    this.present.set(vpn, host);
    this.setPte(vpn, this.pteFor(host, v.prot));
    return host;
  }

  /** Host offset of the byte at `va` for a kernel access (faults pages in), or -1 (EFAULT). */
  hostAddr(va: number, write: boolean): number {
    const vpn = Math.floor(va / PAGE);
    let host = this.present.get(vpn);
    if (host === undefined) {
      const v = this.findVma(va);
      if (!v || (v.prot & (PROT_READ | PROT_WRITE)) === 0) return -1;
      host = this.populate(vpn, v);
    } else if (write) {
      const v = this.findVma(va);
      if (!v) return -1;
    }
    return host + (va - vpn * PAGE);
  }

  // ------------------------------------------------------------------ mapping management
  /** Removes [start, end) from every VMA, freeing its pages. */
  unmap(start: number, end: number): void {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) { out.push(v); continue; }
      if (v.start < start) out.push(this.slice(v, v.start, start));
      if (v.end > end) out.push(this.slice(v, end, v.end));
    }
    this.vmas = out;
    for (let vpn = start / PAGE; vpn < end / PAGE; vpn++) {
      const host = this.present.get(vpn);
      if (host === undefined) continue;
      this.present.delete(vpn);
      this.free.push((host - RAM_OFFSET) / PAGE);
      this.setPte(vpn, 0);
    }
    this.onFlush();
  }

  private slice(v: Vma, s: number, e: number): Vma {
    const data = v.data && s - v.start < v.data.length ? v.data.subarray(s - v.start, Math.min(v.data.length, e - v.start)) : undefined;
    return { start: s, end: e, prot: v.prot, data, name: v.name };
  }

  /** Adds a mapping at a fixed, page-aligned range (replacing what was there). */
  map(start: number, len: number, prot: number, name: string, data?: Uint8Array): void {
    const end = start + alignUp(len);
    this.unmap(start, end);
    this.vmas.push({ start, end, prot, data, name });
    this.vmas.sort((a, b) => a.start - b.start);
  }

  /** Whether [start, end) overlaps any mapping. */
  overlaps(start: number, end: number): boolean {
    return this.vmas.some((v) => v.start < end && start < v.end);
  }

  /** Finds a free range of `len` bytes, top-down below MMAP_TOP. Returns -1 if none. */
  findFree(len: number): number {
    let top = MMAP_TOP;
    const sorted = this.vmas.filter((v) => v.start < MMAP_TOP).sort((a, b) => b.start - a.start);
    for (const v of sorted) {
      if (v.end <= top - len) break;
      if (v.start < top) top = v.start;
    }
    const at = top - len;
    return at >= MMAP_BOTTOM ? at : -1;
  }

  protect(start: number, end: number, prot: number): boolean {
    for (let a = start; a < end; a += PAGE) if (!this.findVma(a)) return false;
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) { out.push(v); continue; }
      if (v.start < start) out.push(this.slice(v, v.start, start));
      const mid = this.slice(v, Math.max(v.start, start), Math.min(v.end, end));
      mid.prot = prot;
      out.push(mid);
      if (v.end > end) out.push(this.slice(v, end, v.end));
    }
    this.vmas = out;
    for (let vpn = start / PAGE; vpn < end / PAGE; vpn++) {
      const host = this.present.get(vpn);
      if (host !== undefined) this.setPte(vpn, this.pteFor(host, prot));
    }
    this.onFlush();
    return true;
  }

  /** Moves the pages of [old, old+len) to `to` (mremap when the mapping moves). */
  move(old: number, len: number, to: number, newLen: number): void {
    const v = this.findVma(old)!;
    const prot = v.prot;
    const moved: [number, number][] = [];
    for (let i = 0; i < len / PAGE; i++) {
      const host = this.present.get(old / PAGE + i);
      if (host !== undefined) { moved.push([i, host]); this.present.delete(old / PAGE + i); this.setPte(old / PAGE + i, 0); }
    }
    const data = v.data && old - v.start < v.data.length ? v.data.subarray(old - v.start) : undefined;
    this.unmap(old, old + len);
    this.map(to, newLen, prot, v.name, data);
    for (const [i, host] of moved) {
      this.present.set(to / PAGE + i, host);
      this.setPte(to / PAGE + i, this.pteFor(host, prot));
    }
  }

  // ------------------------------------------------------------------ kernel access to user memory
  read(va: number, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const h = this.hostAddr(va + done, false);
      if (h < 0) return undefined;
      const n = Math.min(len - done, PAGE - ((va + done) % PAGE));
      out.set(this.u8.subarray(h, h + n), done);
      done += n;
    }
    return out;
  }

  write(va: number, bytes: Uint8Array): boolean {
    let done = 0;
    while (done < bytes.length) {
      const h = this.hostAddr(va + done, true);
      if (h < 0) return false;
      const n = Math.min(bytes.length - done, PAGE - ((va + done) % PAGE));
      this.u8.set(bytes.subarray(done, done + n), h);
      this.onWrite(h, n);
      done += n;
    }
    return true;
  }

  readCString(va: number, max = 4096): string | undefined {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const h = this.hostAddr(va + i, false);
      if (h < 0) return undefined;
      const b = this.u8[h];
      if (b === 0) return new TextDecoder().decode(new Uint8Array(bytes));
      bytes.push(b);
    }
    return undefined;
  }

  /** Reads an unsigned 64-bit value as a double (exact below 2^53); undefined on fault. */
  readU64(va: number): number | undefined {
    const b = this.read(va, 8);
    if (!b) return undefined;
    const dv = new DataView(b.buffer);
    return dv.getUint32(4, true) * 4294967296 + dv.getUint32(0, true);
  }

  writeU64(va: number, v: number): boolean {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(Math.trunc(v))), true);
    return this.write(va, b);
  }

  writeU32(va: number, v: number): boolean {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.write(va, b);
  }
}
