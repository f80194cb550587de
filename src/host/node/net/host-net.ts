/**
 * HostNet on Node: node:net for TCP, node:dgram for UDP, node:dns for names, and unref'd timers
 * (the machine's run loop keeps the process alive, not the network).
 */
import { createServer, Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { HostListener, HostNet, HostTcpHandlers, HostTcpSocket } from '../../../core/net/host.js';

const CONNECT_TIMEOUT_MS = 30_000;

function wrap(sock: Socket, h: () => HostTcpHandlers | undefined): HostTcpSocket {
  let closed = false;
  sock.on('data', (d: Buffer) => h()?.onData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
  sock.on('end', () => h()?.onEnd());
  sock.on('drain', () => h()?.onDrain());
  sock.on('error', (e: NodeJS.ErrnoException) => {
    closed = true;
    h()?.onError(e.code === 'ECONNREFUSED');
  });
  sock.on('close', () => {
    closed = true;
    h()?.onClose();
  });
  return {
    write: (d) => (closed ? true : sock.write(d)),
    end: () => { if (!closed) sock.end(); },
    destroy: () => { closed = true; sock.resetAndDestroy?.() ?? sock.destroy(); },
    pause: () => { sock.pause(); },
    resume: () => { sock.resume(); },
  };
}

export class NodeHostNet implements HostNet {
  tcpConnect(addr: string, port: number, handlers: HostTcpHandlers): HostTcpSocket {
    const sock = new Socket({ allowHalfOpen: true });
    const w = wrap(sock, () => handlers);
    sock.setTimeout(CONNECT_TIMEOUT_MS, () => sock.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
    sock.connect({ host: addr, port }, () => {
      sock.setTimeout(0);
      sock.setNoDelay(true);
      handlers.onConnect();
    });
    return w;
  }

  tcpListen(addr: string, port: number,
    accept: (sock: HostTcpSocket, peerAddr: string, peerPort: number) => HostTcpHandlers | undefined): Promise<HostListener> {
    return new Promise((resolve, reject) => {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
        let handlers: HostTcpHandlers | undefined;
        const w = wrap(sock, () => handlers);
        sock.setNoDelay(true);
        handlers = accept(w, sock.remoteAddress ?? '', sock.remotePort ?? 0);
        if (!handlers) sock.destroy();
      });
      server.once('error', reject);
      server.listen({ host: addr === '' ? undefined : addr, port }, () => {
        server.removeListener('error', reject);
        server.on('error', () => {});
        server.unref();
        resolve({ close: () => server.close() });
      });
    });
  }

  udpOpen(onMessage: (data: Uint8Array, addr: string, port: number) => void) {
    const sock = createSocket('udp4');
    sock.on('message', (d, rinfo) => onMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), rinfo.address, rinfo.port));
    sock.on('error', () => {});
    sock.unref();
    let closed = false;
    return {
      send: (data: Uint8Array, addr: string, port: number) => {
        if (!closed) sock.send(data, port, addr, () => {});
      },
      close: () => {
        if (closed) return;
        closed = true;
        sock.close();
      },
    };
  }

  async resolve(name: string): Promise<string[]> {
    const r = await lookup(name, { family: 4, all: true });
    return r.map((x) => x.address);
  }

  setTimer(cb: () => void, ms: number): unknown {
    const t = setTimeout(cb, ms);
    t.unref();
    return t;
  }

  clearTimer(h: unknown): void {
    clearTimeout(h as ReturnType<typeof setTimeout>);
  }

  now(): number {
    return performance.now();
  }
}
