// smishctl helpers shared by the commands: durations and times as analysts write them.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "ctl_common.hpp"
#include "smish/app/admin.hpp"
#include "smish/blocklist/formats.hpp"

namespace smish::app {

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t unit_ms = 1000;
  switch (text.back()) {
    case 's': unit_ms = 1000; break;
    case 'm': unit_ms = 60 * 1000; break;
    case 'h': unit_ms = 3600 * 1000; break;
    case 'd': unit_ms = 24 * 3600 * 1000; break;
    case 'w': unit_ms = 7 * 24 * 3600 * 1000LL; break;
    default: unit_ms = 0;
  }
  if (unit_ms) text.remove_suffix(1);
  else unit_ms = 1000;
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  // At most 100 years: beyond it a duration is a typo.
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || n < 0 || n > 36500LL * 24 * 3600)
    return std::nullopt;
  return n * unit_ms;
}

std::optional<std::int64_t> parse_time_ms(std::string_view text, std::int64_t now_ms) {
  if (auto d = parse_duration_ms(text); d && !text.empty() && !std::isdigit(static_cast<unsigned char>(text.back())))
    return now_ms - *d;
  // ISO 8601 in UTC. libstdc++ 12 has no std::chrono::parse, so std::get_time reads the fields and
  // timegm() turns them into seconds; the trailing "Z" (UTC is the only zone taken) is optional.
  std::string s(text);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.pop_back();
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    std::istringstream in(s);
    in >> std::get_time(&tm, format);
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) continue;
    if (tm.tm_year < 70 || tm.tm_year > 1100) return std::nullopt;  // years 1970..3000
    return static_cast<std::int64_t>(::timegm(&tm)) * 1000;
  }
  return std::nullopt;
}

bool count_option(const Args& a, const std::string& key, std::size_t lo, std::size_t hi, std::size_t& out) {
  const auto v = a.get(key);
  if (!v) return true;
  std::size_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || ptr != v->data() + v->size() || n < lo || n > hi) {
    std::cerr << "smishctl: --" << key << " expects a number from " << lo << " to " << hi << "\n";
    return false;
  }
  out = n;
  return true;
}

std::string utc_day(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000 - (unix_ms < 0 && unix_ms % 1000 ? 1 : 0));
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string paint(const Ctx& ctx, std::string text, Colour colour) {
  if (!ctx.color || colour == Colour::None || text.empty()) return text;
  const char* code = colour == Colour::Bold     ? "1"
                     : colour == Colour::Dim    ? "2"
                     : colour == Colour::Red    ? "31"
                     : colour == Colour::Green  ? "32"
                                                : "33";
  return std::string("\033[") + code + "m" + text + "\033[0m";
}

Colour status_colour(std::string_view status) {
  if (status == "listed" || status == "confirmed") return Colour::Red;
  if (status == "allowlisted") return Colour::Green;
  if (status == "suspected") return Colour::Yellow;
  if (status == "revoked" || status == "expired") return Colour::Dim;
  return Colour::None;
}

std::string strip_colour(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033' && i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033' && i + 1 < s.size() && s[i + 1] == '[') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    n += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;  // code points: close enough for alignment
  }
  return n;
}

std::string bar(double value, double max, std::size_t width) {
  if (!(max > 0) || !(value > 0)) return "";
  static const bool utf8 = [] {
    for (const char* var : {"LC_ALL", "LC_CTYPE", "LANG"})
      if (const char* v = std::getenv(var); v && *v) {
        std::string s(v);
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return s.find("utf-8") != std::string::npos || s.find("utf8") != std::string::npos;
      }
    return false;
  }();
  const double cells = std::min(1.0, value / max) * static_cast<double>(width);
  if (!utf8) return std::string(std::max<std::size_t>(1, static_cast<std::size_t>(cells + 0.5)), '#');
  static const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const auto whole = static_cast<std::size_t>(cells);
  const auto eighths = static_cast<std::size_t>((cells - static_cast<double>(whole)) * 8);
  std::string out;
  for (std::size_t i = 0; i < whole; ++i) out += "█";
  out += kEighths[eighths];
  if (out.empty()) out = "▏";  // a non-zero count is never an empty bar
  return out;
}

int Listing::print(const Ctx& ctx) const {
  if (ctx.json) {
    for (const auto& o : objects) std::cout << o.dump(-1, ' ', false, core::Json::error_handler_t::replace) << "\n";
  } else if (ctx.csv) {
    auto line = [](const std::vector<std::string>& cells) {
      std::string out;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i) out += ',';
        blocklist::append_csv_field(out, strip_colour(cells[i]));
      }
      return out + "\n";
    };
    std::vector<std::string> names;
    for (const auto& h : header) {
      std::string n = h;
      std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return c == ' ' ? '_' : std::tolower(c); });
      names.push_back(n);
    }
    std::cout << line(names);
    for (const auto& r : rows) std::cout << line(r);
  } else {
    std::vector<std::size_t> width(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
    for (const auto& r : rows)
      for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
    auto print_row = [&](const std::vector<std::string>& r, bool head) {
      std::string out;
      for (std::size_t i = 0; i < r.size(); ++i) {
        const bool last = i + 1 == r.size();
        out += head ? paint(ctx, r[i], Colour::Bold) : r[i];
        if (!last) out += std::string(width[i] - display_width(r[i]) + 2, ' ');
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      std::cout << out << "\n";
    };
    print_row(header, true);
    for (const auto& r : rows) print_row(r, false);
  }
  return rows.empty() ? kNotFound : kFound;
}

std::optional<Written> run_write(Ctx& ctx, const core::Json& request, std::chrono::milliseconds timeout,
                                 const std::function<core::Result<core::Json>(storage::Store&)>& direct,
                                 std::string_view what) {
  const std::string path = admin_socket_path(ctx.config);
  if (!path.empty()) {
    auto resp = admin_request(path, request, timeout);
    if (resp) {
      if (!resp->value("ok", false)) {
        std::cerr << "smishctl: " << what << ": smishd refused it: " << resp->value("error", "no reason given") << "\n";
        return std::nullopt;
      }
      return Written{resp->value("result", core::Json()), "smishd"};
    }
    if (resp.error().code != core::ErrorCode::Unavailable) {
      std::cerr << "smishctl: " << what << ": " << resp.error().detail << "; the outcome is unknown (see smishctl audit)\n";
      return std::nullopt;
    }
  }
  // A mistyped path must not become a new, empty database that smishd never reads.
  if (!std::filesystem::exists(std::filesystem::path(ctx.config.storage.path) / "CURRENT")) {
    std::cerr << "smishctl: no database at " << ctx.config.storage.path << " (smishd creates it when it first starts)\n";
    return std::nullopt;
  }
  auto store = storage::Store::open(ctx.config.storage, storage::OpenMode::ReadWrite);
  if (!store) {
    const auto& detail = store.error().detail;
    if (detail.find("lock") != std::string::npos || detail.find("LOCK") != std::string::npos)
      std::cerr << "smishctl: the database " << ctx.config.storage.path << " is in use (smishd runs?) and "
                << (path.empty() ? "daemon.admin_socket is off" : "nothing answers on " + path) << "\n";
    else
      std::cerr << "smishctl: " << detail << "\n";
    return std::nullopt;
  }
  auto result = direct(**store);
  if (!result) {
    std::cerr << "smishctl: " << what << ": " << result.error().message() << "\n";
    return std::nullopt;
  }
  return Written{std::move(*result), "direct"};
}

}  // namespace smish::app
