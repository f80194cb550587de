/**
 * tsvm-system-riscv64: the QEMU-compatible front end (`qemu-system-riscv64` options).
 */
import { runMain, runSystem } from './run.js';

export const PROG = 'tsvm-system-riscv64';

export function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runSystem(argv, { prog: PROG });
}

/** Entry point used by bin/tsvm-system-riscv64.js. */
export function start(): void {
  runMain(() => main());
}
