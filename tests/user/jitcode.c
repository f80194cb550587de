/*
 * Code written at run time, as a JIT compiler or a loader does: run enough times to be translated, then
 * replaced through the CPU (stores + the RISC-V cache flush) and through the kernel (pread into the page).
 * tsvm must run the new code each time. riscv64 only (the machine code is RISC-V).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint32_t RET42[] = { 0x02a00513, 0x00008067 }; /* li a0, 42; ret */
static const uint32_t RET7[] = { 0x00700513, 0x00008067 };  /* li a0, 7; ret */

static long call(uint32_t *code) {
  long sum = 0;
  for (int i = 0; i < 2000; i++) sum += ((long (*)(void))code)();
  return sum / 2000;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  uint32_t *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (page == MAP_FAILED || fd < 0 || write(fd, RET42, 8) != 8 || write(fd, RET7, 8) != 8) return 3;
  const uint32_t *store[] = { RET42, RET7 };
  for (int k = 0; k < 2; k++) {
    memcpy(page, store[k], 8);
    __builtin___clear_cache((char *)page, (char *)(page + 2));
    printf("store %ld\n", call(page));
  }
  for (int k = 0; k < 2; k++) {
    if (pread(fd, page, 8, 8 * k) != 8) return 4;
    __builtin___clear_cache((char *)page, (char *)(page + 2));
    printf("pread %ld\n", call(page));
  }
  return 0;
}
