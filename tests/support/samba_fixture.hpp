// A private Samba server for tests: smbd on 127.0.0.1 on a free port, from an smb.conf in a
// temporary folder that also holds every state folder, the log and the passdb (tdbsam). No
// system service, no system smb.conf. One user is added with smbpasswd from that passdb: the
// account running the tests (smbd runs as root, so that is root), with a password the test
// reads from password_file() (never printed).
//
// smbd starts samba-dcerpcd on demand to serve the RPC pipes (srvsvc, lsarpc, ...); stop() ends
// smbd's process group and samba-dcerpcd's (from its pid file), waits for smbd and removes the
// folder. Every wait is bounded. POSIX only: on Windows unavailable_reason() says why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pipescope::test {

struct SambaOptions {
    bool signing_mandatory = false;   // server signing = mandatory
    bool encrypt_required = false;    // smb encrypt = required (server smb encrypt)
    bool map_to_guest_never = false;  // map to guest = never (bad users are refused)
    bool guest_ok = true;             // a guest share; "map to guest = bad user" unless never
    std::string max_protocol;         // server max protocol (SMB2_10, SMB3_00, ...); empty: 3.1.1
};

class SambaServer {
  public:
    SambaServer() = default;
    ~SambaServer();  // stop()
    SambaServer(const SambaServer&) = delete;
    SambaServer& operator=(const SambaServer&) = delete;

    // Why a Samba test cannot run here ("smbd is not installed", "not root", "Windows build"),
    // or nullopt when it can. For GTEST_SKIP().
    [[nodiscard]] static std::optional<std::string> unavailable_reason();

    // Writes the configuration, adds the user, starts smbd and waits (up to 20 s) until it
    // accepts TCP connections. On failure `error` says why (with the tail of smbd's log).
    [[nodiscard]] bool start(const SambaOptions& options, std::string* error);
    // Ends smbd and the RPC daemons it started, and removes the folder. Idempotent.
    void stop();

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] const std::string& user() const { return user_; }
    [[nodiscard]] const std::string& domain() const { return workgroup_; }  // the workgroup
    // "DOMAIN\user", as --user takes it.
    [[nodiscard]] std::string qualified_user() const { return workgroup_ + "\\" + user_; }
    // The user's password (for in-process tests; never print it).
    [[nodiscard]] const std::string& password() const { return password_; }
    // A file holding the password, for --password-file.
    [[nodiscard]] std::string password_file() const { return dir_ + "/password.txt"; }
    // A file holding another password, for bad-credential tests.
    [[nodiscard]] std::string wrong_password_file() const { return dir_ + "/wrong-password.txt"; }
    [[nodiscard]] const std::string& dir() const { return dir_; }
    // The last lines of smbd's log (for failure messages).
    [[nodiscard]] std::string log_tail() const;

  private:
    std::string dir_;
    std::string conf_;
    std::string user_;
    std::string password_;
    std::string workgroup_ = "PSTEST";
    std::uint16_t port_ = 0;
    int pid_ = -1;
};

}  // namespace pipescope::test
