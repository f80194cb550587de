/**
 * tsvm: the friendly front end. Without arguments it boots the default riscv64 guest shipped in
 * images/riscv64/. Its own options are --memory, --kernel, --initrd, --append, --help and
 * --version; every other argument is handed to the QEMU-style parser (so `tsvm -m 512M` works).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../core/machine/types.js';
import { packageRoot, packageVersion, runMain, runSystem, writeStdout } from './run.js';
import { versionText } from './options.js';

export const PROG = 'tsvm';
export const DEFAULT_MEMORY = '256M';
export const DEFAULT_APPEND = 'console=ttyS0';
export const HINT = 'tsvm: booting the default riscv64 guest (Ctrl-A x to quit)';

export function defaultKernel(): string {
  return join(packageRoot(), 'images', 'riscv64', 'Image.gz');
}

export function defaultInitrd(): string {
  return join(packageRoot(), 'images', 'riscv64', 'initramfs.cpio.gz');
}

export function usage(): string {
  return [
    `usage: tsvm [options] [qemu-system-riscv64 options]`,
    '',
    'Boots a RISC-V 64 Linux guest on an emulated QEMU virt board. Without options it boots the',
    'default guest (images/riscv64/Image.gz with images/riscv64/initramfs.cpio.gz).',
    '',
    'Options:',
    `  --memory SIZE   guest RAM (default ${DEFAULT_MEMORY}; plain numbers are MiB, suffixes K, M, G)`,
    '  --kernel FILE   boot this kernel (raw Image, ELF, or gzip-compressed) instead of the default',
    '  --initrd FILE   initial RAM disk (default: the bundled initramfs with the default kernel)',
    `  --append STR    kernel command line (default "${DEFAULT_APPEND}")`,
    '  --disk FILE     attach a disk image (raw or qcow2) as a virtio disk (/dev/vda); repeatable',
    '  (the guest gets a virtio-net card on user-mode networking, as -nic user; -nic none removes it)',
    '  --help          show this help',
    '  --version       show the version',
    '',
    'Any other option is a qemu-system-riscv64 option (see tsvm-system-riscv64 -help), e.g.',
    '  tsvm -m 512M -no-reboot',
    '',
    'On the console, Ctrl-A x quits and Ctrl-A h lists the other escape commands.',
    '',
  ].join('\n');
}

export type FrontPlan =
  | { action: 'print'; text: string }
  | { action: 'run'; argv: string[]; defaultGuest: boolean };

/** Turns tsvm's arguments into QEMU-style arguments. Throws ConfigError on bad usage. */
export function planArgs(args: readonly string[]): FrontPlan {
  let memory: string | undefined;
  let kernel: string | undefined;
  let initrd: string | undefined;
  let append: string | undefined;
  const rest: string[] = [];
  const disks: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq >= 0 ? a.slice(0, eq) : a;
    const takeValue = (): string => {
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= args.length) throw new ConfigError(`${name}: requires an argument`);
      return args[++i];
    };
    switch (name) {
      case '--help':
        return { action: 'print', text: usage() };
      case '--version':
        return { action: 'print', text: versionText(packageVersion()) };
      case '--memory':
        memory = takeValue();
        break;
      case '--kernel':
        kernel = takeValue();
        break;
      case '--initrd':
        initrd = takeValue();
        break;
      case '--append':
        append = takeValue();
        break;
      case '--disk':
        disks.push(takeValue());
        break;
      default:
        rest.push(a);
    }
  }
  // A kernel given QEMU-style (-kernel FILE) also replaces the default guest.
  const restHasKernel = rest.some((a) => a === '-kernel' || a === '--kernel');
  const defaultGuest = kernel === undefined && !restHasKernel;
  const argv: string[] = ['-machine', 'virt', '-m', memory ?? DEFAULT_MEMORY, '-nographic'];
  if (defaultGuest) {
    argv.push('-kernel', defaultKernel());
    argv.push('-initrd', initrd ?? defaultInitrd());
  } else {
    if (kernel !== undefined) argv.push('-kernel', kernel);
    if (initrd !== undefined) argv.push('-initrd', initrd);
  }
  if (append !== undefined || kernel !== undefined || defaultGuest) argv.push('-append', append ?? DEFAULT_APPEND);
  for (const d of disks) argv.push('-drive', `file=${d.replace(/,/g, ',,')},if=virtio,format=${diskFormat(d)}`);
  // As QEMU, a network card with user-mode networking unless the command line configures networking
  // (-nic none: no card) or picks another board.
  if (!rest.some((a) => /^--?(nic|netdev|net|M|machine)$/.test(a))) argv.push('-nic', 'user');
  // QEMU-style options come last so they win (-m 512M after the default -m).
  argv.push(...rest);
  return { action: 'run', argv, defaultGuest };
}

export async function main(args: readonly string[] = process.argv.slice(2)): Promise<number> {
  let plan: FrontPlan;
  try {
    plan = planArgs(args);
  } catch (err) {
    process.stderr.write(`${PROG}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (plan.action === 'print') {
    await writeStdout(plan.text);
    return 0;
  }
  const { argv, defaultGuest } = plan;
  return runSystem(argv, {
    prog: PROG,
    beforeRun: () => {
      if (defaultGuest) process.stderr.write(`${HINT}\n`);
    },
  });
}

/** Entry point used by bin/tsvm.js. */
export function start(): void {
  runMain(() => main());
}

/** The friendly front end names the format itself (no probing warning): qcow2 by its magic, else raw. */
export function diskFormat(path: string): 'raw' | 'qcow2' {
  const head = Buffer.alloc(4);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return 'raw'; // the open error is reported when the drive is opened
  }
  return head.readUInt32BE(0) === 0x514649fb ? 'qcow2' : 'raw';
}
