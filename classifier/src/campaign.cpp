// Campaign fingerprints (SimHash over normalised text) and the near-duplicate index.
#include "smish/core/utf8.hpp"
#include "smish/classifier/campaign.hpp"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <bit>
#include <fmt/format.h>

namespace smish::classifier {
namespace {

// Character n-gram length of the SimHash shingles. 4 code points: long enough that shingles carry
// word fragments, short enough that one changed word touches few of them.
constexpr std::size_t kShingle = 4;

constexpr char kLinkMark = '@';
constexpr char kNumberMark = '#';

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || (c >= '0' && c <= '9'); }

// A host written in the text: labels of [A-Za-z0-9-], at least one dot, the last label two or more
// ASCII letters ("dpd-lv.top", "www.tele2.lv"). "30.11." and "i.e." are not hosts.
bool is_host(std::string_view host) {
  const std::size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view tld = host.substr(dot + 1);
  if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), is_ascii_alpha)) return false;
  char prev = '.';
  for (char c : host.substr(0, dot)) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_ascii_alnum(c) && c != '-') {
      return false;
    }
    prev = c;
  }
  return prev != '.';
}

// A whitespace-separated chunk that is a link or an e-mail address, ignoring punctuation around it.
bool is_link_chunk(std::string_view chunk) {
  constexpr std::string_view kOpen = "([<{\"'", kClose = ".,;:!?)]>}\"'";
  while (!chunk.empty() && kOpen.find(chunk.front()) != std::string_view::npos) chunk.remove_prefix(1);
  while (!chunk.empty() && kClose.find(chunk.back()) != std::string_view::npos) chunk.remove_suffix(1);
  if (chunk.empty()) return false;
  if (chunk.find("://") != std::string_view::npos) return true;
  std::string lower(chunk.substr(0, 4));
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "www.") return true;
  if (const auto at = chunk.find('@'); at != std::string_view::npos && at > 0)
    return is_host(chunk.substr(at + 1));
  return is_host(chunk.substr(0, chunk.find_first_of("/?#")));
}

bool is_number_separator(UChar32 c) {
  return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')' || c == '+' ||
         c == ',' || c == 0xA0;
}


// SplitMix64 finaliser: spreads FNV-1a's weak low bits over all 64.
std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

std::string campaign_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  enum class Last { None, Word, Number, Link } last = Last::None;
  bool pending_space = false;
  auto separate = [&] {
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    // One whitespace-separated chunk at a time, so that a link is recognised whole.
    const std::size_t start = text.find_first_not_of(" \t\r\n", pos);
    if (start == std::string_view::npos) break;
    if (start > pos) pending_space = true;
    std::size_t end = text.find_first_of(" \t\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view chunk = text.substr(start, end - start);
    pos = end;
    if (is_link_chunk(chunk)) {
      pending_space = true;
      separate();
      out += kLinkMark;
      last = Last::Link;
      pending_space = true;
      continue;
    }
    const auto* s = reinterpret_cast<const uint8_t*>(chunk.data());
    const auto length = static_cast<int32_t>(chunk.size());
    int32_t i = 0;
    while (i < length) {
      UChar32 c = 0;
      U8_NEXT(s, i, length, c);
      if (c < 0) {
        pending_space = true;
        continue;
      }
      if (u_isdigit(c)) {
        // A number continues across its separators: "+371 2999 9901" and "1.99" are one number.
        if (last == Last::Number) {
          pending_space = false;
          continue;
        }
        separate();
        out += kNumberMark;
        last = Last::Number;
        continue;
      }
      const auto type = u_charType(c);
      if (u_isalpha(c) || type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK) {
        if (last == Last::Number || last == Last::Link) pending_space = true;
        separate();
        core::append_utf8(out, static_cast<char32_t>(u_foldCase(c, U_FOLD_CASE_DEFAULT)));
        last = Last::Word;
        continue;
      }
      if (last == Last::Number && is_number_separator(c)) {
        pending_space = true;  // dropped if a digit follows
        continue;
      }
      pending_space = true;
      last = Last::None;
    }
    pending_space = true;  // the whitespace after the chunk
  }
  return out;
}

std::uint64_t campaign_fingerprint(std::string_view text) {
  const std::string norm = campaign_text(text);
  if (norm.empty()) return 0;
  // Byte offsets of the code points, to cut shingles of kShingle code points.
  std::vector<std::size_t> starts;
  starts.reserve(norm.size() + 1);
  for (std::size_t i = 0; i < norm.size(); ++i)
    if ((static_cast<unsigned char>(norm[i]) & 0xC0) != 0x80) starts.push_back(i);
  starts.push_back(norm.size());
  const std::size_t points = starts.size() - 1;
  // Per bit, how many shingle hashes have it set; a bit of the fingerprint is set when more than
  // half do (the SimHash sign, counted without negative numbers so the loop vectorises).
  std::array<std::uint32_t, 64> ones{};
  std::uint32_t shingles = 0;
  auto vote = [&](std::string_view shingle) {
    const std::uint64_t h = mix64(fnv1a(shingle));
    for (int bit = 0; bit < 64; ++bit) ones[bit] += static_cast<std::uint32_t>((h >> bit) & 1);
    ++shingles;
  };
  if (points <= kShingle) {
    vote(norm);
  } else {
    for (std::size_t i = 0; i + kShingle <= points; ++i)
      vote(std::string_view(norm).substr(starts[i], starts[i + kShingle] - starts[i]));
  }
  // Whole words as well, marked apart from the 4-grams: they tie the shingles of one word
  // together, which halves the bits a single changed word moves on short texts.
  std::string word;
  for (std::size_t b = 0; b < norm.size();) {
    const std::size_t e = std::min(norm.find(' ', b), norm.size());
    if (e > b) {
      word.assign(1, '\x01');
      word.append(norm, b, e - b);
      vote(word);
    }
    b = e + 1;
  }
  std::uint64_t fingerprint = 0;
  for (int bit = 0; bit < 64; ++bit)
    if (2 * ones[bit] > shingles) fingerprint |= std::uint64_t{1} << bit;
  return fingerprint;
}

int campaign_distance(std::uint64_t a, std::uint64_t b) { return std::popcount(a ^ b); }

std::string campaign_id(std::uint64_t fingerprint) { return fmt::format("c-{:016x}", fingerprint); }

CampaignIndex::CampaignIndex(int max_distance)
    : max_distance_(std::clamp(max_distance, 0, 15)), blocks_(max_distance_ + 1) {
  // max_distance + 1 blocks as equal as 64 bits allow.
  int shift = 0;
  for (int b = 0; b < blocks_; ++b) {
    const int bits = 64 / blocks_ + (b < 64 % blocks_ ? 1 : 0);
    block_shift_[b] = shift;
    block_bits_[b] = bits;
    shift += bits;
  }
  tables_.resize(static_cast<std::size_t>(blocks_));
}

std::uint64_t CampaignIndex::block_of(std::uint64_t fingerprint, int block) const {
  const int bits = block_bits_[block];
  const std::uint64_t mask = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  return (fingerprint >> block_shift_[block]) & mask;
}

long CampaignIndex::nearest(std::uint64_t fingerprint) const {
  if (auto it = campaign_of_.find(fingerprint); it != campaign_of_.end())
    return static_cast<long>(it->second);
  long best = -1;
  int best_distance = max_distance_ + 1;
  for (int b = 0; b < blocks_; ++b) {
    const auto& table = tables_[static_cast<std::size_t>(b)];
    const auto it = table.find(block_of(fingerprint, b));
    if (it == table.end()) continue;
    for (std::uint32_t candidate : it->second) {
      const Entry& e = entries_[candidate];
      const int d = campaign_distance(fingerprint, e.fingerprint);
      // Nearest first; on a tie the older campaign, then the older fingerprint.
      if (d < best_distance ||
          (d == best_distance && best >= 0 &&
           (e.campaign < entries_[static_cast<std::size_t>(best)].campaign ||
            (e.campaign == entries_[static_cast<std::size_t>(best)].campaign &&
             candidate < static_cast<std::uint32_t>(best))))) {
        best = static_cast<long>(candidate);
        best_distance = d;
      }
    }
  }
  return best;
}

std::string CampaignIndex::find(std::uint64_t fingerprint) const {
  const long n = nearest(fingerprint);
  return n < 0 ? std::string() : campaigns_[entries_[static_cast<std::size_t>(n)].campaign];
}

std::string CampaignIndex::assign(std::uint64_t fingerprint) {
  const long n = nearest(fingerprint);
  if (n >= 0) {
    const std::uint32_t campaign = entries_[static_cast<std::size_t>(n)].campaign;
    if (!campaign_of_.count(fingerprint)) {
      const std::string id = campaigns_[campaign];  // copy: insert may grow campaigns_
      insert(fingerprint, id);
      return id;
    }
    return campaigns_[campaign];
  }
  const std::string id = campaign_id(fingerprint);
  insert(fingerprint, id);
  return id;
}

void CampaignIndex::insert(std::uint64_t fingerprint, std::string_view campaign) {
  if (campaign_of_.count(fingerprint)) return;
  auto [it, fresh] =
      campaign_index_.emplace(std::string(campaign), static_cast<std::uint32_t>(campaigns_.size()));
  if (fresh) campaigns_.emplace_back(campaign);
  const auto index = static_cast<std::uint32_t>(entries_.size());
  entries_.push_back({fingerprint, it->second});
  campaign_of_.emplace(fingerprint, index);
  for (int b = 0; b < blocks_; ++b)
    tables_[static_cast<std::size_t>(b)][block_of(fingerprint, b)].push_back(index);
}

}  // namespace smish::classifier
