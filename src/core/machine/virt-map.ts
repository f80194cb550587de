/**
 * Memory map and interrupt numbers of QEMU 7.2's riscv `virt` board (hw/riscv/virt.c layout),
 * shared by the board wiring and its device tree so the two can never disagree.
 * Only the devices tsvm models are listed (no PCIe, flash, fw-cfg or platform bus).
 */

/** Boot ROM (reset vector + DTB pointer trampoline). */
export const VIRT_MROM_BASE = 0x1000;
export const VIRT_MROM_SIZE = 0xf000;

/** SiFive test device: poweroff / reboot by writing a magic value (syscon). */
export const VIRT_TEST_BASE = 0x100000;
export const VIRT_TEST_SIZE = 0x1000;

/** Goldfish RTC. */
export const VIRT_RTC_BASE = 0x101000;
export const VIRT_RTC_SIZE = 0x1000;

/** Core-local interruptor (msip, mtimecmp, mtime). */
export const VIRT_CLINT_BASE = 0x2000000;
export const VIRT_CLINT_SIZE = 0x10000;

/** Platform-level interrupt controller. */
export const VIRT_PLIC_BASE = 0xc000000;
export const VIRT_PLIC_SIZE = 0x600000;

/** 16550A UART. */
export const VIRT_UART0_BASE = 0x10000000;
export const VIRT_UART0_SIZE = 0x100;
/** UART input clock as QEMU advertises it (3.6864 MHz). */
export const VIRT_UART0_CLOCK = 0x384000;

/** virtio-mmio transports: VIRT_VIRTIO_COUNT slots, one per VIRT_VIRTIO_STRIDE bytes. */
export const VIRT_VIRTIO_BASE = 0x10001000;
export const VIRT_VIRTIO_SIZE = 0x1000;
export const VIRT_VIRTIO_STRIDE = 0x1000;
export const VIRT_VIRTIO_COUNT = 8;

export const VIRT_DRAM_BASE = 0x80000000;

/** PLIC source numbers. virtio slot i uses VIRTIO_IRQ + i. */
export const VIRTIO_IRQ = 1;
export const UART0_IRQ = 10;
export const RTC_IRQ = 11;

/**
 * PLIC interrupt sources including the reserved source 0 (QEMU: VIRT_IRQCHIP_NUM_SOURCES).
 * Valid sources are 1..PLIC_NDEV.
 */
export const PLIC_NUM_SOURCES = 96;
/**
 * Value of the PLIC's `riscv,ndev`: the highest valid source number. QEMU 7.2 writes 96 here
 * (an off-by-one later fixed upstream); 95 matches a 96-entry source array.
 */
export const PLIC_NDEV = PLIC_NUM_SOURCES - 1;

/** Hart-local interrupt numbers used in interrupts-extended (RISC-V privileged spec, mip bits). */
export const IRQ_S_SOFT = 1;
export const IRQ_M_SOFT = 3;
export const IRQ_S_TIMER = 5;
export const IRQ_M_TIMER = 7;
export const IRQ_S_EXT = 9;
export const IRQ_M_EXT = 11;

/** Values the syscon-poweroff / syscon-reboot nodes write to the test device. */
export const VIRT_TEST_POWEROFF = 0x5555;
export const VIRT_TEST_REBOOT = 0x7777;

/** QEMU's default timebase (mtime ticks per second). */
export const VIRT_TIMEBASE_FREQ = 10_000_000;
