/**
 * tsvm-img check, convert and resize (qemu-img's semantics, messages and exit statuses).
 */
import { BlockError, type BlockDriver } from '../../../core/block/block-driver.js';
import { checkFormat, probeFormat } from '../../../core/block/open.js';
import { checkQcow2, type CheckResult } from '../../../core/block/qcow2/check.js';
import { Qcow2Driver } from '../../../core/block/qcow2/qcow2.js';
import { RawDriver } from '../../../core/block/raw.js';
import { DriveWrapper, openChain } from '../block/drive.js';
import { NodeBlockFile } from '../block/file.js';
import { createImage, qcow2Options, type Io } from './img.js';
import { cFixed2, parseArgs, parseO, parseSize, Progress, str, UsageError } from './img-util.js';

/** check: 0 clean, 2 corruptions, 3 leaks only, 1 failure; 63 for a format without checks. */
export async function cmdCheck(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, ['-f', '--output', '-r'], ['-q', '-U', '--force-share']);
  const [path, extra] = p.args;
  if (!path || extra !== undefined) throw new UsageError('Expecting one image file name');
  if (p.opts.has('-r')) throw new UsageError('repair (-r) is not supported; use qemu-img check -r');
  const output = str(p, '--output') ?? 'human';
  const file = await NodeBlockFile.open(path, { readOnly: true });
  let r: CheckResult;
  try {
    const fmt = str(p, '-f') !== undefined ? checkFormat(str(p, '-f')!) : await probeFormat(file);
    if (fmt !== 'qcow2') {
      io.err('tsvm-img: This image format does not support checks\n');
      return 63;
    }
    r = await checkQcow2(file);
  } finally {
    await file.close();
  }
  if (!p.opts.has('-q')) for (const m of r.messages) io.err(m + '\n');
  if (output === 'json') {
    // qemu-img's key order; zero counters are left out, as it does.
    const j: Record<string, unknown> = { 'image-end-offset': r.imageEndOffset };
    if (r.compressedClusters) j['compressed-clusters'] = r.compressedClusters;
    j['total-clusters'] = r.totalClusters;
    if (r.corruptions) j.corruptions = r.corruptions;
    j['check-errors'] = r.checkErrors;
    if (r.leaks) j.leaks = r.leaks;
    if (r.allocatedClusters) j['allocated-clusters'] = r.allocatedClusters;
    Object.assign(j, { filename: path, format: 'qcow2' });
    if (r.fragmentedClusters) j['fragmented-clusters'] = r.fragmentedClusters;
    io.out(JSON.stringify(j, null, 4) + '\n');
  } else if (!p.opts.has('-q')) {
    let s = '';
    if (!r.corruptions && !r.leaks && !r.checkErrors) s += 'No errors were found on the image.\n';
    if (r.corruptions) s += `\n${r.corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n`;
    if (r.leaks) s += `\n${r.leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n`;
    if (r.checkErrors) s += `\n${r.checkErrors} internal errors have occurred during the check.\n`;
    if (r.totalClusters && r.allocatedClusters) {
      const pc = (n: number) => cFixed2((100 * n) / (r.allocatedClusters || 1));
      s += `${r.allocatedClusters}/${r.totalClusters} = ${cFixed2((100 * r.allocatedClusters) / r.totalClusters)}% allocated, ` +
        `${pc(r.fragmentedClusters)}% fragmented, ${pc(r.compressedClusters)}% compressed clusters\n`;
    }
    if (r.imageEndOffset) s += `Image end offset: ${r.imageEndOffset}\n`;
    io.out(s);
  }
  if (r.checkErrors) return 1;
  return r.corruptions ? 2 : r.leaks ? 3 : 0;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** convert: copies the guest-visible content; all-zero clusters are not written (stay sparse). */
export async function cmdConvert(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, ['-f', '-O', '-o'], ['-p', '-q', '-U', '--force-share', '-n']);
  const [src, dst, extra] = p.args;
  if (!src || !dst || extra !== undefined) throw new UsageError('Expecting exactly one source and one destination image');
  const outFmt = checkFormat(str(p, '-O') ?? 'raw');
  if (outFmt !== 'qcow2' && p.o.length) throw new UsageError(`Invalid parameter '${[...parseO(p.o).keys()][0]}'`);
  const input = await openChain(src, { format: str(p, '-f'), readOnly: true });
  let out: BlockDriver | undefined;
  try {
    const size = input.driver.size;
    const q = qcow2Options(parseO(p.o), size);
    await createImage(dst, outFmt, q);
    const file = await NodeBlockFile.open(dst, { noSync: true });
    out = outFmt === 'qcow2' ? await Qcow2Driver.open(file, {}) : await RawDriver.open(file, {});
    const grain = outFmt === 'qcow2' ? q.clusterSize ?? 65536 : 65536;
    const chunk = Math.max(grain, 2 << 20);
    const buf = new Uint8Array(chunk);
    const progress = new Progress(p.opts.has('-p') && !p.opts.has('-q'), io.out);
    for (let pos = 0; pos < size; pos += chunk) {
      const n = Math.min(chunk, size - pos);
      const b = buf.subarray(0, n);
      await input.driver.read(pos, b);
      for (let at = 0; at < n; at += grain) {
        const piece = b.subarray(at, Math.min(n, at + grain));
        if (!isZero(piece)) await out.write(pos + at, piece);
      }
      progress.show((100 * (pos + n)) / size);
    }
    await out.close();
    out = undefined;
    const f = await NodeBlockFile.open(dst, {});
    await f.sync();
    await f.close();
    progress.done();
  } finally {
    await out?.close().catch(() => undefined);
    await input.driver.close();
  }
  return 0;
}

/** resize: grow any image; shrink raw only, with --shrink as qemu-img requires. */
export async function cmdResize(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, ['-f'], ['-q', '--shrink', '--preallocation=off']);
  const [path, sizeArg, extra] = p.args;
  if (!path || sizeArg === undefined || extra !== undefined) throw new UsageError('Expecting image file name and size');
  const rel = sizeArg[0] === '+' ? 1 : sizeArg[0] === '-' ? -1 : 0;
  const amount = parseSize(rel ? sizeArg.slice(1) : sizeArg);
  const { driver } = await openChain(path, {
    format: str(p, '-f'), readOnly: false, warn: (m) => io.err(m + '\n'),
  });
  const drv = driver instanceof DriveWrapper ? driver.inner : driver;
  try {
    const size = rel ? drv.size + rel * amount : amount;
    if (size < 0) throw new UsageError('New image size must be positive');
    if (size < drv.size) {
      if (drv instanceof Qcow2Driver) throw new BlockError('qcow2 images can only grow (shrinking is not supported)');
      if (!p.opts.has('--shrink')) throw new UsageError('Use the --shrink option to perform a shrink operation.');
    }
    if (drv instanceof Qcow2Driver || drv instanceof RawDriver) await drv.resize(size);
  } finally {
    await drv.close();
  }
  if (!p.opts.has('-q')) io.out('Image resized.\n');
  return 0;
}
