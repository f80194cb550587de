/**
 * `-netdev tap,id=ID,ifname=NAME,script=no,downscript=no` on Linux, as QEMU does it: open
 * /dev/net/tun and attach to (or create) the tap interface NAME with the TUNSETIFF ioctl
 * (IFF_TAP | IFF_NO_PI: whole Ethernet frames, no packet-information header). Node cannot issue
 * an ioctl, so that one call goes through the FFI library koffi (loaded only when a tap is
 * opened). Frames: each read() of the fd returns one frame, each write() sends one.
 *
 * Reading: the fd is non-blocking and drained on the main thread; waiting for the next frame is a
 * poll() on the tap and an eventfd, run on libuv's thread pool through koffi's async calls. A plain
 * blocking fs.read would keep a pool thread in read() forever, and Node joins the pool threads at
 * exit, so tsvm would hang on poweroff; close() writes the eventfd, which ends the poll at once.
 * Needs CAP_NET_ADMIN (or a persistent tap owned by the user); tsvm never runs ifup scripts.
 */
import { closeSync, openSync, readSync, writeSync, constants as fsc } from 'node:fs';
import { endianness } from 'node:os';
import type { NetBackend } from '../../../core/net/backend.js';

export const TUNSETIFF = 0x400454ca;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const IFNAMSIZ = 16;
/** sizeof(struct ifreq) on 64-bit Linux. */
export const IFREQ_SIZE = 40;

/** struct ifreq { char ifr_name[16]; short ifr_flags; ... } (flags little- or big-endian as the host). */
export function encodeIfreq(ifname: string, flags: number): Buffer {
  const name = Buffer.from(ifname, 'utf8');
  if (name.length >= IFNAMSIZ) throw new Error(`interface name '${ifname}' is too long (at most ${IFNAMSIZ - 1} bytes)`);
  const b = Buffer.alloc(IFREQ_SIZE);
  name.copy(b, 0);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) b.writeInt16LE(flags, IFNAMSIZ);
  else b.writeInt16BE(flags, IFNAMSIZ);
  return b;
}

/** The NUL-terminated ifr_name of an ifreq (the kernel fills it in when it picks the name). */
export function ifreqName(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end).toString('utf8');
}

export interface TapNetdev {
  ifname: string;
}

/** A failure to attach, with the text QEMU prints after "could not configure /dev/net/tun (NAME): ". */
export class TapError extends Error {}

interface Libc {
  ioctl(fd: number, req: number, arg: Buffer): number;
  errno(): number;
  strerror(e: number): string;
  eventfd(init: number, flags: number): number;
  /** poll(fds, nfds, -1) on a pool thread; `done` when it returns. */
  pollAsync(fds: Buffer, nfds: number, done: () => void): void;
}

const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const POLLIN = 1;

let libc: Libc | undefined;

async function loadLibc(): Promise<Libc> {
  if (libc) return libc;
  let koffi: typeof import('koffi');
  try {
    const m = await import('koffi');
    koffi = ((m as { default?: unknown }).default ?? m) as typeof import('koffi');
  } catch (e) {
    throw new TapError(`the FFI library koffi could not be loaded (${String((e as Error)?.message ?? e).split('\n')[0]})`);
  }
  try {
    const lib = koffi.load('libc.so.6');
    // Declared non-variadic: on the supported ABIs a variadic pointer argument is passed the same way.
    const ioctl = lib.func('int ioctl(int, unsigned long, void *)');
    const strerror = lib.func('const char *strerror(int)');
    const eventfd = lib.func('int eventfd(unsigned int, int)');
    const poll = lib.func('int poll(void *, unsigned long, int)');
    libc = {
      ioctl: (fd, req, arg) => ioctl(fd, req, arg) as number,
      errno: () => koffi.errno(),
      strerror: (e) => String(strerror(e)),
      eventfd: (init, flags) => eventfd(init, flags) as number,
      pollAsync: (fds, nfds, done) => poll.async(fds, nfds, -1, () => done()),
    };
    return libc;
  } catch (e) {
    throw new TapError(`libc could not be loaded through koffi (${String((e as Error)?.message ?? e).split('\n')[0]})`);
  }
}

/** Node's error text for open() failures, as strerror would print it. */
function openReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EPERM') return 'Operation not permitted';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'ENODEV' || code === 'ENXIO') return 'No such device';
  return String((e as Error)?.message ?? e).split('\n')[0];
}

export class TapBackend implements NetBackend {
  private receiver: (f: Uint8Array) => void = () => {};
  private closed = false;
  private readonly buf = Buffer.alloc(65536);
  /** struct pollfd[2]: the tap, then the eventfd that close() writes. */
  private readonly fds = Buffer.alloc(16);
  dropped = 0;

  constructor(private readonly fd: number, private readonly wake: number, readonly ifname: string, private readonly lib: Libc) {
    const v = new DataView(this.fds.buffer, this.fds.byteOffset, 16);
    const le = endianness() === 'LE';
    v.setInt32(0, fd, le);
    v.setInt16(4, POLLIN, le);
    v.setInt32(8, wake, le);
    v.setInt16(12, POLLIN, le);
    this.drain();
  }

  /** Reads every frame queued on the tap, then waits (off the main thread) for more. */
  private drain(): void {
    if (this.closed) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') break;
        if (code === 'EBADF') return; // closed
        setTimeout(() => this.drain(), 100).unref(); // e.g. EIO while the interface is down
        return;
      }
      if (n > 0) this.receiver(Uint8Array.prototype.slice.call(this.buf, 0, n));
      if (this.closed) return;
    }
    this.fds.fill(0, 6, 8).fill(0, 14, 16); // revents
    this.lib.pollAsync(this.fds, 2, () => {
      if (this.closed) {
        try { closeSync(this.wake); } catch { /* gone */ }
        return;
      }
      this.drain();
    });
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    try {
      writeSync(this.fd, frame);
    } catch {
      this.dropped++; // interface down (EIO) or queue full (EAGAIN): lost, as on a wire
    }
  }

  setReceiver(receive: (frame: Uint8Array) => void): void {
    this.receiver = receive;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      writeSync(this.wake, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])); // ends the pending poll()
    } catch {
      // already gone
    }
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
  }
}

/** Opens /dev/net/tun and attaches to `ifname` ('' = the kernel picks tapN); throws TapError. */
export async function openTap(spec: TapNetdev, device = '/dev/net/tun'): Promise<TapBackend> {
  const lib = await loadLibc();
  const req = encodeIfreq(spec.ifname, IFF_TAP | IFF_NO_PI);
  let fd: number;
  try {
    fd = openSync(device, fsc.O_RDWR | fsc.O_NONBLOCK);
  } catch (e) {
    throw new TapError(openReason(e));
  }
  if (lib.ioctl(fd, TUNSETIFF, req) < 0) {
    const err = lib.errno();
    closeSync(fd);
    throw new TapError(lib.strerror(err));
  }
  const wake = lib.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    const err = lib.errno();
    closeSync(fd);
    throw new TapError(`eventfd: ${lib.strerror(err)}`);
  }
  return new TapBackend(fd, wake, ifreqName(req), lib);
}
