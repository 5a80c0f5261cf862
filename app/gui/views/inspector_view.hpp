// The inspector: asks before it connects, then probes one pipe on a worker thread and shows
// every field with where it came from, a badge (passive or connected), and busy / denied /
// unknown as states, never blanks; only the fields that apply to the pipe's kind. Owner, SDDL,
// an ACE table, the risk flags, and the effective access per principal with the findings.
// UI thread only; the probe runs as a core::InspectTask and is cancellable. Closing the tab
// while it runs hands the task to the reaper, which owns it until its thread ends.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "models/effective_access.hpp"
#include "pipescope/inspect.hpp"
#include "pipescope/pipe_name.hpp"
#include "views/view.hpp"

namespace pipescope::gui {

class InspectorView final : public View {
  public:
    using Probe = core::InspectProbe;
    enum class Phase { Confirm, Running, Done };

    // `reaper` must outlive the view: it keeps a probe still running when the view goes.
    // `asker` is who "current user" is in the effective-access table (current_asker() when
    // not given).
    InspectorView(core::PipeName name, Probe probe, int id, core::InspectTaskReaper& reaper,
                  std::optional<Asker> asker = std::nullopt);
    ~InspectorView() override;

    [[nodiscard]] std::string title() const override;
    void draw() override;
    [[nodiscard]] bool closable() const override { return true; }
    [[nodiscard]] bool wants_frames() const override { return phase() == Phase::Running; }
    [[nodiscard]] double frame_interval() const override { return 0.1; }
    [[nodiscard]] std::string task_status() const override;

    // The user's "Connect and inspect" (also what the button does).
    void start();
    void cancel();
    [[nodiscard]] Phase phase() const;
    // The result once Done.
    [[nodiscard]] std::optional<core::PipeDetails> result() const;
    // The effective access and findings computed from the result, once Done.
    [[nodiscard]] const std::optional<EffectiveAccess>& effective() const {
        take_result();
        return access_;
    }
    // Keys (`inspect --json` names) of the field rows the last draw() showed, in order: for
    // headless tests of which fields apply to which kind of pipe.
    [[nodiscard]] const std::vector<std::string>& drawn_fields() const { return drawn_fields_; }

  private:
    void take_result() const;
    void draw_confirm();
    void draw_running();
    void draw_result(const core::PipeDetails& d);

    core::PipeName name_;
    Probe probe_;
    int id_;
    int timeout_ms_ = 2000;
    Phase phase_ = Phase::Confirm;
    std::chrono::steady_clock::time_point started_{};
    core::InspectTaskReaper& reaper_;
    // The running probe, and its result once taken from it (phase() takes it; UI thread).
    mutable core::InspectTask task_;
    mutable std::optional<core::PipeDetails> result_;
    std::optional<Asker> asker_;  // nullopt: this process's, read on the probe's thread
    // Filled by the probe's thread after the probe; taken with the result.
    mutable std::shared_ptr<std::optional<EffectiveAccess>> pending_access_;
    mutable std::optional<EffectiveAccess> access_;
    std::vector<std::string> drawn_fields_;
};

}  // namespace pipescope::gui
