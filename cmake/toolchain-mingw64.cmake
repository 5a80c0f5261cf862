# CMake toolchain file: cross-compile PipeScope for 64-bit Windows with MinGW-w64
# on Debian (package g++-mingw-w64-x86-64-posix).
#
#   cmake -S . -B build-mingw -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake
#
# Notes
# - Only the "-posix" compiler variants are named: Debian installs the posix
#   thread model (std::thread, std::mutex via winpthreads) under those names, and
#   the plain x86_64-w64-mingw32-g++ may not exist.
# - Executables are linked fully static (libgcc, libstdc++, winpthreads), so a
#   built .exe needs only Windows system DLLs.
# - The host's /usr/include and /usr/lib are never searched; header-only Debian
#   packages are exposed through symlink folders by cmake/deps_mingw.cmake.
# - Test executables run under Wine through cmake/wine-run.sh
#   (CMAKE_CROSSCOMPILING_EMULATOR), which ctest, gtest_discover_tests and
#   add_custom_command use automatically. See wine-run.sh for how the Wine prefix
#   is chosen.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(PIPESCOPE_MINGW_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER   ${PIPESCOPE_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${PIPESCOPE_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER  ${PIPESCOPE_MINGW_TRIPLE}-windres)
# CMake cannot derive the binutils prefix from the "-posix" compiler names and
# would fall back to the host's ar/ranlib: name the MinGW ones explicitly.
find_program(CMAKE_AR      NAMES ${PIPESCOPE_MINGW_TRIPLE}-ar      REQUIRED)
find_program(CMAKE_RANLIB  NAMES ${PIPESCOPE_MINGW_TRIPLE}-ranlib  REQUIRED)
find_program(CMAKE_OBJDUMP NAMES ${PIPESCOPE_MINGW_TRIPLE}-objdump)
find_program(CMAKE_STRIP   NAMES ${PIPESCOPE_MINGW_TRIPLE}-strip)

# Search only the MinGW sysroot for libraries, headers and packages; programs
# (python, git, ...) come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${PIPESCOPE_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Keep pkg-config (if anything calls it) away from the host's .pc files.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/${PIPESCOPE_MINGW_TRIPLE}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Linker: GNU ld 2.40 (bookworm) is quadratic in the number of sections of an
# object. Optimised builds are fine (a link takes well under a second), but an
# -O0 object that includes spdlog+fmt header-only has ~60k COMDAT sections and
# takes about 2 minutes to link; lld links it in 0.3 s. Opt in with
# -DPIPESCOPE_MINGW_LLD=ON (Debian package lld) for Debug builds: the gcc
# driver then runs ld.lld instead of collect2/ld through a specs file
# ("*linker:"), because this gcc was built --with-ld and ignores -fuse-ld=lld.
# lld cannot use GCC's LTO plugin (no -flto with it). Off by default so every
# machine links the same way. Decided at the first configure of a build tree
# (it initialises CMAKE_EXE_LINKER_FLAGS).
set(PIPESCOPE_MINGW_LLD OFF CACHE BOOL
    "Link the MinGW build with ld.lld (much faster than GNU ld for -O0 C++ objects)")
if(PIPESCOPE_MINGW_LLD)
    find_program(PIPESCOPE_LD_LLD NAMES ld.lld ld.lld-16 ld.lld-15 ld.lld-14)
    if(NOT PIPESCOPE_LD_LLD)
        message(FATAL_ERROR "PIPESCOPE_MINGW_LLD is ON but ld.lld was not found (apt-get install lld)")
    endif()
    set(_ps_lld_specs "${CMAKE_BINARY_DIR}/CMakeFiles/pipescope-mingw-lld.specs")
    file(WRITE "${_ps_lld_specs}" "*linker:\n${PIPESCOPE_LD_LLD}\n\n")
    set(_ps_lld_flag "-specs=${_ps_lld_specs}")
else()
    set(_ps_lld_flag "")
endif()

# Fully static executables: no libgcc_s_seh-1.dll, libstdc++-6.dll or
# libwinpthread-1.dll at run time.
set(CMAKE_EXE_LINKER_FLAGS_INIT    "-static -static-libgcc -static-libstdc++ ${_ps_lld_flag}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++ ${_ps_lld_flag}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++ ${_ps_lld_flag}")

# Run target executables (tests, test discovery) under Wine.
set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/wine-run.sh")
