# Fails unless every DLL that EXE imports ships with Windows.
# Usage: cmake -DOBJDUMP=... -DEXE=... -P check_imports.cmake
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST) in script mode
set(allowed
  kernel32.dll user32.dll gdi32.dll advapi32.dll ntdll.dll shell32.dll ole32.dll oleaut32.dll
  opengl32.dll ws2_32.dll msvcrt.dll comdlg32.dll imm32.dll shlwapi.dll version.dll
  uxtheme.dll dwmapi.dll winmm.dll bcrypt.dll psapi.dll secur32.dll crypt32.dll
  api-ms-win-crt-runtime-l1-1-0.dll)
execute_process(COMMAND ${OBJDUMP} -p ${EXE} OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump failed on ${EXE}")
endif()
string(REGEX MATCHALL "DLL Name: [^\r\n]+" lines "${dump}")
if(NOT lines)
  message(FATAL_ERROR "no imports found in ${EXE}: objdump output not understood")
endif()
set(bad "")
foreach(line ${lines})
  string(REGEX REPLACE "DLL Name: " "" dll "${line}")
  string(STRIP "${dll}" dll)
  string(TOLOWER "${dll}" dll)
  message(STATUS "imports ${dll}")
  if(NOT dll IN_LIST allowed)
    list(APPEND bad ${dll})
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "${EXE} imports DLLs that do not ship with Windows: ${bad}")
endif()
