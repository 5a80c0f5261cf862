#include "pipescope/catalog_export.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <utility>

#include "base/json_number.hpp"
#include "pipescope/text.hpp"

namespace pipescope::core {
namespace {

bool any_holder_matches(const std::vector<ProcessRef>& v, std::string_view filter) {
    for (const auto& p : v) {
        if (icontains(std::to_string(p.pid), filter) || icontains(p.name, filter)) return true;
    }
    return false;
}

nlohmann::json pid_list(const std::vector<ProcessRef>& v) {
    auto a = nlohmann::json::array();
    for (const auto& p : v) a.push_back(p.pid);
    return a;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string pid_text(const std::vector<ProcessRef>& v) {
    std::string s;
    for (const auto& p : v) {
        if (!s.empty()) s += ' ';
        s += std::to_string(p.pid);
    }
    return s;
}

}  // namespace

bool entry_matches(const PipeEntry& e, std::string_view filter) {
    if (filter.empty()) return true;
    return icontains(e.name, filter) || icontains(to_string(e.kind), filter) ||
           any_holder_matches(e.server_pids, filter) || any_holder_matches(e.client_pids, filter) ||
           any_holder_matches(e.other_pids, filter);
}

nlohmann::json entry_to_json(const PipeEntry& e) {
    nlohmann::json j;
    j["name"] = e.name;
    j["current_instances"] =
        e.current_instances ? nlohmann::json(*e.current_instances) : nlohmann::json(nullptr);
    j["max_instances"] =
        e.max_instances ? nlohmann::json(*e.max_instances) : nlohmann::json(nullptr);
    j["kind"] = std::string(kind_id(e.kind));
    j["pids"] = {{"server", pid_list(e.server_pids)},
                 {"client", pid_list(e.client_pids)},
                 {"unknown", pid_list(e.other_pids)}};
    auto procs = nlohmann::json::array();
    auto add = [&](const std::vector<ProcessRef>& v, const char* end) {
        for (const auto& p : v) procs.push_back({{"pid", p.pid}, {"name", p.name}, {"end", end}});
    };
    add(e.server_pids, "server");
    add(e.client_pids, "client");
    add(e.other_pids, "unknown");
    j["processes"] = std::move(procs);
    j["source"] = sources_to_string(e.sources);
    if (e.kind != PipeKind::NamedPipe) {
        j["state"] = std::string(to_string(e.socket_state));
        j["connections"] = e.connections;
        j["inode"] = e.inode;
    }
    j["first_seen_unix_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(e.first_seen.time_since_epoch())
            .count();
    return j;
}

std::string entries_to_json(std::span<const PipeEntry> entries, int indent) {
    auto array = nlohmann::json::array();
    for (const auto& e : entries) array.push_back(entry_to_json(e));
    // Names are bytes from the system; replace invalid UTF-8 rather than throw.
    return array.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Reads one saved entry; on failure returns what is wrong with it (the caller adds where).
std::optional<std::string> entry_from_json(const nlohmann::json& j, PipeEntry& e) {
    if (!j.is_object()) return "is not an object";
    auto name = j.find("name");
    if (name == j.end() || !name->is_string()) return "has no \"name\" text";
    e.name = name->get<std::string>();
    auto kind = j.find("kind");
    if (kind == j.end() || !kind->is_string()) return "has no \"kind\" text";
    bool known_kind = false;
    for (auto k : {PipeKind::NamedPipe, PipeKind::UnixStream, PipeKind::UnixSeqpacket,
                   PipeKind::UnixDgram, PipeKind::Fifo}) {
        if (kind->get<std::string>() == kind_id(k)) {
            e.kind = k;
            known_kind = true;
        }
    }
    if (!known_kind)
        return "has an unknown \"kind\" (named_pipe, unix_stream, unix_seqpacket, unix_dgram or "
               "fifo)";
    for (auto [field, target] : {std::pair{"current_instances", &e.current_instances},
                                 std::pair{"max_instances", &e.max_instances}}) {
        auto v = j.find(field);
        if (v == j.end() || v->is_null()) continue;
        auto n = detail::json_whole_number<std::int64_t>(*v);
        if (!n) return std::string("has a \"") + field + "\" that is not a whole number";
        *target = *n;
    }
    if (auto procs = j.find("processes"); procs != j.end()) {
        if (!procs->is_array()) return "has \"processes\" that is not a list";
        for (const auto& p : *procs) {
            if (!p.is_object()) return "has a process that is not an object";
            auto pid = p.find("pid");
            auto pname = p.find("name");
            auto end = p.find("end");
            std::optional<std::uint32_t> pid_value;
            if (pid != p.end()) pid_value = detail::json_whole_number<std::uint32_t>(*pid);
            if (!pid_value) return "has a process without a valid \"pid\"";
            ProcessRef ref{*pid_value,
                           pname != p.end() && pname->is_string() ? pname->get<std::string>() : ""};
            const std::string end_text =
                end != p.end() && end->is_string() ? end->get<std::string>() : "";
            if (end_text == "server")
                e.server_pids.push_back(std::move(ref));
            else if (end_text == "client")
                e.client_pids.push_back(std::move(ref));
            else if (end_text == "unknown")
                e.other_pids.push_back(std::move(ref));
            else
                return "has a process whose \"end\" is not server, client or unknown";
        }
    }
    if (auto src = j.find("source"); src != j.end()) {
        if (!src->is_string()) return "has a \"source\" that is not text";
        std::string_view rest = src->get_ref<const std::string&>();
        while (!rest.empty()) {
            const auto plus = rest.find('+');
            const auto part = rest.substr(0, plus);
            bool known = false;
            for (auto c :
                 {CatalogSource::NtDirectory, CatalogSource::HandleTable,
                  CatalogSource::ProcNetUnix, CatalogSource::ProcFd, CatalogSource::Folder}) {
                if (part == to_string(c)) {
                    e.sources |= static_cast<std::uint32_t>(c);
                    known = true;
                }
            }
            if (!known) return "has an unknown \"source\" part '" + std::string(part) + "'";
            rest = plus == std::string_view::npos ? std::string_view{} : rest.substr(plus + 1);
        }
    }
    if (auto st = j.find("state"); st != j.end()) {
        if (!st->is_string()) return "has a \"state\" that is not text";
        bool known = false;
        for (auto s : {SocketState::NotApplicable, SocketState::Unconnected, SocketState::Listening,
                       SocketState::Connecting, SocketState::Connected, SocketState::Closing}) {
            if (st->get<std::string>() == to_string(s)) {
                e.socket_state = s;
                known = true;
            }
        }
        if (!known) return "has an unknown \"state\"";
    }
    if (auto c = j.find("connections"); c != j.end()) {
        auto n = detail::json_whole_number<std::uint32_t>(*c);
        if (!n) return "has \"connections\" that is not a whole number";
        e.connections = *n;
    }
    if (auto i = j.find("inode"); i != j.end()) {
        auto n = detail::json_whole_number<std::uint64_t>(*i);
        if (!n) return "has an \"inode\" that is not a whole number";
        e.inode = *n;
    }
    if (auto t = j.find("first_seen_unix_ms"); t != j.end()) {
        // Milliseconds that a system_clock time_point can hold (about +-292 years in ns).
        auto ms = detail::json_whole_number<std::int64_t>(*t);
        constexpr std::int64_t kLimit = std::int64_t{9'000'000'000'000};
        if (!ms || *ms < -kLimit || *ms > kLimit)
            return "has a \"first_seen_unix_ms\" out of range";
        e.first_seen = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::milliseconds(*ms)));
        e.last_seen = e.first_seen;
    }
    return std::nullopt;
}

}  // namespace

Result<std::vector<PipeEntry>> entries_from_json(std::string_view text, std::string origin) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    const char* next =
        ". Next: give a file that pipescope-cli list --json or the GUI's export wrote";
    if (doc.is_discarded()) {
        return make_error(ErrorCode::InvalidArgument, "entries_from_json", std::move(origin),
                          std::string("not valid JSON") + next);
    }
    if (!doc.is_array()) {
        return make_error(ErrorCode::InvalidArgument, "entries_from_json", std::move(origin),
                          std::string("not a list of pipes (a JSON array)") + next);
    }
    std::vector<PipeEntry> out;
    out.reserve(doc.size());
    for (std::size_t i = 0; i < doc.size(); ++i) {
        PipeEntry e;
        if (auto why = entry_from_json(doc[i], e)) {
            return make_error(ErrorCode::InvalidArgument, "entries_from_json", std::move(origin),
                              "entry " + std::to_string(i + 1) + " " + *why + next);
        }
        out.push_back(std::move(e));
    }
    return out;
}

std::string entries_to_csv(std::span<const PipeEntry> entries) {
    std::string out =
        "name,current_instances,max_instances,kind,server_pids,client_pids,other_pids,source\n";
    for (const auto& e : entries) {
        out += csv_field(e.name);
        out += ',';
        if (e.current_instances) out += std::to_string(*e.current_instances);
        out += ',';
        if (e.max_instances) out += std::to_string(*e.max_instances);
        out += ',';
        out += kind_id(e.kind);
        for (const auto* holders : {&e.server_pids, &e.client_pids, &e.other_pids}) {
            out += ',';
            out += pid_text(*holders);
        }
        out += ',';
        out += csv_field(sources_to_string(e.sources));
        out += '\n';
    }
    return out;
}

}  // namespace pipescope::core
