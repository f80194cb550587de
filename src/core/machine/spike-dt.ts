/**
 * Device tree of QEMU 7.2's riscv `spike` board (hw/riscv/spike.c): harts, RAM, CLINT and the
 * HTIF host interface (binding "ucb,htif0"), which also serves as the console.
 */
import { FdtNode, reg64, toDtb } from './fdt.js';
import { DEFAULT_ISA, addChosen, addCpus, addMemory, type MmuType } from './virt-dt.js';
import * as M from './virt-map.js';

/** Where QEMU's spike maps HTIF when the loaded ELF has no tohost/fromhost symbols. */
export const SPIKE_HTIF_BASE = 0x1000000;
export const SPIKE_HTIF_SIZE = 0x1000;

export interface SpikeDtOptions {
  /** Default VIRT_DRAM_BASE (0x80000000, same as virt). */
  ramBase?: number;
  ramBytes: number;
  harts?: number;
  bootargs?: string;
  initrd?: { start: number; end: number };
  isa?: string;
  mmuType?: MmuType;
  timebaseFrequency?: number;
  /** HTIF register base for /htif `reg`; null omits `reg` (HTIF found via ELF symbols). Default SPIKE_HTIF_BASE. */
  htifBase?: number | null;
}

export function buildSpikeTree(o: SpikeDtOptions): FdtNode {
  const root = new FdtNode('');
  root
    .prop('#address-cells', [2])
    .prop('#size-cells', [2])
    .prop('compatible', 'ucbbar,spike-bare-dev')
    .prop('model', 'ucbbar,spike-bare,qemu');
  addChosen(root, { bootargs: o.bootargs, stdoutPath: '/htif', initrd: o.initrd });
  addMemory(root, o.ramBase ?? M.VIRT_DRAM_BASE, o.ramBytes);
  const hh = addCpus(root, {
    harts: o.harts ?? 1,
    isa: o.isa ?? DEFAULT_ISA,
    mmuType: o.mmuType ?? 'riscv,sv39',
    timebaseFrequency: o.timebaseFrequency ?? M.VIRT_TIMEBASE_FREQ,
  });
  const soc = root.child('soc');
  soc.prop('#address-cells', [2]).prop('#size-cells', [2]).prop('compatible', 'simple-bus').prop('ranges');
  soc
    .child(`clint@${M.VIRT_CLINT_BASE.toString(16)}`)
    .prop('interrupts-extended', hh.flatMap((h) => [h.intc, M.IRQ_M_SOFT, h.intc, M.IRQ_M_TIMER]))
    .prop('reg', reg64(M.VIRT_CLINT_BASE, M.VIRT_CLINT_SIZE))
    .prop('compatible', ['sifive,clint0', 'riscv,clint0']);
  const htif = root.child('htif');
  const htifBase = o.htifBase === undefined ? SPIKE_HTIF_BASE : o.htifBase;
  if (htifBase !== null) htif.prop('reg', reg64(htifBase, SPIKE_HTIF_SIZE));
  htif.prop('compatible', 'ucb,htif0');
  return root;
}

export function buildSpikeDtb(o: SpikeDtOptions): Uint8Array {
  return toDtb(buildSpikeTree(o), 0);
}
