/**
 * The syscall table: number → handler. Handlers return the value for a0 (negative errno on
 * failure), BLOCK to wait and retry, or NORETURN when they set the registers themselves.
 */
import type { Cpu } from '../target/riscv/cpu.js';
import type { Kernel } from './kernel.js';
import type { Process } from './proc.js';
import { FILE_SYSCALLS } from './sys-file.js';
import { FS_SYSCALLS } from './sys-fs.js';
import { MEM_SYSCALLS } from './sys-mem.js';
import { PROC_SYSCALLS } from './sys-proc.js';
import { MISC_SYSCALLS } from './sys-misc.js';

export { NORETURN_VALUE as NORETURN } from './noreturn.js';
const TWO32 = 4294967296;

/** The six argument registers a0..a5 of the current syscall. */
export class Args {
  readonly lo = new Int32Array(6);
  readonly hi = new Int32Array(6);
  load(cpu: Cpu): void {
    for (let i = 0; i < 6; i++) {
      this.lo[i] = cpu.x[20 + 2 * i];
      this.hi[i] = cpu.x[21 + 2 * i];
    }
  }
  /** A C int (fd, flags). */
  int(i: number): number { return this.lo[i]; }
  u32(i: number): number { return this.lo[i] >>> 0; }
  /** An unsigned long (pointer, size) as a double. */
  u64(i: number): number { return (this.hi[i] >>> 0) * TWO32 + (this.lo[i] >>> 0); }
  /** A signed long (offset). */
  s64(i: number): number { return this.hi[i] * TWO32 + (this.lo[i] >>> 0); }
}

export type Syscall = (k: Kernel, p: Process, a: Args) => number;

export const SYSCALLS: Record<number, Syscall> = {
  ...FILE_SYSCALLS, ...FS_SYSCALLS, ...MEM_SYSCALLS, ...PROC_SYSCALLS, ...MISC_SYSCALLS,
};
