// pipescope-cli relay NAME: stdio to the pipe and back, like npiperelay.
#include <atomic>
#include <chrono>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

namespace pipescope::cli {
namespace {

struct RelayFlags {
    TransportFlags t;
    bool poll = false;
    bool close_write_on_eof = false;
    int timeout_ms = 5000;
};

int run(const RelayFlags& f) {
#ifdef _WIN32
    ::_setmode(0, _O_BINARY);
    ::_setmode(1, _O_BINARY);
#endif
    core::Endpoint ep;
    if (!f.t.to_endpoint(ep)) return 2;
    ep.client.retry_busy = true;
    const core::Timeout timeout{f.timeout_ms};
    auto deadline = std::chrono::steady_clock::now() + timeout;
    core::Result<std::unique_ptr<core::Channel>> ch =
        core::make_error(core::ErrorCode::NotFound, "connect", f.t.name, "not tried");
    for (;;) {
        ch = core::connect(ep, timeout);
        if (ch || !f.poll || ch.error().code != core::ErrorCode::NotFound) break;
        // --poll: wait until the pipe exists (bounded by --timeout; 0 waits for ever).
        if (f.timeout_ms > 0 && std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!ch) {
        std::fprintf(stderr, "error: %s\n", ch.error().to_string().c_str());
        return 1;
    }
    auto& channel = **ch;
    std::atomic<bool> pipe_done{false};
    std::atomic<int> rc{0};
    std::thread to_stdout([&] {
        std::vector<std::byte> buf(64 * 1024);
        while (!pipe_done) {
            auto r = channel.read(buf, core::Timeout{100});
            if (!r) {
                if (r.error().code == core::ErrorCode::Timeout) continue;
                if (r.error().code != core::ErrorCode::Cancelled) {
                    std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
                    rc = 1;
                }
                break;
            }
            // An empty message in message mode is the peer's end of conversation.
            if (r->eof || (channel.message_oriented() && r->bytes == 0)) break;
            write_stdout(buf.data(), r->bytes);
        }
        pipe_done = true;
    });
    // stdin to the pipe. The reader waits for input in slices (stdin_ready) and reads only
    // when a read will not block, so it sees the pipe end and can be joined.
    std::atomic<bool> stdin_done{false};
    std::thread from_stdin([&] {
        char buf[64 * 1024];
        for (;;) {
            if (pipe_done) break;
            if (!stdin_ready(100)) continue;
            long n = read_stdin(buf, sizeof buf);
            if (n <= 0 || pipe_done) break;
            auto st = channel.write_all(std::as_bytes(std::span(buf, static_cast<std::size_t>(n))),
                                        core::Timeout{f.timeout_ms > 0 ? f.timeout_ms : 60000});
            if (!st) {
                if (!pipe_done) {  // after the pipe's end a cancelled write is expected
                    std::fprintf(stderr, "error: %s\n", st.error().to_string().c_str());
                    rc = 1;
                }
                break;
            }
        }
        if (f.close_write_on_eof && !pipe_done) {
            if (auto st = channel.close_write(); !st) {
                std::fprintf(stderr, "warning: %s\n", st.error().to_string().c_str());
            }
        }
        stdin_done = true;
    });
    // Ends when the pipe ends; after stdin's end, waits `timeout` for the rest of the replies.
    std::chrono::steady_clock::time_point stdin_end{};
    while (!pipe_done) {
        if (stdin_done && stdin_end == std::chrono::steady_clock::time_point{}) {
            stdin_end = std::chrono::steady_clock::now();
        }
        if (stdin_done && f.timeout_ms > 0 &&
            std::chrono::steady_clock::now() - stdin_end > timeout)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pipe_done = true;
    channel.cancel();
    to_stdout.join();
    from_stdin.join();
    return rc;
}

}  // namespace

void register_relay(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<RelayFlags>();
    auto* cmd = app.add_subcommand("relay", "Relay stdin/stdout to a pipe (like npiperelay)");
    f->t.add(*cmd);
    cmd->add_flag("--poll,-p", f->poll, "Wait until the pipe exists");
    cmd->add_flag("--close-write-on-eof,--ep", f->close_write_on_eof,
                  "At the end of stdin, end our side (message mode: an empty message)");
    cmd->add_option(
           "--timeout", f->timeout_ms,
           "Connect/poll bound and how long to wait for replies after stdin ends, ms (0: for ever)")
        ->capture_default_str();
    cmd->callback([f, &ctx] { ctx.exit_code = run(*f); });
}

}  // namespace pipescope::cli
