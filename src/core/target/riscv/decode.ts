/**
 * Decoder built from the encoding table. A 32768-entry index on opcode[6:2], funct3 and funct7
 * gives the op directly whenever those bits alone decide it (nearly every instruction); otherwise a
 * 256-entry index on opcode[6:2] and funct3 gives a short candidate list to match against.
 */
import { INSNS, Op, maskMatch } from './insn-table.js';

const direct = new Int16Array(256).fill(-1);
/**
 * Op by (opcode[6:2] | funct3 << 5 | funct7 << 8), -1 when other bits decide, UNSET until first met:
 * filling all 32,768 keys up front took ~10 ms of every start-up for the few hundred a guest uses.
 */
const UNSET = -3;
const wide = new Int16Array(1 << 15).fill(UNSET);
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
  masks = Int32Array.from(flatMask);
  matches = Int32Array.from(flatMatch);
  ops = Int16Array.from(flatOp);
})();

/** The wide index entry for `key`: an op when exactly one row can match and that row looks only at key bits. */
function fillWide(key: number): number {
  const instBits = ((key & 31) << 2) | 3 | (((key >>> 5) & 7) << 12) | ((key >>> 8) << 25);
  const k = key & 255;
  let found = -1;
  let count = 0;
  for (let i = start[k], e = end[k]; i < e; i++) {
    const m = masks[i] & KEY_MASK;
    if ((instBits & m) !== (matches[i] & m)) continue;
    count++;
    found = (masks[i] & ~(KEY_MASK | 3)) === 0 ? ops[i] : -2;
  }
  return (wide[key] = count === 1 && found >= 0 ? found : -1);
}

function popcount(v: number): number {
  let c = 0;
  for (let x = v >>> 0; x; x &= x - 1) c++;
  return c;
}

/** Decodes a 32-bit instruction word (low two bits 11) to its op id, or Op.ILLEGAL. */
export function decode(inst: number): Op {
  const key = ((inst >>> 2) & 31) | ((inst >>> 7) & 0xe0) | ((inst >>> 17) & 0x7f00);
  let w = wide[key];
  if (w === UNSET) w = fillWide(key);
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
