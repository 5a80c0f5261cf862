// PipeName: one name for a pipe, whichever way the user wrote it.
//   \\.\pipe\x        local Windows pipe            (Form::Win32)
//   \\host\pipe\x     remote Windows pipe           (Form::Win32, host "host")
//   x                 bare name                     (Form::Bare)
//   /run/x.sock ./x   POSIX socket or FIFO path     (Form::Path)
//   @x                Linux abstract socket name    (Form::Abstract)
#pragma once

#include <string>
#include <string_view>

#include "pipescope/result.hpp"

namespace pipescope::core {

class PipeName {
  public:
    enum class Form { Bare, Win32, Path, Abstract };

    static constexpr std::size_t kMaxNameLength = 256;
    // Room in sockaddr_un::sun_path for a path or an abstract name (without the NUL).
    static constexpr std::size_t kMaxSocketPathLength = 107;
    static constexpr std::size_t kMaxPathLength = 4095;

    // Parses any of the forms above. Rejects empty names, names over 256 characters,
    // control characters, and malformed \\host\pipe\ prefixes, with an Error that says why.
    [[nodiscard]] static Result<PipeName> parse(std::string_view text);

    [[nodiscard]] Form form() const noexcept { return form_; }
    // The pipe's own name: "x" for \\.\pipe\x and @x, the whole path for a Path.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    // "." for local pipes.
    [[nodiscard]] const std::string& host() const noexcept { return host_; }
    [[nodiscard]] bool is_local() const noexcept { return host_ == "."; }

    // \\host\pipe\name (for a Path, the file name of the path is used).
    [[nodiscard]] std::string win32_path() const;
    // The POSIX address: a Path as given, "@x" for abstract, and for Bare/Win32 names a path
    // under runtime_dir() with backslashes turned into '_' (so "a\b" -> "<dir>/a_b").
    [[nodiscard]] std::string posix_path() const;
    // What a user reads: \\.\pipe\x on Windows forms, the path or @x otherwise.
    [[nodiscard]] std::string display() const;

    // Where bare names live on POSIX: $PIPESCOPE_PIPE_DIR, else $XDG_RUNTIME_DIR/pipescope,
    // else /tmp/pipescope-<uid>.
    [[nodiscard]] static std::string runtime_dir();

    friend bool operator==(const PipeName&, const PipeName&) = default;

  private:
    Form form_ = Form::Bare;
    std::string name_;
    std::string host_ = ".";
};

}  // namespace pipescope::core
