// Sans-I/O SMPP 3.4 framer: splits a TCP byte stream into whole PDUs by command_length.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "smish/gateway/codec.hpp"

namespace smish::gateway::smpp {
namespace {

// SMPP 3.4 §3.2: command_length is the first field, 4 octets, big-endian.
constexpr std::size_t kLengthFieldSize = 4;

std::uint32_t be32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 3]));
}

}  // namespace

PduHeader read_header(std::string_view bytes) {
  PduHeader h;
  if (bytes.size() < kHeaderSize) return h;  // precondition broken: never read past the end
  h.command_length = be32(bytes, 0);
  h.command_id = be32(bytes, 4);
  h.command_status = be32(bytes, 8);
  h.sequence_number = be32(bytes, 12);
  return h;
}

PduFramer::PduFramer(std::uint32_t max_pdu_size) : max_(max_pdu_size) {}

core::Status PduFramer::feed(std::span<const std::uint8_t> bytes,
                             const std::function<void(std::string_view)>& on_pdu) {
  return feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), on_pdu);
}

core::Status PduFramer::feed(std::string_view in,
                             const std::function<void(std::string_view)>& on_pdu) {
  if (failed_) {
    return core::make_error(core::ErrorCode::InvalidArgument,
                            "smpp framer: stream already failed, input ignored");
  }
  // The length is checked as soon as its 4 octets are known, before anything of the body is
  // buffered or allocated, so a peer cannot make us reserve 4 GiB with one header.
  auto check_length = [this](std::uint32_t len) -> core::Status {
    if (len >= kHeaderSize && len <= max_) return {};
    failed_ = true;
    buf_.clear();
    buf_.shrink_to_fit();
    return core::make_error(
        core::ErrorCode::InvalidArgument,
        fmt::format("smpp framer: command_length {} outside [{}, {}]", len, kHeaderSize, max_));
  };

  while (!in.empty()) {
    if (buf_.empty()) {
      // Fast path: whole PDUs straight from the caller's buffer, without copying.
      if (in.size() < kLengthFieldSize) {
        buf_.assign(in);
        return {};
      }
      const std::uint32_t len = be32(in, 0);
      if (auto st = check_length(len); !st) return st;
      if (in.size() >= len) {
        on_pdu(in.substr(0, len));
        in.remove_prefix(len);
        continue;
      }
      buf_.reserve(len);
      buf_.assign(in);
      return {};
    }

    if (buf_.size() < kLengthFieldSize) {
      const std::size_t take = std::min(kLengthFieldSize - buf_.size(), in.size());
      buf_.append(in.substr(0, take));
      in.remove_prefix(take);
      if (buf_.size() < kLengthFieldSize) return {};
      if (auto st = check_length(be32(buf_, 0)); !st) return st;
      buf_.reserve(be32(buf_, 0));
    }

    const std::size_t len = be32(buf_, 0);
    const std::size_t take = std::min(len - buf_.size(), in.size());
    buf_.append(in.substr(0, take));
    in.remove_prefix(take);
    if (buf_.size() == len) {
      // Detach the PDU before the callback so the framer is consistent even if it throws.
      std::string pdu = std::exchange(buf_, std::string{});
      on_pdu(pdu);
    }
  }
  return {};
}

}  // namespace smish::gateway::smpp
