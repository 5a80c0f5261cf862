// The proxy's parts that are not its workers: names of the frame modes, what a proxy changes,
// the merged transcript of a snapshot, and the target's descriptor for --sddl-from-target.
#include <algorithm>

#include "pipescope/inspect.hpp"
#include "pipescope/proxy.hpp"
#include "pipescope/sddl.hpp"

namespace pipescope::core {
namespace {
#ifdef _WIN32
constexpr bool kWindows = true;
#else
constexpr bool kWindows = false;
#endif
}  // namespace

std::string_view to_string(FrameMode mode) {
    return mode == FrameMode::Lines ? "lines" : "reads";
}

std::optional<FrameMode> parse_frame_mode(std::string_view text) {
    if (text == "lines") return FrameMode::Lines;
    if (text == "reads") return FrameMode::Reads;
    return std::nullopt;
}

std::vector<std::string> ProxySession::what_changes(const Endpoint& target,
                                                    const ProxyOptions& options) {
    std::vector<std::string> lines;
    lines.push_back(
        "the server sees the proxy as its client: the proxy's PID, image and account, not the "
        "real client's");
    if (target.kind == TransportKind::Win32Pipe) {
        lines.push_back("the proxy connects with impersonation level " +
                        std::string(to_string(options.impersonation)) +
                        ": a server that impersonates its client gets that level of the proxy's "
                        "account");
        lines.push_back(
            "clients under other accounts need a descriptor that lets them in (--sddl, or "
            "--sddl-from-target to copy the target's)");
    } else {
        lines.push_back(
            "a server that checks its peer's credentials (SO_PEERCRED) sees the proxy's uid");
    }
    lines.push_back("at most " + std::to_string(options.max_unit_bytes) +
                    " bytes of one message are held; a longer message ends its connection");
    return lines;
}

std::vector<std::shared_ptr<const Frame>> merged_frames(const SessionSnapshot& snapshot) {
    std::vector<std::shared_ptr<const Frame>> out;
    std::vector<std::size_t> at(snapshot.conversations.size(), 0);
    std::size_t total = 0;
    for (const auto& c : snapshot.conversations) total += c.transcript.frames().size();
    out.reserve(total);
    // k-way merge by time; each conversation keeps its own order.
    for (;;) {
        std::size_t best = at.size();
        std::int64_t best_us = 0;
        for (std::size_t i = 0; i < at.size(); ++i) {
            const auto& frames = snapshot.conversations[i].transcript.frames();
            if (at[i] >= frames.size()) continue;
            if (best == at.size() || frames[at[i]]->unix_us < best_us) {
                best = i;
                best_us = frames[at[i]]->unix_us;
            }
        }
        if (best == at.size()) break;
        out.push_back(snapshot.conversations[best].transcript.frames()[at[best]++]);
    }
    return out;
}

Transcript merged_transcript(const SessionSnapshot& snapshot) {
    std::vector<const Transcript*> parts;
    parts.reserve(snapshot.conversations.size());
    for (const auto& c : snapshot.conversations) parts.push_back(&c.transcript);
    return Transcript::merge(parts);
}

Result<std::string> read_target_sddl(const Endpoint& target, Timeout timeout) {
    if (!kWindows || target.kind != TransportKind::Win32Pipe) {
        return make_error(ErrorCode::Unsupported, "read_target_sddl", target.name.display(),
                          "copying the target's descriptor is Windows-only (a Win32 pipe "
                          "target). Next: give --sddl, or leave the default");
    }
    InspectOptions o;
    o.timeout = timeout;
    o.resolve_names = false;
    o.least_access_only = true;
    PipeDetails d = inspect_pipe(target.name, o);
    if (!d.sddl.ok()) {
        std::string why = d.sddl.note;
        if (why.empty() && d.error) why = d.error->to_string();
        return make_error(ErrorCode::Unsupported, "read_target_sddl", target.name.display(),
                          "the target's descriptor could not be read" +
                              (why.empty() ? std::string() : ": " + why) +
                              ". Next: give --sddl instead");
    }
    // The owner and group stay ours: a pipe created with someone else's owner is refused.
    auto sd = parse_sddl(*d.sddl.value);
    if (!sd) return std::move(sd).error();
    sd->owner.clear();
    sd->group.clear();
    sd->sacl.reset();  // setting a label or audit ACEs needs privileges we may not have
    return format_sddl(*sd);
}

}  // namespace pipescope::core
