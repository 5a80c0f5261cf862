// pipescope-cli server NAME: a test server with the full pipe configuration, printing connects,
// disconnects and client PIDs.
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipescope/files.hpp"
#include "pipescope/pipe_security.hpp"
#include "pipescope/sddl.hpp"
#include "pipescope/session.hpp"

namespace pipescope::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) {
    g_interrupted = true;
}

struct ServerFlags {
    TransportFlags t;
    std::string direction = "duplex";
    std::string type;
    std::string read_mode;
    bool nowait = false;
    int max_instances = 255;
    int listening = 0;
    std::uint32_t in_quota = 65536, out_quota = 65536, default_timeout = 50;
    bool no_first_instance = false;
    bool allow_remote = false;
    std::string sddl;
    std::vector<std::string> behaviour{"echo"};
    std::string script;
    bool line_mode = false;
    int max_clients = 0;
    int duration_ms = 0;
};

int run(const ServerFlags& f) {
    core::Endpoint ep;
    if (!f.t.to_endpoint(ep)) return 2;
    auto dir = core::parse_pipe_direction(f.direction);
    if (!dir) return TransportFlags::fail("bad --direction '" + f.direction + "'") ? 0 : 2;
    ep.server.direction = *dir;
    if (!f.type.empty()) {
        auto t = core::parse_pipe_type(f.type);
        if (!t) return TransportFlags::fail("bad --type") ? 0 : 2;
        ep.server.type = *t;
    }
    if (!f.read_mode.empty()) {
        auto t = core::parse_pipe_type(f.read_mode);
        if (!t) return TransportFlags::fail("bad --read-mode") ? 0 : 2;
        ep.server.read_mode = *t;
    }
    ep.server.nowait = f.nowait;
    ep.server.max_instances = f.max_instances;
    if (f.listening < 0 || f.listening > core::kMaxListeningInstances) {
        return TransportFlags::fail("bad --listening (0..." +
                                    std::to_string(core::kMaxListeningInstances) + ")")
                   ? 0
                   : 2;
    }
    ep.server.listening_instances = f.listening;
    ep.server.in_quota = f.in_quota;
    ep.server.out_quota = f.out_quota;
    ep.server.default_timeout_ms = f.default_timeout;
    ep.server.first_instance = !f.no_first_instance;
    ep.server.reject_remote = !f.allow_remote;
    if (!f.sddl.empty()) {
        // Checked here on every platform so a typo names its offset (Windows would only say
        // ERROR_INVALID_PARAMETER, and POSIX servers do not use SDDL at all).
        if (auto sd = core::parse_sddl(f.sddl); !sd) {
            return TransportFlags::fail("bad --sddl: " + sd.error().to_string()) ? 0 : 2;
        }
    }
    ep.server.sddl = f.sddl;
    // The defaults are safe (first instance, local clients only, owner-only access); say so
    // when a flag loosens them.
    for (const auto& w : core::server_security_warnings(ep.server, ep.kind)) {
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    }

    core::SessionOptions opt;
    opt.line_mode = f.line_mode;
    auto behaviour = core::parse_behaviour(f.behaviour.empty() ? "echo" : f.behaviour[0]);
    if (!behaviour)
        return TransportFlags::fail("bad --behaviour (echo, sink, manual, script FILE)") ? 0 : 2;
    opt.behaviour = *behaviour;
    if (opt.behaviour == core::Behaviour::Script) {
        std::string file = f.behaviour.size() > 1 ? f.behaviour[1] : f.script;
        auto text = core::read_file(file);
        if (file.empty() || !text)
            return TransportFlags::fail("cannot read the script file '" + file + "'") ? 0 : 2;
        auto rules = core::parse_script(*text);
        if (!rules) return TransportFlags::fail(rules.error().to_string()) ? 0 : 2;
        opt.rules = std::move(rules).value();
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    core::ServerSession server(ep, opt);
    std::size_t events_seen = 0;
    std::map<std::uint32_t, std::size_t> conv_events_seen;
    std::size_t finished = 0;
    const auto start = std::chrono::steady_clock::now();
    int rc = 0;
    for (;;) {
        auto s = server.snapshot();
        for (; events_seen < s->events.size(); ++events_seen) {
            const auto& e = s->events[events_seen];
            std::printf("%s: %s\n", std::string(core::to_string(e.kind)).c_str(), e.text.c_str());
            if (e.kind == core::EventKind::Error && !s->running) rc = 1;
        }
        finished = 0;
        for (const auto& c : s->conversations) {
            auto& seen = conv_events_seen[c.id];
            const auto& evs = c.transcript.events();
            for (; seen < evs.size(); ++seen) {
                if (evs[seen].kind == core::EventKind::Connected) continue;  // printed above
                std::printf("client %u %s: %s\n", c.id,
                            std::string(core::to_string(evs[seen].kind)).c_str(),
                            evs[seen].text.c_str());
            }
            if (!c.connected) ++finished;
        }
        std::fflush(stdout);
        if (!s->running) break;
        if (f.max_clients > 0 && finished >= static_cast<std::size_t>(f.max_clients)) break;
        if (f.duration_ms > 0 &&
            std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(f.duration_ms))
            break;
        if (g_interrupted) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    server.stop();
    auto s = server.snapshot();
    std::printf("totals: %llu bytes in, %llu bytes out, %llu messages in, %llu messages out\n",
                static_cast<unsigned long long>(s->totals.bytes_in),
                static_cast<unsigned long long>(s->totals.bytes_out),
                static_cast<unsigned long long>(s->totals.messages_in),
                static_cast<unsigned long long>(s->totals.messages_out));
    std::fflush(stdout);
    return rc;
}

}  // namespace

void register_server(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<ServerFlags>();
    auto* cmd = app.add_subcommand("server", "Run a test server: echo, sink or scripted replies");
    f->t.add(*cmd);
    cmd->add_option("--direction", f->direction, "duplex | inbound | outbound")
        ->capture_default_str();
    cmd->add_option("--type", f->type, "byte | message (default: byte, or message with --message)");
    cmd->add_option("--read-mode", f->read_mode, "byte | message");
    cmd->add_flag("--nowait", f->nowait, "PIPE_NOWAIT");
    cmd->add_option("--max-instances", f->max_instances, "1..254, 255 = unlimited")
        ->capture_default_str();
    cmd->add_option("--listening", f->listening,
                    "Win32: instances kept listening at once (0 = min(4, max instances))")
        ->capture_default_str();
    cmd->add_option("--in-quota", f->in_quota, "Input buffer, bytes")->capture_default_str();
    cmd->add_option("--out-quota", f->out_quota, "Output buffer, bytes")->capture_default_str();
    cmd->add_option("--default-timeout", f->default_timeout, "Default WaitNamedPipe timeout, ms")
        ->capture_default_str();
    cmd->add_flag("--no-first-instance", f->no_first_instance,
                  "Without FILE_FLAG_FIRST_PIPE_INSTANCE");
    cmd->add_flag("--allow-remote", f->allow_remote, "Without PIPE_REJECT_REMOTE_CLIENTS");
    cmd->add_option("--sddl", f->sddl,
                    "Security descriptor (default: user, SYSTEM, Administrators)");
    cmd->add_option("--behaviour,--behavior", f->behaviour, "echo | sink | manual | script FILE")
        ->expected(1, 2);
    cmd->add_option("--script", f->script, "Script file (prefix X => Y / regex X => Y per line)");
    cmd->add_flag("--line-mode", f->line_mode, "Newline-delimited units (JSON lines)");
    cmd->add_option("--max-clients", f->max_clients, "Exit after this many clients have left");
    cmd->add_option("--duration", f->duration_ms, "Exit after this many ms");
    cmd->callback([f, &ctx] { ctx.exit_code = run(*f); });
}

}  // namespace pipescope::cli
