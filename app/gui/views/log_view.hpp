// The in-app log: the spdlog ring buffer with a level filter, a text filter and copy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipescope/log.hpp"
#include "views/view.hpp"

namespace pipescope::gui {

class LogView final : public View {
  public:
    explicit LogView(core::log::Ring& ring);
    [[nodiscard]] std::string title() const override { return "Log###log"; }
    void draw() override;

    // Pulls new records from the ring (also called by draw()); returns how many arrived.
    std::size_t pull();
    void set_min_level(core::log::Level level) { min_level_ = level; }
    void set_filter(std::string text) { filter_ = std::move(text); }
    // The records that pass the filters, oldest first (what the table shows).
    [[nodiscard]] std::vector<const core::log::Record*> visible() const;
    // The visible records as text, one per line (what Copy puts on the clipboard).
    [[nodiscard]] std::string visible_text() const;

  private:
    core::log::Ring& ring_;
    std::vector<core::log::Record> records_;
    std::uint64_t last_seq_ = 0;
    core::log::Level min_level_ = core::log::Level::Debug;
    std::string filter_;
    char filter_buf_[128] = {};
    bool auto_scroll_ = true;
    static constexpr std::size_t kMaxRecords = 20000;
};

}  // namespace pipescope::gui
