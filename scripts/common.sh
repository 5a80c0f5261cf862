# Shared by scripts/run, scripts/test and scripts/package. Source it; do not run it.
# Installs Debian packages only when they are missing, so a second run does no apt work.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# prometheus-cpp-dev: metrics (registry, text format, the exporter's HTTP server); nettle-dev: the
# SMB client's hashes, MACs and ciphers (NTLMv2, signing).
BUILD_PACKAGES=(cmake ninja-build g++ pkg-config libimgui-dev libglfw3-dev libspdlog-dev libfmt-dev
  libcli11-dev nlohmann-json3-dev googletest libgtest-dev libgmock-dev libgl-dev libgl1-mesa-dri
  fonts-inter fonts-jetbrains-mono ccache prometheus-cpp-dev nettle-dev)
# prometheus, prometheus-node-exporter (promtool, the scrape and textfile-collector tests) and
# samba (smbd, smbpasswd: the remote-pipe tests) are servers the tests start themselves from private
# configurations on loopback; ensure_packages keeps their system services from starting.
TEST_PACKAGES=(g++-mingw-w64-x86-64-posix mingw-w64-tools binutils-mingw-w64-x86-64 wine64 wine
  xvfb xauth imagemagick dpkg-dev clang libclang-rt-14-dev strace clang-format-14 python3
  prometheus prometheus-node-exporter samba samba-common-bin)
PACKAGE_PACKAGES=(zip)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_packages PKG...: installs the ones dpkg does not list as installed. No system service
# starts while they install (prometheus, node_exporter and smbd would otherwise start and listen):
# a policy-rc.d that answers 101 ("action forbidden") to invoke-rc.d and deb-systemd-invoke is in
# place for the install, and removed afterwards when this function put it there.
POLICY_RC_D=/usr/sbin/policy-rc.d
ensure_packages() {
  local missing=()
  local p rc made_policy=0
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e "$POLICY_RC_D" ]; then
    printf '#!/bin/sh\n# Put here by PipeScope scripts/common.sh while it installs packages.\nexit 101\n' |
      as_root tee "$POLICY_RC_D" >/dev/null && as_root chmod 755 "$POLICY_RC_D" && made_policy=1
  fi
  as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  rc=$?
  [ "$made_policy" -eq 1 ] && as_root rm -f "$POLICY_RC_D"
  return $rc
}

# ccache (CMakeLists.txt uses it when installed): paths below the checkout hash relative to it and
# the build folder is not hashed, so a second clone of the project hits the first one's cache;
# the sloppiness is what precompiled headers need.
export CCACHE_BASEDIR="$ROOT"
export CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}

njobs() { nproc 2>/dev/null || echo 2; }
