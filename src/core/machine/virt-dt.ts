/**
 * Device tree of QEMU 7.2's riscv `virt` board (hw/riscv/virt.c layout), limited to the devices
 * tsvm models (no PCIe, flash, fw-cfg, platform bus or PMU node). Also holds the /cpus, /memory
 * and /chosen builders that the spike board shares.
 * Bindings: Linux Documentation/devicetree/bindings/riscv/cpus.yaml, riscv/extensions.yaml,
 * cpu/cpu-topology.txt, chosen.yaml, interrupt-controller/sifive,plic-1.0.0.yaml,
 * timer/sifive,clint.yaml, power/reset/syscon-{poweroff,reboot}.yaml, virtio/mmio.yaml.
 */
import { FdtError, FdtNode, cells64, reg64, toDtb } from './fdt.js';
import * as M from './virt-map.js';
export type MmuType = 'riscv,sv39' | 'riscv,sv48' | 'riscv,sv57' | 'riscv,none';

export interface CpusOptions {
  harts: number;
  /** riscv,isa string, e.g. "rv64imafdc_zicsr_zifencei_zicntr_sstc". */
  isa: string;
  mmuType: MmuType;
  timebaseFrequency: number;
}

/** Per-hart phandles: the cpu node and its hart-local interrupt controller. */
export interface HartHandles {
  cpu: number;
  intc: number;
}

/**
 * Derives `riscv,isa-base` and `riscv,isa-extensions` from a `riscv,isa` string
 * (riscv/extensions.yaml: base is "rv32i"/"rv64i", extensions are lowercase names, one per
 * entry). "g" expands to imafd + zicsr + zifencei (unprivileged spec, ch. "RV32/64G").
 */
export function parseIsa(isa: string): { base: string; extensions: string[] } {
  const m = /^rv(32|64)([a-z]*)((?:_[a-z][a-z0-9]*)*)$/.exec(isa.toLowerCase());
  if (m === null) throw new FdtError(`unparsable riscv,isa string: '${isa}'`);
  const xlen = m[1]!;
  const singles = m[2]!;
  const multis = m[3]!.split('_').filter((s) => s.length > 0);
  if (singles[0] !== 'i' && singles[0] !== 'g' && singles[0] !== 'e') {
    throw new FdtError(`riscv,isa '${isa}' must start with i, e or g after rv${xlen}`);
  }
  const exts: string[] = [];
  const add = (e: string): void => {
    if (!exts.includes(e)) exts.push(e);
  };
  for (const ch of singles) {
    if (ch === 'g') ['i', 'm', 'a', 'f', 'd', 'zicsr', 'zifencei'].forEach(add);
    else add(ch);
  }
  multis.forEach(add);
  // Put the single-letter ones first as the canonical order wants, keeping relative order.
  exts.sort((a, b) => Number(a.length > 1) - Number(b.length > 1));
  return { base: `rv${xlen}${singles[0] === 'e' ? 'e' : 'i'}`, extensions: exts };
}

/** Adds /cpus with one cpu@N per hart (hart id N) and /cpus/cpu-map (one cluster). */
export function addCpus(root: FdtNode, o: CpusOptions): HartHandles[] {
  if (!Number.isInteger(o.harts) || o.harts < 1) throw new FdtError(`harts must be >= 1, got ${o.harts}`);
  const { base, extensions } = parseIsa(o.isa);
  const cpus = root.child('cpus');
  // cpus.yaml: reg is the hart id, one cell, no size.
  cpus.prop('#address-cells', [1]).prop('#size-cells', [0]).prop('timebase-frequency', [o.timebaseFrequency]);
  const handles: HartHandles[] = [];
  for (let h = 0; h < o.harts; h++) {
    const cpu = cpus.child(`cpu@${h.toString(16)}`);
    const cpuPh = cpu.phandle();
    cpu
      .prop('device_type', 'cpu')
      .prop('reg', [h])
      .prop('status', 'okay')
      .prop('compatible', 'riscv')
      .prop('riscv,isa', o.isa)
      .prop('riscv,isa-base', base)
      .prop('riscv,isa-extensions', extensions)
      .prop('mmu-type', o.mmuType);
    // The hart-local interrupt controller that CLINT/PLIC reference by mip bit number.
    const intc = cpu.child('interrupt-controller');
    intc
      .prop('#interrupt-cells', [1])
      .prop('interrupt-controller')
      .prop('compatible', 'riscv,cpu-intc');
    handles.push({ cpu: cpuPh, intc: intc.phandle() });
  }
  // cpu-topology.txt: Linux wants a cpu-map to build its topology; one cluster of N cores.
  const cluster = cpus.child('cpu-map').child('cluster0');
  handles.forEach((hh, i) => cluster.child(`core${i}`).prop('cpu', [hh.cpu]));
  return handles;
}

export function addMemory(root: FdtNode, base: number, bytes: number): FdtNode {
  return root
    .child(`memory@${base.toString(16)}`)
    .prop('device_type', 'memory')
    .prop('reg', reg64(base, bytes));
}

export interface ChosenOptions {
  bootargs?: string;
  stdoutPath?: string;
  /** Physical [start, end) of the initrd image. */
  initrd?: { start: number; end: number };
  rngSeed?: Uint8Array;
}

/** Adds /chosen (chosen.yaml). */
export function addChosen(root: FdtNode, o: ChosenOptions): FdtNode {
  const chosen = root.child('chosen');
  if (o.bootargs !== undefined) chosen.prop('bootargs', o.bootargs);
  if (o.stdoutPath !== undefined) chosen.prop('stdout-path', o.stdoutPath);
  if (o.initrd !== undefined) {
    const { start, end } = o.initrd;
    if (!(end >= start)) throw new FdtError(`initrd end 0x${end.toString(16)} before start 0x${start.toString(16)}`);
    // QEMU 7.2 writes one cell; Linux reads either width, so widen only when needed.
    const wide = end > 0xffffffff;
    chosen.prop('linux,initrd-start', wide ? cells64(start) : [start]);
    chosen.prop('linux,initrd-end', wide ? cells64(end) : [end]);
  }
  if (o.rngSeed !== undefined) chosen.prop('rng-seed', o.rngSeed);
  return chosen;
}

export interface VirtDtOptions {
  /** Default VIRT_DRAM_BASE. */
  ramBase?: number;
  ramBytes: number;
  /** Default 1. Hart ids are 0..harts-1. */
  harts?: number;
  bootargs?: string;
  initrd?: { start: number; end: number };
  /** Default DEFAULT_ISA. */
  isa?: string;
  /** Default "riscv,sv39". */
  mmuType?: MmuType;
  /** Default VIRT_TIMEBASE_FREQ (10 MHz). */
  timebaseFrequency?: number;
  /** virtio-mmio slots to describe, 0..VIRT_VIRTIO_COUNT; default VIRT_VIRTIO_COUNT. */
  virtioSlots?: number;
  /** Bytes for /chosen/rng-seed (QEMU passes 32); omitted when undefined. */
  rngSeed?: Uint8Array;
}

export const DEFAULT_ISA = 'rv64imafdc_zicsr_zifencei_zicntr_sstc';

/** Builds the virt board's device tree as a node tree (callers may add nodes before toDtb). */
export function buildVirtTree(o: VirtDtOptions): FdtNode {
  const ramBase = o.ramBase ?? M.VIRT_DRAM_BASE;
  const harts = o.harts ?? 1;
  const slots = o.virtioSlots ?? M.VIRT_VIRTIO_COUNT;
  if (!Number.isInteger(slots) || slots < 0 || slots > M.VIRT_VIRTIO_COUNT) {
    throw new FdtError(`virtioSlots must be 0..${M.VIRT_VIRTIO_COUNT}, got ${slots}`);
  }

  const root = new FdtNode('');
  root
    .prop('#address-cells', [2])
    .prop('#size-cells', [2])
    .prop('compatible', 'riscv-virtio')
    .prop('model', 'riscv-virtio,qemu');

  addChosen(root, {
    bootargs: o.bootargs,
    stdoutPath: `/soc/serial@${M.VIRT_UART0_BASE.toString(16)}`,
    initrd: o.initrd,
    rngSeed: o.rngSeed,
  });
  addMemory(root, ramBase, o.ramBytes);
  const hh = addCpus(root, {
    harts,
    isa: o.isa ?? DEFAULT_ISA,
    mmuType: o.mmuType ?? 'riscv,sv39',
    timebaseFrequency: o.timebaseFrequency ?? M.VIRT_TIMEBASE_FREQ,
  });

  // Everything on the bus is identity-mapped: empty `ranges` (Devicetree spec §2.3.8).
  const soc = root.child('soc');
  soc.prop('#address-cells', [2]).prop('#size-cells', [2]).prop('compatible', 'simple-bus').prop('ranges');

  // CLINT: per hart, context 0 = M software (msip), context 1 = M timer.
  soc
    .child(`clint@${M.VIRT_CLINT_BASE.toString(16)}`)
    .prop('interrupts-extended', hh.flatMap((h) => [h.intc, M.IRQ_M_SOFT, h.intc, M.IRQ_M_TIMER]))
    .prop('reg', reg64(M.VIRT_CLINT_BASE, M.VIRT_CLINT_SIZE))
    .prop('compatible', ['sifive,clint0', 'riscv,clint0']);

  // PLIC: context 2h is hart h's M-mode external interrupt, 2h+1 its S-mode one.
  const plic = soc.child(`plic@${M.VIRT_PLIC_BASE.toString(16)}`);
  const plicPh = plic.phandle();
  plic
    .prop('riscv,ndev', [M.PLIC_NDEV])
    .prop('reg', reg64(M.VIRT_PLIC_BASE, M.VIRT_PLIC_SIZE))
    .prop('interrupts-extended', hh.flatMap((h) => [h.intc, M.IRQ_M_EXT, h.intc, M.IRQ_S_EXT]))
    .prop('interrupt-controller')
    .prop('compatible', ['sifive,plic-1.0.0', 'riscv,plic0'])
    .prop('#address-cells', [0])
    .prop('#interrupt-cells', [1]);

  for (let i = 0; i < slots; i++) {
    const base = M.VIRT_VIRTIO_BASE + i * M.VIRT_VIRTIO_STRIDE;
    soc
      .child(`virtio_mmio@${base.toString(16)}`)
      .prop('interrupts', [M.VIRTIO_IRQ + i])
      .prop('interrupt-parent', [plicPh])
      .prop('reg', reg64(base, M.VIRT_VIRTIO_SIZE))
      .prop('compatible', 'virtio,mmio');
  }

  soc
    .child(`serial@${M.VIRT_UART0_BASE.toString(16)}`)
    .prop('interrupts', [M.UART0_IRQ])
    .prop('interrupt-parent', [plicPh])
    .prop('clock-frequency', [M.VIRT_UART0_CLOCK])
    .prop('reg', reg64(M.VIRT_UART0_BASE, M.VIRT_UART0_SIZE))
    .prop('compatible', 'ns16550a');

  // The test device doubles as a syscon so generic poweroff/reboot drivers can drive it.
  const test = soc.child(`test@${M.VIRT_TEST_BASE.toString(16)}`);
  const testPh = test.phandle();
  test.prop('reg', reg64(M.VIRT_TEST_BASE, M.VIRT_TEST_SIZE)).prop('compatible', ['sifive,test1', 'sifive,test0', 'syscon']);

  soc
    .child(`rtc@${M.VIRT_RTC_BASE.toString(16)}`)
    .prop('interrupts', [M.RTC_IRQ])
    .prop('interrupt-parent', [plicPh])
    .prop('reg', reg64(M.VIRT_RTC_BASE, M.VIRT_RTC_SIZE))
    .prop('compatible', 'google,goldfish-rtc');

  for (const [name, value] of [
    ['poweroff', M.VIRT_TEST_POWEROFF],
    ['reboot', M.VIRT_TEST_REBOOT],
  ] as const) {
    root
      .child(name)
      .prop('value', [value])
      .prop('offset', [0])
      .prop('regmap', [testPh])
      .prop('compatible', `syscon-${name}`);
  }
  return root;
}

/** The virt board's DTB; the header's boot_cpuid_phys is hart 0. */
export function buildVirtDtb(o: VirtDtOptions): Uint8Array {
  return toDtb(buildVirtTree(o), 0);
}
