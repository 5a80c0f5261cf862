// exposer_smoke: proves the prometheus-cpp build this platform links (Debian's shared libraries
// natively, the static build from Debian's source packages in the MinGW build) serves /metrics
// over its embedded HTTP server. tests/scripts/exposer_smoke.py starts it (under Wine for the
// .exe) and reads the page from Linux.
//
//   exposer_smoke [--listen ADDR] [--seconds N]
//
// Binds ADDR (default 127.0.0.1:0, a port the system picks), prints "listening <port>" on one
// line, and serves a registry with a counter and a gauge whose label needs escaping until stdin
// closes or N seconds pass (default 60), whichever is first. Exit 0 on a clean stop, 2 when the
// server cannot start (the reason on stderr).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace {

struct StdinClosed {
    std::mutex mutex;
    std::condition_variable cv;
    bool closed = false;
};

void wait_for_stdin_eof(StdinClosed& state) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, stdin) != nullptr) {
    }
    std::lock_guard lock(state.mutex);
    state.closed = true;
    state.cv.notify_all();
}

int run(const std::string& listen, int seconds) {
    auto registry = std::make_shared<prometheus::Registry>();
    auto& requests = prometheus::BuildCounter()
                         .Name("pipescope_smoke_events_total")
                         .Help("Events counted by the exposer smoke test.")
                         .Register(*registry);
    requests.Add({{"source", "smoke"}}).Increment(3);
    auto& gauge = prometheus::BuildGauge()
                      .Name("pipescope_smoke_value")
                      .Help("A gauge whose label value needs escaping.")
                      .Register(*registry);
    // A quote, a backslash and a non-ASCII character (U+00E9 in UTF-8).
    gauge.Add({{"name", "a\"b\\c \xc3\xa9"}}).Set(42);

    std::unique_ptr<prometheus::Exposer> exposer;
    try {
        exposer = std::make_unique<prometheus::Exposer>(listen, 2);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "exposer_smoke: cannot serve on %s: %s\n", listen.c_str(), e.what());
        return 2;
    }
    exposer->RegisterCollectable(registry);
    const auto ports = exposer->GetListeningPorts();
    if (ports.empty()) {
        std::fprintf(stderr, "exposer_smoke: no listening port for %s\n", listen.c_str());
        return 2;
    }
    std::printf("listening %d\n", ports.front());
    std::fflush(stdout);

    auto state = std::make_shared<StdinClosed>();
    std::thread([state] { wait_for_stdin_eof(*state); }).detach();
    std::unique_lock lock(state->mutex);
    state->cv.wait_for(lock, std::chrono::seconds(seconds), [&] { return state->closed; });
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1:0";
    int seconds = 60;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--listen") {
            listen = argv[i + 1];
        } else if (flag == "--seconds") {
            seconds = std::atoi(argv[i + 1]);
        } else {
            std::fprintf(stderr, "exposer_smoke: unknown option %s\n", flag.c_str());
            return 64;
        }
    }
    return run(listen, seconds);
}
