/**
 * virtio-rng, the entropy device (Virtual I/O Device 1.2, §5.4): one request queue of
 * device-writable buffers that the device fills with random bytes from the host.
 */
import { Chain } from './virtqueue.js';
import type { VirtioDevice, VirtioTransport } from './mmio.js';

export const VIRTIO_ID_ENTROPY = 4;
const QUEUE_MAX = 64;
/** Random bytes are drawn in chunks of this size (host RNG calls have a size limit). */
const CHUNK = 4096;

export class VirtioRng implements VirtioDevice {
  readonly name = 'virtio-rng';
  readonly deviceId = VIRTIO_ID_ENTROPY;
  readonly features = [0, 0] as const; // §5.4.3: no device-specific features
  readonly queueCount = 1;
  readonly queueMax = QUEUE_MAX;
  private t!: VirtioTransport;
  private readonly chain = new Chain();
  private readonly scratch = new Uint8Array(CHUNK);

  /** `randomFill` is MachineHost.randomFill. */
  constructor(private readonly randomFill: (buf: Uint8Array) => void) {}

  attach(t: VirtioTransport): void {
    this.t = t;
  }

  configRead(): number {
    return 0; // §5.4.4: no config space
  }

  configWrite(): void {}

  reset(): void {}

  onNotify(queue: number): void {
    const t = this.t;
    const c = this.chain;
    const ram = t.mem.bytes;
    let any = false;
    while (t.pop(queue, c)) {
      // §5.4.6.1: the device may write fewer bytes than offered, but there is no reason to.
      // The host fills a private buffer first so the guest never sees a partly written chunk.
      for (let i = c.readable; i < c.count; i++) {
        for (let done = 0; done < c.len[i]; done += CHUNK) {
          const n = Math.min(CHUNK, c.len[i] - done);
          const part = this.scratch.subarray(0, n);
          this.randomFill(part);
          ram.set(part, c.off[i] + done);
        }
      }
      t.push(queue, c.head, c.writeLen);
      any = true;
    }
    if (any) t.usedBuffers(queue);
  }
}
