/**
 * MachineHost for Node.js: clock, event-loop yielding, interruptible sleep, randomness, warnings
 * (rate-limited), and the serial console on stdin/stdout.
 */
import { performance } from 'node:perf_hooks';
import type { MachineHost } from '../../core/machine/types.js';
import type { SerialMode } from './cli/options.js';
import { NodeConsole, type InputStream, type OutputStream } from './console.js';

export interface NodeHostOptions {
  /** Program name used as the prefix of warnings (`PROG: warning: ...`). */
  prog?: string;
  serial?: SerialMode;
  /** Ctrl-A x on the console. */
  onQuit?(): void;
  /** Ctrl-C on a raw TTY with `-serial stdio`. */
  onInterrupt?(): void;
  input?: InputStream;
  output?: OutputStream;
  /** Where warnings go (default: process.stderr). */
  warnSink?(line: string): void;
  /** Messages of one kind printed before further ones are suppressed (default 10). */
  warnBurst?: number;
  /** After this many milliseconds a kind may print again (default 10 s). */
  warnWindowMs?: number;
}

interface WarnState {
  count: number;
  suppressed: number;
  windowStart: number;
}

/** The "kind" of a warning: its text with numbers and addresses blanked out. */
export function warningKind(msg: string): string {
  return msg.replace(/0x[0-9a-f]+|\b[0-9a-f]{8,}\b|\d+/gi, '#').slice(0, 120);
}

export class NodeHost implements MachineHost {
  readonly serial: NodeConsole;
  private readonly prog: string;
  private readonly warnSink: (line: string) => void;
  private readonly warnBurst: number;
  private readonly warnWindowMs: number;
  private readonly warnings = new Map<string, WarnState>();
  private wakeSleep: (() => void) | undefined;
  private wakePending = false;

  constructor(opts: NodeHostOptions = {}) {
    this.prog = opts.prog ?? 'tsvm-system-riscv64';
    this.warnSink = opts.warnSink ?? ((line) => {
      try {
        process.stderr.write(line);
      } catch {
        // stderr gone
      }
    });
    this.warnBurst = opts.warnBurst ?? 10;
    this.warnWindowMs = opts.warnWindowMs ?? 10_000;
    this.serial = new NodeConsole({
      mode: opts.serial ?? 'mon:stdio',
      input: opts.input,
      output: opts.output,
      onQuit: opts.onQuit,
      onInterrupt: opts.onInterrupt,
      onInput: () => this.wake(),
    });
  }

  nowMs(): number {
    return performance.now();
  }

  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      // Input arrived since the guest last looked: do not sleep past it.
      this.wakePending = false;
      return this.yield();
    }
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        if (this.wakeSleep === done) this.wakeSleep = undefined;
        resolve();
      };
      this.wakeSleep = done;
      if (ms <= 0) setImmediate(done);
      else timer = setTimeout(done, ms);
    });
  }

  wake(): void {
    const w = this.wakeSleep;
    if (w) {
      this.wakeSleep = undefined;
      w();
    } else {
      this.wakePending = true;
    }
  }

  randomFill(buf: Uint8Array): void {
    // getRandomValues takes at most 65536 bytes per call.
    for (let off = 0; off < buf.length; off += 65536) {
      // Node 20's global Web Crypto: importing node:crypto would cost every start ~3 ms.
      globalThis.crypto.getRandomValues(buf.subarray(off, Math.min(buf.length, off + 65536)));
    }
  }

  warn(msg: string): void {
    const kind = warningKind(msg);
    const now = this.nowMs();
    let st = this.warnings.get(kind);
    if (!st || now - st.windowStart >= this.warnWindowMs) {
      if (st && st.suppressed > 0) {
        this.warnSink(`${this.prog}: warning: (${st.suppressed} similar warnings suppressed)\n`);
      }
      st = { count: 0, suppressed: 0, windowStart: now };
      if (this.warnings.size > 1000) this.warnings.clear();
      this.warnings.set(kind, st);
    }
    st.count++;
    if (st.count <= this.warnBurst) {
      const line = msg.replace(/[\r\n]+$/, '').replace(/[\r\n]/g, ' ');
      this.warnSink(`${this.prog}: warning: ${line}\n`);
      if (st.count === this.warnBurst) {
        this.warnSink(`${this.prog}: warning: further warnings like this are suppressed for ${this.warnWindowMs / 1000} s\n`);
      }
    } else {
      st.suppressed++;
    }
  }

  /** Starts console input (call once the machine exists). */
  start(): void {
    this.serial.start();
  }

  /** Flushes console output; resolves when stdout has taken it. */
  flush(): Promise<void> {
    return this.serial.flush();
  }

  /** Stops reading input, restores the terminal, and releases a pending sleep. */
  close(): void {
    this.serial.close();
    this.wake();
  }
}

export function createNodeHost(opts: NodeHostOptions = {}): NodeHost {
  return new NodeHost(opts);
}
