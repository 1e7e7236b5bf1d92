// Protected brands: the YAML schema with file:line:key errors, and ownership and look-alike checks.
#include "extract/brands.hpp"

#include <fmt/format.h>
#include <idn2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "extract/normalize.hpp"
#include "extract/phones.hpp"
#include "extract/spoof.hpp"

namespace smish::classifier::detail {
namespace {

constexpr std::size_t kMaxIdBytes = 32;  // ids appear in flags and logs; short keeps them readable
constexpr std::size_t kMaxSenderIdChars =
    11;  // 3GPP TS 23.040 §9.1.2.5: alphanumeric address <= 11 characters
constexpr std::size_t kMinShortCodeDigits = 2;  // 01..09 style emergency and service numbers
constexpr std::size_t kMaxShortCodeDigits =
    8;  // longer "short" numbers do not exist in the plans we serve
constexpr std::size_t kMinKeywordBytes =
    4;  // shorter marks hit unrelated prefixes and typos; use exact_keywords
constexpr std::size_t kMinExactKeywordBytes =
    2;  // "t2": a brand mark of two characters still stands alone as a label
constexpr std::size_t kMaxKeywordBytes =
    63;  // RFC 1035 §2.3.4: a keyword has to fit in one DNS label
constexpr std::size_t kLongKeywordBytes =
    9;  // from this length two edits still leave the mark recognisable

int line_of(const YAML::Node& node) { return std::max(node.Mark().line, 0) + 1; }

class Problems {
 public:
  explicit Problems(std::string_view file) : file_(file) {}
  void add(const YAML::Node& node, std::string_view key, std::string_view what) {
    add(line_of(node), key, what);
  }
  void add(int line, std::string_view key, std::string_view what) {
    list_.push_back(fmt::format("{}:{}: {}: {}", file_, line, key, what));
  }
  bool empty() const { return list_.empty(); }
  std::string joined() const {
    std::string out;
    for (const auto& p : list_) out += (out.empty() ? "" : "\n") + p;
    return out;
  }

 private:
  std::string file_;
  std::vector<std::string> list_;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool is_region(std::string_view r) {
  return r.size() == 2 &&
         std::all_of(r.begin(), r.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_mark(std::string_view s) {
  return !s.empty() && s.front() != '-' && s.back() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// A domain as written in the file, as lowercase punycode; nullopt when it is not a DNS name.
std::optional<std::string> domain_of(std::string_view written) {
  std::string ascii;
  if (std::any_of(written.begin(), written.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    char* out = nullptr;
    const std::string in(written);
    const int rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK || out == nullptr) {
      idn2_free(out);
      return std::nullopt;
    }
    ascii = out;
    idn2_free(out);
  } else {
    ascii = std::string(written);
  }
  ascii = lower(ascii);
  if (ascii.size() > 253 || ascii.find('.') == std::string::npos)
    return std::nullopt;  // RFC 1035 §2.3.4
  std::size_t start = 0;
  for (std::size_t k = 0; k <= ascii.size(); ++k) {
    if (k < ascii.size() && ascii[k] != '.') continue;
    const std::string_view label = std::string_view(ascii).substr(start, k - start);
    if (label.empty() || label.size() > 63 || !is_mark(label)) return std::nullopt;
    start = k + 1;
  }
  return ascii;
}

// Words of a name, case-folded: "Smart-ID" -> {"smart", "id"}.
std::vector<std::u32string> name_words(std::string_view name) {
  std::vector<std::u32string> words;
  std::size_t i = 0;
  while (i < name.size()) {
    char32_t cp = 0;
    std::size_t len = decode_utf8(name, i, cp);
    if (!is_word_cp(cp)) {
      i += len;
      continue;
    }
    const std::size_t b = i;
    while (i < name.size()) {
      len = decode_utf8(name, i, cp);
      if (!is_word_cp(cp)) break;
      i += len;
    }
    words.push_back(fold(name.substr(b, i - b)));
  }
  return words;
}

template <typename Fn>
void for_each_entry(const YAML::Node& map, const std::string& path,
                    std::initializer_list<std::string_view> allowed, Problems& problems, Fn&& fn) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const std::string key = key_node.IsScalar() ? key_node.Scalar() : std::string("?");
    const std::string where = path.empty() ? key : path + "." + key;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      problems.add(key_node, where, "unknown key");
      continue;
    }
    if (!seen.insert(key).second) {
      problems.add(key_node, where, "duplicate key");
      continue;
    }
    fn(key, where, it->second);
  }
}

// A list of scalars; reports the entries that are not scalars.
std::vector<std::pair<std::string, YAML::Node>> scalars(const YAML::Node& node,
                                                        const std::string& where,
                                                        Problems& problems) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (!node.IsSequence()) {
    problems.add(node, where, "expected a list");
    return out;
  }
  std::size_t k = 0;
  for (const auto& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      problems.add(item, fmt::format("{}[{}]", where, k), "expected a non-empty string");
    } else {
      out.emplace_back(item.Scalar(), item);
    }
    ++k;
  }
  return out;
}

void parse_short_codes(const YAML::Node& node, const std::string& where, Brand& brand,
                       Problems& problems, bool& per_country_list) {
  auto add_codes = [&](const std::string& region, const YAML::Node& list, const std::string& at) {
    for (auto& [code, item] : scalars(list, at, problems)) {
      if (!all_digits(code) || code.size() < kMinShortCodeDigits ||
          code.size() > kMaxShortCodeDigits) {
        problems.add(item, at,
                     fmt::format("\"{}\": expected {}..{} digits", code, kMinShortCodeDigits,
                                 kMaxShortCodeDigits));
        continue;
      }
      brand.short_codes[region].push_back(code);
    }
  };
  if (node.IsSequence()) {
    per_country_list = true;  // applied to every country once `countries` is known
    add_codes("*", node, where);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string region = it->first.IsScalar() ? upper(it->first.Scalar()) : std::string();
      const std::string at = where + "." + (it->first.IsScalar() ? it->first.Scalar() : "?");
      if (!is_region(region)) {
        problems.add(it->first, at, "expected an ISO 3166 region such as LV");
        continue;
      }
      add_codes(region, it->second, at);
    }
  } else {
    problems.add(node, where, "expected a list of short codes or a map region -> list");
  }
}

void parse_brand(const YAML::Node& node, std::size_t index, BrandSet& out, Problems& problems,
                 std::map<std::string, std::string>& domain_at,
                 std::map<std::string, std::string>& id_at) {
  const std::string path = fmt::format("brands[{}]", index);
  if (!node.IsMap()) {
    problems.add(node, path, "expected a map with id, name and domains");
    return;
  }
  Brand b;
  bool has_keywords = false;
  bool per_country_list = false;
  YAML::Node short_codes_node;
  for_each_entry(
      node, path,
      {"id", "name", "countries", "domains", "sender_ids", "short_codes", "numbers", "names",
       "keywords", "exact_keywords"},
      problems, [&](const std::string& key, const std::string& where, const YAML::Node& value) {
        if (key == "id" || key == "name") {
          if (!value.IsScalar() || value.Scalar().empty()) {
            problems.add(value, where, "expected a non-empty string");
            return;
          }
          if (key == "name") {
            b.name = value.Scalar();
            return;
          }
          const std::string id = value.Scalar();
          if (id.size() > kMaxIdBytes || !std::all_of(id.begin(), id.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
              })) {
            problems.add(
                value, where,
                fmt::format("\"{}\": expected lowercase letters, digits, - or _ (at most {})", id,
                            kMaxIdBytes));
            return;
          }
          const std::string at = fmt::format("line {}", line_of(value));
          if (auto [it, fresh] = id_at.emplace(id, at); !fresh) {
            problems.add(value, where,
                         fmt::format("\"{}\" is already the id of a brand at {}", id, it->second));
            return;
          }
          b.id = id;
        } else if (key == "countries") {
          for (auto& [r, item] : scalars(value, where, problems)) {
            const std::string region = upper(r);
            if (!is_region(region))
              problems.add(item, where,
                           fmt::format("\"{}\": expected an ISO 3166 region such as LV", r));
            else
              b.countries.push_back(region);
          }
        } else if (key == "domains") {
          for (auto& [d, item] : scalars(value, where, problems)) {
            auto domain = domain_of(d);
            if (!domain) {
              problems.add(item, where, fmt::format("\"{}\": not a domain name", d));
              continue;
            }
            const std::string at = fmt::format("line {}", line_of(item));
            if (auto [it, fresh] = domain_at.emplace(*domain, at); !fresh) {
              problems.add(item, where,
                           fmt::format("\"{}\" is already listed at {}", d, it->second));
              continue;
            }
            b.domains.push_back(*domain);
          }
        } else if (key == "sender_ids") {
          for (auto& [s, item] : scalars(value, where, problems)) {
            std::size_t chars = 0;
            for (char c : s) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
            if (chars > kMaxSenderIdChars)
              problems.add(item, where,
                           fmt::format("\"{}\": longer than {} characters", s, kMaxSenderIdChars));
            else
              b.sender_ids.push_back(s);
          }
        } else if (key == "short_codes") {
          short_codes_node = value;
          parse_short_codes(value, where, b, problems, per_country_list);
        } else if (key == "numbers") {
          for (auto& [n, item] : scalars(value, where, problems)) {
            const bool international = !n.empty() && (n[0] == '+' || n.rfind("00", 0) == 0);
            auto e164 = international ? parse_e164(n, "") : std::nullopt;
            if (!e164)
              problems.add(item, where,
                           fmt::format("\"{}\": expected an international number (+371 ...)", n));
            else
              b.numbers.push_back(*e164);
          }
        } else if (key == "names") {
          for (auto& [n, item] : scalars(value, where, problems)) {
            if (name_words(n).empty())
              problems.add(item, where, fmt::format("\"{}\": has no letters or digits", n));
            else
              b.names.push_back(n);
          }
        } else if (key == "keywords" || key == "exact_keywords") {
          has_keywords = true;
          const std::size_t min = key == "keywords" ? kMinKeywordBytes : kMinExactKeywordBytes;
          for (auto& [k, item] : scalars(value, where, problems)) {
            const std::string mark = lower(k);
            if (!is_mark(mark) || mark.size() < min || mark.size() > kMaxKeywordBytes) {
              problems.add(
                  item, where,
                  fmt::format(
                      "\"{}\": expected {}..{} of a-z, 0-9, - (shorter marks go in exact_keywords)",
                      k, min, kMaxKeywordBytes));
              continue;
            }
            (key == "keywords" ? b.keywords : b.exact_keywords).push_back(mark);
          }
        }
      });
  if (b.id.empty() && !node["id"]) problems.add(node, path + ".id", "missing");
  if (b.name.empty() && !node["name"]) problems.add(node, path + ".name", "missing");
  if (!node["domains"])
    problems.add(node, path + ".domains", "missing (a brand needs at least one legitimate domain)");
  if (per_country_list) {
    auto codes = std::move(b.short_codes["*"]);
    b.short_codes.erase("*");
    if (b.countries.empty())
      problems.add(short_codes_node, path + ".short_codes",
                   "a plain list needs `countries`; or write a map region -> list");
    for (const auto& r : b.countries)
      for (const auto& c : codes) b.short_codes[r].push_back(c);
  }
  if (!has_keywords) {
    // Default marks: the label left of each domain's suffix ("tele2" from tele2.lv).
    for (const auto& d : b.domains) {
      const std::string mark = d.substr(0, d.find('.'));
      auto& list = mark.size() >= kMinKeywordBytes ? b.keywords : b.exact_keywords;
      if (mark.size() >= kMinExactKeywordBytes && mark.rfind("xn--", 0) != 0 &&
          std::find(list.begin(), list.end(), mark) == list.end())
        list.push_back(mark);
    }
  }
  out.brands.push_back(std::move(b));
}

}  // namespace

core::Result<BrandSet> parse_brands_yaml(std::string_view yaml, std::string_view name) {
  Problems problems{name};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    problems.add(std::max(e.mark.line, 0) + 1, "yaml", e.msg);
    return core::make_error(core::ErrorCode::InvalidArgument, problems.joined());
  } catch (const YAML::Exception& e) {
    problems.add(1, "yaml", e.what());
    return core::make_error(core::ErrorCode::InvalidArgument, problems.joined());
  }
  BrandSet out;
  if (!root.IsMap()) {
    problems.add(root, "brands", "expected a map with the key `brands`");
    return core::make_error(core::ErrorCode::InvalidArgument, problems.joined());
  }
  std::map<std::string, std::string> domain_at, id_at;
  for_each_entry(root, "", {"brands"}, problems,
                 [&](const std::string&, const std::string& where, const YAML::Node& list) {
                   if (!list.IsSequence()) {
                     problems.add(list, where, "expected a list of brands");
                     return;
                   }
                   std::size_t index = 0;
                   for (const auto& node : list)
                     parse_brand(node, index++, out, problems, domain_at, id_at);
                 });
  if (!problems.empty())
    return core::make_error(core::ErrorCode::InvalidArgument, problems.joined());
  return out;
}

std::string_view to_string(LookalikeKind kind) {
  switch (kind) {
    case LookalikeKind::Homoglyph:
      return "homoglyph";
    case LookalikeKind::Typo:
      return "typo";
    case LookalikeKind::Combo:
      return "combo";
  }
  return "combo";
}

namespace {

// More than `limit` bits set? (Clears the lowest bit at a time: a few steps, no popcount call.)
bool bits_over(std::uint64_t v, std::size_t limit) {
  for (std::size_t n = 0; v != 0; v &= v - 1)
    if (++n > limit) return true;
  return false;
}

}  // namespace

std::uint64_t letter_mask(std::string_view s) {
  std::uint64_t m = 0;
  for (char c : s) {
    if (c >= 'a' && c <= 'z')
      m |= std::uint64_t{1} << (c - 'a');
    else if (c >= '0' && c <= '9')
      m |= std::uint64_t{1} << (26 + c - '0');
    else
      m |= std::uint64_t{1} << 36;
  }
  return m;
}

std::size_t osa_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t over = limit + 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return over;
  if (a.size() > 64 || b.size() > 64) return over;  // DNS labels are <= 63 octets
  // Three rows of the dynamic programme; cells outside the band |i - j| <= limit are "over".
  std::size_t rows[3][65];
  std::size_t* prev2 = rows[0];
  std::size_t* prev = rows[1];
  std::size_t* cur = rows[2];
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = std::min(j, over);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t lo = i > limit ? i - limit : 1;
    const std::size_t hi = std::min(b.size(), i + limit);
    std::fill(cur, cur + b.size() + 1, over);
    cur[0] = std::min(i, over);
    std::size_t row_min = cur[0];
    for (std::size_t j = lo; j <= hi; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = std::min(v, prev2[j - 2] + 1);
      cur[j] = std::min(v, over);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min >= over) return over;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[b.size()], over);
}

const std::vector<std::string_view>& sender_marker_words() {
  static const std::vector<std::string_view> kMarkers = {
      "from",        "sender", "sūtītājs",  "sūtītāja", "от",
      "отправитель", "saatja", "siuntėjas", "المرسل",   "مرسل"};
  return kMarkers;
}

BrandIndex::BrandIndex(BrandSet brands) : set_(std::move(brands)) {
  for (std::string_view w : code_words()) words_[fold(w)].bits |= kCodeWord;
  for (std::string_view w : sender_marker_words()) words_[fold(w)].bits |= kSenderMarker;
  const Spoof& sp = spoof();
  for (std::size_t bi = 0; bi < set_.brands.size(); ++bi) {
    const Brand& b = set_.brands[bi];
    for (const auto& d : b.domains) domain_owner_.emplace(d, bi);
    for (const auto& [region, codes] : b.short_codes)
      for (const auto& c : codes) short_code_owner_.emplace(region + ":" + c, bi);
    for (const auto& n : b.numbers) number_owner_.emplace(n, bi);
    for (const auto& s : b.sender_ids) sender_owner_.emplace(lower(s), bi);
    auto add_mark = [&](const std::string& text, bool exact) {
      Mark m;
      m.text = text;
      m.skeleton = sp.skeleton(text);
      m.letters = letter_mask(m.skeleton);
      m.brand = bi;
      m.exact = exact;
      const std::size_t idx = marks_.size();
      marks_.push_back(std::move(m));
      mark_by_text_[marks_[idx].text].push_back(idx);
      if (marks_[idx].skeleton != marks_[idx].text)
        mark_by_text_[marks_[idx].skeleton].push_back(idx);
    };
    for (const auto& k : b.keywords) add_mark(k, false);
    for (const auto& k : b.exact_keywords) add_mark(k, true);
    std::vector<std::string> names = b.names;
    names.push_back(b.name);
    for (const auto& s : b.sender_ids)  // "900" is a sender ID, but a text saying 900 names no bank
      if (std::any_of(s.begin(), s.end(),
                      [](char c) { return is_ascii_alpha(static_cast<unsigned char>(c)); }))
        names.push_back(s);
    for (const auto& n : names) {
      auto words = name_words(n);
      if (words.empty()) continue;
      auto& entry = words_[words.front()];
      entry.bits |= kNameStart;
      auto& list = entry.names;
      const bool dup = std::any_of(list.begin(), list.end(), [&](const Name& x) {
        return x.words == words && x.brand == bi;
      });
      if (!dup) list.push_back(Name{std::move(words), bi});
    }
  }
  for (const auto& [word, entry] : words_) word_filter_[word_filter_slot(word)] = true;
}

int BrandIndex::owner_of_host(std::string_view host) const {
  if (domain_owner_.empty()) return -1;
  const std::string_view h = host;
  for (std::size_t start = 0; start < h.size();) {
    auto it = domain_owner_.find(h.substr(start));
    if (it != domain_owner_.end()) return static_cast<int>(it->second);
    const std::size_t dot = h.find('.', start);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return -1;
}

int BrandIndex::owner_of_short_code(std::string_view digits, std::string_view region) const {
  if (short_code_owner_.empty()) return -1;
  auto it = short_code_owner_.find(std::string(region) + ":" + std::string(digits));
  return it == short_code_owner_.end() ? -1 : static_cast<int>(it->second);
}

int BrandIndex::owner_of_number(std::string_view e164) const {
  auto it = number_owner_.find(std::string(e164));
  return it == number_owner_.end() ? -1 : static_cast<int>(it->second);
}

int BrandIndex::owner_of_sender_id(std::string_view sender_id) const {
  auto it = sender_owner_.find(lower(sender_id));
  return it == sender_owner_.end() ? -1 : static_cast<int>(it->second);
}

void BrandIndex::check_label(std::string_view label, std::vector<int>& best) const {
  auto note = [&](std::size_t brand, LookalikeKind kind) {
    const int k = static_cast<int>(kind);
    if (best[brand] < 0 || k < best[brand]) best[brand] = k;
  };
  const std::string skel = spoof().skeleton(label);
  // Tokens of the label and of its skeleton, split at '-' and '_' ("tele2-lv" -> "tele2", "lv").
  auto tokens = [](std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t b = 0;
    for (std::size_t k = 0; k <= s.size(); ++k) {
      if (k < s.size() && s[k] != '-' && s[k] != '_') continue;
      if (k > b) out.push_back(s.substr(b, k - b));
      b = k + 1;
    }
    return out;
  };
  const auto label_tokens = tokens(label);
  const auto skel_tokens = tokens(skel);
  auto exact = [&](std::string_view written, std::string_view skeleton) {
    if (auto it = mark_by_text_.find(written); it != mark_by_text_.end())
      for (std::size_t m : it->second)
        if (marks_[m].text == written) note(marks_[m].brand, LookalikeKind::Combo);
    if (auto it = mark_by_text_.find(skeleton); it != mark_by_text_.end())
      for (std::size_t m : it->second)
        if (marks_[m].skeleton == skeleton && marks_[m].text != written)
          note(marks_[m].brand, LookalikeKind::Homoglyph);
  };
  exact(label, skel);
  if (label_tokens.size() > 1 && label_tokens.size() == skel_tokens.size())
    for (std::size_t k = 0; k < label_tokens.size(); ++k) exact(label_tokens[k], skel_tokens[k]);

  const std::uint64_t skel_letters = letter_mask(skel);
  for (const Mark& m : marks_) {
    if (m.exact || best[m.brand] == static_cast<int>(LookalikeKind::Homoglyph)) continue;
    if (label.size() > m.text.size() && label.find(m.text) != std::string_view::npos) {
      note(m.brand, LookalikeKind::Combo);
    } else if (skel.size() > m.skeleton.size() && (m.letters & ~skel_letters) == 0 &&
               skel.find(m.skeleton) != std::string::npos) {
      note(m.brand, LookalikeKind::Homoglyph);
    }
    const std::size_t limit = m.text.size() >= kLongKeywordBytes ? 2 : 1;
    auto typo = [&](std::string_view s) {
      if (bits_over(m.letters & ~letter_mask(s), limit)) return false;
      const std::size_t d = osa_distance(s, m.skeleton, limit);
      return d > 0 && d <= limit;
    };
    if (!bits_over(m.letters & ~skel_letters, limit)) {
      bool hit = typo(skel);
      for (std::size_t k = 0; !hit && skel_tokens.size() > 1 && k < skel_tokens.size(); ++k)
        hit = typo(skel_tokens[k]);
      if (hit) note(m.brand, LookalikeKind::Typo);
    }
  }
}

std::vector<Lookalike> BrandIndex::lookalikes(const std::vector<std::string_view>& labels) const {
  std::vector<Lookalike> out;
  if (marks_.empty()) return out;
  std::vector<int> best(set_.brands.size(), -1);
  for (std::string_view label : labels)
    if (!label.empty() && label.size() <= kMaxKeywordBytes * 4) check_label(label, best);
  for (std::size_t b = 0; b < best.size(); ++b)
    if (best[b] >= 0) out.push_back(Lookalike{b, static_cast<LookalikeKind>(best[b])});
  return out;
}

std::size_t BrandIndex::word_filter_slot(std::u32string_view w) {
  if (w.empty()) return 0;
  return word_filter_slot(w.front(), w.back(), w.size());
}

std::size_t BrandIndex::word_filter_slot(char32_t front, char32_t back, std::size_t size) {
  const std::size_t h = (static_cast<std::size_t>(front) * 31 + static_cast<std::size_t>(back)) * 131 + size;
  return (h ^ (h >> 12)) & 4095;
}

bool BrandIndex::ascii_word_may_have_bits(std::string_view word) const {
  if (word.empty()) return word_filter_[0];
  // fold() lowers ASCII letters and leaves digits: one code point per byte.
  auto lower = [](char c) {
    return static_cast<char32_t>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : static_cast<unsigned char>(c));
  };
  return word_filter_[word_filter_slot(lower(word.front()), lower(word.back()), word.size())];
}

std::uint8_t BrandIndex::word_bits(std::u32string_view folded_word) const {
  if (!word_filter_[word_filter_slot(folded_word)]) return 0;
  auto it = words_.find(folded_word);
  return it == words_.end() ? 0 : it->second.bits;
}

std::size_t BrandIndex::name_at(std::u32string_view first_word, std::string_view rest,
                                std::size_t& brand) const {
  auto it = words_.find(first_word);
  if (it == words_.end() || it->second.names.empty()) return 0;
  std::size_t longest = 1;
  for (const Name& n : it->second.names) longest = std::max(longest, n.words.size());
  // The following words, folded (names are short: this reads a handful of words at most).
  std::vector<std::u32string> next;
  for (std::size_t i = 0; i < rest.size() && next.size() + 1 < longest;) {
    char32_t cp = 0;
    std::size_t len = decode_utf8(rest, i, cp);
    if (!is_word_cp(cp)) {
      i += len;
      continue;
    }
    const std::size_t b = i;
    while (i < rest.size()) {
      len = decode_utf8(rest, i, cp);
      if (!is_word_cp(cp)) break;
      i += len;
    }
    next.push_back(fold(rest.substr(b, i - b)));
  }
  std::size_t best = 0;
  for (const Name& n : it->second.names) {
    if (n.words.size() <= best || n.words.size() > next.size() + 1) continue;
    if (std::equal(n.words.begin() + 1, n.words.end(), next.begin())) {
      best = n.words.size();
      brand = n.brand;
    }
  }
  return best;
}

}  // namespace smish::classifier::detail
