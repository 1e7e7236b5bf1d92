// Result<T>: the error type of smishd's data path, shaped like the subset of std::expected we use.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace smish::core {

/// What went wrong, coarsely; the detail string says the rest.
enum class ErrorCode {
  InvalidArgument,  ///< bad input from a peer, a file or a user
  NotFound,
  Corruption,       ///< stored data that does not parse
  IoError,          ///< disk, socket, the environment
  Unavailable,      ///< temporarily overloaded or not ready; retry later
  Unsupported,
  Internal,         ///< a broken invariant (a bug)
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string detail;

  std::string message() const;
};

inline Error make_error(ErrorCode code, std::string detail) { return Error{code, std::move(detail)}; }

/// A value or an Error. Accessing the wrong alternative is a bug and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT(implicit)
  Result(Error error) : v_(std::move(error)) {}             // NOLINT(implicit)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}             // NOLINT(implicit)

  bool has_value() const { return !e_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const { return *e_; }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

}  // namespace smish::core
