#include "models/remote_check_runner.hpp"

#include <utility>

namespace pipescope::gui {

bool remote_connect_failed(const core::Endpoint& endpoint, const core::SessionSnapshot& snapshot) {
    const auto& name = endpoint.name;
    if (name.form() != core::PipeName::Form::Win32 || name.is_local()) return false;
    if (snapshot.running || !snapshot.conversations.empty()) return false;
    for (const auto& e : snapshot.events)
        if (e.kind == core::EventKind::Error) return true;
    return false;
}

RemoteCheckRunner::RemoteCheckRunner(CheckFn check, std::function<void()> wake_ui)
    : check_(std::move(check)),
      wake_ui_(std::move(wake_ui)),
      latest_(std::make_shared<const RemoteCheckProgress>()),
      shown_(latest_.load()) {}

RemoteCheckRunner::~RemoteCheckRunner() {
    cancel();  // the jthread joins when destroyed (declared last)
}

void RemoteCheckRunner::set_check(CheckFn check) {
    check_ = std::move(check);
}

void RemoteCheckRunner::cancel() {
    worker_.request_stop();
}

void RemoteCheckRunner::start(const core::PipeName& name, const core::RemoteCheckOptions& options) {
    cancel();
    if (worker_.joinable()) worker_.join();
    RemoteCheckProgress first;
    first.running = true;
    first.target = name.win32_path();
    first.run = ++runs_;
    latest_.publish(std::make_shared<const RemoteCheckProgress>(first));
    sync();
    CheckFn check = check_;
    if (!check) {
        check = [](const core::PipeName& n, const core::RemoteCheckOptions& o,
                   std::stop_token stop) { return core::remote_check(n, o, std::move(stop)); };
    }
    worker_ = std::jthread([this, name, options, check = std::move(check),
                            first = std::move(first)](std::stop_token stop) mutable {
        auto result = check(name, options, stop);
        RemoteCheckProgress last = std::move(first);
        last.running = false;
        if (result)
            last.report = std::move(*result);
        else
            last.error = std::move(result).error();
        latest_.publish(std::make_shared<const RemoteCheckProgress>(std::move(last)));
        if (wake_ui_) wake_ui_();
    });
}

void RemoteCheckRunner::sync() {
    shown_ = latest_.load();
}

}  // namespace pipescope::gui
