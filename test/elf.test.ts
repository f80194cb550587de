import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf, isElf, ElfError, EM_RISCV } from '../src/core/loader/elf.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Build a minimal ELF64 LE image: one PT_LOAD, optional symtab. */
function buildElf(opts: {
  cls?: number; data?: number; machine?: number; entry?: bigint;
  vaddr?: bigint; paddr?: bigint; payload?: Uint8Array; memsz?: number;
  symbols?: [string, bigint][];
} = {}): Uint8Array {
  const payload = opts.payload ?? new Uint8Array([0x13, 0, 0, 0, 0x73, 0, 0x10, 0]);
  const syms = opts.symbols ?? [];
  // layout: ehdr(64) phdr(56) payload strtab symtab shdrs(4*64: null, .text-ish, .symtab, .strtab)
  const phoff = 64;
  const payOff = phoff + 56;
  let strtab = [0];
  const nameOffs: number[] = [];
  for (const [n] of syms) { nameOffs.push(strtab.length); for (const c of n) strtab.push(c.charCodeAt(0)); strtab.push(0); }
  const strOff = payOff + payload.length;
  const symOff = (strOff + strtab.length + 7) & ~7;
  const symSize = 24 * (syms.length + 1);
  const shoff = (symOff + symSize + 7) & ~7;
  const total = shoff + 4 * 64;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 2, opts.data ?? 1, 1, 0]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, opts.machine ?? EM_RISCV, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, opts.entry ?? 0x80000000n, true);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setBigUint64(40, BigInt(shoff), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 1, true);
  dv.setUint16(58, 64, true);
  dv.setUint16(60, 4, true);
  dv.setUint16(62, 3, true);
  // phdr
  dv.setUint32(phoff, 1, true);
  dv.setUint32(phoff + 4, 5, true);
  dv.setBigUint64(phoff + 8, BigInt(payOff), true);
  dv.setBigUint64(phoff + 16, opts.vaddr ?? 0x80000000n, true);
  dv.setBigUint64(phoff + 24, opts.paddr ?? 0x80000000n, true);
  dv.setBigUint64(phoff + 32, BigInt(payload.length), true);
  dv.setBigUint64(phoff + 40, BigInt(opts.memsz ?? payload.length + 16), true);
  b.set(payload, payOff);
  b.set(strtab, strOff);
  syms.forEach(([, v], i) => {
    const e = symOff + 24 * (i + 1);
    dv.setUint32(e, nameOffs[i], true);
    b[e + 4] = (1 << 4) | 1; // GLOBAL OBJECT
    dv.setUint16(e + 6, 1, true);
    dv.setBigUint64(e + 8, v, true);
  });
  // section headers: [0]=null, [1]=progbits, [2]=symtab(link 3), [3]=strtab
  const sh = (i: number) => shoff + 64 * i;
  dv.setUint32(sh(1) + 4, 1, true);
  dv.setBigUint64(sh(1) + 24, BigInt(payOff), true);
  dv.setBigUint64(sh(1) + 32, BigInt(payload.length), true);
  dv.setUint32(sh(2) + 4, 2, true);
  dv.setBigUint64(sh(2) + 24, BigInt(symOff), true);
  dv.setBigUint64(sh(2) + 32, BigInt(symSize), true);
  dv.setUint32(sh(2) + 40, 3, true);
  dv.setBigUint64(sh(2) + 56, 24n, true);
  dv.setUint32(sh(3) + 4, 3, true);
  dv.setBigUint64(sh(3) + 24, BigInt(strOff), true);
  dv.setBigUint64(sh(3) + 32, BigInt(strtab.length), true);
  return b;
}

test('parses a synthetic ELF: entry, PT_LOAD, symbols', () => {
  const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const img = parseElf(buildElf({ payload, memsz: 64, symbols: [['tohost', 0x80001000n], ['fromhost', 0x80001040n]] }));
  assert.equal(img.entry, 0x80000000);
  assert.equal(img.machine, 243);
  assert.equal(img.class, 2);
  assert.equal(img.segments.length, 1);
  const s = img.segments[0];
  assert.equal(s.paddr, 0x80000000);
  assert.equal(s.vaddr, 0x80000000);
  assert.equal(s.memsz, 64);
  assert.equal(s.flags, 5);
  assert.deepEqual([...s.data], [...payload]);
  assert.equal(img.symbols.get('tohost'), 0x80001000);
  assert.equal(img.symbols.get('fromhost'), 0x80001040);
});

test('kernel-style high virtual address keeps a usable paddr', () => {
  const img = parseElf(buildElf({ entry: 0xffffffff80000000n, vaddr: 0xffffffff80000000n, paddr: 0x80200000n }));
  assert.equal(img.segments[0].paddr, 0x80200000);
  assert.ok(img.segments[0].vaddr > 2 ** 63);
});

test('isElf', () => {
  assert.equal(isElf(buildElf()), true);
  assert.equal(isElf(new Uint8Array([0x7f, 0x45, 0x4c])), false);
  assert.equal(isElf(new TextEncoder().encode('#!/bin/sh\n')), false);
});

test('rejects malformed input with ElfError', () => {
  const bad = (b: Uint8Array, re: RegExp) => assert.throws(() => parseElf(b), (e: unknown) => e instanceof ElfError && e instanceof Error && re.test((e as Error).message));
  bad(new Uint8Array(100), /not an ELF/);
  bad(buildElf().subarray(0, 40), /truncated ELF header/);
  bad(buildElf({ cls: 1 }), /class/);
  bad(buildElf({ data: 2 }), /little-endian/);
  bad(buildElf({ machine: 62 }), /machine 62/);
  const full = buildElf();
  bad(full.subarray(0, 100), /program headers/);          // phdr cut
  bad(full.subarray(0, 64 + 56 + 4), /segment 0/);         // segment data cut
  const big = buildElf();
  new DataView(big.buffer).setBigUint64(64 + 32, 1n << 40n, true); // filesz huge (> memsz)
  bad(big, /filesz/);
});

test('parses a real ISA test ELF built by tests/isa/build.sh', { skip: !existsSync(join(ROOT, 'tests/isa/bin/rv64ui')) }, () => {
  const img = parseElf(new Uint8Array(readFileSync(join(ROOT, 'tests/isa/bin/rv64ui'))));
  assert.equal(img.entry, 0x80000000);
  assert.ok(img.segments.length >= 1);
  assert.ok(img.segments.every((s) => s.data.length <= s.memsz));
  const th = img.symbols.get('tohost');
  assert.ok(th !== undefined && th >= 0x80000000 && th % 64 === 0);
  assert.ok(img.symbols.has('fromhost'));
  assert.equal(img.symbols.get('_start'), 0x80000000);
});

test('loadKernel: an ELF at physical RAM addresses, and a vmlinux-style one with RAM-relative p_paddr', async () => {
  const { GuestRam, loadKernel } = await import('../src/core/machine/boot.js');
  const ram = new GuestRam(new Uint8Array(1 << 20), 0x80000000);
  const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const direct = loadKernel(ram, buildElf({ payload, paddr: 0x80001000n, vaddr: 0x80001000n, entry: 0x80001000n }), 0x80000000);
  assert.equal(direct.entry, 0x80001000);
  assert.deepEqual([...ram.bytes.subarray(0x1000, 0x1008)], [...payload]);
  // Linux's vmlinux: linked at 0xffffffff80000000 with p_paddr counting from 0; QEMU places it at DRAM base.
  const k = loadKernel(ram, buildElf({ payload, paddr: 0x2000n, vaddr: 0xffffffff80002000n, entry: 0xffffffff80002000n }), 0x80000000);
  assert.equal(k.entry, 0x80002000);
  assert.equal(k.start, 0x80002000);
  assert.deepEqual([...ram.bytes.subarray(0x2000, 0x2008)], [...payload]);
  assert.deepEqual([...ram.bytes.subarray(0x2008, 0x2018)], new Array(16).fill(0)); // memsz beyond filesz is zeroed
  // Neither placement fits: one clear error.
  assert.throws(() => loadKernel(ram, buildElf({ payload, paddr: 0x40000000n, vaddr: 0x40000000n }), 0x80000000), /does not fit in RAM/);
});
