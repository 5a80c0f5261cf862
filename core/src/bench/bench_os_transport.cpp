// The benchmark's real transports: core::listen / core::connect.
#include "pipescope/bench.hpp"

namespace pipescope::core {

namespace {
class OsTransport final : public BenchTransport {
  public:
    Result<std::unique_ptr<Listener>> listen(const Endpoint& endpoint) override {
        return core::listen(endpoint);
    }
    Result<std::unique_ptr<Channel>> connect(const Endpoint& endpoint, Timeout timeout,
                                             std::stop_token stop) override {
        return core::connect(endpoint, timeout, std::move(stop));
    }
};
}  // namespace

BenchTransport& os_transport() {
    static OsTransport transport;
    return transport;
}

}  // namespace pipescope::core
