#include <chrono>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "models/pipes_model.hpp"
#include "pipescope/catalog_export.hpp"
#include "pipescope/files.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using gui::PipeColumn;
using gui::PipesModel;

namespace {

core::PipeEntry pipe(const std::string& name, std::optional<std::int64_t> cur,
                     std::optional<std::int64_t> max, std::uint32_t server_pid = 0) {
    core::PipeEntry e;
    e.kind = core::PipeKind::NamedPipe;
    e.name = name;
    e.current_instances = cur;
    e.max_instances = max;
    if (server_pid) e.server_pids.push_back({server_pid, "srv"});
    e.sources = static_cast<std::uint32_t>(core::CatalogSource::NtDirectory);
    return e;
}

std::shared_ptr<const core::Snapshot> snap(std::vector<core::PipeEntry> entries) {
    core::Snapshot s;
    s.entries = std::move(entries);
    s.sources_used = static_cast<std::uint32_t>(core::CatalogSource::NtDirectory);
    core::normalize(s);
    return std::make_shared<const core::Snapshot>(std::move(s));
}

std::vector<std::string> names(const PipesModel& m) {
    std::vector<std::string> out;
    for (const auto* r : m.visible_rows()) out.push_back(r->entry.name);
    return out;
}

const PipesModel::Row* row(const PipesModel& m, const std::string& name) {
    for (const auto* r : m.visible_rows()) {
        if (r->entry.name == name) return r;
    }
    return nullptr;
}

const auto t0 = PipesModel::Clock::time_point{} + 1000s;

TEST(PipesModel, FilterMatchesNameKindAndPidCaseInsensitively) {
    PipesModel m;
    EXPECT_TRUE(m.update(
        snap({pipe("svcctl", 3, -1, 700), pipe("mojo.1", 1, 1, 42), pipe("lsass", 4, -1)}), t0));
    EXPECT_EQ(m.visible_rows().size(), 3u);
    m.set_filter("MOJO");
    EXPECT_EQ(names(m), std::vector<std::string>{"mojo.1"});
    m.set_filter("700");
    EXPECT_EQ(names(m), std::vector<std::string>{"svcctl"});
    m.set_filter("no such pipe");
    EXPECT_TRUE(m.visible_rows().empty());
    EXPECT_EQ(m.total_rows(), 3u);
    m.set_filter("");
    EXPECT_EQ(m.visible_rows().size(), 3u);
}

TEST(PipesModel, SortsByColumnWithUnknownFirstAndUnlimitedLast) {
    PipesModel m;
    (void)m.update(snap({pipe("a", 2, 10), pipe("b", std::nullopt, -1), pipe("c", 1, std::nullopt),
                         pipe("d", 2, 5)}),
                   t0);
    EXPECT_EQ(names(m), (std::vector<std::string>{"a", "b", "c", "d"})) << "by name by default";
    m.set_sort(PipeColumn::Instances, true);
    EXPECT_EQ(names(m), (std::vector<std::string>{"b", "c", "a", "d"})) << "ties by name";
    m.set_sort(PipeColumn::Max, true);
    EXPECT_EQ(names(m), (std::vector<std::string>{"c", "d", "a", "b"}));
    m.set_sort(PipeColumn::Max, false);
    EXPECT_EQ(names(m), (std::vector<std::string>{"b", "a", "d", "c"}));
}

TEST(PipesModel, NewRowsAreHighlightedThenTheHighlightExpires) {
    PipesModel m;
    (void)m.update(snap({pipe("a", 1, 1)}), t0);
    EXPECT_FALSE(row(m, "a")->changed_at) << "the first listing's rows are not new";
    EXPECT_FALSE(m.animating());
    (void)m.update(snap({pipe("a", 1, 1), pipe("b", 1, 5)}), t0 + 1s);
    ASSERT_NE(row(m, "b"), nullptr);
    ASSERT_TRUE(row(m, "b")->changed_at);
    EXPECT_TRUE(m.animating());
    auto look = PipesModel::look(*row(m, "b"), t0 + 1s);
    EXPECT_EQ(look.mark, PipesModel::RowMark::New);
    EXPECT_FLOAT_EQ(look.mark_strength, 1.0f);
    look = PipesModel::look(*row(m, "b"), t0 + 2500ms);
    EXPECT_NEAR(look.mark_strength, 0.5f, 1e-4f) << "the highlight fades over 3 s";
    EXPECT_FALSE(m.update(nullptr, t0 + 3s)) << "nothing expired yet";
    EXPECT_TRUE(m.update(nullptr, t0 + 4100ms)) << "the highlight expired";
    EXPECT_FALSE(row(m, "b")->changed_at);
    EXPECT_FALSE(m.animating());
}

TEST(PipesModel, RemovedRowsFadeOutAndComeBackWhenThePipeReturns) {
    PipesModel m;
    (void)m.update(snap({pipe("a", 1, 1), pipe("b", 1, 1)}), t0);
    (void)m.update(snap({pipe("b", 1, 1)}), t0 + 1s);
    ASSERT_NE(row(m, "a"), nullptr);
    EXPECT_TRUE(row(m, "a")->removed);
    auto look = PipesModel::look(*row(m, "a"), t0 + 1s);
    EXPECT_EQ(look.mark, PipesModel::RowMark::Removed);
    EXPECT_FLOAT_EQ(look.text_alpha, 0.7f);
    look = PipesModel::look(*row(m, "a"), t0 + 10s);
    EXPECT_FLOAT_EQ(look.text_alpha, 0.15f * 0.7f) << "never fully transparent while shown";
    // It comes back: shown as present, not removed.
    (void)m.update(snap({pipe("a", 1, 1), pipe("b", 1, 1)}), t0 + 2s);
    ASSERT_NE(row(m, "a"), nullptr);
    EXPECT_FALSE(row(m, "a")->removed);
    EXPECT_EQ(m.total_rows(), 2u);
    // Gone again, and the fade ends after 3 s.
    (void)m.update(snap({pipe("b", 1, 1)}), t0 + 3s);
    EXPECT_TRUE(row(m, "a")->removed);
    EXPECT_TRUE(m.update(nullptr, t0 + 6100ms));
    EXPECT_EQ(row(m, "a"), nullptr);
}

TEST(PipesModel, FullPipesAreFlagged) {
    EXPECT_TRUE(PipesModel::at_limit(pipe("x", 2, 2)));
    EXPECT_TRUE(PipesModel::at_limit(pipe("x", 3, 2)));
    EXPECT_FALSE(PipesModel::at_limit(pipe("x", 1, 2)));
    EXPECT_FALSE(PipesModel::at_limit(pipe("x", 5, -1))) << "unlimited is never full";
    EXPECT_FALSE(PipesModel::at_limit(pipe("x", std::nullopt, 2)));
    PipesModel m;
    (void)m.update(snap({pipe("full", 1, 1)}), t0);
    EXPECT_EQ(PipesModel::look(*row(m, "full"), t0).mark, PipesModel::RowMark::Full);
    EXPECT_EQ(PipesModel::count_text(-1), "unlimited");
    EXPECT_EQ(PipesModel::count_text(std::nullopt), "?");
}

TEST(PipesModel, ExportsTheVisibleRowsButNotRemovedOnes) {
    PipesModel m;
    (void)m.update(snap({pipe("one", 1, 2), pipe("two", 2, -1), pipe("gone", 1, 1)}), t0);
    (void)m.update(snap({pipe("one", 1, 2), pipe("two", 2, -1)}), t0 + 1s);
    EXPECT_EQ(m.visible_rows().size(), 3u) << "the removed row is still shown";
    const std::string csv = m.export_text(false);
    EXPECT_NE(csv.find("one,1,2,named_pipe"), std::string::npos) << csv;
    EXPECT_NE(csv.find("two,2,-1,named_pipe"), std::string::npos) << csv;
    EXPECT_EQ(csv.find("gone"), std::string::npos) << csv;
    m.set_filter("two");
    auto entries = core::entries_from_json(m.export_text(true), "export");
    ASSERT_TRUE(entries.ok()) << entries.error().to_string();
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ((*entries)[0].name, "two");
    const auto path =
        (std::filesystem::temp_directory_path() / "pipescope-model-export.json").string();
    EXPECT_EQ(m.export_to(path, true), "Exported 1 pipes to " + path);
    auto text = core::read_file(path);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, m.export_text(true));
    std::filesystem::remove(path);
}

TEST(PipesModel, BannerSaysWhyTheListIsMissingOrIncomplete) {
    PipesModel m;
    EXPECT_EQ(m.banner(std::nullopt), "");
    EXPECT_EQ(PipesModel::status_detail(nullptr, false), "listing: ...");
    core::Snapshot s;
    s.notes = {"3 processes could not be opened", "1 handle query timed out"};
    s.sources_used = static_cast<std::uint32_t>(core::CatalogSource::ProcNetUnix) |
                     static_cast<std::uint32_t>(core::CatalogSource::ProcFd);
    (void)m.update(std::make_shared<const core::Snapshot>(s), t0);
    EXPECT_EQ(m.banner(std::nullopt), "3 processes could not be opened\n1 handle query timed out");
    const auto detail = PipesModel::status_detail(m.shown().get(), false);
    EXPECT_EQ(detail.rfind("listing: /proc/net/unix + /proc/*/fd", 0), 0u) << detail;
    const auto err = core::make_error(core::ErrorCode::AccessDenied, "fake", "", "denied");
    EXPECT_EQ(m.banner(err).rfind("Cannot list pipes: ", 0), 0u);
    EXPECT_EQ(PipesModel::status_detail(m.shown().get(), true),
              "listing: unavailable (see the Pipes tab)");
}

// The Servers column flags a name that several processes serve (from the listing alone).
TEST(PipesModel, ServersColumnFlagsANameWithSeveralServers) {
    auto shared = pipe("shared", 2, -1);
    shared.server_processes = 2;
    shared.server_pids = {{100, "a.exe"}, {200, "b.exe"}};
    auto single = pipe("single", 1, 1);
    single.server_processes = 1;
    single.server_pids = {{300, "c.exe"}};
    auto unknown = pipe("unknown", 1, 1);
    EXPECT_TRUE(PipesModel::several_servers(shared));
    EXPECT_FALSE(PipesModel::several_servers(single));
    EXPECT_FALSE(PipesModel::several_servers(unknown));
    EXPECT_EQ(PipesModel::servers_text(shared), "2 !");
    EXPECT_EQ(PipesModel::servers_text(single), "1");
    EXPECT_EQ(PipesModel::servers_text(unknown), "-");
    const std::string tip = PipesModel::servers_tooltip(shared);
    EXPECT_NE(tip.find("100 a.exe, 200 b.exe"), std::string::npos) << tip;
    EXPECT_NE(tip.find("squatting"), std::string::npos) << tip;
    EXPECT_NE(PipesModel::servers_tooltip(unknown).find("cannot tell"), std::string::npos);

    PipesModel m;
    (void)m.update(snap({single, shared, unknown}), t0);
    m.set_sort(PipeColumn::Servers, false);
    ASSERT_EQ(m.visible_rows().size(), 3u);
    EXPECT_EQ(m.visible_rows()[0]->entry.name, "shared");
    EXPECT_EQ(m.visible_rows()[2]->entry.name, "unknown");
}

}  // namespace
