#!/usr/bin/env bash
# Build a small Debian trixie riscv64 sysroot for the user-mode test (test/user-debian.test.ts): libc6, coreutils
# and the shared libraries coreutils' programs need, each .deb extracted with `dpkg-deb -x` into DIR/root.
# Usage: bash tests/user/fetch-debian-sysroot.sh [DIR]   (default /var/tmp/tsvm-debian-sysroot)
# Prints the sysroot path (DIR/root) on stdout. Idempotent: does nothing if DIR/root/.complete exists.
# Not committed output. Uses a private apt tree (DIR/apt, images/trixie-apt.sh); the system's apt is untouched.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-/var/tmp/tsvm-debian-sysroot}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
root=$dir/root
# libc6 + coreutils and the NEEDED libraries of its programs (ls: libselinux1 -> libpcre2-8-0, libcap2;
# libacl1/libattr1 for cp/mv and friends; libgmp10 for factor/expr; libssl3t64 (libcrypto, which needs zlib1g
# and libzstd1) for the *sum programs). Only who/pinky/users need more (libsystemd0, left out).
pkgs=(libc6 coreutils libselinux1 libpcre2-8-0 libacl1 libattr1 libcap2 libgmp10 libssl3t64 zlib1g libzstd1)
if [ -f "$root/.complete" ]; then
  echo "$root"
  exit 0
fi
. "$here/../../images/trixie-apt.sh"
apt_dir=$dir/apt
trixie_apt_init "$apt_dir"
work=$dir/dl
rm -rf "$work" "$root"
mkdir -p "$work" "$root"
echo "fetching ${pkgs[*]}" >&2
(cd "$work" && trixie_apt_get "$apt_dir" -q download "${pkgs[@]}" >&2)
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$root"
  basename "$deb" >> "$root/.packages"
done
# merged /usr as on an installed trixie (base-files makes these): the ELF interpreter is /lib/ld-linux-riscv64-lp64d.so.1
for d in bin sbin lib; do ln -sfn "usr/$d" "$root/$d"; done
# every NEEDED library of the coreutils programs must be in the sysroot
if command -v riscv64-linux-gnu-readelf >/dev/null; then
  missing=$(for f in "$root"/usr/bin/* "$root"/usr/lib/riscv64-linux-gnu/*.so*; do
              case ${f##*/} in who|pinky|users) continue;; esac
              [ -f "$f" ] && riscv64-linux-gnu-readelf -d "$f" 2>/dev/null
            done | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | sort -u | while read -r lib; do
              [ -e "$root/lib/riscv64-linux-gnu/$lib" ] || [ -e "$root/usr/lib/riscv64-linux-gnu/$lib" ] || echo "$lib"
            done)
  if [ -n "$missing" ]; then
    echo "warning: libraries not in the sysroot: $missing" >&2
  fi
fi
rm -rf "$work"
touch "$root/.complete"
echo "$root"
