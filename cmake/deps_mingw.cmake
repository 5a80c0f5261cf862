# deps_mingw.cmake - third-party targets for the MinGW-w64 (Windows) build.
#
# include(cmake/deps_mingw.cmake) from the top-level CMakeLists.txt after
# project(), when cross-compiling with cmake/toolchain-mingw64.cmake.
# cmake/deps_native.cmake defines the same target names for the Linux build.
#
# Targets
#   pipescope::glfw       GLFW 3.3.8, static, built from the Debian source package
#   pipescope::imgui      Dear ImGui 1.86 (core + demo + glfw/opengl3 backends),
#                         static; #include <imgui.h>, <imgui_impl_glfw.h>,
#                         <imgui_impl_opengl3.h>; links glfw, opengl32, gdi32
#   pipescope::prometheus_core  prometheus-cpp 1.0.1 core (registry, metric
#                         families, TextSerializer), static, from the Debian source
#                         package; #include <prometheus/registry.h> ...
#   pipescope::prometheus_pull  prometheus-cpp's pull library (prometheus::Exposer,
#                         #include <prometheus/exposer.h>) over CivetWeb 1.15
#                         (Debian source package civetweb), both static; no
#                         zlib (no gzip of /metrics), no TLS; links ws2_32
#   pipescope::spdlog     header-only spdlog + fmt (FMT_HEADER_ONLY,
#                         SPDLOG_FMT_EXTERNAL) from Debian's /usr/include
#   pipescope::cli11      header-only CLI11 (#include <CLI/CLI.hpp>)
#   pipescope::json       header-only nlohmann json (#include <nlohmann/json.hpp>)
#   GTest::gtest GTest::gtest_main GTest::gmock GTest::gmock_main
#                         built from /usr/src/googletest (package googletest)
#   pipescope::win32libs  Win32 import libraries for pipes, security, NT calls
#
# Header-only Debian packages are reached through symlink folders in the build
# tree (never -I/usr/include, which would pull glibc headers into MinGW code).
# All third-party include folders are SYSTEM includes and third-party code is
# compiled with -w, so project warning flags (-Werror ...) do not hit them.
#
# Cache variables
#   PIPESCOPE_DEPS_CACHE   where the Debian sources are unpacked
#                          (default <build>/_deps/debian-src; point several build
#                          trees at one folder to download only once)
#   PIPESCOPE_WINEPREFIX   Wine prefix used by cmake/wine-run.sh and
#                          cmake/wine-env.sh for this build (default <build>/wineprefix)

include_guard(GLOBAL)

if(NOT (WIN32 AND MINGW AND CMAKE_CROSSCOMPILING))
    message(FATAL_ERROR "deps_mingw.cmake is for the MinGW cross build; configure with "
                        "-DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake")
endif()

set(_ps_deps_list_dir "${CMAKE_CURRENT_LIST_DIR}")
get_filename_component(_ps_repo_root "${_ps_deps_list_dir}/.." ABSOLUTE)

set(PIPESCOPE_DEPS_CACHE "${CMAKE_BINARY_DIR}/_deps/debian-src" CACHE PATH
    "Folder for the Debian source packages (imgui, glfw3, prometheus-cpp, civetweb) of the MinGW build")
set(PIPESCOPE_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix" CACHE PATH
    "Wine prefix used to run this build's Windows executables (cmake/wine-run.sh)")

if(NOT PIPESCOPE_MINGW_LLD AND (CMAKE_BUILD_TYPE STREQUAL "" OR CMAKE_BUILD_TYPE STREQUAL "Debug"))
    message(WARNING
        "MinGW build without optimisation linked by GNU ld: objects that include spdlog/fmt "
        "header-only take minutes to link (ld 2.40 is quadratic in COMDAT sections). Use "
        "CMAKE_BUILD_TYPE=Release or RelWithDebInfo, or a fresh build tree configured with "
        "-DPIPESCOPE_MINGW_LLD=ON (apt-get install lld).")
endif()

# ---------------------------------------------------------------------------
# Debian sources: imgui, glfw3, prometheus-cpp, civetweb
# ---------------------------------------------------------------------------
find_program(PIPESCOPE_BASH bash REQUIRED)
execute_process(
    COMMAND "${PIPESCOPE_BASH}" "${_ps_repo_root}/third_party/fetch_debian_sources.sh"
            "${PIPESCOPE_DEPS_CACHE}"
    RESULT_VARIABLE _ps_fetch_rc
    INPUT_FILE /dev/null)
if(NOT _ps_fetch_rc EQUAL 0)
    message(FATAL_ERROR
        "third_party/fetch_debian_sources.sh failed (${_ps_fetch_rc}): could not get the "
        "Debian source packages imgui, glfw3, prometheus-cpp and civetweb into ${PIPESCOPE_DEPS_CACHE}. "
        "It needs apt-get, access to the Debian archive and dpkg-dev (or tar); see its output above.")
endif()
set(PIPESCOPE_IMGUI_SOURCE_DIR "${PIPESCOPE_DEPS_CACHE}/imgui")
set(PIPESCOPE_GLFW_SOURCE_DIR "${PIPESCOPE_DEPS_CACHE}/glfw3")
set(PIPESCOPE_PROMETHEUS_SOURCE_DIR "${PIPESCOPE_DEPS_CACHE}/prometheus-cpp")
set(PIPESCOPE_CIVETWEB_SOURCE_DIR "${PIPESCOPE_DEPS_CACHE}/civetweb")

# Mark a target's interface include folders as SYSTEM for its consumers.
function(_pipescope_system_includes tgt)
    get_target_property(_dirs ${tgt} INTERFACE_INCLUDE_DIRECTORIES)
    if(_dirs)
        set_property(TARGET ${tgt} APPEND PROPERTY INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_dirs})
    endif()
endfunction()

# Folder <build>/_deps/include/<name> holding symlinks to /usr/include/<entry>.
function(_pipescope_symlink_include_dir out name)
    set(_dir "${CMAKE_BINARY_DIR}/_deps/include/${name}")
    file(MAKE_DIRECTORY "${_dir}")
    foreach(_entry IN LISTS ARGN)
        string(REPLACE "=" ";" _pair "${_entry}")   # "subdir=debian-package"
        list(GET _pair 0 _sub)
        list(GET _pair 1 _pkg)
        if(NOT IS_DIRECTORY "/usr/include/${_sub}")
            message(FATAL_ERROR "/usr/include/${_sub} not found: apt-get install ${_pkg}")
        endif()
        if(NOT EXISTS "${_dir}/${_sub}")
            file(CREATE_LINK "/usr/include/${_sub}" "${_dir}/${_sub}" SYMBOLIC)
        endif()
    endforeach()
    set(${out} "${_dir}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------------------
# GLFW (static)
# ---------------------------------------------------------------------------
function(_pipescope_add_glfw)
    # Normal variables here are local to this function (CMP0077 is NEW in GLFW).
    set(BUILD_SHARED_LIBS OFF)
    set(GLFW_BUILD_EXAMPLES OFF)
    set(GLFW_BUILD_TESTS OFF)
    set(GLFW_BUILD_DOCS OFF)
    set(GLFW_INSTALL OFF)
    set(GLFW_VULKAN_STATIC OFF)
    set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)
    add_subdirectory("${PIPESCOPE_GLFW_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/_deps/glfw-build"
                     EXCLUDE_FROM_ALL)
    target_compile_options(glfw PRIVATE -w)
    _pipescope_system_includes(glfw)
endfunction()
_pipescope_add_glfw()
add_library(pipescope::glfw ALIAS glfw)

# ---------------------------------------------------------------------------
# Dear ImGui (static)
# ---------------------------------------------------------------------------
set(_ps_imgui "${PIPESCOPE_IMGUI_SOURCE_DIR}")
add_library(pipescope_dep_imgui STATIC
    "${_ps_imgui}/imgui.cpp"
    "${_ps_imgui}/imgui_draw.cpp"
    "${_ps_imgui}/imgui_tables.cpp"
    "${_ps_imgui}/imgui_widgets.cpp"
    "${_ps_imgui}/imgui_demo.cpp"
    "${_ps_imgui}/backends/imgui_impl_glfw.cpp"
    "${_ps_imgui}/backends/imgui_impl_opengl3.cpp")
target_include_directories(pipescope_dep_imgui SYSTEM PUBLIC
    "${_ps_imgui}" "${_ps_imgui}/backends")
target_compile_options(pipescope_dep_imgui PRIVATE -w)
target_link_libraries(pipescope_dep_imgui PUBLIC pipescope::glfw opengl32 gdi32 imm32)
set_target_properties(pipescope_dep_imgui PROPERTIES FOLDER third_party)
add_library(pipescope::imgui ALIAS pipescope_dep_imgui)

# ---------------------------------------------------------------------------
# CivetWeb 1.15 (static): the embedded HTTP server of prometheus-cpp's pull
# library. The same feature set prometheus-cpp picks when it bundles CivetWeb
# itself: no TLS, no CGI, no file serving, no caching; IPv6 on.
# ---------------------------------------------------------------------------
set(_ps_cw "${PIPESCOPE_CIVETWEB_SOURCE_DIR}")
add_library(pipescope_dep_civetweb STATIC "${_ps_cw}/src/civetweb.c" "${_ps_cw}/src/CivetServer.cpp")
target_include_directories(pipescope_dep_civetweb SYSTEM PUBLIC "${_ps_cw}/include")
# CIVETWEB_API empty: a static library (civetweb.h would otherwise say dllimport on Windows).
target_compile_definitions(pipescope_dep_civetweb
    PUBLIC CIVETWEB_API= CIVETWEB_CXX_API=
    PRIVATE NO_SSL NO_CGI NO_CACHING NO_FILES USE_IPV6 SOCKET_TIMEOUT_QUANTUM=200 NDEBUG)
target_compile_options(pipescope_dep_civetweb PRIVATE -w)
target_link_libraries(pipescope_dep_civetweb PUBLIC ws2_32)
set_target_properties(pipescope_dep_civetweb PROPERTIES FOLDER third_party)

# ---------------------------------------------------------------------------
# prometheus-cpp 1.0.1 core and pull (static), compiled from the Debian source
# package with our own target list (its CMake project would also look for zlib,
# libatomic and GoogleTest, and sets C++11 for its directory). The export
# headers its own CMake generates are empty macros in a static build. Unity builds: its files
# share most headers, and one translation unit per batch cut the cold compile from 28 s to 18 s
# of CPU.
# ---------------------------------------------------------------------------
set(_ps_pc "${PIPESCOPE_PROMETHEUS_SOURCE_DIR}")
set(_ps_pc_gen "${CMAKE_BINARY_DIR}/_deps/prometheus-cpp-include")
file(MAKE_DIRECTORY "${_ps_pc_gen}/prometheus/detail")
foreach(_ps_part CORE PULL)
    string(TOLOWER "${_ps_part}" _ps_lower)
    set(_ps_text "// Generated by cmake/deps_mingw.cmake: prometheus-cpp is linked statically.\n"
                 "#pragma once\n#define PROMETHEUS_CPP_${_ps_part}_EXPORT\n"
                 "#define PROMETHEUS_CPP_${_ps_part}_NO_EXPORT\n")
    string(CONCAT _ps_text ${_ps_text})
    file(CONFIGURE OUTPUT "${_ps_pc_gen}/prometheus/detail/${_ps_lower}_export.h"
         CONTENT "${_ps_text}" @ONLY)
endforeach()

add_library(pipescope_dep_prometheus_core STATIC
    "${_ps_pc}/core/src/check_names.cc"
    "${_ps_pc}/core/src/counter.cc"
    "${_ps_pc}/core/src/detail/builder.cc"
    "${_ps_pc}/core/src/detail/ckms_quantiles.cc"
    "${_ps_pc}/core/src/detail/time_window_quantiles.cc"
    "${_ps_pc}/core/src/detail/utils.cc"
    "${_ps_pc}/core/src/family.cc"
    "${_ps_pc}/core/src/gauge.cc"
    "${_ps_pc}/core/src/histogram.cc"
    "${_ps_pc}/core/src/registry.cc"
    "${_ps_pc}/core/src/serializer.cc"
    "${_ps_pc}/core/src/summary.cc"
    "${_ps_pc}/core/src/text_serializer.cc")
target_include_directories(pipescope_dep_prometheus_core SYSTEM PUBLIC
    "${_ps_pc}/core/include" "${_ps_pc_gen}")
target_compile_options(pipescope_dep_prometheus_core PRIVATE -w)
set_target_properties(pipescope_dep_prometheus_core PROPERTIES FOLDER third_party UNITY_BUILD ON)
add_library(pipescope::prometheus_core ALIAS pipescope_dep_prometheus_core)

add_library(pipescope_dep_prometheus_pull STATIC
    "${_ps_pc}/pull/src/basic_auth.cc"
    "${_ps_pc}/pull/src/endpoint.cc"
    "${_ps_pc}/pull/src/exposer.cc"
    "${_ps_pc}/pull/src/handler.cc"
    "${_ps_pc}/pull/src/metrics_collector.cc")
target_include_directories(pipescope_dep_prometheus_pull SYSTEM PUBLIC "${_ps_pc}/pull/include")
target_compile_options(pipescope_dep_prometheus_pull PRIVATE -w)
target_link_libraries(pipescope_dep_prometheus_pull
    PUBLIC pipescope_dep_prometheus_core
    PRIVATE pipescope_dep_civetweb)
set_target_properties(pipescope_dep_prometheus_pull PROPERTIES FOLDER third_party UNITY_BUILD ON)
add_library(pipescope::prometheus_pull ALIAS pipescope_dep_prometheus_pull)

# ---------------------------------------------------------------------------
# Header-only libraries from Debian packages
# ---------------------------------------------------------------------------
_pipescope_symlink_include_dir(_ps_inc_spdlog spdlog "spdlog=libspdlog-dev" "fmt=libfmt-dev")
add_library(pipescope_dep_spdlog INTERFACE)
target_include_directories(pipescope_dep_spdlog SYSTEM INTERFACE "${_ps_inc_spdlog}")
# Debian's spdlog/tweakme.h already sets SPDLOG_FMT_EXTERNAL; spdlog is
# header-only as long as SPDLOG_COMPILED_LIB is not defined; fmt is header-only
# with FMT_HEADER_ONLY (Debian ships no MinGW libfmt).
target_compile_definitions(pipescope_dep_spdlog INTERFACE FMT_HEADER_ONLY SPDLOG_FMT_EXTERNAL)
add_library(pipescope::spdlog ALIAS pipescope_dep_spdlog)

_pipescope_symlink_include_dir(_ps_inc_cli11 cli11 "CLI=libcli11-dev")
add_library(pipescope_dep_cli11 INTERFACE)
target_include_directories(pipescope_dep_cli11 SYSTEM INTERFACE "${_ps_inc_cli11}")
add_library(pipescope::cli11 ALIAS pipescope_dep_cli11)

_pipescope_symlink_include_dir(_ps_inc_json json "nlohmann=nlohmann-json3-dev")
add_library(pipescope_dep_json INTERFACE)
target_include_directories(pipescope_dep_json SYSTEM INTERFACE "${_ps_inc_json}")
add_library(pipescope::json ALIAS pipescope_dep_json)

# ---------------------------------------------------------------------------
# GoogleTest / GoogleMock from /usr/src/googletest
# ---------------------------------------------------------------------------
set(PIPESCOPE_GOOGLETEST_SOURCE_DIR "/usr/src/googletest" CACHE PATH
    "GoogleTest sources (Debian package googletest)")
if(NOT EXISTS "${PIPESCOPE_GOOGLETEST_SOURCE_DIR}/CMakeLists.txt")
    message(FATAL_ERROR "${PIPESCOPE_GOOGLETEST_SOURCE_DIR} not found: apt-get install googletest")
endif()
function(_pipescope_add_googletest)
    set(BUILD_SHARED_LIBS OFF)
    set(BUILD_GMOCK ON)
    set(INSTALL_GTEST OFF)
    set(gtest_force_shared_crt ON)    # MSVC-only option; harmless here
    set(gtest_disable_pthreads OFF)   # gtest uses Win32 threads on MinGW anyway
    set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)
    add_subdirectory("${PIPESCOPE_GOOGLETEST_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/_deps/googletest-build"
                     EXCLUDE_FROM_ALL)
    foreach(_t gtest gtest_main gmock gmock_main)
        target_compile_options(${_t} PRIVATE -w)
        _pipescope_system_includes(${_t})
        set_target_properties(${_t} PROPERTIES FOLDER third_party)
    endforeach()
endfunction()
_pipescope_add_googletest()
foreach(_t gtest gtest_main gmock gmock_main)
    if(NOT TARGET GTest::${_t})
        add_library(GTest::${_t} ALIAS ${_t})
    endif()
endforeach()

# ---------------------------------------------------------------------------
# Win32 system libraries
# ---------------------------------------------------------------------------
add_library(pipescope_dep_win32libs INTERFACE)
target_link_libraries(pipescope_dep_win32libs INTERFACE
    advapi32   # security descriptors, SDDL, tokens
    ntdll      # NtQueryInformationFile, NtQuerySystemInformation, NtQueryObject
    kernel32   # pipes, processes, overlapped I/O
    user32
    ws2_32)
add_library(pipescope::win32libs ALIAS pipescope_dep_win32libs)

unset(_ps_imgui)
unset(_ps_cw)
unset(_ps_pc)
unset(_ps_pc_gen)
