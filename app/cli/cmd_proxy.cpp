// pipescope-cli proxy LISTEN --to TARGET: a recording proxy between a real client and a real
// server. Prints each connection, each forwarded unit (text or hex), each end with its reason,
// and a summary; saves the merged transcript with --transcript.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipescope/hex.hpp"
#include "pipescope/proxy.hpp"

namespace pipescope::cli {
namespace {

std::atomic<bool> proxy_interrupted{false};
extern "C" void on_proxy_signal(int) {
    proxy_interrupted = true;
}

// A unit's line shows at most this many of its bytes.
constexpr std::size_t kShownBytes = 256;

struct ProxyFlags {
    TransportFlags t;
    ServerConfigFlags server;
    std::string to;
    std::string to_transport;
    std::string to_type;
    std::string frame = "reads";
    std::string transcript;
    std::string impersonation = "identification";
    bool sddl_from_target = false;
    bool hex = false;
    bool quiet = false;
    int timeout_ms = 5000;
    int max_connections = 0;
    std::size_t max_message = std::size_t{16} << 20;
};

// TARGET in the name syntax, or for tcp PORT / 127.0.0.1:PORT / localhost:PORT.
bool target_endpoint(const ProxyFlags& f, const core::Endpoint& listen, core::Endpoint& ep) {
    std::string kind_text = f.to_transport;
    if (kind_text.empty())
        kind_text = core::available_transports().front() == core::TransportKind::Win32Pipe ? "win32"
                                                                                           : "unix";
    auto kind = core::parse_transport_kind(kind_text);
    if (!kind) return TransportFlags::fail("unknown --to-transport '" + kind_text + "'");
    ep.kind = *kind;
    ep.io = listen.io;
    if (ep.kind == core::TransportKind::Tcp) {
        std::string port = f.to;
        if (auto colon = port.rfind(':'); colon != std::string::npos) {
            const std::string host = port.substr(0, colon);
            if (host != "127.0.0.1" && host != "localhost") {
                return TransportFlags::fail("--to " + f.to +
                                            ": TCP targets are on 127.0.0.1 in this build");
            }
            port = port.substr(colon + 1);
        }
        char* end = nullptr;
        const unsigned long n = std::strtoul(port.c_str(), &end, 10);
        if (port.empty() || *end != '\0' || n == 0 || n > 65535) {
            return TransportFlags::fail("--to " + f.to +
                                        ": a TCP target is PORT or 127.0.0.1:PORT");
        }
        ep.tcp_port = static_cast<std::uint16_t>(n);
        ep.name = core::PipeName::parse("tcp-" + port).value();
        return true;
    }
    auto name = core::PipeName::parse(f.to);
    if (!name) return TransportFlags::fail("--to: " + name.error().to_string());
    ep.name = *name;
    return true;
}

// A Win32 target is read in message mode when the listening pipe is (or --to-type says so).
bool target_read_mode(const ProxyFlags& f, const core::Endpoint& listen, core::Endpoint& ep) {
    core::PipeType type = listen.server.type;
    if (!f.to_type.empty()) {
        auto t = core::parse_pipe_type(f.to_type);
        if (!t) return TransportFlags::fail("bad --to-type '" + f.to_type + "' (byte | message)");
        type = *t;
    }
    ep.client.read_mode = type;
    return true;
}

std::string show_unit(const ProxyFlags& f, const core::Frame& fr) {
    std::span<const std::byte> bytes(fr.bytes);
    const std::size_t cut = f.hex ? kShownBytes / 4 : kShownBytes;
    const bool cut_off = bytes.size() > cut;
    if (cut_off) bytes = bytes.first(cut);
    std::string line = "#" + std::to_string(fr.connection) +
                       (fr.flow == core::Flow::ToServer ? " -> " : " <- ") +
                       std::to_string(fr.bytes.size() + fr.omitted_bytes) + " B";
    if (f.hex) {
        line += " " + core::to_hex(bytes) + (cut_off ? " ..." : "");
    } else {
        line += " \"" + core::escape_bytes(bytes) + (cut_off ? "...\"" : "\"");
    }
    if (!fr.message_end) line += " (part)";
    return line;
}

// Prints what the snapshot holds that was not printed yet, frames and events of each
// connection in their order.
class Printer {
  public:
    explicit Printer(const ProxyFlags& f) : f_(f) {}

    void print(const core::SessionSnapshot& s) {
        for (; session_events_ < s.events.size(); ++session_events_) {
            const auto& e = s.events[session_events_];
            std::printf("%s: %s\n", std::string(core::to_string(e.kind)).c_str(), e.text.c_str());
        }
        for (const auto& c : s.conversations) print(c);
        std::fflush(stdout);
    }

    [[nodiscard]] std::size_t closed() const { return closed_.size(); }
    [[nodiscard]] std::uint32_t connections() const { return highest_id_; }

  private:
    void print(const core::ConversationSnapshot& c) {
        highest_id_ = std::max(highest_id_, c.id);
        std::uint64_t& last = last_seq_[c.id];
        const auto& frames = c.transcript.frames();
        const auto& events = c.transcript.events();
        // Both are in seq order: merge the new ones.
        auto fi = std::partition_point(frames.begin(), frames.end(),
                                       [&](const auto& fr) { return fr->seq <= last; });
        auto ei = std::partition_point(events.begin(), events.end(),
                                       [&](const auto& e) { return e.seq <= last; });
        while (fi != frames.end() || ei != events.end()) {
            if (ei == events.end() || (fi != frames.end() && (*fi)->seq < ei->seq)) {
                if (!f_.quiet) std::printf("%s\n", show_unit(f_, **fi).c_str());
                last = (*fi)->seq;
                ++fi;
            } else {
                const bool final_event = !c.connected && ei + 1 == events.end();
                print_event(c, *ei, final_event);
                last = ei->seq;
                ++ei;
            }
        }
        if (!c.connected) closed_.insert(c.id);
    }

    static void print_event(const core::ConversationSnapshot& c, const core::Event& e,
                            bool final_event) {
        if (final_event) {
            std::printf("#%u disconnected: %s (%llu B to the server, %llu B to the client)\n", c.id,
                        e.text.c_str(), static_cast<unsigned long long>(c.counters.bytes_out),
                        static_cast<unsigned long long>(c.counters.bytes_in));
        } else if (e.kind == core::EventKind::Error) {
            std::printf("#%u error: %s\n", c.id, e.text.c_str());
        } else {
            std::printf("#%u %s\n", c.id, e.text.c_str());
        }
    }

    const ProxyFlags& f_;
    std::size_t session_events_ = 0;
    std::map<std::uint32_t, std::uint64_t> last_seq_;
    std::set<std::uint32_t> closed_;
    std::uint32_t highest_id_ = 0;
};

int run(const ProxyFlags& f) {
    core::Endpoint listen;
    if (!f.t.to_endpoint(listen)) return 2;
    ServerConfigFlags server = f.server;
    core::Endpoint target;
    if (!target_endpoint(f, listen, target)) return 2;
    if (f.sddl_from_target) {
        if (!server.sddl.empty())
            return TransportFlags::fail("--sddl or --sddl-from-target") ? 0 : 2;
        auto sddl = core::read_target_sddl(target, core::Timeout{f.timeout_ms});
        if (!sddl) {
            std::fprintf(stderr, "error: --sddl-from-target: %s\n",
                         sddl.error().to_string().c_str());
            return sddl.error().code == core::ErrorCode::Unsupported &&
                           target.kind != core::TransportKind::Win32Pipe
                       ? 2
                       : 1;
        }
        server.sddl = *sddl;
        std::fprintf(stderr, "note: the listening pipe takes the target's descriptor: %s\n",
                     sddl->c_str());
    }
    if (!server.apply(listen)) return 2;
    // A message pipe is read in message mode unless --read-mode says otherwise.
    if (!f.server.type.empty() && f.server.read_mode.empty()) {
        listen.server.read_mode = listen.server.type;
    }
    if (!target_read_mode(f, listen, target)) return 2;
    core::ProxyOptions opt;
    auto frame = core::parse_frame_mode(f.frame);
    if (!frame)
        return TransportFlags::fail("bad --frame '" + f.frame + "' (lines | reads)") ? 0 : 2;
    opt.frame = *frame;
    auto level = core::parse_impersonation_level(f.impersonation);
    if (!level)
        return TransportFlags::fail("bad --impersonation '" + f.impersonation + "'") ? 0 : 2;
    opt.impersonation = *level;
    if (f.timeout_ms < 0 || f.max_connections < 0 || f.max_message == 0) {
        return TransportFlags::fail(
                   "--timeout, --max-connections and --max-message take a "
                   "positive number")
                   ? 0
                   : 2;
    }
    opt.target_timeout = core::Timeout{f.timeout_ms};
    opt.max_connections = static_cast<std::uint32_t>(f.max_connections);
    opt.max_unit_bytes = f.max_message;

    for (const auto& line : core::ProxySession::what_changes(target, opt)) {
        std::fprintf(stderr, "note: %s\n", line.c_str());
    }
    std::signal(SIGINT, on_proxy_signal);
    std::signal(SIGTERM, on_proxy_signal);
    core::ProxySession proxy(listen, target, opt);
    Printer printer(f);
    int rc = 0;
    for (;;) {
        auto s = proxy.snapshot();
        printer.print(*s);
        if (!s->running) {
            rc = 1;  // listening failed: the event says why
            break;
        }
        if (f.max_connections > 0 &&
            printer.closed() >= static_cast<std::size_t>(f.max_connections))
            break;
        if (proxy_interrupted) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    proxy.stop();
    auto s = proxy.snapshot();
    printer.print(*s);
    if (!f.transcript.empty()) {
        auto t = core::merged_transcript(*s);
        if (auto st = t.save(f.transcript); !st) {
            std::fprintf(stderr, "error: --transcript: %s\n", st.error().to_string().c_str());
            rc = 1;
        } else {
            std::printf("transcript: %zu frames saved to %s\n", t.frames().size(),
                        f.transcript.c_str());
        }
    }
    std::printf(
        "summary: %u connection%s; to the server %llu B in %llu units, to the client %llu B "
        "in %llu units\n",
        printer.connections(), printer.connections() == 1 ? "" : "s",
        static_cast<unsigned long long>(s->totals.bytes_out),
        static_cast<unsigned long long>(s->totals.messages_out),
        static_cast<unsigned long long>(s->totals.bytes_in),
        static_cast<unsigned long long>(s->totals.messages_in));
    std::fflush(stdout);
    return rc;
}

}  // namespace

void register_proxy(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<ProxyFlags>();
    auto* cmd = app.add_subcommand(
        "proxy",
        "A recording proxy: listen on NAME, forward each client to --to TARGET and print what "
        "passes. The server then sees the proxy as its client (its PID, account and "
        "impersonation level)");
    f->t.add(*cmd);
    f->server.add(*cmd, false);
    cmd->add_option("--to", f->to,
                    "Target: a pipe name, socket path, @abstract, FIFO base, or PORT for tcp")
        ->required();
    cmd->add_option("--to-transport", f->to_transport,
                    "Target kind: win32 | unix | seqpacket | fifo | tcp (default: what the "
                    "name implies, win32 on Windows, unix elsewhere)");
    cmd->add_option("--to-type", f->to_type,
                    "Win32 target read mode: byte | message (default: the listening pipe's type)");
    auto* sddl = cmd->add_option("--sddl", f->server.sddl,
                                 "Listening pipe's descriptor (default: user, SYSTEM, "
                                 "Administrators)");
    cmd->add_flag("--sddl-from-target", f->sddl_from_target,
                  "Windows: give the listening pipe the target's descriptor (its DACL), so the "
                  "clients the target lets in get in")
        ->excludes(sddl);
    cmd->add_option("--transcript", f->transcript,
                    "Save the merged transcript (JSON, with connection and flow) at the end");
    cmd->add_flag("--hex", f->hex, "Print units as hex");
    cmd->add_flag("--quiet", f->quiet, "Do not print each unit (connections and the summary only)");
    cmd->add_option("--timeout", f->timeout_ms,
                    "How long a missing or busy target is retried for each client, ms")
        ->capture_default_str();
    cmd->add_option("--max-connections", f->max_connections,
                    "End after this many client connections have closed (0: run until Ctrl+C)")
        ->capture_default_str();
    cmd->add_option("--frame", f->frame,
                    "Byte stream to message side: reads (each read one message) | lines (each "
                    "line one message)")
        ->capture_default_str();
    cmd->add_option("--impersonation", f->impersonation,
                    "Level the proxy grants a Win32 target: anonymous | identification | "
                    "impersonation | delegation")
        ->capture_default_str();
    cmd->add_option("--max-message", f->max_message,
                    "Longest message held to forward whole, bytes; a longer one ends its "
                    "connection")
        ->capture_default_str();
    cmd->callback([f, &ctx] { ctx.exit_code = run(*f); });
}

}  // namespace pipescope::cli
