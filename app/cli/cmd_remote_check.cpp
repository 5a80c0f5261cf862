// pipescope-cli remote-check \\host\pipe\x: the path to a remote pipe, step by step (name
// resolution, TCP connect, SMB session, pipe open), stopping at the first failure with what to
// do next.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipescope/remote_check.hpp"
#include "pipescope/smb.hpp"

namespace pipescope::cli {
namespace {

struct RemoteCheckFlags {
    std::string name;
    RemoteFlags remote;
    long long timeout_ms = 10000;
    bool json = false;
};

// Exit codes: 0 every step passed, 1 bad input, 2 + the index of the step that failed.
int exit_code_for(const core::RemoteCheckReport& r) {
    const auto* f = r.failed_step();
    if (!f) return 0;
    return 2 + static_cast<int>(f->step);
}

nlohmann::json error_json(const core::Error& e) {
    return {{"kind", std::string(core::error_code_name(e.code))},
            {"code", e.os_code},
            {"code_name", e.os_code_text()},
            {"api", e.api},
            {"message", e.to_string()}};
}

nlohmann::json report_json(const core::RemoteCheckReport& r) {
    nlohmann::json j;
    j["target"] = r.target;
    j["host"] = r.host;
    j["pipe"] = r.pipe;
    j["smb_port"] = r.port;
    j["ok"] = r.ok;
    j["elapsed_ms"] = r.elapsed.count();
    const auto* f = r.failed_step();
    j["failed_step"] = f ? nlohmann::json(std::string(core::to_string(f->step))) : nullptr;
    auto steps = nlohmann::json::array();
    for (const auto& s : r.steps) {
        steps.push_back({{"step", std::string(core::to_string(s.step))},
                         {"result", std::string(core::to_string(s.result))},
                         {"elapsed_ms", s.elapsed.count()},
                         {"detail", s.detail},
                         {"error", s.error ? error_json(*s.error) : nlohmann::json(nullptr)},
                         {"next", s.next}});
    }
    j["steps"] = steps;
    if (r.session) {
        const auto& i = *r.session;
        j["session"] = {{"dialect", core::smb::to_string(i.dialect)},
                        {"server_requires_signing", i.server_requires_signing},
                        {"signing", i.signing},
                        {"encryption", i.encryption},
                        {"guest", i.guest},
                        {"server_name", i.server_name},
                        {"server_domain", i.server_domain}};
    } else {
        j["session"] = nullptr;
    }
    if (r.pipe_info) {
        const auto& p = *r.pipe_info;
        auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
        j["pipe_info"] = {
            {"type", p.type ? nlohmann::json(std::string(core::to_string(*p.type))) : nullptr},
            {"read_mode",
             p.read_mode ? nlohmann::json(std::string(core::to_string(*p.read_mode))) : nullptr},
            {"max_instances", opt(p.max_instances)},
            {"current_instances", opt(p.current_instances)},
            {"in_quota", opt(p.in_quota)},
            {"out_quota", opt(p.out_quota)}};
    } else {
        j["pipe_info"] = nullptr;
    }
    return j;
}

int run_remote_check(const RemoteCheckFlags& f) {
    auto name = core::PipeName::parse(f.name);
    if (!name) {
        std::fprintf(stderr, "error: %s\n", name.error().to_string().c_str());
        return 1;
    }
    core::RemoteCheckOptions o;
    if (!f.remote.apply(o.remote)) return 1;
    o.timeout = core::Timeout(std::max(0LL, f.timeout_ms));
    auto report = core::remote_check(*name, o);
    if (!report) {
        std::fprintf(stderr, "error: %s\n", report.error().to_string().c_str());
        return 1;
    }
    if (f.json)
        std::printf("%s\n", report_json(*report).dump(2).c_str());
    else
        std::fputs(core::format_remote_check(*report).c_str(), stdout);
    return exit_code_for(*report);
}

}  // namespace

void register_remote_check(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<RemoteCheckFlags>();
    CLI::App* cmd = app.add_subcommand(
        "remote-check",
        "Diagnose the path to a remote pipe step by step: name resolution, TCP connect to the "
        "SMB port, SMB session, pipe open; stops at the first failure and says what to do. On "
        "Windows the redirector opens the pipe (port 445, the logged-on user): --smb-port then "
        "applies to the TCP step only. Exit code: 0 all passed, 1 bad input, 2 resolution, 3 "
        "TCP, 4 SMB session, 5 pipe open failed");
    cmd->add_option("NAME", f->name, "\\\\host\\pipe\\name")->required();
    f->remote.add(*cmd);
    cmd->add_option("--timeout", f->timeout_ms, "Bound for the whole check in milliseconds")
        ->capture_default_str();
    cmd->add_flag("--json", f->json, "JSON output");
    cmd->callback([f, &ctx] { ctx.exit_code = run_remote_check(*f); });
}

}  // namespace pipescope::cli
