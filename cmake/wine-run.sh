#!/usr/bin/env bash
# wine-run.sh EXE [ARGS...] - run a Windows executable under Wine (64-bit).
#
# This is PipeScope's CMAKE_CROSSCOMPILING_EMULATOR (set by
# cmake/toolchain-mingw64.cmake), so ctest, gtest_discover_tests and custom
# commands call it with the absolute path of a built .exe.
#
# Wine prefix (first match wins):
#   1. $PIPESCOPE_WINEPREFIX                  (set by wine_env_setup in wine-env.sh)
#   2. the build tree of EXE: walk up from the exe's folder to the first
#      CMakeCache.txt that has PIPESCOPE_WINEPREFIX (deps_mingw.cmake puts it
#      there; default <builddir>/wineprefix)
#   3. $WINEPREFIX, if already exported
#   4. ${XDG_CACHE_HOME:-$HOME/.cache}/pipescope/wineprefix
# The result does not depend on $PWD.
#
# Environment given to Wine: WINEARCH=win64, WINEDEBUG=-all (an exported
# WINEDEBUG is kept, e.g. WINEDEBUG=err+module to debug a silent exit),
# WINEDLLOVERRIDES="mscoree,mshtml=" (no Mono/Gecko prompts; kept if exported).
#
# Not hanging ctest: the first Wine process of a wineserver session starts
# background services that inherit its stdout/stderr, and ctest then waits for
# those pipes to close. So, under a lock, if no wineserver runs for the prefix,
# this script starts one itself (persistent for PIPESCOPE_WINESERVER_LINGER
# seconds after the last client, default 30) and warms it up with
# `wine64 cmd /c exit`, both with all output to /dev/null; only then it runs
# EXE. With wine_env_setup (wine-env.sh) the server is already up and warm and
# this costs one failed `wineserver` start (a few ms).
#
# stdin: when stdin is a terminal it is replaced by /dev/null (a test never
# reads the keyboard and Wine's console would take over the tty); a pipe or
# file on stdin is passed through. PIPESCOPE_WINE_STDIN=keep keeps it always.
#
# Exit status: that of EXE (Wine passes the Windows exit code, modulo 256);
# 125 if Wine or the prefix cannot be set up.

set -u

die() { echo "wine-run.sh: $*" >&2; exit 125; }

[ $# -ge 1 ] || die "usage: wine-run.sh EXE [ARGS...]"

WINE64=${PIPESCOPE_WINE64:-/usr/lib/wine/wine64}
WINESERVER=${PIPESCOPE_WINESERVER:-/usr/lib/wine/wineserver}
if [ ! -x "$WINE64" ]; then
    WINE64=$(command -v wine64 || true)
    [ -n "$WINE64" ] || die "wine64 not found (apt-get install wine64)"
fi
if [ ! -x "$WINESERVER" ]; then
    WINESERVER=$(command -v wineserver || true)
    [ -n "$WINESERVER" ] || die "wineserver not found (apt-get install wine64)"
fi

# --- choose the prefix -------------------------------------------------------
prefix_from_build_tree() {
    local dir line
    dir=$(cd "$(dirname -- "$1")" 2>/dev/null && pwd -P) || return 1
    while [ -n "$dir" ]; do
        if [ -f "$dir/CMakeCache.txt" ]; then
            line=$(grep -m1 '^PIPESCOPE_WINEPREFIX:[A-Z]*=' "$dir/CMakeCache.txt" 2>/dev/null) || line=
            if [ -n "$line" ]; then
                printf '%s\n' "${line#*=}"
                return 0
            fi
        fi
        [ "$dir" = / ] && break
        dir=$(dirname -- "$dir")
    done
    return 1
}

if [ -n "${PIPESCOPE_WINEPREFIX:-}" ]; then
    prefix=$PIPESCOPE_WINEPREFIX
elif prefix=$(prefix_from_build_tree "$1") && [ -n "$prefix" ]; then
    :
elif [ -n "${WINEPREFIX:-}" ]; then
    prefix=$WINEPREFIX
else
    prefix=${XDG_CACHE_HOME:-$HOME/.cache}/pipescope/wineprefix
fi

export WINEPREFIX=$prefix
export WINEARCH=win64
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}

mkdir -p -- "$WINEPREFIX" || die "cannot create Wine prefix $WINEPREFIX"

# --- make sure a warmed-up wineserver runs (see header) ----------------------
# wineserver exits 0 when it started a new server, 2 when one already runs.
ensure_server() {
    local rc
    "$WINESERVER" "-p${PIPESCOPE_WINESERVER_LINGER:-30}" </dev/null >/dev/null 2>&1 9>&-
    rc=$?
    case $rc in
        0) "$WINE64" cmd /c exit </dev/null >/dev/null 2>&1 9>&- ;;   # warm-up
        2) ;;                                                      # already up
        *) echo "wine-run.sh: wineserver failed to start (exit $rc)" >&2 ;;
    esac
}

lockfile="${WINEPREFIX%/}.lock"
if command -v flock >/dev/null 2>&1 && { : >>"$lockfile"; } 2>/dev/null; then
    # Serialises parallel tests (ctest -j). The lock fd 9 is closed for the
    # Wine children, so the lock ends with this subshell and no Wine service
    # keeps holding it.
    (
        flock 9 || exit 0
        ensure_server
    ) 9>>"$lockfile"
else
    ensure_server
fi

# --- run ----------------------------------------------------------------------
if [ -t 0 ] && [ "${PIPESCOPE_WINE_STDIN:-}" != keep ]; then
    exec "$WINE64" "$@" </dev/null
fi
exec "$WINE64" "$@"
