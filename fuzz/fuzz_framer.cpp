// libFuzzer target: the sans-I/O PduFramer fed one stream in random chunk sizes, under ASan/UBSan.
//
// Input layout (FuzzedDataProvider): the cap on command_length and the chunk sizes are taken from
// the end of the input, the stream is the rest. Invariants checked on every run:
//   * every emitted PDU has 16 <= size <= cap and its command_length equals its size;
//   * the PDUs and the failure state are the same whatever the chunking (one whole feed, random
//     chunks, one octet at a time);
//   * without a failure, the PDUs followed by the buffered octets are exactly the stream;
//   * with a failure, the PDUs are a prefix of the stream, the command_length after them is
//     outside [16, cap], nothing is buffered, and further input is refused without a callback.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "smish/gateway/codec.hpp"

namespace {

using smish::gateway::smpp::kHeaderSize;
using smish::gateway::smpp::PduFramer;

[[noreturn]] void violated(const char* what) { smish::fuzz::violated("fuzz_framer", what); }

std::uint32_t be32(std::string_view b) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[0])) << 24 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[1])) << 16 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[2])) << 8 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[3]));
}

struct Outcome {
  std::vector<std::string> pdus;
  bool failed = false;
  std::size_t buffered = 0;
};

/// Feeds `stream` cut at `cuts` (chunk sizes, cycled; 0 means "the rest").
Outcome run(std::uint32_t cap, std::string_view stream, const std::vector<std::size_t>& cuts) {
  Outcome out;
  PduFramer framer(cap);
  std::size_t pos = 0;
  std::size_t k = 0;
  // Bounded: every iteration consumes at least one octet.
  while (pos < stream.size()) {
    std::size_t n = cuts.empty() ? 0 : cuts[k++ % cuts.size()];
    if (n == 0 || n > stream.size() - pos) n = stream.size() - pos;
    const bool was_failed = framer.failed();
    std::size_t emitted_now = 0;
    auto st = framer.feed(stream.substr(pos, n), [&](std::string_view pdu) {
      ++emitted_now;
      if (pdu.size() < kHeaderSize) violated("PDU shorter than the header");
      if (pdu.size() > cap) violated("PDU longer than the cap");
      if (be32(pdu) != pdu.size()) violated("command_length differs from the PDU size");
      out.pdus.emplace_back(pdu);
    });
    if (was_failed && (st || emitted_now != 0)) violated("a failed framer accepted input");
    if (!st && !framer.failed()) violated("an error without the failed state");
    if (st && framer.failed()) violated("the failed state without an error");
    pos += n;
  }
  out.failed = framer.failed();
  out.buffered = framer.buffered();
  if (out.failed) {
    if (out.buffered != 0) violated("a failed framer keeps octets");
    auto st = framer.feed(std::string_view("\0\0\0\x10", 4),
                          [](std::string_view) { violated("a failed framer emitted a PDU"); });
    if (st) violated("a failed framer accepted input");
  }
  return out;
}

bool same(const Outcome& a, const Outcome& b) {
  return a.pdus == b.pdus && a.failed == b.failed && a.buffered == b.buffered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  // Small caps are where the edges are; the default cap is covered too.
  std::uint32_t cap = 0;
  switch (fdp.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      cap = smish::gateway::smpp::kDefaultMaxPduSize;
      break;
    case 1:
      cap = kHeaderSize;
      break;
    default:
      cap = fdp.ConsumeIntegralInRange<std::uint32_t>(kHeaderSize, 4096);
      break;
  }
  std::vector<std::size_t> cuts;
  const int ncuts = fdp.ConsumeIntegralInRange<int>(0, 16);
  for (int i = 0; i < ncuts; ++i) cuts.push_back(fdp.ConsumeIntegralInRange<std::size_t>(0, 64));
  const std::string stream = fdp.ConsumeRemainingBytesAsString();

  const Outcome whole = run(cap, stream, {});
  const Outcome chunked = run(cap, stream, cuts);
  const Outcome bytewise = run(cap, stream, {1});
  if (!same(whole, chunked)) violated("chunked feeding differs from one whole feed");
  if (!same(whole, bytewise)) violated("byte-by-byte feeding differs from one whole feed");

  std::string joined;
  for (const auto& p : whole.pdus) joined += p;
  if (stream.compare(0, joined.size(), joined) != 0)
    violated("the PDUs are not a prefix of the stream");
  const std::string_view rest = std::string_view(stream).substr(joined.size());
  if (whole.failed) {
    if (rest.size() < 4) violated("failed without a whole command_length");
    const std::uint32_t len = be32(rest);
    if (len >= kHeaderSize && len <= cap) violated("failed on a command_length inside [16, cap]");
  } else {
    if (whole.buffered != rest.size())
      violated("octets lost or invented: PDUs + buffered != stream");
    if (rest.size() >= 4) {
      const std::uint32_t len = be32(rest);
      if (len < kHeaderSize || len > cap)
        violated("a bad command_length was buffered, not refused");
      if (rest.size() >= len) violated("a whole PDU stayed buffered");
    }
  }
  return 0;
}
