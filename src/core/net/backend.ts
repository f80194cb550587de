/**
 * The link between a guest network card and what is behind it (user-mode networking, a socket,
 * a tap device): whole Ethernet frames both ways, without FCS.
 */
export interface NetBackend {
  /** A frame from the guest. The backend must not keep `frame` past the call (copy it). */
  send(frame: Uint8Array): void;
  /** Registers the card's input: frames for the guest. At most one receiver. */
  setReceiver(receive: (frame: Uint8Array) => void): void;
  /** Releases host resources (sockets, timers). */
  close?(): void | Promise<void>;
}

/** Parses a MAC `52:54:00:12:34:56` (or with '-'); undefined if malformed. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}
