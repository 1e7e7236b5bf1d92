// JSON and MessagePack forms of the domain types.
#include <openssl/evp.h>

#include <array>
#include <exception>

#include "smish/core/json.hpp"

namespace smish::core {
namespace {

template <typename T>
T get_or(const Json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

std::vector<std::string> strings(const Json& j, const char* key) {
  return get_or<std::vector<std::string>>(j, key, {});
}

}  // namespace

Json to_json(const ExtractedNumber& n) {
  return Json{{"e164", n.e164}, {"raw", n.raw}, {"region", n.region}, {"flags", n.flags}};
}

Json to_json(const ExtractedUrl& u) {
  return Json{{"url", u.url}, {"raw", u.raw}, {"host", u.host}, {"domain", u.domain}, {"flags", u.flags}};
}

Json to_json(const Extraction& e) {
  Json numbers = Json::array();
  for (const auto& n : e.numbers) numbers.push_back(to_json(n));
  Json urls = Json::array();
  for (const auto& u : e.urls) urls.push_back(to_json(u));
  return Json{{"numbers", numbers}, {"urls", urls}, {"emails", e.emails}, {"flags", e.flags},
              {"ibans", e.ibans},     {"sender_ids", e.sender_ids}};
}

Json to_json(const Verdict& v) {
  return Json{{"label", to_string(v.label)}, {"category", v.category},   {"score", v.score},
              {"reasons", v.reasons},        {"language", v.language},   {"model_version", v.model_version}};
}

Json to_json(const Report& r, bool with_text) {
  Json j{{"id", r.id},
         {"received_ms", r.received_ms},
         {"reporter", r.reporter},
         {"reporter_country", r.reporter_country},
         {"smsc", r.smsc},
         {"dest", r.dest},
         {"data_coding", r.data_coding},
         {"text_flags", r.text_flags},
         {"parts", r.parts},
         {"extraction", to_json(r.extraction)},
         {"verdict", to_json(r.verdict)}};
  if (with_text) {
    j["text"] = r.text;
    Json pdus = Json::array();
    for (const auto& p : r.raw_pdus) pdus.push_back(to_hex(p));
    j["raw_pdus"] = pdus;
  }
  j["analyst_label"] = r.analyst_label ? Json(to_string(*r.analyst_label)) : Json(nullptr);
  j["campaign"] = r.campaign;
  j["reported_sender"] = r.reported_sender;
  if (r.rate_capped) j["rate_capped"] = true;
  if (!r.text_fingerprint.empty()) j["text_fingerprint"] = r.text_fingerprint;
  return j;
}

Json to_json(const Indicator& i) {
  return Json{{"kind", to_string(i.kind)},
              {"value", i.value},
              {"total_reports", i.total_reports},
              {"reporters", i.reporters},
              {"distinct_reporters", i.distinct_reporters},
              {"first_seen_ms", i.first_seen_ms},
              {"last_seen_ms", i.last_seen_ms},
              {"categories", i.categories},
              {"max_score", i.max_score},
              {"flags", i.flags},
              {"status", to_string(i.status)},
              {"status_reason", i.status_reason},
              {"status_actor", i.status_actor},
              {"status_ms", i.status_ms},
              {"expires_ms", i.expires_ms},
              {"recent_reports", i.recent_reports},
              {"campaigns", i.campaigns},
              {"daily", i.daily},
              {"newcomers", i.newcomers},
              {"sketch", Json::binary_t(std::vector<std::uint8_t>(i.sketch.begin(), i.sketch.end()))}};
}

Result<Extraction> extraction_from_json(const Json& j) {
  try {
    Extraction e;
    for (const auto& n : j.at("numbers"))
      e.numbers.push_back({n.at("e164").get<std::string>(), get_or<std::string>(n, "raw", ""),
                           get_or<std::string>(n, "region", ""), strings(n, "flags")});
    for (const auto& u : j.at("urls"))
      e.urls.push_back({u.at("url").get<std::string>(), get_or<std::string>(u, "raw", ""),
                        get_or<std::string>(u, "host", ""), get_or<std::string>(u, "domain", ""),
                        strings(u, "flags")});
    e.emails = strings(j, "emails");
    e.flags = strings(j, "flags");
    e.ibans = strings(j, "ibans");
    e.sender_ids = strings(j, "sender_ids");
    return e;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::Corruption, std::string("extraction: ") + ex.what());
  }
}

Result<Verdict> verdict_from_json(const Json& j) {
  try {
    Verdict v;
    v.label = parse_label(j.at("label").get<std::string>()).value_or(Label::Unclear);
    v.category = j.at("category").get<std::string>();
    v.score = j.at("score").get<double>();
    v.reasons = strings(j, "reasons");
    v.language = get_or<std::string>(j, "language", "");
    v.model_version = get_or<std::string>(j, "model_version", "");
    return v;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::Corruption, std::string("verdict: ") + ex.what());
  }
}

Result<Report> report_from_json(const Json& j) {
  try {
    Report r;
    r.id = j.at("id").get<std::uint64_t>();
    r.received_ms = j.at("received_ms").get<std::int64_t>();
    r.reporter = j.at("reporter").get<std::string>();
    r.reporter_country = get_or<std::string>(j, "reporter_country", "");
    r.smsc = get_or<std::string>(j, "smsc", "");
    r.dest = get_or<std::string>(j, "dest", "");
    r.data_coding = get_or<std::uint8_t>(j, "data_coding", 0);
    r.text_flags = get_or<std::uint32_t>(j, "text_flags", 0);
    r.parts = get_or<std::uint8_t>(j, "parts", 1);
    r.text = get_or<std::string>(j, "text", "");
    for (const auto& p : get_or<std::vector<std::string>>(j, "raw_pdus", {})) {
      auto bytes = from_hex(p);
      if (!bytes) return bytes.error();
      r.raw_pdus.push_back(std::move(*bytes));
    }
    auto e = extraction_from_json(j.at("extraction"));
    if (!e) return e.error();
    r.extraction = std::move(*e);
    auto v = verdict_from_json(j.at("verdict"));
    if (!v) return v.error();
    r.verdict = std::move(*v);
    if (auto it = j.find("analyst_label"); it != j.end() && it->is_string())
      r.analyst_label = parse_label(it->get<std::string>());
    r.campaign = get_or<std::string>(j, "campaign", "");
    r.reported_sender = get_or<std::string>(j, "reported_sender", "");
    r.rate_capped = get_or<bool>(j, "rate_capped", false);
    r.text_fingerprint = get_or<std::string>(j, "text_fingerprint", "");
    return r;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::Corruption, std::string("report: ") + ex.what());
  }
}

Result<Indicator> indicator_from_json(const Json& j) {
  try {
    Indicator i;
    auto kind = parse_indicator_kind(j.at("kind").get<std::string>());
    if (!kind) return make_error(ErrorCode::Corruption, "indicator: unknown kind");
    i.kind = *kind;
    i.value = j.at("value").get<std::string>();
    i.total_reports = get_or<std::uint64_t>(j, "total_reports", 0);
    i.reporters = get_or<std::map<std::string, std::int64_t>>(j, "reporters", {});
    i.distinct_reporters = get_or<std::uint64_t>(j, "distinct_reporters", 0);
    i.first_seen_ms = get_or<std::int64_t>(j, "first_seen_ms", 0);
    i.last_seen_ms = get_or<std::int64_t>(j, "last_seen_ms", 0);
    i.categories = get_or<std::map<std::string, std::uint64_t>>(j, "categories", {});
    i.max_score = get_or<double>(j, "max_score", 0.0);
    i.flags = strings(j, "flags");
    i.status = parse_indicator_status(get_or<std::string>(j, "status", "observed")).value_or(IndicatorStatus::Observed);
    i.status_reason = get_or<std::string>(j, "status_reason", "");
    i.status_actor = get_or<std::string>(j, "status_actor", "");
    i.status_ms = get_or<std::int64_t>(j, "status_ms", 0);
    i.expires_ms = get_or<std::int64_t>(j, "expires_ms", 0);
    i.recent_reports = get_or<std::vector<std::uint64_t>>(j, "recent_reports", {});
    i.campaigns = get_or<std::map<std::string, std::uint64_t>>(j, "campaigns", {});
    i.daily = get_or<std::map<std::string, std::uint64_t>>(j, "daily", {});
    i.newcomers = strings(j, "newcomers");
    if (auto it = j.find("sketch"); it != j.end() && it->is_binary())
      i.sketch.assign(it->get_binary().begin(), it->get_binary().end());
    return i;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::Corruption, std::string("indicator: ") + ex.what());
  }
}

std::string encode_binary(const Json& j) {
  std::string out;
  Json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

Result<Json> decode_binary(std::string_view bytes) {
  Json j = Json::from_msgpack(bytes.begin(), bytes.end(), /*strict=*/true, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorCode::Corruption, "stored value is not valid MessagePack");
  return j;
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) return "";
  return to_hex(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0F];
  }
  return out;
}

Result<std::string> from_hex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return make_error(ErrorCode::InvalidArgument, std::string("bad hex digit '") + c + "'");
    if (hi < 0) hi = v;
    else { out += static_cast<char>(hi << 4 | v); hi = -1; }
  }
  if (hi >= 0) return make_error(ErrorCode::InvalidArgument, "odd number of hex digits");
  return out;
}

}  // namespace smish::core
