#!/usr/bin/env bash
# fetch_debian_sources.sh CACHE_DIR
#
# Downloads the Debian 12 source packages of Dear ImGui (imgui 1.86+ds), GLFW
# (glfw3 3.3.8), the Prometheus C++ client (prometheus-cpp 1.0.1) and CivetWeb
# (civetweb 1.15+dfsg, the HTTP server of prometheus-cpp's pull library) from
# the Debian archive with `apt-get source --download-only` and unpacks them to
# stable paths:
#     CACHE_DIR/imgui  CACHE_DIR/glfw3  CACHE_DIR/prometheus-cpp  CACHE_DIR/civetweb
# (the .dsc/.orig/.debian tarballs are kept in CACHE_DIR/downloads).
# Used by cmake/deps_mingw.cmake for the MinGW build; the native build uses
# Debian's binary packages instead.
#
# Idempotent: when every tree is present (stamp files CACHE_DIR/<pkg>.stamp)
# it prints "cached" and touches nothing, no network, no apt. When some are
# missing (a cache made before a package was added here) it fetches only those.
#
# deb-src: the system's apt configuration is NOT changed. The script builds a
# private apt state under CACHE_DIR/apt from /etc/apt/sources.list.d/*.sources
# (or /etc/apt/sources.list) with "Types: deb-src", runs `apt-get update` on it
# (about 10 MB of Sources indexes, deleted afterwards), then `apt-get source`.
# This needs no root, does not take the system apt lock (so it works while
# another apt-get runs) and never touches third-party repositories.
# Authenticity: apt checks the files against the signed Release files.
#
# Environment:
#   PIPESCOPE_DEB_SOURCES  a deb822 .sources file to use instead of the system's
#   PIPESCOPE_KEEP_APT=1   keep CACHE_DIR/apt after success (debugging)
#   PIPESCOPE_UNPACK=tar   unpack with tar (+ patch) even if dpkg-source exists
#                          (the fallback used when dpkg-dev is not installed)
#
# Works non-interactively (CI=true, no stdin); exit status non-zero on failure.

set -euo pipefail

usage() { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
log() { echo "fetch_debian_sources: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# package name -> expected upstream version (prefix of the Debian version)
PKGS=(imgui glfw3 prometheus-cpp civetweb)
declare -A WANT=([imgui]=1.86 [glfw3]=3.3.8 [prometheus-cpp]=1.0.1 [civetweb]=1.15)
# files that must exist in the unpacked trees (what the build compiles)
declare -A NEED=(
    [imgui]="imgui.cpp imgui_draw.cpp imgui_tables.cpp imgui_widgets.cpp imgui_demo.cpp
             imgui.h imconfig.h imgui_internal.h imstb_rectpack.h imstb_textedit.h imstb_truetype.h
             backends/imgui_impl_glfw.cpp backends/imgui_impl_glfw.h
             backends/imgui_impl_opengl3.cpp backends/imgui_impl_opengl3.h
             backends/imgui_impl_opengl3_loader.h"
    [glfw3]="CMakeLists.txt include/GLFW/glfw3.h src/win32_window.c"
    [prometheus-cpp]="core/src/check_names.cc core/src/counter.cc core/src/detail/builder.cc
             core/src/detail/ckms_quantiles.cc core/src/detail/time_window_quantiles.cc
             core/src/detail/utils.cc core/src/family.cc core/src/gauge.cc core/src/histogram.cc
             core/src/registry.cc core/src/serializer.cc core/src/summary.cc
             core/src/text_serializer.cc core/include/prometheus/registry.h
             pull/src/basic_auth.cc pull/src/endpoint.cc pull/src/exposer.cc pull/src/handler.cc
             pull/src/metrics_collector.cc pull/include/prometheus/exposer.h"
    [civetweb]="src/civetweb.c src/CivetServer.cpp src/handle_form.inl src/md5.inl
             src/response.inl src/sha1.inl src/timer.inl include/civetweb.h include/CivetServer.h"
)

mkdir -p -- "$1"
CACHE=$(cd -- "$1" && pwd -P)

tree_ok() {  # tree_ok PKG
    local f
    [ -f "$CACHE/$1.stamp" ] || return 1
    for f in ${NEED[$1]}; do
        [ -f "$CACHE/$1/$f" ] || return 1
    done
}

all_ok() {
    local p
    for p in "${PKGS[@]}"; do tree_ok "$p" || return 1; done
}

cached_list() {
    local p
    for p in "${PKGS[@]}"; do printf '%s ' "$(cat "$CACHE/$p.stamp")"; done
}

if all_ok; then
    log "cached: $(cached_list)in $CACHE"
    exit 0
fi

# One fetcher at a time per cache (parallel configures of two build trees that
# share a cache).
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if all_ok; then log "cached (fetched by a concurrent run)"; exit 0; fi

# Only the packages whose tree is missing or incomplete.
FETCH=()
for p in "${PKGS[@]}"; do tree_ok "$p" || FETCH+=("$p"); done

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (this script needs Debian/Ubuntu apt)"

# ---- private apt state with deb-src entries --------------------------------
APTDIR=$CACHE/apt
rm -rf -- "$APTDIR"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.list.d" \
         "$APTDIR/preferences.d"
SRCFILE=$APTDIR/sources.list.d/debian-src.sources

make_sources() {
    if [ -n "${PIPESCOPE_DEB_SOURCES:-}" ]; then
        cp -- "$PIPESCOPE_DEB_SOURCES" "$SRCFILE"
        return
    fi
    local f found=0
    : >"$SRCFILE"
    # deb822 files that point at a Debian archive: same entries, Types: deb-src
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        grep -qiE '^URIs:.*debian' "$f" || continue
        grep -qiE '^Types:.*\bdeb\b' "$f" || continue
        sed -E 's/^Types:.*/Types: deb-src/I' "$f" >>"$SRCFILE"
        printf '\n' >>"$SRCFILE"
        found=1
    done
    if [ "$found" = 0 ] && [ -f /etc/apt/sources.list ]; then
        # one-line format: turn "deb [opts] uri suite comps" into deb-src
        local listfile=$APTDIR/sources.list.d/debian-src.list
        sed -nE 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' /etc/apt/sources.list \
            | grep -i debian >"$listfile" || true
        [ -s "$listfile" ] && found=1
        rm -f "$SRCFILE"
    fi
    [ "$found" = 1 ] || die "no Debian apt source found in /etc/apt (set PIPESCOPE_DEB_SOURCES)"
}
make_sources

APT=(apt-get -q -y
     -o "Dir::Etc::SourceList=/dev/null"
     -o "Dir::Etc::SourceParts=$APTDIR/sources.list.d"
     -o "Dir::Etc::PreferencesParts=$APTDIR/preferences.d"
     -o "Dir::State::Lists=$APTDIR/lists"
     -o "Dir::Cache=$APTDIR/cache"
     -o "Debug::NoLocking=1"
     -o "Acquire::Retries=3"
     -o "APT::Get::Only-Source=true")
# As root apt downloads as user _apt, which cannot write into a build tree it
# does not own: download as root instead (quietly).
if [ "$(id -u)" = 0 ]; then APT+=(-o "APT::Sandbox::User=root"); fi

log "apt-get update (deb-src indexes, private state in $APTDIR)"
if ! "${APT[@]}" update </dev/null >"$APTDIR/update.log" 2>&1; then
    cat "$APTDIR/update.log" >&2
    die "apt-get update of the deb-src indexes failed"
fi
grep -E '^(W|E):' "$APTDIR/update.log" >&2 || true

# ---- download ----------------------------------------------------------------
DL=$CACHE/downloads
mkdir -p "$DL"
log "apt-get source --download-only ${FETCH[*]}"
if ! (cd "$DL" && "${APT[@]}" source --download-only "${FETCH[@]}" </dev/null >"$APTDIR/source.log" 2>&1); then
    cat "$APTDIR/source.log" >&2
    die "apt-get source failed"
fi

# ---- unpack ------------------------------------------------------------------
unpack_with_tar() {  # DSC DEST
    local dsc=$1 dest=$2 dir orig deb p
    dir=$(dirname -- "$dsc")
    orig=$(ls "$dir"/"$(basename "$dsc" .dsc | sed -E 's/-[^-]+$//')".orig.tar.* 2>/dev/null | head -n1)
    deb=$(ls "$dir"/"$(basename "$dsc" .dsc)".debian.tar.* 2>/dev/null | head -n1)
    [ -n "$orig" ] && [ -n "$deb" ] || die "cannot find the tarballs of $dsc"
    mkdir -p "$dest"
    tar -xf "$orig" -C "$dest" --strip-components=1
    tar -xf "$deb" -C "$dest"
    if [ -f "$dest/debian/patches/series" ]; then
        if command -v patch >/dev/null 2>&1; then
            while read -r p _; do
                case $p in ''|'#'*) continue ;; esac
                patch -d "$dest" -p1 -s -N <"$dest/debian/patches/$p" || die "patch $p failed"
            done <"$dest/debian/patches/series"
        else
            log "warning: 'patch' missing, Debian patches of $(basename "$dsc") not applied (not needed by the build)"
        fi
    fi
}

for p in "${FETCH[@]}"; do
    dsc=$(ls -t "$DL"/"${p}"_*.dsc 2>/dev/null | head -n1)
    [ -n "$dsc" ] || die "no .dsc for $p downloaded"
    debver=$(basename "$dsc" .dsc); debver=${debver#"${p}"_}
    case $debver in
        "${WANT[$p]}"|"${WANT[$p]}"[-+~]*) ;;
        *) die "$p: Debian offers $debver, the build expects upstream ${WANT[$p]}" ;;
    esac
    tmp=$CACHE/.unpack-$p
    rm -rf -- "$tmp" "${CACHE:?}/$p" "$CACHE/$p.stamp"
    if [ "${PIPESCOPE_UNPACK:-}" != tar ] && command -v dpkg-source >/dev/null 2>&1; then
        dpkg-source -q --no-copy -x "$dsc" "$tmp" </dev/null >"$APTDIR/unpack-$p.log" 2>&1 \
            || { cat "$APTDIR/unpack-$p.log" >&2; die "dpkg-source -x $dsc failed"; }
    else
        unpack_with_tar "$dsc" "$tmp"
    fi
    mv -- "$tmp" "$CACHE/$p"
    for f in ${NEED[$p]}; do
        [ -f "$CACHE/$p/$f" ] || die "$p $debver lacks $f"
    done
    printf '%s_%s\n' "$p" "$debver" >"$CACHE/$p.stamp"
    log "unpacked $p $debver -> $CACHE/$p"
done

if [ "${PIPESCOPE_KEEP_APT:-0}" != 1 ]; then rm -rf -- "$APTDIR"; fi
all_ok || die "internal: trees incomplete after unpacking"
log "done"
