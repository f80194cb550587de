/**
 * A RISC-V machine: memory, one hart, the board's devices, boot images, and the run loop that
 * shares the host's event loop (slices of guest instructions, timers polled between slices, the
 * host idled while the guest waits in WFI).
 */
import { Bus } from '../hw/bus.js';
import type { Clock, Timed } from '../hw/device.js';
import { Cpu } from '../target/riscv/cpu.js';
import { run } from '../target/riscv/interp.js';
import { warmUpInterpreter } from '../target/riscv/warmup.js';
import { Tcg } from '../accel/tcg/tcg.js';
import { RAM_OFFSET, allocateMachineMemory } from '../target/riscv/state.js';
import { ConfigError, MAX_RAM_BYTES, type ExitStatus, type MachineConfig, type MachineHost } from './types.js';
import { GuestRam } from './boot.js';
import { buildVirt } from './virt.js';
import { buildSpike } from './spike.js';

export interface Machine {
  run(): Promise<ExitStatus>;
  stop(status: ExitStatus): void;
  dtb(): Uint8Array;
  /** Counters for diagnostics (translator statistics, instructions retired). */
  stats(): Record<string, number>;
}

/** What a board wiring returns to the generic machine. */
export interface Board {
  dtb: Uint8Array;
  timed: Timed[];
  /** Puts images in RAM and sets the CPU's reset state; called at start and on guest reset. */
  boot(): void;
  /** Called after every slice (e.g. HTIF polling). */
  afterSlice?(): void;
}

/** Context handed to a board builder. */
export interface BoardContext {
  cfg: MachineConfig;
  host: MachineHost;
  cpu: Cpu;
  bus: Bus;
  ram: GuestRam;
  clock: Clock;
  exit(status: ExitStatus): void;
}

/** mtime frequency of both boards: 10 MHz, as QEMU's riscv machines. */
export const TIMEBASE_HZ = 10_000_000;
/** Instructions per slice between timer polls (about a millisecond of guest time). */
const SLICE = 100_000;
const WARMUP_SLICES = 300;
const WARMUP_BUDGET = 500;
/** Longest time between two visits to the host event loop while the guest is busy. */
const YIELD_MS = 8;

export const MAX_RAM = MAX_RAM_BYTES;

/**
 * One-time per-process preparation (the interpreter's type-feedback warm-up, ~20 ms), which createMachine
 * otherwise does itself: a front end calls it while it waits for something else (a kernel inflating).
 */
export function prepareMachines(): void {
  warmUpInterpreter();
}

export function createMachine(cfg: MachineConfig, host: MachineHost): Machine {
  return new RiscvMachine(cfg, host);
}

class RiscvMachine implements Machine {
  private readonly cpu: Cpu;
  private readonly board: Board;
  private status: ExitStatus | undefined;
  private readonly clock: Clock;
  /** The translator, unless -accel tcg,jit=off. */
  readonly tcg: Tcg | null;

  constructor(private readonly cfg: MachineConfig, private readonly host: MachineHost) {
    if (cfg.smp !== 1) throw new ConfigError(`-smp ${cfg.smp}: only 1 CPU is supported for now`);
    if (!(cfg.ramBytes >= 1024 * 1024) || cfg.ramBytes > MAX_RAM || cfg.ramBytes % 65536 !== 0) {
      throw new ConfigError(`invalid RAM size ${cfg.ramBytes}: must be a multiple of 64 KiB between 1 MiB and 4 GiB`);
    }
    warmUpInterpreter();
    const memory = allocateMachineMemory(cfg.ramBytes);
    const t0 = host.nowMs();
    const clock: Clock = { now: () => (host.nowMs() - t0) * (TIMEBASE_HZ / 1000) };
    this.clock = clock;
    const ramBase = 0x80000000;
    const bus = new Bus(ramBase, cfg.ramBytes, { warn: (m) => host.warn(m) });
    // Same layout as the warm-up's environment (warmup.ts); the board installs its SBI handler.
    this.cpu = new Cpu(memory, bus, clock, { warn: (m) => host.warn(m), sbiCall: undefined });
    const ram = new GuestRam(new Uint8Array(memory.buffer, RAM_OFFSET, cfg.ramBytes), ramBase);
    const ctx: BoardContext = { cfg, host, cpu: this.cpu, bus, ram, clock, exit: (s) => this.exit(s) };
    this.tcg = cfg.jit === 'off' ? null : new Tcg(this.cpu, cfg.jit ?? 'on', () => host.nowMs());
    if (this.tcg !== null) {
      const tcg = this.tcg;
      ram.dmaWrite = (off, len) => tcg.dmaWrite(off, len);
    }
    this.board = cfg.machine === 'spike' ? buildSpike(ctx) : buildVirt(ctx);
    this.board.boot();
  }

  dtb(): Uint8Array {
    return this.board.dtb;
  }

  stats(): Record<string, number> {
    return { instret: this.cpu.instret, ...this.tcg?.stats };
  }

  stop(status: ExitStatus): void {
    this.exit(status);
    this.host.wake();
  }

  private exit(s: ExitStatus): void {
    if (s.reason === 'reset' && !this.cfg.noReboot) {
      this.pendingReset = true;
    } else if (!this.status) {
      this.status = s;
    }
    this.cpu.stopRequested = true;
  }

  private pendingReset = false;

  async run(): Promise<ExitStatus> {
    const cpu = this.cpu;
    const host = this.host;
    const timed = this.board.timed;
    const tcg = this.tcg;
    let lastYield = host.nowMs();
    let slices = 0;
    while (!this.status) {
      // The first slices are short so that every path of run(), its exit included, has type feedback
      // before V8 optimizes it; otherwise the optimized loop deoptimizes at the end of every slice.
      const budget = slices < WARMUP_SLICES ? WARMUP_BUDGET : SLICE;
      if (tcg !== null) tcg.run(budget);
      else run(cpu, budget);
      slices++;
      cpu.stopRequested = false;
      this.board.afterSlice?.();
      for (let i = 0; i < timed.length; i++) timed[i].poll();
      cpu.pollStimer();
      if (this.pendingReset) {
        this.pendingReset = false;
        this.tcg?.flush();
        this.board.boot();
        continue;
      }
      if (this.status) break;
      const now = host.nowMs();
      if (cpu.idle && (cpu.mip & cpu.mie) === 0) {
        // WFI: sleep until the next timer deadline or until the host wakes us (input).
        let next = cpu.stimecmp;
        for (let i = 0; i < timed.length; i++) next = Math.min(next, timed[i].nextEvent());
        const ms = (next - this.clock.now()) / (TIMEBASE_HZ / 1000);
        await host.sleep(Math.max(0, Math.min(ms, 50)));
        lastYield = host.nowMs();
        // With every interrupt disabled in mie nothing can end the wait: WFI returns after it, a wake-up the
        // spec allows (§3.3.3). A halted guest (`1: wfi; j 1b`) still sleeps, 50 ms at a time, and code that
        // expects such a WFI to return goes on (riscv-tests rv64si wfi; Spike treats WFI as a no-op).
        if (cpu.idle && cpu.mie === 0) cpu.idle = false;
      } else if (now - lastYield >= YIELD_MS) {
        await host.yield();
        lastYield = host.nowMs();
      }
    }
    return this.status;
  }
}
