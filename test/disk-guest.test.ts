/**
 * Disks under a real guest: the default guest booted once with five drives, each found in the guest
 * by its virtio serial (/sys/block/vdX/serial):
 *   A  a qcow2 from `qemu-img create -f qcow2`: writes at cluster-aligned and unaligned offsets and at
 *      the end of the disk, plus a discard (reads back as zeros);
 *   O  a qcow2 overlay on a qcow2 base holding host data (partly unallocated): partial-cluster writes
 *      copy the rest of the cluster up from the base; the base must stay byte-identical;
 *   S  a raw image with snapshot=on: the guest reads its own writes back (md5 compared with the host's
 *      expectation, including the copied-up rest of a partial cluster); the file must stay unchanged;
 *   R  a raw image from `qemu-img create -f raw`;
 *   F  a small qcow2 the guest formats with busybox mke2fs, mounts, fills with a file and unmounts;
 *      the host's e2fsck must find it clean and debugfs must read the file back.
 * Before anything else the guest writes 8 MiB of zeros into O with bs=1M oflag=direct: early after boot
 * the pages of dd's buffer do not merge, so the kernel sends requests of 254 data segments, a
 * 256-entry indirect descriptor table on a 256-entry queue (tsvm used to count the descriptor that
 * names the table too, and put the device in DEVICE_NEEDS_RESET).
 * The data is the guest's /bin/busybox repeated three times (/tmp/s in the guest); the host takes
 * the same bytes out of the initramfs, so every write is compared byte for byte after poweroff:
 * `qemu-img check` clean on every qcow2, `qemu-img convert -O raw` equal to the expected image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guest, IMAGE, INITRD, PROMPT, SYSTEM, cpioFile } from './support/guest.js';

const BOOT_MS = 120_000;
const MiB = 1 << 20;
const PAGE = 4096;
const SIZE = 32 * MiB; // A, O (and its base), S, R
const FS_SIZE = 8 * MiB; // F

const HAVE_QEMU_IMG = spawnSync('qemu-img', ['--version']).status === 0;
const HAVE_E2FS = spawnSync('e2fsck', ['-V']).status === 0 && spawnSync('debugfs', ['-V']).status === 0;
if (!HAVE_QEMU_IMG) console.log('SKIP: qemu-img not installed');
else if (!HAVE_E2FS) console.log('SKIP (part): e2fsck/debugfs not installed, the ext2 drive is not checked on the host');

/**
 * A guest write: `pages` pages of /tmp/s from page `src` to page `dst` of the drive. `direct`: with
 * bs=1M oflag=direct (all three in whole MiB), requests of up to 1 MiB straight from dd's buffer.
 */
interface Write { drive: string; src: number; dst: number; pages: number; direct?: boolean }

const WRITES: Write[] = [
  { drive: 'A', src: 0, dst: 0, pages: 1024 }, // 4 MiB at 0, whole clusters
  { drive: 'A', src: 37, dst: (9 * MiB + 12288) / PAGE, pages: 257 }, // 1 MiB + 4 KiB, both ends mid-cluster
  { drive: 'A', src: 500, dst: SIZE / PAGE - 5, pages: 5 }, // the last 20 KiB of the disk
  { drive: 'A', src: 512, dst: 16 * MiB / PAGE, pages: 256, direct: true }, // 1 MiB O_DIRECT, allocating
  { drive: 'O', src: 11, dst: (MiB + 8192) / PAGE, pages: 1 }, // one page inside an allocated base cluster
  { drive: 'O', src: 300, dst: (7 * MiB + 36864) / PAGE, pages: 300 }, // from allocated base into unallocated
  { drive: 'O', src: 700, dst: 20 * MiB / PAGE, pages: 16 }, // one whole cluster
  { drive: 'S', src: 900, dst: (2 * MiB + 4096) / PAGE, pages: 64 }, // 256 KiB, mid-cluster start
  { drive: 'R', src: 100, dst: 0, pages: 512 }, // 2 MiB at 0
  { drive: 'R', src: 1000, dst: (30 * MiB + 4096) / PAGE, pages: 128 },
  { drive: 'R', src: 256, dst: 12 * MiB / PAGE, pages: 512, direct: true }, // 2 MiB O_DIRECT
];
/** Where the guest writes 8 MiB of zeros with O_DIRECT into O, over the base's random data. */
const O_ZERO = 24 * MiB;
/** blkdiscard on A after the writes: [offset, length], cluster-aligned, inside the first write. */
const DISCARD: [number, number] = [MiB, MiB];
/** What the guest reads back from S (snapshot=on): from one page before its write to one page after. */
const S_CHECK = { page: 2 * MiB / PAGE, pages: 66 };

function md5(b: Uint8Array): string {
  return createHash('md5').update(b).digest('hex');
}
function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
function qemuImg(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('qemu-img', args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}
function toRaw(file: string, dir: string): Buffer {
  const out = join(dir, 'converted.raw');
  execFileSync('qemu-img', ['convert', '-O', 'raw', file, out], { stdio: 'pipe' });
  const b = readFileSync(out);
  rmSync(out);
  return b;
}
function firstDiff(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `length ${a.length}, want ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i} (page ${Math.floor(i / PAGE)}) is ${a[i]}, want ${b[i]}`;
  return 'equal';
}

test('default guest: qcow2, qcow2 overlay, snapshot=on, raw and an ext2 file system', { skip: HAVE_QEMU_IMG ? false : 'qemu-img not installed', timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-disk-guest-'));
  const g0: { g?: Guest } = {};
  t.after(() => {
    g0.g?.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const busybox = cpioFile(INITRD, 'bin/busybox');
  const stream = Buffer.concat([busybox, busybox, busybox]); // the guest's /tmp/s
  const f = (n: string) => join(dir, n);

  // A: empty qcow2. R: empty raw. F: empty qcow2 for the file system.
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', f('a.qcow2'), String(SIZE)]);
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', f('r.img'), String(SIZE)]);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', f('fs.qcow2'), String(FS_SIZE)]);
  // O: base with random data except MiB 8-15 (zero, so unallocated after convert), overlay on it.
  const base = randomBytes(SIZE);
  base.fill(0, 8 * MiB, 16 * MiB);
  writeFileSync(f('base.raw'), base);
  execFileSync('qemu-img', ['convert', '-O', 'qcow2', f('base.raw'), f('base.qcow2')]);
  rmSync(f('base.raw'));
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', f('overlay.qcow2')]);
  // S: raw with random data, used with snapshot=on.
  const snapBase = randomBytes(SIZE);
  writeFileSync(f('snap.img'), snapBase);
  const shaBase = sha(f('base.qcow2'));
  const shaSnap = sha(f('snap.img'));

  const drives: [string, string, string][] = [
    ['A', 'a.qcow2', 'format=qcow2'], ['O', 'overlay.qcow2', 'format=qcow2'],
    ['S', 'snap.img', 'format=raw,snapshot=on'], ['R', 'r.img', 'format=raw'], ['F', 'fs.qcow2', 'format=qcow2'],
  ];
  const args = ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', IMAGE, '-initrd', INITRD, '-append', 'console=ttyS0'];
  for (const [id, file, opts] of drives) {
    args.push('-drive', `file=${f(file)},${opts},if=none,id=${id}`, '-device', `virtio-blk-device,drive=${id},serial=${id}`);
  }
  const g = new Guest(SYSTEM, args);
  g0.g = g;

  // Each step ends with a marker the shell computes, so the echoed command line never matches it.
  let at = await g.waitFor(PROMPT, BOOT_MS);
  let step = 0;
  const sh = async (cmd: string, ms = 60_000): Promise<string> => {
    const n = ++step;
    const from = at;
    g.type(`{ ${cmd} ; } && echo @@$((${n}))-ok || echo @@$((${n}))-fail`);
    at = await g.waitFor(new RegExp(`@@${n}-(ok|fail)`), ms, at);
    const out = g.output.slice(from, at);
    assert.match(out, new RegExp(`@@${n}-ok$`), `step ${n} (${cmd}) failed:\n${g.tail()}`);
    return out;
  };
  await sh('for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vde ] && break; sleep 1; done; [ -b /dev/vde ]');
  // First, while the guest's free pages are still scattered the way boot left them: 1 MiB O_DIRECT
  // writes whose pages do not merge, so requests of 254 segments (see Write), zeros over the random
  // base data of O. O is the second drive, so vdb (checked below).
  await sh(`dd if=/dev/zero of=/dev/vdb bs=1M seek=${O_ZERO / MiB} count=8 oflag=direct conv=fsync 2>/dev/null`);
  await sh('dev() { for d in /sys/block/vd*; do [ "$(cat $d/serial)" = $1 ] && echo /dev/${d##*/}; done; }; ' +
    'A=$(dev A) O=$(dev O) S=$(dev S) R=$(dev R) F=$(dev F); [ "$O" = /dev/vdb ] && [ -b "$A" ] && [ -b "$O" ] && [ -b "$S" ] && [ -b "$R" ] && [ -b "$F" ]');
  await sh('cat /bin/busybox /bin/busybox /bin/busybox > /tmp/s');
  for (const drive of ['A', 'O', 'S', 'R']) {
    const cmds = WRITES.filter((w) => w.drive === drive)
      .map((w) => w.direct
        ? `dd if=/tmp/s of=$${drive} bs=1M skip=${w.src / 256} seek=${w.dst / 256} count=${w.pages / 256} oflag=direct conv=fsync 2>/dev/null`
        : `dd if=/tmp/s of=$${drive} bs=4k skip=${w.src} seek=${w.dst} count=${w.pages} conv=fsync 2>/dev/null`);
    await sh(cmds.join(' && '));
  }
  await sh(`blkdiscard -o ${DISCARD[0]} -l ${DISCARD[1]} $A && sync`);
  // Read S back past the page cache: its data now lives only in the temporary overlay.
  const sOut = await sh(`echo 3 > /proc/sys/vm/drop_caches && echo "SUM $(dd if=$S bs=4k skip=${S_CHECK.page} count=${S_CHECK.pages} 2>/dev/null | md5sum)"`);
  const sSum = /SUM ([0-9a-f]{32})/.exec(sOut)?.[1];
  await sh('mke2fs -q $F >/dev/null && mkdir -p /mnt/f && mount -t ext2 $F /mnt/f && cp /bin/busybox /mnt/f/bb && ' +
    'echo hello-ext2 > /mnt/f/hello && umount /mnt/f');
  await g.waitFor(PROMPT, 10_000, at);
  g.type('poweroff');
  const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 30_000).unref());
  const code = await Promise.race([g.exited, timeout]);
  assert.equal(code, 0, g.tail());
  assert.doesNotMatch(g.stderr, /warning|error/i, g.stderr);

  // Expected contents.
  const expect: Record<string, Buffer> = { A: Buffer.alloc(SIZE), O: Buffer.from(base), S: Buffer.from(snapBase), R: Buffer.alloc(SIZE) };
  for (const w of WRITES) stream.copy(expect[w.drive], w.dst * PAGE, w.src * PAGE, (w.src + w.pages) * PAGE);
  expect.A.fill(0, DISCARD[0], DISCARD[0] + DISCARD[1]);
  expect.O.fill(0, O_ZERO, O_ZERO + 8 * MiB);

  for (const file of ['a.qcow2', 'overlay.qcow2', 'base.qcow2', 'fs.qcow2']) {
    const c = qemuImg(['check', f(file)]);
    assert.equal(c.code, 0, `qemu-img check ${file}: ${c.out}`);
    assert.match(c.out, /No errors were found/, `${file}: ${c.out}`);
  }
  const a = toRaw(f('a.qcow2'), dir);
  assert.ok(a.equals(expect.A), `A: ${firstDiff(a, expect.A)}`);
  const o = toRaw(f('overlay.qcow2'), dir);
  assert.ok(o.equals(expect.O), `O: ${firstDiff(o, expect.O)}`);
  assert.equal(sha(f('base.qcow2')), shaBase, 'the backing file is unchanged');
  const r = readFileSync(f('r.img'));
  assert.ok(r.equals(expect.R), `R: ${firstDiff(r, expect.R)}`);
  assert.ok(toRaw(f('r.img'), dir).equals(expect.R), 'R through qemu-img convert');
  assert.equal(sha(f('snap.img')), shaSnap, 'the snapshot=on image is unchanged');
  const sWant = expect.S.subarray(S_CHECK.page * PAGE, (S_CHECK.page + S_CHECK.pages) * PAGE);
  assert.equal(sSum, md5(sWant), 'the guest reads its snapshot=on writes back');

  if (HAVE_E2FS) {
    const raw = f('fs.raw');
    execFileSync('qemu-img', ['convert', '-O', 'raw', f('fs.qcow2'), raw]);
    const fsck = spawnSync('e2fsck', ['-fn', raw], { encoding: 'utf8' });
    assert.equal(fsck.status, 0, `e2fsck: ${fsck.stdout}${fsck.stderr}`);
    execFileSync('debugfs', ['-R', `dump /bb ${f('bb')}`, raw], { stdio: 'pipe' });
    assert.ok(readFileSync(f('bb')).equals(busybox), 'the file copied in the guest reads back from the ext2 image');
    const hello = execFileSync('debugfs', ['-R', 'cat /hello', raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(hello, 'hello-ext2\n');
  }
});
