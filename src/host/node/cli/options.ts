/**
 * QEMU-style command line parsing for tsvm-system-riscv64 (and the pass-through options of `tsvm`).
 *
 * Syntax follows QEMU: `-opt value` or `--opt value`; option values that are key=value lists are
 * comma separated, `,,` stands for a literal comma, and the first element may omit its key
 * (`-machine virt,dumpdtb=FILE` is `type=virt,dumpdtb=FILE`).
 *
 * parseArgs() is pure (no file access); loadConfig() reads the files named on the command line and
 * produces the MachineConfig. Both throw ConfigError with a one-line message (without the program
 * name prefix; the front end adds it).
 */
import { readFileSync } from 'node:fs';
import { gunzip, gunzipSync } from 'node:zlib';
import { ConfigError, MAX_RAM_BYTES, type MachineConfig, type MachineKind } from '../../../core/machine/types.js';
import type { JitMode } from '../../../core/accel/tcg/tcg.js';
import { parseMac } from '../../../core/net/backend.js';
import { parseNetdev, type NetdevSpec } from '../net/netdev.js';

/** Default guest RAM: QEMU's default for the riscv virt board. */
export const DEFAULT_RAM = 128 * 1024 * 1024;
/** Largest RAM size accepted for now. */
export { MAX_RAM_BYTES };
/** RAM sizes are rounded up to this granularity. */
export const RAM_ALIGN = 64 * 1024;

export const MACHINES: readonly { name: MachineKind; desc: string }[] = [
  { name: 'spike', desc: 'RISC-V Spike board' },
  { name: 'virt', desc: 'RISC-V VirtIO board' },
];
export const DEFAULT_MACHINE: MachineKind = 'virt';
export const CPUS: readonly { name: string; desc: string }[] = [
  { name: 'rv64', desc: 'RV64GC (IMAFDC, Zicsr, Zifencei), Sv39/Sv48, M/S/U modes' },
  { name: 'max', desc: 'all features supported by tsvm (same as rv64 for now)' },
];

export type SerialMode = 'mon:stdio' | 'stdio' | 'none';

/** Everything the command line says, before any file is read. */
export interface ParsedOptions {
  machine: MachineKind;
  ramBytes: number;
  smp: number;
  cpu: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  /** undefined or 'default' → built-in SBI. */
  bios?: string;
  noReboot: boolean;
  /** -accel tcg,jit=on|off|always (default: $TSVM_JIT, else on). */
  jit?: JitMode;
  nographic: boolean;
  display?: 'none';
  serial: SerialMode;
  monitor?: 'none';
  /** -machine dumpdtb=FILE */
  dumpDtb?: string;
  /** -drive / -hda images, by id. */
  drives: DriveSpec[];
  /** -chardev backends, by id. */
  chardevs: ChardevSpec[];
  /** virtio-mmio devices in slot order (-device, -drive if=virtio, -hda). */
  devices: DeviceSpec[];
  /** -netdev backends (and the ones -nic creates), by id. */
  netdevs: NetdevSpec[];
}

/** One -drive (or -hda). */
export interface DriveSpec {
  id: string;
  file: string;
  format?: string;
  readOnly: boolean;
  snapshot: boolean;
  cache?: string;
}

export type ChardevBackend = 'stdio' | 'file' | 'socket' | 'null';

/** One -chardev. */
export interface ChardevSpec {
  id: string;
  backend: ChardevBackend;
  /** file: path; socket: unix socket path. */
  path?: string;
  /** socket: TCP host and port (when no path). */
  host?: string;
  port?: number;
  server: boolean;
  wait: boolean;
  /** file: append instead of truncating. */
  append: boolean;
  /** stdio: mux=on keeps the Ctrl-A escapes. */
  mux: boolean;
}

export type DeviceSpec =
  | { type: 'blk'; drive: string; serial?: string }
  | { type: 'rng' }
  | { type: 'console'; chardev?: string }
  | { type: 'net'; netdev: string; mac?: Uint8Array };

/** -device help. */
export const DEVICES: readonly { name: string; desc: string }[] = [
  { name: 'virtio-blk-device', desc: 'virtio block device (drive=ID, serial=STR)' },
  { name: 'virtio-rng-device', desc: 'virtio entropy device' },
  { name: 'virtio-serial-device', desc: 'virtio console device, one port (no multiport)' },
  { name: 'virtconsole', desc: 'the console port of the last virtio-serial-device (chardev=ID)' },
  { name: 'virtio-net-device', desc: 'virtio network card (netdev=ID, mac=52:54:00:12:34:56)' },
];

/** Front-end settings that are not part of the machine configuration. */
export interface FrontendSettings {
  serial: SerialMode;
  dumpDtb?: string;
  nographic: boolean;
}

export type ParseResult =
  | { action: 'run'; options: ParsedOptions }
  /** Print `text` on stdout and exit 0 (-version, -help, -machine help, -cpu help). */
  | { action: 'print'; text: string };

// ---------------------------------------------------------------------------------------------
// Helpers: key=value lists and sizes

export interface KeyValue {
  key: string;
  value: string;
}

/**
 * Splits a QEMU option string `a=1,b=2` into key/value pairs. `,,` is a literal comma. An element
 * without '=' takes `impliedKey` if it is the first one and an implied key is given; otherwise it
 * is a boolean flag (`key` → key=on).
 */
export function splitKeyValues(str: string, impliedKey?: string): KeyValue[] {
  const elements: string[] = [];
  let cur = '';
  for (let i = 0; i < str.length; i++) {
    const ch = str[i];
    if (ch === ',') {
      if (str[i + 1] === ',') {
        cur += ',';
        i++;
      } else {
        elements.push(cur);
        cur = '';
      }
    } else {
      cur += ch;
    }
  }
  elements.push(cur);
  const out: KeyValue[] = [];
  elements.forEach((el, idx) => {
    const eq = el.indexOf('=');
    if (eq >= 0) out.push({ key: el.slice(0, eq), value: el.slice(eq + 1) });
    else if (idx === 0 && impliedKey !== undefined) out.push({ key: impliedKey, value: el });
    else out.push({ key: el, value: 'on' });
  });
  return out;
}

const SIZE_SUFFIX: Record<string, number> = {
  b: 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/**
 * Parses a size as QEMU does: a number with an optional suffix K, M, G or T (any case, optionally
 * followed by B); a plain number is in units of `defaultUnit` (QEMU's -m: MiB). Fractions are
 * only allowed with a suffix. Returns bytes, or undefined if the text is not a size.
 */
export function parseSize(text: string, defaultUnit = 2 ** 20): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)(?:([kmgt])b?|(b))?$/i.exec(text);
  if (!m) return undefined;
  const num = m[1];
  const suffix = (m[2] ?? m[3])?.toLowerCase();
  if (suffix === undefined && num.includes('.')) return undefined;
  const unit = suffix === undefined ? defaultUnit : SIZE_SUFFIX[suffix];
  const bytes = Math.ceil(Number(num) * unit);
  if (!Number.isFinite(bytes) || bytes >= 2 ** 64) return undefined;
  return bytes;
}

/** Human-readable size for messages (e.g. 128 MiB). */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return `${v} ${units[i]}`;
}

/** Parses the argument of -m (`SIZE` or `size=SIZE`) into a RAM size in bytes. */
export function parseMemoryOption(arg: string, optName = '-m'): number {
  const where = `${optName} ${arg}`;
  let sizeText: string | undefined;
  for (const { key, value } of splitKeyValues(arg, 'size')) {
    if (key === 'size') sizeText = value;
    else throw new ConfigError(`${where}: Invalid parameter '${key}'`);
  }
  if (sizeText === undefined) throw new ConfigError(`${where}: missing 'size' parameter`);
  const bytes = parseSize(sizeText);
  if (bytes === undefined) {
    throw new ConfigError(`${where}: invalid size: expected a number with an optional K, M, G or T suffix (plain numbers are MiB)`);
  }
  if (bytes === 0) throw new ConfigError(`${where}: RAM size must be greater than zero`);
  const aligned = Math.ceil(bytes / RAM_ALIGN) * RAM_ALIGN;
  if (aligned > MAX_RAM_BYTES) {
    throw new ConfigError(`${where}: RAM size too large: at most ${MAX_RAM_BYTES / 1024}K (4 GiB - 64 KiB) is supported for now`);
  }
  return aligned;
}

// ---------------------------------------------------------------------------------------------
// The option table

interface OptionDef {
  names: string[];
  arg?: string;
  help: string;
}

const OPTIONS: OptionDef[] = [
  { names: ['h', 'help'], help: 'display this help and exit' },
  { names: ['version'], help: 'display version information and exit' },
  { names: ['machine', 'M'], arg: '[type=]name[,prop=value[,...]]', help: "selects emulated machine ('-machine help' for list)\n" +
    'property dumpdtb=file dumps the device tree blob to a file and exits\n' +
    'property accel=tcg selects the accelerator (only tcg)' },
  { names: ['cpu'], arg: 'cpu', help: "select CPU ('-cpu help' for list)" },
  { names: ['accel'], arg: '[accel=]accelerator[,jit=on|off|always]', help: 'select accelerator (only tcg)\n' +
    'jit=on translates hot guest code to WebAssembly (default), jit=off interprets only,\n' +
    'jit=always translates code the first time it runs (testing); default from $TSVM_JIT' },
  { names: ['smp'], arg: '[cpus=]n', help: 'set the number of CPUs (only 1 for now)' },
  { names: ['m'], arg: '[size=]megs', help: 'configure guest RAM size (default 128M)\n' +
    'a plain number is in MiB; optional suffix K, M, G or T' },
  { names: ['kernel'], arg: 'bzImage', help: "use 'bzImage' as kernel image (raw Image, ELF, or gzip-compressed)" },
  { names: ['append'], arg: 'cmdline', help: "use 'cmdline' as kernel command line" },
  { names: ['initrd'], arg: 'file', help: "use 'file' as initial ram disk" },
  { names: ['bios'], arg: 'file', help: "set the firmware: 'default' (built-in SBI), 'none', or an M-mode image" },
  { names: ['nographic'], help: 'disable graphical output and redirect serial I/Os to console' },
  { names: ['display'], arg: 'none', help: 'select display backend type (only none)' },
  { names: ['serial'], arg: 'dev', help: 'redirect the serial port to char device: mon:stdio, stdio or none' },
  { names: ['monitor'], arg: 'dev', help: 'redirect the monitor to char device (only none)' },
  { names: ['no-reboot'], help: 'exit instead of rebooting' },
  { names: ['drive'], arg: 'file=F[,format=raw|qcow2][,if=virtio|none][,id=ID]', help: 'a disk image; if=virtio (default) attaches a virtio-blk device\n' +
    'readonly=on|off, snapshot=on|off, cache=writeback|writethrough|none|unsafe' },
  { names: ['hda'], arg: 'file', help: "use 'file' as a virtio disk (-drive file=file,if=virtio)" },
  { names: ['device'], arg: 'driver[,prop=value[,...]]', help: "add a device ('-device help' for list); one virtio-mmio slot each" },
  { names: ['chardev'], arg: 'backend,id=ID[,...]', help: 'a character device: stdio[,mux=on], file,path=F[,append=on], null,\n' +
    'socket,path=P|host=H,port=N,server=on[,wait=off]' },
  { names: ['netdev'], arg: 'user|socket|stream|dgram|tap,id=ID[,...]', help: 'a network backend for -device virtio-net-device,netdev=ID:\n' +
    'user[,hostfwd=tcp:[HADDR]:HPORT-[GADDR]:GPORT][,restrict=on], socket,listen=|connect=[H]:P,\n' +
    'socket,udp=H:P,localaddr=H:P, stream,server=on|off,addr.host=H,addr.port=P, dgram,remote.*=,local.*=,\n' +
    'tap,ifname=NAME,script=no,downscript=no (Linux; needs CAP_NET_ADMIN)' },
  { names: ['nic'], arg: 'user|socket|...[,mac=M][,netdev options]', help: 'a virtio-net card with its backend in one option; -nic none: no card' },
];

const BY_NAME = new Map<string, OptionDef>();
for (const def of OPTIONS) for (const n of def.names) BY_NAME.set(n, def);

export function helpText(prog: string, version: string): string {
  const lines = [
    versionText(version).split('\n')[0],
    `usage: ${prog} [options]`,
    '',
    'Options:',
  ];
  for (const def of OPTIONS) {
    const left = def.names.length === 2 && def.names[0] === 'h'
      ? '-h or -help'
      : `-${def.names[0]}${def.arg ? ' ' + def.arg : ''}`;
    const helpLines = def.help.split('\n');
    if (left.length < 16) {
      lines.push(left.padEnd(16) + helpLines[0]);
    } else {
      lines.push(left);
      lines.push(' '.repeat(16) + helpLines[0]);
    }
    for (const h of helpLines.slice(1)) lines.push(' '.repeat(16) + h);
    if (def.names.includes('machine')) lines.push('-M ...'.padEnd(16) + 'same as -machine');
  }
  lines.push(
    '',
    'Options may also be written with two dashes (--kernel FILE).',
    'With the serial port on mon:stdio (the default), type Ctrl-A h for help, Ctrl-A x to quit.',
  );
  return lines.join('\n') + '\n';
}

export function versionText(version: string): string {
  return `tsvm emulator version ${version} (riscv64)\nA machine emulator in TypeScript, modelled on QEMU\n`;
}

function machineHelp(): string {
  const lines = ['Supported machines are:'];
  for (const m of MACHINES) lines.push(`${m.name.padEnd(20)} ${m.desc}${m.name === DEFAULT_MACHINE ? ' (default)' : ''}`);
  return lines.join('\n') + '\n';
}

function cpuHelp(): string {
  return CPUS.map((c) => `${c.name.padEnd(8)} ${c.desc}`).join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Parsing

function defaults(): ParsedOptions {
  return {
    machine: DEFAULT_MACHINE,
    ramBytes: DEFAULT_RAM,
    smp: 1,
    cpu: 'rv64',
    noReboot: false,
    nographic: false,
    serial: 'mon:stdio',
    drives: [],
    chardevs: [],
    devices: [],
    netdevs: [],
  };
}

function parseBool(where: string, key: string, v: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(v)) return true;
  if (['off', 'no', 'false', 'n'].includes(v)) return false;
  throw new ConfigError(`${where}: Parameter '${key}' expects 'on' or 'off'`);
}

function parseDrive(where: string, value: string, o: ParsedOptions): void {
  const d: DriveSpec = { id: '', file: '', readOnly: false, snapshot: false };
  let iface = 'virtio';
  for (const { key, value: v } of splitKeyValues(value, 'file')) {
    switch (key) {
      case 'file': d.file = v; break;
      case 'format': d.format = v; break;
      case 'id': d.id = v; break;
      case 'if': iface = v; break;
      case 'readonly': d.readOnly = parseBool(where, key, v); break;
      case 'snapshot': d.snapshot = parseBool(where, key, v); break;
      case 'cache': d.cache = v; break;
      case 'media':
        if (v !== 'disk') throw new ConfigError(`${where}: media=${v} is not supported (only disk)`);
        break;
      case 'index': break;
      default: throw new ConfigError(`${where}: Invalid parameter '${key}'`);
    }
  }
  if (d.file === '') throw new ConfigError(`${where}: a drive needs file=FILE`);
  if (iface !== 'virtio' && iface !== 'none') throw new ConfigError(`${where}: if=${iface} is not supported (virtio or none)`);
  if (d.id === '') d.id = iface === 'none' ? `none${o.drives.length}` : `virtio${o.drives.length}`;
  if (o.drives.some((x) => x.id === d.id)) throw new ConfigError(`${where}: Duplicate ID '${d.id}' for drive`);
  o.drives.push(d);
  if (iface === 'virtio') o.devices.push({ type: 'blk', drive: d.id });
}

function parseDevice(where: string, value: string, o: ParsedOptions): boolean {
  const kv = splitKeyValues(value, 'driver');
  const driver = kv[0].key === 'driver' ? kv[0].value : '';
  if (driver === 'help' || driver === '?') return true;
  const props = new Map<string, string>();
  for (const { key, value: v } of kv.slice(1)) props.set(key, v);
  const allow = (...keys: string[]): void => {
    for (const k of props.keys()) {
      if (!keys.includes(k) && k !== 'id') throw new ConfigError(`${where}: Property '${driver}.${k}' not found`);
    }
  };
  switch (driver) {
    case 'virtio-blk-device': {
      allow('drive', 'serial');
      const drive = props.get('drive');
      if (!drive) throw new ConfigError(`${where}: Property 'virtio-blk-device.drive' is required`);
      o.devices.push({ type: 'blk', drive, serial: props.get('serial') });
      break;
    }
    case 'virtio-rng-device':
      allow();
      o.devices.push({ type: 'rng' });
      break;
    case 'virtio-serial-device':
      allow('max_ports');
      o.devices.push({ type: 'console' });
      break;
    case 'virtconsole': {
      allow('chardev', 'name', 'nr');
      const bus = [...o.devices].reverse().find((d) => d.type === 'console');
      if (!bus || bus.type !== 'console') throw new ConfigError(`${where}: No 'virtio-serial-bus' bus found for device 'virtconsole'`);
      if (bus.chardev !== undefined) throw new ConfigError(`${where}: the virtio-serial-device already has a virtconsole (no multiport yet)`);
      bus.chardev = props.get('chardev') ?? '';
      break;
    }
    case 'virtio-net-device': {
      allow('netdev', 'mac');
      const netdev = props.get('netdev');
      if (!netdev) throw new ConfigError(`${where}: Property 'virtio-net-device.netdev' is required`);
      const macText = props.get('mac');
      const mac = macText === undefined ? undefined : parseMac(macText);
      if (macText !== undefined && (!mac || mac[0] & 1)) throw new ConfigError(`${where}: Property 'virtio-net-device.mac' doesn't take value '${macText}'`);
      o.devices.push({ type: 'net', netdev, mac });
      break;
    }
    default:
      throw new ConfigError(`${where}: '${driver}' is not a valid device model name ('-device help' lists them)`);
  }
  return false;
}

function parseChardev(where: string, value: string, o: ParsedOptions): void {
  const kv = splitKeyValues(value, 'backend');
  const backend = kv[0].key === 'backend' ? kv[0].value : '';
  if (!['stdio', 'file', 'socket', 'null'].includes(backend)) {
    throw new ConfigError(`${where}: chardev backend '${backend}' is not supported (stdio, file, socket, null)`);
  }
  const c: ChardevSpec = { id: '', backend: backend as ChardevBackend, server: false, wait: true, append: false, mux: false };
  for (const { key, value: v } of kv.slice(1)) {
    switch (key) {
      case 'id': c.id = v; break;
      case 'path': c.path = v; break;
      case 'host': c.host = v; break;
      case 'port':
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError(`${where}: invalid port '${v}'`);
        c.port = Number(v);
        break;
      case 'server': c.server = parseBool(where, key, v); break;
      case 'wait': c.wait = parseBool(where, key, v); break;
      case 'append': c.append = parseBool(where, key, v); break;
      case 'mux': c.mux = parseBool(where, key, v); break;
      case 'signal': case 'logfile': case 'nodelay': case 'telnet': break;
      default: throw new ConfigError(`${where}: Invalid parameter '${key}'`);
    }
  }
  if (c.id === '') throw new ConfigError(`${where}: Parameter 'id' is missing`);
  if (o.chardevs.some((x) => x.id === c.id)) throw new ConfigError(`${where}: attempt to add duplicate property '${c.id}' to object (type 'container')`);
  if (c.backend === 'file' && !c.path) throw new ConfigError(`${where}: chardev file needs path=FILE`);
  if (c.backend === 'socket') {
    if (!c.path && c.port === undefined) throw new ConfigError(`${where}: chardev socket needs path=P or port=N`);
    if (!c.server) throw new ConfigError(`${where}: only server=on sockets are supported`);
  }
  o.chardevs.push(c);
}

/** Cross-checks -device references once every -drive and -chardev is known (QEMU allows any order). */
function checkDevices(o: ParsedOptions): void {
  const used = new Set<string>();
  for (const d of o.devices) {
    if (d.type === 'blk') {
      if (!o.drives.some((x) => x.id === d.drive)) throw new ConfigError(`-device virtio-blk-device,drive=${d.drive}: Property 'virtio-blk-device.drive' can't find value '${d.drive}'`);
      if (used.has(d.drive)) throw new ConfigError(`-device virtio-blk-device,drive=${d.drive}: Drive '${d.drive}' is already in use by another device`);
      used.add(d.drive);
    } else if (d.type === 'net') {
      if (!o.netdevs.some((x) => x.id === d.netdev)) throw new ConfigError(`-device virtio-net-device,netdev=${d.netdev}: Property 'virtio-net-device.netdev' can't find value '${d.netdev}'`);
      if (used.has(`net:${d.netdev}`)) throw new ConfigError(`-device virtio-net-device,netdev=${d.netdev}: Property 'virtio-net-device.netdev' can't take value '${d.netdev}', it's in use`);
      used.add(`net:${d.netdev}`);
    } else if (d.type === 'console' && d.chardev !== undefined) {
      if (!o.chardevs.some((x) => x.id === d.chardev)) throw new ConfigError(`-device virtconsole,chardev=${d.chardev}: Property 'virtconsole.chardev' can't find value '${d.chardev}'`);
    }
  }
  if (o.devices.length > 0 && o.machine !== 'virt') throw new ConfigError(`virtio devices need -machine virt (the ${o.machine} board has no virtio-mmio slots)`);
  if (o.devices.length > 8) throw new ConfigError(`too many virtio devices (${o.devices.length}): the virt board has 8 virtio-mmio slots`);
  const stdioSerial = o.serial !== 'none';
  const stdioChardevs = o.chardevs.filter((c) => c.backend === 'stdio').length;
  if (stdioChardevs > 1 || (stdioChardevs === 1 && stdioSerial)) {
    throw new ConfigError('cannot use stdio by multiple character devices (use -serial none for -chardev stdio)');
  }
}

/** The translator mode: on (hot code is translated), off (interpreter only), always (translate on first entry). */
export function parseJit(where: string, v: string): JitMode {
  if (v === 'on' || v === 'off' || v === 'always') return v;
  throw new ConfigError(`${where}: invalid value '${v}' (use on, off or always)`);
}

/** The translator mode from $TSVM_JIT (default on), for every front end. */
export function jitFromEnv(env: NodeJS.ProcessEnv = process.env): JitMode {
  return env.TSVM_JIT ? parseJit('TSVM_JIT', env.TSVM_JIT) : 'on';
}

function parseAccel(where: string, value: string): void {
  // accel=a:b:c picks the first available; only tcg is.
  const list = value.split(':');
  if (!list.includes('tcg')) throw new ConfigError(`${where}: invalid accelerator ${value} (only tcg is available)`);
}

function parseMachine(where: string, value: string, o: ParsedOptions, wantHelp: { machine: boolean }): void {
  for (const { key, value: v } of splitKeyValues(value, 'type')) {
    switch (key) {
      case 'type':
        if (v === 'help' || v === '?') {
          wantHelp.machine = true;
        } else {
          const m = MACHINES.find((x) => x.name === v);
          if (!m) throw new ConfigError(`${where}: unsupported machine type '${v}' (use -machine help to list supported machines)`);
          o.machine = m.name;
        }
        break;
      case 'dumpdtb':
        if (v === '') throw new ConfigError(`${where}: dumpdtb needs a file name`);
        o.dumpDtb = v;
        break;
      case 'accel':
        parseAccel(where, v);
        break;
      default:
        throw new ConfigError(`${where}: Property '${o.machine}-machine.${key}' not found`);
    }
  }
}

function parseSmp(where: string, value: string): number {
  let cpus: number | undefined;
  let product = 1;
  let maxcpus: number | undefined;
  for (const { key, value: v } of splitKeyValues(value, 'cpus')) {
    if (!['cpus', 'maxcpus', 'sockets', 'dies', 'clusters', 'cores', 'threads'].includes(key)) {
      throw new ConfigError(`${where}: Invalid parameter '${key}'`);
    }
    if (!/^\d+$/.test(v)) throw new ConfigError(`${where}: Parameter '${key}' expects an integer`);
    const n = Number(v);
    if (n === 0) throw new ConfigError(`${where}: CPU topology parameters must be greater than zero`);
    if (key === 'cpus') cpus = n;
    else if (key === 'maxcpus') maxcpus = n;
    else product *= n;
  }
  const n = cpus ?? product;
  if (n > 1 || (maxcpus ?? 1) > 1 || product > 1) throw new ConfigError(`${where}: only 1 CPU is supported for now`);
  return n;
}

/**
 * Parses QEMU-style arguments (without the node/script prefix). Throws ConfigError on bad usage.
 * `version` is the package version for -version / -help.
 */
export function parseArgs(argv: readonly string[], prog = 'tsvm-system-riscv64', version = '0.0.0'): ParseResult {
  const o = defaults();
  const wantHelp = { machine: false, cpu: false, device: false };
  let serialSet = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    if (!raw.startsWith('-') || raw === '-') {
      throw new ConfigError(`${raw}: disk images are not supported (only -kernel/-initrd)`);
    }
    const name = raw.startsWith('--') ? raw.slice(2) : raw.slice(1);
    const def = BY_NAME.get(name);
    if (!def) throw new ConfigError(`${raw}: invalid option`);
    let value = '';
    if (def.arg !== undefined) {
      if (i + 1 >= argv.length) throw new ConfigError(`${raw}: requires an argument`);
      value = argv[++i];
    }
    const where = `${raw} ${value}`;
    switch (def.names[0]) {
      case 'h':
        return { action: 'print', text: helpText(prog, version) };
      case 'version':
        return { action: 'print', text: versionText(version) };
      case 'machine':
        parseMachine(where, value, o, wantHelp);
        break;
      case 'cpu': {
        const model = value.split(',')[0];
        if (model === 'help' || model === '?') wantHelp.cpu = true;
        else if (CPUS.some((c) => c.name === model)) o.cpu = model;
        else throw new ConfigError(`unable to find CPU model '${model}'`);
        if (value.includes(',')) throw new ConfigError(`${where}: CPU properties are not supported`);
        break;
      }
      case 'accel':
        for (const { key, value: v } of splitKeyValues(value, 'accel')) {
          if (key === 'accel') {
            if (v === 'help') return { action: 'print', text: 'Accelerators supported in tsvm:\ntcg\n' };
            parseAccel(where, v);
          } else if (key === 'jit') {
            o.jit = parseJit(`${where}: jit`, v);
          } else if (key === 'thread') {
            if (v !== 'single') throw new ConfigError(`${where}: only thread=single is supported`);
          } else {
            throw new ConfigError(`${where}: Invalid parameter '${key}'`);
          }
        }
        break;
      case 'smp':
        o.smp = parseSmp(where, value);
        break;
      case 'm':
        o.ramBytes = parseMemoryOption(value, raw);
        break;
      case 'kernel':
        o.kernel = value;
        break;
      case 'append':
        o.append = value;
        break;
      case 'initrd':
        o.initrd = value;
        break;
      case 'bios':
        o.bios = value;
        break;
      case 'nographic':
        o.nographic = true;
        o.display = 'none';
        break;
      case 'display': {
        const type = splitKeyValues(value, 'type')[0];
        if (type.key === 'type' && type.value === 'help') return { action: 'print', text: 'Available display backend types:\nnone\n' };
        if (type.key !== 'type' || type.value !== 'none') {
          throw new ConfigError(`${where}: Parameter 'type' does not accept value '${type.value}' (only none)`);
        }
        o.display = 'none';
        break;
      }
      case 'serial':
        if (value !== 'mon:stdio' && value !== 'stdio' && value !== 'none' && value !== 'null') {
          throw new ConfigError(`${where}: '${value}' is not a supported char device (mon:stdio, stdio or none)`);
        }
        if (serialSet) throw new ConfigError(`${where}: only one serial port is supported`);
        serialSet = true;
        o.serial = value === 'null' ? 'none' : value;
        break;
      case 'monitor':
        if (value !== 'none') throw new ConfigError(`${where}: no monitor yet: only -monitor none is supported`);
        o.monitor = 'none';
        break;
      case 'no-reboot':
        o.noReboot = true;
        break;
      case 'drive':
        parseDrive(where, value, o);
        break;
      case 'hda':
        parseDrive(where, `file=${value.replace(/,/g, ',,')},if=virtio,id=hda`, o);
        break;
      case 'device':
        if (parseDevice(where, value, o)) wantHelp.device = true;
        break;
      case 'chardev':
        parseChardev(where, value, o);
        break;
      case 'netdev': {
        const { spec } = parseNetdev(where, value);
        if (o.netdevs.some((x) => x.id === spec.id)) throw new ConfigError(`${where}: Duplicate ID '${spec.id}' for netdev`);
        o.netdevs.push(spec);
        break;
      }
      case 'nic': {
        if (value === 'none') break;
        const { spec, mac } = parseNetdev(where, value, { defaultId: `__nic${o.netdevs.length}` });
        if (o.netdevs.some((x) => x.id === spec.id)) throw new ConfigError(`${where}: Duplicate ID '${spec.id}' for netdev`);
        o.netdevs.push(spec);
        o.devices.push({ type: 'net', netdev: spec.id, mac });
        break;
      }
    }
  }
  if (wantHelp.machine) return { action: 'print', text: machineHelp() };
  if (wantHelp.cpu) return { action: 'print', text: cpuHelp() };
  if (wantHelp.device) return { action: 'print', text: DEVICES.map((d) => `name "${d.name}", bus virtio-mmio, desc "${d.desc}"`).join('\n') + '\n' };
  checkDevices(o);
  if (o.kernel === undefined) {
    if (o.append !== undefined) throw new ConfigError('-append only allowed with -kernel option');
    if (o.initrd !== undefined) throw new ConfigError('-initrd only allowed with -kernel option');
  }
  // With -monitor none the mux is still there in QEMU for mon:stdio; keep the escape character.
  return { action: 'run', options: o };
}

// ---------------------------------------------------------------------------------------------
// Loading files

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  EIO: 'Input/output error',
};

/** A one-line description of a file system error, like strerror(). */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && ERRNO_TEXT[e.code]) return ERRNO_TEXT[e.code];
  if (e && e.code === 'ERR_FS_FILE_TOO_LARGE') return 'File too large';
  const msg = e && typeof e.message === 'string' ? e.message : String(err);
  return msg.split('\n')[0];
}

export type FileReader = (path: string) => Uint8Array;

const defaultReader: FileReader = (path) => {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

function load(what: string, path: string, read: FileReader): Uint8Array {
  let data: Uint8Array;
  try {
    data = read(path);
  } catch (err) {
    throw new ConfigError(`could not load ${what} '${path}': ${describeFsError(err)}`);
  }
  if (data.length === 0) throw new ConfigError(`could not load ${what} '${path}': file is empty`);
  return data;
}

/** True if `data` starts with the gzip magic bytes 1f 8b. */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

function badGzip(path: string, err: unknown): ConfigError {
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new ConfigError(`could not load kernel '${path}': bad gzip data: ${msg}`);
}

/** Reads the kernel; gzip-compressed kernels (Image.gz) are decompressed. */
export function loadKernel(path: string, read: FileReader = defaultReader): Uint8Array {
  const data = load('kernel', path, read);
  if (!isGzip(data)) return data;
  try {
    const out = gunzipSync(data, { maxOutputLength: MAX_RAM_BYTES });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw badGzip(path, err);
  }
}

/**
 * loadKernel with the inflation on libuv's thread pool: the file is read (and a missing one reported) at
 * once, and the caller's start-up work runs while the kernel inflates (~20 ms for the default Image.gz).
 */
export function loadKernelAsync(path: string, read: FileReader = defaultReader): Promise<Uint8Array> {
  const data = load('kernel', path, read);
  if (!isGzip(data)) return Promise.resolve(data);
  return new Promise((resolve, reject) => {
    // One output chunk for the whole kernel: with the default 16 KiB, every chunk is a round trip through
    // the (busy) main thread, and the inflation would end long after the start-up work it overlaps.
    const chunkSize = Math.min(64 << 20, Math.max(1 << 16, data.length * 8));
    gunzip(data, { maxOutputLength: MAX_RAM_BYTES, chunkSize }, (err, out) => {
      if (err) reject(badGzip(path, err));
      else resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    });
  });
}

/** Reads the files named by `o` and builds the machine configuration. */
export function loadConfig(o: ParsedOptions, read: FileReader = defaultReader): { config: MachineConfig; frontend: FrontendSettings } {
  let bios: MachineConfig['bios'];
  if (o.bios === undefined || o.bios === 'default') bios = 'builtin';
  else if (o.bios === 'none') bios = 'none';
  else bios = load('firmware', o.bios, read);
  const config: MachineConfig = {
    machine: o.machine,
    ramBytes: o.ramBytes,
    smp: o.smp,
    kernel: o.kernel !== undefined ? loadKernel(o.kernel, read) : undefined,
    // The initrd is handed to the kernel as is: Linux unpacks gzip-compressed initramfs itself.
    initrd: o.initrd !== undefined ? load('ramdisk', o.initrd, read) : undefined,
    bios,
    append: o.append ?? '',
    noReboot: o.noReboot,
    jit: o.jit ?? jitFromEnv(),
  };
  return { config, frontend: { serial: o.serial, dumpDtb: o.dumpDtb, nographic: o.nographic } };
}

/**
 * loadConfig for the front end: the kernel comes as a promise (loadKernelAsync) that the caller awaits
 * just before it builds the machine. Set it as `config.kernel`.
 */
export function loadConfigDeferred(o: ParsedOptions): { config: MachineConfig; frontend: FrontendSettings; kernel: Promise<Uint8Array | undefined> } {
  const kernel = o.kernel !== undefined ? loadKernelAsync(o.kernel) : Promise.resolve(undefined);
  // An error elsewhere may end the start-up before the promise is awaited: not an unhandled rejection.
  kernel.catch(() => {});
  return { ...loadConfig({ ...o, kernel: undefined }), kernel };
}
