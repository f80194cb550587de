/**
 * virtio-console with a single port (Virtual I/O Device 1.2, §5.3) — what Linux calls hvc0.
 * Without VIRTIO_CONSOLE_F_MULTIPORT there are two queues: receiveq (host → guest) and
 * transmitq (guest → host), both for port 0 (§5.3.2). The port talks to a CharBackend.
 */
import type { CharBackend } from '../../machine/types.js';
import { Chain } from './virtqueue.js';
import { configBytesRead, type VirtioDevice, type VirtioTransport } from './mmio.js';

export const VIRTIO_ID_CONSOLE = 3;
/** §5.3.3: feature bits. */
export const VIRTIO_CONSOLE_F_SIZE = 0;
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;

const RX = 0;
const TX = 1;
const QUEUE_MAX = 128;
/** Host input held while the guest has no receive buffers; beyond this it is dropped. */
const MAX_PENDING = 1 << 20;
/** §5.3.4: cols u16, rows u16, max_nr_ports u32, emerg_wr u32. */
const CONFIG_SIZE = 12;
const EMERG_WR = 8;

export class VirtioConsole implements VirtioDevice {
  readonly name = 'virtio-console';
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly features = [1 << VIRTIO_CONSOLE_F_EMERG_WRITE, 0] as const;
  readonly queueCount = 2;
  readonly queueMax = QUEUE_MAX;
  private t!: VirtioTransport;
  private readonly config = new Uint8Array(CONFIG_SIZE);
  private readonly rxChain = new Chain();
  private readonly txChain = new Chain();
  private pending: Uint8Array[] = [];
  /** Bytes of pending[0] already delivered. */
  private pendingPos = 0;
  private pendingBytes = 0;
  private dropped = 0;

  constructor(private readonly backend: CharBackend) {
    // max_nr_ports is only valid with MULTIPORT; 1 describes the single port anyway.
    this.config[4] = 1;
    backend.setReceiver((data) => this.input(data));
  }

  attach(t: VirtioTransport): void {
    this.t = t;
  }

  configRead(offset: number, size: number): number {
    return configBytesRead(this.config, offset, size);
  }

  configWrite(offset: number, size: number, value: number): void {
    // §5.3.6: a write to emerg_wr outputs one character, even before the queues are set up.
    if (offset === EMERG_WR && this.t.hasFeature(VIRTIO_CONSOLE_F_EMERG_WRITE)) {
      this.backend.write(Uint8Array.of(value & 0xff));
    } else {
      this.t.log.warn(`virtio-console: ${size}-byte config write at ${offset} ignored`);
    }
  }

  reset(): void {
    // Input typed before the guest is ready stays queued for the next driver.
  }

  driverOk(): void {
    this.deliver();
  }

  onNotify(queue: number): void {
    if (queue === RX) this.deliver();
    else if (queue === TX) this.transmit();
  }

  /** Guest output: every chain's readable bytes go to the backend in order, synchronously
   * (Linux's hvc driver waits for the transmit buffer to come back before it returns). */
  private transmit(): void {
    const t = this.t;
    const c = this.txChain;
    let any = false;
    while (t.pop(TX, c)) {
      if (c.readLen > 0) {
        const out = new Uint8Array(c.readLen);
        c.copyOut(t.mem.bytes, 0, out);
        this.backend.write(out);
      }
      t.push(TX, c.head, 0);
      any = true;
    }
    if (any) t.usedBuffers(TX);
  }

  /** Host input: queued, then copied into receive buffers as the guest provides them. */
  private input(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.pendingBytes + data.length > MAX_PENDING) {
      if (this.dropped++ === 0) this.t?.log.warn('virtio-console: guest is not reading; input dropped');
      return;
    }
    this.pending.push(data.slice());
    this.pendingBytes += data.length;
    this.deliver();
    this.t?.wake();
  }

  private deliver(): void {
    const t = this.t;
    if (!t || this.pendingBytes === 0 || !t.queue(RX).ready) return;
    const c = this.rxChain;
    const ram = t.mem.bytes;
    let any = false;
    while (this.pendingBytes > 0 && t.pop(RX, c)) {
      let written = 0;
      while (this.pending.length > 0 && written < c.writeLen) {
        const chunk = this.pending[0];
        const n = c.copyIn(ram, written, chunk.subarray(this.pendingPos));
        written += n;
        this.pendingPos += n;
        this.pendingBytes -= n;
        if (this.pendingPos === chunk.length) {
          this.pending.shift();
          this.pendingPos = 0;
        }
      }
      t.push(RX, c.head, written);
      any = true;
    }
    if (any) t.usedBuffers(RX);
  }
}
