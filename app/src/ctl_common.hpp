// What every smishctl command shares: the context, exit codes, output helpers.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "smish/app/config.hpp"
#include "smish/core/json.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

inline constexpr int kFound = 0, kNotFound = 1, kUsage = 2;

/// One smishctl invocation: the loaded configuration, the output format, and the store once opened.
struct Ctx {
  Config config;
  bool json = false;   ///< --json: one JSON object a line
  std::unique_ptr<storage::Store> store;
  bool csv = false;    ///< --csv: RFC 4180 with a header line
  bool color = false;  ///< a terminal (and no NO_COLOR): tables may use colour
  bool evaluated_by_smishd = false;  ///< indicators come from smishd, decided by its policy (lookup)
};

/// Terminal colours for tables (only used when Ctx::color).
enum class Colour { None, Bold, Dim, Red, Green, Yellow };
/// `text` wrapped in the ANSI sequence for `colour`, or unchanged when colour is off.
std::string paint(const Ctx& ctx, std::string text, Colour colour);
/// The colour an indicator status reads in: blocked red, allowlisted green, pending yellow.
Colour status_colour(std::string_view status);

/// A listing as every listing command prints it: an aligned table for people (header bold on a
/// terminal), --csv with a header line, or --json with one object a row.
struct Listing {
  std::vector<std::string> header;            ///< table and CSV column names
  std::vector<std::vector<std::string>> rows;  ///< cells may carry paint() colour: CSV strips it
  std::vector<core::Json> objects;             ///< --json: one per row
  void add(std::vector<std::string> row, core::Json object) {
    rows.push_back(std::move(row));
    objects.push_back(std::move(object));
  }
  /// Prints in ctx's format; kFound when there are rows, else kNotFound.
  int print(const Ctx& ctx) const;
};

/// Display width of `s`: UTF-8 code points, ANSI colour sequences not counted.
std::size_t display_width(std::string_view s);
/// `s` without ANSI colour sequences.
std::string strip_colour(std::string_view s);
/// A horizontal bar of `value / max` of `width` cells (block characters; '#' without UTF-8).
std::string bar(double value, double max, std::size_t width);

/// Opens the database read-only into ctx.store: a RocksDB secondary instance (scans, while smishd
/// may write), or for point reads OpenMode::ReadOnly. Returns kFound on success, kNotFound when
/// there is no database, kUsage on other errors (already printed).
int open_store(Ctx& ctx, storage::OpenMode mode = storage::OpenMode::Secondary);

/// What a write returned, and how it was made.
struct Written {
  core::Json result;  ///< the admin answer's "result" (null when it has none), or what `direct` returned
  std::string via;    ///< "smishd" (admin socket) or "direct" (the stopped database)
};
/// A write as every writing command makes it: `request` to smishd's admin socket when something
/// answers there, else `direct` on the database opened read-write (smishd stopped; the database's
/// LOCK keeps a starting smishd out meanwhile). A write whose outcome is unknown (a timeout, a
/// garbled answer) is never retried on the database behind smishd's back. `what` names the
/// command in messages. nullopt: it failed, and why is printed.
std::optional<Written> run_write(Ctx& ctx, const core::Json& request, std::chrono::milliseconds timeout,
                                 const std::function<core::Result<core::Json>(storage::Store&)>& direct,
                                 std::string_view what);

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

/// A point in time as --since/--until take it: a duration back from `now_ms` ("24h", "7d") or an
/// ISO 8601 date or date-time in UTC ("2026-12-01", "2026-12-01T08:30", "2026-12-01T08:30:00Z").
/// Unix ms; nullopt when malformed.
std::optional<std::int64_t> parse_time_ms(std::string_view text, std::int64_t now_ms);

/// A non-negative count option (--limit, --offset) in [lo, hi]: `out` keeps its default when the
/// option is absent. False (and a message on stderr) when it is not a number in range.
bool count_option(const Args& a, const std::string& key, std::size_t lo, std::size_t hi, std::size_t& out);

/// The UTC calendar day of `unix_ms`, "2026-12-07".
std::string utc_day(std::int64_t unix_ms);

}  // namespace smish::app
