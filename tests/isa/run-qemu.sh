#!/bin/sh
# Run every tests/isa/bin/* on QEMU (-M spike); print PASS/FAIL per test.
cd "$(dirname "$0")"
rc=0
for f in bin/*; do
  timeout 20 qemu-system-riscv64 -M spike -bios none -nographic -kernel "$f" </dev/null >/dev/null 2>&1
  s=$?
  case "$f" in *selftest-fail*) if [ $s -ne 0 ]; then echo "OK   $f (failed as expected, status $s)"; else echo "BAD  $f (should fail)"; rc=1; fi; continue;; esac
  if [ $s -eq 0 ]; then echo "PASS $f"; else echo "FAIL $f (status $s)"; rc=1; fi
done
exit $rc
