// Decoding of stored indicator values without a JSON DOM (the export's hot path).
#pragma once

#include <cstdint>
#include <string_view>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"

namespace smish::storage {

/// Decodes one stored indicator value (MessagePack of core::to_json(Indicator), as
/// Store::scan_indicator_values hands it out) into `out`, replacing every field of `out`.
/// Same result as core::indicator_from_json(core::decode_binary(bytes)) — missing or null
/// fields take their defaults, unknown fields are skipped, an unknown status reads as observed —
/// but streamed through nlohmann's SAX reader straight into `out`: no DOM, and the strings and
/// vectors of a reused `out` keep their capacity.
/// Errors: Corruption when the bytes are not MessagePack, not an object, lack `kind` or `value`,
/// name an unknown kind, or hold a field of the wrong type; `out` is unspecified then.
/// Pure; any thread.
[[nodiscard]] core::Status decode_indicator(std::string_view bytes, core::Indicator& out);

/// What decode_indicator(bytes, out, tally) counts of the reporter map instead of keeping it: the
/// reporters whose last report is at or after since_ms, and how many of them are in
/// out.newcomers (blocklist::ReporterCounts, for blocklist::evaluate_counted).
struct ReporterTally {
  std::int64_t since_ms = 0;
  int recent = 0;
  int fresh = 0;
  /// Also leave out.daily, out.campaigns and out.sketch empty (the export reads none of them);
  /// they are still checked to be well-formed MessagePack.
  bool skip_history = false;
};

/// decode_indicator(), leaving out.reporters empty and counting it into `tally` (recent and fresh
/// reset first): a hot indicator's ten thousand reporter strings are never built. Same errors.
[[nodiscard]] core::Status decode_indicator(std::string_view bytes, core::Indicator& out, ReporterTally& tally);

}  // namespace smish::storage
