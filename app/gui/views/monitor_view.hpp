// The proxy monitor: a form (the listen side's name and full server settings, the target,
// the impersonation level the proxy asks for, framing by lines, and what a proxy changes),
// then the running proxy: its connections (client PID and image, bytes each way, state) and
// the merged transcript of all of them or of one, in text, hex or UTF-16LE, coloured by flow,
// saved as one pipescope-transcript file. UI thread only; the proxy's workers do all I/O.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "models/monitor_form.hpp"
#include "models/monitor_model.hpp"
#include "pipescope/proxy.hpp"
#include "views/view.hpp"
#include "widgets/server_fields.hpp"
#include "widgets/transcript_table.hpp"

namespace pipescope::gui {

class MonitorView final : public View {
  public:
    // Makes the proxy once the form is submitted (tests inject fakes or real sessions).
    using Factory = std::function<std::unique_ptr<core::Session>(
        const core::Endpoint& listen, const core::Endpoint& target, const core::ProxyOptions&)>;

    MonitorView(std::string listen_name, std::string target_name, Factory factory, int id);
    ~MonitorView() override;

    [[nodiscard]] std::string title() const override;
    void draw() override;
    [[nodiscard]] bool closable() const override { return true; }
    [[nodiscard]] bool wants_frames() const override;
    [[nodiscard]] double frame_interval() const override { return 0.05; }
    [[nodiscard]] std::string task_status() const override;

    // What the form's button does. Returns false (and sets form_error()) on bad input.
    bool start();
    void stop();
    [[nodiscard]] const std::string& form_error() const { return form_error_; }
    [[nodiscard]] core::Session* session() const { return session_.get(); }
    [[nodiscard]] MonitorForm& form() { return form_; }
    [[nodiscard]] MonitorModel& model() { return model_; }
    [[nodiscard]] TranscriptTable& transcript() { return table_; }
    // The Save transcript button with this path.
    bool save(const std::string& path);
    [[nodiscard]] const std::string& save_message() const { return save_message_; }

  private:
    void draw_form();
    void draw_form_fields();
    void draw_target_fields();
    void draw_live();
    void draw_connections();
    void draw_transcript_toolbar();
    void draw_transcript();

    Factory factory_;
    int id_;
    MonitorForm form_;
    ServerFields server_fields_;
    std::unique_ptr<core::Session> session_;
    MonitorModel model_;
    TranscriptTable table_;

    char listen_buf_[260] = {};
    char target_buf_[260] = {};
    std::string form_error_;
    char save_path_[512] = "proxy-transcript.json";
    std::string save_message_;
};

}  // namespace pipescope::gui
