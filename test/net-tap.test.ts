/**
 * -netdev tap: the struct ifreq given to TUNSETIFF, the parser, the one-line error without rights,
 * and (as root, with `ip netns` working) one guest on tap0 inside a private network namespace
 * `tsvmtestPID`: ping both ways on 192.168.77.0/24. Traffic never leaves the namespace, which is
 * deleted at the end whatever happens. Without root or netns the guest part is skipped, visibly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ConfigError } from '../src/core/machine/types.js';
import { openNetdev, parseNetdev } from '../src/host/node/net/netdev.js';
import { encodeIfreq, ifreqName, IFF_NO_PI, IFF_TAP, IFREQ_SIZE, openTap, TapError, TUNSETIFF } from '../src/host/node/net/tap.js';
import { Guest, INITRD, IMAGE, PROMPT, ROOT, SYSTEM } from './support/guest.js';

test('ifreq for TUNSETIFF: name, IFF_TAP|IFF_NO_PI, 40 bytes', () => {
  assert.equal(TUNSETIFF, 0x400454ca);
  const b = encodeIfreq('tap0', IFF_TAP | IFF_NO_PI);
  assert.equal(b.length, IFREQ_SIZE);
  assert.deepEqual([...b.subarray(0, 16)], [0x74, 0x61, 0x70, 0x30, ...new Array(12).fill(0)]);
  assert.equal(b.readUInt16LE(16), 0x1002); // the test hosts are little-endian
  assert.ok(b.subarray(18).every((x) => x === 0));
  assert.equal(ifreqName(b), 'tap0');
  assert.equal(ifreqName(encodeIfreq('', IFF_TAP)), '');
  assert.equal(ifreqName(encodeIfreq('a23456789012345', IFF_TAP)), 'a23456789012345');
  assert.throws(() => encodeIfreq('a234567890123456', IFF_TAP), /too long/);
});

test('-netdev tap parsing', () => {
  assert.deepEqual(parseNetdev('-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no').spec, { type: 'tap', id: 'n0', ifname: 'tap0' });
  assert.deepEqual(parseNetdev('-nic', 'tap,ifname=t1,script=no', { defaultId: '__nic0' }).spec, { type: 'tap', id: '__nic0', ifname: 't1' });
  assert.throws(() => parseNetdev('-netdev', 'tap,id=n0,ifname=tap0,script=/etc/qemu-ifup'), /script=\/etc\/qemu-ifup is not supported/);
  assert.throws(() => parseNetdev('-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=/etc/qemu-ifdown'), /downscript=.* is not supported/);
  assert.throws(() => parseNetdev('-netdev', 'tap,id=n0,ifname=waytoolongname00'), /invalid ifname/);
  assert.throws(() => parseNetdev('-netdev', 'tap,id=n0,fd=3'), /Invalid parameter 'fd'/);
  assert.throws(() => parseNetdev('-netdev', 'bridge,id=n0'), ConfigError);
});

test('tap without /dev/net/tun: one-line ConfigError', async () => {
  await assert.rejects(openTap({ ifname: 'tap0' }, '/nonexistent/tun'), (e: Error) => e instanceof TapError && e.message === 'No such file or directory');
});

/** Runs the CLI with a tap netdev; returns [status, stderr]. */
function runTap(prefix: string[]): { status: number | null; stderr: string } {
  const args = [...prefix, process.execPath, SYSTEM, '-nographic', '-kernel', IMAGE, '-netdev', 'tap,id=n0,ifname=tsvmx0,script=no,downscript=no',
    '-device', 'virtio-net-device,netdev=n0'];
  const r = spawnSync(args[0], args.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

const HAVE_SETPRIV = spawnSync('setpriv', ['--version']).status === 0 && spawnSync('unshare', ['--version']).status === 0;
const IS_ROOT = process.getuid?.() === 0;

test('tap without rights: "could not configure /dev/net/tun (NAME): Operation not permitted", exit 1',
  { skip: !IS_ROOT ? false : !HAVE_SETPRIV ? 'SKIP: running as root and setpriv/unshare are missing (cannot drop CAP_NET_ADMIN)' : false }, () => {
    // As root: in a throwaway network namespace, drop every capability (uid 0 still opens the
    // root-owned /dev/net/tun) so that TUNSETIFF fails with EPERM.
    const r = runTap(IS_ROOT ? ['unshare', '--net', 'setpriv', '--inh-caps=-all', '--bounding-set=-all', '--'] : []);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^tsvm-system-riscv64: -netdev tap,id=n0: could not configure \/dev\/net\/tun \(tsvmx0\): (Operation not permitted|Permission denied|No such file or directory)$/);
  });

/** The namespace part needs root, `ip` and a working `ip netns add`. */
function netnsReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!IS_ROOT) return 'not root (tap in a network namespace needs CAP_SYS_ADMIN/CAP_NET_ADMIN)';
  if (spawnSync('ip', ['-V']).status !== 0) return '`ip` (iproute2) not found';
  if (spawnSync('ping', ['-V']).error !== undefined && spawnSync('busybox', ['ping', '-h']).error !== undefined) return 'no ping on the host (iputils or busybox)';
  const probe = `tsvmprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add fails: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Consoles are the shared Guest driver running `ip netns exec NS node ...`. */
type Console = Guest;
const netnsGuest = (ns: string, args: string[]): Guest =>
  new Guest('', ['netns', 'exec', ns, process.execPath, SYSTEM, '-m', '256M', '-nographic', '-kernel', IMAGE,
    '-initrd', INITRD, '-append', 'console=ttyS0', ...args], 'ip');

const SKIP = netnsReason();
if (SKIP) console.log(`SKIP: tap guest test: ${SKIP}`);

test('tap guest in a network namespace: ping both ways', { timeout: 180_000, skip: SKIP ? `SKIP: ${SKIP}` : false }, async () => {
  const ns = `tsvmtest${process.pid}`;
  const ip = (...a: string[]) => {
    const r = spawnSync('ip', a, { encoding: 'utf8' });
    assert.equal(r.status, 0, `ip ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  ip('netns', 'add', ns);
  let g: Console | undefined;
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    g = netnsGuest(ns, ['-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no', '-device', 'virtio-net-device,netdev=n0']);
    // The tap exists once the netdev is open (before the machine starts).
    const until = Date.now() + 30_000;
    while (spawnSync('ip', ['-n', ns, 'link', 'show', 'tap0']).status !== 0) {
      if (g.child.exitCode !== null || Date.now() > until) throw new Error(`tap0 never appeared in ${ns}:\n${g.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    ip('-n', ns, 'addr', 'add', '192.168.77.1/24', 'dev', 'tap0');
    ip('-n', ns, 'link', 'set', 'tap0', 'up');
    let at = await g.waitFor(PROMPT, 120_000);
    g.type('kill $(pidof udhcpc) 2>/dev/null; sleep 1; ip -4 addr flush dev eth0; ip addr add 192.168.77.2/24 dev eth0 && ip link set eth0 up && ' +
      'ping -c 3 -i 0.3 192.168.77.1 > /tmp/ping 2>&1; echo "PING=$?"; cat /tmp/ping');
    const end = await g.waitFor(/PING=(\d+)\s/, 60_000, at);
    const rc = /PING=(\d+)\s/.exec(g.output.slice(at, end + 1))![1];
    assert.equal(rc, '0', `guest ping 192.168.77.1:\n${g.tail()}`);
    at = end;
    // iputils ping, or busybox's on hosts without it.
    const pingCmd = spawnSync('ping', ['-V']).error === undefined ? ['ping'] : ['busybox', 'ping'];
    const back = spawnSync('ip', ['netns', 'exec', ns, ...pingCmd, '-c', '3', '-i', '0.3', '-W', '5', '192.168.77.2'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(back.status, 0, `namespace ping 192.168.77.2:\n${back.stdout}${back.stderr}\n${g.tail()}`);
    assert.match(back.stdout, /3 (packets )?received/);
  } finally {
    if (g && g.child.exitCode === null) {
      g.child.kill('SIGKILL');
      await new Promise((r) => g!.child.once('close', r));
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
});

test('openNetdev maps a tap failure to one ConfigError line', { skip: IS_ROOT ? 'SKIP: as root this would create a tap on the host (covered by the CLI test)' : false }, async () => {
  await assert.rejects(openNetdev({ type: 'tap', id: 'n0', ifname: 'tsvmx1' }, () => {}),
    (e: Error) => e instanceof ConfigError && /^-netdev tap,id=n0: could not configure \/dev\/net\/tun \(tsvmx1\): /.test(e.message) && !e.message.includes('\n'));
});

test('-netdev socket,mcast=: two guests in a network namespace ping each other', { timeout: 240_000, skip: SKIP ? `SKIP: ${SKIP}` : false }, async () => {
  // Multicast stays on the namespace's own loopback (MULTICAST turned on, a 224.0.0.0/4 route to it).
  const ns = `tsvmmc${process.pid}`;
  const ip = (...a: string[]) => {
    const r = spawnSync('ip', a, { encoding: 'utf8' });
    assert.equal(r.status, 0, `ip ${a.join(' ')}: ${r.stderr}`);
  };
  ip('netns', 'add', ns);
  const guests: Guest[] = [];
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'multicast', 'on');
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
    const mc = 'socket,id=n0,mcast=230.0.0.1:1234,localaddr=127.0.0.1';
    for (const [i, mac] of ['52:54:00:12:34:61', '52:54:00:12:34:62'].entries()) {
      guests.push(netnsGuest(ns, ['-netdev', mc, '-device', `virtio-net-device,netdev=n0,mac=${mac}`]));
      void i;
    }
    const marks: number[] = [];
    for (const [i, g] of guests.entries()) {
      const at = await g.waitFor(PROMPT, 150_000);
      g.type(`kill $(pidof udhcpc) 2>/dev/null; sleep 1; ip -4 addr flush dev eth0; ip addr add 192.168.78.${i + 1}/24 dev eth0 && ip link set eth0 up && echo "UP=$?"`);
      marks.push(await g.waitFor(/UP=0\s/, 30_000, at));
    }
    for (const [i, g] of guests.entries()) {
      const peer = `192.168.78.${2 - i}`;
      g.type(`ping -c 3 -i 0.3 ${peer} > /tmp/ping 2>&1; echo "PING=$?"; cat /tmp/ping`);
      const end = await g.waitFor(/PING=(\d+)\s/, 60_000, marks[i]);
      assert.equal(/PING=(\d+)\s/.exec(g.output.slice(marks[i], end + 1))![1], '0', `guest ${i + 1} ping ${peer}:\n${g.tail()}`);
    }
  } finally {
    for (const g of guests) {
      if (g.child.exitCode === null) {
        g.child.kill('SIGKILL');
        await new Promise((r) => g.child.once('close', r));
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
