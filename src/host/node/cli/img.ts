/**
 * tsvm-img: disk image tool with qemu-img's command line for raw and qcow2 images: create, info,
 * check, convert, resize. Bad input gets one line on stderr and exit status 1.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { BlockError } from '../../../core/block/block-driver.js';
import { readFull } from '../../../core/block/block-file.js';
import { checkFormat, probeFormat, type ImageFormat } from '../../../core/block/open.js';
import { createQcow2, type Qcow2CreateOptions } from '../../../core/block/qcow2/create.js';
import { COMPAT_LAZY_REFCOUNTS, INCOMPAT_CORRUPT, INCOMPAT_DIRTY, parseHeader } from '../../../core/block/qcow2/header.js';
import { openChain } from '../block/drive.js';
import { NodeBlockFile } from '../block/file.js';
import { cmdCheck, cmdConvert, cmdResize } from './img-ops.js';
import { errorText, humanSize, parseArgs, parseO, parseSize, str, UsageError } from './img-util.js';

export const PROG = 'tsvm-img';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const USAGE = `usage: tsvm-img COMMAND [options]
Commands (qemu-img syntax, formats raw and qcow2):
  create [-f fmt] [-b backing_file -F backing_fmt] [-o cluster_size=N,compat=0.10|1.1,...] FILE [SIZE]
  info [-f fmt] [--output=human|json] FILE
  check [-f fmt] [--output=human|json] FILE
  convert [-f fmt] [-O output_fmt] [-o options] [-p] IN OUT
  resize [-f fmt] [--shrink] FILE [+|-]SIZE
`;

/** Runs one command; returns the exit status. */
export async function imgMain(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'create': return await cmdCreate(rest, io);
      case 'info': return await cmdInfo(rest, io);
      case 'check': return await cmdCheck(rest, io);
      case 'convert': return await cmdConvert(rest, io);
      case 'resize': return await cmdResize(rest, io);
      case '-h': case '--help': case 'help': io.out(USAGE); return 0;
      case '-V': case '--version': io.out(`${PROG} version 0.1.0 (qemu-img compatible subset)\n`); return 0;
      case undefined: throw new UsageError("Not enough arguments (try 'tsvm-img --help')");
      default: throw new UsageError(`Command not found: ${cmd}`);
    }
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof BlockError || (e as NodeJS.ErrnoException)?.code)) {
      io.err(`${PROG}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      return 1;
    }
    io.err(`${PROG}: ${errorText(e).split('\n')[0]}\n`);
    return 1;
  }
}

export function start(): void {
  const io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
  imgMain(process.argv.slice(2), io).then((code) => { process.exitCode = code; });
}

/** The qcow2 creation options from -o (qemu-img's names), with qemu-img's defaults. */
export function qcow2Options(o: Map<string, string>, size: number): Qcow2CreateOptions {
  const known = ['cluster_size', 'compat', 'lazy_refcounts', 'refcount_bits', 'backing_file', 'backing_fmt', 'size'];
  for (const k of o.keys()) if (!known.includes(k)) throw new UsageError(`Invalid parameter '${k}'`);
  const compat = o.get('compat') ?? '1.1';
  if (!['0.10', 'v2', '1.1', 'v3'].includes(compat)) throw new UsageError(`Invalid parameter value for 'compat': '${compat}'`);
  const onOff = (k: string) => {
    const v = o.get(k) ?? 'off';
    if (!['on', 'off'].includes(v)) throw new UsageError(`Parameter '${k}' expects 'on' or 'off'`);
    return v === 'on';
  };
  return {
    size,
    version: compat === '0.10' || compat === 'v2' ? 2 : 3,
    clusterSize: o.has('cluster_size') ? parseSize(o.get('cluster_size')!) : 65536,
    refcountBits: o.has('refcount_bits') ? Number(o.get('refcount_bits')) : 16,
    lazyRefcounts: onOff('lazy_refcounts'),
    backingFile: o.get('backing_file'),
    backingFormat: o.get('backing_fmt'),
  };
}

/** Creates an image file (used by create and convert). */
export async function createImage(path: string, fmt: ImageFormat, q: Qcow2CreateOptions): Promise<void> {
  const file = await NodeBlockFile.open(path, { create: true });
  try {
    if (fmt === 'qcow2') await createQcow2(file, q);
    else {
      await file.truncate(q.size);
      await file.sync();
    }
  } finally {
    await file.close();
  }
}

async function cmdCreate(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, ['-f', '-b', '-F', '-o'], ['-q', '-u']);
  const [file, sizeArg, extra] = p.args;
  if (!file || extra !== undefined) throw new UsageError('Expecting image file name');
  const fmt = checkFormat(str(p, '-f') ?? 'raw');
  const o = parseO(p.o);
  const backing = str(p, '-b') ?? o.get('backing_file');
  const backingFmt = str(p, '-F') ?? o.get('backing_fmt');
  let size = sizeArg !== undefined ? parseSize(sizeArg) : o.has('size') ? parseSize(o.get('size')!) : undefined;
  if (backing !== undefined) {
    if (fmt !== 'qcow2') throw new UsageError(`${file}: Backing file not supported for file format '${fmt}'`);
    const bpath = isAbsolute(backing) ? backing : resolve(dirname(file), backing);
    if (backingFmt === undefined) {
      const f = await NodeBlockFile.open(bpath, { readOnly: true }).catch(() => undefined);
      const guess = f ? await probeFormat(f).finally(() => f.close()) : undefined;
      throw new UsageError(`${file}: Backing file specified without backing format${guess ? ` (detected format of ${guess})` : ''}`);
    }
    checkFormat(backingFmt);
    if (!p.opts.has('-u') || size === undefined) {
      const b = await openChain(bpath, { format: backingFmt, readOnly: true }).catch((e) => {
        throw new BlockError(`${file}: ${errorText(e)}; could not open backing image`);
      });
      size ??= b.driver.size;
      await b.driver.close();
    }
  }
  if (size === undefined) throw new UsageError(`${file}: Image creation needs a size parameter`);
  const q = qcow2Options(new Map([...o, ...(backing !== undefined ? [['backing_file', backing], ['backing_fmt', backingFmt!]] : [])] as [string, string][]), size);
  if (!p.opts.has('-q')) {
    let line = `Formatting '${file}', fmt=${fmt}`;
    if (fmt === 'qcow2') {
      line += ` cluster_size=${q.clusterSize} extended_l2=off compression_type=zlib size=${size}`;
      if (q.version === 2) line += ' compat=0.10';
      if (backing !== undefined) line += ` backing_file=${backing} backing_fmt=${backingFmt}`;
      line += ` lazy_refcounts=${q.lazyRefcounts ? 'on' : 'off'} refcount_bits=${q.refcountBits}`;
    } else line += ` size=${size}`;
    io.out(line + '\n');
  }
  await createImage(file, fmt, q);
  return 0;
}

/** qemu's path_combine: a relative backing name is taken relative to the image's directory. */
function fullBackingName(image: string, backing: string): string {
  if (isAbsolute(backing)) return backing;
  const slash = image.lastIndexOf('/');
  return slash < 0 ? backing : image.slice(0, slash + 1) + backing;
}

async function cmdInfo(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, ['-f', '--output'], ['-U', '--force-share', '--backing-chain']);
  const [path, extra] = p.args;
  if (!path || extra !== undefined) throw new UsageError('Expecting one image file name');
  const output = str(p, '--output') ?? 'human';
  if (output !== 'human' && output !== 'json') throw new UsageError(`--output must be used with human or json as argument.`);
  const file = await NodeBlockFile.open(path, { readOnly: true });
  const info: Record<string, unknown> = {};
  const human: string[] = [`image: ${path}`];
  try {
    const fmt = str(p, '-f') !== undefined ? checkFormat(str(p, '-f')!) : await probeFormat(file);
    const fileSize = await file.size();
    const actual = (await stat(path)).blocks * 512;
    if (fmt === 'raw') {
      Object.assign(info, { 'virtual-size': fileSize, filename: path, format: 'raw', 'actual-size': actual, 'dirty-flag': false });
      human.push('file format: raw', `virtual size: ${humanSize(fileSize)} (${fileSize} bytes)`, `disk size: ${humanSize(actual)}`);
    } else {
      const first = new Uint8Array(Math.min(fileSize, 2 << 20));
      await readFull(file, 0, first);
      const h = parseHeader(first, fileSize, path);
      const cs = 2 ** h.clusterBits;
      const data: Record<string, unknown> = { compat: h.version === 2 ? '0.10' : '1.1', 'compression-type': 'zlib' };
      if (h.version === 3) data['lazy-refcounts'] = (h.compatible & COMPAT_LAZY_REFCOUNTS) !== 0n;
      data['refcount-bits'] = 2 ** h.refcountOrder;
      if (h.version === 3) Object.assign(data, { corrupt: (h.incompatible & INCOMPAT_CORRUPT) !== 0n, 'extended-l2': false });
      if (h.backingFormat !== undefined) info['backing-filename-format'] = h.backingFormat;
      Object.assign(info, { 'virtual-size': h.size, filename: path, 'cluster-size': cs, format: 'qcow2', 'actual-size': actual });
      info['format-specific'] = { type: 'qcow2', data };
      human.push('file format: qcow2', `virtual size: ${humanSize(h.size)} (${h.size} bytes)`, `disk size: ${humanSize(actual)}`,
        `cluster_size: ${cs}`);
      if (h.backingFile !== undefined) {
        const full = fullBackingName(path, h.backingFile);
        info['full-backing-filename'] = full;
        info['backing-filename'] = h.backingFile;
        human.push(`backing file: ${h.backingFile}${full !== h.backingFile ? ` (actual path: ${full})` : ''}`);
        if (h.backingFormat !== undefined) human.push(`backing file format: ${h.backingFormat}`);
      }
      info['dirty-flag'] = (h.incompatible & INCOMPAT_DIRTY) !== 0n;
      human.push('Format specific information:');
      for (const [k, v] of Object.entries(data)) human.push(`    ${k.replace(/-/g, ' ')}: ${v}`);
    }
  } finally {
    await file.close();
  }
  io.out(output === 'json' ? JSON.stringify(info, null, 4) + '\n' : human.join('\n') + '\n');
  return 0;
}
