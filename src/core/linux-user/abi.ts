/**
 * The Linux riscv64 user ABI: syscall numbers (asm-generic/unistd.h), errno values, signal numbers
 * and flag constants used by the syscall layer.
 */

/** Syscall number → name (asm-generic/unistd.h, as used by riscv64). */
export const SYSCALL_NAMES: Record<number, string> = {
  5: 'setxattr', 6: 'lsetxattr', 7: 'fsetxattr', 8: 'getxattr', 9: 'lgetxattr', 10: 'fgetxattr', 11: 'listxattr',
  12: 'llistxattr', 13: 'flistxattr', 14: 'removexattr', 15: 'lremovexattr', 16: 'fremovexattr', 17: 'getcwd',
  19: 'eventfd2', 20: 'epoll_create1', 21: 'epoll_ctl', 22: 'epoll_pwait',
  23: 'dup', 24: 'dup3', 25: 'fcntl', 26: 'inotify_init1', 29: 'ioctl', 32: 'flock', 33: 'mknodat', 34: 'mkdirat',
  35: 'unlinkat', 36: 'symlinkat', 37: 'linkat', 38: 'renameat', 43: 'statfs', 44: 'fstatfs', 45: 'truncate',
  46: 'ftruncate', 47: 'fallocate', 48: 'faccessat', 49: 'chdir', 50: 'fchdir', 51: 'chroot', 52: 'fchmod',
  53: 'fchmodat', 54: 'fchownat', 55: 'fchown', 56: 'openat', 57: 'close', 59: 'pipe2', 61: 'getdents64',
  62: 'lseek', 63: 'read', 64: 'write', 65: 'readv', 66: 'writev', 67: 'pread64', 68: 'pwrite64', 69: 'preadv',
  70: 'pwritev', 71: 'sendfile', 72: 'pselect6', 73: 'ppoll', 78: 'readlinkat', 79: 'newfstatat', 80: 'fstat',
  81: 'sync', 82: 'fsync', 83: 'fdatasync', 88: 'utimensat', 90: 'capget', 93: 'exit', 94: 'exit_group',
  95: 'waitid', 96: 'set_tid_address', 98: 'futex', 99: 'set_robust_list', 100: 'get_robust_list',
  101: 'nanosleep', 102: 'getitimer', 103: 'setitimer', 113: 'clock_gettime', 114: 'clock_getres',
  115: 'clock_nanosleep', 116: 'syslog', 117: 'ptrace', 118: 'sched_setparam', 119: 'sched_setscheduler',
  120: 'sched_getscheduler', 121: 'sched_getparam', 122: 'sched_getaffinity', 123: 'sched_setaffinity',
  124: 'sched_yield', 129: 'kill', 130: 'tkill', 131: 'tgkill', 132: 'sigaltstack', 133: 'rt_sigsuspend',
  134: 'rt_sigaction', 135: 'rt_sigprocmask', 136: 'rt_sigpending', 137: 'rt_sigtimedwait', 139: 'rt_sigreturn',
  140: 'setpriority', 141: 'getpriority', 142: 'reboot', 143: 'setregid', 144: 'setgid', 145: 'setreuid',
  146: 'setuid', 147: 'setresuid', 148: 'getresuid', 149: 'setresgid', 150: 'getresgid', 153: 'times',
  154: 'setpgid', 155: 'getpgid', 156: 'getsid', 157: 'setsid', 158: 'getgroups', 159: 'setgroups', 160: 'uname',
  161: 'sethostname', 163: 'getrlimit', 164: 'setrlimit', 165: 'getrusage', 166: 'umask', 167: 'prctl',
  168: 'getcpu', 169: 'gettimeofday', 170: 'settimeofday', 172: 'getpid', 173: 'getppid', 174: 'getuid',
  175: 'geteuid', 176: 'getgid', 177: 'getegid', 178: 'gettid', 179: 'sysinfo', 198: 'socket', 203: 'connect',
  214: 'brk', 215: 'munmap', 216: 'mremap', 220: 'clone', 221: 'execve', 222: 'mmap', 223: 'fadvise64',
  226: 'mprotect', 227: 'msync', 228: 'mlock', 232: 'mincore', 233: 'madvise', 260: 'wait4', 261: 'prlimit64',
  276: 'renameat2', 277: 'seccomp', 278: 'getrandom', 279: 'memfd_create', 283: 'membarrier', 285: 'copy_file_range',
  291: 'statx', 293: 'rseq', 424: 'pidfd_send_signal', 434: 'pidfd_open', 435: 'clone3', 436: 'close_range',
  439: 'faccessat2', 258: 'riscv_hwprobe', 259: 'riscv_flush_icache',
};

export const E = {
  PERM: 1, NOENT: 2, SRCH: 3, INTR: 4, IO: 5, NXIO: 6, TOOBIG: 7, NOEXEC: 8, BADF: 9, CHILD: 10, AGAIN: 11,
  NOMEM: 12, ACCES: 13, FAULT: 14, BUSY: 16, EXIST: 17, XDEV: 18, NODEV: 19, NOTDIR: 20, ISDIR: 21, INVAL: 22,
  MFILE: 24, NOTTY: 25, FBIG: 27, NOSPC: 28, SPIPE: 29, ROFS: 30, PIPE: 32, RANGE: 34, NAMETOOLONG: 36,
  NOSYS: 38, NOTEMPTY: 39, LOOP: 40, NODATA: 61, OPNOTSUPP: 95, AFNOSUPPORT: 97, TIMEDOUT: 110,
} as const;

export const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF',
  10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV',
  19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 24: 'EMFILE', 25: 'ENOTTY', 27: 'EFBIG', 28: 'ENOSPC',
  29: 'ESPIPE', 30: 'EROFS', 32: 'EPIPE', 34: 'ERANGE', 36: 'ENAMETOOLONG', 38: 'ENOSYS', 39: 'ENOTEMPTY',
  40: 'ELOOP', 61: 'ENODATA', 95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT', 110: 'ETIMEDOUT',
};

export const ERRNO_TEXT: Record<number, string> = {
  1: 'Operation not permitted', 2: 'No such file or directory', 8: 'Exec format error', 13: 'Permission denied',
  12: 'Cannot allocate memory', 21: 'Is a directory', 20: 'Not a directory',
};

export const SIG = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, WINCH: 28,
} as const;

export const SIGNAL_TEXT: Record<number, string> = {
  1: 'Hangup', 2: 'Interrupt', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted',
  7: 'Bus error', 8: 'Floating point exception', 9: 'Killed', 10: 'User defined signal 1', 11: 'Segmentation fault',
  12: 'User defined signal 2', 13: 'Broken pipe', 14: 'Alarm clock', 15: 'Terminated',
};

/** Signals whose default action is to be ignored. */
export const SIG_DEFAULT_IGNORE = new Set([17, 18, 23, 28]);
/** Signals whose default action dumps core (QEMU prints "core dumped"). */
export const SIG_CORE = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);

// open(2) flags (asm-generic fcntl.h).
export const O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000;
export const O_APPEND = 0o2000, O_NONBLOCK = 0o4000, O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000, O_PATH = 0o10000000;
export const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

// mmap.
export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;

// clone flags.
export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800, CLONE_VFORK = 0x4000;
export const CLONE_THREAD = 0x10000, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000;
export const CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000;

// auxv.
export const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9, UID: 11, EUID: 12, GID: 13,
  EGID: 14, PLATFORM: 15, HWCAP: 16, CLKTCK: 17, SECURE: 23, RANDOM: 25, HWCAP2: 26, EXECFN: 31, MINSIGSTKSZ: 51,
} as const;
