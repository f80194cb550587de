/**
 * What user-mode networking needs from the host: TCP and UDP sockets, a name resolver and timers.
 * The core stays portable; src/host/node/net/ implements this with node:net, node:dgram, node:dns.
 * Addresses are dotted-quad strings here (what host socket APIs take).
 */

/** An outgoing or accepted host TCP connection. Events arrive through the handlers given. */
export interface HostTcpSocket {
  /** Queues data; returns false when the host buffer is full (wait for onDrain). */
  write(data: Uint8Array): boolean;
  /** Half-close: no more data from us (TCP FIN to the host peer). */
  end(): void;
  /** Aborts (TCP RST where the host allows it). */
  destroy(): void;
  /** Stops / restarts onData delivery (flow control towards the guest). */
  pause(): void;
  resume(): void;
}

export interface HostTcpHandlers {
  /** The connection is up (tcpConnect only). */
  onConnect(): void;
  onData(data: Uint8Array): void;
  /** The peer half-closed (FIN). */
  onEnd(): void;
  onDrain(): void;
  /** Refused, reset, timed out: the socket is gone. `refused` for ECONNREFUSED-like failures. */
  onError(refused: boolean): void;
  /** The socket is fully closed. */
  onClose(): void;
}

export interface HostUdpSocket {
  send(data: Uint8Array, addr: string, port: number): void;
  close(): void;
}

export interface HostListener {
  close(): void;
}

export interface HostNet {
  tcpConnect(addr: string, port: number, handlers: HostTcpHandlers): HostTcpSocket;
  /**
   * Listens on `addr:port` ('' = every address); each accepted connection is offered to `accept`,
   * which returns its handlers (or undefined to refuse). Rejects if the port cannot be bound.
   */
  tcpListen(addr: string, port: number,
    accept: (sock: HostTcpSocket, peerAddr: string, peerPort: number) => HostTcpHandlers | undefined): Promise<HostListener>;
  /** An unbound UDP socket (bound on first send) delivering datagrams to `onMessage`. */
  udpOpen(onMessage: (data: Uint8Array, addr: string, port: number) => void): HostUdpSocket;
  /** IPv4 addresses of `name` (A records); rejects or returns [] when there are none. */
  resolve(name: string): Promise<string[]>;
  /** Timers that do not keep the host alive on their own. */
  setTimer(cb: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Monotonic milliseconds. */
  now(): number;
}
