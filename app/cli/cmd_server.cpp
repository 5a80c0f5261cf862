// pipescope-cli server NAME: a test server with the full pipe configuration, printing connects,
// disconnects and client PIDs.
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipescope/files.hpp"
#include "pipescope/session.hpp"

namespace pipescope::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) {
    g_interrupted = true;
}

struct ServerFlags {
    TransportFlags t;
    ServerConfigFlags server;
    std::vector<std::string> behaviour{"echo"};
    std::string script;
    bool line_mode = false;
    int max_clients = 0;
    int duration_ms = 0;
};

int run(const ServerFlags& f) {
    core::Endpoint ep;
    if (!f.t.to_endpoint(ep)) return 2;
    if (!f.server.apply(ep)) return 2;

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
    f->server.add(*cmd);
    cmd->add_option("--behaviour,--behavior", f->behaviour, "echo | sink | manual | script FILE")
        ->expected(1, 2);
    cmd->add_option("--script", f->script, "Script file (prefix X => Y / regex X => Y per line)");
    cmd->add_flag("--line-mode", f->line_mode, "Newline-delimited units (JSON lines)");
    cmd->add_option("--max-clients", f->max_clients, "Exit after this many clients have left");
    cmd->add_option("--duration", f->duration_ms, "Exit after this many ms");
    cmd->callback([f, &ctx] { ctx.exit_code = run(*f); });
}

}  // namespace pipescope::cli
