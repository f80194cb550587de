/**
 * The virtio options of the QEMU-style command line: -drive, -hda, -device, -chardev, and
 * `tsvm --disk`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseArgs, type ParsedOptions } from '../src/host/node/cli/options.js';
import { planArgs } from '../src/host/node/cli/tsvm.js';
import { SYSTEM } from './support/guest.js';

function run(...args: string[]): ParsedOptions {
  const r = parseArgs(args);
  assert.equal(r.action, 'run');
  return (r as { options: ParsedOptions }).options;
}

test('virtio command line options', async (t) => {
  await t.test('devices take slots in command-line order', () => {
    const o = run('-serial', 'none', '-device', 'virtio-rng-device', '-drive', 'file=a,,b.img,format=raw,id=d0,if=none,readonly=on,cache=unsafe',
      '-hda', 'h.img', '-device', 'virtio-blk-device,drive=d0,serial=S1', '-device', 'virtio-serial-device',
      '-device', 'virtconsole,chardev=c', '-chardev', 'stdio,id=c,mux=on');
    assert.deepEqual(o.devices, [
      { type: 'rng' }, { type: 'blk', drive: 'hda' }, { type: 'blk', drive: 'd0', serial: 'S1' }, { type: 'console', chardev: 'c' },
    ]);
    assert.deepEqual(o.drives[0], { id: 'd0', file: 'a,b.img', format: 'raw', readOnly: true, snapshot: false, cache: 'unsafe' });
    assert.equal(o.drives[1].file, 'h.img');
    assert.equal(o.chardevs[0].mux, true);
  });

  await t.test('-device help lists the devices', () => {
    const r = parseArgs(['-device', 'help']);
    assert.equal(r.action, 'print');
    assert.match((r as { text: string }).text, /virtio-blk-device[\s\S]*virtio-rng-device[\s\S]*virtconsole/);
  });

  const bad: [string[], RegExp][] = [
    [['-device', 'virtio-blk-device,drive=nope'], /can't find value 'nope'/],
    [['-device', 'virtio-blk-device'], /drive' is required/],
    [['-drive', 'file=x,id=a,if=none', '-device', 'virtio-blk-device,drive=a', '-device', 'virtio-blk-device,drive=a'], /already in use/],
    [['-device', 'virtconsole,chardev=c'], /No 'virtio-serial-bus' bus/],
    [['-device', 'virtio-foo'], /not a valid device model/],
    [['-device', 'virtio-rng-device,bogus=1'], /Property 'virtio-rng-device.bogus' not found/],
    [['-drive', 'file=x,if=ide'], /if=ide is not supported/],
    [['-drive', 'format=raw'], /needs file=/],
    [['-chardev', 'stdio,id=c'], /cannot use stdio by multiple/],
    [['-chardev', 'pty,id=c'], /not supported/],
    [['-chardev', 'file,id=c'], /needs path/],
    [['-M', 'spike', '-device', 'virtio-rng-device'], /need -machine virt/],
    [Array.from({ length: 9 }, () => ['-device', 'virtio-rng-device']).flat(), /too many virtio devices/],
  ];
  for (const [args, re] of bad) {
    await t.test(`rejects ${args.join(' ').slice(0, 60)}`, () => assert.throws(() => parseArgs(args), re));
  }

  await t.test('tsvm --disk attaches a virtio drive', () => {
    const p = planArgs(['--disk', '/nonexistent/x.img']);
    assert.equal(p.action, 'run');
    const argv = (p as { argv: string[] }).argv;
    const i = argv.indexOf('-drive');
    assert.equal(argv[i + 1], 'file=/nonexistent/x.img,if=virtio,format=raw');
  });

  await t.test('a missing image is one line on stderr and status 1', () => {
    const r = spawnSync(process.execPath, [SYSTEM, '-drive', 'file=/nonexistent/x.img,format=raw', '-kernel', SYSTEM], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^tsvm-system-riscv64: -drive file=\/nonexistent\/x\.img: .*No such file or directory\n$/);
  });
});
