#include "models/effective_access.hpp"

#include <cstddef>
#include <span>

#include "pipescope/security_descriptor.hpp"

#ifndef _WIN32
#include <unistd.h>
#endif

namespace pipescope::gui {
namespace {

template <class T>
std::string why_missing(const char* what, const core::Field<T>& f) {
    std::string text =
        std::string(what) + " was not read (" + std::string(core::to_string(f.state));
    if (!f.note.empty()) text += ": " + f.note;
    return text + ")";
}

core::PipeKind audit_kind(const core::PipeDetails& d, core::DetailsKind kind) {
    if (kind == core::DetailsKind::NamedPipe) return core::PipeKind::NamedPipe;
    if (kind == core::DetailsKind::Fifo) return core::PipeKind::Fifo;
    if (d.socket_type.ok() && *d.socket_type.value == "seqpacket")
        return core::PipeKind::UnixSeqpacket;
    if (d.socket_type.ok() && *d.socket_type.value == "dgram") return core::PipeKind::UnixDgram;
    return core::PipeKind::UnixStream;
}

EffectiveAccess from_descriptor(const core::PipeDetails& d, const Asker& asker,
                                core::PipeAudit audit) {
    EffectiveAccess out;
    if (!d.security_descriptor.ok()) {
        out.missing = why_missing("The security descriptor", d.security_descriptor);
        return out;
    }
    const auto& raw = *d.security_descriptor.value;
    auto sd = core::parse_security_descriptor(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(raw.data()), raw.size()));
    if (!sd) {
        out.missing = "The security descriptor could not be read: " + sd.error().to_string();
        return out;
    }
    core::assess_descriptor(audit, *sd, core::windows_audit_principals(asker.token));
    core::sort_findings(audit);
    out.audit = std::move(audit);
    return out;
}

}  // namespace

Asker current_asker() {
    Asker a;
    a.token = core::current_token_principal();
#ifndef _WIN32
    a.uid = static_cast<std::uint32_t>(::getuid());
#endif
    return a;
}

EffectiveAccess effective_access(const core::PipeDetails& d, const Asker& asker) {
    const core::DetailsKind kind = core::details_kind(d);
    core::PipeAudit audit;
    audit.name = d.name;
    audit.kind = audit_kind(d, kind);
    if (kind == core::DetailsKind::NamedPipe) return from_descriptor(d, asker, std::move(audit));

    EffectiveAccess out;
    core::PosixAccessFacts facts;
    facts.abstract = !d.name.empty() && d.name.front() == '@';
    if (!facts.abstract) {
        if (!d.mode.ok()) {
            out.missing = why_missing("The file mode", d.mode);
            return out;
        }
        if (!d.owner_uid.ok()) {
            out.missing = why_missing("The file's owner", d.owner_uid);
            return out;
        }
        facts.mode = *d.mode.value;
        facts.owner_uid = *d.owner_uid.value;
        facts.owner_gid = d.owner_gid.value.value_or(0);
    }
    if (d.server_uid.ok()) facts.server_uid = *d.server_uid.value;
    facts.current_uid = asker.uid;
    core::assess_posix(audit, facts);
    // What the name alone says (an abstract socket); the inspector has no listing to count
    // servers, so multiple_servers is the pipe list's and the audit's.
    core::PipeEntry entry;
    entry.kind = audit.kind;
    entry.name = d.name;
    core::assess_listing(audit, entry);
    core::sort_findings(audit);
    out.audit = std::move(audit);
    return out;
}

}  // namespace pipescope::gui
