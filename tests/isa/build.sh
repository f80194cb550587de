#!/bin/sh
# Build the tsvm ISA tests: every tests/isa/*.S -> tests/isa/bin/NAME (ELF at 0x80000000).
set -e
cd "$(dirname "$0")"
CC=${CC:-riscv64-linux-gnu-gcc}
CFLAGS="-march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany -fno-pic -no-pie -Wl,--build-id=none -I. -T env/link.ld"
mkdir -p bin
for src in *.S; do
  name=${src%.S}
  $CC $CFLAGS -o "bin/$name" env/p.S "$src"
  riscv64-linux-gnu-strip --strip-debug "bin/$name" 2>/dev/null || true
done
echo "built $(ls bin | wc -l) tests in $(pwd)/bin"
