// The inspector's "Effective access": computed from the descriptor bytes the probe read (built
// here from SDDL) or from a Linux mode, and drawn by the inspector after a probe.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "models/effective_access.hpp"
#include "pipescope/security_descriptor.hpp"
#include "views/inspector_view.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;

namespace {

// A named pipe's details as the Windows probe gives them, with `sddl`'s descriptor as bytes.
core::PipeDetails named_pipe(const std::string& sddl) {
    core::PipeDetails d;
    d.name = "\\\\.\\pipe\\target";
    d.kind = "named pipe";
    d.state = core::InspectState::Ok;
    auto sd = core::security_descriptor_from_sddl(sddl);
    EXPECT_TRUE(sd.ok()) << sddl;
    if (!sd.ok()) return d;
    const auto bytes = core::to_self_relative(*sd);
    std::vector<std::uint8_t> raw(bytes.size());
    std::transform(bytes.begin(), bytes.end(), raw.begin(),
                   [](std::byte b) { return static_cast<std::uint8_t>(b); });
    d.security_descriptor.set(std::move(raw), "GetSecurityInfo", true);
    return d;
}

const core::PrincipalAccess* row(const gui::EffectiveAccess& e, const std::string& id) {
    if (!e.audit) return nullptr;
    for (const auto& a : e.audit->access)
        if (a.principal == id) return &a;
    return nullptr;
}

bool has_finding(const gui::EffectiveAccess& e, std::string_view kind) {
    return e.audit && std::any_of(e.audit->findings.begin(), e.audit->findings.end(),
                                  [&](const core::AuditFinding& f) { return f.kind == kind; });
}

TEST(EffectiveAccess, EveryoneFullControlLetsEveryoneWriteButNotAnonymous) {
    auto e = gui::effective_access(named_pipe("O:BAD:(A;;GA;;;WD)"), gui::Asker{});
    ASSERT_TRUE(e.audit.has_value()) << e.missing;
    const auto* everyone = row(e, "everyone");
    ASSERT_NE(everyone, nullptr);
    EXPECT_TRUE(everyone->read);
    EXPECT_TRUE(everyone->write);
    EXPECT_TRUE(everyone->create_instance);
    EXPECT_FALSE(everyone->write_why.empty());
    const auto* anonymous = row(e, "anonymous");
    ASSERT_NE(anonymous, nullptr);
    EXPECT_FALSE(anonymous->write) << "Anonymous is not a member of Everyone";
    EXPECT_TRUE(has_finding(e, core::finding::kWorldWritable));
    EXPECT_EQ(row(e, "current_user"), nullptr) << "no token given: no current-user row";
}

TEST(EffectiveAccess, ReadOnlyForEveryoneGrantsNoWrite) {
    auto e = gui::effective_access(named_pipe("O:SYD:(A;;GR;;;WD)(A;;GA;;;SY)"), gui::Asker{});
    ASSERT_TRUE(e.audit.has_value()) << e.missing;
    const auto* everyone = row(e, "everyone");
    ASSERT_NE(everyone, nullptr);
    EXPECT_TRUE(everyone->read);
    EXPECT_FALSE(everyone->write);
    EXPECT_FALSE(everyone->create_instance);
    EXPECT_FALSE(has_finding(e, core::finding::kWorldWritable));
}

TEST(EffectiveAccess, NoDescriptorSaysWhy) {
    core::PipeDetails d;
    d.kind = "named pipe";
    d.security_descriptor.fail(core::FieldState::Unsupported, "GetSecurityInfo", true,
                               "the system returned no security descriptor for this pipe");
    auto e = gui::effective_access(d, gui::Asker{});
    EXPECT_FALSE(e.audit.has_value());
    EXPECT_NE(e.missing.find("no security descriptor"), std::string::npos) << e.missing;
}

TEST(EffectiveAccess, LinuxModeDecidesOtherUsers) {
    core::PipeDetails d;
    d.name = "/run/test.sock";
    d.kind = "unix stream";
    d.mode.set(0666, "stat", false);
    d.owner_uid.set(0, "stat", false);
    d.owner_gid.set(0, "stat", false);
    auto open = gui::effective_access(d, gui::Asker{std::nullopt, 1000});
    ASSERT_TRUE(open.audit.has_value()) << open.missing;
    ASSERT_NE(row(open, "other_users"), nullptr);
    EXPECT_TRUE(row(open, "other_users")->write);
    EXPECT_TRUE(has_finding(open, core::finding::kWorldConnectable));

    d.mode.set(0600, "stat", false);
    auto closed = gui::effective_access(d, gui::Asker{std::nullopt, 1000});
    ASSERT_TRUE(closed.audit.has_value());
    EXPECT_FALSE(row(closed, "other_users")->write);
    EXPECT_TRUE(row(closed, "owner")->write);
    EXPECT_FALSE(has_finding(closed, core::finding::kWorldConnectable));
}

TEST(EffectiveAccess, AnAbstractSocketIsOpenToEveryoneWithoutAMode) {
    core::PipeDetails d;
    d.name = "@some-service";
    d.kind = "unix stream";
    d.mode.fail(core::FieldState::Unsupported, "stat", false, "an abstract socket has no file");
    auto e = gui::effective_access(d, gui::Asker{std::nullopt, 1000});
    ASSERT_TRUE(e.audit.has_value()) << e.missing;
    ASSERT_NE(row(e, "other_users"), nullptr);
    EXPECT_TRUE(row(e, "other_users")->write);
    EXPECT_TRUE(has_finding(e, core::finding::kAbstractSocket));

    d.name = "/run/some.sock";  // a path socket whose mode was not read: no verdicts
    auto unknown = gui::effective_access(d, gui::Asker{std::nullopt, 1000});
    EXPECT_FALSE(unknown.audit.has_value());
    EXPECT_NE(unknown.missing.find("mode"), std::string::npos) << unknown.missing;
}

// The inspector computes it from the probe's result and draws it.
TEST(EffectiveAccess, InspectorShowsItAfterTheProbe) {
    core::InspectTaskReaper reaper;
    const auto details = named_pipe("O:BAD:(A;;GA;;;WD)");
    gui::InspectorView view(
        *core::PipeName::parse("\\\\.\\pipe\\target"),
        [details](const core::PipeName&, const core::InspectOptions&, std::stop_token) {
            return details;
        },
        20, reaper, gui::Asker{});
    Headless ui;
    EXPECT_FALSE(view.effective().has_value());
    view.start();
    for (int i = 0; i < 1000 && view.phase() != gui::InspectorView::Phase::Done; ++i)
        std::this_thread::sleep_for(1ms);
    ASSERT_EQ(view.phase(), gui::InspectorView::Phase::Done);
    ui.frame([&] { draw_in_window(view); });
    const auto& e = view.effective();
    ASSERT_TRUE(e.has_value());
    ASSERT_TRUE(e->audit.has_value()) << e->missing;
    ASSERT_NE(row(*e, "everyone"), nullptr);
    EXPECT_TRUE(row(*e, "everyone")->write);
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 0);
}

}  // namespace
