/**
 * The built-in firmware: a RISC-V Supervisor Binary Interface v2.0 implementation in TypeScript
 * (RISC-V SBI specification v2.0). The kernel starts directly in S-mode and its ECALLs are served
 * here instead of by M-mode code, as OpenSBI would serve them.
 *
 * Extensions: Base (§4), legacy 0x00–0x08 (§5), TIME (§6), IPI (§7), RFENCE (§8), HSM (§9),
 * SRST (§10), DBCN (§12).
 */
import type { Cpu } from '../target/riscv/cpu.js';
import { setStimecmp } from '../target/riscv/csr.js';
import { MIP_SSIP } from '../target/riscv/csr-defs.js';
import type { CharBackend } from '../machine/types.js';

const SBI_SUCCESS = 0;
const SBI_ERR_FAILED = -1;
const SBI_ERR_NOT_SUPPORTED = -2;
const SBI_ERR_INVALID_PARAM = -3;
const SBI_ERR_INVALID_ADDRESS = -5;
const SBI_ERR_ALREADY_AVAILABLE = -6;

const EXT_BASE = 0x10;
const EXT_TIME = 0x54494d45;
const EXT_IPI = 0x735049;
const EXT_RFENCE = 0x52464e43;
const EXT_HSM = 0x48534d;
const EXT_SRST = 0x53525354;
const EXT_DBCN = 0x4442434e;

/** Implementation ID for tsvm (SBI §4.9 lists assigned ids; this one is unassigned). */
export const SBI_IMPL_ID = 0x7473766d;
const SPEC_VERSION = 2 << 24; // v2.0

export type ResetKind = 'poweroff' | 'reset';

export class Sbi {
  /** Count of calls to unsupported functions, for diagnostics. */
  unsupported = 0;

  constructor(
    private readonly console: CharBackend,
    private readonly onReset: (kind: ResetKind) => void,
    private readonly consoleInput: () => number = () => -1,
  ) {}

  /** Handles the ECALL at cpu.pc. Returns true (always: unknown calls get SBI_ERR_NOT_SUPPORTED). */
  call(cpu: Cpu): boolean {
    const x = cpu.x;
    const eid = x[34] >>> 0; // a7
    const fid = x[32] >>> 0; // a6
    let err = SBI_SUCCESS;
    let valLo = 0;
    let valHi = 0;
    const a0L = x[20], a0H = x[21], a1L = x[22], a1H = x[23], a2L = x[24];
    let legacy = false;
    switch (eid) {
      case 0x00: // legacy set_timer
        setStimecmp(cpu, a0L, a0H);
        legacy = true;
        break;
      case 0x01: // legacy console_putchar
        this.putByte(a0L);
        legacy = true;
        break;
      case 0x02: // legacy console_getchar: returns the byte or -1 in a0
        x[20] = this.consoleInput();
        x[21] = x[20] >> 31;
        return this.advance(cpu);
      case 0x03: // legacy clear_ipi
        cpu.mipSw &= ~MIP_SSIP;
        legacy = true;
        break;
      case 0x04: // legacy send_ipi (hart mask pointer): one hart, so raise our own SSIP
        cpu.mipSw |= MIP_SSIP;
        legacy = true;
        break;
      case 0x05: case 0x06: case 0x07: // legacy remote fences
        cpu.flushTlb();
        cpu.fenceI();
        legacy = true;
        break;
      case 0x08: // legacy shutdown
        this.onReset('poweroff');
        legacy = true;
        break;
      case EXT_BASE:
        switch (fid) {
          case 0: valLo = SPEC_VERSION; break;
          case 1: valLo = SBI_IMPL_ID; break;
          case 2: valLo = 1; break; // implementation version
          case 3: valLo = this.probe(a0L >>> 0) ? 1 : 0; break;
          case 4: case 5: case 6: valLo = 0; break; // mvendorid, marchid, mimpid
          default: err = SBI_ERR_NOT_SUPPORTED;
        }
        break;
      case EXT_TIME:
        if (fid === 0) setStimecmp(cpu, a0L, a0H);
        else err = SBI_ERR_NOT_SUPPORTED;
        break;
      case EXT_IPI:
        if (fid === 0) {
          if (this.maskHasHart0(a0L, a0H, a1L, a1H)) cpu.mipSw |= MIP_SSIP;
        } else err = SBI_ERR_NOT_SUPPORTED;
        break;
      case EXT_RFENCE:
        if (fid <= 6) {
          cpu.flushTlb();
          cpu.fenceI();
        } else err = SBI_ERR_NOT_SUPPORTED;
        break;
      case EXT_HSM:
        switch (fid) {
          case 0: err = a0L === 0 && a0H === 0 ? SBI_ERR_ALREADY_AVAILABLE : SBI_ERR_INVALID_PARAM; break; // hart_start
          case 1: err = SBI_ERR_FAILED; break; // hart_stop: the only hart cannot stop
          case 2: if (a0L === 0 && a0H === 0) valLo = 0; else err = SBI_ERR_INVALID_PARAM; break; // STARTED
          case 3: // hart_suspend: default retentive suspend behaves as WFI (§9.4)
            if (a0L === 0) { cpu.idle = (cpu.mip & cpu.mie) === 0; }
            else err = SBI_ERR_NOT_SUPPORTED;
            break;
          default: err = SBI_ERR_NOT_SUPPORTED;
        }
        break;
      case EXT_SRST:
        if (fid === 0) {
          const type = a0L >>> 0;
          if (type === 0) this.onReset('poweroff');
          else if (type === 1 || type === 2) this.onReset('reset');
          else err = SBI_ERR_INVALID_PARAM;
        } else err = SBI_ERR_NOT_SUPPORTED;
        break;
      case EXT_DBCN:
        switch (fid) {
          case 0: { // console_write(num_bytes, base_lo, base_hi)
            const n = a0L >>> 0;
            const pa = (a2L >>> 0) * 4294967296 + (a1L >>> 0);
            const bytes = this.physRange(cpu, pa, n);
            if (!bytes) err = SBI_ERR_INVALID_ADDRESS;
            else { this.console.write(bytes.slice()); valLo = n; }
            break;
          }
          case 1: { // console_read
            const n = a0L >>> 0;
            const pa = (a2L >>> 0) * 4294967296 + (a1L >>> 0);
            const bytes = this.physRange(cpu, pa, n);
            if (!bytes) { err = SBI_ERR_INVALID_ADDRESS; break; }
            let k = 0;
            for (; k < n; k++) {
              const c = this.consoleInput();
              if (c < 0) break;
              bytes[k] = c;
            }
            valLo = k;
            break;
          }
          case 2: this.putByte(a0L); break;
          default: err = SBI_ERR_NOT_SUPPORTED;
        }
        break;
      default:
        err = SBI_ERR_NOT_SUPPORTED;
    }
    if (err === SBI_ERR_NOT_SUPPORTED) this.unsupported++;
    if (legacy) {
      x[20] = 0; x[21] = 0;
    } else {
      x[20] = err; x[21] = err >> 31;
      x[22] = valLo; x[23] = valHi;
    }
    return this.advance(cpu);
  }

  private advance(cpu: Cpu): boolean {
    // ECALL is never compressed; the interpreter adds the 4 bytes (it resumes after the ecall).
    void cpu;
    return true;
  }

  private probe(eid: number): boolean {
    return eid === EXT_BASE || eid === EXT_TIME || eid === EXT_IPI || eid === EXT_RFENCE || eid === EXT_HSM ||
      eid === EXT_SRST || eid === EXT_DBCN || (eid >= 0 && eid <= 8);
  }

  private maskHasHart0(maskLo: number, maskHi: number, baseLo: number, baseHi: number): boolean {
    // hart_mask_base = -1 means "all harts" (§3.1).
    if (baseLo === -1 && baseHi === -1) return true;
    if (baseHi !== 0 || baseLo !== 0) return false;
    void maskHi;
    return (maskLo & 1) !== 0;
  }

  private readonly one = new Uint8Array(1);
  private putByte(b: number): void {
    this.one[0] = b;
    this.console.write(this.one);
  }

  private physRange(cpu: Cpu, pa: number, n: number): Uint8Array | undefined {
    if (pa < cpu.ramBase || pa + n > cpu.ramEnd) return undefined;
    const h = pa + cpu.ramDelta;
    return cpu.u8.subarray(h, h + n);
  }
}
