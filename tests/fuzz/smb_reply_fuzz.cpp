// What an SMB server (or anything answering on its port) sends the client: every reply parser of
// core/src/smb/smb_wire.hpp on the same bytes, taken as a whole SMB2 message, as an SPNEGO blob
// and as an NTLMSSP challenge. Each either fails with an Error or returns views that lie inside
// the input; none reads outside it (ASan) or throws.
#include <vector>

#include "fuzz_check.hpp"
#include "smb/smb_wire.hpp"

using namespace pipescope::core::smb;

namespace {

void check_inside(wire::ByteView slice, wire::ByteView whole) {
    if (slice.empty()) return;
    FUZZ_CHECK(slice.data() >= whole.data());
    FUZZ_CHECK(slice.data() + slice.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        const wire::ByteView in(data, size);
        if (auto n = wire::parse_transport_prefix(in, 1 << 20)) FUZZ_CHECK(*n <= (1u << 20));
        if (auto h = wire::parse_header(in)) FUZZ_CHECK(size >= wire::kHeaderSize);
        if (auto r = wire::parse_negotiate_response(in))
            FUZZ_CHECK(r->security_blob.size() <= size);
        if (auto r = wire::parse_session_setup_response(in))
            FUZZ_CHECK(r->security_blob.size() <= size);
        (void)wire::parse_tree_connect_response(in);
        (void)wire::parse_create_response(in);
        (void)wire::parse_close_response(in);
        (void)wire::parse_write_response(in);
        if (auto d = wire::parse_read_response(in)) check_inside(*d, in);
        if (auto d = wire::parse_ioctl_response(in)) check_inside(*d, in);
        if (auto d = wire::parse_query_info_response(in)) {
            check_inside(*d, in);
            (void)wire::parse_pipe_local_information(*d);
            (void)wire::parse_pipe_information(*d);
        }
        if (auto s = wire::parse_spnego(in)) {
            FUZZ_CHECK(s->mech_token.size() <= size);
            (void)wire::parse_ntlm_challenge(s->mech_token);
        }
        if (auto c = wire::parse_ntlm_challenge(in)) FUZZ_CHECK(c->target_info.size() <= size);
        if (auto t = wire::parse_transform(in))
            FUZZ_CHECK(t->original_size + wire::kTransformSize == size);
    });
    return 0;
}
