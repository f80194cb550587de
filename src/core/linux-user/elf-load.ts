/**
 * Loading ELF64 RISC-V executables into an AddressSpace (ELF gABI program headers, RISC-V psABI):
 * static and dynamic, PIE and fixed-address, and the initial stack the kernel builds (argc, argv,
 * envp, auxv; System V ABI §3.4.1 and Linux's create_elf_tables()).
 */
import { AddressSpace, PAGE, STACK_SIZE, STACK_TOP, alignDown, alignUp } from './memory.js';
import { AT, PROT_EXEC, PROT_READ, PROT_WRITE } from './abi.js';

const PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6;
const EM_RISCV = 243;
const ET_EXEC = 2, ET_DYN = 3;
/** Load address of position-independent main programs. */
export const PIE_BASE = 0x2aaaaaa000;

export class ElfError extends Error {}

export interface LoadedElf {
  entry: number;
  phdr: number;
  phnum: number;
  phent: number;
  bias: number;
  /** End of the highest segment (brk starts here for the main program). */
  end: number;
  interp?: string;
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Maps an ELF image's PT_LOAD segments; throws ElfError for anything but a riscv64 ELF. */
export function loadElf(as: AddressSpace, bytes: Uint8Array, isInterp: boolean): LoadedElf {
  if (bytes.length < 64 || !isElf(bytes) || bytes[4] !== 2 || bytes[5] !== 1) throw new ElfError('Invalid ELF image for this architecture');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (o: number): number => dv.getUint32(o + 4, true) * 4294967296 + dv.getUint32(o, true);
  const type = dv.getUint16(16, true);
  if (dv.getUint16(18, true) !== EM_RISCV || (type !== ET_EXEC && type !== ET_DYN)) {
    throw new ElfError('Invalid ELF image for this architecture');
  }
  const phoff = u64(32);
  const phent = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phoff + phent * phnum > bytes.length || phent < 56) throw new ElfError('Invalid ELF image for this architecture');
  interface Ph { type: number; flags: number; off: number; va: number; filesz: number; memsz: number }
  const phs: Ph[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phent;
    phs.push({ type: dv.getUint32(o, true), flags: dv.getUint32(o + 4, true), off: u64(o + 8), va: u64(o + 16), filesz: u64(o + 32), memsz: u64(o + 40) });
  }
  const loads = phs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) throw new ElfError('Invalid ELF image for this architecture');
  const lo = alignDown(Math.min(...loads.map((p) => p.va)));
  const hi = alignUp(Math.max(...loads.map((p) => p.va + p.memsz)));
  let bias = 0;
  if (type === ET_DYN) {
    bias = isInterp ? as.findFree(hi - lo) - lo : PIE_BASE - lo;
    if (bias + lo < 0) throw new ElfError('Cannot allocate memory');
  }
  let interp: string | undefined;
  for (const p of phs) {
    if (p.type === PT_INTERP) {
      const s = bytes.subarray(p.off, p.off + p.filesz);
      const nul = s.indexOf(0);
      interp = new TextDecoder().decode(nul >= 0 ? s.subarray(0, nul) : s);
    }
  }
  // Segments may share a page (text end / data start): build page contents over the whole span.
  for (const p of loads) {
    const start = alignDown(p.va + bias);
    const end = alignUp(p.va + bias + p.memsz);
    const pageOff = p.va + bias - start;
    const data = new Uint8Array(pageOff + p.filesz);
    data.set(bytes.subarray(p.off, p.off + p.filesz), pageOff);
    // Keep the bytes of a previous segment that ends inside this segment's first page.
    const prev = as.findVma(start);
    if (prev && prev.data && prev.start < start + PAGE) {
      const keep = prev.data.subarray(start - prev.start, start - prev.start + Math.min(pageOff, PAGE));
      data.set(keep.subarray(0, Math.min(keep.length, pageOff)));
    }
    let prot = 0;
    if (p.flags & 4) prot |= PROT_READ;
    if (p.flags & 2) prot |= PROT_WRITE;
    if (p.flags & 1) prot |= PROT_EXEC;
    if (prev && prev.start < start + PAGE) prot |= prev.prot;
    as.map(start, end - start, prot, isInterp ? 'interp' : 'exe', data);
  }
  const phdrSeg = phs.find((p) => p.type === PT_PHDR);
  let phdr: number;
  if (phdrSeg) phdr = phdrSeg.va + bias;
  else {
    const seg = loads.find((p) => phoff >= p.off && phoff < p.off + p.filesz);
    phdr = seg ? seg.va + (phoff - seg.off) + bias : 0;
  }
  return { entry: u64(24) + bias, phdr, phnum, phent, bias, end: hi + bias, interp };
}

export interface StackInfo {
  argv: string[];
  envp: string[];
  execfn: string;
  main: LoadedElf;
  interpBase: number;
  random: Uint8Array;
  /** Instruction-set bits for AT_HWCAP. */
  hwcap: number;
  uid: number;
  gid: number;
}

/** Maps the stack and writes argc/argv/envp/auxv; returns the initial sp. */
export function buildStack(as: AddressSpace, info: StackInfo): number {
  as.map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE, 'stack');
  const enc = new TextEncoder();
  let sp = STACK_TOP;
  const putStr = (s: string): number => {
    const b = enc.encode(s + '\0');
    sp -= b.length;
    as.write(sp, b);
    return sp;
  };
  const execfn = putStr(info.execfn);
  const envp = info.envp.map(putStr);
  const argv = info.argv.map(putStr);
  const platform = putStr('riscv64');
  sp = Math.floor(sp / 16) * 16 - 16;
  as.write(sp, info.random);
  const random = sp;
  const m = info.main;
  const auxv: [number, number][] = [
    [AT.PHDR, m.phdr], [AT.PHENT, m.phent], [AT.PHNUM, m.phnum], [AT.PAGESZ, PAGE], [AT.BASE, info.interpBase],
    [AT.FLAGS, 0], [AT.ENTRY, m.entry], [AT.UID, info.uid], [AT.EUID, info.uid], [AT.GID, info.gid], [AT.EGID, info.gid],
    [AT.HWCAP, info.hwcap], [AT.CLKTCK, 100], [AT.SECURE, 0], [AT.RANDOM, random], [AT.EXECFN, execfn],
    [AT.PLATFORM, platform], [AT.NULL, 0],
  ];
  const words = 1 + argv.length + 1 + envp.length + 1 + auxv.length * 2;
  sp = Math.floor((sp - words * 8) / 16) * 16;
  const w = new Uint8Array(words * 8);
  const dv = new DataView(w.buffer);
  let o = 0;
  const put = (v: number): void => {
    dv.setUint32(o, v % 4294967296, true);
    dv.setUint32(o + 4, Math.floor(v / 4294967296), true);
    o += 8;
  };
  put(argv.length);
  for (const a of argv) put(a);
  put(0);
  for (const e of envp) put(e);
  put(0);
  for (const [k, v] of auxv) { put(k); put(v); }
  as.write(sp, w);
  return sp;
}
