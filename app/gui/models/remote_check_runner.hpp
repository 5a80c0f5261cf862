// The client form's remote-check, without ImGui: when a client session to a remote name
// (\\host\pipe\x) fails to connect, the form runs core::remote_check (or a test's fake with its
// signature) on a worker thread it owns and shows the steps it publishes: which step failed,
// with its error and what to do next.
// Threads: every member from the UI thread only; the worker publishes one snapshot when it
// starts and one when it ends, and calls `wake_ui`. Destroying the runner stops the check (its
// steps end promptly on a stop) and joins the worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "pipescope/remote_check.hpp"
#include "pipescope/session.hpp"
#include "pipescope/snapshot_publisher.hpp"

namespace pipescope::gui {

struct RemoteCheckProgress {
    bool running = false;
    std::string target;                             // \\host\pipe\x
    std::optional<core::RemoteCheckReport> report;  // once it ran
    std::optional<core::Error> error;               // it could not run (bad input)
    std::uint64_t run = 0;                          // 1, 2, ... (0: never started)
};

// Whether a client session's end calls for a remote-check: a remote name (host not ".") whose
// connect failed (the session stopped with an error and never had a conversation).
[[nodiscard]] bool remote_connect_failed(const core::Endpoint& endpoint,
                                         const core::SessionSnapshot& snapshot);

class RemoteCheckRunner {
  public:
    using CheckFn = std::function<core::Result<core::RemoteCheckReport>(
        const core::PipeName&, const core::RemoteCheckOptions&, std::stop_token)>;

    // `check`: core::remote_check when empty. `wake_ui` (may be empty) runs on the worker
    // after each publish.
    explicit RemoteCheckRunner(CheckFn check = {}, std::function<void()> wake_ui = {});
    ~RemoteCheckRunner();
    RemoteCheckRunner(const RemoteCheckRunner&) = delete;
    RemoteCheckRunner& operator=(const RemoteCheckRunner&) = delete;

    // Starts a check of `name` (stopping a running one first; bounded by its timeout).
    void start(const core::PipeName& name, const core::RemoteCheckOptions& options);
    void cancel();
    // Loads the latest progress. Once per frame.
    void sync();
    [[nodiscard]] const RemoteCheckProgress& progress() const { return *shown_; }
    [[nodiscard]] bool running() const { return shown_->running; }

    void set_check(CheckFn check);

  private:
    CheckFn check_;
    std::function<void()> wake_ui_;
    core::SnapshotPublisher<RemoteCheckProgress> latest_;
    std::shared_ptr<const RemoteCheckProgress> shown_;
    std::uint64_t runs_ = 0;
    std::jthread worker_;  // last: joined before the members it uses go
};

}  // namespace pipescope::gui
