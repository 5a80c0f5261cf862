// Reading a kernel object's security descriptor as self-relative bytes: one way for the
// inspector (its client handle) and the catalog (a server's duplicated handle).
// Internal to the core; Windows only; any thread.
#pragma once

#include <windows.h>

#include <cstdint>
#include <vector>

namespace pipescope::core::os {

struct ObjectDescriptor {
    std::vector<std::uint8_t> bytes;  // self-relative; empty when the read failed
    bool label_read = false;          // LABEL_SECURITY_INFORMATION was part of the read
    DWORD label_error = 0;            // why asking with the label failed (then retried without)
    DWORD error = 0;                  // why the read failed (bytes empty)
};

// GetSecurityInfo(OWNER|GROUP|DACL|LABEL) on `object`. Reading the mandatory label needs only
// READ_CONTROL, but a system that does not know LABEL_SECURITY_INFORMATION refuses the whole
// request: then it asks again without it. May block like any query on a synchronous file
// handle with I/O pending (run it on a worker where that matters).
[[nodiscard]] ObjectDescriptor read_object_descriptor(HANDLE object);

// The self-relative bytes of a descriptor (converted when it is absolute); empty on failure.
[[nodiscard]] std::vector<std::uint8_t> self_relative_bytes(PSECURITY_DESCRIPTOR sd);

}  // namespace pipescope::core::os
