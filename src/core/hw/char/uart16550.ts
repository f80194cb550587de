/**
 * NS16550A UART (as on QEMU's `virt` board: reg-shift 0, 1-byte registers, window 0x100).
 *
 * Register semantics follow the NS16550A datasheet ("PC16550D UART with FIFOs", Table II and
 * §8). Transmission is instantaneous: a byte written to THR goes straight to the CharBackend,
 * so the transmitter is always empty (LSR.THRE and LSR.TEMT always read 1 outside loopback).
 */
import { consoleGuestLog, type Device, type GuestLog, type IrqLine } from '../device.js';
import type { CharBackend } from '../../machine/types.js';

const FIFO_SIZE = 16;

// Register offsets (datasheet Table II).
const RBR_THR_DLL = 0;
const IER_DLM = 1;
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

// IER bits.
const IER_ERBFI = 0x01; // received data available
const IER_ETBEI = 0x02; // THR empty
const IER_MASK = 0x0f;

// IIR interrupt identification codes (datasheet Table IV).
const IIR_NO_INT = 0x01;
const IIR_THRE = 0x02;
const IIR_RDA = 0x04;
const IIR_FIFO_ENABLED = 0xc0;

const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;

const LCR_DLAB = 0x80;
const MCR_LOOP = 0x10;
const MCR_MASK = 0x1f;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

// With the modem lines unconnected we report a ready peer: DCD, DSR and CTS asserted.
const MSR_IDLE = 0xb0;

export class Uart16550 implements Device {
  readonly name = 'uart16550';
  readonly size = 0x100;
  /** Count of malformed guest accesses (bad offset or size). */
  badAccesses = 0;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  private fcr = 0; // FIFO enable and trigger bits as last written (write-only register)
  private overrun = false;
  /** THRE interrupt condition (datasheet Table IV: cleared by reading IIR or writing THR). */
  private thrIpending = false;
  private irqLevel = false;

  // RX FIFO as a ring buffer; in non-FIFO (16450) mode only one entry is used.
  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;

  // Unbounded host-side queue: input chunks not yet moved into the FIFO.
  private readonly hostQueue: Uint8Array[] = [];
  private hostHead = 0; // index of the first unconsumed chunk
  private hostPos = 0; // offset inside that chunk

  private readonly txByte = new Uint8Array(1);

  constructor(
    private readonly backend: CharBackend,
    private readonly irq: IrqLine,
    private readonly log: GuestLog = consoleGuestLog,
  ) {
    backend.setReceiver((data) => this.receive(data));
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.scr = 0;
    this.dll = 0;
    this.dlm = 0;
    this.fcr = 0;
    this.overrun = false;
    this.thrIpending = false;
    this.rxHead = 0;
    this.rxCount = 0;
    // Host input not yet seen by the guest is kept: it was typed, it must not be lost.
    this.refill();
    this.update();
  }

  read(offset: number, size: number): number {
    if (size !== 1) this.bad(`read of size ${size} at 0x${offset.toString(16)}`);
    switch (offset) {
      case RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) return this.dll;
        return this.popRx();
      case IER_DLM:
        return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case IIR_FCR: {
        const iir = this.iir();
        // Reading IIR while it reports THRE clears that condition (Table IV, "Reset Control").
        if ((iir & 0x0f) === IIR_THRE) {
          this.thrIpending = false;
          this.update();
        }
        return iir;
      }
      case LCR:
        return this.lcr;
      case MCR:
        return this.mcr;
      case LSR: {
        let lsr = LSR_THRE | LSR_TEMT;
        if (this.rxCount > 0) lsr |= LSR_DR;
        if (this.overrun) lsr |= LSR_OE;
        // OE is cleared by reading LSR (datasheet §8.6.3).
        this.overrun = false;
        return lsr;
      }
      case MSR:
        return this.msr();
      case SCR:
        return this.scr;
      default:
        this.bad(`read at bad offset 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 1) this.bad(`write of size ${size} at 0x${offset.toString(16)}`);
    value &= 0xff;
    switch (offset) {
      case RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) {
          this.dll = value;
        } else {
          this.transmit(value);
        }
        return;
      case IER_DLM:
        if (this.lcr & LCR_DLAB) {
          this.dlm = value;
          return;
        }
        {
          const old = this.ier;
          this.ier = value & IER_MASK;
          // 8250 behaviour relied on by Linux's THRE test in serial8250_do_startup: enabling
          // ETBEI while THR is empty raises the THRE interrupt at once; disabling drops it.
          if (this.ier & IER_ETBEI) {
            if (!(old & IER_ETBEI)) this.thrIpending = true;
          } else {
            this.thrIpending = false;
          }
        }
        break;
      case IIR_FCR: {
        const wasEnabled = this.fcr & FCR_ENABLE;
        this.fcr = value & 0xc9; // enable, DMA mode, trigger level; clear bits self-reset
        // Changing the FIFO enable bit resets both FIFOs (datasheet §8.5, FCR bit 0).
        if ((value & FCR_CLEAR_RX) || wasEnabled !== (value & FCR_ENABLE)) {
          this.rxHead = 0;
          this.rxCount = 0;
          this.refill();
        }
        break;
      }
      case LCR:
        this.lcr = value;
        return;
      case MCR:
        this.mcr = value & MCR_MASK;
        return;
      case LSR:
      case MSR:
        return; // read-only (factory test registers in the datasheet); ignored
      case SCR:
        this.scr = value;
        return;
      default:
        this.bad(`write at bad offset 0x${offset.toString(16)}`);
        return;
    }
    this.update();
  }

  /**
   * Takes one byte of input for a firmware console sharing this serial line (SBI console_getchar and
   * DBCN read, as OpenSBI reads the same UART): -1 when there is none.
   */
  takeByte(): number {
    if (this.rxCount === 0) this.refill();
    if (this.rxCount === 0) return -1;
    return this.popRx();
  }

  /** Host input: queued in full, moved into the FIFO as the guest drains it. */
  private receive(data: Uint8Array): void {
    if (data.length === 0) return;
    this.hostQueue.push(data.slice()); // the backend may reuse its buffer
    if (this.refill()) this.update();
  }

  /** Moves bytes from the host queue into the FIFO while there is room; true if any moved. */
  private refill(): boolean {
    const depth = this.fifoDepth();
    let moved = false;
    while (this.rxCount < depth && this.hostHead < this.hostQueue.length) {
      const chunk = this.hostQueue[this.hostHead]!;
      this.pushRx(chunk[this.hostPos++]!);
      moved = true;
      if (this.hostPos >= chunk.length) {
        this.hostPos = 0;
        this.hostHead++;
        if (this.hostHead === this.hostQueue.length) {
          this.hostQueue.length = 0;
          this.hostHead = 0;
        }
      }
    }
    return moved;
  }

  private fifoDepth(): number {
    return this.fcr & FCR_ENABLE ? FIFO_SIZE : 1;
  }

  private pushRx(byte: number): void {
    this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
    this.rxCount++;
  }

  private popRx(): number {
    if (this.rxCount === 0) return 0;
    const byte = this.rx[this.rxHead]!;
    this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
    this.rxCount--;
    this.refill();
    this.update();
    return byte;
  }

  private transmit(byte: number): void {
    if (this.mcr & MCR_LOOP) {
      // Loopback (datasheet §8.7): the transmitter feeds the receiver, nothing leaves the chip.
      if (this.rxCount < this.fifoDepth()) this.pushRx(byte);
      else this.overrun = true;
    } else {
      this.txByte[0] = byte;
      this.backend.write(this.txByte);
    }
    // Writing THR clears THRE; the byte is sent at once, so THR is empty again and THRE re-arms.
    if (this.ier & IER_ETBEI) this.thrIpending = true;
    this.update();
  }

  private msr(): number {
    if (!(this.mcr & MCR_LOOP)) return MSR_IDLE;
    // In loopback the modem outputs drive the inputs: DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD.
    const m = this.mcr;
    return ((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) | ((m & 0x08) << 4);
  }

  /** Highest-priority pending interrupt (datasheet Table IV); line status errors are never raised. */
  private iir(): number {
    const fifoBits = this.fcr & FCR_ENABLE ? IIR_FIFO_ENABLED : 0;
    if (this.ier & IER_ERBFI && this.rxCount > 0) return fifoBits | IIR_RDA;
    if (this.ier & IER_ETBEI && this.thrIpending) return fifoBits | IIR_THRE;
    return fifoBits | IIR_NO_INT;
  }

  private update(): void {
    const level = (this.iir() & IIR_NO_INT) === 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  private bad(msg: string): void {
    if (this.badAccesses++ < 8) this.log.warn(`${this.name}: ${msg}`);
  }
}
