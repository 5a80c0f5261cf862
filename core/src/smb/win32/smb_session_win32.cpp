// Windows: remote names go through the OS redirector (transport/win32), which does the SMB
// session itself; this client's session is built on POSIX only (its crypto comes from nettle).
#include "pipescope/smb.hpp"

namespace pipescope::core::smb {

Result<std::shared_ptr<Session>> Session::connect_tcp(const Options& options, std::stop_token) {
    return make_error(ErrorCode::Unsupported, "SMB2", "\\\\" + options.host,
                      "the Windows build reaches remote pipes through the OS redirector, not "
                      "its own SMB client. Next: open \\\\host\\pipe\\name directly");
}

Result<std::unique_ptr<PipeChannel>> open_remote_pipe(const PipeName& name, const Options& options,
                                                      const ClientConfig&, std::stop_token stop) {
    Options o = options;
    if (o.host.empty()) o.host = name.host();
    auto s = Session::connect_tcp(o, std::move(stop));
    return s.error();
}

}  // namespace pipescope::core::smb
