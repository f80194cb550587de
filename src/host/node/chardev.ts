/**
 * Host character devices for -chardev (the backends of virtio-console ports): stdio (with or
 * without the Ctrl-A mux), file (output only), null, and a listening socket (unix path or TCP
 * port) that serves one client at a time — input is dropped while nobody is connected, as
 * QEMU's server=on,wait=off does.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { ConfigError, type CharBackend } from '../../core/machine/types.js';
import type { ChardevSpec } from './cli/options.js';
import { NodeConsole } from './console.js';

export interface HostChardev extends CharBackend {
  /** Starts input (once the machine exists). */
  start(): void;
  /** Flushes output and releases the resource. */
  close(): Promise<void>;
}

export interface ChardevEnv {
  /** Ctrl-A x (stdio,mux=on) or Ctrl-C (plain stdio on a terminal). */
  onQuit(): void;
}

class NullChardev implements HostChardev {
  write(): void {}
  setReceiver(): void {}
  start(): void {}
  async close(): Promise<void> {}
}

class StdioChardev implements HostChardev {
  private readonly con: NodeConsole;
  constructor(mux: boolean, env: ChardevEnv) {
    this.con = new NodeConsole({ mode: mux ? 'mon:stdio' : 'stdio', onQuit: env.onQuit, onInterrupt: env.onQuit });
  }
  write(d: Uint8Array): void { this.con.write(d); }
  setReceiver(r: (d: Uint8Array) => void): void { this.con.setReceiver(r); }
  start(): void { this.con.start(); }
  async close(): Promise<void> {
    this.con.close();
    await this.con.flush();
  }
}

class FileChardev implements HostChardev {
  private readonly out: WriteStream;
  private error: Error | undefined;
  constructor(path: string, append: boolean) {
    this.out = createWriteStream(path, { flags: append ? 'a' : 'w' });
    this.out.on('error', (e) => { this.error = e; });
  }
  write(d: Uint8Array): void {
    if (!this.error) this.out.write(Buffer.from(d));
  }
  setReceiver(): void {}
  start(): void {}
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
  /** Resolves once the file is open, or rejects with the open error. */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out.once('ready', () => resolve());
      this.out.once('error', reject);
    });
  }
}

class SocketChardev implements HostChardev {
  private client: Socket | undefined;
  private receiver: ((d: Uint8Array) => void) | undefined;
  constructor(private readonly server: Server, private readonly path?: string) {
    server.on('connection', (s) => {
      if (this.client) {
        s.end();
        return;
      }
      this.client = s;
      s.on('data', (b: Buffer) => this.receiver?.(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
      s.on('error', () => {});
      s.on('close', () => { if (this.client === s) this.client = undefined; });
    });
    server.unref();
  }
  write(d: Uint8Array): void {
    this.client?.write(Buffer.from(d));
  }
  setReceiver(r: (d: Uint8Array) => void): void { this.receiver = r; }
  start(): void {}
  close(): Promise<void> {
    this.client?.end();
    this.client?.destroy();
    return new Promise((resolve) => this.server.close(() => {
      if (this.path) rmSync(this.path, { force: true });
      resolve();
    }));
  }
}

export async function openChardev(c: ChardevSpec, env: ChardevEnv): Promise<HostChardev> {
  switch (c.backend) {
    case 'null':
      return new NullChardev();
    case 'stdio':
      return new StdioChardev(c.mux, env);
    case 'file': {
      const f = new FileChardev(c.path!, c.append);
      try {
        await f.ready();
      } catch (e) {
        throw new ConfigError(`chardev '${c.id}': could not open '${c.path}': ${(e as Error).message}`);
      }
      return f;
    }
    case 'socket': {
      // node:net (and the stream modules it pulls in) loads only for a socket chardev: ~3 ms of every start.
      const { createServer } = await import('node:net');
      const server = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          if (c.path) server.listen(c.path, resolve);
          else server.listen(c.port, c.host ?? '127.0.0.1', resolve);
        });
      } catch (e) {
        throw new ConfigError(`chardev '${c.id}': could not listen on ${c.path ?? `${c.host ?? ''}:${c.port}`}: ${(e as Error).message}`);
      }
      return new SocketChardev(server, c.path);
    }
  }
}
