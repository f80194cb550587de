/**
 * Socket networking between guests, on 127.0.0.1 only: tsvm guest A listens
 * (`-netdev socket,listen=127.0.0.1:PORT`), tsvm guest B connects; static addresses on
 * 192.168.76.0/24, ping both ways, a file fetched each way over HTTP (busybox httpd + wget) with its
 * sha256 compared. Then B goes away and a real qemu-system-riscv64 guest connects to the same
 * listener (QEMU's wire format: 4-byte big-endian length + frame), and the same checks run between
 * tsvm and QEMU. Three boots in all (QEMU's takes about a second); the QEMU part is skipped, visibly,
 * when qemu-system-riscv64 is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FRONT, Guest, IMAGE, INITRD, PROMPT, freePort } from './support/guest.js';

const HAVE_QEMU = spawnSync('qemu-system-riscv64', ['-version']).status === 0;

/** A console: tsvm's, or qemu-system-riscv64's driven the same way (Guest with a program). */
type Console = Guest;

/** Where each console's next wait starts (past what the checks already matched). */
const mark = new Map<Console, number>();

/** Types `cmd` (which must print `KEY=value`), waits for it, returns the value. */
async function run(g: Console, cmd: string, key: string, ms: number, value = '\\S+'): Promise<string> {
  const from = mark.get(g) ?? 0;
  g.type(cmd);
  const re = new RegExp(`${key}=(${value})\\s`);
  const end = await g.waitFor(re, ms, from);
  mark.set(g, end);
  return re.exec(g.output.slice(from, end + 1))![1];
}

/**
 * Static address on eth0. The init script's background udhcpc (no DHCP server on this link) is
 * stopped first so that neither its `deconfig` flush nor a late event touches the address.
 */
async function configure(g: Console, addr: string): Promise<void> {
  mark.set(g, await g.waitFor(PROMPT, 120_000, mark.get(g) ?? 0));
  const got = await run(g, 'kill $(pidof udhcpc) 2>/dev/null; sleep 1; ip -4 addr flush dev eth0; ' +
    `ip addr add ${addr}/24 dev eth0 && ip link set eth0 up && ` +
    'echo "ADDR=$(ip -4 addr show eth0 | grep -o "inet [0-9./]*" | tr " " _)"', 'ADDR', 30_000, 'inet_[0-9./]+');
  assert.equal(got, `inet_${addr}/24`);
}

/**
 * `kib` KiB of /bin/busybox from `skip` KiB on (cheap to make: /dev/urandom costs the interpreted
 * guest seconds per 100 KiB), served by busybox httpd on port 80; returns its sha256.
 */
async function serve(g: Console, skip: number, kib: number): Promise<string> {
  return run(g, `mkdir -p /www && dd if=/bin/busybox of=/www/f bs=1k skip=${skip} count=${kib} 2>/dev/null && ` +
    '(pidof httpd >/dev/null || httpd -p 80 -h /www) && echo "SRV=$(sha256sum < /www/f | cut -c1-64)"', 'SRV', 60_000, '[0-9a-f]{64}');
}

async function ping(g: Console, addr: string): Promise<void> {
  const rc = await run(g, `ping -c 3 -i 0.2 ${addr} > /tmp/ping 2>&1; echo "PING=$?"; cat /tmp/ping`, 'PING', 60_000, '\\d+');
  assert.equal(rc, '0', `ping ${addr}:\n${g.output.slice(-600)}`);
}

async function fetch(g: Console, addr: string): Promise<string> {
  return run(g, `echo "GOT=$(wget -q -O - http://${addr}/f | sha256sum | cut -c1-64)"`, 'GOT', 90_000, '[0-9a-f]{64}');
}

async function exchange(a: Console, aAddr: string, b: Console, bAddr: string): Promise<void> {
  await ping(a, bAddr);
  await ping(b, aAddr);
  const [aSum, bSum] = await Promise.all([serve(a, 0, 384), serve(b, 512, 384)]);
  assert.equal(await fetch(b, aAddr), aSum, `sha256 of ${aAddr}'s file as fetched by ${bAddr}`);
  assert.equal(await fetch(a, bAddr), bSum, `sha256 of ${bAddr}'s file as fetched by ${aAddr}`);
}

test('socket netdev: tsvm <-> tsvm, then tsvm <-> qemu-system-riscv64 on the same listener', { timeout: 300_000 }, async (t) => {
  const port = await freePort();
  const nic = (mac: string) => ['-device', `virtio-net-device,netdev=n0,mac=${mac}`];
  const a = new Guest(FRONT, ['-netdev', `socket,id=n0,listen=127.0.0.1:${port}`, ...nic('52:54:00:12:34:56')]);
  let b: Guest | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tsvm-net-socket-'));
  try {
    // The netdev listens before the machine starts: the first console byte means B can connect.
    await a.waitFor(/\S/, 60_000);

    await t.test('two tsvm guests (listen / connect)', async () => {
      b = new Guest(FRONT, ['-netdev', `socket,id=n0,connect=127.0.0.1:${port}`, ...nic('52:54:00:12:34:58')]);
      try {
        await Promise.all([configure(a, '192.168.76.1'), configure(b, '192.168.76.2')]);
        await exchange(a, '192.168.76.1', b, '192.168.76.2');
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- A ---\n${a.tail()}\n--- B ---\n${b.tail()}`);
      } finally {
        b.kill();
        await b.exited;
      }
    });

    await t.test('tsvm and qemu-system-riscv64', { skip: HAVE_QEMU ? false : 'qemu-system-riscv64 not found' }, async () => {
      const kernel = join(dir, 'Image');
      writeFileSync(kernel, gunzipSync(readFileSync(IMAGE)));
      const q = new Guest('', ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernel, '-initrd', INITRD,
        '-append', 'console=ttyS0', '-netdev', `socket,id=n0,connect=127.0.0.1:${port}`,
        '-device', 'virtio-net-device,netdev=n0,mac=52:54:00:12:34:57'], 'qemu-system-riscv64');
      try {
        // A new address: A's neighbour cache still maps 192.168.76.2 to B's MAC.
        await configure(q, '192.168.76.3');
        await exchange(a, '192.168.76.1', q, '192.168.76.3');
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- A ---\n${a.tail()}\n--- QEMU ---\n${q.tail()}`);
      } finally {
        q.kill();
      }
    });
  } finally {
    a.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
