/**
 * Sv39 / Sv48 page-table walk (RISC-V Privileged ISA 1.12 §4.3.2 "Virtual Address Translation
 * Process", §4.4 Sv39, §4.5 Sv48), with hardware A/D updates (§4.3.1: the "Svadu-like" option the
 * spec permits: A and D are set by the walker instead of faulting).
 */
import type { Cpu } from './cpu.js';
import { Priv } from './state.js';

export const ACC_R = 0;
export const ACC_W = 1;
export const ACC_X = 2;

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;
const TWO32 = 4294967296;

/**
 * Walks the page table for `va` (lo/hi). Returns the physical address, -1 for a page fault or
 * -2 for an access fault on a page-table access (a PTE outside RAM).
 */
export function walk(cpu: Cpu, lo: number, hi: number, acc: number, priv: Priv, sum: boolean, mxr: boolean): number {
  const mode = cpu.satpMode;
  let levels: number;
  if (mode === 8) {
    // Sv39: bits 63..39 must equal bit 38 (§4.4.1).
    const top = hi >> 6;
    if (top !== 0 && top !== -1) return -1;
    levels = 3;
  } else if (mode === 9) {
    const top = hi >> 15;
    if (top !== 0 && top !== -1) return -1;
    levels = 4;
  } else {
    return -1;
  }
  // satp.PPN is bits 43:0: low 32 bits in satpLo, 12 more in satpHi.
  let table = ((cpu.satpHi & 0xfff) * TWO32 + (cpu.satpLo >>> 0)) * 4096;
  for (let level = levels - 1; level >= 0; level--) {
    const vpn = level === 0 ? (lo >>> 12) & 511
      : level === 1 ? (lo >>> 21) & 511
      : level === 2 ? ((lo >>> 30) | (hi << 2)) & 511
      : (hi >>> 7) & 511;
    const pteAddr = table + vpn * 8;
    const pteLo = cpu.physRead32(pteAddr);
    const pteHi = cpu.physRead32(pteAddr + 4);
    if (pteLo === undefined || pteHi === undefined) return -2;
    if ((pteLo & PTE_V) === 0 || ((pteLo & PTE_R) === 0 && (pteLo & PTE_W) !== 0)) return -1;
    // Bits 63:54 (N, PBMT, reserved) must be zero: Svnapot and Svpbmt are not implemented (§4.4.1).
    if (pteHi >>> 22 !== 0) return -1;
    const ppn = (pteHi & 0x3fffff) * 4194304 + (pteLo >>> 10);
    if ((pteLo & (PTE_R | PTE_X)) === 0) {
      if (level === 0) return -1;
      table = ppn * 4096;
      continue;
    }
    // Leaf: permission checks (§4.3.2 step 5).
    if (pteLo & PTE_U) {
      if (priv === Priv.S && (!sum || acc === ACC_X)) return -1;
    } else if (priv === Priv.U) {
      return -1;
    }
    if (acc === ACC_X) {
      if ((pteLo & PTE_X) === 0) return -1;
    } else if (acc === ACC_R) {
      if ((pteLo & PTE_R) === 0 && !(mxr && (pteLo & PTE_X))) return -1;
    } else if ((pteLo & PTE_W) === 0) {
      return -1;
    }
    // A superpage whose PPN is not aligned to its size is a misaligned superpage (step 6).
    const span = level === 0 ? 1 : level === 1 ? 512 : level === 2 ? 262144 : 134217728;
    if (ppn % span !== 0) return -1;
    // Hardware A/D update (step 7): A on any access, D on a write.
    const need = acc === ACC_W ? PTE_A | PTE_D : PTE_A;
    if ((pteLo & need) !== need) {
      const host = pteAddr + cpu.ramDelta;
      cpu.i32[host >> 2] = pteLo | need;
    }
    cpu.walkWritable = acc === ACC_W || (pteLo & PTE_D) !== 0;
    cpu.walkLevel = level;
    const pageBytes = span * 4096;
    const vaLow = (hi & 0xffff) * TWO32 + (lo >>> 0);
    return ppn * 4096 + (vaLow % pageBytes);
  }
  return -1;
}
