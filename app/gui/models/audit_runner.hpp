// The Security tab's model, without ImGui: runs the security audit (core::run_audit, or a
// test's fake with its signature) on a worker thread it owns, publishes progress and each
// pipe's result as it comes through a core::SnapshotPublisher, cancels, and turns the results
// into the findings table's rows (sorted by severity, filtered) and a JSON export.
// Threads: every member from the UI thread only; the worker publishes snapshots and calls
// `wake_ui`. Destroying the runner cancels the audit and joins the worker (probes end promptly
// on a stop; each is bounded by the audit's timeout).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "pipescope/audit.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/inspect.hpp"
#include "pipescope/result.hpp"
#include "pipescope/snapshot_publisher.hpp"

namespace pipescope::gui {

enum class AuditPhase { Idle, Listing, Running, Done, Cancelled, Failed };
[[nodiscard]] std::string_view to_string(AuditPhase phase);  // "idle", "listing", ...

// What the worker publishes: immutable once published.
struct AuditProgress {
    AuditPhase phase = AuditPhase::Idle;
    std::size_t done = 0;
    std::size_t total = 0;
    // Pipes audited so far, in the order they finished; once the run ends, run_audit's order
    // (worst first). Shared so that each publish copies pointers, not audits.
    std::vector<std::shared_ptr<const core::PipeAudit>> audits;
    std::string error;      // Failed: why the listing failed
    std::uint64_t run = 0;  // which run (1, 2, ...) this progress belongs to

    [[nodiscard]] bool finished() const {
        return phase == AuditPhase::Idle || phase == AuditPhase::Done ||
               phase == AuditPhase::Cancelled || phase == AuditPhase::Failed;
    }
};

// One line of the findings table: a finding of a pipe, or (finding == nullptr) a pipe whose
// probe did not end Ok (busy, denied, timed out...), so that none is skipped silently, or a
// pipe with no finding at all (shown on request).
struct AuditRow {
    const core::PipeAudit* pipe = nullptr;
    const core::AuditFinding* finding = nullptr;

    // 4 high, 3 medium, 2 low, 1 info, 0 a probe that did not end Ok, -1 nothing found.
    [[nodiscard]] int rank() const;
    [[nodiscard]] std::string severity_text() const;  // "high", ... or the state ("busy")
    [[nodiscard]] std::string kind_text() const;      // the finding's kind, or "probe"
    [[nodiscard]] std::string principal_text() const;
    [[nodiscard]] std::string detail_text() const;  // the finding's detail, or the note
};

class AuditRunner {
  public:
    using OnPipe = std::function<void(const core::PipeAudit&, std::size_t, std::size_t)>;
    // core::run_audit's signature.
    using AuditFn =
        std::function<std::vector<core::PipeAudit>(const core::Snapshot&, const core::AuditOptions&,
                                                   std::stop_token, core::InspectProbe, OnPipe)>;
    // Lists the pipes to audit (on the worker thread): the catalog's refresh in the app.
    using Lister = std::function<core::Result<core::Snapshot>()>;

    // `wake_ui` (may be empty) is called on the worker after each publish.
    AuditRunner(Lister lister, AuditFn audit, std::function<void()> wake_ui = {});
    ~AuditRunner();
    AuditRunner(const AuditRunner&) = delete;
    AuditRunner& operator=(const AuditRunner&) = delete;

    // The options the next run uses (the form edits them).
    core::AuditOptions& options() { return options_; }

    // Starts a run; false (and nothing happens) while the previous one has not ended.
    bool start();
    // Asks the run to stop: pipes not done are reported Cancelled. Never blocks.
    void cancel();
    // True from start() until the worker published its last progress.
    [[nodiscard]] bool running() const;
    [[nodiscard]] bool cancel_requested() const { return cancel_requested_; }

    // Loads the latest progress; rebuilds the rows when it changed. Once per frame.
    void sync();
    // The progress the last sync() took.
    [[nodiscard]] const AuditProgress& progress() const { return *shown_; }

    // The table filter: a case-insensitive substring of the name, severity, kind, principal
    // or detail.
    void set_filter(std::string text);
    [[nodiscard]] const std::string& filter() const { return filter_; }
    // Also a row for each pipe assessed with no finding (ok, passive, excluded).
    void set_show_clean(bool on);
    [[nodiscard]] bool show_clean() const { return show_clean_; }
    // Every row (sorted: severity, then name, then kind) and the ones the filter keeps.
    [[nodiscard]] const std::vector<AuditRow>& rows() const { return rows_; }
    [[nodiscard]] const std::vector<const AuditRow*>& visible_rows() const { return visible_; }

    // audits_to_json of every pipe of the shown progress, written atomically.
    [[nodiscard]] core::Status export_json(const std::string& path) const;

  private:
    void run(std::stop_token stop, core::AuditOptions options, std::uint64_t run_id);
    void rebuild_rows();
    void apply_filter();

    Lister lister_;
    AuditFn audit_;
    std::function<void()> wake_ui_;
    core::AuditOptions options_;
    core::SnapshotPublisher<AuditProgress> latest_;
    std::shared_ptr<const AuditProgress> shown_;
    std::uint64_t runs_ = 0;
    bool cancel_requested_ = false;
    std::vector<AuditRow> rows_;
    std::vector<const AuditRow*> visible_;
    std::string filter_;
    bool show_clean_ = false;
    std::jthread worker_;  // last: joined before the members it uses go
};

}  // namespace pipescope::gui
