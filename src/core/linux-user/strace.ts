/** QEMU-style -strace lines: "PID name(args) = result". */
import type { Args } from './syscalls.js';
import type { Process } from './proc.js';
import { ERRNO_NAMES, ERRNO_TEXT, SYSCALL_NAMES } from './abi.js';

/** Argument kinds per syscall: d int, u unsigned, x pointer/hex, s string, o octal. */
const SIGS: Record<number, string> = {
  17: 'xu', 23: 'd', 24: 'ddx', 25: 'ddx', 29: 'dxx', 34: 'dso', 35: 'dsx', 38: 'dsds', 48: 'dso', 49: 's', 56: 'dsxo',
  57: 'd', 59: 'xx', 61: 'dxu', 62: 'ddd', 63: 'dxu', 64: 'dxu', 65: 'dxd', 66: 'dxd', 67: 'dxud', 68: 'dxud',
  73: 'xuxxu', 78: 'dsxu', 79: 'dsxx', 80: 'dx', 93: 'd', 94: 'd', 96: 'x', 98: 'xddxxd', 99: 'xu', 101: 'xx',
  113: 'dx', 115: 'ddxx', 129: 'dd', 130: 'dd', 131: 'ddd', 134: 'dxxu', 135: 'dxxu', 139: '', 160: 'x', 163: 'dx',
  166: 'o', 167: 'dxxxx', 169: 'xx', 172: '', 173: '', 174: '', 175: '', 176: '', 177: '', 178: '', 214: 'x',
  215: 'xu', 216: 'xuudx', 220: 'xxxxx', 221: 'sxx', 222: 'xuxxdd', 226: 'xux', 233: 'xud', 260: 'dxdx',
  261: 'ddxx', 276: 'dsdsx', 278: 'xux', 291: 'dsxux', 439: 'dsdx',
};

export function formatCall(p: Process, nr: number, a: Args): string {
  const name = SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
  const kinds = SIGS[nr] ?? 'xxxxxx';
  const parts: string[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const kd = kinds[i];
    if (kd === 'd') parts.push(String(a.int(i)));
    else if (kd === 'u') parts.push(String(a.u64(i)));
    else if (kd === 'o') parts.push('0' + a.u32(i).toString(8));
    else if (kd === 's') {
      const s = a.u64(i) ? p.as.readCString(a.u64(i)) : undefined;
      parts.push(s === undefined ? '0x' + a.u64(i).toString(16) : JSON.stringify(s));
    } else parts.push('0x' + a.u64(i).toString(16));
  }
  return `${name}(${parts.join(',')})`;
}

export function formatResult(nr: number, r: number): string {
  if (r < 0 && r >= -4095) return `-1 errno=${-r} (${ERRNO_TEXT[-r] ?? ERRNO_NAMES[-r] ?? 'error'})`;
  if (nr === 222 || nr === 214 || nr === 216) return '0x' + r.toString(16);
  return String(r);
}
