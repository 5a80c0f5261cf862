// Result<T>: a value or an Error. No exception crosses a module or thread boundary.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "pipescope/error.hpp"

namespace pipescope::core {

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value)
        : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    [[nodiscard]] bool ok() const noexcept { return data_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // get_if, not get: the caller checked ok() (asserted), so no bad_variant_access path is
    // compiled into every read and write of the benchmark's hot path.
    [[nodiscard]] T& value() & {
        assert(ok());
        return *std::get_if<0>(&data_);
    }
    [[nodiscard]] const T& value() const& {
        assert(ok());
        return *std::get_if<0>(&data_);
    }
    [[nodiscard]] T&& value() && {
        assert(ok());
        return std::move(*std::get_if<0>(&data_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    [[nodiscard]] const Error& error() const& {
        assert(!ok());
        return *std::get_if<1>(&data_);
    }
    [[nodiscard]] Error&& error() && {
        assert(!ok());
        return std::move(*std::get_if<1>(&data_));
    }

    template <class U>
    [[nodiscard]] T value_or(U&& fallback) const& {
        return ok() ? *std::get_if<0>(&data_) : static_cast<T>(std::forward<U>(fallback));
    }

  private:
    std::variant<T, Error> data_;
};

// No Error is built on the success path (a Status is returned once per I/O call in the
// benchmark's hot path): the variant holds nothing until there is an error.
template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    [[nodiscard]] bool ok() const noexcept { return data_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] const Error& error() const& {
        assert(!ok());
        return *std::get_if<1>(&data_);
    }
    [[nodiscard]] Error&& error() && {
        assert(!ok());
        return std::move(*std::get_if<1>(&data_));
    }

  private:
    std::variant<std::monostate, Error> data_;
};

using Status = Result<void>;

}  // namespace pipescope::core
