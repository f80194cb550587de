#!/usr/bin/env bash
# Build tsvm's default riscv64 guest images:
#   images/riscv64/Image.gz            Linux 6.1 (Debian linux-source-6.1), config images/riscv64/kernel.config
#   images/riscv64/initramfs.cpio.gz   busybox (Debian trixie riscv64 busybox-static) + images/riscv64/rootfs/
#   images/riscv64/manifest.txt        what went in (versions, input hashes) and output hashes
#
# Usage: bash images/build.sh [kernel|initramfs|all]      (default: all)
#   FORCE=1        rebuild even if manifest.txt says the outputs are up to date
#   TSVM_BUILD_DIR scratch directory (default /var/tmp/tsvm-build); nothing but the outputs goes into the repo
#   JOBS           make -j (default: number of CPUs)
#
# Idempotent: an output is rebuilt only when it is missing or the hash of its inputs differs from the one
# recorded in manifest.txt. The outputs are reproducible (fixed timestamps, gzip -n), so a rebuild from the
# same inputs and toolchain gives the same bytes. Needs root only to apt-get install missing Debian packages.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/riscv64
work=${TSVM_BUILD_DIR:-/var/tmp/tsvm-build}
jobs=${JOBS:-$(nproc)}
what=${1:-all}
manifest=$out/manifest.txt
# fixed timestamp for everything that records one (2024-01-01T00:00:00Z)
epoch=${SOURCE_DATE_EPOCH:-1704067200}

linux_tar=/usr/src/linux-source-6.1.tar.xz
ksrc=$work/linux-source-6.1
kmake=(make -C "$ksrc" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
       KBUILD_BUILD_TIMESTAMP="@$epoch" KBUILD_BUILD_USER=tsvm KBUILD_BUILD_HOST=tsvm KBUILD_BUILD_VERSION=1)

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

case $what in kernel|initramfs|all) ;; *) die "usage: $0 [kernel|initramfs|all]";; esac
[[ $work != "$here"* && $work != "$(cd "$here/.." && pwd)"* ]] || die "TSVM_BUILD_DIR must be outside the repo"
mkdir -p "$work" "$out"

# --- host packages -------------------------------------------------------------------------------
need_pkgs() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
  fi
}

# --- manifest helpers ----------------------------------------------------------------------------
# manifest.txt holds "key value" lines; each build step rewrites its own keys.
mget() { [ -f "$manifest" ] && sed -n "s/^$1 //p" "$manifest" | head -n1 || true; }
mset() { # mset key value [key value ...]
  local tmp; tmp=$(mktemp)
  [ -f "$manifest" ] && cp "$manifest" "$tmp"
  while (($#)); do
    grep -v "^$1 " "$tmp" > "$tmp.new" || true; mv "$tmp.new" "$tmp"
    printf '%s %s\n' "$1" "$2" >> "$tmp"; shift 2
  done
  { echo "# tsvm guest images: inputs and outputs (written by images/build.sh)"; grep -v '^#' "$tmp" | sort; } > "$manifest"
  rm -f "$tmp"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- kernel source -------------------------------------------------------------------------------
kernel_source() {
  need_pkgs linux-source-6.1 gcc-riscv64-linux-gnu make gcc bc flex bison libssl-dev libelf-dev cpio xz-utils
  if [ ! -f "$work/.linux-source.done" ] || [ ! -f "$ksrc/Makefile" ]; then
    log "extracting $linux_tar"
    rm -rf "$ksrc"
    tar -xf "$linux_tar" -C "$work"
    touch "$work/.linux-source.done"
  fi
}
kernel_version() { "${kmake[@]}" -s kernelversion; }

# --- kernel --------------------------------------------------------------------------------------
build_kernel() {
  kernel_source
  local cfg=$out/kernel.config
  local key
  key=$( { kernel_version; sha "$cfg"; riscv64-linux-gnu-gcc --version | head -n1; echo "$epoch";
           sed -n '/^# KERNEL-RECIPE-BEGIN/,/^# KERNEL-RECIPE-END/p' "${BASH_SOURCE[0]}"; } | sha256sum | cut -d' ' -f1)
  if [ -z "${FORCE:-}" ] && [ -f "$out/Image.gz" ] && [ "$(mget kernel.inputs)" = "$key" ] \
     && [ "$(mget Image.gz.sha256)" = "$(sha "$out/Image.gz")" ]; then
    log "kernel: up to date ($out/Image.gz)"; return
  fi
# KERNEL-RECIPE-BEGIN
  log "kernel: configuring (allnoconfig + kernel.config, olddefconfig)"
  "${kmake[@]}" -s KCONFIG_ALLCONFIG="$cfg" allnoconfig >/dev/null
  "${kmake[@]}" -s olddefconfig >/dev/null
  # every option the fragment sets must have stuck
  local bad=0 l k v got
  while IFS= read -r l; do
    case $l in
      CONFIG_*=*) k=${l%%=*}; v=${l#*=}; got=$(sed -n "s/^$k=//p" "$ksrc/.config")
                  [ "$got" = "$v" ] || { log "config: $k wanted $v, got '${got}'"; bad=1; } ;;
      "# CONFIG_"*" is not set") k=${l#\# }; k=${k%% *}
                  ! grep -q "^$k=" "$ksrc/.config" || { log "config: $k wanted off, got on"; bad=1; } ;;
    esac
  done < "$cfg"
  ((bad == 0)) || die "kernel.config does not apply cleanly to $(kernel_version)"
  log "kernel: building Image with -j$jobs (4-5 min on 2 idle cores; log: $work/kernel-build.log)"
  local t0=$SECONDS
  "${kmake[@]}" -j"$jobs" Image > "$work/kernel-build.log" 2>&1 || { tail -n 40 "$work/kernel-build.log" >&2; die "kernel build failed"; }
  log "kernel: built in $((SECONDS - t0)) s"
  gzip -9n < "$ksrc/arch/riscv/boot/Image" > "$out/Image.gz.tmp"
  mv "$out/Image.gz.tmp" "$out/Image.gz"
# KERNEL-RECIPE-END
  mset kernel.inputs "$key" \
       kernel.version "$(kernel_version) ($(dpkg-query -W -f='${Package} ${Version}' linux-source-6.1))" \
       kernel.config.sha256 "$(sha "$cfg")" \
       kernel.gcc "$(riscv64-linux-gnu-gcc --version | head -n1 | tr ' ' '_')" \
       Image.size "$(stat -c %s "$ksrc/arch/riscv/boot/Image")" \
       Image.sha256 "$(sha "$ksrc/arch/riscv/boot/Image")" \
       Image.gz.size "$(stat -c %s "$out/Image.gz")" \
       Image.gz.sha256 "$(sha "$out/Image.gz")"
  log "kernel: $out/Image.gz ($(stat -c %s "$ksrc/arch/riscv/boot/Image") bytes raw, $(stat -c %s "$out/Image.gz") gz)"
}

# --- busybox from Debian trixie (riscv64) ---------------------------------------------------------
fetch_busybox() {
  need_pkgs apt debian-archive-keyring
  # shellcheck source=trixie-apt.sh
  . "$here/trixie-apt.sh"
  local apt_dir=$work/apt bb=$work/busybox ver
  trixie_apt_init "$apt_dir"
  ver=$(trixie_apt_cache "$apt_dir" policy busybox-static | sed -n 's/^ *Candidate: //p')
  [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "busybox-static not found in trixie riscv64"
  BUSYBOX_VERSION=$ver
  if [ ! -f "$bb/version" ] || [ "$(cat "$bb/version")" != "$ver" ]; then
    log "initramfs: downloading busybox-static $ver (riscv64, trixie)"
    rm -rf "$bb"; mkdir -p "$bb/deb"
    (cd "$bb/deb" && trixie_apt_get "$apt_dir" -q download "busybox-static=$ver" >&2)
    dpkg-deb -x "$bb"/deb/busybox-static_*.deb "$bb/root"
    echo "$ver" > "$bb/version"
  fi
  BUSYBOX=$bb/root/usr/bin/busybox
  [ -x "$BUSYBOX" ] || die "no $BUSYBOX"
}

# The applet names, without running the riscv64 binary: busybox keeps them as one block of
# NUL-terminated names that starts with "[", "[[" (applet_names[] in applets.h). Cross-checked
# against `busybox --list` when qemu-riscv64 (qemu-user) happens to be installed.
busybox_applets() {
  local list
  list=$(perl -e 'local $/; open(my $f, "<:raw", $ARGV[0]) or die; my $d = <$f>;
                  my $i = index($d, "[\0[[\0"); die "applet table not found\n" if $i < 0;
                  for my $n (split /\0/, substr($d, $i, 1 << 16)) { last if $n eq ""; print "$n\n"; }' "$BUSYBOX")
  [ "$(wc -l <<<"$list")" -gt 100 ] || die "applet list looks wrong"
  local q
  for q in qemu-riscv64 qemu-riscv64-static; do
    if command -v "$q" >/dev/null 2>&1; then
      [ "$list" = "$("$q" "$BUSYBOX" --list)" ] || die "applet list differs from '$q busybox --list'"
      break
    fi
  done
  printf '%s\n' "$list"
}

build_initramfs() {
  kernel_source   # for usr/gen_init_cpio.c
  need_pkgs gcc perl gzip
  fetch_busybox
  local key
  key=$( { echo "$BUSYBOX_VERSION"; sha "$BUSYBOX"; echo "$epoch";
           (cd "$out/rootfs" && find . -type f | LC_ALL=C sort | xargs sha256sum);
           sed -n '/^# INITRAMFS-RECIPE-BEGIN/,/^# INITRAMFS-RECIPE-END/p' "${BASH_SOURCE[0]}"; } | sha256sum | cut -d' ' -f1)
  if [ -z "${FORCE:-}" ] && [ -f "$out/initramfs.cpio.gz" ] && [ "$(mget initramfs.inputs)" = "$key" ] \
     && [ "$(mget initramfs.cpio.gz.sha256)" = "$(sha "$out/initramfs.cpio.gz")" ]; then
    log "initramfs: up to date ($out/initramfs.cpio.gz)"; return
  fi
# INITRAMFS-RECIPE-BEGIN
  local gen=$work/gen_init_cpio stage=$work/initramfs-stage list=$work/initramfs.list
  gcc -O2 -o "$gen" "$ksrc/usr/gen_init_cpio.c"
  rm -rf "$stage"; mkdir -p "$stage"
  cp -a "$out/rootfs/." "$stage/"
  cp "$BUSYBOX" "$stage/busybox"
  find "$stage" -exec touch -h -d "@$epoch" {} +
  {
    echo "# tsvm initramfs (generated by images/build.sh)"
    local d
    for d in /bin /dev /etc /etc/init.d /proc /sys /tmp /run /root /mnt /var /var/log /usr /usr/share /usr/share/udhcpc; do
      case $d in
        /tmp) echo "dir $d 1777 0 0" ;;
        /root) echo "dir $d 0700 0 0" ;;
        *) echo "dir $d 0755 0 0" ;;
      esac
    done
    # merged /usr-style layout: every applet lives in /bin
    echo "slink /sbin bin 0777 0 0"
    echo "slink /usr/bin ../bin 0777 0 0"
    echo "slink /usr/sbin ../bin 0777 0 0"
    echo "slink /var/run ../run 0777 0 0"
    echo "slink /var/tmp ../tmp 0777 0 0"
    # the kernel opens /dev/console for init before anything can mount devtmpfs
    echo "nod /dev/console 0600 0 0 c 5 1"
    echo "nod /dev/null 0666 0 0 c 1 3"
    echo "file /bin/busybox $stage/busybox 0755 0 0"
    local a
    while IFS= read -r a; do
      [ "$a" = busybox ] || echo "slink /bin/$a busybox 0777 0 0"
    done < <(busybox_applets)
    echo "slink /init bin/busybox 0777 0 0"
    local f mode
    while IFS= read -r f; do
      f=${f#./}
      case $f in etc/init.d/*|usr/share/udhcpc/*) mode=0755 ;; *) mode=0644 ;; esac
      echo "file /$f $stage/$f $mode 0 0"
    done < <(cd "$out/rootfs" && find . -type f | LC_ALL=C sort)
  } > "$list"
  "$gen" -t "$epoch" "$list" | gzip -9n > "$out/initramfs.cpio.gz.tmp"
  mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
# INITRAMFS-RECIPE-END
  mset initramfs.inputs "$key" \
       busybox.version "busybox-static $BUSYBOX_VERSION riscv64 (Debian trixie)" \
       busybox.sha256 "$(sha "$BUSYBOX")" \
       initramfs.cpio.gz.size "$(stat -c %s "$out/initramfs.cpio.gz")" \
       initramfs.cpio.gz.sha256 "$(sha "$out/initramfs.cpio.gz")"
  log "initramfs: $out/initramfs.cpio.gz ($(stat -c %s "$out/initramfs.cpio.gz") bytes)"
}

t_start=$SECONDS
case $what in
  kernel) build_kernel ;;
  initramfs) build_initramfs ;;
  all) build_initramfs; build_kernel ;;
esac
log "done in $((SECONDS - t_start)) s"
