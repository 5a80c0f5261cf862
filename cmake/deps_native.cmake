# deps_native.cmake - third-party targets for the native Linux build, from
# Debian's packages (libimgui-dev libglfw3-dev libgl-dev libstb-dev
# libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libgtest-dev
# libgmock-dev prometheus-cpp-dev). Same target names as cmake/deps_mingw.cmake:
#
#   pipescope::imgui      Debian's libimgui.a (already contains the glfw and
#                         opengl3 backends) + /usr/include/imgui/backends,
#                         stb, glfw, OpenGL
#   pipescope::glfw       pkg-config glfw3
#   pipescope::prometheus_core  prometheus-cpp::core (Debian's libprometheus-cpp-core)
#   pipescope::prometheus_pull  prometheus-cpp::pull (Exposer over Debian's libcivetweb)
#   pipescope::spdlog     spdlog::spdlog (Debian's compiled libspdlog) + fmt::fmt
#   pipescope::cli11      CLI11::CLI11
#   pipescope::json       nlohmann_json::nlohmann_json
#   GTest::gtest GTest::gtest_main GTest::gmock GTest::gmock_main
#   pipescope::win32libs  empty
#
# Include style is the same as on Windows: <imgui.h>, <imgui_impl_glfw.h>,
# <imgui_impl_opengl3.h>, <spdlog/spdlog.h>, <CLI/CLI.hpp>, <nlohmann/json.hpp>.

include_guard(GLOBAL)

find_package(PkgConfig REQUIRED)
pkg_check_modules(PIPESCOPE_PC_IMGUI REQUIRED IMPORTED_TARGET imgui)
pkg_check_modules(PIPESCOPE_PC_GLFW  REQUIRED IMPORTED_TARGET glfw3)

set(OpenGL_GL_PREFERENCE GLVND)
find_package(OpenGL REQUIRED)
find_package(Threads REQUIRED)

# GLFW
add_library(pipescope_dep_glfw INTERFACE)
target_link_libraries(pipescope_dep_glfw INTERFACE PkgConfig::PIPESCOPE_PC_GLFW)
add_library(pipescope::glfw ALIAS pipescope_dep_glfw)

# Dear ImGui
find_path(PIPESCOPE_IMGUI_BACKENDS_DIR imgui_impl_opengl3.h
          PATHS /usr/include/imgui/backends ${PIPESCOPE_PC_IMGUI_INCLUDE_DIRS}
          PATH_SUFFIXES backends NO_DEFAULT_PATH)
if(NOT PIPESCOPE_IMGUI_BACKENDS_DIR)
    message(FATAL_ERROR "imgui backends headers not found (apt-get install libimgui-dev)")
endif()
add_library(pipescope_dep_imgui INTERFACE)
target_include_directories(pipescope_dep_imgui SYSTEM INTERFACE "${PIPESCOPE_IMGUI_BACKENDS_DIR}")
# pkg-config imgui brings -limgui and, through "Requires: stb", -lstb.
target_link_libraries(pipescope_dep_imgui INTERFACE
    PkgConfig::PIPESCOPE_PC_IMGUI pipescope::glfw OpenGL::GL ${CMAKE_DL_LIBS})
add_library(pipescope::imgui ALIAS pipescope_dep_imgui)

# spdlog + fmt
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
add_library(pipescope_dep_spdlog INTERFACE)
target_link_libraries(pipescope_dep_spdlog INTERFACE spdlog::spdlog fmt::fmt)
add_library(pipescope::spdlog ALIAS pipescope_dep_spdlog)

# prometheus-cpp (core: registry and TextSerializer; pull: Exposer over civetweb). Debian's
# config also looks for civetweb, zlib and curl, which prometheus-cpp-dev depends on.
find_package(prometheus-cpp CONFIG)   # Debian ships no version file
if(NOT TARGET prometheus-cpp::core OR NOT TARGET prometheus-cpp::pull)
    message(FATAL_ERROR "prometheus-cpp (core, pull) not found: apt-get install prometheus-cpp-dev")
endif()
add_library(pipescope_dep_prometheus_core INTERFACE)
target_link_libraries(pipescope_dep_prometheus_core INTERFACE prometheus-cpp::core)
add_library(pipescope::prometheus_core ALIAS pipescope_dep_prometheus_core)
add_library(pipescope_dep_prometheus_pull INTERFACE)
target_link_libraries(pipescope_dep_prometheus_pull INTERFACE prometheus-cpp::pull)
add_library(pipescope::prometheus_pull ALIAS pipescope_dep_prometheus_pull)

# CLI11
find_package(CLI11 CONFIG REQUIRED)
add_library(pipescope_dep_cli11 INTERFACE)
target_link_libraries(pipescope_dep_cli11 INTERFACE CLI11::CLI11)
add_library(pipescope::cli11 ALIAS pipescope_dep_cli11)

# nlohmann json
find_package(nlohmann_json 3 CONFIG REQUIRED)
add_library(pipescope_dep_json INTERFACE)
target_link_libraries(pipescope_dep_json INTERFACE nlohmann_json::nlohmann_json)
add_library(pipescope::json ALIAS pipescope_dep_json)

# GoogleTest / GoogleMock (Debian's GTestConfig.cmake defines GTest::gtest,
# GTest::gtest_main, GTest::gmock, GTest::gmock_main)
find_package(GTest REQUIRED)
foreach(_ps_t gtest gtest_main gmock gmock_main)
    if(NOT TARGET GTest::${_ps_t})
        message(FATAL_ERROR "GTest::${_ps_t} missing (apt-get install libgtest-dev libgmock-dev)")
    endif()
endforeach()
unset(_ps_t)

# Nothing to link on Linux
add_library(pipescope_dep_win32libs INTERFACE)
add_library(pipescope::win32libs ALIAS pipescope_dep_win32libs)

# nettle (nettle-dev): MD4, HMAC-MD5/SHA-256, AES-CMAC and SHA-512 for the SMB client's NTLMv2,
# signing and 3.1.1 pre-authentication integrity (core/src/smb/posix). Native only: the Windows
# build reaches remote pipes through the OS redirector.
pkg_check_modules(PIPESCOPE_PC_NETTLE REQUIRED IMPORTED_TARGET nettle)
add_library(pipescope_dep_nettle INTERFACE)
target_link_libraries(pipescope_dep_nettle INTERFACE PkgConfig::PIPESCOPE_PC_NETTLE)
add_library(pipescope::nettle ALIAS pipescope_dep_nettle)
