#!/usr/bin/env node
// User-mode networking, tsvm vs qemu-system-riscv64 (`-nic user`), the same default guest on both
// (images/riscv64, -M virt -m 256M), everything on 127.0.0.1:
//   guest → host: `dd if=/dev/zero bs=64k count=256 | nc 10.0.2.2 P` into a Node TCP server; timed on
//                 the host from the accepted connection to the 16 MiB-th byte;
//   guest → host via hostfwd: the host GETs 16 MiB from busybox httpd in the guest (hostfwd to port 80);
//   host → guest: `wget -O /dev/null http://10.0.2.2:P/f` of 16 MiB from a Node HTTP server; timed on
//                 the host from the request to the guest's "done" line on the console;
//   ping RTT:     `ping -c 10 10.0.2.2`, busybox's average.
// Usage: node bench/net.mjs [--skip-qemu]   (needs npm run build)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer, get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 16 * 1024 * 1024;
const args = process.argv.slice(2);
const skipQemu = args.includes('--skip-qemu') || spawnSync('qemu-system-riscv64', ['-version']).status !== 0;
const tmp = mkdtempSync(join(tmpdir(), 'tsvm-bench-net-'));
const INITRD = join(ROOT, 'images', 'riscv64', 'initramfs.cpio.gz');

class Console {
  constructor(cmd, argv) {
    this.out = '';
    this.child = spawn(cmd, argv, { cwd: ROOT });
    this.child.stdout.on('data', (d) => { this.out += d.toString('latin1'); this.poke?.(); });
    this.child.stderr.on('data', (d) => { this.out += d.toString('latin1'); });
    this.at = 0;
  }
  /** Waits for `re` after the last match; returns the match. */
  async wait(re, ms = 300_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.out.slice(this.at));
      if (m) {
        this.at += m.index + m[0].length;
        return m;
      }
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${re}:\n${this.out.slice(-2000)}`);
      await new Promise((r) => { const t = setTimeout(r, 500); this.poke = () => { clearTimeout(t); r(); }; });
    }
  }
  type(line) { this.child.stdin.write(line + '\n'); }
  kill() { if (this.child.exitCode === null) this.child.kill('SIGKILL'); }
}

/** Node TCP server that counts bytes; resolves with seconds from accept to the last byte. */
function sink() {
  const server = createServer((sock) => {
    const t0 = process.hrtime.bigint();
    let n = 0;
    sock.on('data', (d) => {
      n += d.length;
      if (n >= SIZE && server.done) {
        server.done(Number(process.hrtime.bigint() - t0) / 1e9);
        server.done = undefined;
        sock.end();
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const payload = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i += 4) payload.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);

/** GET http://127.0.0.1:port/f; resolves with seconds from the request to the SIZE-th byte. */
function timedGet(port) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = get(`http://127.0.0.1:${port}/f`, (res) => {
      let n = 0;
      res.on('data', (d) => { n += d.length; });
      res.on('end', () => (n === SIZE ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`got ${n} bytes`))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}

async function measure(name, cmd, argv) {
  const fwdPort = await freePort();
  argv = argv.map((a) => (a === 'user,id=n0' ? `user,id=n0,hostfwd=tcp:127.0.0.1:${fwdPort}-:80` : a));
  const g = new Console(cmd, argv);
  try {
    await g.wait(/(^|\n)~ # /);
    g.type('for i in $(seq 30); do ip -4 addr show eth0 | grep -q 10.0.2.15 && break; sleep 1; done; echo "ADDR=$(ip -4 addr show eth0 | grep -c 10.0.2.15)"');
    await g.wait(/ADDR=1/, 60_000);

    // guest → host
    const s = await sink();
    const up = new Promise((r) => { s.done = r; });
    g.type(`dd if=/dev/zero bs=64k count=${SIZE / 65536} 2>/dev/null | nc 10.0.2.2 ${s.address().port}; echo UP=$((6*7))`);
    const upS = await up;
    await g.wait(/UP=42/);
    s.close();

    // guest → host again, through hostfwd: the host GETs a 16 MiB file from busybox httpd in the guest
    // (sendfile: full-size segments, where busybox nc writes ~1 KiB at a time and waits for each ACK)
    g.type(`mkdir -p /www && dd if=/dev/zero of=/www/f bs=64k count=${SIZE / 65536} 2>/dev/null && httpd -p 80 -h /www && echo WWW=$((6*7))`);
    await g.wait(/WWW=42/);
    let fwdS;
    for (let i = 0; fwdS === undefined; i++) {
      try {
        fwdS = await timedGet(fwdPort);
      } catch (e) {
        if (i === 5) throw e;
        await new Promise((r) => setTimeout(r, 1000)); // httpd binds after it daemonized
      }
    }

    // host → guest
    let t0;
    const http = createHttpServer((req, res) => {
      t0 = process.hrtime.bigint();
      res.writeHead(200, { 'content-length': SIZE });
      res.end(payload);
    });
    await new Promise((r) => http.listen(0, '127.0.0.1', r));
    g.type(`wget -q -O /dev/null http://10.0.2.2:${http.address().port}/f && echo DOWN=$((6*7))`);
    await g.wait(/DOWN=42/);
    const downS = Number(process.hrtime.bigint() - t0) / 1e9;
    http.close();

    g.type('ping -c 10 10.0.2.2 | tail -1; echo PING=$((6*7))');
    const m = await g.wait(/min\/avg\/max = [\d.]+\/([\d.]+)\/[\d.]+ ms/, 60_000);
    await g.wait(/PING=42/);
    const rtt = Number(m[1]);
    const mibs = (s) => SIZE / 1048576 / s;
    console.error(`${name}: up ${upS.toFixed(2)} s (${mibs(upS).toFixed(2)} MiB/s), up via hostfwd ${fwdS.toFixed(2)} s (${mibs(fwdS).toFixed(2)} MiB/s), down ${downS.toFixed(2)} s (${mibs(downS).toFixed(2)} MiB/s), ping ${rtt} ms`);
    return { up: mibs(upS), fwd: mibs(fwdS), down: mibs(downS), rtt };
  } finally {
    g.kill();
  }
}

const base = ['-M', 'virt', '-m', '256M', '-nographic', '-initrd', INITRD, '-append', 'console=ttyS0', '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0'];
const t = await measure('tsvm', process.execPath, [join(ROOT, 'bin', 'tsvm-system-riscv64.js'), ...base,
  '-kernel', join(ROOT, 'images', 'riscv64', 'Image.gz')]);
let q;
if (!skipQemu) {
  const raw = join(tmp, 'Image');
  writeFileSync(raw, gunzipSync(readFileSync(join(ROOT, 'images', 'riscv64', 'Image.gz')))); // QEMU 7.2 needs it raw
  q = await measure('qemu', 'qemu-system-riscv64', [...base, '-kernel', raw]);
}
rmSync(tmp, { recursive: true, force: true });

const f = (v, d = 2) => (v === undefined ? '-' : v.toFixed(d));
const slower = (a, b) => (b === undefined ? '-' : `${f(a / b, 1)}x slower`);
console.log(`tsvm net bench, ${new Date().toISOString().slice(0, 10)}, 16 MiB each way, node ${process.version}`);
console.log('| measure | tsvm | QEMU 7.2 TCG | ratio |');
console.log('| --- | --- | --- | --- |');
console.log(`| TCP guest → host, guest \`nc\` to a host server (MiB/s, higher is better) | ${f(t.up)} | ${f(q?.up)} | ${slower(q?.up, t.up)} |`);
console.log(`| TCP guest → host, host GETs from guest httpd via hostfwd (MiB/s) | ${f(t.fwd)} | ${f(q?.fwd)} | ${slower(q?.fwd, t.fwd)} |`);
console.log(`| TCP host → guest, guest \`wget\` from a host server (MiB/s) | ${f(t.down)} | ${f(q?.down)} | ${slower(q?.down, t.down)} |`);
console.log(`| ping 10.0.2.2, average of 10 (ms) | ${f(t.rtt, 3)} | ${f(q?.rtt, 3)} | ${q ? `${f(t.rtt / q.rtt, 1)}x` : '-'} |`);
process.exit(0);
