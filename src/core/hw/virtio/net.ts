/**
 * virtio-net (Virtual I/O Device 1.2, §5.1): one receiveq/transmitq pair (queues 0 and 1, no
 * control queue), the MAC address and link status in config space, and mergeable receive buffers.
 *
 * Every buffer starts with the 12-byte struct virtio_net_hdr of §5.1.6 (VERSION_1 is mandatory on
 * this transport, so the header always has num_buffers). No checksum or segmentation offloads are
 * offered, so the guest sends complete, checksummed frames and gets them the same way.
 */
import type { NetBackend } from '../../net/backend.js';
import { Chain } from './virtqueue.js';
import { configBytesRead, type VirtioDevice, type VirtioTransport } from './mmio.js';

export const VIRTIO_ID_NET = 1;
/** §5.1.3: feature bits. */
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_MRG_RXBUF = 15;
export const VIRTIO_NET_F_STATUS = 16;
/** §5.1.4: status bits. */
export const VIRTIO_NET_S_LINK_UP = 1;
/** §5.1.6: header flags and gso types. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const NET_HDR_SIZE = 12;

export const DEFAULT_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

const RX = 0;
const TX = 1;
const QUEUE_MAX = 256;
/** Frames held while the guest has no receive buffers; beyond this they are dropped. */
const MAX_PENDING_FRAMES = 256;
/** Largest frame accepted either way (64 KiB IP packet + Ethernet header and VLAN tag). */
const MAX_FRAME = 65535 + 18;
/** config: mac[6], status u16 (§5.1.4). */
const CONFIG_SIZE = 8;

export interface VirtioNetStats {
  txFrames: number;
  rxFrames: number;
  /** Guest frames dropped: too short/long, bad header, unsupported offload. */
  txDropped: number;
  /** Host frames dropped: the guest's buffers stayed full or too small. */
  rxDropped: number;
}

export class VirtioNet implements VirtioDevice {
  readonly name = 'virtio-net';
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = [((1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_MRG_RXBUF) | (1 << VIRTIO_NET_F_STATUS)) >>> 0, 0] as const;
  readonly queueCount = 2;
  readonly queueMax = QUEUE_MAX;
  readonly stats: VirtioNetStats = { txFrames: 0, rxFrames: 0, txDropped: 0, rxDropped: 0 };
  private t!: VirtioTransport;
  private readonly config = new Uint8Array(CONFIG_SIZE);
  private readonly txChain = new Chain();
  /** Receive chains taken from the ring but not used yet (mergeable buffers may need several). */
  private held: Chain[] = [];
  private spare: Chain[] = [];
  private pending: Uint8Array[] = [];
  private readonly hdr = new Uint8Array(NET_HDR_SIZE);

  constructor(private readonly backend: NetBackend, mac: Uint8Array = DEFAULT_MAC) {
    this.config.set(mac.subarray(0, 6), 0);
    this.config[6] = VIRTIO_NET_S_LINK_UP;
    backend.setReceiver((frame) => this.receive(frame));
  }

  attach(t: VirtioTransport): void {
    this.t = t;
  }

  configRead(offset: number, size: number): number {
    return configBytesRead(this.config, offset, size);
  }

  configWrite(offset: number, size: number, value: number): void {
    // §5.1.4: mac is driver-writable only in legacy mode; with VERSION_1 the driver uses the ctrl queue.
    this.t.log.warn(`virtio-net: ${size}-byte config write of 0x${(value >>> 0).toString(16)} at ${offset} ignored`);
  }

  reset(): void {
    // Held chains belong to the old rings; frames waiting for the guest survive for the next driver.
    this.spare.push(...this.held);
    this.held = [];
  }

  driverOk(): void {
    this.deliver();
  }

  onNotify(queue: number): void {
    if (queue === RX) this.deliver();
    else if (queue === TX) this.transmit();
  }

  /** §5.1.6.2: every transmit chain is a header followed by one frame. */
  private transmit(): void {
    const t = this.t;
    const c = this.txChain;
    let any = false;
    while (t.pop(TX, c)) {
      any = true;
      const frame = this.frameOf(c);
      t.push(TX, c.head, 0);
      if (frame) {
        this.stats.txFrames++;
        this.backend.send(frame);
      } else {
        this.stats.txDropped++;
      }
    }
    if (any) t.usedBuffers(TX);
  }

  private frameOf(c: Chain): Uint8Array | undefined {
    const t = this.t;
    const len = c.readLen - NET_HDR_SIZE;
    if (len < 14 || len > MAX_FRAME) return undefined;
    c.copyOut(t.mem.bytes, 0, this.hdr);
    // §5.1.6.2.1: NEEDS_CSUM and GSO need features this device does not offer.
    if (this.hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM || this.hdr[1] !== VIRTIO_NET_HDR_GSO_NONE) return undefined;
    const frame = new Uint8Array(len);
    c.copyOut(t.mem.bytes, NET_HDR_SIZE, frame);
    return frame;
  }

  /** A frame for the guest: delivered now if there are buffers, else held (bounded). */
  receive(frame: Uint8Array): void {
    if (frame.length < 14 || frame.length > MAX_FRAME) {
      this.stats.rxDropped++;
      return;
    }
    if (this.pending.length >= MAX_PENDING_FRAMES) {
      this.stats.rxDropped++;
      return;
    }
    this.pending.push(frame.slice());
    this.deliver();
    this.t?.wake();
  }

  private takeChain(): Chain | undefined {
    const c = this.spare.pop() ?? new Chain();
    while (this.t.pop(RX, c)) {
      // §5.1.6.3.1: each buffer must hold at least the header; a smaller one is returned unused.
      if (c.writeLen >= NET_HDR_SIZE) return c;
      this.t.push(RX, c.head, 0);
      this.stats.rxDropped++;
    }
    this.spare.push(c);
    return undefined;
  }

  private deliver(): void {
    const t = this.t;
    if (!t || this.pending.length === 0 || !t.queue(RX).ready) return;
    const mergeable = t.hasFeature(VIRTIO_NET_F_MRG_RXBUF);
    const ram = t.mem.bytes;
    let any = false;
    while (this.pending.length > 0) {
      const frame = this.pending[0];
      const need = NET_HDR_SIZE + frame.length;
      // Gather enough chains: one without MRG_RXBUF (§5.1.6.3.1), as many as needed with it.
      let have = 0;
      for (const h of this.held) have += h.writeLen;
      while ((mergeable || this.held.length === 0) && have < need) {
        const c = this.takeChain();
        if (!c) break;
        this.held.push(c);
        have += c.writeLen;
      }
      if (have < need) {
        if (!mergeable && this.held.length > 0) {
          // The one buffer is too small for this frame: drop the frame, keep the buffer.
          this.pending.shift();
          this.stats.rxDropped++;
          continue;
        }
        break; // wait for more buffers
      }
      this.pending.shift();
      // §5.1.6.4: the header goes first, num_buffers counts the chains used.
      this.hdr.fill(0);
      let used = 0;
      let pos = 0;
      const parts: [Chain, number][] = [];
      while (pos < need) {
        const c = this.held[used++];
        const n = Math.min(c.writeLen, need - pos);
        parts.push([c, n]);
        pos += n;
      }
      this.hdr[10] = used & 0xff;
      this.hdr[11] = used >>> 8;
      pos = -NET_HDR_SIZE;
      for (const [c, n] of parts) {
        let w = 0;
        if (pos < 0) w += c.copyIn(ram, 0, this.hdr);
        w += c.copyIn(ram, w, frame.subarray(Math.max(pos, 0), pos + n));
        t.push(RX, c.head, n);
        pos += n;
      }
      this.spare.push(...this.held.splice(0, used));
      this.stats.rxFrames++;
      any = true;
    }
    if (any) t.usedBuffers(RX);
  }
}
