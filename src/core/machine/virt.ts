/**
 * The `virt` board, with QEMU 7.2's riscv virt memory map (hw/riscv/virt.c): test device, Goldfish
 * RTC, ACLINT, PLIC, NS16550A UART, eight virtio-mmio slots, DRAM at 0x8000_0000.
 */
import type { Device } from '../hw/device.js';
import { Uart16550 } from '../hw/char/uart16550.js';
import { Plic } from '../hw/intc/plic.js';
import { Aclint } from '../hw/intc/aclint.js';
import { GoldfishRtc } from '../hw/rtc/goldfish-rtc.js';
import { SifiveTest } from '../hw/misc/sifive-test.js';
import { VirtioMmioEmpty } from '../hw/virtio/mmio-empty.js';
import { VirtioMmio, type VirtioDevice } from '../hw/virtio/mmio.js';
import { VirtioBlk } from '../hw/virtio/blk.js';
import { VirtioRng } from '../hw/virtio/rng.js';
import { VirtioConsole } from '../hw/virtio/console.js';
import { VirtioNet } from '../hw/virtio/net.js';
import { Sbi } from '../firmware/sbi.js';
import { Priv } from '../target/riscv/state.js';
import { MIP_SEIP, MIP_SSIP, MIP_STIP } from '../target/riscv/csr-defs.js';
import { buildVirtDtb } from './virt-dt.js';
import * as M from './virt-map.js';
import { fdtAddress, loadKernel, placeInitrd, alignUp, type Placed } from './boot.js';
import type { Board, BoardContext } from './machine.js';
import { ConfigError, type CharBackend, type MachineHost, type VirtioDeviceConfig } from './types.js';

/** OpenSBI's fw_dynamic_info (include/sbi/fw_dynamic.h): magic "OSBI", version 2. */
const FW_DYNAMIC_MAGIC = 0x4942534f;
const FW_DYNAMIC_NEXT_MODE_S = 1;

/** The mask ROM at 0x1000: holds fw_dynamic_info for M-mode firmware. */
class Rom implements Device {
  readonly name = 'mrom';
  readonly data = new Uint8Array(M.VIRT_MROM_SIZE);
  readonly size = M.VIRT_MROM_SIZE;
  read(off: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.data[off + i];
    return v;
  }
  write(): void {}
}

export const VIRT_ISA = 'rv64imafdc_zicsr_zifencei_zicntr_sstc';

export function buildVirt(ctx: BoardContext): Board {
  const { cfg, host, cpu, bus, ram, clock } = ctx;
  const log = { warn: (m: string) => host.warn(m) };
  const plic = new Plic([cpu], M.PLIC_NDEV, log);
  const aclint = new Aclint([cpu], clock, log);
  const uart = new Uart16550(host.serial, plic.irq(M.UART0_IRQ), log);
  const rtc = new GoldfishRtc(() => Date.now() * 1e6, plic.irq(M.RTC_IRQ), log);
  const test = new SifiveTest((kind, code) => {
    if (kind === 'poweroff') ctx.exit({ code: 0, reason: 'poweroff' });
    else if (kind === 'reset') ctx.exit({ code: 0, reason: 'reset' });
    else ctx.exit({ code, reason: 'fail', message: `guest reported failure ${code}` });
  }, log);
  const rom = new Rom();
  bus.map(M.VIRT_MROM_BASE, rom);
  bus.map(M.VIRT_TEST_BASE, test);
  bus.map(M.VIRT_RTC_BASE, rtc);
  bus.map(M.VIRT_CLINT_BASE, aclint);
  bus.map(M.VIRT_PLIC_BASE, plic);
  bus.map(M.VIRT_UART0_BASE, uart);
  const virtio = cfg.virtio ?? [];
  if (virtio.length > M.VIRT_VIRTIO_COUNT) throw new ConfigError(`too many virtio devices (${virtio.length}): the virt board has ${M.VIRT_VIRTIO_COUNT} virtio-mmio slots`);
  const transports: VirtioMmio[] = [];
  for (let i = 0; i < M.VIRT_VIRTIO_COUNT; i++) {
    const base = M.VIRT_VIRTIO_BASE + i * M.VIRT_VIRTIO_STRIDE;
    if (i < virtio.length) {
      const t = new VirtioMmio(virtioDevice(virtio[i], host), ram, plic.irq(M.VIRTIO_IRQ + i), log, () => host.wake());
      transports.push(t);
      bus.map(base, t);
    } else {
      bus.map(base, new VirtioMmioEmpty());
    }
  }
  cpu.time = () => aclint.mtime();

  const builtin = cfg.bios === 'builtin';
  if (builtin) {
    const sbi = new Sbi(host.serial, (kind) => ctx.exit({ code: 0, reason: kind }), () => uart.takeByte());
    cpu.env.sbiCall = (c) => sbi.call(c);
  }
  if (!cfg.kernel && cfg.bios !== 'none' && builtin) {
    throw new ConfigError('no kernel given: use -kernel FILE (or -bios FILE for firmware alone)');
  }

  // Lay out the images once to know the initrd range for the device tree.
  const firmware = cfg.bios instanceof Uint8Array ? cfg.bios : undefined;
  const fwEnd = firmware ? ram.base + firmware.length : ram.base;
  const kernelStart = cfg.bios === 'none' ? ram.base : alignUp(fwEnd, 0x200000);
  let kernel: Placed | undefined;
  let initrd: { start: number; end: number } | undefined;
  const layout = (fresh: boolean): void => {
    // A fresh RAM is already zero; filling 256 MiB would touch (and fault in) every page for nothing.
    if (!fresh) ram.bytes.fill(0);
    if (firmware) ram.put(ram.base, firmware, 'firmware');
    kernel = cfg.kernel ? loadKernel(ram, cfg.kernel, kernelStart) : undefined;
    if (cfg.initrd) {
      if (!kernel) throw new ConfigError('-initrd needs -kernel');
      initrd = placeInitrd(ram, cfg.initrd, kernel, ram.end - 0x200000);
    }
  };
  layout(true);
  const seed = new Uint8Array(32);
  host.randomFill(seed);
  const dtb = buildVirtDtb({
    ramBase: ram.base, ramBytes: cfg.ramBytes, harts: 1, bootargs: cfg.append, initrd,
    isa: VIRT_ISA, mmuType: 'riscv,sv39', timebaseFrequency: 10_000_000, virtioSlots: M.VIRT_VIRTIO_COUNT,
    rngSeed: seed,
  });
  const fdtAddr = fdtAddress(ram, dtb.length);
  if (kernel && kernel.end > fdtAddr) throw new ConfigError('kernel does not fit in RAM below the device tree; use a larger -m');
  if (initrd && initrd.end > fdtAddr) throw new ConfigError('initrd does not fit in RAM below the device tree; use a larger -m');

  const boot = (first: boolean): void => {
    if (!first) layout(false);
    ram.put(fdtAddr, dtb, 'device tree');
    for (const d of [plic, aclint, uart, rtc, ...transports]) d.reset?.();
    const x = cpu.x;
    if (cfg.bios === 'none') {
      // -bios none: the kernel runs in M-mode from DRAM base (QEMU's reset vector jumps there).
      cpu.reset(kernel ? kernel.entry : ram.base, 0);
    } else if (firmware) {
      // M-mode firmware with the fw_dynamic protocol: a0 = hartid, a1 = fdt, a2 = &fw_dynamic_info.
      const info = new DataView(rom.data.buffer);
      const words = [FW_DYNAMIC_MAGIC, 2, kernel ? kernel.entry : 0, FW_DYNAMIC_NEXT_MODE_S, 0, 0];
      words.forEach((w, i) => { info.setUint32(0x20 + i * 8, w, true); info.setUint32(0x24 + i * 8, 0, true); });
      cpu.reset(ram.base, 0);
      x[24] = M.VIRT_MROM_BASE + 0x20;
    } else {
      // Built-in SBI: start the kernel in S-mode as OpenSBI would hand it over.
      cpu.reset(kernel ? kernel.entry : ram.base, 0);
      cpu.priv = Priv.S;
      cpu.mideleg = MIP_SSIP | MIP_STIP | MIP_SEIP;
      cpu.medeleg = 0xb1ff; // everything but ECALL from S/M, which the SBI serves
      cpu.mcounteren = 7;
      cpu.scounteren = 7; // as OpenSBI: user rdtime/rdcycle/rdinstret work (the vDSO needs rdtime)
      cpu.menvcfgHi = 0x80000000 | 0; // Sstc enabled
      cpu.updateMode();
    }
    x[20] = 0; // a0: hart id
    x[22] = fdtAddr; // a1: device tree
    x[23] = 0;
    if (!first) host.warn('guest reset');
  };
  return {
    dtb,
    timed: [aclint, rtc],
    boot: (() => { let first = true; return () => { boot(first); first = false; }; })(),
  };
}

/** A CharBackend that drops output and never has input (virtio-serial-device without a virtconsole). */
const NULL_CHAR: CharBackend = { write() {}, setReceiver() {} };

function virtioDevice(c: VirtioDeviceConfig, host: MachineHost): VirtioDevice {
  switch (c.type) {
    case 'blk': return new VirtioBlk(c.drive, { serial: c.serial });
    case 'rng': return new VirtioRng((b) => host.randomFill(b));
    case 'console': return new VirtioConsole(c.chardev ?? NULL_CHAR);
    case 'net': return new VirtioNet(c.backend, c.mac);
  }
}
