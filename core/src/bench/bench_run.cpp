// The shared run state's locked parts (never on the hot path).
#include "bench/bench_run.hpp"

namespace pipescope::core {

Channel* BenchRun::adopt(std::unique_ptr<Channel> ch) {
    std::lock_guard lock(mutex);
    channels.push_back(std::move(ch));
    Channel* c = channels.back().get();
    if (cancelled.load()) c->cancel();
    return c;
}

void BenchRun::drop(Channel* c) {
    std::unique_ptr<Channel> gone;
    std::lock_guard lock(mutex);
    for (auto it = channels.rbegin(); it != channels.rend(); ++it) {
        if (it->get() == c) {
            gone = std::move(*it);
            channels.erase(std::next(it).base());
            break;
        }
    }
}

void BenchRun::fail(const Error& e) {
    std::lock_guard lock(mutex);
    ++error_count;
    if (first_error.empty())
        first_error = e.to_string();
    else
        first_error += "; then: " + e.to_string();
}

void BenchRun::cancel_io() {
    std::lock_guard lock(mutex);
    for (auto& c : channels) c->cancel();
    if (listener) listener->cancel();
}

}  // namespace pipescope::core
