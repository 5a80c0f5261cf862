#include "pipescope/pipe_name.hpp"

#include <cstdlib>

#ifndef _WIN32
#include <unistd.h>
#endif

namespace pipescope::core {
namespace {

constexpr std::string_view kApi = "PipeName::parse";

bool is_separator(char c) {
    return c == '\\' || c == '/';
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

Error bad(std::string_view text, std::string message) {
    return make_error(ErrorCode::InvalidName, std::string(kApi), std::string(text),
                      std::move(message));
}

// Control characters (including NUL) are never part of a name a user can type or we can pass on.
Result<void> check_characters(std::string_view original, std::string_view name) {
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7F) {
            return bad(original, "the name contains a control character (code " +
                                     std::to_string(static_cast<int>(c)) +
                                     "). Next: remove it; pipe names are printable text");
        }
    }
    return {};
}

Result<void> check_pipe_name(std::string_view original, std::string_view name) {
    if (name.empty()) {
        return bad(original, "the pipe name is empty. Next: give a name, e.g. \\\\.\\pipe\\demo");
    }
    if (name.size() > PipeName::kMaxNameLength) {
        return bad(original, "the pipe name is " + std::to_string(name.size()) +
                                 " characters; Windows allows at most 256. Next: shorten it");
    }
    return check_characters(original, name);
}

}  // namespace

Result<PipeName> PipeName::parse(std::string_view text) {
    PipeName out;
    if (text.empty()) {
        return bad(text, "the pipe name is empty. Next: give a name, e.g. \\\\.\\pipe\\demo");
    }

    // \\host\pipe\name (either slash accepted, as Windows does)
    if (text.size() >= 2 && is_separator(text[0]) && is_separator(text[1])) {
        std::string_view rest = text.substr(2);
        auto host_end = rest.find_first_of("\\/");
        if (host_end == std::string_view::npos || host_end == 0) {
            return bad(text,
                       "expected \\\\host\\pipe\\name. Next: use \\\\.\\pipe\\name for a "
                       "local pipe");
        }
        std::string_view host = rest.substr(0, host_end);
        rest = rest.substr(host_end + 1);
        auto pipe_end = rest.find_first_of("\\/");
        if (pipe_end == std::string_view::npos || !iequals(rest.substr(0, pipe_end), "pipe")) {
            return bad(text, "the path is not under \\pipe\\. Next: write \\\\" +
                                 std::string(host) + "\\pipe\\name");
        }
        if (auto r = check_characters(text, host); !r) return std::move(r).error();
        std::string_view name = rest.substr(pipe_end + 1);
        if (auto r = check_pipe_name(text, name); !r) return std::move(r).error();
        out.form_ = Form::Win32;
        out.host_ = std::string(host);
        out.name_ = std::string(name);
        return out;
    }

    // @abstract (Linux abstract socket namespace)
    if (text[0] == '@') {
        std::string_view name = text.substr(1);
        if (name.empty()) {
            return bad(text, "the abstract socket name after '@' is empty. Next: write @name");
        }
        if (name.size() > kMaxSocketPathLength - 1) {
            return bad(text, "an abstract socket name can be at most " +
                                 std::to_string(kMaxSocketPathLength - 1) +
                                 " bytes. Next: shorten it");
        }
        if (auto r = check_characters(text, name); !r) return std::move(r).error();
        out.form_ = Form::Abstract;
        out.name_ = std::string(name);
        return out;
    }

    // POSIX path: absolute or explicitly relative.
    if (text[0] == '/' || text.starts_with("./") || text.starts_with("../") ||
        text.starts_with("~/")) {
        if (text.size() > kMaxPathLength) {
            return bad(text, "the path is longer than 4095 bytes. Next: shorten it");
        }
        if (text.back() == '/') {
            return bad(text,
                       "the path names a folder, not a socket or FIFO. Next: add a file "
                       "name");
        }
        if (auto r = check_characters(text, text); !r) return std::move(r).error();
        out.form_ = Form::Path;
        out.name_ = std::string(text);
        return out;
    }

    // Bare name. Some real pipe names contain backslashes (Winsock2\CatalogChangeListener-...).
    if (auto r = check_pipe_name(text, text); !r) return std::move(r).error();
    out.form_ = Form::Bare;
    out.name_ = std::string(text);
    return out;
}

std::string PipeName::win32_path() const {
    std::string base = name_;
    if (form_ == Form::Path) {
        auto slash = base.find_last_of('/');
        if (slash != std::string::npos) base = base.substr(slash + 1);
    }
    return "\\\\" + host_ + "\\pipe\\" + base;
}

std::string PipeName::runtime_dir() {
    if (const char* dir = std::getenv("PIPESCOPE_PIPE_DIR"); dir && *dir) return dir;
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) {
        return std::string(xdg) + "/pipescope";
    }
#ifdef _WIN32
    return "/tmp/pipescope";
#else
    return "/tmp/pipescope-" + std::to_string(static_cast<unsigned long>(::getuid()));
#endif
}

std::string PipeName::posix_path() const {
    switch (form_) {
        case Form::Path:
            return name_;
        case Form::Abstract:
            return "@" + name_;
        case Form::Bare:
        case Form::Win32: {
            std::string flat = name_;
            for (char& c : flat) {
                if (c == '\\' || c == '/') c = '_';
            }
            return runtime_dir() + "/" + flat;
        }
    }
    return name_;
}

std::string PipeName::display() const {
    switch (form_) {
        case Form::Path:
            return name_;
        case Form::Abstract:
            return "@" + name_;
        case Form::Bare:
        case Form::Win32:
            return win32_path();
    }
    return name_;
}

}  // namespace pipescope::core
