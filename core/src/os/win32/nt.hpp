// NT declarations the mingw-w64 10 headers lack, resolved from ntdll at run time.
// Internal to the core; Windows only.
#pragma once

#include <windows.h>
#include <winternl.h>

#include <cstdint>

namespace pipescope::core::nt {

constexpr ULONG kStatusSuccess = 0x00000000;
constexpr ULONG kStatusBufferOverflow = 0x80000005;
constexpr ULONG kStatusNoMoreFiles = 0x80000006;
constexpr ULONG kStatusInfoLengthMismatch = 0xC0000004;
constexpr ULONG kStatusBufferTooSmall = 0xC0000023;

constexpr int kFileDirectoryInformation = 1;
constexpr int kFileNameInformation = 9;
constexpr int kFilePipeLocalInformation = 24;
constexpr int kSystemProcessInformation = 5;
constexpr int kSystemExtendedHandleInformation = 64;
constexpr int kObjectNameInformation = 1;
constexpr int kObjectTypeInformation = 2;

// FILE_PIPE_LOCAL_INFORMATION (fixed layout: ten ULONGs).
struct PipeLocalInformation {
    ULONG NamedPipeType;           // 0 byte, 1 message
    ULONG NamedPipeConfiguration;  // 0 inbound, 1 outbound, 2 duplex
    ULONG MaximumInstances;        // 0xFFFFFFFF unlimited
    ULONG CurrentInstances;
    ULONG InboundQuota;
    ULONG ReadDataAvailable;
    ULONG OutboundQuota;
    ULONG WriteQuotaAvailable;
    ULONG NamedPipeState;  // 1 disconnected, 2 listening, 3 connected, 4 closing
    ULONG NamedPipeEnd;    // 0 client, 1 server
};

struct HandleEntryEx {
    PVOID Object;
    ULONG_PTR UniqueProcessId;
    ULONG_PTR HandleValue;
    ULONG GrantedAccess;
    USHORT CreatorBackTraceIndex;
    USHORT ObjectTypeIndex;
    ULONG HandleAttributes;
    ULONG Reserved;
};

struct HandleInformationEx {
    ULONG_PTR NumberOfHandles;
    ULONG_PTR Reserved;
    HandleEntryEx Handles[1];
};

// OBJECT_NAME_INFORMATION and the head of OBJECT_TYPE_INFORMATION: a UNICODE_STRING first.
struct ObjectUnicodeHead {
    UNICODE_STRING Name;
};

using NtQueryDirectoryFileFn = LONG(NTAPI*)(HANDLE, HANDLE, PVOID, PVOID, IO_STATUS_BLOCK*, PVOID,
                                            ULONG, int, BOOLEAN, UNICODE_STRING*, BOOLEAN);
using NtQuerySystemInformationFn = LONG(NTAPI*)(int, PVOID, ULONG, ULONG*);
using NtQueryObjectFn = LONG(NTAPI*)(HANDLE, int, PVOID, ULONG, ULONG*);
using NtQueryInformationFileFn = LONG(NTAPI*)(HANDLE, IO_STATUS_BLOCK*, PVOID, ULONG, int);
// STATUS_SUCCESS when both handles refer to one kernel object, STATUS_NOT_SAME_OBJECT when not
// (Windows 10 and later; Wine).
using NtCompareObjectsFn = LONG(NTAPI*)(HANDLE, HANDLE);

// Looks a function up in ntdll; nullptr when it is missing.
template <class Fn>
Fn resolve(const char* name) {
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    if (!ntdll) return nullptr;
    return reinterpret_cast<Fn>(reinterpret_cast<void*>(::GetProcAddress(ntdll, name)));
}

}  // namespace pipescope::core::nt
