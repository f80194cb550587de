/**
 * One boot of the default guest with `-nic user,hostfwd=...`: DHCP gives 10.0.2.15, wget of 4 MiB from a
 * 127.0.0.1 HTTP server through 10.0.2.2 (sha256 compared), busybox httpd in the guest reached from
 * the host through hostfwd, an upload to the host, and a name resolved by the DNS proxy at
 * 10.0.2.3. Loopback only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, get, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { FRONT, Guest, PROMPT, freePort } from './support/guest.js';

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error('timed out')));
  });
}

test('guest networking: DHCP, wget from the host, hostfwd into busybox httpd, DNS', { timeout: 240_000 }, async () => {
  // 4 MiB of deterministic, incompressible-looking bytes.
  const file = new Uint8Array(4 * 1024 * 1024);
  let x = 0x12345678;
  for (let i = 0; i < file.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    file[i] = x & 0xff;
  }
  const sha = createHash('sha256').update(file).digest('hex');
  let uploadSha = '';
  const server: Server = createServer((req, res) => {
    if (req.url === '/upload' && req.method === 'POST') {
      const h = createHash('sha256');
      req.on('data', (d: Buffer) => h.update(d));
      req.on('end', () => {
        uploadSha = h.digest('hex');
        res.end('stored\n');
      });
    } else if (req.url === '/file') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length });
      res.end(file);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const httpPort = (server.address() as AddressInfo).port;
  const fwdPort = await freePort();
  const g = new Guest(FRONT, ['-nic', `user,hostfwd=tcp:127.0.0.1:${fwdPort}-:80`]);
  try {
    let at = await g.waitFor(PROMPT, 90_000);
    g.type('for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do ip -4 addr show eth0 | grep -q 10.0.2.15 && break; sleep 1; done; ' +
      'echo "ADDR=$(ip -4 addr show eth0 | grep -o "inet [0-9./]*")"');
    at = await g.waitFor(/ADDR=inet 10\.0\.2\.15\/24/, 30_000, at);

    g.type(`echo "SUM=$(wget -q -O - http://10.0.2.2:${httpPort}/file | sha256sum)"`);
    const sumEnd = await g.waitFor(/SUM=[0-9a-f]{64}/, 120_000, at);
    const m = /SUM=([0-9a-f]{64})/.exec(g.output.slice(at, sumEnd));
    assert.equal(m?.[1], sha, 'sha256 of the file fetched through user networking');
    at = await g.waitFor(PROMPT, 10_000, at);

    // Guest → host: a text file (busybox wget posts the file as a string) of ~350 KB.
    g.type(`dd if=/dev/urandom bs=1k count=256 2>/dev/null | base64 > /tmp/up && ` +
      `wget -q -O - --post-file=/tmp/up http://10.0.2.2:${httpPort}/upload && echo "UP=$(sha256sum < /tmp/up)"`);
    const upEnd = await g.waitFor(/UP=[0-9a-f]{64}/, 60_000, at);
    const up = /UP=([0-9a-f]{64})/.exec(g.output.slice(at, upEnd));
    assert.equal(up?.[1], uploadSha, 'sha256 of the upload as the host received it');
    at = upEnd;

    g.type('mkdir -p /www && echo tsvm-guest-page > /www/index.html && httpd -p 80 -h /www && sleep 1 && echo HTTPD=$((6*7))');
    at = await g.waitFor(/HTTPD=42/, 15_000, at);
    // busybox httpd may bind its socket only after it daemonized: a refused first try is retried.
    let page = '';
    for (let i = 0; ; i++) {
      try {
        page = await fetchText(`http://127.0.0.1:${fwdPort}/index.html`);
        break;
      } catch (e) {
        if (i === 4) throw e;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    assert.equal(page.trim(), 'tsvm-guest-page');

    g.type('nslookup localhost 10.0.2.3 && echo DNS=$((6*7))');
    const dnsEnd = await g.waitFor(/DNS=42/, 20_000, at);
    const dns = g.output.slice(at, dnsEnd);
    assert.match(dns, /Address:\s*10\.0\.2\.2/, 'localhost (127.0.0.1 on the host) is the gateway to the guest');
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${g.tail()}`);
  } finally {
    g.kill();
    server.close();
  }
});
