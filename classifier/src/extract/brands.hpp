// Protected brands: configs/brands.yaml, and the index for "whose is this?" and "what does it imitate?".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "phones.hpp"  // relative: the tests include this header from outside src/
#include "smish/classifier/extract.hpp"
#include "smish/core/result.hpp"

namespace smish::classifier::detail {

/// Parses and validates a brands file; `name` stands for the file in errors ("name:line: key:
/// what").
core::Result<BrandSet> parse_brands_yaml(std::string_view yaml, std::string_view name);

/// How a look-alike imitates a brand mark.
enum class LookalikeKind : std::uint8_t {
  Homoglyph,  ///< same TR39 skeleton as the mark, different characters ("tеle2" with Cyrillic е,
              ///< "te1e2")
  Typo,       ///< skeleton within a small edit distance of the mark ("tele2" -> "tlee2", "swedbnk")
  Combo,      ///< the mark as a token, prefix or suffix of a label ("tele2-lv", "mytele2",
              ///< "tele2.lv.x.top")
};
std::string_view to_string(LookalikeKind kind);

/// One brand a host or a name imitates.
struct Lookalike {
  std::size_t brand = 0;  ///< index into BrandIndex::brands()
  LookalikeKind kind = LookalikeKind::Combo;
};

/// Ownership and look-alike checks against a BrandSet. Immutable after construction; thread-safe.
class BrandIndex {
 public:
  BrandIndex() : BrandIndex(BrandSet{}) {}
  explicit BrandIndex(BrandSet brands);

  const std::vector<Brand>& brands() const { return set_.brands; }
  const BrandSet& set() const { return set_; }
  bool empty() const { return set_.brands.empty(); }

  /// The brand whose legitimate domain `host` (lowercase ASCII) is or lies under; -1 when none.
  int owner_of_host(std::string_view host) const;
  /// The brand with this short code in `region`; -1 when none.
  int owner_of_short_code(std::string_view digits, std::string_view region) const;
  /// The brand with this E.164 number; -1 when none.
  int owner_of_number(std::string_view e164) const;
  /// The brand that registered this sender ID (compared case-insensitively); -1 when none.
  int owner_of_sender_id(std::string_view sender_id) const;

  /// Brands that the labels imitate. `labels` are the host's labels left of the public suffix
  /// (lowercase, Unicode or ASCII); at most one result per brand, in brand order.
  std::vector<Lookalike> lookalikes(const std::vector<std::string_view>& labels) const;

  /// What a case-folded word is, for the one-pass word scan: one hash lookup per word.
  enum WordBits : std::uint8_t {
    kCodeWord = 1,      ///< names a one-time code, PIN or password (is_code_word_folded)
    kSenderMarker = 2,  ///< introduces a sender ID ("from", "отправитель", ...)
    kNameStart = 4,     ///< first word of a brand name
  };
  std::uint8_t word_bits(std::u32string_view folded_word) const;
  /// False when the ASCII word (letters and digits, any case) certainly has no bits: its
  /// (length, first, last letter) class is in no entry, so word_bits(fold(word)) is 0 — decided
  /// without folding it.
  bool ascii_word_may_have_bits(std::string_view word) const;

  /// A brand name ("Tele2", "Почта России") that starts with `first_word` (case-folded) and
  /// continues with the words of `rest` (the text after it); returns the number of words matched
  /// and sets `brand`, or 0.
  std::size_t name_at(std::u32string_view first_word, std::string_view rest,
                      std::size_t& brand) const;

 private:
  struct Mark {
    std::string text;           // lowercase ASCII as configured
    std::string skeleton;       // TR39 skeleton
    std::uint64_t letters = 0;  // bit per byte value class, for a cheap pre-check of typos
    std::size_t brand = 0;
    bool exact = false;  // whole labels and tokens only
  };
  struct Name {
    std::vector<std::u32string> words;
    std::size_t brand = 0;
  };

  void check_label(std::string_view label, std::vector<int>& best) const;

  BrandSet set_;
  std::vector<Mark> marks_;
  // Maps keyed by std::string that also take std::string_view (no temporary strings on look-ups).
  struct StrHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StrMap = std::unordered_map<std::string, V, StrHash, std::equal_to<>>;

  StrMap<std::vector<std::size_t>> mark_by_text_;                  // text and skeleton -> marks
  StrMap<std::size_t> domain_owner_;                               // legitimate domain -> brand
  std::unordered_map<std::string, std::size_t> short_code_owner_;  // "LV:1600" -> brand
  std::unordered_map<std::string, std::size_t> number_owner_;      // E.164 -> brand
  std::unordered_map<std::string, std::size_t> sender_owner_;      // lowercase sender ID -> brand
  struct WordEntry {
    std::uint8_t bits = 0;
    std::vector<Name> names;  // names starting with this word
  };
  std::unordered_map<std::u32string, WordEntry, U32Hash, std::equal_to<>> words_;
  // One bit per (length, first, last code point) class of the words in words_: most words of a
  // text miss it and skip the hash lookup.
  static std::size_t word_filter_slot(std::u32string_view w);
  static std::size_t word_filter_slot(char32_t front, char32_t back, std::size_t size);
  std::vector<bool> word_filter_ = std::vector<bool>(4096, false);
};

/// Words that introduce a sender ID ("From: SWEDBANK"), in the six languages we serve.
const std::vector<std::string_view>& sender_marker_words();

/// Bit set of the byte classes in `s` (letters a-z, digits, the rest folded into one bit).
std::uint64_t letter_mask(std::string_view s);

/// Optimal string alignment distance between `a` and `b` (bytes), or `limit + 1` as soon as it
/// is known to exceed `limit`. O(|a| * (2 * limit + 1)) time.
std::size_t osa_distance(std::string_view a, std::string_view b, std::size_t limit);

}  // namespace smish::classifier::detail
