#include "models/audit_runner.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "pipescope/error.hpp"
#include "pipescope/files.hpp"
#include "pipescope/text.hpp"

namespace pipescope::gui {
namespace {

std::shared_ptr<const AuditProgress> idle_progress() {
    return std::make_shared<const AuditProgress>();
}

}  // namespace

std::string_view to_string(AuditPhase phase) {
    switch (phase) {
        case AuditPhase::Idle:
            return "idle";
        case AuditPhase::Listing:
            return "listing";
        case AuditPhase::Running:
            return "running";
        case AuditPhase::Done:
            return "done";
        case AuditPhase::Cancelled:
            return "cancelled";
        case AuditPhase::Failed:
            return "failed";
    }
    return "idle";
}

namespace {

// The probe read what it needed (or was not asked to probe).
bool assessed(const core::PipeAudit& p) {
    return p.state == core::AuditState::Ok || p.state == core::AuditState::Passive ||
           p.state == core::AuditState::Excluded;
}

}  // namespace

int AuditRow::rank() const {
    if (finding) return static_cast<int>(finding->severity) + 1;
    return assessed(*pipe) ? -1 : 0;
}

std::string AuditRow::severity_text() const {
    if (finding) return std::string(core::to_string(finding->severity));
    return std::string(core::to_string(pipe->state));
}

std::string AuditRow::kind_text() const {
    if (finding) return finding->kind;
    return assessed(*pipe) ? "no findings" : "probe";
}

std::string AuditRow::principal_text() const {
    return finding ? finding->principal : "";
}

std::string AuditRow::detail_text() const {
    if (finding) return finding->detail;
    if (!pipe->note.empty()) return pipe->note;
    if (pipe->state == core::AuditState::Ok) return "nothing risky found";
    return "the probe ended " + std::string(core::to_string(pipe->state));
}

AuditRunner::AuditRunner(Lister lister, AuditFn audit, std::function<void()> wake_ui)
    : lister_(std::move(lister)),
      audit_(std::move(audit)),
      wake_ui_(std::move(wake_ui)),
      latest_(idle_progress()),
      shown_(latest_.load()) {}

AuditRunner::~AuditRunner() {
    worker_.request_stop();  // the jthread joins when destroyed (declared last)
}

bool AuditRunner::running() const {
    return !latest_.load()->finished();
}

bool AuditRunner::start() {
    if (running()) return false;
    if (worker_.joinable()) worker_.join();  // it published its last progress: ends at once
    const std::uint64_t id = ++runs_;
    auto listing = std::make_shared<AuditProgress>();
    listing->phase = AuditPhase::Listing;
    listing->run = id;
    latest_.publish(std::move(listing));
    cancel_requested_ = false;
    worker_ = std::jthread(
        [this, options = options_, id](std::stop_token stop) { run(stop, options, id); });
    return true;
}

void AuditRunner::cancel() {
    if (!running()) return;
    cancel_requested_ = true;
    worker_.request_stop();
}

void AuditRunner::run(std::stop_token stop, core::AuditOptions options, std::uint64_t run_id) {
    auto publish = [&](AuditProgress p) {
        p.run = run_id;
        latest_.publish(std::make_shared<const AuditProgress>(std::move(p)));
        if (wake_ui_) wake_ui_();
    };
    AuditProgress progress;
    try {
        auto listed = lister_();
        if (!listed) {
            progress.phase = AuditPhase::Failed;
            progress.error = listed.error().to_string();
            publish(std::move(progress));
            return;
        }
        progress.phase = AuditPhase::Running;
        publish(progress);
        // run_audit calls on_pipe one at a time; the lock keeps that true for any AuditFn.
        std::mutex progress_mutex;
        auto on_pipe = [&](const core::PipeAudit& audit, std::size_t done, std::size_t total) {
            std::lock_guard lock(progress_mutex);
            progress.audits.push_back(std::make_shared<const core::PipeAudit>(audit));
            progress.done = done;
            progress.total = total;
            publish(progress);
        };
        std::vector<core::PipeAudit> result =
            audit_(*listed, options, stop, core::InspectProbe(core::inspect_pipe), on_pipe);
        std::lock_guard lock(progress_mutex);
        progress.audits.clear();
        for (auto& a : result)
            progress.audits.push_back(std::make_shared<const core::PipeAudit>(std::move(a)));
        progress.done = progress.total = progress.audits.size();
        progress.phase = stop.stop_requested() ? AuditPhase::Cancelled : AuditPhase::Done;
        publish(std::move(progress));
    } catch (const std::exception& e) {
        // Nothing may escape the thread; the user sees why the run ended.
        AuditProgress failed;
        failed.phase = AuditPhase::Failed;
        failed.error = std::string("the audit failed unexpectedly: ") + e.what();
        publish(std::move(failed));
    }
}

void AuditRunner::sync() {
    auto latest = latest_.load();
    if (latest == shown_) return;
    shown_ = std::move(latest);
    rebuild_rows();
}

void AuditRunner::rebuild_rows() {
    rows_.clear();
    for (const auto& p : shown_->audits) {
        for (const auto& f : p->findings) rows_.push_back({p.get(), &f});
        if (!assessed(*p) || (show_clean_ && p->findings.empty()))
            rows_.push_back({p.get(), nullptr});
    }
    std::stable_sort(rows_.begin(), rows_.end(), [](const AuditRow& a, const AuditRow& b) {
        if (a.rank() != b.rank()) return a.rank() > b.rank();
        if (a.pipe->name != b.pipe->name) return a.pipe->name < b.pipe->name;
        return a.kind_text() < b.kind_text();
    });
    apply_filter();
}

void AuditRunner::set_show_clean(bool on) {
    show_clean_ = on;
    rebuild_rows();
}

void AuditRunner::set_filter(std::string text) {
    filter_ = std::move(text);
    apply_filter();
}

void AuditRunner::apply_filter() {
    visible_.clear();
    for (const auto& r : rows_) {
        if (filter_.empty()) {
            visible_.push_back(&r);
            continue;
        }
        for (const std::string& field : {r.pipe->name, r.severity_text(), r.kind_text(),
                                         r.principal_text(), r.detail_text()}) {
            if (core::icontains(field, filter_)) {
                visible_.push_back(&r);
                break;
            }
        }
    }
}

core::Status AuditRunner::export_json(const std::string& path) const {
    if (shown_->audits.empty())
        return core::make_error(core::ErrorCode::InvalidArgument, "export", path,
                                "no audit results to export. Next: run the audit first");
    std::vector<core::PipeAudit> audits;
    audits.reserve(shown_->audits.size());
    for (const auto& a : shown_->audits) audits.push_back(*a);
    if (!shown_->finished()) core::sort_audits(audits);
    return core::write_file_atomic(path, core::audits_to_json(audits));
}

}  // namespace pipescope::gui
