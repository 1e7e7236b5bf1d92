// Stored indicators (MessagePack of core::to_json) decoded through nlohmann's SAX reader, no DOM.
#include "smish/storage/indicator_codec.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>
#include <exception>
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace smish::storage {
namespace {

using core::ErrorCode;
using core::make_error;
using Json = nlohmann::json;

/// The top-level fields of core::to_json(Indicator), in the order the encoder writes them
/// (nlohmann objects are sorted by key), so that the lookup of the next key is one comparison.
enum class Field : std::uint8_t {
  Campaigns, Categories, Daily, DistinctReporters, ExpiresMs, FirstSeenMs, Flags, Kind, LastSeenMs, MaxScore,
  Newcomers, RecentReports, Reporters, Sketch, Status, StatusActor, StatusMs, StatusReason, TotalReports, Value,
  Unknown,
};
constexpr std::array<std::string_view, 20> kFieldNames = {
    "campaigns",    "categories", "daily",          "distinct_reporters", "expires_ms",   "first_seen_ms", "flags",
    "kind",         "last_seen_ms", "max_score",    "newcomers",          "recent_reports", "reporters",   "sketch",
    "status",       "status_actor", "status_ms",    "status_reason",      "total_reports", "value"};

/// a == b for member names (at most a few dozen octets), compared eight octets at a time in
/// place: a memcmp call per member of every indicator cost about 2 % of an export's CPU.
inline bool short_equal(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  for (; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// A number as the DOM path's get<T>() would read it; out-of-range floats are clamped instead of
/// being undefined behaviour.
struct Number {
  enum class Type : std::uint8_t { Signed, Unsigned, Float } type;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double f = 0;

  std::int64_t as_int() const {
    switch (type) {
      case Type::Signed: return i;
      case Type::Unsigned: return static_cast<std::int64_t>(u);
      case Type::Float: return clamp<std::int64_t>(f);
    }
    return 0;
  }
  std::uint64_t as_uint() const {
    switch (type) {
      case Type::Signed: return static_cast<std::uint64_t>(i);
      case Type::Unsigned: return u;
      case Type::Float: return clamp<std::uint64_t>(f);
    }
    return 0;
  }
  double as_double() const {
    switch (type) {
      case Type::Signed: return static_cast<double>(i);
      case Type::Unsigned: return static_cast<double>(u);
      case Type::Float: return f;
    }
    return 0;
  }

 private:
  template <typename T>
  static T clamp(double v) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
};

/// Map nodes of decoded indicators kept per thread for the next decode, so that decoding into a
/// reused Indicator allocates nothing for its maps either (the export decodes a million; each
/// has a few reporters and categories, a node and a key string each). Bounded per thread.
template <typename Map>
class NodePool {
 public:
  /// Empties `m`, keeping its nodes.
  void reclaim(Map& m) {
    while (!m.empty() && nodes_.size() < kMaxNodes) nodes_.push_back(m.extract(m.begin()));
    m.clear();
  }
  /// m.insert_or_assign(key, value), in a kept node when there is one.
  void put(Map& m, std::string_view key, typename Map::mapped_type value) {
    // Stored maps come sorted by key: the end is the right hint (a hot indicator's 10 000
    // reporters went in at 14 string comparisons each without it).
    if (nodes_.empty()) {
      m.insert_or_assign(m.end(), std::string(key), value);
      return;
    }
    auto node = std::move(nodes_.back());
    nodes_.pop_back();
    node.key().assign(key);
    node.mapped() = value;
    // A duplicate key leaves the node with us; the value is assigned, as insert_or_assign does.
    auto it = m.insert(m.end(), std::move(node));
    if (!node.empty()) {
      it->second = value;
      nodes_.push_back(std::move(node));
    }
  }

 private:
  static constexpr std::size_t kMaxNodes = 64;
  std::vector<typename Map::node_type> nodes_;
};

thread_local NodePool<decltype(core::Indicator::reporters)> reporter_nodes;
thread_local NodePool<decltype(core::Indicator::categories)> category_nodes;  // categories, campaigns, daily

/// SAX events of one stored indicator, written straight into an Indicator. Depth 1 is the
/// top-level object; depth 2 the members of `categories`, `reporters` (objects), `flags` and
/// `recent_reports` (arrays). Members the decoder does not know are skipped whole.
class IndicatorSax {
 public:
  IndicatorSax(core::Indicator& out, ReporterTally* tally) : out_(out), tally_(tally) {}

  bool null() {
    if (skipping()) return true;
    if (depth_ == 1) {
      if (field_ == Field::Kind || field_ == Field::Value) return fail("is null");
      reset_field();  // get_or(): a null member takes the default
      return true;
    }
    return fail(depth_ == 0 ? "is not an object" : "holds a null");
  }
  bool boolean(bool) {
    if (skipping() || (depth_ == 1 && field_ == Field::Unknown)) return true;
    return fail(depth_ == 0 ? "is not an object" : "holds a boolean");  // get<T>() of a number refuses booleans
  }
  bool number_integer(Json::number_integer_t v) { return number({Number::Type::Signed, v, 0, 0}); }
  bool number_unsigned(Json::number_unsigned_t v) { return number({Number::Type::Unsigned, 0, v, 0}); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return number({Number::Type::Float, 0, 0, v}); }

  bool string(Json::string_t& v) {
    if (skipping()) return true;
    if (depth_ == 2) {
      if (field_ == Field::Flags) out_.flags.push_back(std::move(v));
      else if (field_ == Field::Newcomers) out_.newcomers.push_back(std::move(v));
      else return fail("holds a string");
      return true;
    }
    if (depth_ != 1) return fail("is not an object");
    switch (field_) {
      case Field::Kind: {
        auto kind = core::parse_indicator_kind(v);
        if (!kind) return fail("unknown kind", ErrorCode::Corruption, /*plain=*/true);
        out_.kind = *kind;
        have_kind_ = true;
        return true;
      }
      // Copies, not moves: `v` is the reader's scratch and `out_` is reused by batch decoders,
      // so both keep their capacity and a long value costs no allocation.
      case Field::Value: out_.value.assign(v); have_value_ = true; return true;
      case Field::Status:
        out_.status = core::parse_indicator_status(v).value_or(core::IndicatorStatus::Observed);
        return true;
      case Field::StatusReason: out_.status_reason.assign(v); return true;
      case Field::StatusActor: out_.status_actor.assign(v); return true;
      case Field::Unknown: return true;
      default: return fail("is a string");
    }
  }

  bool binary(Json::binary_t& b) {
    if (skipping() || (depth_ == 1 && field_ == Field::Unknown)) return true;
    if (depth_ == 1 && field_ == Field::Sketch) {
      if (!skip_history()) out_.sketch.assign(b.begin(), b.end());
      return true;
    }
    return fail("is binary");
  }

  bool start_object(std::size_t) {
    if (skipping()) return enter();
    if (depth_ == 0) return enter();
    if (depth_ == 1) {
      switch (field_) {
        case Field::Categories: category_nodes.reclaim(out_.categories); return enter();
        case Field::Campaigns:
          if (skip_history()) return skip();
          category_nodes.reclaim(out_.campaigns);
          return enter();
        case Field::Daily:
          if (skip_history()) return skip();
          category_nodes.reclaim(out_.daily);
          return enter();
        case Field::Reporters: reporter_nodes.reclaim(out_.reporters); return enter();
        case Field::Unknown: return skip();
        default: return fail("is an object");
      }
    }
    return fail("holds an object");
  }
  bool end_object() { return leave(); }

  /// A member name, valid until the next event (MsgpackReader hands a view of its input).
  bool key(std::string_view k) {
    if (skipping()) return true;
    if (depth_ == 1) {
      field_ = lookup(k);
      return true;
    }
    map_key_ = k;  // categories, campaigns, daily or reporters: the next number is its value
    return true;
  }

  bool start_array(std::size_t) {
    if (skipping()) return enter();
    if (depth_ == 0) return fail("is not an object");
    if (depth_ == 1) {
      switch (field_) {
        case Field::Flags: out_.flags.clear(); return enter();
        case Field::Newcomers: out_.newcomers.clear(); newcomers_seen_ = true; return enter();
        case Field::RecentReports: out_.recent_reports.clear(); return enter();
        case Field::Unknown: return skip();
        default: return fail("is an array");
      }
    }
    return fail("holds an array");
  }
  bool end_array() { return leave(); }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    error_ = make_error(ErrorCode::Corruption, std::string("stored value is not valid MessagePack: ") + ex.what());
    return false;
  }

  core::Status finish(bool parsed) {
    if (error_) return *error_;
    if (!parsed) return make_error(ErrorCode::Corruption, "stored value is not valid MessagePack");
    if (!have_kind_) return make_error(ErrorCode::Corruption, "indicator: no kind");
    if (!have_value_) return make_error(ErrorCode::Corruption, "indicator: no value");
    if (tally_)
      for (const auto& reporter : pending_)
        if (std::binary_search(out_.newcomers.begin(), out_.newcomers.end(), reporter)) ++tally_->fresh;
    return {};
  }

 private:
  // A reporter counted instead of kept. Stored members come in name order, so `newcomers` is
  // complete before `reporters` begins; a value written otherwise is checked at the end.
  bool tally(std::int64_t last_ms) {
    if (last_ms < tally_->since_ms) return true;
    ++tally_->recent;
    if (!newcomers_seen_) pending_.emplace_back(map_key_);
    else if (std::binary_search(out_.newcomers.begin(), out_.newcomers.end(), map_key_)) ++tally_->fresh;
    return true;
  }

  bool skipping() const { return skip_from_ != 0; }
  bool skip_history() const { return tally_ && tally_->skip_history; }
  bool enter() {
    ++depth_;
    return true;
  }
  bool skip() {
    skip_from_ = ++depth_;
    return true;
  }
  bool leave() {
    if (skip_from_ == depth_) skip_from_ = 0;
    --depth_;
    return true;
  }

  bool number(const Number& n) {
    if (skipping()) return true;
    if (depth_ == 2) {
      switch (field_) {
        case Field::Categories: category_nodes.put(out_.categories, map_key_, n.as_uint()); return true;
        case Field::Campaigns: category_nodes.put(out_.campaigns, map_key_, n.as_uint()); return true;
        case Field::Daily: category_nodes.put(out_.daily, map_key_, n.as_uint()); return true;
        case Field::Reporters:
          if (tally_) return tally(n.as_int());
          reporter_nodes.put(out_.reporters, map_key_, n.as_int());
          return true;
        case Field::RecentReports: out_.recent_reports.push_back(n.as_uint()); return true;
        default: return fail("holds a number");
      }
    }
    if (depth_ != 1) return fail("is not an object");
    switch (field_) {
      case Field::TotalReports: out_.total_reports = n.as_uint(); return true;
      case Field::DistinctReporters: out_.distinct_reporters = n.as_uint(); return true;
      case Field::FirstSeenMs: out_.first_seen_ms = n.as_int(); return true;
      case Field::LastSeenMs: out_.last_seen_ms = n.as_int(); return true;
      case Field::MaxScore: out_.max_score = n.as_double(); return true;
      case Field::StatusMs: out_.status_ms = n.as_int(); return true;
      case Field::ExpiresMs: out_.expires_ms = n.as_int(); return true;
      case Field::Unknown: return true;
      default: return fail("is a number");
    }
  }

  void reset_field() {
    switch (field_) {
      case Field::Categories: category_nodes.reclaim(out_.categories); break;
      case Field::Campaigns: category_nodes.reclaim(out_.campaigns); break;
      case Field::Daily: category_nodes.reclaim(out_.daily); break;
      case Field::Newcomers: out_.newcomers.clear(); break;
      case Field::Sketch: out_.sketch.clear(); break;
      case Field::DistinctReporters: out_.distinct_reporters = 0; break;
      case Field::ExpiresMs: out_.expires_ms = 0; break;
      case Field::FirstSeenMs: out_.first_seen_ms = 0; break;
      case Field::Flags: out_.flags.clear(); break;
      case Field::LastSeenMs: out_.last_seen_ms = 0; break;
      case Field::MaxScore: out_.max_score = 0.0; break;
      case Field::RecentReports: out_.recent_reports.clear(); break;
      case Field::Reporters: reporter_nodes.reclaim(out_.reporters); break;
      case Field::Status: out_.status = core::IndicatorStatus::Observed; break;
      case Field::StatusActor: out_.status_actor.clear(); break;
      case Field::StatusMs: out_.status_ms = 0; break;
      case Field::StatusReason: out_.status_reason.clear(); break;
      case Field::TotalReports: out_.total_reports = 0; break;
      case Field::Kind:
      case Field::Value:
      case Field::Unknown: break;
    }
  }

  Field lookup(std::string_view k) {
    // Keys come sorted: try the one after the previous first.
    for (std::size_t n = 0, i = next_; n < kFieldNames.size(); ++n, i = (i + 1) % kFieldNames.size()) {
      if (short_equal(kFieldNames[i], k)) {
        next_ = (i + 1) % kFieldNames.size();
        return static_cast<Field>(i);
      }
    }
    return Field::Unknown;
  }

  bool fail(std::string_view what, ErrorCode code = ErrorCode::Corruption, bool plain = false) {
    if (plain) {
      error_ = make_error(code, "indicator: " + std::string(what));
    } else {
      const std::string_view name = depth_ == 0 || field_ == Field::Unknown
                                        ? std::string_view("value")
                                        : kFieldNames[static_cast<std::size_t>(field_)];
      error_ = make_error(code, "indicator: " + std::string(name) + " " + std::string(what));
    }
    return false;
  }

  core::Indicator& out_;
  ReporterTally* tally_ = nullptr;
  bool newcomers_seen_ = false;
  std::vector<std::string> pending_;  // counted reporters met before `newcomers`
  int depth_ = 0;
  int skip_from_ = 0;  // depth of the unknown member being skipped, 0: none
  Field field_ = Field::Unknown;
  std::size_t next_ = 0;
  std::string_view map_key_;  // the current member name of a nested map, a view of the input
  bool have_kind_ = false, have_value_ = false;
  std::optional<core::Error> error_;
};


/// A MessagePack reader (https://github.com/msgpack/msgpack/blob/master/spec.md) that feeds the
/// events of nlohmann's SAX interface to `Sax`, accepting and refusing exactly what
/// nlohmann::json::sax_parse(..., input_format_t::msgpack, strict) does. Hand-written because
/// nlohmann's binary_reader takes each string a character at a time, with a bounds check and a
/// push_back per octet: that was 5 µs per indicator, most of the export's CPU time for a million;
/// this one copies each string at once. (msgpack-c, which would do it, is no dependency of ours.)
/// Every length is checked against the octets left before anything is read or allocated.
template <typename Sax>
class MsgpackReader {
 public:
  MsgpackReader(std::string_view in, Sax& sax, std::string& scratch)
      : p_(in.data()), end_(in.data() + in.size()), sax_(sax), string_(scratch) {}

  /// One value, then the end of the input (strict). False on malformed input or when `sax` stops.
  bool parse() { return value(0) && p_ == end_; }

 private:
  // Nesting deeper than any stored indicator (which has two levels) is refused rather than
  // recursed into: a hostile value must not exhaust the stack.
  static constexpr int kMaxDepth = 64;

  std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }

  template <typename T>
  bool read_be(T& out) {
    if (left() < sizeof(T)) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v = (v << 8) | static_cast<unsigned char>(p_[i]);
    p_ += sizeof(T);
    if constexpr (sizeof(T) == 8) out = static_cast<T>(v);
    else out = static_cast<T>(static_cast<std::make_unsigned_t<T>>(v));
    return true;
  }

  bool bytes(std::size_t n, std::string_view& out) {
    if (left() < n) return false;
    out = std::string_view(p_, n);
    p_ += n;
    return true;
  }

  bool str(std::size_t n) {
    std::string_view v;
    if (!bytes(n, v)) return false;
    string_.assign(v.data(), v.size());
    return sax_.string(string_);
  }

  bool bin(std::size_t n, bool has_subtype) {
    std::int8_t subtype = 0;
    if (has_subtype && !read_be(subtype)) return false;
    std::string_view v;
    if (!bytes(n, v)) return false;
    Json::binary_t b(std::vector<std::uint8_t>(v.begin(), v.end()));
    if (has_subtype) b.set_subtype(static_cast<std::uint8_t>(subtype));
    return sax_.binary(b);
  }

  bool key() {
    if (p_ == end_) return false;
    const auto c = static_cast<unsigned char>(*p_++);
    std::size_t n = 0;
    if (c >= 0xa0 && c <= 0xbf) {
      n = c & 0x1f;
    } else if (c == 0xd9) {
      std::uint8_t l = 0;
      if (!read_be(l)) return false;
      n = l;
    } else if (c == 0xda) {
      std::uint16_t l = 0;
      if (!read_be(l)) return false;
      n = l;
    } else if (c == 0xdb) {
      std::uint32_t l = 0;
      if (!read_be(l)) return false;
      n = l;
    } else {
      return false;  // MessagePack map keys may be anything; nlohmann's (and JSON's) are strings
    }
    std::string_view v;
    if (!bytes(n, v)) return false;
    return sax_.key(v);  // a view of the input: names are compared or copied where they are kept
  }

  bool map(std::size_t n, int depth) {
    // Each member takes two octets at least: a count beyond what is left is malformed.
    if (n > left() / 2 || depth >= kMaxDepth || !sax_.start_object(n)) return false;
    for (std::size_t i = 0; i < n; ++i)
      if (!key() || !value(depth + 1)) return false;
    return sax_.end_object();
  }

  bool array(std::size_t n, int depth) {
    if (n > left() || depth >= kMaxDepth || !sax_.start_array(n)) return false;
    for (std::size_t i = 0; i < n; ++i)
      if (!value(depth + 1)) return false;
    return sax_.end_array();
  }

  template <typename T>
  bool length(std::size_t& n) {
    T l = 0;
    if (!read_be(l)) return false;
    n = l;
    return true;
  }

  bool value(int depth) {
    if (p_ == end_) return false;
    const auto c = static_cast<unsigned char>(*p_++);
    if (c <= 0x7f) return sax_.number_unsigned(c);                                    // positive fixint
    if (c >= 0xe0) return sax_.number_integer(static_cast<std::int8_t>(c));           // negative fixint
    if (c <= 0x8f) return map(c & 0x0f, depth);                                       // fixmap
    if (c <= 0x9f) return array(c & 0x0f, depth);                                     // fixarray
    if (c <= 0xbf) return str(c & 0x1f);                                              // fixstr
    std::size_t n = 0;
    switch (c) {
      case 0xc0: return sax_.null();
      case 0xc2: return sax_.boolean(false);
      case 0xc3: return sax_.boolean(true);
      case 0xc4: return length<std::uint8_t>(n) && bin(n, false);
      case 0xc5: return length<std::uint16_t>(n) && bin(n, false);
      case 0xc6: return length<std::uint32_t>(n) && bin(n, false);
      case 0xc7: return length<std::uint8_t>(n) && bin(n, true);
      case 0xc8: return length<std::uint16_t>(n) && bin(n, true);
      case 0xc9: return length<std::uint32_t>(n) && bin(n, true);
      case 0xca: {
        std::uint32_t bits = 0;
        if (!read_be(bits)) return false;
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        return sax_.number_float(static_cast<double>(f), string_);
      }
      case 0xcb: {
        std::uint64_t bits = 0;
        if (!read_be(bits)) return false;
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return sax_.number_float(d, string_);
      }
      case 0xcc: { std::uint8_t v = 0; return read_be(v) && sax_.number_unsigned(v); }
      case 0xcd: { std::uint16_t v = 0; return read_be(v) && sax_.number_unsigned(v); }
      case 0xce: { std::uint32_t v = 0; return read_be(v) && sax_.number_unsigned(v); }
      case 0xcf: { std::uint64_t v = 0; return read_be(v) && sax_.number_unsigned(v); }
      case 0xd0: { std::int8_t v = 0; return read_be(v) && sax_.number_integer(v); }
      case 0xd1: { std::int16_t v = 0; return read_be(v) && sax_.number_integer(v); }
      case 0xd2: { std::int32_t v = 0; return read_be(v) && sax_.number_integer(v); }
      case 0xd3: { std::int64_t v = 0; return read_be(v) && sax_.number_integer(v); }
      case 0xd4: return bin(1, true);
      case 0xd5: return bin(2, true);
      case 0xd6: return bin(4, true);
      case 0xd7: return bin(8, true);
      case 0xd8: return bin(16, true);
      case 0xd9: return length<std::uint8_t>(n) && str(n);
      case 0xda: return length<std::uint16_t>(n) && str(n);
      case 0xdb: return length<std::uint32_t>(n) && str(n);
      case 0xdc: return length<std::uint16_t>(n) && array(n, depth);
      case 0xdd: return length<std::uint32_t>(n) && array(n, depth);
      case 0xde: return length<std::uint16_t>(n) && map(n, depth);
      case 0xdf: return length<std::uint32_t>(n) && map(n, depth);
      default: return false;  // 0xc1: never used
    }
  }

  const char* p_;
  const char* end_;
  Sax& sax_;
  std::string& string_;  // the current string or key, handed to the SAX by reference (caller's scratch)
};

}  // namespace

namespace {

// Both decoders: `tally` null keeps the reporter map.
core::Status decode_into(std::string_view bytes, core::Indicator& out, ReporterTally* tally) {
  out.kind = core::IndicatorKind::Number;
  out.value.clear();
  out.total_reports = 0;
  reporter_nodes.reclaim(out.reporters);
  out.distinct_reporters = 0;
  out.first_seen_ms = 0;
  out.last_seen_ms = 0;
  category_nodes.reclaim(out.categories);
  out.max_score = 0.0;
  out.flags.clear();
  out.status = core::IndicatorStatus::Observed;
  out.status_reason.clear();
  out.status_actor.clear();
  out.status_ms = 0;
  out.expires_ms = 0;
  out.recent_reports.clear();
  category_nodes.reclaim(out.campaigns);
  category_nodes.reclaim(out.daily);
  out.newcomers.clear();
  out.sketch.clear();
  // A scratch string kept per thread: strings longer than the small-string buffer then cost no
  // allocation per indicator (an export decodes a million on each worker).
  thread_local std::string scratch;
  IndicatorSax sax(out, tally);
  try {
    return sax.finish(MsgpackReader<IndicatorSax>(bytes, sax, scratch).parse());
  } catch (const std::exception& ex) {  // allocation failure on a hostile length: not an exception on the data path
    return make_error(ErrorCode::Corruption, std::string("indicator: ") + ex.what());
  }
}

}  // namespace

core::Status decode_indicator(std::string_view bytes, core::Indicator& out) { return decode_into(bytes, out, nullptr); }

core::Status decode_indicator(std::string_view bytes, core::Indicator& out, ReporterTally& tally) {
  tally.recent = tally.fresh = 0;
  return decode_into(bytes, out, &tally);
}

}  // namespace smish::storage
