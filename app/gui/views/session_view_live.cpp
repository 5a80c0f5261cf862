// SessionView's second half: a running session (its clients, the transcript, the send box).
// The form half is in session_view.cpp.
#include <algorithm>

#include <imgui.h>
#include <imgui_internal.h>

#include "shell/palette.hpp"
#include "views/session_view.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

// Up and Down in the send box: the history's line replaces the text (nothing at either end).
int recall_history(ImGuiInputTextCallbackData* data) {
    auto& history = *static_cast<SendHistory*>(data->UserData);
    if (data->EventFlag != ImGuiInputTextFlags_CallbackHistory) return 0;
    auto line = data->EventKey == ImGuiKey_UpArrow ? history.older() : history.newer();
    if (line) {
        data->DeleteChars(0, data->BufTextLen);
        data->InsertChars(0, line->data(), line->data() + line->size());
    }
    return 0;
}

}  // namespace

void SessionView::draw_session() {
    shown_ = session_->snapshot();
    const auto& snap = *shown_;
    const Palette& pal = current_palette();
    ImGui::TextColored(snap.running ? pal.ok : pal.dim, "%s", snap.running ? "running" : "stopped");
    ImGui::SameLine();
    ImGui::TextUnformatted(snap.address.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("%s", snap.status.c_str());
    ImGui::SameLine();
    if (snap.running && ImGui::SmallButton("Stop")) stop();
    ImGui::Text("in: %llu bytes, %llu messages   out: %llu bytes, %llu messages",
                static_cast<unsigned long long>(snap.totals.bytes_in),
                static_cast<unsigned long long>(snap.totals.messages_in),
                static_cast<unsigned long long>(snap.totals.bytes_out),
                static_cast<unsigned long long>(snap.totals.messages_out));
    // Errors wrap: a connect error names the call, the code and the next step in one long line.
    ImGui::PushStyleColor(ImGuiCol_Text, pal.error);
    for (const auto& e : snap.events) {
        if (e.kind == core::EventKind::Error) ImGui::TextWrapped("%s", e.text.c_str());
    }
    ImGui::PopStyleColor();
    draw_remote_check(snap);

    const core::ConversationSnapshot* current = nullptr;
    if (form_.server()) {
        current = draw_clients(snap);
        ImGui::SameLine();
    } else if (!snap.conversations.empty()) {
        current = &snap.conversations.back();
    }

    ImGui::BeginGroup();
    if (current) {
        ImGui::Text("Peer PID %s  %s",
                    current->peer.pid ? std::to_string(*current->peer.pid).c_str() : "?",
                    current->peer.image.c_str());
        draw_transcript(*current);
    } else {
        ImGui::TextDisabled(form_.server() ? "no client selected"
                            : snap.running ? "connecting..."
                                           : "not connected");
    }
    ImGui::EndGroup();
}

// A server's clients: one row each, selectable; returns the selected conversation.
const core::ConversationSnapshot* SessionView::draw_clients(const core::SessionSnapshot& snap) {
    ImGui::BeginChild("##clients", ImVec2(260, 0), true);
    ImGui::TextDisabled("Clients");
    for (const auto& c : snap.conversations) {
        ImGui::PushID(static_cast<int>(c.id));
        // Appended piecewise: GCC 12 -O3 (MinGW) warns falsely on "x" + string (-Wrestrict).
        std::string label = "#";
        label += std::to_string(c.id);
        if (c.peer.pid) {
            label += "  PID ";
            label += std::to_string(*c.peer.pid);
        }
        if (!c.peer.image.empty()) {
            label += "  ";
            label += c.peer.image.substr(c.peer.image.find_last_of("/\\") + 1);
        }
        if (!c.connected) label += "  (gone)";
        if (ImGui::Selectable(label.c_str(), selected_ == c.id)) selected_ = c.id;
        if (ImGui::IsItemHovered() && !c.peer.image.empty()) {
            ImGui::SetTooltip("%s", c.peer.image.c_str());
        }
        if (c.connected) {
            ImGui::SameLine(200);
            if (ImGui::SmallButton("Drop")) session_->disconnect(c.id);
        }
        ImGui::PopID();
    }
    if (snap.conversations.empty()) ImGui::TextDisabled("waiting for clients...");
    ImGui::EndChild();
    const core::ConversationSnapshot* current = nullptr;
    for (const auto& c : snap.conversations) {
        if (c.id == selected_) current = &c;
    }
    if (!current && !snap.conversations.empty()) {
        current = &snap.conversations.back();
        selected_ = current->id;
    }
    return current;
}

void SessionView::draw_transcript_toolbar(const core::ConversationSnapshot& c) {
    transcript_.draw_view_choice();
    ImGui::SetNextItemWidth(200);
    ImGui::InputText("##savepath", save_path_, sizeof save_path_);
    ImGui::SameLine();
    if (ImGui::Button("Save transcript")) {
        auto st = c.transcript.save(save_path_);
        save_message_ = st ? std::string("saved to ") + save_path_ : st.error().to_string();
    }
    if (!save_message_.empty()) ImGui::TextDisabled("%s", save_message_.c_str());
}

void SessionView::draw_transcript(const core::ConversationSnapshot& c) {
    draw_transcript_toolbar(c);
    const float send_h = ImGui::GetFrameHeightWithSpacing() * 2.5f;
    const auto& frames = c.transcript.frames();
    const Palette& pal = current_palette();
    transcript_.draw(
        "##transcript", frames.size(),
        [&](std::size_t i) {
            const core::Frame& f = *frames[i];
            const bool in = f.direction == core::Direction::In;
            return TranscriptRow{&f, in ? "<-" : "->", in ? pal.received : pal.sent,
                                 in ? "from the peer" : "sent by us"};
        },
        frames.size() + c.transcript.dropped_frames(), /*connection_column=*/false,
        ImVec2(0, -send_h));
    if (c.transcript.dropped_frames() > 0) {
        ImGui::TextDisabled("%llu older frames dropped (transcript cap)",
                            static_cast<unsigned long long>(c.transcript.dropped_frames()));
    }
    draw_send_box(c);
}

void SessionView::draw_send_box(const core::ConversationSnapshot& c) {
    const ImGuiStyle& style = ImGui::GetStyle();
    ImGui::SetNextItemWidth(130);
    if (ImGui::BeginCombo("##sendmode", std::string(to_string(send_mode_)).c_str())) {
        for (auto m : {SendMode::Text, SendMode::Utf16le, SendMode::Hex, SendMode::File}) {
            if (ImGui::Selectable(std::string(to_string(m)).c_str(), m == send_mode_))
                send_mode_ = m;
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    const float ending_w =
        ImGui::CalcTextSize("\\r\\n").x + ImGui::GetFrameHeight() + style.FramePadding.x * 2;
    const float send_w = ImGui::CalcTextSize("Send").x + style.FramePadding.x * 2;
    ImGui::SetNextItemWidth(-(ending_w + send_w + style.ItemSpacing.x * 2));
    if (focus_send_box_) {
        ImGui::SetKeyboardFocusHere();
        focus_send_box_ = false;
        refocus_frames_ = 2;
    }
    // ImGui 1.86 activates a box that asked for the keyboard (on start, after Send) through
    // navigation, and drops the characters of that frame: they are carried into the next
    // frame, ahead of what comes then.
    ImGuiIO& io = ImGui::GetIO();
    for (auto it = carried_chars_.rbegin(); it != carried_chars_.rend(); ++it) {
        io.InputQueueCharacters.push_front(static_cast<ImWchar>(*it));
    }
    carried_chars_.clear();
    // Copied element by element: ImGui 1.86's ImVector copy passes a null pointer to memcpy
    // when the queue is empty (UBSan reports it).
    const std::vector<ImWchar> typed(io.InputQueueCharacters.begin(),
                                     io.InputQueueCharacters.end());
    const bool enter = ImGui::InputTextWithHint(
        "##send", send_mode_ == SendMode::File ? "path of a file to send" : "type and press Enter",
        send_buf_, sizeof send_buf_,
        ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CallbackHistory, recall_history,
        &history_);
    if (refocus_frames_ > 0) {
        --refocus_frames_;
        if (ImGui::IsItemActivated()) {
            carried_chars_.assign(typed.begin(), typed.end());
            refocus_frames_ = 0;
        }
    }
    if (enter && c.connected) {
        send_from_box();
        keep_keyboard();
    }
    ImGui::SameLine();
    const bool text = send_mode_ == SendMode::Text || send_mode_ == SendMode::Utf16le;
    ImGui::BeginDisabled(!text);
    ImGui::SetNextItemWidth(ending_w);
    enum_combo("##ending", line_ending_, {LineEnding::None, LineEnding::Lf, LineEnding::CrLf});
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
        ImGui::SetTooltip(text ? "Line ending added to each send"
                               : "Hex and files are sent as they are");
    }
    ImGui::SameLine();
    if (ImGui::Button("Send") && c.connected) {
        send_from_box();
        focus_send_box_ = true;  // the box, not the button, keeps the keyboard
    }
    if (!send_error_.empty())
        ImGui::TextColored(current_palette().error, "%s", send_error_.c_str());
}

// ImGui 1.86 ends a single-line edit on Enter. The box takes the keyboard straight back, in
// the same frame and holding what send_buf_ now holds, so the next frame's keys and characters
// land in it. (Asking with SetKeyboardFocusHere lost the next frame's characters and keys:
// the box is "just activated" then, and a line typed right after Enter lost its start.)
// Call right after the box's InputText.
void SessionView::keep_keyboard() {
    ImGuiWindow* window = ImGui::GetCurrentWindow();
    const ImGuiID id = ImGui::GetItemID();
    ImGui::SetActiveID(id, window);
    ImGui::SetFocusID(id, window);
    // What InputText declares when it activates itself (arrows, Home/End, Escape are its own).
    ImGuiContext& g = *ImGui::GetCurrentContext();
    g.ActiveIdUsingNavDirMask |=
        (1 << ImGuiDir_Left) | (1 << ImGuiDir_Right) | (1 << ImGuiDir_Up) | (1 << ImGuiDir_Down);
    g.ActiveIdUsingNavInputMask |= (1 << ImGuiNavInput_Cancel);
    g.ActiveIdUsingKeyInputMask |= (ImU64(1) << ImGuiKey_Home) | (ImU64(1) << ImGuiKey_End);
    if (ImGuiInputTextState* state = ImGui::GetInputTextState(id); state && !send_buf_[0]) {
        state->ClearText();             // sent: the box's own copy of the text empties too
        state->InitialTextA.resize(1);  // what Escape goes back to
        state->InitialTextA[0] = '\0';
    }
}

void SessionView::send_from_box() {
    if (!send(send_mode_, send_box_input(send_mode_, send_buf_, line_ending_))) return;
    history_.add(send_buf_);
    send_buf_[0] = '\0';
}

}  // namespace pipescope::gui
