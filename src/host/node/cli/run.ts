/**
 * Shared front-end driver: QEMU-style arguments → machine → run → process exit code.
 * Every user error ends as one line `PROG: MESSAGE` on stderr and exit status 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ExitStatus } from '../../../core/machine/types.js';
import type { Machine } from '../../../core/machine/machine.js';
import { NodeHost } from '../host.js';
import { restoreTerminals } from '../console.js';
import { describeFsError, loadConfigDeferred, parseArgs } from './options.js';
import { openDevices, type OpenedDevices } from './devices.js';
import { tuneV8ForTranslator } from '../v8-tuning.js';

let cachedRoot: string | undefined;

/** The package root: the nearest directory above this module with tsvm's package.json. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'tsvm') return (cachedRoot = dir);
      } catch {
        // not ours
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Fallback: dist/src/host/node/cli → five levels up.
  return (cachedRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..'));
}

export function packageVersion(): string {
  try {
    return String(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}

/** Writes to stdout and resolves once it has been taken (so process.exit loses nothing). */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    try {
      process.stdout.write(text, () => resolve());
    } catch {
      resolve();
    }
  });
}

function errorLine(prog: string, err: unknown): string {
  if (err instanceof ConfigError) return `${prog}: ${err.message.split('\n')[0]}\n`;
  if (err && typeof err === 'object' && 'code' in err && 'syscall' in err) {
    return `${prog}: ${describeFsError(err)}\n`;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return `${prog}: internal error: ${e.stack ?? e.message}\n`;
}

let handlersInstalled = false;

/** Last-resort handlers: restore the terminal, print one line, exit 1. */
function installProcessHandlers(prog: string): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const fatal = (err: unknown): void => {
    restoreTerminals();
    try {
      process.stderr.write(errorLine(prog, err));
    } finally {
      process.exit(1);
    }
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  // A closed stdout (e.g. `| head`) must not crash the emulator.
  process.stdout.on('error', () => {});
}

export interface RunOptions {
  /** Program name for messages. */
  prog: string;
  /** Called after the configuration was loaded, just before the machine starts. */
  beforeRun?(): void;
}

/**
 * Parses QEMU-style `argv`, builds and runs the machine. Resolves with the process exit code; does
 * not call process.exit (the caller does, after this resolves).
 */
export async function runSystem(argv: readonly string[], opts: RunOptions): Promise<number> {
  const { prog } = opts;
  installProcessHandlers(prog);
  let host: NodeHost | undefined;
  let devices: OpenedDevices | undefined;
  try {
    const parsed = parseArgs(argv, prog, packageVersion());
    if (parsed.action === 'print') {
      await writeStdout(parsed.text);
      return 0;
    }
    const { config, frontend, kernel } = loadConfigDeferred(parsed.options);
    const { createMachine, prepareMachines } = await import('../../../core/machine/machine.js');
    tuneV8ForTranslator();

    let machine: Machine | undefined;
    let stopped: ExitStatus | undefined;
    const stop = (status: ExitStatus): void => {
      if (machine) machine.stop(status);
      else stopped ??= status;
    };
    host = new NodeHost({
      prog,
      serial: frontend.serial,
      onQuit: () => stop({ code: 0, reason: 'quit' }),
      onInterrupt: () => {
        process.stderr.write(`\r\n${prog}: terminating on signal 2\r\n`);
        stop({ code: 0, reason: 'quit' });
      },
    });
    // Disks and chardevs: flushed and closed in the finally below, whatever ends the run.
    devices = await openDevices(parsed.options, {
      onQuit: () => stop({ code: 0, reason: 'quit' }),
      warn: (m) => host?.warn(m),
    });
    config.virtio = devices.virtio;
    prepareMachines(); // while the kernel inflates
    config.kernel = await kernel;
    machine = createMachine(config, host);

    if (frontend.dumpDtb !== undefined) {
      try {
        writeFileSync(frontend.dumpDtb, machine.dtb());
      } catch (err) {
        throw new ConfigError(`could not write dtb '${frontend.dumpDtb}': ${describeFsError(err)}`);
      }
      process.stderr.write(`${prog}: info: dtb dumped to ${frontend.dumpDtb}. Exiting.\n`);
      return 0;
    }

    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const onSignal = (sig: NodeJS.Signals): void => {
      const num = sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1;
      restoreTerminals();
      process.stderr.write(`${prog}: terminating on signal ${num}\n`);
      stop({ code: 0, reason: 'quit' });
      // If the machine does not come back to the event loop soon, leave anyway.
      setTimeout(() => process.exit(0), 2000).unref();
    };
    for (const s of signals) process.on(s, onSignal);

    opts.beforeRun?.();
    host.start();
    devices.start();
    const status = stopped ?? (await machine.run());
    if (process.env.TSVM_STATS) process.stderr.write(`tsvm: ${JSON.stringify(machine.stats())}\n`);
    host.close();
    await host.flush();
    for (const s of signals) process.removeListener(s, onSignal);
    if (status.message && status.reason !== 'poweroff' && status.reason !== 'quit') {
      process.stderr.write(`${prog}: ${status.message}\n`);
    }
    return status.code;
  } catch (err) {
    if (host) {
      host.close();
      await host.flush();
    }
    restoreTerminals();
    process.stderr.write(errorLine(prog, err));
    return 1;
  } finally {
    await devices?.close();
  }
}

/** Runs `main` and exits the process with its code once stdout has been flushed. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    async (code) => {
      restoreTerminals();
      await writeStdout('');
      process.exit(code);
    },
    (err) => {
      restoreTerminals();
      process.stderr.write(`internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
