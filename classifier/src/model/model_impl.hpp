// Internals shared by the model's sources: the weights layout and the hashing primitives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smish/classifier/model.hpp"

namespace smish::classifier {

/// A model's contents. weights[bucket * classes.size() + class], as in the file.
struct Model::Impl {
  std::string name;
  std::vector<std::string> classes;
  FeatureSpec spec;
  double evidence_weight = 0.0;
  std::string description;
  std::vector<float> weights;
  std::vector<float> bias;
  /// For predict() with three classes: each bucket's weights padded to four floats and 16-byte
  /// aligned, so one lookup touches one cache line. Built by finish().
  std::vector<float> padded;
  void finish();
};

namespace model_detail {

/// FNV-1a, 64-bit: the chaining hash of n-grams and the file checksum.
inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

inline std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = kFnvOffset) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

/// SplitMix64 finaliser: FNV's low bits are weak, buckets take the mixed high bits.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Bounds of FeatureSpec, checked when training and when loading a file.
bool valid_spec(const FeatureSpec& spec);

/// Softmax of `scores` in place.
void softmax(std::vector<double>& scores);

}  // namespace model_detail
}  // namespace smish::classifier
