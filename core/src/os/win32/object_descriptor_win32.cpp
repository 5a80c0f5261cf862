#include "os/win32/object_descriptor.hpp"

#include <aclapi.h>

namespace pipescope::core::os {

std::vector<std::uint8_t> self_relative_bytes(PSECURITY_DESCRIPTOR sd) {
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    if (!::GetSecurityDescriptorControl(sd, &control, &revision)) return {};
    if (control & SE_SELF_RELATIVE) {
        const auto* p = static_cast<const std::uint8_t*>(sd);
        return {p, p + ::GetSecurityDescriptorLength(sd)};
    }
    DWORD size = 0;
    ::MakeSelfRelativeSD(sd, nullptr, &size);
    std::vector<std::uint8_t> out(size);
    if (size == 0 || !::MakeSelfRelativeSD(sd, out.data(), &size)) return {};
    out.resize(size);
    return out;
}

ObjectDescriptor read_object_descriptor(HANDLE object) {
    constexpr SECURITY_INFORMATION kParts =
        OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    ObjectDescriptor out;
    for (bool label : {true, false}) {
        PSECURITY_DESCRIPTOR sd = nullptr;
        DWORD rc = ::GetSecurityInfo(object, SE_KERNEL_OBJECT,
                                     kParts | (label ? LABEL_SECURITY_INFORMATION : 0), nullptr,
                                     nullptr, nullptr, nullptr, &sd);
        if (rc != ERROR_SUCCESS) {
            (label ? out.label_error : out.error) = rc;
            continue;
        }
        out.bytes = self_relative_bytes(sd);
        ::LocalFree(sd);
        if (out.bytes.empty()) {
            out.error = ERROR_INVALID_SECURITY_DESCR;
            return out;
        }
        out.label_read = label;
        out.error = 0;
        return out;
    }
    return out;
}

}  // namespace pipescope::core::os
