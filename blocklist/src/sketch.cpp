// HyperLogLog of reporter pseudonyms (see sketch.hpp for the reference and why by hand).
#include "smish/blocklist/sketch.hpp"

#include <bit>
#include <cmath>

namespace smish::blocklist {

ReporterSketch::ReporterSketch(std::string& registers) : registers_(registers) {
  if (!registers_.empty() && registers_.size() != kRegisters) registers_.clear();
}

std::uint64_t ReporterSketch::hash(std::string_view value) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : value) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

void ReporterSketch::add(std::string_view reporter) {
  if (registers_.empty()) registers_.assign(kRegisters, '\0');
  const std::uint64_t h = hash(reporter);
  const std::size_t index = static_cast<std::size_t>(h >> (64 - kPrecision));
  // Rank: the position of the first 1 bit in the remaining 52 bits (a sentinel bit bounds it).
  const std::uint64_t rest = (h << kPrecision) | (std::uint64_t{1} << (kPrecision - 1));
  const auto rank = static_cast<char>(std::countl_zero(rest) + 1);
  if (rank > registers_[index]) registers_[index] = rank;
}

std::uint64_t ReporterSketch::estimate() const {
  if (registers_.size() != kRegisters) return 0;
  const double m = static_cast<double>(kRegisters);
  double sum = 0;
  std::size_t zeros = 0;
  for (char r : registers_) {
    sum += std::ldexp(1.0, -static_cast<int>(r));
    if (r == 0) ++zeros;
  }
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros != 0) e = m * std::log(m / static_cast<double>(zeros));  // linear counting
  return static_cast<std::uint64_t>(std::llround(e));
}

}  // namespace smish::blocklist
