// The portable parts of pipescope/smb.hpp: dialect names, user names and the password file.
#include <fstream>
#include <sstream>

#include "pipescope/smb.hpp"

namespace pipescope::core::smb {

std::string to_string(Dialect dialect) {
    switch (dialect) {
        case Dialect::Smb202:
            return "2.0.2";
        case Dialect::Smb210:
            return "2.1";
        case Dialect::Smb300:
            return "3.0";
        case Dialect::Smb302:
            return "3.0.2";
        case Dialect::Smb311:
            return "3.1.1";
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(dialect));
    return buf;
}

Result<Credentials> parse_user(std::string_view text) {
    auto bad = [&](const std::string& why) -> Error {
        return make_error(ErrorCode::InvalidArgument, "--user", std::string(text),
                          why + ". Next: give DOMAIN\\user, user@domain or user");
    };
    Credentials c;
    if (text.empty()) return c;
    for (char ch : text)
        if (static_cast<unsigned char>(ch) < 0x20) return bad("a control character in the name");
    if (auto slash = text.find('\\'); slash != std::string_view::npos) {
        c.domain = std::string(text.substr(0, slash));
        c.user = std::string(text.substr(slash + 1));
        if (c.user.find('\\') != std::string::npos) return bad("more than one backslash");
    } else if (auto at = text.rfind('@'); at != std::string_view::npos) {
        c.user = std::string(text.substr(0, at));
        c.domain = std::string(text.substr(at + 1));
    } else {
        c.user = std::string(text);
    }
    if (c.user.empty()) return bad("no user name");
    if (c.user.size() > 256 || c.domain.size() > 256) return bad("a name over 256 characters");
    return c;
}

Result<std::string> read_password_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return make_error(ErrorCode::NotFound, "--password-file", path,
                          "cannot open the password file. Next: check the path and its "
                          "permissions");
    std::string line;
    char ch = 0;
    while (f.get(ch) && ch != '\n') {
        line.push_back(ch);
        if (line.size() > 1024)
            return make_error(ErrorCode::InvalidArgument, "--password-file", path,
                              "the first line is over 1024 bytes. Next: put only the password "
                              "on the file's first line");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace pipescope::core::smb
