// Deltas between export serials: diff of sorted entry lists, composition, JSON Lines form.
#include "smish/blocklist/delta.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "smish/blocklist/formats.hpp"
#include "smish/core/json.hpp"

namespace smish::blocklist {
namespace {

using core::ErrorCode;
using core::make_error;

bool parse_i64(std::string_view s, std::int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string_view to_string(RemovalReason r) {
  switch (r) {
    case RemovalReason::Expired: return "expired";
    case RemovalReason::Revoked: return "revoked";
    case RemovalReason::Allowlisted: return "allowlisted";
    case RemovalReason::Unlisted: return "unlisted";
    case RemovalReason::Invalid: return "invalid";
    case RemovalReason::Deleted: return "deleted";
  }
  return "deleted";
}

std::optional<RemovalReason> parse_removal_reason(std::string_view text) {
  for (auto r : {RemovalReason::Expired, RemovalReason::Revoked, RemovalReason::Allowlisted, RemovalReason::Unlisted,
                 RemovalReason::Invalid, RemovalReason::Deleted})
    if (to_string(r) == text) return r;
  return std::nullopt;
}

std::pair<std::string_view, std::string_view> split_key(std::string_view key) {
  const auto colon = key.find(':');
  if (colon == std::string_view::npos) return {key, {}};
  return {key.substr(0, colon), key.substr(colon + 1)};
}

void append_entry_line(std::string& out, std::string_view key, std::int64_t first_seen_ms, std::int64_t expires_ms) {
  fmt::format_to(std::back_inserter(out), FMT_COMPILE("{}\t{}\t{}\n"), key, first_seen_ms, expires_ms);
}

std::string render_entries(const std::vector<PublishedEntry>& entries) {
  std::string out;
  out.reserve(entries.size() * 48);
  for (const auto& e : entries) append_entry_line(out, e.key, e.first_seen_ms, e.expires_ms);
  return out;
}

core::Result<std::vector<PublishedEntry>> parse_entries(std::string_view text) {
  std::vector<PublishedEntry> out;
  out.reserve(text.size() / 40);
  std::size_t pos = 0, line = 0;
  while (pos < text.size()) {
    ++line;
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const auto row = text.substr(pos, end - pos);
    pos = end + 1;
    const auto t1 = row.find('\t');
    const auto t2 = t1 == std::string_view::npos ? t1 : row.find('\t', t1 + 1);
    PublishedEntry e;
    if (t2 == std::string_view::npos || !parse_i64(row.substr(t1 + 1, t2 - t1 - 1), e.first_seen_ms) ||
        !parse_i64(row.substr(t2 + 1), e.expires_ms))
      return make_error(ErrorCode::Corruption, "entries.tsv line " + std::to_string(line) + ": malformed");
    e.key.assign(row.substr(0, t1));
    out.push_back(std::move(e));
  }
  if (!std::is_sorted(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; }))
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

std::size_t Delta::added() const {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [](const auto& e) { return e.added; }));
}

std::size_t Delta::removed() const { return entries.size() - added(); }

Delta diff_entries(const std::vector<PublishedEntry>& before, const std::vector<PublishedEntry>& after,
                   const std::function<std::optional<RemovalReason>(const std::string&)>& reason_of) {
  Delta d;
  std::size_t i = 0, j = 0;
  while (i < before.size() || j < after.size()) {
    if (j == after.size() || (i < before.size() && before[i].key < after[j].key)) {
      d.entries.push_back({before[i].key, false, reason_of(before[i].key).value_or(RemovalReason::Deleted),
                           before[i].first_seen_ms});
      ++i;
    } else if (i == before.size() || after[j].key < before[i].key) {
      d.entries.push_back({after[j].key, true, RemovalReason::Deleted, after[j].first_seen_ms});
      ++j;
    } else {
      ++i;
      ++j;
    }
  }
  return d;
}

Delta compose(const Delta& older, const Delta& newer) {
  Delta d;
  d.from_serial = older.from_serial;
  d.to_serial = newer.to_serial;
  std::size_t i = 0, j = 0;
  const auto& a = older.entries;
  const auto& b = newer.entries;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].key < b[j].key)) {
      d.entries.push_back(a[i++]);
    } else if (i == a.size() || b[j].key < a[i].key) {
      d.entries.push_back(b[j++]);
    } else {
      // Same key in both: added then removed, or removed then added back: no net change.
      // (Added twice or removed twice cannot happen between consistent serials; keep the newer.)
      if (a[i].added == b[j].added) d.entries.push_back(b[j]);
      ++i;
      ++j;
    }
  }
  return d;
}

std::string render_delta(const Delta& delta) {
  std::string out;
  out.reserve(64 + delta.entries.size() * 80);
  out += "{\"type\":\"delta\",\"from_serial\":" + std::to_string(delta.from_serial) +
         ",\"to_serial\":" + std::to_string(delta.to_serial) + ",\"added\":" + std::to_string(delta.added()) +
         ",\"removed\":" + std::to_string(delta.removed()) + "}\n";
  for (const auto& e : delta.entries) {
    const auto [kind, value] = split_key(e.key);
    out += e.added ? "{\"op\":\"add\",\"kind\":" : "{\"op\":\"remove\",\"kind\":";
    append_json_string(out, kind);
    out += ",\"value\":";
    append_json_string(out, value);
    if (!e.added) {
      out += ",\"reason\":\"";
      out += to_string(e.reason);
      out += '"';
    }
    out += ",\"first_seen\":";
    out += std::to_string(e.first_seen_ms);
    out += "}\n";
  }
  return out;
}

core::Result<Delta> parse_delta(std::string_view text) {
  Delta d;
  std::size_t pos = 0, line = 0;
  while (pos < text.size()) {
    ++line;
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const auto row = text.substr(pos, end - pos);
    pos = end + 1;
    auto bad = [&](const char* what) {
      return make_error(ErrorCode::Corruption, "delta line " + std::to_string(line) + ": " + what);
    };
    auto j = core::Json::parse(row, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    if (line == 1) {
      if (j.value("type", "") != "delta" || !j.contains("from_serial") || !j["from_serial"].is_number_unsigned() ||
          !j.contains("to_serial") || !j["to_serial"].is_number_unsigned())
        return bad("not a delta header");
      d.from_serial = j["from_serial"].get<std::uint64_t>();
      d.to_serial = j["to_serial"].get<std::uint64_t>();
      continue;
    }
    const auto op = j.value("op", "");
    if ((op != "add" && op != "remove") || !j.contains("kind") || !j["kind"].is_string() || !j.contains("value") ||
        !j["value"].is_string())
      return bad("not a delta entry");
    DeltaEntry e;
    e.key = j["kind"].get<std::string>() + ":" + j["value"].get<std::string>();
    e.added = op == "add";
    if (!e.added) {
      auto r = parse_removal_reason(j.value("reason", ""));
      if (!r) return bad("unknown removal reason");
      e.reason = *r;
    }
    if (j.contains("first_seen") && j["first_seen"].is_number_integer()) e.first_seen_ms = j["first_seen"].get<std::int64_t>();
    d.entries.push_back(std::move(e));
  }
  if (line == 0) return make_error(ErrorCode::Corruption, "delta: empty");
  return d;
}

}  // namespace smish::blocklist
