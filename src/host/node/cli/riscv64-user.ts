/**
 * tsvm-riscv64: user-mode emulation with qemu-riscv64's command line.
 *   tsvm-riscv64 [-L SYSROOT] [-E VAR=VAL] [-U VAR] [-0 ARGV0] [-cpu MODEL] [-strace] [-d ITEMS] PROGRAM [ARGS...]
 */
import { Kernel } from '../../../core/linux-user/kernel.js';
import { ExecError } from '../../../core/linux-user/proc.js';
import { resolvePath } from '../../../core/linux-user/paths.js';
import { NodeLinuxHost } from '../linux-user/host-node.js';
import { ConfigError } from '../../../core/machine/types.js';
import type { JitMode } from '../../../core/accel/tcg/tcg.js';
import { jitFromEnv } from './options.js';
import { tuneV8ForTranslator } from '../v8-tuning.js';

export const PROG = 'tsvm-riscv64';
const VERSION = '0.1.0';

const USAGE = `usage: ${PROG} [options] program [arguments...]
Linux riscv64 user-mode emulation (qemu-riscv64 options)

Options and associated environment variables:

Argument             Env-variable      Description
-h                                     print this help
-L path              QEMU_LD_PREFIX    set the elf interpreter prefix to 'path' (also TSVM_LD_PREFIX)
-E var=value         QEMU_SET_ENV      sets targets environment variable (see below)
-U var               QEMU_UNSET_ENV    unsets targets environment variable (see below)
-0 argv0             QEMU_ARGV0        forces target process argv[0] to be 'argv0'
-cpu model           QEMU_CPU          select CPU (rv64, max; 'help' for list)
-d item[,...]        QEMU_LOG          enable logging of specified items ('help' for list)
-strace              QEMU_STRACE       log system calls
-version             QEMU_VERSION      display version information and exit
`;

export interface UserOptions {
  sysroot?: string;
  setEnv: string[];
  unsetEnv: string[];
  argv0?: string;
  strace: boolean;
  log: string[];
  program: string;
  args: string[];
}

class UsageError extends Error {}

/** Parses options up to the program name (QEMU stops at the first non-option). */
export function parseUserArgs(argv: readonly string[], env: NodeJS.ProcessEnv): UserOptions | 'help' | 'version' {
  const o: UserOptions = {
    sysroot: env.TSVM_LD_PREFIX ?? env.QEMU_LD_PREFIX, setEnv: [], unsetEnv: [], strace: !!env.QEMU_STRACE,
    log: [], program: '', args: [], argv0: env.QEMU_ARGV0,
  };
  if (env.QEMU_SET_ENV) o.setEnv.push(...env.QEMU_SET_ENV.split(','));
  if (env.QEMU_UNSET_ENV) o.unsetEnv.push(...env.QEMU_UNSET_ENV.split(','));
  let i = 0;
  const val = (name: string): string => {
    if (i + 1 >= argv.length) throw new UsageError(`qemu: missing argument for option '${name}'`.replace('qemu', PROG));
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) break;
    const name = a.replace(/^--?/, '');
    if (a === '--') { i++; break; }
    switch (name) {
      case 'h': case 'help': return 'help';
      case 'version': return 'version';
      case 'L': o.sysroot = val(a); break;
      case 'E': o.setEnv.push(...val(a).split(',')); break;
      case 'U': o.unsetEnv.push(...val(a).split(',')); break;
      case '0': o.argv0 = val(a); break;
      case 'cpu': {
        const m = val(a);
        if (m === 'help') throw new UsageError('Available CPUs:\n  rv64\n  max');
        if (!/^(rv64|max|any)(,.*)?$/.test(m)) throw new UsageError(`${PROG}: unable to find CPU model '${m}'`);
        break;
      }
      case 'strace': o.strace = true; break;
      case 'd': {
        const items = val(a);
        if (items === 'help') throw new UsageError('Log items (comma separated):\nstrace     log system calls\nunimp      log unimplemented functionality');
        o.log.push(...items.split(','));
        if (o.log.includes('strace')) o.strace = true;
        break;
      }
      case 'D': case 's': case 'B': case 'R': case 'seed': val(a); break;
      case 'one-insn-per-tb': case 'singlestep': case 'p': case 'g': break;
      default: throw new UsageError(`${PROG}: unknown option '${name}'`);
    }
  }
  if (i >= argv.length) throw new UsageError(`${PROG}: no user program specified`);
  o.program = argv[i];
  o.args = argv.slice(i + 1);
  return o;
}

/** The guest environment: the host's, edited by -E and -U (as QEMU does). */
export function guestEnv(o: UserOptions, env: NodeJS.ProcessEnv): string[] {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(env)) if (v !== undefined) m.set(k, v);
  for (const u of o.unsetEnv) m.delete(u);
  for (const s of o.setEnv) {
    const eq = s.indexOf('=');
    if (eq > 0) m.set(s.slice(0, eq), s.slice(eq + 1));
  }
  return [...m].map(([k, v]) => `${k}=${v}`);
}

export function main(argv: readonly string[] = process.argv.slice(2)): never {
  let o: ReturnType<typeof parseUserArgs>;
  try {
    o = parseUserArgs(argv, process.env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(e.message + '\n');
      process.exit(1);
    }
    throw e;
  }
  if (o === 'help') { process.stdout.write(USAGE); process.exit(0); }
  if (o === 'version') {
    process.stdout.write(`${PROG} version ${VERSION}\nCopyright (c) the tsvm developers\n`);
    process.exit(0);
  }
  const host = new NodeLinuxHost();
  const ramMiB = Number(process.env.TSVM_USER_RAM_MB ?? 1024);
  const cwd = process.cwd();
  let jit: JitMode;
  try {
    jit = jitFromEnv();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    host.log(`${PROG}: ${e.message}`);
    process.exit(1);
  }
  if (jit !== 'off') tuneV8ForTranslator();
  const k = new Kernel({ host, ramBytes: ramMiB * 1024 * 1024, sysroot: o.sysroot, strace: o.strace, cwd, pid: process.pid, jit });
  try {
    k.start(resolvePath(cwd, o.program), [o.argv0 ?? o.program, ...o.args], guestEnv(o, process.env));
  } catch (e) {
    if (e instanceof ExecError) {
      host.log(`${PROG}: ${e.message.startsWith('Could not') ? e.message : o.program + e.message.slice(e.message.indexOf(':'))}`);
      process.exit(1);
    }
    throw e;
  }
  return k.run();
}
