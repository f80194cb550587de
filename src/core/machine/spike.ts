/**
 * QEMU's `spike` board as used by the official riscv-tests: DRAM at 0x8000_0000, a CLINT, and the
 * HTIF host interface found through the ELF's `tohost`/`fromhost` symbols (Berkeley HTIF: a 64-bit
 * command word, device in bits 63:56, command in 55:48, payload below).
 */
import { Aclint } from '../hw/intc/aclint.js';
import { buildSpikeDtb } from './spike-dt.js';
import * as M from './virt-map.js';
import { fdtAddress, loadKernel, type Placed } from './boot.js';
import type { Board, BoardContext } from './machine.js';
import { Sbi } from '../firmware/sbi.js';
import { Priv } from '../target/riscv/state.js';
import { MIP_SEIP, MIP_SSIP, MIP_STIP } from '../target/riscv/csr-defs.js';
import { ConfigError } from './types.js';

export function buildSpike(ctx: BoardContext): Board {
  const { cfg, host, cpu, bus, ram, clock } = ctx;
  const aclint = new Aclint([cpu], clock, { warn: (m) => host.warn(m) });
  bus.map(M.VIRT_CLINT_BASE, aclint);
  cpu.time = () => aclint.mtime();
  if (!cfg.kernel) throw new ConfigError('-M spike needs -kernel FILE');
  const builtin = cfg.bios === 'builtin';
  if (builtin) {
    const sbi = new Sbi(host.serial, (kind) => ctx.exit({ code: 0, reason: kind }));
    cpu.env.sbiCall = (c) => sbi.call(c);
  }
  if (cfg.bios instanceof Uint8Array) throw new ConfigError('-M spike: -bios FILE is not supported; use -bios none');
  const kernelStart = builtin ? ram.base + 0x200000 : ram.base;
  let kernel: Placed & { symbols?: Map<string, number> } = loadKernel(ram, cfg.kernel, kernelStart);
  const tohost = kernel.symbols?.get('tohost');
  const fromhost = kernel.symbols?.get('fromhost');
  const dtb = buildSpikeDtb({ ramBytes: cfg.ramBytes, harts: 1, bootargs: cfg.append, htifBase: null });
  const fdtAddr = fdtAddress(ram, dtb.length);
  const out = new Uint8Array(1);
  const ramOff = (pa: number): number => pa - ram.base;
  const dv = new DataView(ram.bytes.buffer, ram.bytes.byteOffset, ram.bytes.byteLength);

  const afterSlice = (): void => {
    if (tohost === undefined || !ram.bytes || tohost < ram.base || tohost + 8 > ram.end) return;
    const lo = dv.getUint32(ramOff(tohost), true);
    const hi = dv.getUint32(ramOff(tohost) + 4, true);
    if (lo === 0 && hi === 0) return;
    const dev = hi >>> 24;
    const cmd = (hi >>> 16) & 0xff;
    if (dev === 0 && cmd === 0 && (lo & 1)) {
      // riscv-tests: 1 = pass, (n << 1) | 1 = test n failed.
      const code = (hi & 0xffff) * 2 ** 31 + (lo >>> 1);
      ctx.exit(code === 0 ? { code: 0, reason: 'poweroff' } : { code: Math.min(code, 255) || 1, reason: 'fail', message: `test failed: ${code}` });
      return;
    }
    if (dev === 1 && cmd === 1) {
      out[0] = lo & 0xff;
      host.serial.write(out);
      dv.setUint32(ramOff(tohost), 0, true);
      dv.setUint32(ramOff(tohost) + 4, 0, true);
      if (fromhost !== undefined) {
        dv.setUint32(ramOff(fromhost), 1, true);
        dv.setUint32(ramOff(fromhost) + 4, (1 << 24) | (1 << 16), true);
      }
      return;
    }
    host.warn(`HTIF: unsupported command device ${dev} cmd ${cmd}`);
    dv.setUint32(ramOff(tohost), 0, true);
    dv.setUint32(ramOff(tohost) + 4, 0, true);
  };

  return {
    dtb,
    timed: [aclint],
    afterSlice,
    boot: () => {
      kernel = loadKernel(ram, cfg.kernel!, kernelStart);
      ram.put(fdtAddr, dtb, 'device tree');
      cpu.reset(kernel.entry, 0);
      if (builtin) {
        cpu.priv = Priv.S;
        cpu.mideleg = MIP_SSIP | MIP_STIP | MIP_SEIP;
        cpu.medeleg = 0xb1ff;
        cpu.mcounteren = 7;
        cpu.scounteren = 7;
        cpu.menvcfgHi = 0x80000000 | 0;
        cpu.updateMode();
      }
      cpu.x[20] = 0;
      cpu.x[22] = fdtAddr;
    },
  };
}
