// What every smishctl command shares: the context, exit codes, output helpers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "smish/app/config.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

inline constexpr int kFound = 0, kNotFound = 1, kUsage = 2;

/// One smishctl invocation: the loaded configuration, --json, and the store once opened.
struct Ctx {
  Config config;
  bool json = false;
  std::unique_ptr<storage::Store> store;
};

/// Opens the database read-only (RocksDB secondary instance) into ctx.store. Returns kFound on
/// success, kNotFound when there is no database, kUsage on other errors (already printed).
int open_store(Ctx& ctx);

/// Prints rows as aligned columns under a header.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// At most `max_chars` code points of `text` on one line, with "…" when cut.
std::string excerpt(const std::string& text, std::size_t max_chars);

/// What an analyst's decision is about: a report (label only) or an indicator.
struct Target {
  std::uint64_t report_id = 0;  ///< non-zero: a report
  core::IndicatorKind kind = core::IndicatorKind::Number;
  std::string value;            ///< normalised as storage keys it
};

/// Reads a VALUE as the CLI takes it: "report:12" or "#12" (and, when `report_ids`, bare digits)
/// is a report; "number:", "url:", "host:", "domain:", "sender_id:" name the kind; otherwise a
/// number in any local or international format becomes E.164 (short codes stay digits), a URL is
/// normalised as extraction does, a name with a dot is a domain (its registrable domain) or a host,
/// and anything else is a sender id. InvalidArgument when it cannot be read.
core::Result<Target> resolve_target(const Ctx& ctx, const std::string& text, bool report_ids);

/// Who acts: $SMISHCTL_ACTOR, $USER, $LOGNAME, else "uid:N".
std::string default_actor();

/// "90s", "15m", "24h", "7d", "2w" (a bare number is seconds) in ms; nullopt when malformed.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace smish::app
