/**
 * The DNS proxy at 10.0.2.3 (RFC 1035): one question per query; A/IN questions are answered from
 * the host resolver, other types get an empty NOERROR answer, unparsable queries FORMERR.
 */
import { rd16, wr16, wr32 } from './packet.js';

export const DNS_PORT = 53;
export const TYPE_A = 1;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export interface DnsQuery {
  id: number;
  /** Recursion desired (copied into the answer). */
  rd: boolean;
  opcode: number;
  name: string;
  qtype: number;
  qclass: number;
  /** The raw question section (echoed in the answer). */
  question: Uint8Array;
}

/** RFC 1035 §4.1: header and the first question; undefined if the message cannot be answered at all. */
export function parseDnsQuery(p: Uint8Array): DnsQuery | undefined {
  if (p.length < 12) return undefined;
  const flags = rd16(p, 2);
  if (flags & 0x8000) return undefined; // a response, not a query
  const opcode = (flags >> 11) & 15;
  const qd = rd16(p, 4);
  const q: DnsQuery = { id: rd16(p, 0), rd: (flags & 0x0100) !== 0, opcode, name: '', qtype: 0, qclass: 0, question: new Uint8Array(0) };
  if (qd !== 1 || opcode !== 0) return q;
  // §3.1: labels of at most 63 bytes, a name of at most 255; no compression in the question.
  const labels: string[] = [];
  let i = 12;
  let total = 0;
  for (;;) {
    if (i >= p.length) return { ...q, qtype: -1 };
    const len = p[i++];
    if (len === 0) break;
    if (len > 63 || i + len > p.length || (total += len + 1) > 255) return { ...q, qtype: -1 };
    labels.push(String.fromCharCode(...p.subarray(i, i + len)));
    i += len;
  }
  if (i + 4 > p.length) return { ...q, qtype: -1 };
  q.name = labels.join('.');
  q.qtype = rd16(p, i);
  q.qclass = rd16(p, i + 2);
  q.question = p.slice(12, i + 4);
  return q;
}

/** Builds the answer: `addrs` become A records (TTL `ttl`) when rcode is NOERROR. */
export function dnsAnswer(q: DnsQuery, rcode: number, addrs: number[] = [], ttl = 60): Uint8Array {
  const n = rcode === RCODE_NOERROR ? addrs.length : 0;
  const out = new Uint8Array(12 + q.question.length + 16 * n);
  wr16(out, 0, q.id);
  // QR, opcode echoed, RD echoed, RA set (§4.1.1).
  wr16(out, 2, 0x8000 | (q.opcode << 11) | (q.rd ? 0x0100 : 0) | 0x0080 | (rcode & 15));
  wr16(out, 4, q.question.length > 0 ? 1 : 0);
  wr16(out, 6, n);
  out.set(q.question, 12);
  let o = 12 + q.question.length;
  for (let k = 0; k < n; k++) {
    wr16(out, o, 0xc00c); // pointer to the question's name
    wr16(out, o + 2, TYPE_A);
    wr16(out, o + 4, CLASS_IN);
    wr32(out, o + 6, ttl);
    wr16(out, o + 10, 4);
    wr32(out, o + 12, addrs[k]);
    o += 16;
  }
  return out;
}
