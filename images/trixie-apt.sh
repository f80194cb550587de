# Sourced by build.sh and fetch-debian-kernel.sh.
# A private apt tree for Debian trixie riscv64 that never touches the system's apt sources or state.
#   trixie_apt_init DIR        create DIR/{sources,lists,cache} and run `apt-get update` once (skipped if fresh)
#   trixie_apt_get DIR ARGS..  apt-get with the private tree (e.g. `download PKG`, run in the target folder)
#   trixie_apt_cache DIR ARGS.. apt-cache with the private tree
_trixie_apt_opts() {
  local d=$1
  printf '%s\n' \
    -o "Dir::Etc::SourceList=/dev/null" \
    -o "Dir::Etc::SourceParts=$d/sources" \
    -o "Dir::Etc::Preferences=/dev/null" \
    -o "Dir::Etc::PreferencesParts=$d/preferences.d" \
    -o "Dir::State::Lists=$d/lists" \
    -o "Dir::Cache=$d/cache" \
    -o "APT::Architecture=riscv64" \
    -o "APT::Architectures=riscv64" \
    -o "APT::Sandbox::User=root"
}

trixie_apt_get() {
  local d=$1; shift
  local -a o; mapfile -t o < <(_trixie_apt_opts "$d")
  apt-get "${o[@]}" "$@"
}

trixie_apt_cache() {
  local d=$1; shift
  local -a o; mapfile -t o < <(_trixie_apt_opts "$d")
  apt-cache "${o[@]}" "$@"
}

trixie_apt_init() {
  local d=$1
  mkdir -p "$d/sources" "$d/preferences.d" "$d/lists/partial" "$d/cache/archives/partial"
  cat > "$d/sources/debian-trixie-riscv64.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Architectures: riscv64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  if [ ! -f /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    echo "missing /usr/share/keyrings/debian-archive-keyring.gpg (apt-get install debian-archive-keyring)" >&2
    return 1
  fi
  # refresh the package lists at most once a day
  if [ -z "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    if ! trixie_apt_get "$d" -q update >&2; then
      if [ -n "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n1)" ]; then
        echo "warning: apt-get update failed; using the package lists from an earlier update" >&2
      else
        return 1
      fi
    fi
  fi
}
