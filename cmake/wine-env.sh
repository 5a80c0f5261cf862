# shellcheck shell=bash
# wine-env.sh - source this (bash) to run the MinGW build's tests under Wine.
#
#   source cmake/wine-env.sh
#   wine_env_setup build-mingw || exit 1   # exports env, persistent wineserver, warm-up
#   ctest --test-dir build-mingw --output-on-failure
#   wine_env_teardown                      # wineserver -k (before any Xvfb goes away)
#
# wine_env_setup BUILD_DIR
#   Prefix: $PIPESCOPE_WINEPREFIX if set, else PIPESCOPE_WINEPREFIX from
#   BUILD_DIR/CMakeCache.txt (what cmake/wine-run.sh would pick), else
#   BUILD_DIR/wineprefix. Exports PIPESCOPE_WINEPREFIX, WINEPREFIX,
#   WINEARCH=win64, WINEDEBUG (kept if set, else -all) and WINEDLLOVERRIDES;
#   starts `wineserver -p` (persistent until wine_env_teardown) and runs
#   `wine64 cmd /c exit` with all output to /dev/null, so the Wine services are
#   started now and never hold ctest's output pipes. The first call on a new
#   prefix creates it (about 10 s, ~700 MB). Returns non-zero on failure.
#
# wine_env_teardown
#   Kills the wineserver of $WINEPREFIX (and every Wine process using it) and
#   waits for it to go away.
#
# Functions only (the one starting with _ is internal); sourcing changes no shell options.

PIPESCOPE_WINE64=${PIPESCOPE_WINE64:-/usr/lib/wine/wine64}
PIPESCOPE_WINESERVER=${PIPESCOPE_WINESERVER:-/usr/lib/wine/wineserver}

wine_env_setup() {
    local build_dir=${1:-}
    if [ -z "$build_dir" ]; then
        echo "wine_env_setup: usage: wine_env_setup BUILD_DIR" >&2
        return 2
    fi
    if [ ! -d "$build_dir" ]; then
        echo "wine_env_setup: no such build folder: $build_dir" >&2
        return 2
    fi
    build_dir=$(cd "$build_dir" && pwd -P) || return 2

    local prefix=${PIPESCOPE_WINEPREFIX:-} line=
    if [ -z "$prefix" ] && [ -f "$build_dir/CMakeCache.txt" ]; then
        line=$(grep -m1 '^PIPESCOPE_WINEPREFIX:[A-Z]*=' "$build_dir/CMakeCache.txt" 2>/dev/null) || line=
        prefix=${line#*=}
    fi
    [ -n "$prefix" ] || prefix=$build_dir/wineprefix

    if [ ! -x "$PIPESCOPE_WINE64" ] || [ ! -x "$PIPESCOPE_WINESERVER" ]; then
        echo "wine_env_setup: $PIPESCOPE_WINE64 or $PIPESCOPE_WINESERVER missing (apt-get install wine64)" >&2
        return 1
    fi
    mkdir -p -- "$prefix" || return 1

    export PIPESCOPE_WINEPREFIX=$prefix
    export WINEPREFIX=$prefix
    export WINEARCH=win64
    export WINEDEBUG=${WINEDEBUG:--all}
    export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}

    # 0: started; 2: a server already runs for this prefix (fine).
    local rc
    "$PIPESCOPE_WINESERVER" -p </dev/null >/dev/null 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
        echo "wine_env_setup: wineserver -p failed (exit $rc) for $WINEPREFIX" >&2
        return 1
    fi
    # Warm-up: creates the prefix on first use and starts Wine's services with
    # harmless stdio.
    if ! "$PIPESCOPE_WINE64" cmd /c exit </dev/null >/dev/null 2>&1; then
        echo "wine_env_setup: Wine warm-up failed for $WINEPREFIX (try WINEDEBUG=err+all)" >&2
        return 1
    fi
    # A new prefix's warm-up starts Wine's desktop process (explorer.exe /desktop) with no
    # display; for a few seconds after, a GUI program started in this prefix cannot open a
    # window ("no driver could be loaded"). Wait (bounded) until it has gone.
    local waited=0
    while _wine_desktop_running "$prefix" && [ "$waited" -lt 60 ]; do
        sleep 0.5
        waited=$((waited + 1))
    done
    return 0
}

# _wine_desktop_running PREFIX: true while a live explorer.exe of that prefix exists.
_wine_desktop_running() {
    local pid state
    for pid in $(pgrep -f 'explorer\.exe' 2>/dev/null); do
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || continue
        [ "$state" = Z ] && continue
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "WINEPREFIX=$1"; then
            return 0
        fi
    done
    return 1
}

wine_env_teardown() {
    if [ -z "${WINEPREFIX:-}" ]; then
        echo "wine_env_teardown: WINEPREFIX not set (call wine_env_setup first)" >&2
        return 0
    fi
    "$PIPESCOPE_WINESERVER" -k </dev/null >/dev/null 2>&1
    # -k only signals; wait (bounded) until the server has gone.
    timeout 20 "$PIPESCOPE_WINESERVER" -w </dev/null >/dev/null 2>&1
    return 0
}
