// The Security tab's model with a fake audit function: progress and results as they come,
// cancel, rows sorted by severity, the table filter, a failed listing, the export.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "models/audit_runner.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using gui::AuditPhase;
using gui::AuditRunner;

namespace {

core::Snapshot three_pipes() {
    core::Snapshot s;
    for (const char* n : {"alpha", "beta", "gamma"}) {
        core::PipeEntry e;
        e.name = n;
        s.entries.push_back(e);
    }
    return s;
}

AuditRunner::Lister lister() {
    return [] { return core::Result<core::Snapshot>(three_pipes()); };
}

core::PipeAudit audit_of(const std::string& name,
                         std::vector<std::pair<core::Severity, std::string>> findings,
                         core::AuditState state = core::AuditState::Ok) {
    core::PipeAudit a;
    a.name = name;
    a.state = state;
    for (auto& [sev, kind] : findings) {
        core::AuditFinding f;
        f.kind = kind;
        f.severity = sev;
        f.principal = "everyone";
        f.detail = kind + " on " + name;
        a.findings.push_back(f);
    }
    return a;
}

// Polls the model (as frames do) until `done` or about 5 s; never a timed assertion.
template <class Pred>
bool sync_until(AuditRunner& r, Pred done) {
    for (int i = 0; i < 5000; ++i) {
        r.sync();
        if (done()) return true;
        std::this_thread::sleep_for(1ms);
    }
    return false;
}

// A fake audit that reports one pipe, then waits for the test's go before finishing.
struct GatedAudit {
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    core::AuditOptions seen;

    void release() {
        std::lock_guard lock(m);
        go = true;
        cv.notify_all();
    }
    AuditRunner::AuditFn fn() {
        return [this](const core::Snapshot& snap, const core::AuditOptions& options,
                      std::stop_token stop, core::InspectProbe, AuditRunner::OnPipe on_pipe) {
            seen = options;
            std::vector<core::PipeAudit> out;
            out.push_back(audit_of("beta", {{core::Severity::Low, "remote_allowed"}}));
            on_pipe(out.back(), 1, snap.entries.size());
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return go || stop.stop_requested(); });
            out.push_back(audit_of("alpha", {{core::Severity::High, "null_dacl"},
                                             {core::Severity::Info, "multiple_servers"}}));
            out.push_back(audit_of("gamma", {}, core::AuditState::Busy));
            return out;
        };
    }
};

TEST(AuditRunner, PublishesEachPipeAsItComesThenTheSortedResult) {
    GatedAudit fake;
    AuditRunner runner(lister(), fake.fn());
    runner.options().filter = "a";
    runner.options().concurrency = 3;
    ASSERT_TRUE(runner.start());
    ASSERT_TRUE(sync_until(runner, [&] { return runner.progress().done == 1; }));
    EXPECT_TRUE(runner.running());
    EXPECT_EQ(runner.progress().phase, AuditPhase::Running);
    EXPECT_EQ(runner.progress().total, 3u);
    ASSERT_EQ(runner.rows().size(), 1u);
    EXPECT_EQ(runner.rows()[0].pipe->name, "beta");
    EXPECT_FALSE(runner.start()) << "a second run started while the first was going";

    fake.release();
    ASSERT_TRUE(sync_until(runner, [&] { return !runner.running(); }));
    EXPECT_EQ(runner.progress().phase, AuditPhase::Done);
    EXPECT_EQ(runner.progress().done, 3u);
    EXPECT_EQ(fake.seen.filter, "a");
    EXPECT_EQ(fake.seen.concurrency, 3u);
}

TEST(AuditRunner, RowsAreSortedBySeverityAndBusyPipesAreNotSkipped) {
    GatedAudit fake;
    fake.release();
    AuditRunner runner(lister(), fake.fn());
    ASSERT_TRUE(runner.start());
    ASSERT_TRUE(sync_until(runner, [&] { return !runner.running(); }));
    const auto& rows = runner.rows();
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0].kind_text(), "null_dacl");
    EXPECT_EQ(rows[0].severity_text(), "high");
    EXPECT_EQ(rows[1].kind_text(), "remote_allowed");
    EXPECT_EQ(rows[2].kind_text(), "multiple_servers");
    // The busy pipe has no finding: it still gets a row that says so.
    EXPECT_EQ(rows[3].pipe->name, "gamma");
    EXPECT_EQ(rows[3].finding, nullptr);
    EXPECT_EQ(rows[3].severity_text(), "busy");
}

TEST(AuditRunner, PipesWithoutFindingsAreShownOnRequestLast) {
    AuditRunner runner(lister(), [](const core::Snapshot&, const core::AuditOptions&,
                                    std::stop_token, core::InspectProbe, AuditRunner::OnPipe) {
        return std::vector<core::PipeAudit>{
            audit_of("clean", {}), audit_of("busy", {}, core::AuditState::Busy),
            audit_of("risky", {{core::Severity::Info, "multiple_servers"}})};
    });
    ASSERT_TRUE(runner.start());
    ASSERT_TRUE(sync_until(runner, [&] { return !runner.running(); }));
    ASSERT_EQ(runner.rows().size(), 2u) << "a clean pipe is shown only on request";
    runner.set_show_clean(true);
    ASSERT_EQ(runner.rows().size(), 3u);
    EXPECT_EQ(runner.rows()[0].pipe->name, "risky");
    EXPECT_EQ(runner.rows()[1].pipe->name, "busy");
    EXPECT_EQ(runner.rows()[2].pipe->name, "clean");
    EXPECT_EQ(runner.rows()[2].kind_text(), "no findings");
    EXPECT_EQ(runner.rows()[2].severity_text(), "ok");
}

TEST(AuditRunner, FilterKeepsRowsThatMatchAnyColumn) {
    GatedAudit fake;
    fake.release();
    AuditRunner runner(lister(), fake.fn());
    ASSERT_TRUE(runner.start());
    ASSERT_TRUE(sync_until(runner, [&] { return !runner.running(); }));
    runner.set_filter("ALPHA");
    ASSERT_EQ(runner.visible_rows().size(), 2u);
    EXPECT_EQ(runner.visible_rows()[0]->kind_text(), "null_dacl");
    runner.set_filter("high");
    ASSERT_EQ(runner.visible_rows().size(), 1u);
    runner.set_filter("busy");
    ASSERT_EQ(runner.visible_rows().size(), 1u);
    EXPECT_EQ(runner.visible_rows()[0]->pipe->name, "gamma");
    runner.set_filter("");
    EXPECT_EQ(runner.visible_rows().size(), 4u);
}

TEST(AuditRunner, CancelStopsTheAuditAndReportsCancelled) {
    std::atomic<bool> saw_stop{false};
    AuditRunner runner(
        lister(), [&](const core::Snapshot& snap, const core::AuditOptions&, std::stop_token stop,
                      core::InspectProbe, AuditRunner::OnPipe) {
            while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);  // pipes that hang
            saw_stop = true;
            std::vector<core::PipeAudit> out;
            for (const auto& e : snap.entries)
                out.push_back(audit_of(e.name, {}, core::AuditState::Cancelled));
            return out;
        });
    ASSERT_TRUE(runner.start());
    runner.sync();
    EXPECT_TRUE(runner.running());
    runner.cancel();
    EXPECT_TRUE(runner.cancel_requested());
    ASSERT_TRUE(sync_until(runner, [&] { return !runner.running(); }));
    EXPECT_TRUE(saw_stop.load());
    EXPECT_EQ(runner.progress().phase, AuditPhase::Cancelled);
    ASSERT_EQ(runner.rows().size(), 3u) << "cancelled pipes must be listed, not dropped";
    EXPECT_EQ(runner.rows()[0].severity_text(), "cancelled");
    EXPECT_TRUE(runner.start()) << "a new run after a cancelled one";
}

TEST(AuditRunner, AFailedListingIsShownAndProbesNothing) {
    std::atomic<int> audits{0};
    AuditRunner runner(
        [] {
            return core::Result<core::Snapshot>(core::make_error(
                core::ErrorCode::Unsupported, "list_pipes", "", "no source could list"));
        },
        [&](auto&&...) {
            ++audits;
            return std::vector<core::PipeAudit>{};
        });
    ASSERT_TRUE(runner.start());
    ASSERT_TRUE(sync_until(runner, [&] { return !runner.running(); }));
    EXPECT_EQ(runner.progress().phase, AuditPhase::Failed);
    EXPECT_NE(runner.progress().error.find("no source could list"), std::string::npos);
    EXPECT_EQ(audits.load(), 0);
}

TEST(AuditRunner, DestroyingARunningAuditStopsIt) {
    std::atomic<bool> saw_stop{false};
    {
        AuditRunner runner(
            lister(), [&](const core::Snapshot&, const core::AuditOptions&, std::stop_token stop,
                          core::InspectProbe, AuditRunner::OnPipe) {
                while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
                saw_stop = true;
                return std::vector<core::PipeAudit>{};
            });
        ASSERT_TRUE(runner.start());
    }
    EXPECT_TRUE(saw_stop.load());
}

TEST(AuditRunner, ExportWritesEveryAuditedPipeAsJson) {
    GatedAudit fake;
    fake.release();
    AuditRunner runner(lister(), fake.fn());
    const auto path =
        (std::filesystem::temp_directory_path() /
         ("pipescope-audit-export-" +
          std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + ".json"))
            .string();
    EXPECT_FALSE(runner.export_json(path)) << "exported before any run";
    ASSERT_TRUE(runner.start());
    ASSERT_TRUE(sync_until(runner, [&] { return !runner.running(); }));
    ASSERT_TRUE(runner.export_json(path));
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    std::filesystem::remove(path);
    for (const char* name : {"\"alpha\"", "\"beta\"", "\"gamma\""})
        EXPECT_NE(text.str().find(name), std::string::npos) << name << " in " << text.str();
}

}  // namespace
