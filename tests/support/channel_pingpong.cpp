// A ping-pong over core's Channel, for counting the system calls a read and a write make
// (tests/transport/hot_path_test.cpp runs it under strace -f -c). Prints "done N" at the end.
//   channel_pingpong unix|seqpacket|fifo|tcp[+promise] COUNT
// "+promise": both ends promise whole 1-byte messages first (Channel::promise_whole_messages, as
// the benchmark does).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <unistd.h>

#include "pipescope/transport.hpp"

using namespace pipescope::core;

namespace {

int fail(const char* what, const Error& e) {
    std::fprintf(stderr, "%s: %s\n", what, e.to_string().c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: channel_pingpong unix|seqpacket|fifo|tcp[+promise] COUNT\n");
        return 2;
    }
    std::string kind_arg = argv[1];
    const std::string kPromise = "+promise";
    const bool promise =
        kind_arg.size() > kPromise.size() &&
        kind_arg.compare(kind_arg.size() - kPromise.size(), kPromise.size(), kPromise) == 0;
    if (promise) kind_arg.resize(kind_arg.size() - kPromise.size());
    auto kind = parse_transport_kind(kind_arg);
    const long count = std::atol(argv[2]);
    if (!kind || count <= 0) return 2;
    Endpoint ep;
    ep.kind = *kind;
    ep.name = PipeName::parse("pscount-" + std::to_string(::getpid())).value();
    auto listener = listen(ep);
    if (!listener) return fail("listen", listener.error());
    const Endpoint client_ep = (*listener)->client_endpoint();
    const Timeout timeout{10'000};
    std::thread echo([&] {
        auto ch = (*listener)->accept(timeout);
        if (!ch) return;
        if (promise) (*ch)->promise_whole_messages(1);
        std::byte b[1];
        for (long i = 0; i < count; ++i) {
            auto r = (*ch)->read(b, timeout);
            if (!r || r->bytes != 1) return;
            if (!(*ch)->write(b, timeout)) return;
        }
    });
    auto ch = connect(client_ep, timeout);
    if (!ch) {
        (*listener)->cancel();
        echo.join();
        return fail("connect", ch.error());
    }
    if (promise) (*ch)->promise_whole_messages(1);
    std::byte b[1] = {std::byte{42}};
    long done = 0;
    for (; done < count; ++done) {
        if (!(*ch)->write(b, timeout)) break;
        auto r = (*ch)->read(b, timeout);
        if (!r || r->bytes != 1) break;
    }
    echo.join();
    std::printf("done %ld\n", done);
    return done == count ? 0 : 1;
}
