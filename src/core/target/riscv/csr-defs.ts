/** CSR numbers and bit fields (RISC-V Privileged ISA 1.12, §2.2 tables 2.2–2.5, §3.1, §4.1). */
export const enum Csr {
  FFLAGS = 0x001, FRM = 0x002, FCSR = 0x003,
  CYCLE = 0xc00, TIME = 0xc01, INSTRET = 0xc02,
  SSTATUS = 0x100, SIE = 0x104, STVEC = 0x105, SCOUNTEREN = 0x106, SENVCFG = 0x10a,
  SSCRATCH = 0x140, SEPC = 0x141, SCAUSE = 0x142, STVAL = 0x143, SIP = 0x144, STIMECMP = 0x14d,
  SATP = 0x180,
  MVENDORID = 0xf11, MARCHID = 0xf12, MIMPID = 0xf13, MHARTID = 0xf14, MCONFIGPTR = 0xf15,
  MSTATUS = 0x300, MISA = 0x301, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304, MTVEC = 0x305,
  MCOUNTEREN = 0x306, MENVCFG = 0x30a, MCOUNTINHIBIT = 0x320,
  MSCRATCH = 0x340, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, MIP = 0x344,
  PMPCFG0 = 0x3a0, PMPADDR0 = 0x3b0,
  MCYCLE = 0xb00, MINSTRET = 0xb02,
  TSELECT = 0x7a0, TDATA1 = 0x7a1, TDATA3 = 0x7a3, TINFO = 0x7a4,
}

// mstatus bits (low word; UXL/SXL live in the high word and read as 2 = XLEN 64).
export const MSTATUS_SIE = 1 << 1;
export const MSTATUS_MIE = 1 << 3;
export const MSTATUS_SPIE = 1 << 5;
export const MSTATUS_UBE = 1 << 6;
export const MSTATUS_MPIE = 1 << 7;
export const MSTATUS_SPP = 1 << 8;
export const MSTATUS_MPP_SHIFT = 11;
export const MSTATUS_MPP = 3 << 11;
export const MSTATUS_FS_SHIFT = 13;
export const MSTATUS_FS = 3 << 13;
export const MSTATUS_MPRV = 1 << 17;
export const MSTATUS_SUM = 1 << 18;
export const MSTATUS_MXR = 1 << 19;
export const MSTATUS_TVM = 1 << 20;
export const MSTATUS_TW = 1 << 21;
export const MSTATUS_TSR = 1 << 22;
/** Writable mstatus bits (low word). */
export const MSTATUS_WMASK =
  MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS |
  MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
/** The sstatus view of mstatus (§4.1.1). */
export const SSTATUS_MASK = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;

// Interrupt numbers (mip/mie bits, §3.1.9).
export const IRQ_SSI = 1, IRQ_MSI = 3, IRQ_STI = 5, IRQ_MTI = 7, IRQ_SEI = 9, IRQ_MEI = 11;
export const MIP_SSIP = 1 << IRQ_SSI, MIP_MSIP = 1 << IRQ_MSI, MIP_STIP = 1 << IRQ_STI;
export const MIP_MTIP = 1 << IRQ_MTI, MIP_SEIP = 1 << IRQ_SEI, MIP_MEIP = 1 << IRQ_MEI;
export const S_INTS = MIP_SSIP | MIP_STIP | MIP_SEIP;
export const ALL_INTS = S_INTS | MIP_MSIP | MIP_MTIP | MIP_MEIP;

// Exception causes (§3.1.15 table 3.6).
export const enum Cause {
  MISALIGNED_FETCH = 0, FETCH_ACCESS = 1, ILLEGAL = 2, BREAKPOINT = 3, MISALIGNED_LOAD = 4,
  LOAD_ACCESS = 5, MISALIGNED_STORE = 6, STORE_ACCESS = 7, ECALL_U = 8, ECALL_S = 9, ECALL_M = 11,
  FETCH_PAGE = 12, LOAD_PAGE = 13, STORE_PAGE = 15,
}

/** Names for the disassembler and logs. */
export const CSR_NAMES: Record<number, string> = {
  0x001: 'fflags', 0x002: 'frm', 0x003: 'fcsr', 0xc00: 'cycle', 0xc01: 'time', 0xc02: 'instret',
  0x100: 'sstatus', 0x104: 'sie', 0x105: 'stvec', 0x106: 'scounteren', 0x10a: 'senvcfg', 0x140: 'sscratch',
  0x141: 'sepc', 0x142: 'scause', 0x143: 'stval', 0x144: 'sip', 0x14d: 'stimecmp', 0x180: 'satp',
  0xf11: 'mvendorid', 0xf12: 'marchid', 0xf13: 'mimpid', 0xf14: 'mhartid', 0xf15: 'mconfigptr',
  0x300: 'mstatus', 0x301: 'misa', 0x302: 'medeleg', 0x303: 'mideleg', 0x304: 'mie', 0x305: 'mtvec',
  0x306: 'mcounteren', 0x30a: 'menvcfg', 0x320: 'mcountinhibit', 0x340: 'mscratch', 0x341: 'mepc',
  0x342: 'mcause', 0x343: 'mtval', 0x344: 'mip', 0xb00: 'mcycle', 0xb02: 'minstret',
};
