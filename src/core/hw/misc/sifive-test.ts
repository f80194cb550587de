/**
 * SiFive test finisher ("sifive,test0"/"sifive,test1", QEMU `virt` at 0x100000): a single
 * register at offset 0 whose low 16 bits select an action, following QEMU's documented model:
 *   0x3333 FAIL     exit with status (value >> 16)
 *   0x5555 PASS     power off, exit status 0
 *   0x7777 RESET    reset the machine
 * Linux drives it through syscon-poweroff/syscon-reboot (32-bit writes); OpenSBI writes 16 bits,
 * so 2- and 4-byte writes are both accepted (as QEMU does).
 */
import { consoleGuestLog, type Device, type GuestLog } from '../device.js';

const FINISHER_FAIL = 0x3333;
const FINISHER_PASS = 0x5555;
const FINISHER_RESET = 0x7777;

export type SifiveTestExit = 'poweroff' | 'reset' | 'fail';

export class SifiveTest implements Device {
  readonly name = 'sifive-test';
  readonly size = 0x1000;
  /** Count of malformed guest accesses (bad offset, size or command). */
  badAccesses = 0;

  constructor(
    private readonly onExit: (kind: SifiveTestExit, code: number) => void,
    private readonly log: GuestLog = consoleGuestLog,
  ) {}

  read(_offset: number, _size: number): number {
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset !== 0 || (size !== 2 && size !== 4)) {
      this.bad(`write of size ${size} at 0x${offset.toString(16)}`);
      return;
    }
    const status = value & 0xffff;
    const code = size === 4 ? (value >>> 16) & 0xffff : 0;
    switch (status) {
      case FINISHER_PASS:
        this.onExit('poweroff', 0);
        return;
      case FINISHER_RESET:
        this.onExit('reset', 0);
        return;
      case FINISHER_FAIL:
        this.onExit('fail', code);
        return;
      default:
        this.bad(`unknown command 0x${(value >>> 0).toString(16)}`);
    }
  }

  private bad(msg: string): void {
    if (this.badAccesses++ < 8) this.log.warn(`${this.name}: ${msg}`);
  }
}
