// The Security tab drawn headless over a fake audit: Run passes the form's options, frames
// never wait for a hung audit, Cancel, and a double-clicked row opens its pipe's inspector.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "views/security_view.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using gui::AuditRunner;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;

namespace {

AuditRunner::Lister lister(int pipes) {
    return [pipes] {
        core::Snapshot s;
        for (int i = 0; i < pipes; ++i) {
            core::PipeEntry e;
            e.name = "pipe-" + std::to_string(1000 + i);
            s.entries.push_back(e);
        }
        return core::Result<core::Snapshot>(std::move(s));
    };
}

// Every pipe gets one finding; pipe-1007 the only high one.
std::vector<core::PipeAudit> audit_all(const core::Snapshot& snap, const AuditRunner::OnPipe& cb) {
    std::vector<core::PipeAudit> out;
    for (const auto& e : snap.entries) {
        core::PipeAudit a;
        a.name = e.name;
        core::AuditFinding f;
        f.kind = e.name == "pipe-1007" ? "null_dacl" : "remote_allowed";
        f.severity = e.name == "pipe-1007" ? core::Severity::High : core::Severity::Low;
        f.principal = "everyone";
        f.detail = "why it matters";
        a.findings.push_back(f);
        out.push_back(a);
        if (cb) cb(out.back(), out.size(), snap.entries.size());
    }
    return out;
}

void run_to_end(Headless& ui, gui::SecurityView& view) {
    for (int i = 0; i < 5000 && view.runner().running(); ++i) {
        ui.frame([&] { draw_in_window(view); });
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_FALSE(view.runner().running());
    ui.frame([&] { draw_in_window(view); });
    ui.frame([&] { draw_in_window(view); });
}

TEST(SecurityView, RunPassesTheFormsOptionsAndShowsHighFindingsFirst) {
    core::AuditOptions seen;
    AuditRunner runner(lister(20),
                       [&](const core::Snapshot& snap, const core::AuditOptions& o, std::stop_token,
                           core::InspectProbe, AuditRunner::OnPipe cb) {
                           seen = o;
                           return audit_all(snap, cb);
                       });
    gui::SecurityView view(runner);
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    EXPECT_EQ(runner.progress().phase, gui::AuditPhase::Idle) << "the audit ran unasked";
    ASSERT_TRUE(view.run());
    run_to_end(ui, view);
    EXPECT_EQ(seen.timeout, 2000ms);
    EXPECT_EQ(seen.concurrency, 4u);
    EXPECT_FALSE(seen.passive);
    ASSERT_EQ(runner.visible_rows().size(), 20u);
    EXPECT_EQ(runner.visible_rows()[0]->pipe->name, "pipe-1007");
    ASSERT_FALSE(view.drawn_rows().empty());
    EXPECT_EQ(view.drawn_rows()[0].index, 0u);
}

TEST(SecurityView, ManyRowsDrawOnlyWhatFitsOnScreen) {
    AuditRunner runner(
        lister(5000), [&](const core::Snapshot& snap, const core::AuditOptions&, std::stop_token,
                          core::InspectProbe, AuditRunner::OnPipe) { return audit_all(snap, {}); });
    gui::SecurityView view(runner);
    Headless ui;
    ASSERT_TRUE(view.run());
    run_to_end(ui, view);
    EXPECT_EQ(runner.visible_rows().size(), 5000u);
    EXPECT_LT(view.drawn_rows().size(), 100u) << "the clipper should skip rows off screen";
}

TEST(SecurityView, AHungAuditNeverBlocksAFrameAndCancels) {
    AuditRunner runner(
        lister(3), [&](const core::Snapshot& snap, const core::AuditOptions&, std::stop_token stop,
                       core::InspectProbe, AuditRunner::OnPipe) {
            while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
            std::vector<core::PipeAudit> out(snap.entries.size());
            for (std::size_t i = 0; i < out.size(); ++i) {
                out[i].name = snap.entries[i].name;
                out[i].state = core::AuditState::Cancelled;
            }
            return out;
        });
    gui::SecurityView view(runner);
    Headless ui;
    ASSERT_TRUE(view.run());
    double worst_ms = 0;
    for (int i = 0; i < 30; ++i) {
        gui::test::FrameTimer frame_timer;
        ui.frame([&] { draw_in_window(view); });
        worst_ms = std::max(worst_ms, frame_timer.elapsed_ms());
    }
    EXPECT_TRUE(view.wants_frames());
    EXPECT_NE(view.task_status().find("auditing"), std::string::npos);
    EXPECT_LT(worst_ms, 50.0) << "a frame took " << worst_ms << " ms while the audit hung";
    view.cancel();
    run_to_end(ui, view);
    EXPECT_EQ(runner.progress().phase, gui::AuditPhase::Cancelled);
    EXPECT_EQ(runner.rows().size(), 3u);
    EXPECT_FALSE(view.wants_frames());
}

TEST(SecurityView, DoubleClickOnARowOpensItsPipeInTheInspector) {
    AuditRunner runner(
        lister(5), [&](const core::Snapshot& snap, const core::AuditOptions&, std::stop_token,
                       core::InspectProbe, AuditRunner::OnPipe cb) { return audit_all(snap, cb); });
    gui::SecurityView view(runner);
    std::vector<std::string> opened;
    view.on_inspect([&](const core::PipeAudit& a) { opened.push_back(a.name); });
    Headless ui;
    ASSERT_TRUE(view.run());
    run_to_end(ui, view);
    view.set_filter("pipe-1003");
    ui.frame([&] { draw_in_window(view); });
    ASSERT_EQ(view.drawn_rows().size(), 1u);
    const auto row = view.drawn_rows()[0];
    const float x = row.x + 30, y = row.y + 4;
    auto draw = [&] { draw_in_window(view); };
    ui.click(x, y, draw);
    EXPECT_TRUE(opened.empty()) << "a single click opened the inspector";
    ui.click(x, y, draw);
    ASSERT_EQ(opened.size(), 1u) << "double-click did not open the inspector";
    EXPECT_EQ(opened[0], "pipe-1003");
}

}  // namespace
