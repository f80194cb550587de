/**
 * Helpers shared by the tsvm-img commands: option parsing in qemu-img's style, sizes with
 * suffixes, qemu's human-readable sizes, and a usage error type.
 */
import { BlockError } from '../../../core/block/block-driver.js';

/** A bad command line: one line on stderr, exit status 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Parsed {
  opts: Map<string, string | true>;
  /** -o values, possibly repeated, joined with ','. */
  o: string[];
  args: string[];
}

/**
 * Splits argv into options and positional arguments. `withValue` lists the options that take a
 * value ("-f", "--output", ...); "--output=json" and "-fqcow2" are accepted too.
 */
export function parseArgs(argv: string[], withValue: string[], flags: string[]): Parsed {
  const p: Parsed = { opts: new Map(), o: [], args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      p.args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      p.args.push(a);
      continue;
    }
    let name = a;
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      name = a.slice(0, eq);
      value = a.slice(eq + 1);
    } else if (!a.startsWith('--') && a.length > 2 && withValue.includes(a.slice(0, 2))) {
      name = a.slice(0, 2);
      value = a.slice(2);
    }
    if (withValue.includes(name)) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`option '${name}' requires an argument`);
        value = argv[++i];
      }
      if (name === '-o') p.o.push(value);
      else p.opts.set(name, value);
    } else if (flags.includes(name) && value === undefined) {
      p.opts.set(name, true);
    } else {
      throw new UsageError(`invalid option -- '${name.replace(/^-+/, '')}'`);
    }
  }
  return p;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.opts.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** "key=value,key2=value2" from -o, as a map (a bare key means "on"). */
export function parseO(o: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of o.join(',').split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    m.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? 'on' : part.slice(eq + 1));
  }
  return m;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** A size as qemu-img takes it: bytes, or a number with a k/M/G/T/P/E suffix (binary units). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtpe]?)$/i.exec(s.trim());
  const n = m ? Number(m[1]) * UNITS[m[2].toLowerCase()] : NaN;
  if (!m || !Number.isSafeInteger(Math.round(n)) || (m[2] === '' && m[1].includes('.'))) {
    throw new UsageError('Invalid image size specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.');
  }
  return Math.round(n);
}

/** qemu's size_to_str: three significant digits, binary units, switching up at 1000. */
export function humanSize(bytes: number): string {
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = 0;
  while (i < suffixes.length - 1 && bytes / 2 ** (10 * i) >= 1000) i++;
  return `${Number((bytes / 2 ** (10 * i)).toPrecision(3))} ${suffixes[i]}B`;
}

/**
 * printf("%0.2f") as C does it: toFixed rounds exact ties up, glibc rounds them to even. An exact
 * tie at the third decimal is only representable as a multiple of 1/8 (x.125, x.375, ...).
 */
export function cFixed2(d: number): string {
  const h = d * 100;
  if (Number.isInteger(d * 8) && !Number.isInteger(h) && Number.isInteger(h * 2)) {
    const down = Math.floor(h);
    return ((down % 2 === 0 ? down : down + 1) / 100).toFixed(2);
  }
  return d.toFixed(2);
}

/** How qemu-img shows an error: the message, without our internal error-class names. */
export function errorText(e: unknown): string {
  if (e instanceof BlockError || e instanceof UsageError) return e.message;
  const err = e as NodeJS.ErrnoException;
  return err?.message ?? String(e);
}

/** qemu-img's progress line, "    (NN.NN/100%)\r" (on stdout, as qemu-img writes it). */
export class Progress {
  private last = -1;

  constructor(private readonly enabled: boolean, private readonly out: (s: string) => void) {
    this.show(0);
  }

  show(percent: number): void {
    if (!this.enabled || (percent - this.last < 1 && percent < 100 && this.last >= 0)) return;
    this.last = percent;
    this.out(`    (${percent.toFixed(2)}/100%)\r`);
  }

  done(): void {
    if (!this.enabled) return;
    this.show(100);
    this.out('\n');
  }
}
