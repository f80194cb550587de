/**
 * Command line front ends: the QEMU-style parser, the size parser, the console's escape
 * character, the Node host, and the built binaries' behaviour on bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ConfigError } from '../src/core/machine/types.js';
import {
  DEFAULT_RAM, MAX_RAM_BYTES, loadConfig, loadKernel, loadKernelAsync, parseArgs, parseMemoryOption, parseSize, splitKeyValues,
  type ParsedOptions,
} from '../src/host/node/cli/options.js';
import { planArgs, HINT } from '../src/host/node/cli/tsvm.js';
import { ESCAPE_CHAR, NodeConsole, TERMINATED_MESSAGE, type InputStream } from '../src/host/node/console.js';
import { NodeHost, warningKind } from '../src/host/node/host.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SYSTEM = join(ROOT, 'bin', 'tsvm-system-riscv64.js');
const FRONT = join(ROOT, 'bin', 'tsvm.js');
const MiB = 1024 * 1024;

function run(script: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000, input: '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runOptions(argv: string[]): ParsedOptions {
  const r = parseArgs(argv);
  assert.equal(r.action, 'run');
  return (r as { options: ParsedOptions }).options;
}

// ---------------------------------------------------------------------------------------------

test('parseSize: QEMU -m semantics', () => {
  assert.equal(parseSize('256'), 256 * MiB);
  assert.equal(parseSize('256M'), 256 * MiB);
  assert.equal(parseSize('256m'), 256 * MiB);
  assert.equal(parseSize('256MB'), 256 * MiB);
  assert.equal(parseSize('1G'), 1024 * MiB);
  assert.equal(parseSize('1g'), 1024 * MiB);
  assert.equal(parseSize('1.5G'), 1536 * MiB);
  assert.equal(parseSize('65536K'), 64 * MiB);
  assert.equal(parseSize('65536kb'), 64 * MiB);
  assert.equal(parseSize('1T'), 1024 * 1024 * MiB);
  assert.equal(parseSize('1048576B'), MiB);
  assert.equal(parseSize('0'), 0);
  for (const bad of ['', '12Q', '-1', '1.5', 'M', '1 G', ' 1', '1G ', '0x10', '1e3', '1GG', 'abc', '1..2G']) {
    assert.equal(parseSize(bad), undefined, bad);
  }
});

test('parseMemoryOption: rounding, limits and one-line errors', () => {
  assert.equal(parseMemoryOption('128'), 128 * MiB);
  assert.equal(parseMemoryOption('size=512M'), 512 * MiB);
  assert.equal(parseMemoryOption('100K'), 128 * 1024); // rounded up to 64 KiB
  assert.equal(parseMemoryOption('4194240K'), MAX_RAM_BYTES);
  const err = (arg: string, re: RegExp): void => {
    assert.throws(() => parseMemoryOption(arg), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.match(e.message, re);
      return true;
    });
  };
  err('0', /^-m 0: .*greater than zero/);
  err('0M', /greater than zero/);
  err('12Q', /^-m 12Q: invalid size/);
  err('4G', /too large/);
  err('4194241K', /too large/);
  err('1G,slots=2', /Invalid parameter 'slots'/);
  err('size=', /invalid size/);
});

test('splitKeyValues: implied key, ",," escaping, flags', () => {
  assert.deepEqual(splitKeyValues('virt', 'type'), [{ key: 'type', value: 'virt' }]);
  assert.deepEqual(splitKeyValues('virt,dumpdtb=a,,b.dtb', 'type'), [
    { key: 'type', value: 'virt' },
    { key: 'dumpdtb', value: 'a,b.dtb' },
  ]);
  assert.deepEqual(splitKeyValues('type=spike,accel=tcg', 'type'), [
    { key: 'type', value: 'spike' },
    { key: 'accel', value: 'tcg' },
  ]);
  assert.deepEqual(splitKeyValues('a=1,flag'), [{ key: 'a', value: '1' }, { key: 'flag', value: 'on' }]);
  assert.deepEqual(splitKeyValues('x=a=b'), [{ key: 'x', value: 'a=b' }]);
  assert.deepEqual(splitKeyValues(',,,,', 'k'), [{ key: 'k', value: ',,' }]);
  assert.deepEqual(splitKeyValues('', 'size'), [{ key: 'size', value: '' }]);
});

test('parseArgs: options and defaults', () => {
  const d = runOptions([]);
  assert.equal(d.machine, 'virt');
  assert.equal(d.ramBytes, DEFAULT_RAM);
  assert.equal(d.smp, 1);
  assert.equal(d.serial, 'mon:stdio');
  assert.equal(d.noReboot, false);

  const o = runOptions(['-M', 'spike', '--m', '64M', '-smp', '1', '-cpu', 'max', '-kernel', 'k', '-initrd', 'i',
    '-append', 'console=ttyS0 a,b', '-bios', 'none', '-nographic', '-display', 'none', '-serial', 'stdio',
    '-monitor', 'none', '-no-reboot', '-accel', 'tcg', '--machine', 'accel=tcg']);
  assert.equal(o.machine, 'spike');
  assert.equal(o.ramBytes, 64 * MiB);
  assert.equal(o.cpu, 'max');
  assert.equal(o.kernel, 'k');
  assert.equal(o.initrd, 'i');
  assert.equal(o.append, 'console=ttyS0 a,b');
  assert.equal(o.bios, 'none');
  assert.equal(o.nographic, true);
  assert.equal(o.serial, 'stdio');
  assert.equal(o.noReboot, true);

  const m = runOptions(['-machine', 'virt,dumpdtb=out,,1.dtb', '-m', '1G', '-m', '2G']);
  assert.equal(m.dumpDtb, 'out,1.dtb');
  assert.equal(m.ramBytes, 2048 * MiB, 'the last -m wins');

  for (const argv of [['-version'], ['-h'], ['--help'], ['-M', 'help'], ['-cpu', 'help']]) {
    const r = parseArgs(argv);
    assert.equal(r.action, 'print', argv.join(' '));
  }
  assert.match((parseArgs(['-M', 'help']) as { text: string }).text, /^Supported machines are:\n.*spike.*\n.*virt/);
  assert.match((parseArgs(['-cpu', 'help']) as { text: string }).text, /rv64[\s\S]*max/);
});

test('parseArgs: errors are ConfigErrors with QEMU-like one-line messages', () => {
  const cases: [string[], RegExp][] = [
    [['-foo'], /^-foo: invalid option$/],
    [['--foo'], /^--foo: invalid option$/],
    [['-kernel'], /^-kernel: requires an argument$/],
    [['-smp', '2'], /^-smp 2: only 1 CPU is supported for now$/],
    [['-smp', 'cpus=1,sockets=2'], /only 1 CPU/],
    [['-smp', 'x'], /expects an integer/],
    [['-M', 'foo'], /^-M foo: unsupported machine type 'foo'/],
    [['-M', 'virt,bogus=1'], /bogus/],
    [['-cpu', 'foo'], /^unable to find CPU model 'foo'$/],
    [['-accel', 'kvm'], /invalid accelerator/],
    [['-M', 'virt,accel=kvm'], /invalid accelerator/],
    [['-serial', 'tcp::4444'], /not a supported char device/],
    [['-display', 'gtk'], /does not accept value 'gtk'/],
    [['-monitor', 'stdio'], /only -monitor none/],
    [['-append', 'x'], /^-append only allowed with -kernel option$/],
    [['-initrd', 'x'], /^-initrd only allowed with -kernel option$/],
    [['disk.img'], /disk images are not supported/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseArgs(argv), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${argv.join(' ')}: ${String(e)}`);
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'));
      return true;
    }, argv.join(' '));
  }
});

test('loadConfig: files, gzip kernels, bios choices', () => {
  const files: Record<string, Uint8Array> = {
    raw: Uint8Array.from([1, 2, 3, 4]),
    gz: new Uint8Array(gzipSync(Uint8Array.from([9, 8, 7]))),
    initrd: new Uint8Array(gzipSync(Uint8Array.from([5]))),
    fw: Uint8Array.from([0x13, 0, 0, 0]),
    empty: new Uint8Array(0),
  };
  const read = (p: string): Uint8Array => {
    const f = files[p];
    if (!f) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT', syscall: 'open' });
    return f;
  };
  const cfg = (argv: string[]) => loadConfig(runOptions(argv), read);

  const a = cfg(['-kernel', 'raw', '-append', 'x y', '-no-reboot']).config;
  assert.deepEqual([...a.kernel!], [1, 2, 3, 4]);
  assert.equal(a.bios, 'builtin');
  assert.equal(a.append, 'x y');
  assert.equal(a.noReboot, true);
  assert.equal(a.initrd, undefined);

  const b = cfg(['-kernel', 'gz', '-initrd', 'initrd', '-bios', 'fw']).config;
  assert.deepEqual([...b.kernel!], [9, 8, 7], 'gzip kernels are decompressed');
  assert.deepEqual(b.initrd, files.initrd, 'the initrd is passed as is');
  assert.deepEqual(b.bios, files.fw);
  assert.equal(cfg(['-kernel', 'raw', '-bios', 'none']).config.bios, 'none');
  assert.equal(cfg(['-kernel', 'raw', '-bios', 'default']).config.bios, 'builtin');
  assert.equal(cfg(['-M', 'spike', '-kernel', 'raw']).config.bios, 'builtin');
  assert.equal(cfg(['-kernel', 'raw', '-M', 'virt,dumpdtb=x.dtb']).frontend.dumpDtb, 'x.dtb');

  const fails: [string[], string][] = [
    [['-kernel', 'nope'], "could not load kernel 'nope': No such file or directory"],
    [['-kernel', 'raw', '-initrd', 'nope'], "could not load ramdisk 'nope': No such file or directory"],
    [['-kernel', 'raw', '-bios', 'nope'], "could not load firmware 'nope': No such file or directory"],
    [['-kernel', 'empty'], "could not load kernel 'empty': file is empty"],
  ];
  for (const [argv, msg] of fails) {
    assert.throws(() => cfg(argv), (e: unknown) => e instanceof ConfigError && e.message === msg, argv.join(' '));
  }
  assert.throws(() => loadKernel('bad', () => Uint8Array.from([0x1f, 0x8b, 1, 2, 3])), /could not load kernel 'bad': bad gzip/);
});

test('loadKernelAsync: same bytes and errors as loadKernel, a missing file reported at once', async () => {
  const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 255); // more than one default zlib chunk
  const files: Record<string, Uint8Array> = { gz: gzipSync(big), raw: Uint8Array.from([5, 6]), bad: Uint8Array.from([0x1f, 0x8b, 1, 2, 3]) };
  const read = (p: string): Uint8Array => {
    const f = files[p];
    if (!f) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT', syscall: 'open' });
    return f;
  };
  assert.deepEqual(await loadKernelAsync('gz', read), big);
  assert.deepEqual([...(await loadKernelAsync('raw', read))], [5, 6]);
  await assert.rejects(loadKernelAsync('bad', read), (e: unknown) => e instanceof ConfigError && /^could not load kernel 'bad': bad gzip data: /.test(e.message));
  assert.throws(() => loadKernelAsync('nope', read), /could not load kernel 'nope': No such file or directory/);
});

test('tsvm front end: default guest and pass-through options', () => {
  const d = planArgs([]);
  assert.equal(d.action, 'run');
  if (d.action !== 'run') return;
  assert.equal(d.defaultGuest, true);
  const o = runOptions(d.argv);
  assert.equal(o.machine, 'virt');
  assert.equal(o.ramBytes, 256 * MiB);
  assert.match(o.kernel!, /images[\\/]riscv64[\\/]Image\.gz$/);
  assert.match(o.initrd!, /images[\\/]riscv64[\\/]initramfs\.cpio\.gz$/);
  assert.equal(o.append, 'console=ttyS0');

  const p = planArgs(['-m', '512M', '--append=quiet', '-no-reboot']);
  if (p.action !== 'run') return assert.fail();
  const po = runOptions(p.argv);
  assert.equal(po.ramBytes, 512 * MiB);
  assert.equal(po.append, 'quiet');
  assert.equal(po.noReboot, true);

  const k = planArgs(['--kernel', 'my/Image', '--memory', '1G']);
  if (k.action !== 'run') return assert.fail();
  assert.equal(k.defaultGuest, false);
  const ko = runOptions(k.argv);
  assert.equal(ko.kernel, 'my/Image');
  assert.equal(ko.initrd, undefined);
  assert.equal(ko.ramBytes, 1024 * MiB);

  assert.equal(planArgs(['--help']).action, 'print');
  assert.equal(planArgs(['--version']).action, 'print');
  assert.throws(() => planArgs(['--memory']), /--memory: requires an argument/);
});

// ---------------------------------------------------------------------------------------------
// Console and host

class FakeInput implements InputStream {
  isTTY = false;
  private handlers: Record<string, ((arg: never) => void)[]> = {};
  on(event: string, fn: (arg: never) => void): this {
    (this.handlers[event] ??= []).push(fn);
    return this;
  }
  removeListener(event: string, fn: (...args: never[]) => void): this {
    this.handlers[event] = (this.handlers[event] ?? []).filter((h) => h !== fn);
    return this;
  }
  resume(): this { return this; }
  pause(): this { return this; }
  emit(event: string, arg?: unknown): void {
    for (const h of this.handlers[event] ?? []) h(arg as never);
  }
}

function fakeConsole(mode: 'mon:stdio' | 'stdio' | 'none' = 'mon:stdio') {
  const input = new FakeInput();
  const written: Uint8Array[] = [];
  let quits = 0;
  const con = new NodeConsole({
    mode,
    input,
    output: { write: (d: Uint8Array | string, cb?: () => void) => { if (typeof d !== 'string') written.push(d); cb?.(); return true; } },
    onQuit: () => quits++,
  });
  const received: number[] = [];
  con.setReceiver((d) => received.push(...d));
  con.start();
  const out = (): string => Buffer.concat(written).toString('latin1');
  return { input, con, received, out, quits: () => quits };
}

test('console: Ctrl-A escapes on a pipe (mon:stdio)', async () => {
  const c = fakeConsole();
  c.input.emit('data', Buffer.from('ab\x01'));
  c.input.emit('data', Buffer.from('acd\x01\x01e\x01zf'));
  assert.deepEqual(Buffer.from(c.received).toString('latin1'), 'ab\x01cd\x01ef', 'C-a a and C-a C-a send C-a; unknown escapes are dropped');
  c.input.emit('data', Buffer.from('\x01h'));
  await c.con.flush();
  assert.match(c.out(), /C-a x +exit emulator/);
  c.input.emit('data', Buffer.from('\x01c'));
  await c.con.flush();
  assert.match(c.out(), /no monitor/);
  c.input.emit('end');
  assert.equal(c.quits(), 0, 'EOF does not quit');
  c.input.emit('data', Buffer.from('g\x01xh'));
  assert.equal(c.quits(), 1);
  assert.equal(Buffer.from(c.received).toString('latin1'), 'ab\x01cd\x01efg', 'input after C-a x is ignored');
  await c.con.flush();
  assert.ok(c.out().endsWith(TERMINATED_MESSAGE));
  c.con.close();
});

test('console: plain stdio passes Ctrl-A through; output is coalesced per tick', async () => {
  const c = fakeConsole('stdio');
  c.input.emit('data', Uint8Array.from([ESCAPE_CHAR, 0x78]));
  assert.deepEqual(c.received, [ESCAPE_CHAR, 0x78]);
  assert.equal(c.quits(), 0);
  const writes: Uint8Array[] = [];
  const con = new NodeConsole({ mode: 'stdio', input: new FakeInput(), output: { write: (d: Uint8Array | string, cb?: () => void) => { if (typeof d !== 'string') writes.push(d); cb?.(); return true; } } });
  const src = new Uint8Array(1);
  for (const ch of 'hello') { src[0] = ch.charCodeAt(0); con.write(src); }
  assert.equal(writes.length, 0, 'nothing written synchronously');
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 1);
  assert.equal(Buffer.from(writes[0]).toString(), 'hello');
});

test('console: input before the receiver is registered is kept', () => {
  const input = new FakeInput();
  const con = new NodeConsole({ mode: 'mon:stdio', input, output: { write: () => true } });
  con.start();
  input.emit('data', Buffer.from('early'));
  const got: number[] = [];
  con.setReceiver((d) => got.push(...d));
  assert.equal(Buffer.from(got).toString(), 'early');
  con.close();
});

test('host: sleep is cut short by wake; a wake while awake is not lost', async () => {
  const host = new NodeHost({ input: new FakeInput(), output: { write: () => true }, warnSink: () => {} });
  let t = host.nowMs();
  const p = host.sleep(5000);
  setTimeout(() => host.wake(), 10);
  await p;
  assert.ok(host.nowMs() - t < 1000);
  host.wake();
  t = host.nowMs();
  await host.sleep(5000);
  assert.ok(host.nowMs() - t < 1000);
  await host.yield();
  const buf = new Uint8Array(70000);
  host.randomFill(buf);
  assert.ok(buf.subarray(65536).some((b) => b !== 0));
});

test('host: warnings are rate-limited per kind', () => {
  const lines: string[] = [];
  const host = new NodeHost({ prog: 'x', input: new FakeInput(), output: { write: () => true }, warnSink: (l) => lines.push(l), warnBurst: 3 });
  for (let i = 0; i < 100; i++) host.warn(`unhandled read at 0x${(0x1000 + i).toString(16)}`);
  host.warn('something else');
  const kinds = lines.filter((l) => l.includes('unhandled read'));
  assert.equal(kinds.length, 3);
  assert.equal(lines.length, 5, lines.join(''));
  assert.ok(lines.every((l) => l.startsWith('x: warning: ') && l.endsWith('\n')));
  assert.equal(warningKind('bad csr 0x300 at pc 80000000'), warningKind('bad csr 0x7c0 at pc 80001234'));
});

// ---------------------------------------------------------------------------------------------
// The binaries

test('tsvm-system-riscv64 rejects bad input with one line and status 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-cli-'));
  const kernel = join(dir, 'Image');
  writeFileSync(kernel, Buffer.from([0x6f, 0, 0, 0])); // j . (never runs: every case fails first)
  const cases: [string[], RegExp][] = [
    [['-foo'], /^tsvm-system-riscv64: -foo: invalid option\n$/],
    [['-kernel', join(dir, 'missing')], /^tsvm-system-riscv64: could not load kernel '.*missing': No such file or directory\n$/],
    [['-kernel', kernel, '-initrd', join(dir, 'nope')], /^tsvm-system-riscv64: could not load ramdisk .*No such file or directory\n$/],
    [['-kernel', kernel, '-m', '0'], /^tsvm-system-riscv64: -m 0: .*\n$/],
    [['-kernel', kernel, '-m', '12Q'], /^tsvm-system-riscv64: -m 12Q: .*\n$/],
    [['-kernel', kernel, '-m', '8G'], /^tsvm-system-riscv64: -m 8G: .*too large.*\n$/],
    [['-kernel', kernel, '-smp', '2'], /^tsvm-system-riscv64: -smp 2: only 1 CPU is supported for now\n$/],
    [['-M', 'foo', '-kernel', kernel], /^tsvm-system-riscv64: -M foo: unsupported machine type 'foo'.*\n$/],
    [['-kernel', kernel, '-M', `virt,dumpdtb=${join(dir, 'no', 'such', 'dir.dtb')}`], /^tsvm-system-riscv64: could not write dtb .*\n$/],
  ];
  for (const [args, re] of cases) {
    const r = run(SYSTEM, args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('-version, -help, -machine help, -cpu help print and exit 0', () => {
  const v = run(SYSTEM, ['-version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^tsvm emulator version \d+\.\d+\.\d+/);
  const h = run(SYSTEM, ['-h']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /-kernel/);
  const m = run(SYSTEM, ['-machine', 'help']);
  assert.equal(m.code, 0);
  assert.match(m.stdout, /virt +RISC-V VirtIO board/);
  const c = run(SYSTEM, ['-cpu', 'help']);
  assert.equal(c.code, 0);
  assert.match(c.stdout, /rv64/);
  for (const r of [v, h, m, c]) assert.equal(r.stderr, '');
});

test('-machine dumpdtb writes the DTB and exits 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-cli-'));
  const kernel = join(dir, 'Image');
  writeFileSync(kernel, Buffer.from([0x6f, 0, 0, 0]));
  const out = join(dir, 'virt.dtb');
  const r = run(SYSTEM, ['-M', `virt,dumpdtb=${out}`, '-kernel', kernel]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /dtb dumped to/);
  assert.equal(readFileSync(out).readUInt32BE(0), 0xd00dfeed);
});

test('tsvm: --help, --version, bad options', () => {
  const h = run(FRONT, ['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--memory SIZE/);
  const v = run(FRONT, ['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /version/);
  const bad = run(FRONT, ['-foo']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'tsvm: -foo: invalid option\n');
  const mem = run(FRONT, ['--memory', '0']);
  assert.equal(mem.code, 1);
  assert.match(mem.stderr, /^tsvm: -m 0: /);
  const k = run(FRONT, ['--kernel', '/nonexistent/Image']);
  assert.equal(k.code, 1);
  assert.equal(k.stderr, "tsvm: could not load kernel '/nonexistent/Image': No such file or directory\n");
  assert.ok(!k.stderr.includes(HINT));
});
