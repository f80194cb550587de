/**
 * Decoder built from the encoding table. A 32768-entry index on opcode[6:2], funct3 and funct7
 * gives the op directly whenever those bits alone decide it (nearly every instruction); otherwise a
 * 256-entry index on opcode[6:2] and funct3 gives a short candidate list to match against.
 */
import { INSNS, Op, maskMatch } from './insn-table.js';

const direct = new Int16Array(256).fill(-1);
/** Op by (opcode[6:2] | funct3 << 5 | funct7 << 8), or -1 when other bits decide. */
const wide = new Int16Array(1 << 15).fill(-1);
const KEY_MASK = 0xfe00707c; // the instruction bits that form the wide key
const start = new Int32Array(256);
const end = new Int32Array(256);
let masks = new Int32Array(0);
let matches = new Int32Array(0);
let ops = new Int16Array(0);

(function build() {
  const buckets: { mask: number; match: number; op: Op }[][] = [];
  for (let k = 0; k < 256; k++) buckets.push([]);
  for (const def of INSNS) {
    const [mask, match] = maskMatch(def.pattern);
    const opc5 = (match >>> 2) & 31;
    for (let f3 = 0; f3 < 8; f3++) {
      if ((mask & 0x7000) !== 0 && ((match >>> 12) & 7) !== f3) continue;
      buckets[opc5 | (f3 << 5)].push({ mask, match, op: def.op });
    }
  }
  const flatMask: number[] = [];
  const flatMatch: number[] = [];
  const flatOp: number[] = [];
  for (let k = 0; k < 256; k++) {
    const b = buckets[k];
    // Most specific rows first, so that e.g. ECALL is tried before a wildcard row.
    b.sort((x, y) => popcount(y.mask) - popcount(x.mask));
    if (b.length === 1 && (b[0].mask & ~0x707f) === 0) direct[k] = b[0].op;
    start[k] = flatMask.length;
    for (const e of b) {
      flatMask.push(e.mask);
      flatMatch.push(e.match);
      flatOp.push(e.op);
    }
    end[k] = flatMask.length;
  }
  // Wide index: a key is direct when exactly one row can match and that row looks only at key bits.
  for (let key = 0; key < 1 << 15; key++) {
    const instBits = ((key & 31) << 2) | 3 | (((key >>> 5) & 7) << 12) | ((key >>> 8) << 25);
    let found = -1;
    let count = 0;
    for (const e of buckets[key & 255]) {
      const m = e.mask & KEY_MASK;
      if ((instBits & m) !== (e.match & m)) continue;
      count++;
      found = (e.mask & ~(KEY_MASK | 3)) === 0 ? e.op : -2;
    }
    if (count === 1 && found >= 0) wide[key] = found;
  }
  masks = Int32Array.from(flatMask);
  matches = Int32Array.from(flatMatch);
  ops = Int16Array.from(flatOp);
})();

function popcount(v: number): number {
  let c = 0;
  for (let x = v >>> 0; x; x &= x - 1) c++;
  return c;
}

/** Decodes a 32-bit instruction word (low two bits 11) to its op id, or Op.ILLEGAL. */
export function decode(inst: number): Op {
  const w = wide[((inst >>> 2) & 31) | ((inst >>> 7) & 0xe0) | ((inst >>> 17) & 0x7f00)];
  if (w >= 0 && (inst & 3) === 3) return w;
  return decodeSlow(inst);
}

function decodeSlow(inst: number): Op {
  if ((inst & 3) !== 3) return Op.ILLEGAL;
  const k = ((inst >>> 2) & 31) | ((inst >>> 7) & 0xe0);
  const op = direct[k];
  if (op >= 0) return op;
  for (let i = start[k], e = end[k]; i < e; i++) {
    if ((inst & masks[i]) === matches[i]) return ops[i];
  }
  return Op.ILLEGAL;
}
