// pipescope-cli inspect NAME: the intrusive probe of one pipe (it connects as a client).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipescope/hex.hpp"
#include "pipescope/inspect.hpp"

namespace pipescope::cli {
namespace {

struct InspectCliOptions {
    std::string name;
    RemoteFlags remote;
    bool json = false;
    long long timeout_ms = 2000;
};

template <class T>
nlohmann::json value_json(const core::Field<T>& f) {
    if (!f.ok()) return nullptr;
    return nlohmann::json(*f.value);
}

nlohmann::json value_json(const core::Field<std::vector<core::AceInfo>>& f) {
    if (!f.ok()) return nullptr;
    auto a = nlohmann::json::array();
    for (const auto& ace : *f.value)
        a.push_back({{"type", ace.type},
                     {"trustee", ace.trustee},
                     {"sid", ace.sid},
                     {"mask", ace.mask},
                     {"flags", ace.flags},
                     {"rights", ace.rights}});
    return a;
}

// The descriptor's bytes as one hex string ("01000480...").
nlohmann::json value_json(const core::Field<std::vector<std::uint8_t>>& f) {
    if (!f.ok()) return nullptr;
    const auto* bytes = reinterpret_cast<const std::byte*>(f.value->data());
    return core::to_hex(std::span<const std::byte>(bytes, f.value->size()), "");
}

template <class T>
std::string value_text(const core::Field<T>& f) {
    if constexpr (std::is_same_v<T, std::string>)
        return f.value->empty() ? "(empty)" : *f.value;
    else if constexpr (std::is_same_v<T, bool>)
        return *f.value ? "yes" : "no";
    else if constexpr (std::is_same_v<T, std::vector<core::AceInfo>>)
        return std::to_string(f.value->size()) + " entries";
    else if constexpr (std::is_same_v<T, std::vector<std::uint8_t>>)
        return std::to_string(f.value->size()) + " bytes (self-relative descriptor)";
    else
        return std::to_string(*f.value);
}

// A field as the text output shows it: file modes in octal as chmod and ls take them (0700);
// --json keeps the number.
template <class T>
std::string field_text(std::string_view key, const core::Field<T>& f) {
    if constexpr (std::is_integral_v<T>) {
        if (key == "mode") {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(*f.value) & 07777u);
            return buf;
        }
    }
    return value_text(f);
}

// Calls fn(key, field) for every field, in display order.
template <class Fn>
void each_field(const core::PipeDetails& d, Fn&& fn) {
    fn("access", d.access);
    fn("type", d.type);
    fn("end", d.end);
    fn("in_quota", d.in_quota);
    fn("out_quota", d.out_quota);
    fn("max_instances", d.max_instances);
    fn("current_instances", d.current_instances);
    fn("handle_state", d.handle_state);
    fn("pipe_state", d.pipe_state);
    fn("read_data_available", d.read_data_available);
    fn("write_quota_available", d.write_quota_available);
    fn("server_pid", d.server_pid);
    fn("server_image", d.server_image);
    fn("server_session", d.server_session);
    fn("server_uid", d.server_uid);
    fn("server_gid", d.server_gid);
    fn("owner", d.owner);
    fn("owner_uid", d.owner_uid);
    fn("owner_gid", d.owner_gid);
    fn("mode", d.mode);
    fn("sddl", d.sddl);
    fn("aces", d.aces);
    fn("security_descriptor", d.security_descriptor);
    fn("null_dacl", d.null_dacl);
    fn("everyone_can_write", d.everyone_can_write);
    fn("anonymous_can_write", d.anonymous_can_write);
    fn("remote_clients_accepted", d.remote_clients_accepted);
    fn("socket_type", d.socket_type);
    fn("send_buffer", d.send_buffer);
    fn("recv_buffer", d.recv_buffer);
    fn("capacity", d.capacity);
    fn("bytes_queued", d.bytes_queued);
    fn("smb_dialect", d.smb_dialect);
    fn("smb_signing", d.smb_signing);
    fn("smb_encryption", d.smb_encryption);
    fn("smb_logon", d.smb_logon);
    fn("smb_server", d.smb_server);
}

int exit_code_for(core::InspectState s) {
    switch (s) {
        case core::InspectState::Ok:
            return 0;
        case core::InspectState::NotFound:
            return 2;
        case core::InspectState::Denied:
            return 3;
        case core::InspectState::Busy:
            return 4;
        case core::InspectState::TimedOut:
            return 5;
        default:
            return 1;
    }
}

int run_inspect(const InspectCliOptions& o) {
    auto parsed = core::PipeName::parse(o.name);
    if (!parsed) {
        if (o.json) {
            nlohmann::json j{
                {"name", o.name},
                {"state", "error"},
                {"connected", false},
                {"error", {{"code", "invalid name"}, {"message", parsed.error().to_string()}}}};
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            std::fprintf(stderr, "error: %s\n", parsed.error().to_string().c_str());
        }
        return 1;
    }
    core::InspectOptions opt;
    opt.timeout = std::chrono::milliseconds(std::max(0LL, o.timeout_ms));
    if (!o.remote.apply(opt.remote)) return 1;
    core::PipeDetails d = core::inspect_pipe(*parsed, opt);

    if (o.json) {
        nlohmann::json j;
        j["name"] = d.name;
        j["kind"] = d.kind;
        j["state"] = std::string(core::to_string(d.state));
        j["connected"] = d.connected;
        j["elapsed_ms"] = d.elapsed.count();
        nlohmann::json fields = nlohmann::json::object();
        each_field(d, [&](const char* key, const auto& f) {
            j[key] = value_json(f);
            fields[key] = {{"state", std::string(core::to_string(f.state))},
                           {"source", f.source},
                           {"connected", f.connected},
                           {"note", f.note}};
        });
        j["fields"] = fields;
        if (d.error) {
            j["error"] = {{"code", d.error->os_code},
                          {"code_name", d.error->os_code_text()},
                          {"kind", std::string(core::error_code_name(d.error->code))},
                          {"api", d.error->api},
                          {"message", d.error->to_string()}};
        } else {
            j["error"] = nullptr;
        }
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf(
            "%s (%s): %s%s, %lld ms\n", d.name.c_str(), d.kind.empty() ? "?" : d.kind.c_str(),
            std::string(core::to_string(d.state)).c_str(),
            d.connected ? ", connected to probe" : "", static_cast<long long>(d.elapsed.count()));
        if (d.error) std::printf("  error: %s\n", d.error->to_string().c_str());
        const core::DetailsKind kind = core::details_kind(d);
        std::string last_note;  // a reason several fields share is printed once
        each_field(d, [&](const char* key, const auto& f) {
            // Fields of other kinds of pipe are left out; one that applies but is missing is
            // shown with why (e.g. Wine keeps no descriptor for some pipes).
            if (!core::field_applies(key, kind)) return;
            if (f.ok())
                std::printf("  %-24s %s   [%s%s]\n", key, field_text(key, f).c_str(),
                            f.source.c_str(), f.connected ? ", connected" : "");
            else if (d.error && f.note == d.error->to_string())
                // The probe's error already says why; don't repeat it on every line.
                std::printf("  %-24s <%s>   [%s]\n", key,
                            std::string(core::to_string(f.state)).c_str(), f.source.c_str());
            else
                std::printf("  %-24s <%s>   [%s] %s\n", key,
                            std::string(core::to_string(f.state)).c_str(),
                            f.source.empty() ? "-" : f.source.c_str(),
                            f.note.empty()        ? "the probe did not read it"
                            : f.note == last_note ? "(as above)"
                                                  : f.note.c_str());
            if (!f.ok()) last_note = f.note;
        });
        if (d.aces.ok()) {
            for (const auto& a : *d.aces.value) {
                std::string rights;
                for (const auto& r : a.rights) rights += (rights.empty() ? "" : ", ") + r;
                std::printf("    %-5s %-40s %s\n", a.type.c_str(), a.trustee.c_str(),
                            rights.c_str());
            }
        }
    }
    if (!o.json && d.error) std::fprintf(stderr, "error: %s\n", d.error->to_string().c_str());
    return exit_code_for(d.state);
}

}  // namespace

void register_inspect(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<InspectCliOptions>();
    CLI::App* cmd = app.add_subcommand("inspect",
                                       "Probe one pipe (connects to it as a client, identification "
                                       "only). Exit code: 0 ok, 1 error, "
                                       "2 not found, 3 access denied, 4 busy, 5 timeout");
    cmd->add_option("name", opts->name,
                    "Pipe name: \\\\.\\pipe\\x, \\\\host\\pipe\\x, x, a socket or FIFO path, "
                    "or @abstract")
        ->required();
    opts->remote.add(*cmd);
    cmd->add_flag("--json", opts->json, "JSON output");
    cmd->add_option("--timeout", opts->timeout_ms,
                    "Bound for the whole probe in milliseconds (0: do not wait for a busy pipe)");
    cmd->callback([opts, &ctx] { ctx.exit_code = run_inspect(*opts); });
}

}  // namespace pipescope::cli
