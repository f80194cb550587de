/**
 * One TCP connection of the NAT (RFC 9293): the emulator plays the guest's peer and relays the
 * byte stream to a host socket. The state machine is RFC 9293 §3.3.2's; simplifications: no
 * window scaling, SACK or timestamps are offered (so the guest uses none), out-of-order segments
 * are dropped and re-ACKed (the guest retransmits them), retransmission is go-back-N from SND.UNA
 * on a doubling timer (RFC 6298 §5), a zero window is probed with one byte on that timer (§3.8.6.1).
 */
import type { HostTcpHandlers, HostTcpSocket } from './host.js';

export const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

export type TcpState = 'CONNECTING' | 'SYN-SENT' | 'SYN-RECEIVED' | 'ESTABLISHED' | 'FIN-WAIT-1' | 'FIN-WAIT-2'
  | 'CLOSE-WAIT' | 'CLOSING' | 'LAST-ACK' | 'TIME-WAIT' | 'CLOSED';

export interface Segment {
  seq: number;
  ack: number;
  flags: number;
  wnd: number;
  data: Uint8Array;
  /** MSS option (SYN only), 0 if absent. */
  mss: number;
}

/** What a connection needs from the stack. */
export interface TcpEnv {
  /** Emits a segment to the guest (seq, ack, flags, window, data, MSS option or 0). */
  emit(seg: Segment): void;
  setTimer(cb: () => void, ms: number): unknown;
  clearTimer(h: unknown): void;
  /** The connection reached CLOSED: drop it from the table. */
  closed(): void;
}

const RCV_WND = 65535;
const OUR_MSS = 1460;
const RTO_INITIAL = 1000;
const RTO_MAX = 30000;
const MAX_RETRIES = 10;
const TIME_WAIT_MS = 2000;
/** Host data buffered for the guest beyond which the host socket is paused. */
const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;

const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const add = (a: number, n: number): number => (a + n) >>> 0;

/** Bytes waiting for the guest's acknowledgement, oldest first. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(d: Uint8Array): void {
    if (d.length === 0) return;
    this.chunks.push(d);
    this.length += d.length;
  }
  /** Copies `n` bytes from `off`. */
  peek(off: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      if (off >= c.length) {
        off -= c.length;
        continue;
      }
      const k = Math.min(c.length - off, n - o);
      out.set(c.subarray(off, off + k), o);
      o += k;
      off = 0;
      if (o === n) break;
    }
    return out;
  }
  drop(n: number): void {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0];
      if (c.length <= n) {
        n -= c.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
}

export class TcpConn implements HostTcpHandlers {
  state: TcpState;
  host: HostTcpSocket | undefined;
  private iss: number;
  private sndUna: number;
  private sndWnd = 0;
  private mss = 536; // RFC 9293 §3.7.1 default without the option
  private rcvNxt = 0;
  private readonly buf = new ByteQueue();
  /** Data bytes of buf already sent once (since the last go-back). */
  private sent = 0;
  private finQueued = false;
  private finSent = false;
  private timer: unknown;
  private rto = RTO_INITIAL;
  private retries = 0;
  private hostPaused = false;
  private hostBlocked = false;

  /**
   * `syn` is the guest's SYN for a guest-initiated connection (state CONNECTING until the host
   * connect finishes); without it the emulator opens the connection (hostfwd, state SYN-SENT).
   */
  constructor(private readonly env: TcpEnv, iss: number, syn?: Segment) {
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    if (syn) {
      this.state = 'CONNECTING';
      this.rcvNxt = add(syn.seq, 1);
      this.sndWnd = syn.wnd;
      if (syn.mss) this.mss = Math.min(syn.mss, OUR_MSS);
    } else {
      this.state = 'SYN-SENT';
      this.sendSyn();
    }
  }

  private get sndNxt(): number {
    if (this.state === 'CONNECTING') return this.iss;
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') return add(this.iss, 1);
    return add(this.sndUna, this.sent + (this.finSent ? 1 : 0));
  }

  private emit(flags: number, seq: number, data: Uint8Array = new Uint8Array(0), mss = 0): void {
    const wnd = this.hostBlocked ? 0 : RCV_WND;
    this.env.emit({ seq, ack: flags & ACK ? this.rcvNxt : 0, flags, wnd, data, mss });
  }

  private sendSyn(): void {
    this.emit(this.state === 'SYN-SENT' ? SYN : SYN | ACK, this.iss, undefined, OUR_MSS);
    this.arm();
  }

  private ackNow(): void {
    this.emit(ACK, this.sndNxt);
  }

  // --- timers ---------------------------------------------------------------------------------

  private arm(): void {
    if (this.timer === undefined) this.timer = this.env.setTimer(() => this.onTimeout(), this.rto);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.env.clearTimer(this.timer);
    this.timer = undefined;
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.state === 'TIME-WAIT') return this.finish(false);
    if (++this.retries > MAX_RETRIES) return this.abort(true);
    this.rto = Math.min(this.rto * 2, RTO_MAX);
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') return this.sendSyn();
    // Go back to SND.UNA and send again; with a zero window, one byte probes it.
    this.sent = 0;
    this.finSent = false;
    this.output(true);
  }

  // --- host side ------------------------------------------------------------------------------

  onConnect(): void {
    if (this.state !== 'CONNECTING') return;
    this.state = 'SYN-RECEIVED';
    this.sendSyn();
  }

  onData(data: Uint8Array): void {
    if (this.finQueued) return;
    this.buf.push(data);
    if (this.buf.length > HIGH_WATER && !this.hostPaused) {
      this.hostPaused = true;
      this.host?.pause();
    }
    this.output(false);
  }

  onEnd(): void {
    this.finQueued = true;
    this.output(false);
  }

  onDrain(): void {
    if (!this.hostBlocked) return;
    this.hostBlocked = false;
    if (this.state !== 'CLOSED') this.ackNow(); // window update
  }

  onError(refused: boolean): void {
    this.host = undefined;
    if (this.state === 'CONNECTING') {
      // RFC 9293 §3.10.7.1 form for an unacceptable SYN: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>.
      this.env.emit({ seq: 0, ack: this.rcvNxt, flags: RST | ACK, wnd: 0, data: new Uint8Array(0), mss: 0 });
      void refused;
      return this.finish(true);
    }
    this.abort(true);
  }

  onClose(): void {
    // Errors come through onError; a clean close needs nothing more here.
  }

  // --- guest side -----------------------------------------------------------------------------

  /** RFC 9293 §3.10.7.4, simplified as described at the top. */
  input(s: Segment): void {
    if (this.state === 'CLOSED') return;
    if (this.state === 'SYN-SENT') return this.inputSynSent(s);
    if (s.flags & RST) {
      // §3.10.7.4 / RFC 5961: a reset is accepted only exactly at RCV.NXT (otherwise ignored).
      if (s.seq === this.rcvNxt || this.state === 'CONNECTING') this.abort(false);
      return;
    }
    if (this.state === 'CONNECTING') return; // a retransmitted SYN: the connect is still running
    if (s.flags & SYN) {
      if (this.state === 'SYN-RECEIVED' && s.seq === add(this.rcvNxt, -1)) this.sendSyn();
      else this.ackNow(); // challenge ACK (RFC 5961 §4)
      return;
    }
    if (!(s.flags & ACK)) return;
    if (!this.inputAck(s)) return;
    const st = this.state as TcpState; // inputAck may have changed it
    if (st === 'CLOSED' || st === 'SYN-RECEIVED') return;
    this.inputData(s);
  }

  private inputSynSent(s: Segment): void {
    const ackOk = (s.flags & ACK) !== 0 && s.ack === add(this.iss, 1);
    if (s.flags & ACK && !ackOk) {
      if (!(s.flags & RST)) this.env.emit({ seq: s.ack, ack: 0, flags: RST, wnd: 0, data: new Uint8Array(0), mss: 0 });
      return;
    }
    if (s.flags & RST) {
      if (ackOk) this.abort(false); // the guest refused: close the host side
      return;
    }
    if (!(s.flags & SYN) || !ackOk) return;
    this.rcvNxt = add(s.seq, 1);
    this.sndUna = s.ack;
    this.sndWnd = s.wnd;
    if (s.mss) this.mss = Math.min(s.mss, OUR_MSS);
    this.established();
    this.ackNow();
    this.output(false);
  }

  private established(): void {
    this.state = 'ESTABLISHED';
    this.disarm();
    this.rto = RTO_INITIAL;
    this.retries = 0;
    if (!this.hostPaused) this.host?.resume();
  }

  /** Processes SEG.ACK; false if the segment must go no further. */
  private inputAck(s: Segment): boolean {
    if (this.state === 'SYN-RECEIVED') {
      if (s.ack !== add(this.iss, 1)) {
        this.env.emit({ seq: s.ack, ack: 0, flags: RST, wnd: 0, data: new Uint8Array(0), mss: 0 });
        return false;
      }
      this.sndUna = s.ack;
      this.sndWnd = s.wnd;
      this.established();
    }
    const nxt = this.sndNxt;
    if (seqLt(nxt, s.ack)) {
      this.ackNow(); // acknowledges something not yet sent
      return false;
    }
    if (seqLe(this.sndUna, s.ack)) {
      this.sndWnd = s.wnd;
      const acked = (s.ack - this.sndUna) >>> 0;
      if (acked > 0) {
        const data = Math.min(acked, this.sent);
        this.buf.drop(data);
        this.sent -= data;
        this.sndUna = s.ack;
        this.retries = 0;
        this.rto = RTO_INITIAL;
        this.disarm();
        const finAcked = this.finSent && s.ack === nxt;
        if (finAcked) this.onFinAcked();
        if (this.hostPaused && this.buf.length < LOW_WATER) {
          this.hostPaused = false;
          this.host?.resume();
        }
      }
      if (this.state !== 'CLOSED' && this.state !== 'TIME-WAIT') this.output(false);
    }
    return this.state !== 'CLOSED';
  }

  private onFinAcked(): void {
    switch (this.state) {
      case 'FIN-WAIT-1': this.state = 'FIN-WAIT-2'; break;
      case 'CLOSING': this.timeWait(); break;
      case 'LAST-ACK': this.finish(false); break;
    }
  }

  private inputData(s: Segment): void {
    let data = s.data;
    let seq = s.seq;
    const segLen = data.length + (s.flags & FIN ? 1 : 0);
    // Trim what was already received (a retransmission overlapping RCV.NXT).
    if (seqLt(seq, this.rcvNxt)) {
      const dup = (this.rcvNxt - seq) >>> 0;
      if (dup >= segLen) {
        if (segLen > 0) this.ackNow(); // entirely old: re-ACK
        return;
      }
      data = data.subarray(Math.min(dup, data.length));
      seq = this.rcvNxt;
    }
    if (seq !== this.rcvNxt) {
      if (data.length > 0 || s.flags & FIN) this.ackNow(); // out of order: dropped, duplicate ACK
      return;
    }
    const receiving = this.state === 'ESTABLISHED' || this.state === 'FIN-WAIT-1' || this.state === 'FIN-WAIT-2';
    if (data.length > 0 && receiving) {
      this.rcvNxt = add(this.rcvNxt, data.length);
      if (this.host && !this.host.write(data)) this.hostBlocked = true;
    }
    if (s.flags & FIN && receiving) {
      this.rcvNxt = add(this.rcvNxt, 1);
      this.host?.end();
      if (this.state === 'ESTABLISHED') this.state = 'CLOSE-WAIT';
      else if (this.state === 'FIN-WAIT-1') this.state = 'CLOSING';
      else this.timeWait();
    }
    if (data.length > 0 || s.flags & FIN) this.ackNow();
    if (this.state === 'CLOSE-WAIT') this.output(false);
  }

  // --- output ---------------------------------------------------------------------------------

  /** Sends what the guest's window allows, then the FIN once all data is out. */
  private output(probe: boolean): void {
    const st = this.state;
    if (st !== 'ESTABLISHED' && st !== 'CLOSE-WAIT' && st !== 'FIN-WAIT-1' && st !== 'CLOSING' && st !== 'LAST-ACK') return;
    const wnd = Math.max(this.sndWnd, probe ? 1 : 0);
    while (this.sent < this.buf.length && this.sent < wnd) {
      const n = Math.min(this.mss, this.buf.length - this.sent, wnd - this.sent);
      const seg = this.buf.peek(this.sent, n);
      this.emit(ACK | PSH, add(this.sndUna, this.sent), seg);
      this.sent += n;
    }
    if (this.finQueued && !this.finSent && this.sent === this.buf.length) {
      this.emit(FIN | ACK, add(this.sndUna, this.sent));
      this.finSent = true;
      if (st === 'ESTABLISHED') this.state = 'FIN-WAIT-1';
      else if (st === 'CLOSE-WAIT') this.state = 'LAST-ACK';
    }
    if (this.sent > 0 || this.finSent || (this.buf.length > 0 && this.sndWnd === 0)) this.arm();
  }

  // --- teardown -------------------------------------------------------------------------------

  private timeWait(): void {
    this.state = 'TIME-WAIT';
    this.disarm();
    this.timer = this.env.setTimer(() => this.onTimeout(), TIME_WAIT_MS);
  }

  /** Resets both sides: RST to the guest if `toGuest`, the host socket destroyed. */
  abort(toGuest: boolean): void {
    if (this.state === 'CLOSED') return;
    if (toGuest && this.state !== 'CONNECTING') this.emit(RST | ACK, this.sndNxt);
    this.finish(true);
  }

  /** CLOSED. A graceful close leaves the host socket to finish its half-closes; an abort destroys it. */
  private finish(destroy: boolean): void {
    this.disarm();
    const h = this.host;
    this.host = undefined;
    this.state = 'CLOSED';
    if (destroy) h?.destroy();
    this.env.closed();
  }
}
