/**
 * Guest I/O on a qcow2 image (qcow2.txt "Cluster mapping"): reads through L1/L2 (with backing-file
 * read-through, zero and compressed clusters), writes with cluster allocation and copy-on-write,
 * and discard / write-zeroes at cluster granularity.
 */
import { readFull } from '../block-file.js';
import { compressedClusters, encodeL2, type Mapping } from './cluster.js';
import type { Qcow2Image } from './image.js';

/** Reads guest bytes [g, g + buf.length); contiguous host clusters are read in one call. */
export async function readImage(img: Qcow2Image, g: number, buf: Uint8Array): Promise<void> {
  const cs = img.cs;
  let run: { host: number; at: number; len: number } | undefined;
  const endRun = async () => {
    if (run) await readFull(img.file, run.host, buf.subarray(run.at, run.at + run.len));
    run = undefined;
  };
  for (let pos = 0; pos < buf.length;) {
    const off = g + pos;
    const inC = off % cs;
    const n = Math.min(cs - inC, buf.length - pos);
    const m = await img.mapping(off);
    if (m.kind === 'normal') {
      const host = m.offset + inC;
      if (run && run.host + run.len === host) run.len += n;
      else {
        await endRun();
        run = { host, at: pos, len: n };
      }
    } else {
      await endRun();
      const dst = buf.subarray(pos, pos + n);
      if (m.kind === 'unallocated') await img.readBacking(off, dst);
      else if (m.kind === 'compressed') dst.set((await img.inflate(m)).subarray(inC, inC + n));
      else dst.fill(0);
    }
    pos += n;
  }
  await endRun();
}

/** Releases what a mapping held (queued until the new mapping is on disk). */
function release(img: Qcow2Image, m: Mapping): void {
  if (m.kind === 'normal' || m.kind === 'zero-alloc') img.refs.deferFree(m.offset);
  else if (m.kind === 'compressed') {
    for (const c of compressedClusters(m, img.cs)) img.refs.deferFree(c);
    img.forgetInflated();
  }
}

/**
 * Writes guest bytes. An allocated cluster is overwritten in place; anything else (unallocated,
 * zero, compressed) gets a new cluster at the end of the file holding the old content (backing
 * data, zeros or the inflated cluster) merged with the new bytes; the data is written before the
 * L2 entry that points at it changes (in memory now, on disk at the next flush).
 */
export async function writeImage(img: Qcow2Image, g: number, data: Uint8Array): Promise<void> {
  const cs = img.cs;
  for (let pos = 0; pos < data.length;) {
    const off = g + pos;
    const inC = off % cs;
    const n = Math.min(cs - inC, data.length - pos);
    const chunk = data.subarray(pos, pos + n);
    const m = await img.mapping(off);
    if (m.kind === 'normal' && m.copied) {
      await img.file.write(m.offset + inC, chunk);
    } else {
      const start = off - inC;
      let cluster: Uint8Array;
      if (n === cs) cluster = chunk;
      else {
        cluster = await img.clusterContent(start, m);
        cluster.set(chunk, inC);
      }
      const reuse = m.kind === 'zero-alloc' && m.copied;
      const host = reuse ? m.offset : await img.refs.alloc(1);
      await img.file.write(host, cluster);
      const t = (await img.l2For(off, true))!;
      encodeL2(t.view, img.l2Index(off), host, false);
      t.dirty = true;
      if (!reuse) release(img, m);
    }
    pos += n;
  }
}

/** Does the cluster at `g` (mapped as `m`) read as all zeros without looking at data? */
function readsZero(img: Qcow2Image, g: number, m: Mapping): boolean {
  if (m.kind === 'zero' || m.kind === 'zero-alloc') return true;
  return m.kind === 'unallocated' && (!img.backing || g >= img.backing.size);
}

/**
 * Discard (`zero` false) or write-zeroes (`zero` true) of guest bytes [g, g + len). Whole clusters
 * lose their host cluster and become zero clusters (v3) or unallocated (when nothing shows
 * through). Partial clusters are written with zeros for write-zeroes and left alone for discard,
 * which is advisory; so is a discard of a v2 cluster over a backing file.
 */
export async function zeroImage(img: Qcow2Image, g: number, len: number, zero: boolean): Promise<void> {
  const cs = img.cs;
  const v3 = img.header.version === 3;
  for (let pos = 0; pos < len;) {
    const off = g + pos;
    const inC = off % cs;
    const n = Math.min(cs - inC, len - pos);
    pos += n;
    const m = await img.mapping(off);
    const whole = n === cs || (inC === 0 && off + n === img.size);
    if (!whole) {
      if (zero && !readsZero(img, off, m)) await writeImage(img, off, new Uint8Array(n));
      continue;
    }
    const shows = img.backing !== undefined && off < img.backing.size; // backing data would show through
    if (!v3 && shows) {
      if (zero) await writeImage(img, off, new Uint8Array(n));
      continue;
    }
    const wantZeroFlag = v3 && (zero || shows);
    if (wantZeroFlag ? m.kind === 'zero' : m.kind === 'unallocated') continue;
    const t = await img.l2For(off, wantZeroFlag);
    if (!t) continue;
    encodeL2(t.view, img.l2Index(off), 0, wantZeroFlag);
    t.dirty = true;
    release(img, m);
  }
}
