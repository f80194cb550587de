/**
 * Opens the backends the command line names (-drive images, -chardev devices) and turns the
 * -device list into the machine's virtio configuration. The returned `close()` is the one place
 * that waits for disk requests in flight, flushes and closes every drive and chardev: the front
 * end calls it on every exit path (poweroff, Ctrl-A x, signals, errors).
 */
import type { BlockDriver } from '../../../core/block/block-driver.js';
import { ConfigError, type VirtioDeviceConfig } from '../../../core/machine/types.js';
import type { CacheMode } from '../block/drive.js';
import { openChardev, type ChardevEnv, type HostChardev } from '../chardev.js';
import type { NetBackend } from '../../../core/net/backend.js';
import type { ParsedOptions } from './options.js';

/** Counts the operations in flight so close() can wait for them before flushing. */
class TrackedDrive implements BlockDriver {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  constructor(readonly inner: BlockDriver) {}
  get size(): number { return this.inner.size; }
  get readOnly(): boolean { return this.inner.readOnly; }
  private track(p: Promise<void>): Promise<void> {
    this.inFlight++;
    const done = (): void => {
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    p.then(done, done);
    return p;
  }
  read(offset: number, buf: Uint8Array): Promise<void> { return this.track(this.inner.read(offset, buf)); }
  write(offset: number, data: Uint8Array): Promise<void> { return this.track(this.inner.write(offset, data)); }
  flush(): Promise<void> { return this.track(this.inner.flush()); }
  discard(offset: number, length: number): Promise<void> { return this.track(this.inner.discard(offset, length)); }
  writeZeroes(offset: number, length: number): Promise<void> { return this.track(this.inner.writeZeroes(offset, length)); }
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }
  async close(): Promise<void> {
    await this.idle();
    await this.inner.flush();
    await this.inner.close();
  }
}

export interface OpenedDevices {
  virtio: VirtioDeviceConfig[];
  /** Starts chardev input. */
  start(): void;
  /** Waits for requests in flight, flushes and closes everything; never throws (reports through `warn`). */
  close(): Promise<void>;
}

export async function openDevices(o: ParsedOptions, env: ChardevEnv & { warn(msg: string): void }): Promise<OpenedDevices> {
  const drives = new Map<string, TrackedDrive>();
  const chardevs = new Map<string, HostChardev>();
  const netdevs = new Map<string, NetBackend>();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const [id, d] of drives) {
      try {
        await d.close();
      } catch (e) {
        env.warn(`drive '${id}': ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const c of chardevs.values()) await c.close().catch(() => undefined);
    for (const n of netdevs.values()) await Promise.resolve(n.close?.()).catch(() => undefined);
  };
  try {
    const usedDrives = new Set(o.devices.flatMap((d) => (d.type === 'blk' ? [d.drive] : [])));
    for (const spec of o.drives) {
      if (!usedDrives.has(spec.id)) continue; // if=none and never attached: QEMU opens it, nothing uses it
      let driver: BlockDriver;
      try {
        // The block and network layers load only when used: ~30 ms of every start-up otherwise.
        const { openDrive } = await import('../block/drive.js');
        driver = await openDrive({
          file: spec.file, format: spec.format, readOnly: spec.readOnly, snapshot: spec.snapshot,
          cache: spec.cache as CacheMode | undefined, warn: (m) => process.stderr.write(m + '\n'),
        });
      } catch (e) {
        throw new ConfigError(`-drive file=${spec.file}: ${e instanceof Error ? e.message : String(e)}`);
      }
      drives.set(spec.id, new TrackedDrive(driver));
    }
    for (const spec of o.chardevs) chardevs.set(spec.id, await openChardev(spec, env));
    for (const spec of o.netdevs) {
      if (!o.devices.some((d) => d.type === 'net' && d.netdev === spec.id)) {
        env.warn(`netdev ${spec.id} has no peer`); // as QEMU: opened by nobody
        continue;
      }
      const { openNetdev } = await import('../net/netdev.js');
      netdevs.set(spec.id, await openNetdev(spec, env.warn));
    }
    const virtio: VirtioDeviceConfig[] = o.devices.map((d) => {
      switch (d.type) {
        case 'blk': return { type: 'blk', drive: drives.get(d.drive)!, serial: d.serial };
        case 'rng': return { type: 'rng' };
        case 'console': return { type: 'console', chardev: d.chardev ? chardevs.get(d.chardev) : undefined };
        case 'net': return { type: 'net', backend: netdevs.get(d.netdev)!, mac: d.mac };
      }
    });
    return { virtio, start: () => { for (const c of chardevs.values()) c.start(); }, close };
  } catch (e) {
    await close();
    throw e;
  }
}
