/**
 * What the user-mode syscall layer needs from the host: file system access, time, randomness,
 * terminals and process exit. The Node implementation is src/host/node/linux-user/host-node.ts.
 * Every call is synchronous; failures are returned as negative Linux errno values.
 */

export interface HostStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  /** Times as [seconds, nanoseconds]. */
  atime: [number, number];
  mtime: [number, number];
  ctime: [number, number];
}

/** File system statistics (statfs), counts in blocks of `bsize` bytes. */
export interface HostStatfs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

export interface HostDirent {
  name: string;
  ino: number;
  /** DT_* type (DT_DIR 4, DT_REG 8, DT_LNK 10, ...). */
  type: number;
}

export interface LinuxHost {
  open(path: string, flags: number, mode: number): number;
  close(fd: number): void;
  /** pos null: the host file's own position (pipes, terminals). */
  read(fd: number, buf: Uint8Array, pos: number | null): number;
  write(fd: number, buf: Uint8Array, pos: number | null): number;
  fstat(fd: number): HostStat | number;
  stat(path: string, follow: boolean): HostStat | number;
  statfs(path: string): HostStatfs | number;
  readdir(path: string): HostDirent[] | number;
  readlink(path: string): string | number;
  access(path: string, mode: number): number;
  mkdir(path: string, mode: number): number;
  rmdir(path: string): number;
  unlink(path: string): number;
  rename(from: string, to: string): number;
  symlink(target: string, path: string): number;
  link(from: string, to: string): number;
  chmod(path: string, mode: number): number;
  ftruncate(fd: number, len: number): number;
  utimes(path: string, atime: number, mtime: number): number;
  isatty(fd: number): boolean;
  /** [rows, cols] of a terminal, or undefined. */
  winsize(fd: number): [number, number] | undefined;
  /** Wall clock as [seconds, nanoseconds]. */
  realtime(): [number, number];
  /** Monotonic clock in nanoseconds (a double). */
  monotonic(): number;
  random(buf: Uint8Array): void;
  sleep(ms: number): void;
  /** Diagnostics (strace, warnings) go here: the host's stderr. */
  log(msg: string): void;
  readonly uid: number;
  readonly gid: number;
  readonly hostname: string;
  /** Ends the emulator with a status (or by a signal). */
  exit(status: number): never;
  exitSignal(sig: number): never;
}
