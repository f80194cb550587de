import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FdtError, FdtNode, cells64, reg64, toDtb } from '../src/core/machine/fdt.js';
import { buildVirtDtb, parseIsa } from '../src/core/machine/virt-dt.js';
import { buildSpikeDtb } from '../src/core/machine/spike-dt.js';
import { PLIC_NDEV } from '../src/core/machine/virt-map.js';

const dir = mkdtempSync(join(tmpdir(), 'tsvm-fdt-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let seq = 0;

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
}
const haveDtc = has('dtc');
const haveQemu = has('qemu-system-riscv64');

/** Decompiles with dtc; returns dts text and the warnings/errors dtc printed. */
function decompile(blob: Uint8Array): { dts: string; diags: string[] } {
  const f = join(dir, `t${seq++}.dtb`);
  writeFileSync(f, blob);
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', f], { encoding: 'utf8' });
  assert.equal(r.status, 0, `dtc failed: ${r.stderr}`);
  const diags = r.stderr.split('\n').filter((l) => l.trim() !== '');
  return { dts: r.stdout, diags };
}

/** dtc warnings we accept: QEMU's own virt tree triggers the same one on every cpu-intc. */
function seriousDiags(diags: string[]): string[] {
  return diags.filter((d) => !/interrupt_provider\): \/cpus\/cpu@[0-9a-f]+\/interrupt-controller: Missing #address-cells/.test(d));
}

type Tree = Map<string, Map<string, string>>;

/** Parses dtc's dts output into path → (property → value text). */
function parseDts(dts: string): Tree {
  const tree: Tree = new Map();
  const stack: string[] = [];
  const cur = (): string => (stack.length <= 1 ? '/' : '/' + stack.slice(1).join('/'));
  for (const raw of dts.split('\n')) {
    const l = raw.trim();
    if (l === '' || l === '/dts-v1/;') continue;
    let m: RegExpExecArray | null;
    if ((m = /^(\S+) \{$/.exec(l)) !== null) {
      stack.push(m[1]!);
      tree.set(cur(), new Map());
    } else if (l === '};') {
      stack.pop();
    } else if ((m = /^([^\s=]+)(?: = (.*))?;$/.exec(l)) !== null) {
      tree.get(cur())!.set(m[1]!, m[2] ?? '');
    } else {
      assert.fail(`unparsed dts line: ${l}`);
    }
  }
  return tree;
}

test('golden bytes of a tiny tree: header, struct tokens, padding, deduplicated strings', () => {
  const root = new FdtNode('');
  root.prop('a', [1]);
  root.child('n@1').prop('a', 'x').prop('b');
  const got = toDtb(root, 3);
  const u32 = (...v: number[]): number[] => v.flatMap((x) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);
  const struct = [
    ...u32(1, 0), // BEGIN_NODE "" (NUL padded to 4)
    ...u32(3, 4, 0, 1), // PROP len 4 nameoff 0 ("a") <1>
    ...u32(1), ...[0x6e, 0x40, 0x31, 0], // BEGIN_NODE "n@1\0"
    ...u32(3, 2, 0), ...[0x78, 0, 0, 0], // PROP a = "x" padded
    ...u32(3, 0, 2), // PROP b, empty, nameoff 2: "a" reused, not stored twice
    ...u32(2, 2, 9), // END_NODE END_NODE END
  ];
  const strings = [0x61, 0, 0x62, 0];
  const total = 40 + 16 + struct.length + strings.length;
  const header = u32(0xd00dfeed, total, 56, 56 + struct.length, 40, 17, 16, 3, strings.length, struct.length);
  const want = [...header, ...new Array<number>(16).fill(0), ...struct, ...strings];
  assert.deepEqual([...got], want);
});

test('value encodings and validation', () => {
  assert.deepEqual(cells64(0x1_2345_6789), [1, 0x23456789]);
  assert.deepEqual(cells64(0x80000000), [0, 0x80000000]);
  assert.deepEqual(reg64(0x80000000, 0x10000000), [0, 0x80000000, 0, 0x10000000]);
  assert.throws(() => cells64(-1), FdtError);
  assert.throws(() => cells64(2 ** 53), FdtError);
  const n = new FdtNode('');
  assert.deepEqual([...n.prop('s', ['ab', 'c']).getProp('s')!], [0x61, 0x62, 0, 0x63, 0]);
  assert.deepEqual([...n.prop('big', [0xdeadbeef]).getProp('big')!], [0xde, 0xad, 0xbe, 0xef]);
  assert.throws(() => n.prop('x', [2 ** 32]), FdtError);
  assert.throws(() => n.prop('x', [1.5]), FdtError);
  assert.throws(() => n.prop('bad name', 'v'), FdtError);
  assert.throws(() => n.child('has space'), FdtError);
  n.child('c');
  assert.throws(() => n.child('c'), FdtError);
  assert.throws(() => new FdtNode('notroot'), FdtError);
  // phandles come from one counter per tree and are idempotent per node.
  const a = n.child('a');
  const b = n.child('b').child('d');
  assert.equal(a.phandle(), 1);
  assert.equal(b.phandle(), 2);
  assert.equal(a.phandle(), 1);
  assert.equal(b.path(), '/b/d');
});

test('parseIsa derives riscv,isa-base and riscv,isa-extensions', () => {
  assert.deepEqual(parseIsa('rv64imafdc_zicsr_zifencei_zicntr_sstc'), {
    base: 'rv64i',
    extensions: ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'zicntr', 'sstc'],
  });
  assert.deepEqual(parseIsa('rv64gc'), { base: 'rv64i', extensions: ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei'] });
  assert.equal(parseIsa('rv32ima').base, 'rv32i');
  assert.throws(() => parseIsa('x86'), FdtError);
  assert.throws(() => parseIsa('rv64mafd'), FdtError);
});

const virtOpts = {
  ramBytes: 256 * 1024 * 1024,
  harts: 2,
  bootargs: 'console=ttyS0 earlycon root=/dev/vda',
  initrd: { start: 0x88200000, end: 0x882003e8 },
  rngSeed: new Uint8Array(32).fill(0xab),
};

test('virt dtb: header and strings block', () => {
  const blob = buildVirtDtb(virtOpts);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  assert.equal(dv.getUint32(0), 0xd00dfeed);
  assert.equal(dv.getUint32(4), blob.length);
  assert.equal(dv.getUint32(20), 17);
  assert.equal(dv.getUint32(24), 16);
  const off = dv.getUint32(12);
  const size = dv.getUint32(32);
  assert.equal(off + size, blob.length);
  const names = new TextDecoder().decode(blob.subarray(off, off + size - 1)).split('\0');
  assert.equal(new Set(names).size, names.length, 'strings block holds each property name once');
  for (const n of ['reg', 'compatible', 'interrupts-extended', 'riscv,isa-extensions', 'phandle']) assert.ok(names.includes(n), n);
});

test('virt dtb decompiles cleanly with the expected content', { skip: !haveDtc && 'dtc not installed' }, () => {
  const { dts, diags } = decompile(buildVirtDtb(virtOpts));
  assert.deepEqual(seriousDiags(diags), []);
  const t = parseDts(dts);
  const p = (path: string, prop: string): string | undefined => t.get(path)?.get(prop);
  assert.equal(p('/memory@80000000', 'reg'), '<0x00 0x80000000 0x00 0x10000000>');
  assert.equal(p('/chosen', 'bootargs'), '"console=ttyS0 earlycon root=/dev/vda"');
  assert.equal(p('/chosen', 'linux,initrd-start'), '<0x88200000>');
  assert.equal(p('/chosen', 'linux,initrd-end'), '<0x882003e8>');
  assert.equal(p('/chosen', 'stdout-path'), '"/soc/serial@10000000"');
  assert.equal(p('/chosen', 'rng-seed'), '<' + new Array(8).fill('0xabababab').join(' ') + '>');
  assert.equal(p('/cpus/cpu@1', 'reg'), '<0x01>');
  assert.equal(p('/cpus/cpu@1', 'riscv,isa-base'), '"rv64i"');
  assert.equal(p('/cpus/cpu@0', 'riscv,isa-extensions'), '"i\\0m\\0a\\0f\\0d\\0c\\0zicsr\\0zifencei\\0zicntr\\0sstc"');
  const intc0 = p('/cpus/cpu@0/interrupt-controller', 'phandle');
  const intc1 = p('/cpus/cpu@1/interrupt-controller', 'phandle');
  assert.ok(intc0 !== undefined && intc1 !== undefined && intc0 !== intc1);
  const ph = (s: string): string => s.replace(/[<>]/g, '');
  const [i0, i1] = [ph(intc0), ph(intc1)];
  assert.equal(p('/soc/clint@2000000', 'interrupts-extended'), `<${i0} 0x03 ${i0} 0x07 ${i1} 0x03 ${i1} 0x07>`);
  assert.equal(p('/soc/plic@c000000', 'interrupts-extended'), `<${i0} 0x0b ${i0} 0x09 ${i1} 0x0b ${i1} 0x09>`);
  assert.equal(p('/soc/plic@c000000', 'riscv,ndev'), `<0x${PLIC_NDEV.toString(16)}>`);
  const plicPh = p('/soc/plic@c000000', 'phandle');
  assert.equal(p('/soc/serial@10000000', 'interrupts'), '<0x0a>');
  assert.equal(p('/soc/serial@10000000', 'interrupt-parent'), plicPh);
  assert.equal(p('/soc/rtc@101000', 'interrupts'), '<0x0b>');
  for (let i = 0; i < 8; i++) {
    const path = `/soc/virtio_mmio@${(0x10001000 + i * 0x1000).toString(16)}`;
    assert.equal(p(path, 'interrupts'), `<0x0${i + 1}>`);
    assert.equal(p(path, 'interrupt-parent'), plicPh);
  }
  assert.equal(p('/poweroff', 'regmap'), p('/soc/test@100000', 'phandle'));
  assert.equal(p('/reboot', 'value'), '<0x7777>');
  assert.deepEqual(
    [...t.keys()].filter((k) => k.startsWith('/cpus/cpu-map/')),
    ['/cpus/cpu-map/cluster0', '/cpus/cpu-map/cluster0/core0', '/cpus/cpu-map/cluster0/core1'],
  );
  // Fewer virtio slots → fewer nodes; initrd above 4 GiB widens to two cells.
  const small = parseDts(decompile(buildVirtDtb({ ramBytes: 1 << 30, virtioSlots: 2, initrd: { start: 2 ** 32, end: 2 ** 32 + 16 } })).dts);
  assert.ok(small.has('/soc/virtio_mmio@10002000') && !small.has('/soc/virtio_mmio@10003000'));
  assert.equal(small.get('/chosen')!.get('linux,initrd-end'), '<0x01 0x10>');
  assert.equal(small.get('/chosen')!.has('bootargs'), false);
});

/** Dumps QEMU's own tree for a machine (`virt` or `spike`) with one hart, a kernel, an initrd and -append. */
function qemuTree(machine: string): Tree {
  const k = join(dir, 'kernel.bin');
  const i = join(dir, 'initrd.bin');
  const out = join(dir, `${machine}.dtb`);
  writeFileSync(k, new Uint8Array(4096));
  writeFileSync(i, new Uint8Array(1000));
  const r = spawnSync(
    'qemu-system-riscv64',
    ['-M', `${machine},dumpdtb=${out}`, '-m', '256M', '-nographic', '-kernel', k, '-initrd', i, '-append', 'console=ttyS0'],
    { encoding: 'utf8', timeout: 20000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return parseDts(decompile(readFileSync(out)).dts);
}

/**
 * Node paths must match QEMU's exactly (minus the devices tsvm lacks), and every QEMU property
 * must be present with the same value, except the ones that legitimately differ.
 */
function compareWithQemu(q: Tree, ours: Tree, excludeNodes: RegExp, differing: Set<string>): void {
  const qPaths = [...q.keys()].filter((k) => !excludeNodes.test(k)).sort();
  assert.deepEqual([...ours.keys()].sort(), qPaths);
  for (const path of qPaths) {
    for (const [name, value] of q.get(path)!) {
      if (differing.has(name)) continue;
      assert.equal(ours.get(path)!.get(name), value, `${path} ${name}`);
    }
  }
}

test('virt dtb matches QEMU 7.2 virt structurally', { skip: !(haveDtc && haveQemu) && 'dtc/qemu not installed' }, () => {
  const q = qemuTree('virt');
  const chosen = q.get('/chosen')!;
  const num = (s: string): number => Number(s.replace(/[<>]/g, ''));
  const ours = parseDts(
    decompile(
      buildVirtDtb({
        ramBytes: 256 * 1024 * 1024,
        bootargs: 'console=ttyS0',
        initrd: { start: num(chosen.get('linux,initrd-start')!), end: num(chosen.get('linux,initrd-end')!) },
        rngSeed: new Uint8Array(32),
      }),
    ).dts,
  );
  compareWithQemu(
    q,
    ours,
    /^\/(pmu|fw-cfg@|flash@|platform-bus@|soc\/pci@)/,
    // ISA/MMU describe our CPU, not QEMU's; the seed is random; QEMU 7.2's ndev is off by one.
    new Set(['riscv,isa', 'mmu-type', 'rng-seed', 'riscv,ndev']),
  );
});

test('spike dtb decompiles cleanly and matches QEMU 7.2 spike', { skip: !haveDtc && 'dtc not installed' }, (t) => {
  const blob = buildSpikeDtb({ ramBytes: 256 * 1024 * 1024, bootargs: 'console=ttyS0', initrd: { start: 0x88200000, end: 0x88200100 } });
  const { dts, diags } = decompile(blob);
  // QEMU names the node plain "htif" although it has reg; its own tree draws the same warning.
  assert.deepEqual(seriousDiags(diags).filter((d) => !/unit_address_vs_reg\): \/htif:/.test(d)), []);
  const ours = parseDts(dts);
  assert.equal(ours.get('/htif')!.get('compatible'), '"ucb,htif0"');
  assert.equal(ours.get('/chosen')!.get('linux,initrd-end'), '<0x88200100>');
  assert.equal(ours.get('/soc/clint@2000000')!.get('reg'), '<0x00 0x2000000 0x00 0x10000>');
  if (!haveQemu) return t.skip('qemu not installed');
  const q = qemuTree('spike');
  // QEMU places the initrd itself; our values are the ones given above.
  compareWithQemu(q, ours, /^$/, new Set(['riscv,isa', 'mmu-type', 'linux,initrd-start', 'linux,initrd-end']));
});
