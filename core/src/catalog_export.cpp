#include "pipescope/catalog_export.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace pipescope::core {
namespace {

bool icontains(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

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
    j["current_instances"] = e.current_instances ? nlohmann::json(*e.current_instances) : nlohmann::json(nullptr);
    j["max_instances"] = e.max_instances ? nlohmann::json(*e.max_instances) : nlohmann::json(nullptr);
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
        std::chrono::duration_cast<std::chrono::milliseconds>(e.first_seen.time_since_epoch()).count();
    return j;
}

std::string entries_to_json(std::span<const PipeEntry> entries, int indent) {
    auto array = nlohmann::json::array();
    for (const auto& e : entries) array.push_back(entry_to_json(e));
    // Names are bytes from the system; replace invalid UTF-8 rather than throw.
    return array.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string entries_to_csv(std::span<const PipeEntry> entries) {
    std::string out = "name,current_instances,max_instances,kind,server_pids,client_pids,other_pids,source\n";
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
