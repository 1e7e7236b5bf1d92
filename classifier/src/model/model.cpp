// Model: the versioned binary file format, loading with checks, and prediction.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "model/model_impl.hpp"

namespace smish::classifier {
namespace {

using core::ErrorCode;
using core::make_error;

static_assert(std::numeric_limits<float>::is_iec559, "the model file stores IEEE 754 floats");

// "SMSHMODL": eight bytes no text file or other format of ours starts with.
constexpr std::string_view kMagic = "SMSHMODL";
// Limits a file must respect; a value outside them is corruption, not a bigger model.
constexpr std::uint32_t kMaxClasses = 16;
constexpr std::uint32_t kMaxString = 1 << 16;  // names and the description

class Writer {
 public:
  void bytes(std::string_view b) { out_.append(b); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  void f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    bytes(s);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool bytes(std::size_t n, std::string_view& out) {
    if (in_.size() - pos_ < n) return false;
    out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::string_view b;
    if (!bytes(4, b)) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[i])) << (8 * i);
    return true;
  }
  bool u64(std::uint64_t& v) {
    std::string_view b;
    if (!bytes(8, b)) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[i])) << (8 * i);
    return true;
  }
  bool f32(float& v) {
    std::uint32_t u = 0;
    if (!u32(u)) return false;
    v = std::bit_cast<float>(u);
    return std::isfinite(v);
  }
  bool f64(double& v) {
    std::uint64_t u = 0;
    if (!u64(u)) return false;
    v = std::bit_cast<double>(u);
    return std::isfinite(v);
  }
  bool str(std::string& s) {
    std::uint32_t n = 0;
    std::string_view b;
    if (!u32(n) || n > kMaxString || !bytes(n, b)) return false;
    s.assign(b);
    return true;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace

namespace model_detail {

bool valid_spec(const FeatureSpec& spec) {
  return spec.hash_bits >= 10 && spec.hash_bits <= 24 && spec.char_min >= 1 &&
         spec.char_max >= spec.char_min && spec.char_max <= 6 && spec.word_max >= 1 &&
         spec.word_max <= 3;
}

void softmax(std::vector<double>& scores) {
  const double top = *std::max_element(scores.begin(), scores.end());
  double sum = 0;
  for (double& s : scores) sum += (s = std::exp(s - top));
  for (double& s : scores) s /= sum;
}

}  // namespace model_detail

void Model::Impl::finish() {
  padded.clear();
  if (classes.size() != 3) return;
  const std::size_t buckets = weights.size() / 3;
  padded.assign(buckets * 4, 0.0f);
  for (std::size_t b = 0; b < buckets; ++b)
    for (std::size_t c = 0; c < 3; ++c) padded[b * 4 + c] = weights[b * 3 + c];
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->finish(); }
Model::~Model() = default;

const std::string& Model::name() const { return impl_->name; }
const std::vector<std::string>& Model::classes() const { return impl_->classes; }
const FeatureSpec& Model::spec() const { return impl_->spec; }
double Model::evidence_weight() const { return impl_->evidence_weight; }
const std::string& Model::description() const { return impl_->description; }

int Model::class_index(std::string_view label) const {
  const auto& c = impl_->classes;
  const auto it = std::find(c.begin(), c.end(), label);
  return it == c.end() ? -1 : static_cast<int>(it - c.begin());
}

std::vector<double> Model::predict(const SparseFeatures& features) const {
  const std::size_t k = impl_->classes.size();
  std::vector<double> scores(impl_->bias.begin(), impl_->bias.end());
  const float* w = impl_->weights.data();
  const std::size_t n = features.index.size();
  if (!impl_->padded.empty()) {  // the shipped case: three classes, one cache line a bucket
    const float* p = impl_->padded.data();
    float s0 = 0, s1 = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const float* row = p + static_cast<std::size_t>(features.index[i]) * 4;
      const float v = features.value[i];
      s0 += v * row[0];
      s1 += v * row[1];
      s2 += v * row[2];
    }
    scores[0] += s0, scores[1] += s1, scores[2] += s2;
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const float* row = w + static_cast<std::size_t>(features.index[i]) * k;
      for (std::size_t c = 0; c < k; ++c) scores[c] += features.value[i] * row[c];
    }
  }
  model_detail::softmax(scores);
  return scores;
}

std::vector<double> Model::predict(const ModelInput& in) const {
  thread_local SparseFeatures buffer;
  featurize(in, impl_->spec, buffer);
  return predict(buffer);
}

std::string Model::to_bytes() const {
  const Impl& m = *impl_;
  Writer w;
  w.out().reserve(m.weights.size() * 4 + 4096);
  w.bytes(kMagic);
  w.u32(kFormatVersion);
  w.u32(static_cast<std::uint32_t>(m.spec.hash_bits));
  w.u32(static_cast<std::uint32_t>(m.spec.char_min));
  w.u32(static_cast<std::uint32_t>(m.spec.char_max));
  w.u32(static_cast<std::uint32_t>(m.spec.word_max));
  w.u32(static_cast<std::uint32_t>(m.classes.size()));
  for (const auto& c : m.classes) w.str(c);
  w.str(m.name);
  w.f64(m.evidence_weight);
  w.str(m.description);
  for (float v : m.weights) w.f32(v);
  for (float v : m.bias) w.f32(v);
  w.u64(model_detail::fnv1a(w.out()));
  return std::move(w.out());
}

core::Result<std::shared_ptr<const Model>> Model::from_bytes(std::string_view bytes,
                                                             std::string_view origin) {
  auto corrupt = [&](std::string_view what) {
    return make_error(ErrorCode::Corruption, fmt::format("{}: corrupt model file: {}", origin, what));
  };
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic)
    return make_error(ErrorCode::Unsupported,
                      fmt::format("{}: not a smishd model file (no SMSHMODL header)", origin));
  Reader r(bytes.substr(kMagic.size()));
  std::uint32_t version = 0;
  if (!r.u32(version)) return corrupt("truncated header");
  if (version != kFormatVersion)
    return make_error(ErrorCode::Unsupported,
                      fmt::format("{}: model format version {} is not supported (this build reads "
                                  "version {}); retrain with `smishctl train`",
                                  origin, version, kFormatVersion));
  // The checksum covers everything before it: check it before trusting any length in the header.
  if (bytes.size() < kMagic.size() + 4 + 8) return corrupt("truncated");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader tail(bytes.substr(bytes.size() - 8));
  std::uint64_t stored = 0;
  (void)tail.u64(stored);
  if (model_detail::fnv1a(body) != stored)
    return corrupt("checksum mismatch (damaged or truncated)");

  auto impl = std::make_unique<Impl>();
  std::uint32_t bits = 0, cmin = 0, cmax = 0, wmax = 0, classes = 0;
  if (!r.u32(bits) || !r.u32(cmin) || !r.u32(cmax) || !r.u32(wmax) || !r.u32(classes))
    return corrupt("truncated header");
  impl->spec = {static_cast<int>(std::min(bits, 64u)), static_cast<int>(std::min(cmin, 64u)),
                static_cast<int>(std::min(cmax, 64u)), static_cast<int>(std::min(wmax, 64u))};
  if (!model_detail::valid_spec(impl->spec))
    return corrupt(fmt::format("feature settings out of range (hash bits {}, characters {}..{}, "
                               "words 1..{})", bits, cmin, cmax, wmax));
  if (classes < 2 || classes > kMaxClasses)
    return corrupt(fmt::format("{} classes (2..{} allowed)", classes, kMaxClasses));
  for (std::uint32_t c = 0; c < classes; ++c) {
    std::string name;
    if (!r.str(name) || name.empty()) return corrupt("bad class name");
    impl->classes.push_back(std::move(name));
  }
  if (!r.str(impl->name) || impl->name.empty()) return corrupt("bad model name");
  if (!r.f64(impl->evidence_weight) || impl->evidence_weight < 0 || impl->evidence_weight > 1)
    return corrupt("evidence weight outside [0, 1]");
  if (!r.str(impl->description)) return corrupt("bad description");
  const std::size_t count = (std::size_t{1} << impl->spec.hash_bits) * classes;
  impl->weights.resize(count);
  for (float& v : impl->weights)
    if (!r.f32(v)) return corrupt("truncated or non-finite weights");
  impl->bias.resize(classes);
  for (float& v : impl->bias)
    if (!r.f32(v)) return corrupt("truncated or non-finite biases");
  std::string_view rest;
  if (!r.bytes(8, rest) || r.bytes(1, rest)) return corrupt("unexpected length");
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(impl)));
}

core::Result<std::shared_ptr<const Model>> Model::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(ErrorCode::NotFound, fmt::format("{}: no such model file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::IoError, fmt::format("{}: cannot open", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::IoError, fmt::format("{}: cannot read", path));
  return from_bytes(buf.str(), path);
}

core::Status Model::save(const std::string& path) const {
  const std::string bytes = to_bytes();
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorCode::IoError, fmt::format("{}: cannot create", tmp));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp);
      return make_error(ErrorCode::IoError, fmt::format("{}: cannot write", tmp));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    return make_error(ErrorCode::IoError, fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  }
  return {};
}

core::Result<std::shared_ptr<const Model>> load_configured_model(const ClassifyConfig& config) {
  if (config.model_file.empty()) return std::shared_ptr<const Model>();
  return Model::load(config.model_file);
}

}  // namespace smish::classifier
