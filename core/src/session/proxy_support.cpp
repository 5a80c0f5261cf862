// The proxy's parts that are not its workers: names of the frame modes, what a proxy changes,
// the merged transcript of a snapshot, and the target's descriptor for --sddl-from-target.
#include <algorithm>
#include <functional>
#include <queue>
#include <utility>

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
    const auto& convs = snapshot.conversations;
    std::vector<std::size_t> at(convs.size(), 0);
    std::size_t total = 0;
    for (const auto& c : convs) total += c.transcript.frames().size();
    out.reserve(total);
    // k-way merge by time (a min-heap of each conversation's next frame; ties to the older
    // conversation); each conversation keeps its own order. O(n log conversations).
    using Key = std::pair<std::int64_t, std::size_t>;
    std::priority_queue<Key, std::vector<Key>, std::greater<>> heads;
    for (std::size_t i = 0; i < convs.size(); ++i) {
        const auto& frames = convs[i].transcript.frames();
        if (!frames.empty()) heads.emplace(frames.front()->unix_us, i);
    }
    while (!heads.empty()) {
        const std::size_t best = heads.top().second;
        heads.pop();
        const auto& frames = convs[best].transcript.frames();
        out.push_back(frames[at[best]++]);
        if (at[best] < frames.size()) heads.emplace(frames[at[best]]->unix_us, best);
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
