/**
 * ELF64 little-endian RISC-V executable parser (portable: no node: imports).
 *
 * Only what a machine loader needs: the entry point, the PT_LOAD segments
 * (file bytes as subarrays of the input, plus memsz for zero fill) and the
 * symbol table (.symtab/.strtab) so that e.g. `tohost` can be found.
 * Addresses are JS numbers; they are exact below 2^53 (values above that,
 * such as 0xffffffff80000000, are represented approximately — use `paddr`
 * for loading, which is small for RISC-V kernels).
 */

export const EM_RISCV = 243;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

export interface ElfSegment {
  /** physical load address (p_paddr) */
  paddr: number;
  /** virtual address (p_vaddr) */
  vaddr: number;
  /** file bytes of the segment (subarray of the input, length p_filesz) */
  data: Uint8Array;
  /** size in memory (p_memsz >= data.length; the rest is zero-filled) */
  memsz: number;
  /** p_flags: PF_X=1, PF_W=2, PF_R=4 */
  flags: number;
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
  /** symbol name -> st_value (named, defined, non-section/file symbols; a global wins over a local of the same name) */
  symbols: Map<string, number>;
  /** e_machine (243 for RISC-V) */
  machine: number;
  /** EI_CLASS (2 = 64-bit) */
  class: number;
}

/** True if the buffer starts with the ELF magic (\x7fELF). */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function parseElf(bytes: Uint8Array): ElfImage {
  if (!isElf(bytes)) throw new ElfError('not an ELF file (bad magic)');
  if (bytes.length < 64) throw new ElfError(`truncated ELF header (${bytes.length} bytes, need 64)`);
  const cls = bytes[4];
  if (cls !== ELFCLASS64) throw new ElfError(`unsupported ELF class ${cls} (only ELFCLASS64 is supported)`);
  if (bytes[5] !== ELFDATA2LSB) throw new ElfError(`unsupported ELF data encoding ${bytes[5]} (only little-endian is supported)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 0x100000000;

  const machine = u16(18);
  if (machine !== EM_RISCV) throw new ElfError(`unsupported ELF machine ${machine} (expected EM_RISCV=${EM_RISCV})`);
  const type = u16(16);
  if (type !== 2 && type !== 3) throw new ElfError(`unsupported ELF type ${type} (expected ET_EXEC or ET_DYN)`);
  const entry = u64(24);
  const phoff = u64(32);
  const shoff = u64(40);
  const phentsize = u16(54);
  const phnum = u16(56);
  const shentsize = u16(58);
  const shnum = u16(60);

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < 56) throw new ElfError(`bad program header entry size ${phentsize}`);
    if (phoff + phnum * phentsize > bytes.length) throw new ElfError('truncated ELF: program headers extend past end of file');
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * phentsize;
      if (u32(p) !== PT_LOAD) continue;
      const flags = u32(p + 4);
      const offset = u64(p + 8);
      const vaddr = u64(p + 16);
      const paddr = u64(p + 24);
      const filesz = u64(p + 32);
      const memsz = u64(p + 40);
      if (filesz > memsz) throw new ElfError(`bad ELF segment ${i}: filesz ${filesz} > memsz ${memsz}`);
      if (offset + filesz > bytes.length) throw new ElfError(`truncated ELF: segment ${i} data extends past end of file`);
      segments.push({ paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memsz, flags });
    }
  }

  const symbols = new Map<string, number>();
  if (shnum > 0 && shoff !== 0) {
    if (shentsize < 64) throw new ElfError(`bad section header entry size ${shentsize}`);
    if (shoff + shnum * shentsize > bytes.length) throw new ElfError('truncated ELF: section headers extend past end of file');
    const sh = (i: number) => shoff + i * shentsize;
    for (let i = 0; i < shnum; i++) {
      const s = sh(i);
      if (u32(s + 4) !== SHT_SYMTAB) continue;
      const symOff = u64(s + 24);
      const symSize = u64(s + 32);
      const link = u32(s + 40);
      const entsize = u64(s + 56) || 24;
      if (link >= shnum) throw new ElfError(`bad ELF symtab: string table index ${link} out of range`);
      const strOff = u64(sh(link) + 24);
      const strSize = u64(sh(link) + 32);
      if (symOff + symSize > bytes.length) throw new ElfError('truncated ELF: symbol table extends past end of file');
      if (strOff + strSize > bytes.length) throw new ElfError('truncated ELF: string table extends past end of file');
      const n = Math.floor(symSize / entsize);
      for (let k = 1; k < n; k++) {
        const e = symOff + k * entsize;
        const nameOff = u32(e);
        const info = bytes[e + 4];
        const shndx = u16(e + 6);
        if (nameOff === 0 || shndx === 0 /* SHN_UNDEF */) continue;
        const stype = info & 0xf;
        if (stype === 3 /* STT_SECTION */ || stype === 4 /* STT_FILE */) continue;
        let end = strOff + nameOff;
        const lim = strOff + strSize;
        if (end >= lim) continue;
        const start = end;
        while (end < lim && bytes[end] !== 0) end++;
        let name = '';
        for (let j = start; j < end; j++) name += String.fromCharCode(bytes[j]);
        const bind = info >> 4;
        // globals override locals of the same name; otherwise the first definition wins
        if (bind === 1 /* STB_GLOBAL */ || !symbols.has(name)) symbols.set(name, u64(e + 8));
      }
    }
  }

  return { entry, segments, symbols, machine, class: cls };
}
