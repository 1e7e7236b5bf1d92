// UTF-8 scanning for the rules engine: case-folded word tokens and per-script letter counts (ICU).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace smish::classifier::rules {

/// Simple Unicode case folding of UTF-8 text ("ĀBOLS" -> "ābols", "ПИН" -> "пин"). Malformed
/// sequences are dropped. Never throws.
std::string fold_case(std::string_view text);

/// Case-folded words of `text`: maximal runs of letters, digits and combining marks. Everything
/// else (spaces, punctuation, symbols, malformed UTF-8) separates words.
std::vector<std::string> fold_words(std::string_view text);

/// Letters of `text` by script. Chunks that look like URLs or domains ("x.lv/a", "www.", "://")
/// are skipped so that a Latin link does not outvote a Cyrillic or Arabic message.
struct ScriptCounts {
  int latin = 0;
  int cyrillic = 0;
  int arabic = 0;
  int other = 0;
};
ScriptCounts count_scripts(std::string_view text);

/// Code points of UTF-8 text, malformed sequences dropped.
std::vector<char32_t> code_points(std::string_view text);

}  // namespace smish::classifier::rules
