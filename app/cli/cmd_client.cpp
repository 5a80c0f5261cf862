// pipescope-cli client NAME: stdin lines to the pipe, the pipe to stdout; or --send TEXT, print
// the reply and exit.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"
#include "pipescope/hex.hpp"
#include "pipescope/pipe_security.hpp"

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

namespace pipescope::cli {
namespace {

struct ClientFlags {
    TransportFlags t;
    RemoteFlags remote;
    bool hex = false;
    bool utf16 = false;
    int timeout_ms = 5000;
    bool retry = false;
    std::string send;
    bool send_given = false;
    std::string impersonation = "identification";
    std::string access = "duplex";
};

// Turns one line of user input into bytes, as --hex / --utf16 say.
core::Result<std::vector<std::byte>> encode(const ClientFlags& f, const std::string& text) {
    if (f.hex) return core::parse_hex(text);
    if (f.utf16) return core::utf8_to_utf16le(text);
    return core::to_bytes(text);
}

void print_bytes(const ClientFlags& f, std::span<const std::byte> bytes, bool message_end) {
    if (f.hex) {
        std::string s = core::to_hex(bytes) + (message_end ? "\n" : " ");
        write_stdout(s.data(), s.size());
    } else {
        write_stdout(bytes.data(), bytes.size());
        if (f.t.message && message_end) write_stdout("\n", 1);
    }
}

// Prints the reply to --send as it arrives, so a huge one (a hostile server's 100 MiB message)
// is never held whole: one message, or in byte mode what arrives until a newline or a 200 ms
// pause. `timeout` bounds each wait for more. Returns false (after saying why) on an error,
// including a peer that closes in the middle of a message; what arrived is printed first.
bool print_reply(const ClientFlags& f, core::Channel& channel, std::vector<std::byte>& buf,
                 core::Timeout timeout) {
    const bool whole_message = f.t.message || channel.message_oriented();
    std::uint64_t got = 0;
    // Ends the printed line (hex and message output are one line per reply); an empty message
    // that arrived whole still gets its line.
    auto finish = [&](bool whole_message_arrived = false) {
        if ((got > 0 || whole_message_arrived) && (f.hex || f.t.message)) write_stdout("\n", 1);
    };
    for (;;) {
        auto r = channel.read(buf, got == 0 || whole_message ? timeout : core::Timeout{200});
        if (!r) {
            finish();
            if (got > 0 && !whole_message && r.error().code == core::ErrorCode::Timeout)
                return true;
            std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
            return false;
        }
        if (r->eof) {
            finish();
            if (whole_message && got > 0) {
                auto e = channel.end_of_stream_error();
                e.message =
                    "the peer closed in the middle of a message (" + std::to_string(got) +
                    " bytes of it arrived and are printed above). Next: check why the peer quit";
                std::fprintf(stderr, "error: %s\n", e.to_string().c_str());
                return false;
            }
            return true;
        }
        if (r->bytes > 0) {
            std::span<const std::byte> chunk(buf.data(), r->bytes);
            if (f.hex) {
                std::string text = (got > 0 ? " " : "") + core::to_hex(chunk);
                write_stdout(text.data(), text.size());
            } else {
                write_stdout(chunk.data(), chunk.size());
            }
            got += r->bytes;
        }
        const bool done =
            whole_message ? r->message_end : r->bytes > 0 && buf[r->bytes - 1] == std::byte{'\n'};
        if (done) {
            finish(whole_message);
            return true;
        }
    }
}

int run(const ClientFlags& f) {
#ifdef _WIN32
    // The pipe's bytes go out unchanged (no \n -> \r\n), as on Linux.
    ::_setmode(1, _O_BINARY);
#endif
    core::Endpoint ep;
    if (!f.t.to_endpoint(ep)) return 2;
    auto level = core::parse_impersonation_level(f.impersonation);
    auto access = core::parse_pipe_direction(f.access);
    if (!level || !access) {
        std::fprintf(stderr, "error: bad --impersonation or --access\n");
        return 2;
    }
    ep.client.impersonation = *level;
    ep.client.access = *access;
    ep.client.retry_busy = f.retry;
    if (!f.remote.apply(ep.client.remote)) return 2;
    for (const auto& w : core::client_security_warnings(ep.client, ep.kind)) {
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    }
    const core::Timeout timeout{f.timeout_ms};
    auto ch = core::connect(ep, timeout);
    if (!ch) {
        std::fprintf(stderr, "error: %s\n", ch.error().to_string().c_str());
        return 1;
    }
    auto& channel = **ch;
    std::vector<std::byte> buf(64 * 1024);

    if (f.send_given) {
        std::string text = f.send;
        if (!f.t.message && !f.hex) text += "\n";
        auto bytes = encode(f, text);
        if (!bytes) {
            std::fprintf(stderr, "error: %s\n", bytes.error().to_string().c_str());
            return 2;
        }
        if (auto st = channel.write_all(*bytes, timeout); !st) {
            std::fprintf(stderr, "error: %s\n", st.error().to_string().c_str());
            return 1;
        }
        return print_reply(f, channel, buf, timeout) ? 0 : 1;
    }

    // Interactive: the pipe to stdout on a thread; stdin lines to the pipe here.
    std::atomic<bool> done{false};
    std::thread reader([&] {
        while (!done) {
            auto r = channel.read(buf, core::Timeout{100});
            if (!r) {
                if (r.error().code == core::ErrorCode::Timeout) continue;
                if (r.error().code != core::ErrorCode::Cancelled) {
                    std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
                }
                break;
            }
            if (r->eof) break;
            print_bytes(f, std::span(buf.data(), r->bytes), r->message_end);
        }
        done = true;
    });
    std::string pending;
    char in[4096];
    int rc = 0;
    while (!done) {
        long n = read_stdin(in, sizeof in);
        if (n <= 0) break;
        pending.append(in, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
            std::string line = pending.substr(0, nl);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            pending.erase(0, nl + 1);
            if (!f.t.message && !f.hex) line += "\n";
            auto bytes = encode(f, line);
            if (!bytes) {
                std::fprintf(stderr, "error: %s\n", bytes.error().to_string().c_str());
                continue;
            }
            if (auto st = channel.write_all(*bytes, timeout); !st) {
                std::fprintf(stderr, "error: %s\n", st.error().to_string().c_str());
                rc = 1;
                done = true;
                break;
            }
        }
    }
    // End of input: give the replies `timeout` to arrive, then stop.
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    done = true;
    channel.cancel();
    reader.join();
    return rc;
}

}  // namespace

void register_client(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<ClientFlags>();
    auto* cmd = app.add_subcommand(
        "client", "Connect to a pipe: stdin lines to the pipe, the pipe to stdout");
    flags->t.add(*cmd);
    flags->remote.add(*cmd);
    cmd->add_flag("--hex", flags->hex, "Input lines are hex; output is printed as hex");
    cmd->add_flag("--utf16", flags->utf16, "Send text as UTF-16LE");
    cmd->add_option("--timeout", flags->timeout_ms, "Connect and reply timeout, ms")
        ->capture_default_str();
    cmd->add_flag("--retry", flags->retry, "Wait and retry while all instances are busy");
    cmd->add_option("--send", flags->send, "Send TEXT, print the reply and exit");
    cmd->add_option("--impersonation", flags->impersonation,
                    "anonymous | identification | impersonation | delegation")
        ->capture_default_str();
    cmd->add_option("--access", flags->access, "duplex | inbound | outbound")
        ->capture_default_str();
    cmd->callback([flags, cmd, &ctx] {
        flags->send_given = cmd->count("--send") > 0;
        ctx.exit_code = run(*flags);
    });
}

}  // namespace pipescope::cli
