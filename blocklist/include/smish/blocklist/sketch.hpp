// Distinct reporters beyond the exact bound: a HyperLogLog sketch kept on the indicator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace smish::blocklist {

/// HyperLogLog (Flajolet, Fusy, Gandouet, Meunier, "HyperLogLog: the analysis of a near-optimal
/// cardinality estimation algorithm", 2007) with 2^12 one-octet registers (4 KiB, standard error
/// 1.04/sqrt(4096) = 1.6 %) and the linear-counting correction for small counts. Hand-written:
/// no Debian package offers a HyperLogLog for C++ (Redis has one, inside its server), and it is
/// forty lines. The registers live in a std::string so that they are stored with the indicator
/// (core::Indicator::sketch) as MessagePack binary.
class ReporterSketch {
 public:
  static constexpr int kPrecision = 12;
  static constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;

  /// Wraps `registers` (empty: a new sketch, sized on the first add). A string of another size
  /// (not written by this class) is treated as empty.
  explicit ReporterSketch(std::string& registers);

  /// Adds one reporter pseudonym (or any string; equal strings count once).
  void add(std::string_view reporter);
  /// The estimated number of distinct values added; 0 for an empty sketch.
  std::uint64_t estimate() const;

  /// The 64-bit hash the registers are addressed with (FNV-1a, then the splitmix64 finaliser so
  /// that every output bit depends on every input octet).
  static std::uint64_t hash(std::string_view value);

 private:
  std::string& registers_;
};

}  // namespace smish::blocklist
