// The child-process peer: its command line, its result file and its entry point.
#include "bench/peer_process.hpp"

#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/bench_platform.hpp"
#include "bench/responders.hpp"
#include "pipescope/files.hpp"
#include "pipescope/hex.hpp"

namespace pipescope::core {
namespace bench {

using nlohmann::json;

namespace {

std::string endpoint_to_json(const Endpoint& ep) {
    json j;
    j["kind"] = to_string(ep.kind);
    j["io"] = to_string(ep.io);
    j["name"] = ep.name.display();
    j["tcp_port"] = ep.tcp_port;
    j["read_mode"] = to_string(ep.client.read_mode);
    return j.dump();
}

Result<Endpoint> endpoint_from_json(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    Endpoint ep;
    try {
        auto k = parse_transport_kind(j.at("kind").get<std::string>());
        auto io = parse_io_model(j.at("io").get<std::string>());
        auto rm = parse_pipe_type(j.at("read_mode").get<std::string>());
        auto name = PipeName::parse(j.at("name").get<std::string>());
        if (!k || !io || !rm || !name)
            return make_error(ErrorCode::InvalidArgument, "bench-peer", "endpoint",
                              "malformed endpoint");
        ep.kind = *k;
        ep.io = *io;
        ep.client.read_mode = *rm;
        ep.name = *name;
        ep.tcp_port = j.at("tcp_port").get<std::uint16_t>();
    } catch (const json::exception& e) {
        return make_error(ErrorCode::InvalidArgument, "bench-peer", "endpoint", e.what());
    }
    return ep;
}

// JSON text as one command-line argument: lower-case hex, no separators.
std::string to_argument(std::string_view text) {
    return to_hex(to_bytes(text), "");
}

Result<std::string> from_argument(std::string_view arg, const char* what) {
    auto bytes = parse_hex(arg);
    if (!bytes)
        return make_error(ErrorCode::InvalidArgument, "bench-peer", what,
                          "malformed argument: " + bytes.error().to_string());
    return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

// Connects one responder per connection of `sc` and waits for them all.
PeerResult run_responders(BenchTransport& transport, const Endpoint& ep, const Scenario& sc,
                          int cpu) {
    const Timeout to{5000};
    const int n = sc.pattern == BenchPattern::ReqRep ? sc.clients : 1;
    StatsList stats;
    for (int i = 0; i < n; ++i) stats.push_back(std::make_unique<BenchSideStats>());
    std::mutex err_mutex;
    std::string first_error;
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&, i](std::stop_token stop) {
                if (cpu >= 0) (void)benchplat::pin_current_thread(cpu);
                auto& st = *stats[static_cast<std::size_t>(i)];
                if (sc.pattern == BenchPattern::Churn) {
                    respond_churn(transport, ep, sc, st, to, stop);
                    return;
                }
                auto c = transport.connect(ep, to, stop);
                if (!c) {
                    std::lock_guard lock(err_mutex);
                    if (first_error.empty()) first_error = c.error().to_string();
                    return;
                }
                respond(sc, **c, st, to);
            });
        }
        // Join explicitly: a jthread's destructor would request a stop first.
        for (auto& t : threads) t.join();
    }
    PeerResult r{sum(stats), first_error};
    r.t.cpu_s = benchplat::process_cpu_seconds();
    return r;
}

}  // namespace

std::string PeerResult::to_json() const {
    json out;
    out["bytes_sent"] = t.bytes_sent;
    out["bytes_received"] = t.bytes_received;
    out["messages_sent"] = t.msgs_sent;
    out["messages_received"] = t.msgs_received;
    out["errors"] = t.errors;
    out["cpu_s"] = t.cpu_s;
    out["checked"] = t.integ.checked;
    out["lost"] = t.integ.lost;
    out["duplicated"] = t.integ.duplicated;
    out["reordered"] = t.integ.reordered;
    out["corrupted"] = t.integ.corrupted;
    out["error"] = error;
    return out.dump();
}

std::optional<PeerResult> PeerResult::from_json(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    PeerResult r;
    r.t.bytes_sent = j.value("bytes_sent", 0ULL);
    r.t.bytes_received = j.value("bytes_received", 0ULL);
    r.t.msgs_sent = j.value("messages_sent", 0ULL);
    r.t.msgs_received = j.value("messages_received", 0ULL);
    r.t.errors = j.value("errors", 0ULL);
    r.t.cpu_s = j.value("cpu_s", 0.0);
    r.t.integ.checked = j.value("checked", 0ULL);
    r.t.integ.lost = j.value("lost", 0ULL);
    r.t.integ.duplicated = j.value("duplicated", 0ULL);
    r.t.integ.reordered = j.value("reordered", 0ULL);
    r.t.integ.corrupted = j.value("corrupted", 0ULL);
    r.error = j.value("error", std::string());
    return r;
}

bool PeerResult::write_file(const std::string& path) const {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << to_json();
    return static_cast<bool>(f);
}

std::optional<PeerResult> PeerResult::read_file(const std::string& path) {
    auto text = core::read_file(path);  // not this member: the bounded whole-file read
    if (!text) return std::nullopt;
    return from_json(*text);
}

std::vector<std::string> peer_arguments(const Endpoint& client_endpoint, const Scenario& sc,
                                        const std::string& result_path, std::optional<int> cpu) {
    std::vector<std::string> args{"bench-peer",
                                  "--endpoint",
                                  to_argument(endpoint_to_json(client_endpoint)),
                                  "--scenario",
                                  to_argument(scenario_to_json(sc)),
                                  "--result",
                                  result_path};
    if (cpu) {
        args.push_back("--cpu");
        args.push_back(std::to_string(*cpu));
    }
    return args;
}

}  // namespace bench

int run_bench_peer(BenchTransport& transport, const std::string& endpoint_arg,
                   const std::string& scenario_arg, const std::string& result_path, int cpu) {
    bench::PeerResult result;
    auto finish = [&](int code) { return result.write_file(result_path) ? code : 3; };
    auto ep_json = bench::from_argument(endpoint_arg, "--endpoint");
    auto sc_json = bench::from_argument(scenario_arg, "--scenario");
    if (!ep_json || !sc_json) {
        result.error = !ep_json ? ep_json.error().to_string() : sc_json.error().to_string();
        return finish(2);
    }
    auto ep = bench::endpoint_from_json(*ep_json);
    auto sc = scenario_from_json(*sc_json);
    if (!ep || !sc) {
        result.error = !ep ? ep.error().to_string() : sc.error().to_string();
        return finish(2);
    }
    if (cpu >= 0) (void)benchplat::pin_current_thread(cpu);
    result = bench::run_responders(transport, *ep, *sc, cpu);
    return finish(result.error.empty() ? 0 : 1);
}

}  // namespace pipescope::core
