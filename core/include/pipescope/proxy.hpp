// A recording proxy: listens on one endpoint with the full server configuration, and for each
// client that connects opens its own connection to a target endpoint (any transport kind) and
// forwards both ways until either side ends, recording every forwarded unit with its
// connection number and flow.
//
// It is a third kind of Session: one conversation per client connection (id = connection
// number, 1-based in accept order), so snapshots, transcripts and front ends are shared with
// ClientSession and ServerSession. For a proxy:
//   - ConversationSnapshot::peer is the client (PID, image, uid where the OS tells it);
//     `target` describes the target channel, `state` what the connection is doing.
//   - Counters: bytes_out / messages_out went to the server (Flow::ToServer), bytes_in /
//     messages_in to the client (Flow::ToClient), as the client's own transcript would count.
//   - Each conversation's transcript carries connection = id on every frame and event, and
//     each frame its Flow (Direction is direction_of(flow)).
//   - Session::send() is ignored (a proxy injects nothing); disconnect(id) ends that
//     connection (both sides); stop() ends all of them and stops listening.
//
// Forwarding rules (S: the side read, D: the side written):
//   - both keep message boundaries (Win32 message read mode, seqpacket): each message is
//     read whole (reassembling ERROR_MORE_DATA parts) and written as one message. A message
//     longer than ProxyOptions::max_unit_bytes ends the connection with an error naming the
//     side and the size; it is never split.
//   - S messages, D a byte stream: the parts are written as they arrive (concatenated); the
//     transcript keeps where each message ended (Frame::message_end).
//   - S a byte stream, D messages: each read is one message (FrameMode::Reads) or each line,
//     '\n' included, is one message (FrameMode::Lines; a line longer than max_unit_bytes ends
//     the connection; an unfinished last line is sent when S ends).
//   - both byte streams: each read is written as it is.
//   - S ends (its peer closed): where S's peer can still read after closing its own sending
//     side (sockets, FIFO pairs) and D can be half-closed (close_write: shutdown(SHUT_WR), the
//     FIFO's write end, a Win32 message pipe's empty message), D is half-closed and the
//     other direction goes on; otherwise (a Win32 client or server is gone for good) the
//     connection ends and the other side is disconnected.
//   - a unit is recorded when it has been read whole and is about to be written, so a reply
//     is never recorded before what it answers.
//   - an error on either side ends the connection; the reason names the side: "client: ..." or
//     "target: ...".
//
// Memory: one direction holds at most one read (ProxyOptions::read_bytes) plus, when it must
// put a message or line together, that unit (at most max_unit_bytes). A side that stops
// reading blocks the write to it, and so the reads from the other side: backpressure, nothing
// buffered without bound, nothing dropped. Transcripts are bounded by ProxyOptions::limits,
// closed connections by max_closed_connections.
//
// Threads: one acceptor thread; per connection two workers (client -> server, which first
// connects to the target, and server -> client). Every blocking call is bounded by a timeout
// or made with a cancellable channel: stop() and disconnect() cancel the channels, so no
// worker outlives stop(). Public methods may be called from any thread but a worker's own.
// Win32 pipes: both workers use a handle at once, so use IoModel::Overlapped (what the CLI and
// GUI use) or Iocp; with Sync a write waits behind the other direction's blocked read (each
// read gives way after 100 ms), which works but is slow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pipescope/session.hpp"
#include "pipescope/transcript.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core {

// How a byte stream is cut into messages for a side that keeps message boundaries.
enum class FrameMode {
    Reads,  // each read from the byte side is one message
    Lines,  // each line ('\n' included) is one message
};
[[nodiscard]] std::string_view to_string(FrameMode mode);  // "reads", "lines"
[[nodiscard]] std::optional<FrameMode> parse_frame_mode(std::string_view text);

struct ProxyOptions {
    FrameMode frame = FrameMode::Reads;  // byte -> message bridging
    // The longest message (or line, with FrameMode::Lines) put together for a message side;
    // a longer one ends the connection with an error instead of being split.
    std::size_t max_unit_bytes = std::size_t{16} << 20;
    // One read; all a byte-to-byte direction ever holds.
    std::size_t read_bytes = std::size_t{64} << 10;
    // Connecting to the target: a missing or busy target is retried for this long, then the
    // client is disconnected with the reason.
    Timeout target_timeout{5000};
    // The level the proxy asks for when it connects to a Win32 target (overrides
    // target.client.impersonation): what the server may do with the proxy's identity.
    ImpersonationLevel impersonation = ImpersonationLevel::Identification;
    // After this many clients have been accepted, no more are (those connected go on).
    // 0: no limit.
    std::uint32_t max_connections = 0;
    // A write that makes no progress for this long ends the connection; kInfinite (the
    // default) waits while the other side does not read (backpressure), until stop() or
    // disconnect().
    Timeout write_timeout = kInfinite;
    TranscriptLimits limits;                   // per connection
    std::size_t max_closed_connections = 100;  // closed connections kept in snapshots
};

struct ProxyShared;  // the endpoints and options the proxy's threads share (private)

class ProxySession final : public Session {
  public:
    // Listens at once on `listen` (errors go to the snapshot's events, running = false);
    // each client gets a connection to `target`.
    ProxySession(Endpoint listen, Endpoint target, ProxyOptions options);
    ~ProxySession() override;
    void stop() override;

    // The endpoint a client uses to reach the proxy (Tcp: with the port the listener chose);
    // the listen endpoint when listening failed. Any thread.
    [[nodiscard]] Endpoint client_endpoint() const;

    // What putting this proxy between a client and `target` changes, one sentence a line,
    // for the CLI and the GUI to show before it runs. Any thread.
    [[nodiscard]] static std::vector<std::string> what_changes(const Endpoint& target,
                                                               const ProxyOptions& options);

  private:
    std::shared_ptr<ProxyShared> shared_;
    Endpoint client_endpoint_;
    std::jthread acceptor_;
};

// The frames of every conversation of `snapshot` in time order, each with its connection and
// flow (no copies of the bytes: the frames are the snapshot's). Any thread.
[[nodiscard]] std::vector<std::shared_ptr<const Frame>> merged_frames(
    const SessionSnapshot& snapshot);
// The conversations' transcripts as one (Transcript::merge): frames and events of every
// connection in time order, for saving with --transcript. Any thread.
[[nodiscard]] Transcript merged_transcript(const SessionSnapshot& snapshot);

// Windows: the target pipe's security descriptor as SDDL, read by the inspector's
// least-access probe (READ_CONTROL only, nothing read or written), for a listening pipe that
// lets in whoever the target lets in. Elsewhere an Unsupported error saying it is Windows-only.
// Blocks up to `timeout`. Any thread.
[[nodiscard]] Result<std::string> read_target_sddl(const Endpoint& target, Timeout timeout);

}  // namespace pipescope::core
