/**
 * The serial console on the process's stdin/stdout, with QEMU's mux escape character (Ctrl-A).
 *
 * Output bytes are collected and written once per tick (guests write one byte at a time).
 * Input: with a TTY the terminal is put in raw mode (restored on every exit path); a pipe or file
 * is read as is. In mon:stdio mode Ctrl-A is the escape character as in QEMU:
 *   C-a h  help, C-a x  quit, C-a a / C-a C-a  send C-a, C-a c  monitor (not available yet).
 * End of input does not stop the machine.
 */
import type { CharBackend } from '../../core/machine/types.js';
import type { SerialMode } from './cli/options.js';

export const ESCAPE_CHAR = 0x01; // Ctrl-A
const CTRL_C = 0x03;

export const ESCAPE_HELP =
  'C-a h    print this help\r\n' +
  'C-a x    exit emulator\r\n' +
  'C-a a    sends C-a\r\n' +
  'C-a C-a  sends C-a\r\n' +
  'C-a c    switch between console and monitor (no monitor yet)\r\n';

export const TERMINATED_MESSAGE = '\r\ntsvm: terminated\r\n';
export const NO_MONITOR_MESSAGE = '\r\ntsvm: no monitor yet; staying on the serial console\r\n';

/** The parts of process.stdin the console uses (so tests can pass a stream). */
export interface InputStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', fn: (chunk: Buffer | string) => void): unknown;
  on(event: 'end' | 'error', fn: (arg?: unknown) => void): unknown;
  resume(): unknown;
  pause(): unknown;
  removeListener(event: string, fn: (...args: never[]) => void): unknown;
}

export interface OutputStream {
  write(data: Uint8Array | string, cb?: (err?: Error | null) => void): boolean;
}

export interface ConsoleOptions {
  mode: SerialMode;
  input?: InputStream;
  output?: OutputStream;
  /** Ctrl-A x. */
  onQuit?(): void;
  /** Ctrl-C typed on a raw TTY in plain `stdio` mode (QEMU keeps ISIG there: the emulator stops). */
  onInterrupt?(): void;
  /** Called after input was handed to the receiver (the host wakes a sleeping guest). */
  onInput?(): void;
}

/** Terminals currently in raw mode, restored by restoreTerminals() and at process exit. */
const rawInputs = new Set<InputStream>();
let exitHookInstalled = false;

/** Puts every terminal this module switched to raw mode back to normal mode. Idempotent. */
export function restoreTerminals(): void {
  for (const input of rawInputs) {
    try {
      input.setRawMode?.(false);
    } catch {
      // The terminal may already be gone (hangup).
    }
  }
  rawInputs.clear();
}

export class NodeConsole implements CharBackend {
  private readonly mode: SerialMode;
  private readonly input: InputStream;
  private readonly output: OutputStream;
  private readonly opts: ConsoleOptions;
  private receiver: ((data: Uint8Array) => void) | undefined;
  private pendingInput: Uint8Array[] = [];
  private outBuf = new Uint8Array(4096);
  private outLen = 0;
  private flushScheduled = false;
  private gotEscape = false;
  private started = false;
  private closed = false;
  private readonly onData = (chunk: Buffer | string): void => this.handleInput(chunk);
  private readonly onEnd = (): void => {
    // EOF on stdin: the guest keeps running, it just gets no more input.
  };

  constructor(opts: ConsoleOptions) {
    this.opts = opts;
    this.mode = opts.mode;
    this.input = opts.input ?? (process.stdin as unknown as InputStream);
    this.output = opts.output ?? (process.stdout as unknown as OutputStream);
  }

  /** True when the escape character is active (mon:stdio). */
  get escapeEnabled(): boolean {
    return this.mode === 'mon:stdio';
  }

  /** Starts reading input (raw mode on a TTY). Does nothing for `-serial none`. */
  start(): void {
    if (this.started || this.mode === 'none') return;
    this.started = true;
    const input = this.input;
    if (input.isTTY && input.setRawMode) {
      input.setRawMode(true);
      rawInputs.add(input);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on('exit', restoreTerminals);
      }
    }
    input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.on('error', this.onEnd);
    input.resume();
  }

  /** Stops reading input and restores the terminal. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.started) {
      this.input.removeListener('data', this.onData);
      this.input.removeListener('end', this.onEnd);
      this.input.removeListener('error', this.onEnd);
      try {
        this.input.pause();
      } catch {
        // ignore
      }
      if (rawInputs.has(this.input)) {
        try {
          this.input.setRawMode?.(false);
        } catch {
          // ignore
        }
        rawInputs.delete(this.input);
      }
    }
  }

  // --- CharBackend ---------------------------------------------------------------------------

  write(data: Uint8Array): void {
    if (this.mode === 'none' || data.length === 0) return;
    const need = this.outLen + data.length;
    if (need > this.outBuf.length) {
      let size = this.outBuf.length * 2;
      while (size < need) size *= 2;
      const nb = new Uint8Array(size);
      nb.set(this.outBuf.subarray(0, this.outLen));
      this.outBuf = nb;
    }
    this.outBuf.set(data, this.outLen);
    this.outLen = need;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flushNow());
    }
  }

  setReceiver(receive: (data: Uint8Array) => void): void {
    this.receiver = receive;
    const pending = this.pendingInput;
    this.pendingInput = [];
    for (const d of pending) receive(d);
    if (pending.length) this.opts.onInput?.();
  }

  // --- Output --------------------------------------------------------------------------------

  /** Writes the buffered output now. */
  flushNow(): void {
    this.flushScheduled = false;
    if (this.outLen === 0) return;
    // Hand over a copy: the stream may keep the chunk while it is being written.
    const chunk = Buffer.from(this.outBuf.subarray(0, this.outLen));
    this.outLen = 0;
    if (this.outBuf.length > 65536) this.outBuf = new Uint8Array(4096);
    try {
      this.output.write(chunk);
    } catch {
      // stdout closed (EPIPE): drop output; the machine keeps running.
    }
  }

  /** Writes buffered output and resolves once the stream has taken all of it. */
  flush(): Promise<void> {
    this.flushNow();
    return new Promise((resolve) => {
      try {
        this.output.write('', () => resolve());
      } catch {
        resolve();
      }
    });
  }

  /** Writes a message from the emulator itself (escape help etc.) in order with guest output. */
  message(text: string): void {
    this.write(new TextEncoder().encode(text));
  }

  // --- Input ---------------------------------------------------------------------------------

  /** Processes host input (exposed for tests). */
  handleInput(chunk: Buffer | string | Uint8Array): void {
    if (this.closed) return;
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
    const out: number[] = [];
    const interruptOnCtrlC = this.mode === 'stdio' && this.input.isTTY === true;
    for (let i = 0; i < bytes.length; i++) {
      const ch = bytes[i];
      if (this.escapeEnabled) {
        if (this.gotEscape) {
          this.gotEscape = false;
          if (ch === ESCAPE_CHAR || ch === 0x61 /* a */) {
            out.push(ESCAPE_CHAR);
            continue;
          }
          // Deliver what came before the escape sequence first.
          if (out.length) this.deliver(out.splice(0));
          if (this.escape(ch)) return; // quit: ignore the rest
          continue;
        }
        if (ch === ESCAPE_CHAR) {
          this.gotEscape = true;
          continue;
        }
      } else if (interruptOnCtrlC && ch === CTRL_C) {
        if (out.length) this.deliver(out.splice(0));
        this.opts.onInterrupt?.();
        return;
      }
      out.push(ch);
    }
    if (out.length) this.deliver(out);
  }

  /** Runs the escape command `ch`; returns true if the console quit. */
  private escape(ch: number): boolean {
    switch (ch) {
      case 0x68: // h
      case 0x3f: // ?
        this.message(ESCAPE_HELP);
        return false;
      case 0x78: // x
        this.message(TERMINATED_MESSAGE);
        this.opts.onQuit?.();
        return true;
      case 0x63: // c
        this.message(NO_MONITOR_MESSAGE);
        return false;
      default:
        // QEMU ignores other characters after the escape character (s, t, b have no meaning here).
        return false;
    }
  }

  private deliver(bytes: number[]): void {
    const data = Uint8Array.from(bytes);
    if (this.receiver) {
      this.receiver(data);
      this.opts.onInput?.();
    } else {
      this.pendingInput.push(data);
    }
  }
}
