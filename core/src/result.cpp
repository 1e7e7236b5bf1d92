// Names of error codes for logs.
#include "smish/core/result.hpp"

#include <fmt/format.h>

namespace smish::core {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Corruption: return "corruption";
    case ErrorCode::IoError: return "io_error";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::Internal: return "internal";
  }
  return "unknown";
}

std::string Error::message() const { return fmt::format("{}: {}", to_string(code), detail); }

}  // namespace smish::core
