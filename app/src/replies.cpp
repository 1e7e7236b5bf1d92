// Reply templates, reply encoding (GSM 7-bit or UCS2, UDH when long) and two-step answers.
#include "smish/app/replies.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include <fmt/format.h>

#include "smish/classifier/extract.hpp"
#include "smish/gateway/text.hpp"

namespace smish::app {
namespace {

/// Lowercases ASCII and the basic Cyrillic capitals (U+0410..U+042F, U+0401) in UTF-8: enough for
/// the marker and keyword lists here, whose other letters are written in lower case already.
std::string lower_ascii(std::string s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      s[i] = static_cast<char>(std::tolower(c));
    } else if (c == 0xD0 && i + 1 < s.size()) {
      auto d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x90 && d <= 0x9F) s[i + 1] = static_cast<char>(d + 0x20);                 // А..П -> а..п
      else if (d >= 0xA0 && d <= 0xAF) { s[i] = static_cast<char>(0xD1); s[i + 1] = static_cast<char>(d - 0x20); }  // Р..Я
      else if (d == 0x81) { s[i] = static_cast<char>(0xD1); s[i + 1] = static_cast<char>(0x91); }              // Ё
      ++i;
    }
  }
  return s;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

core::Result<ReplyTemplates> ReplyTemplates::load(const std::string& path) {
  auto fail = [&](const YAML::Node& n, const std::string& what) {
    const auto line = n.Mark().line >= 0 ? fmt::format(":{}", n.Mark().line + 1) : "";
    return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("{}{}: {}", path, line, what));
  };
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return core::make_error(core::ErrorCode::InvalidArgument, path + ": cannot read the file");
  } catch (const YAML::ParserException& e) {
    return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) return fail(root, "expected a map");
  ReplyTemplates t;
  static const std::vector<std::string> kKinds = {kReplyThanks, kReplyAskSender, kReplySenderThanks};
  for (const auto& kv : root) {
    const auto key = kv.first.Scalar();
    if (key == "default_language") {
      t.default_language_ = kv.second.Scalar();
    } else if (key == "country_languages") {
      if (!kv.second.IsMap()) return fail(kv.second, "country_languages: expected a map");
      for (const auto& c : kv.second) t.country_languages_[c.first.Scalar()] = c.second.Scalar();
    } else if (key == "autoresponse_markers") {
      if (!kv.second.IsSequence()) return fail(kv.second, "autoresponse_markers: expected a list");
      for (const auto& m : kv.second) t.autoresponse_markers_.push_back(lower_ascii(m.Scalar()));
    } else if (key == "templates") {
      if (!kv.second.IsMap()) return fail(kv.second, "templates: expected a map of languages");
      for (const auto& lang : kv.second) {
        const auto code = lang.first.Scalar();
        if (!lang.second.IsMap()) return fail(lang.second, "templates." + code + ": expected a map");
        for (const auto& k : lang.second) {
          const auto kind = k.first.Scalar();
          if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end())
            return fail(k.first, "templates." + code + "." + kind + ": unknown reply kind");
          if (!k.second.IsScalar() || k.second.Scalar().empty())
            return fail(k.second, "templates." + code + "." + kind + ": expected a text");
          t.templates_[code][kind] = k.second.Scalar();
        }
        for (const auto& kind : kKinds)
          if (!t.templates_[code].count(kind)) return fail(lang.second, "templates." + code + ": missing " + kind);
      }
    } else {
      return fail(kv.first, key + ": unknown key");
    }
  }
  if (t.templates_.empty()) return fail(root, "templates: none defined");
  if (!t.templates_.count(t.default_language_))
    return fail(root, "default_language: no templates for \"" + t.default_language_ + "\"");
  for (const auto& [country, lang] : t.country_languages_)
    if (!t.templates_.count(lang)) return fail(root, "country_languages." + country + ": no templates for \"" + lang + "\"");
  return t;
}

std::string ReplyTemplates::language_for(const std::string& detected, const std::string& country) const {
  if (templates_.count(detected)) return detected;
  if (auto it = country_languages_.find(country); it != country_languages_.end()) return it->second;
  return default_language_;
}

const std::string& ReplyTemplates::text(const std::string& language, const std::string& kind) const {
  return templates_.at(language).at(kind);
}

bool ReplyTemplates::is_autoresponse(const std::string& text) const {
  const std::string lower = lower_ascii(text);
  for (const auto& m : autoresponse_markers_)
    if (lower.find(m) != std::string::npos) return true;
  const std::string t = trim(text);
  for (const auto& [lang, kinds] : templates_)
    for (const auto& [kind, body] : kinds)
      if (t == body) return true;  // our own reply came back: never answer it
  return false;
}

std::optional<SenderAnswer> parse_sender_answer(const std::string& text, const std::string& region) {
  std::string t = trim(text);
  if (t.empty() || t.size() > 64) return std::nullopt;
  // "Call 07700 900123" (GSMA 7726) and the same word in the project's languages.
  static const std::vector<std::string> kCallWords = {"call", "zvans", "zvanīja", "звонок", "звонили", "kõne", "skambutis"};
  const std::string lower = lower_ascii(t);
  for (const auto& w : kCallWords)
    if (lower.rfind(w, 0) == 0 && lower.size() > w.size() && (lower[w.size()] == ' ' || lower[w.size()] == ':')) {
      t = trim(t.substr(w.size() + 1));
      break;
    }
  const bool numberish = t.find_first_not_of("+0123456789 ()-.") == std::string::npos;
  if (numberish) {
    auto digits = std::count_if(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits < 7) return std::nullopt;
    if (auto e164 = classifier::to_e164(t, region)) return SenderAnswer{true, *e164};
    return std::nullopt;
  }
  // An alphanumeric sender ID: one token of at most 11 characters with a letter.
  if (t.size() > 11 || t.find(' ') != std::string::npos) return std::nullopt;
  bool letter = false;
  for (unsigned char c : t) {
    if (std::isalpha(c)) letter = true;
    else if (!std::isdigit(c) && c != '-' && c != '.' && c != '_' && c != '&') return std::nullopt;
  }
  if (!letter) return std::nullopt;
  return SenderAnswer{false, t};
}

std::vector<gateway::smpp::SmBody> encode_reply(const std::string& text, const std::string& dest_e164,
                                                const ReplyConfig& config, std::uint8_t reference) {
  namespace tx = gateway::text;
  using gateway::smpp::SmBody;
  std::string encoded;
  tx::Charset charset;
  std::uint8_t dcs;
  std::size_t single, per_part;
  if (auto gsm = tx::encode_gsm7(text)) {
    // 3GPP TS 23.038: 160 septets in one SMS, 153 with an 8-bit concatenation UDH.
    encoded = std::move(*gsm);
    charset = tx::Charset::Gsm7;
    dcs = 0;
    single = 160;
    per_part = 153;
  } else {
    // 70 UCS2 characters in one SMS, 67 with the UDH.
    encoded = tx::encode_ucs2(text);
    charset = tx::Charset::Ucs2;
    dcs = 8;
    single = 70;
    per_part = 67;
  }
  const std::size_t units = charset == tx::Charset::Ucs2 ? encoded.size() / 2 : encoded.size();
  std::vector<std::string> parts;
  if (units <= single) parts.push_back(encoded);
  else parts = tx::split_encoded(charset, encoded, per_part);
  std::vector<SmBody> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    SmBody b;
    b.source_addr_ton = static_cast<std::uint8_t>(config.source_ton);
    b.source_addr_npi = static_cast<std::uint8_t>(config.source_npi);
    b.source_addr = config.source_addr;
    b.dest_addr_ton = 1;  // international, SMPP 3.4 §5.2.5
    b.dest_addr_npi = 1;  // E.164
    b.destination_addr = dest_e164.starts_with('+') ? dest_e164.substr(1) : dest_e164;
    b.data_coding = dcs;
    b.registered_delivery = config.registered_delivery ? 1 : 0;
    if (parts.size() > 1) {
      b.esm_class = gateway::smpp::kEsmClassUdhi;
      core::ConcatInfo c{core::ConcatSource::Udh8, reference, static_cast<std::uint8_t>(parts.size()),
                         static_cast<std::uint8_t>(i + 1)};
      b.short_message = tx::make_concat_udh(c) + parts[i];
    } else {
      b.short_message = parts[i];
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace smish::app
