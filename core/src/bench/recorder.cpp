// Adding up the per-thread recorders.
#include "bench/recorder.hpp"

#include <algorithm>

#include "bench/bench_platform.hpp"

namespace pipescope::core::bench {

Totals sum(const StatsList& v) {
    Totals t;
    for (const auto& s : v) {
        t.bytes_sent += s->bytes_sent.load(kRelaxed);
        t.bytes_received += s->bytes_received.load(kRelaxed);
        t.msgs_sent += s->messages_sent.load(kRelaxed);
        t.msgs_received += s->messages_received.load(kRelaxed);
        t.errors += s->errors.load(kRelaxed);
        t.cpu_s += static_cast<double>(s->cpu_ns.load(kRelaxed)) * 1e-9;
        t.integ.checked += s->checked.load(kRelaxed);
        t.integ.lost += s->lost.load(kRelaxed);
        t.integ.duplicated += s->duplicated.load(kRelaxed);
        t.integ.reordered += s->reordered.load(kRelaxed);
        t.integ.corrupted += s->corrupted.load(kRelaxed);
    }
    return t;
}

std::pair<std::uint64_t, std::uint64_t> progress_of(const Scenario& sc, const Totals& e,
                                                    const Totals& p) {
    switch (sc.pattern) {
        case BenchPattern::Stream:
            if (sc.process) return {e.bytes_sent, e.msgs_sent};
            return {p.bytes_received,
                    p.bytes_received / std::max<std::uint64_t>(sc.message_size, 1)};
        case BenchPattern::Churn:
            return {e.bytes_received, e.msgs_received};
        default:
            return {e.bytes_received, e.msgs_received};
    }
}

void finish_thread(BenchSideStats& st, double started_cpu_s) {
    const double spent = std::max(0.0, benchplat::thread_cpu_seconds() - started_cpu_s);
    st.cpu_ns.store(static_cast<std::uint64_t>(spent * 1e9), kRelaxed);
}

}  // namespace pipescope::core::bench
