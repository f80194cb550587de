#!/usr/bin/env bash
# Fetch Debian trixie's generic riscv64 kernel (linux-image-6.12.*-riscv64) and extract its
# /boot/vmlinux-* (a flat RISC-V "Image", bootable with -kernel) to CACHE/vmlinux.
# Usage: bash images/fetch-debian-kernel.sh [CACHE_DIR]   (default /var/tmp/tsvm-debian-kernel)
# Prints the path of the kernel on stdout. Idempotent: does nothing if CACHE/vmlinux exists.
# Not committed output. Uses a private apt tree (CACHE/apt); the system's apt setup is untouched.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${1:-/var/tmp/tsvm-debian-kernel}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
if [ -s "$cache/vmlinux" ]; then
  echo "$cache/vmlinux"
  exit 0
fi
. "$here/trixie-apt.sh"
apt_dir=$cache/apt
trixie_apt_init "$apt_dir"
# the versioned package that the linux-image-riscv64 metapackage currently points to
pkg=$(trixie_apt_cache "$apt_dir" depends linux-image-riscv64 2>/dev/null \
      | sed -n 's/^ *Depends: \(linux-image-6\.12\.[^ ]*-riscv64\)$/\1/p' | head -n1)
if [ -z "$pkg" ]; then
  pkg=$(trixie_apt_cache "$apt_dir" search --names-only '^linux-image-6\.12\..*-riscv64$' \
        | awk '{print $1}' | sort -V | tail -n1)
fi
[ -n "$pkg" ] || { echo "no linux-image-6.12.*-riscv64 package found" >&2; exit 1; }
echo "fetching $pkg" >&2
work=$cache/dl
rm -rf "$work"; mkdir -p "$work"
(cd "$work" && trixie_apt_get "$apt_dir" -q download "$pkg" >&2)
deb=$(ls "$work"/*.deb | head -n1)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinux-*'
src=$(ls "$work"/boot/vmlinux-* | head -n1)
mv "$src" "$cache/vmlinux.tmp"
echo "$pkg" > "$cache/package"
basename "$src" >> "$cache/package"
mv "$cache/vmlinux.tmp" "$cache/vmlinux"
rm -rf "$work"
echo "$cache/vmlinux"
