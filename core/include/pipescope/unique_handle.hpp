// RAII owners for OS handles: service code never calls CloseHandle or close() itself.
#pragma once

#include <cstdint>
#include <utility>

namespace pipescope::core {

// Owns one resource described by Traits:
//   using value_type = ...;  static value_type invalid() noexcept;
//   static bool is_valid(value_type) noexcept;  static void close(value_type) noexcept;
template <class Traits>
class UniqueResource {
  public:
    using value_type = typename Traits::value_type;

    UniqueResource() noexcept = default;
    explicit UniqueResource(value_type v) noexcept : value_(v) {}
    UniqueResource(const UniqueResource&) = delete;
    UniqueResource& operator=(const UniqueResource&) = delete;
    UniqueResource(UniqueResource&& other) noexcept : value_(other.release()) {}
    UniqueResource& operator=(UniqueResource&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    ~UniqueResource() { reset(); }

    [[nodiscard]] value_type get() const noexcept { return value_; }
    [[nodiscard]] bool valid() const noexcept { return Traits::is_valid(value_); }
    explicit operator bool() const noexcept { return valid(); }

    // Gives up ownership without closing.
    [[nodiscard]] value_type release() noexcept { return std::exchange(value_, Traits::invalid()); }
    // Closes what it holds (if valid) and takes v.
    void reset(value_type v = Traits::invalid()) noexcept {
        value_type old = std::exchange(value_, v);
        if (Traits::is_valid(old)) Traits::close(old);
    }

  private:
    value_type value_ = Traits::invalid();
};

// A Win32 HANDLE (void*). Both NULL and INVALID_HANDLE_VALUE count as "no handle".
struct Win32HandleTraits {
    using value_type = void*;
    static value_type invalid() noexcept { return nullptr; }
    static bool is_valid(value_type h) noexcept {
        return h != nullptr && h != reinterpret_cast<value_type>(static_cast<std::intptr_t>(-1));
    }
    static void close(value_type h) noexcept;  // CloseHandle; defined on Windows only
};

// A POSIX file descriptor.
struct FdTraits {
    using value_type = int;
    static value_type invalid() noexcept { return -1; }
    static bool is_valid(value_type fd) noexcept { return fd >= 0; }
    static void close(value_type fd) noexcept;  // close(2); EINTR is not retried (Linux semantics)
};

using UniqueHandle = UniqueResource<Win32HandleTraits>;
using UniqueFd = UniqueResource<FdTraits>;

}  // namespace pipescope::core
