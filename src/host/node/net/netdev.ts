/**
 * -netdev / -nic: QEMU's syntax parsed into NetdevSpec, and the backends opened on Node.
 *   -netdev user,id=ID[,hostfwd=[tcp]:[HADDR]:HPORT-[GADDR]:GPORT]...[,restrict=on]
 *   -netdev socket,id=ID,listen=[HOST]:PORT | connect=HOST:PORT | udp=HOST:PORT,localaddr=HOST:PORT
 *   -netdev stream,id=ID,server=on|off,addr.type=inet,addr.host=H,addr.port=P   (QEMU 7.2)
 *   -netdev dgram,id=ID,remote.type=inet,remote.host=H,remote.port=P,local.host=H,local.port=P
 *   -netdev tap,id=ID[,ifname=NAME][,script=no][,downscript=no]                (Linux, /dev/net/tun)
 *   -nic user|socket|...[,mac=M][,model=virtio-net-device][,netdev options]
 */
import { ConfigError } from '../../../core/machine/types.js';
import { parseMac, type NetBackend } from '../../../core/net/backend.js';
import { parseIp } from '../../../core/net/packet.js';
import type { HostFwd } from '../../../core/net/user-tcp.js';
import type { SocketNetdev } from './socket.js';
import { IFNAMSIZ, openTap, TapError } from './tap.js';

export type NetdevSpec =
  | { type: 'user'; id: string; restrict: boolean; hostfwd: HostFwd[]; rules: string[] }
  | ({ type: 'socket'; id: string } & SocketNetdev)
  | { type: 'tap'; id: string; ifname: string };

/** A key=value list with QEMU's `,,` escape (the same rules as the other options). */
function keyValues(str: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  let cur = '';
  const push = (el: string, first: boolean): void => {
    const eq = el.indexOf('=');
    if (eq >= 0) out.push({ key: el.slice(0, eq), value: el.slice(eq + 1) });
    else out.push(first ? { key: 'type', value: el } : { key: el, value: 'on' });
  };
  for (let i = 0; i < str.length; i++) {
    if (str[i] === ',' && str[i + 1] === ',') { cur += ','; i++; } else if (str[i] === ',') { push(cur, out.length === 0); cur = ''; } else cur += str[i];
  }
  push(cur, out.length === 0);
  return out;
}

function bool(where: string, key: string, v: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(v)) return true;
  if (['off', 'no', 'false', 'n'].includes(v)) return false;
  throw new ConfigError(`${where}: Parameter '${key}' expects 'on' or 'off'`);
}

function port(where: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError(`${where}: invalid port '${v}'`);
  return Number(v);
}

/** `[HOST]:PORT` → [host, port]. */
export function hostPort(where: string, v: string, needHost = false): [string, number] {
  const i = v.lastIndexOf(':');
  if (i < 0) throw new ConfigError(`${where}: '${v}' is not HOST:PORT`);
  const host = v.slice(0, i);
  if (needHost && host === '') throw new ConfigError(`${where}: '${v}' needs a host`);
  return [host, port(where, v.slice(i + 1))];
}

/** hostfwd=[tcp]:[hostaddr]:hostport-[guestaddr]:guestport (QEMU's syntax; only TCP). */
export function parseHostFwd(where: string, rule: string): HostFwd {
  const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(rule);
  if (!m) throw new ConfigError(`${where}: invalid host forwarding rule '${rule}'`);
  if (m[1] === 'udp') throw new ConfigError(`${where}: host forwarding rule '${rule}': only tcp is supported`);
  let guestAddr = 0;
  if (m[4] !== '') {
    const a = parseIp(m[4]);
    if (a === undefined || a >>> 8 !== 0x0a0002) throw new ConfigError(`${where}: invalid guest address '${m[4]}' in '${rule}'`);
    guestAddr = a;
  }
  if (m[2] !== '' && parseIp(m[2]) === undefined) throw new ConfigError(`${where}: invalid host address '${m[2]}' in '${rule}'`);
  return { hostAddr: m[2], hostPort: port(where, m[3]), guestAddr, guestPort: port(where, m[5]) };
}

/**
 * Parses a -netdev value (or a -nic value when `nic` is set: then `mac` and `model` are allowed
 * and returned, and the id defaults to `defaultId`).
 */
export function parseNetdev(where: string, value: string, nic?: { defaultId: string }): { spec: NetdevSpec; mac?: Uint8Array } {
  const kv = keyValues(value);
  const type = kv[0].key === 'type' ? kv[0].value : '';
  let id = nic?.defaultId ?? '';
  let mac: Uint8Array | undefined;
  const rest: { key: string; value: string }[] = [];
  for (const p of kv.slice(1)) {
    if (p.key === 'id') id = p.value;
    else if (nic && p.key === 'mac') {
      mac = parseMac(p.value);
      if (!mac || mac[0] & 1) throw new ConfigError(`${where}: Property 'virtio-net-device.mac' doesn't take value '${p.value}'`);
    } else if (nic && p.key === 'model') {
      if (p.value !== 'virtio-net-device' && p.value !== 'virtio') throw new ConfigError(`${where}: unsupported NIC model '${p.value}' (virtio-net-device)`);
    } else rest.push(p);
  }
  if (id === '') throw new ConfigError(`${where}: Parameter 'id' is missing`);
  if (type === 'user') {
    const spec: NetdevSpec = { type: 'user', id, restrict: false, hostfwd: [], rules: [] };
    for (const { key, value: v } of rest) {
      if (key === 'hostfwd') {
        spec.hostfwd.push(parseHostFwd(where, v));
        spec.rules.push(v);
      } else if (key === 'restrict') spec.restrict = bool(where, key, v);
      else if (key === 'net' && v === '10.0.2.0/24') continue;
      else throw new ConfigError(`${where}: Invalid parameter '${key}'`);
    }
    return { spec, mac };
  }
  if (type === 'socket' || type === 'stream' || type === 'dgram') {
    return { spec: { type: 'socket', id, ...parseSocketNetdev(where, type, rest) }, mac };
  }
  if (type === 'tap') {
    let ifname = '';
    for (const { key, value: v } of rest) {
      if (key === 'ifname') {
        if (Buffer.byteLength(v) >= IFNAMSIZ || v === '') throw new ConfigError(`${where}: invalid ifname '${v}' (1 to ${IFNAMSIZ - 1} characters)`);
        ifname = v;
      } else if (key === 'script' || key === 'downscript') {
        if (v !== 'no' && v !== '') throw new ConfigError(`${where}: ${key}=${v} is not supported (tsvm runs no scripts): use ${key}=no and configure the interface yourself`);
      } else throw new ConfigError(`${where}: Invalid parameter '${key}'`);
    }
    if (process.platform !== 'linux') throw new ConfigError(`${where}: tap networking needs Linux (/dev/net/tun)`);
    return { spec: { type: 'tap', id, ifname }, mac };
  }
  if (type === 'bridge') {
    throw new ConfigError(`${where}: bridge networking is not supported; create a tap in the bridge and use -netdev tap,ifname=NAME,script=no`);
  }
  if (type === 'none' && nic) throw new ConfigError(`${where}: -nic none: leave -nic out instead`);
  throw new ConfigError(`${where}: network backend '${type}' is not supported (user, socket, stream, dgram, tap)`);
}

function parseSocketNetdev(where: string, type: string, kv: { key: string; value: string }[]): SocketNetdev {
  const get = new Map(kv.map((p) => [p.key, p.value]));
  const allow = (...keys: string[]): void => {
    for (const k of get.keys()) if (!keys.includes(k)) throw new ConfigError(`${where}: Invalid parameter '${k}'`);
  };
  if (type === 'socket') {
    allow('listen', 'connect', 'udp', 'mcast', 'localaddr');
    if (get.has('listen')) return { mode: 'listen', addr: hostPort(where, get.get('listen')!) };
    if (get.has('connect')) return { mode: 'connect', addr: hostPort(where, get.get('connect')!, true) };
    if (get.has('udp')) {
      if (!get.has('localaddr')) throw new ConfigError(`${where}: udp= needs localaddr=HOST:PORT`);
      return { mode: 'udp', addr: hostPort(where, get.get('udp')!, true), local: hostPort(where, get.get('localaddr')!) };
    }
    if (get.has('mcast')) {
      const addr = hostPort(where, get.get('mcast')!, true);
      const first = Number(addr[0].split('.')[0]);
      if (!(first >= 224 && first <= 239)) throw new ConfigError(`${where}: mcast= needs an IPv4 multicast address (224.0.0.0/4), not '${addr[0]}'`);
      return { mode: 'mcast', addr, local: get.has('localaddr') ? [get.get('localaddr')!, 0] : undefined };
    }
    throw new ConfigError(`${where}: -netdev socket needs listen=, connect=, udp= or mcast=`);
  }
  if (type === 'stream') {
    allow('server', 'addr.type', 'addr.host', 'addr.port', 'reconnect');
    if ((get.get('addr.type') ?? 'inet') !== 'inet') throw new ConfigError(`${where}: only addr.type=inet is supported`);
    const addr: [string, number] = [get.get('addr.host') ?? '', port(where, get.get('addr.port') ?? '')];
    const server = bool(where, 'server', get.get('server') ?? 'off');
    if (!server && addr[0] === '') throw new ConfigError(`${where}: a stream client needs addr.host`);
    return { mode: server ? 'listen' : 'connect', addr };
  }
  allow('remote.type', 'remote.host', 'remote.port', 'local.type', 'local.host', 'local.port');
  if ((get.get('remote.type') ?? 'inet') !== 'inet' || (get.get('local.type') ?? 'inet') !== 'inet') {
    throw new ConfigError(`${where}: only inet addresses are supported`);
  }
  if (!get.has('remote.host') || !get.has('local.port')) throw new ConfigError(`${where}: dgram needs remote.host, remote.port and local.port`);
  return {
    mode: 'udp',
    addr: [get.get('remote.host')!, port(where, get.get('remote.port') ?? '')],
    local: [get.get('local.host') ?? '', port(where, get.get('local.port')!)],
  };
}

/** A host error as one line. */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EADDRINUSE') return 'Address already in use';
  if (err?.code === 'EACCES') return 'Permission denied';
  if (err?.code === 'EADDRNOTAVAIL') return 'Cannot assign requested address';
  return String(err?.message ?? e).split('\n')[0];
}

/** Opens a backend; throws ConfigError with one line (e.g. a hostfwd port already in use). */
export async function openNetdev(spec: NetdevSpec, warn: (m: string) => void): Promise<NetBackend> {
  // The stacks load only when a netdev uses them (the slirp-like stack is ~15 ms of start-up).
  if (spec.type === 'user') {
    const [{ UserNet }, { NodeHostNet }] = await Promise.all([import('../../../core/net/user.js'), import('./host-net.js')]);
    const net = new UserNet(new NodeHostNet(), { restrict: spec.restrict, hostfwd: spec.hostfwd });
    try {
      await net.start();
    } catch (e) {
      net.close();
      const i = Math.min(net.tcp.listening, spec.rules.length - 1);
      const opt = spec.id.startsWith('__nic') ? '-nic user' : `-netdev user,id=${spec.id}`;
      throw new ConfigError(`${opt}: could not set up host forwarding rule '${spec.rules[i]}': ${reason(e)}`);
    }
    return net;
  }
  if (spec.type === 'tap') {
    const opt = spec.id.startsWith('__nic') ? '-nic tap' : `-netdev tap,id=${spec.id}`;
    try {
      return await openTap({ ifname: spec.ifname });
    } catch (e) {
      const why = e instanceof TapError ? e.message : reason(e);
      throw new ConfigError(`${opt}: could not configure /dev/net/tun (${spec.ifname || 'tap%d'}): ${why}`);
    }
  }
  try {
    const { openSocketNetdev } = await import('./socket.js');
    return await openSocketNetdev(spec, warn);
  } catch (e) {
    throw new ConfigError(`-netdev ${spec.mode === 'udp' ? 'dgram' : 'socket'},id=${spec.id}: ${reason(e)}`);
  }
}
