// smishctl: reports, lookup, stats, top, export and analyze over the daemon's database (read-only).
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "args.hpp"
#include "ctl_commands.hpp"
#include "ctl_common.hpp"
#include "smish/app/config.hpp"
#include "smish/app/runtime.hpp"
#include "smish/app/main.hpp"
#include "smish/app/pipeline.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/classifier/model.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"

namespace smish::app {
namespace {

constexpr const char* kHelp =
    "usage: smishctl [--config FILE] [--set section.key=value ...] [--db DIR] [--json] COMMAND ...\n"
    "\n"
    "commands:\n"
    "  reports [--limit N] [--label L] [--category C] [--contains TEXT]   newest reports first\n"
    "  report ID                       one report with its text, extraction and reasons\n"
    "  lookup VALUE                    a number (any format), URL or domain: status and counts\n"
    "  stats                           reports by label and category\n"
    "  top numbers|domains|hosts|urls [--limit N]   indicators with the most distinct reporters\n"
    "  export [--out DIR] [--force] [--dry-run]   publish the blocklists once (a new serial);\n"
    "                                  --dry-run prints the diff against the current serial, --force\n"
    "                                  publishes past the circuit breaker (exit 3 when it refuses)\n"
    "  analyze [--input FILE] [--model MODEL]   JSONL {\"id\",\"text\"[,\"src\",\"region\"]} in, one verdict a line out\n"
    "  train --input FILE... --out MODEL [--seed N] [--epochs N]   train a model on labelled JSONL\n"
    "  eval --input FILE... [--model MODEL | --folds K] [--split test|train]   precision, recall, F1\n"
    "  label ID|VALUE scam|spam|legit [--category C] [--note TEXT]   an analyst's label\n"
    "  allow VALUE | block VALUE [--ttl D] | unblock VALUE | revoke VALUE --reason R [--ttl D]\n"
    "                                  decisions on a number, URL, domain or sender id ([--actor NAME])\n"
    "  audit [--limit N] [--target VALUE] [--verify]   the analysts' decisions; --verify checks the hash chain\n"
    "  backup --out DIR                a consistent copy of the database (RocksDB checkpoint), also while smishd runs\n"
    "\n"
    "Reads the database through a RocksDB secondary instance: safe while smishd runs.\n"
    "Exit: 0 found or done, 1 not found, 2 usage or configuration error.\n";

}  // namespace

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  auto display_len = [](const std::string& s) {  // UTF-8 code points, close enough for alignment
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_len(header[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_len(r[i]));
  auto print_row = [&](const std::vector<std::string>& r) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - display_len(r[i]) + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& r : rows) print_row(r);
}

std::string excerpt(const std::string& text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == max_chars) return out + "…";
      ++chars;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : text[i];
  }
  return out;
}

int open_store(Ctx& ctx) {
  auto store = storage::Store::open(ctx.config.storage, storage::OpenMode::Secondary);
  if (!store) {
    std::cerr << "smishctl: " << store.error().detail << "\n";
    return store.error().code == core::ErrorCode::NotFound ? kNotFound : kUsage;
  }
  ctx.store = std::move(*store);
  if (auto s = ctx.store->catch_up(); !s) std::cerr << "smishctl: warning: " << s.error().detail << "\n";
  return kFound;
}

namespace {

int cmd_reports(Ctx& ctx, const Args& a) {
  std::size_t limit = 20;
  if (auto l = a.get("limit")) limit = static_cast<std::size_t>(std::max(1, std::atoi(l->c_str())));
  auto label = a.get("label"), category = a.get("category"), contains = a.get("contains");
  if (label && !core::parse_label(*label)) {
    std::cerr << "smishctl: --label expects scam|spam|legit|unclear\n";
    return kUsage;
  }
  if (int rc = open_store(ctx); rc != kFound) return rc;
  std::vector<core::Report> found;
  auto s = ctx.store->scan_reports([&](const core::Report& r) {
    if (label && core::to_string(r.verdict.label) != *label) return true;
    if (category && r.verdict.category != *category) return true;
    if (contains && r.text.find(*contains) == std::string::npos) return true;
    found.push_back(r);
    return found.size() < limit;
  });
  if (!s) {
    std::cerr << "smishctl: " << s.error().message() << "\n";
    return kUsage;
  }
  if (ctx.json) {
    for (const auto& r : found) std::cout << core::to_json(r).dump() << "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : found)
      rows.push_back({std::to_string(r.id), core::format_utc(r.received_ms).substr(0, 19), r.reporter_country,
                      std::string(core::to_string(r.verdict.label)), r.verdict.category,
                      fmt::format("{:.2f}", r.verdict.score), excerpt(r.text, 60)});
    print_table({"ID", "RECEIVED", "CC", "LABEL", "CATEGORY", "SCORE", "TEXT"}, rows);
  }
  return found.empty() ? kNotFound : kFound;
}

int cmd_report(Ctx& ctx, const Args& a) {
  if (a.positional.size() != 2) {
    std::cerr << "usage: smishctl report ID\n";
    return kUsage;
  }
  char* end = nullptr;
  const auto id = std::strtoull(a.positional[1].c_str(), &end, 10);
  if (*end != '\0') {
    std::cerr << "smishctl: report ID must be a number\n";
    return kUsage;
  }
  if (int rc = open_store(ctx); rc != kFound) return rc;
  auto r = ctx.store->get_report(id);
  if (!r) {
    std::cerr << "smishctl: " << r.error().message() << "\n";
    return kUsage;
  }
  if (!r->has_value()) {
    std::cerr << "smishctl: no report " << id << "\n";
    return kNotFound;
  }
  const auto& rep = **r;
  if (ctx.json) {
    std::cout << core::to_json(rep).dump(2) << "\n";
    return kFound;
  }
  std::cout << fmt::format("report {}\nreceived  {}\nreporter  {} ({})\nsmsc      {} -> {}\ncoding    data_coding {} in {} part(s), flags {}\n",
                           rep.id, core::format_utc(rep.received_ms), rep.reporter, rep.reporter_country, rep.smsc,
                           rep.dest, rep.data_coding, rep.parts, rep.text_flags);
  std::cout << fmt::format("verdict   {} / {} (score {:.2f}, language {}, {})\n", core::to_string(rep.verdict.label),
                           rep.verdict.category, rep.verdict.score, rep.verdict.language, rep.verdict.model_version);
  std::cout << "text\n  " << rep.text << "\n";
  for (const auto& n : rep.extraction.numbers)
    std::cout << "number    " << n.e164 << "  [" << fmt::format("{}", fmt::join(n.flags, ",")) << "]\n";
  for (const auto& u : rep.extraction.urls)
    std::cout << "url       " << u.url << "  domain " << u.domain << "  [" << fmt::format("{}", fmt::join(u.flags, ",")) << "]\n";
  for (const auto& reason : rep.verdict.reasons) std::cout << "reason    " << reason << "\n";
  for (const auto& pdu : rep.raw_pdus) std::cout << "pdu       " << core::to_hex(pdu) << "\n";
  return kFound;
}

std::vector<std::pair<core::IndicatorKind, std::string>> lookup_keys(const Ctx& ctx, const std::string& value) {
  std::vector<std::pair<core::IndicatorKind, std::string>> keys;
  classifier::Extractor extractor(ctx.config.extract);
  bool digits_only = !value.empty() && value.find_first_not_of("+0123456789 ()-.") == std::string::npos;
  if (digits_only) {
    if (auto e164 = classifier::to_e164(value, ctx.config.extract.default_region))
      keys.emplace_back(core::IndicatorKind::Number, *e164);
    keys.emplace_back(core::IndicatorKind::Number, value);  // short codes are stored as written
    return keys;
  }
  auto ex = extractor.extract(value, ctx.config.extract.default_region);
  for (const auto& u : ex.urls) {
    if (value.find('/') != std::string::npos) keys.emplace_back(core::IndicatorKind::Url, u.url);
    keys.emplace_back(core::IndicatorKind::Host, u.host);
    keys.emplace_back(core::IndicatorKind::Domain, u.domain);
  }
  if (keys.empty()) {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    keys.emplace_back(core::IndicatorKind::Domain, lower);
    keys.emplace_back(core::IndicatorKind::Host, lower);
    keys.emplace_back(core::IndicatorKind::SenderId, value);
  }
  return keys;
}

int cmd_lookup(Ctx& ctx, const Args& a) {
  if (a.positional.size() != 2) {
    std::cerr << "usage: smishctl lookup VALUE\n";
    return kUsage;
  }
  if (int rc = open_store(ctx); rc != kFound) return rc;
  std::vector<core::Indicator> found;
  std::set<std::pair<core::IndicatorKind, std::string>> seen;
  for (const auto& [kind, key] : lookup_keys(ctx, a.positional[1])) {
    if (!seen.emplace(kind, key).second) continue;
    auto ind = ctx.store->get_indicator(kind, key);
    if (!ind) {
      std::cerr << "smishctl: " << ind.error().message() << "\n";
      return kUsage;
    }
    if (ind->has_value()) found.push_back(**ind);
  }
  if (found.empty()) {
    if (!ctx.json) std::cerr << "smishctl: " << a.positional[1] << " has never been reported\n";
    return kNotFound;
  }
  const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  for (auto& ind : found) {
    blocklist::evaluate(ind, ctx.config.blocklist, now_ms);
    if (ctx.json) {
      auto j = core::to_json(ind);
      j.erase("reporters");  // pseudonyms stay in the database
      std::cout << j.dump() << "\n";
      continue;
    }
    std::cout << fmt::format("{} {}\n  status     {} ({}, by {})\n  reports    {} from {} distinct reporters\n"
                             "  seen       {} .. {}\n  category   {}   max score {:.2f}\n",
                             core::to_string(ind.kind), ind.value, core::to_string(ind.status), ind.status_reason,
                             ind.status_actor, ind.total_reports, ind.distinct_reporters,
                             core::format_utc(ind.first_seen_ms), core::format_utc(ind.last_seen_ms),
                             ind.top_category(), ind.max_score);
    for (auto it = ind.recent_reports.rbegin(); it != ind.recent_reports.rend() && it - ind.recent_reports.rbegin() < 5; ++it) {
      auto r = ctx.store->get_report(*it);
      if (r && r->has_value()) std::cout << fmt::format("  report {:>6}  {}\n", *it, excerpt((*r)->text, 70));
    }
  }
  return kFound;
}

int cmd_stats(Ctx& ctx, const Args&) {
  if (int rc = open_store(ctx); rc != kFound) return rc;
  std::map<std::string, std::uint64_t> by_label, by_category;
  std::uint64_t total = 0;
  auto s = ctx.store->scan_reports([&](const core::Report& r) {
    ++total;
    ++by_label[std::string(core::to_string(r.verdict.label))];
    ++by_category[r.verdict.category];
    return true;
  });
  if (!s) {
    std::cerr << "smishctl: " << s.error().message() << "\n";
    return kUsage;
  }
  if (ctx.json) {
    std::cout << core::Json{{"reports", total}, {"by_label", by_label}, {"by_category", by_category}}.dump() << "\n";
    return kFound;
  }
  std::vector<std::pair<std::string, std::uint64_t>> cats(by_category.begin(), by_category.end());
  std::sort(cats.begin(), cats.end(), [](auto& x, auto& y) { return x.second > y.second; });
  const std::uint64_t most = cats.empty() ? 1 : cats.front().second;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [cat, n] : cats)
    rows.push_back({cat, std::to_string(n), std::string(static_cast<std::size_t>(30 * n / most), '#')});
  print_table({"CATEGORY", "REPORTS", ""}, rows);
  std::cout << fmt::format("\n{} reports:", total);
  for (const auto& [label, n] : by_label) std::cout << fmt::format(" {} {}", label, n);
  std::cout << "\n";
  return total ? kFound : kNotFound;
}

int cmd_top(Ctx& ctx, const Args& a) {
  static const std::map<std::string, core::IndicatorKind> kinds = {{"numbers", core::IndicatorKind::Number},
                                                                   {"domains", core::IndicatorKind::Domain},
                                                                   {"hosts", core::IndicatorKind::Host},
                                                                   {"urls", core::IndicatorKind::Url}};
  if (a.positional.size() != 2 || !kinds.count(a.positional[1])) {
    std::cerr << "usage: smishctl top numbers|domains|hosts|urls [--limit N]\n";
    return kUsage;
  }
  std::size_t limit = 10;
  if (auto l = a.get("limit")) limit = static_cast<std::size_t>(std::max(1, std::atoi(l->c_str())));
  if (int rc = open_store(ctx); rc != kFound) return rc;
  const auto kind = kinds.at(a.positional[1]);
  const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  std::vector<core::Indicator> all;
  auto s = ctx.store->scan_indicators([&](const core::Indicator& i) {
    if (i.kind == kind) {
      all.push_back(i);
      blocklist::evaluate(all.back(), ctx.config.blocklist, now_ms);
    }
    return true;
  });
  if (!s) {
    std::cerr << "smishctl: " << s.error().message() << "\n";
    return kUsage;
  }
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return std::tie(x.distinct_reporters, x.total_reports) > std::tie(y.distinct_reporters, y.total_reports);
  });
  if (all.size() > limit) all.resize(limit);
  if (ctx.json) {
    for (auto& i : all) {
      auto j = core::to_json(i);
      j.erase("reporters");
      std::cout << j.dump() << "\n";
    }
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : all)
      rows.push_back({i.value, std::to_string(i.distinct_reporters), std::to_string(i.total_reports),
                      std::string(core::to_string(i.status)), i.top_category()});
    print_table({"VALUE", "REPORTERS", "REPORTS", "STATUS", "CATEGORY"}, rows);
  }
  return all.empty() ? kNotFound : kFound;
}

int cmd_export(Ctx& ctx, const Args& a) {
  constexpr int kRefused = 3;  // the circuit breaker held the export back
  if (auto out = a.get("out")) ctx.config.exporter.out_dir = *out;
  blocklist::ExportOptions opts;
  opts.force = a.has("force");
  opts.dry_run = a.has("dry-run");
  auto exporter = blocklist::Exporter::create(ctx.config.blocklist, ctx.config.exporter);
  if (!exporter) {
    std::cerr << "smishctl: export: " << exporter.error().message() << "\n";
    return kUsage;
  }
  if (int rc = open_store(ctx); rc != kFound) return rc;
  auto r = (*exporter)->run(*ctx.store, core::to_unix_ms(core::SystemClock::instance().now()), opts);
  if (!r) {
    std::cerr << "smishctl: export: " << r.error().message() << "\n";
    return kUsage;
  }
  const int rc = r->outcome == blocklist::ExportOutcome::Refused ? kRefused : kFound;
  if (ctx.json) {
    core::Json j{{"outcome", blocklist::to_string(r->outcome)}, {"serial", r->serial},
                 {"previous_serial", r->previous_serial}, {"numbers", r->numbers}, {"sender_ids", r->sender_ids},
                 {"domains", r->domains}, {"hosts", r->hosts}, {"urls", r->urls}, {"allowlisted", r->allowlisted},
                 {"withheld_protected", r->protected_skipped}, {"withheld_invalid", r->invalid_skipped},
                 {"added", r->delta.added()}, {"removed", r->delta.removed()}, {"files", r->files}};
    if (!r->refusal.empty()) j["refusal"] = r->refusal;
    std::cout << j.dump() << "\n";
    if (opts.dry_run)
      for (const auto& e : r->delta.entries) {
        const auto [kind, value] = blocklist::split_key(e.key);
        core::Json d{{"op", e.added ? "add" : "remove"}, {"kind", kind}, {"value", value}};
        if (!e.added) d["reason"] = blocklist::to_string(e.reason);
        std::cout << d.dump(-1, ' ', false, core::Json::error_handler_t::replace) << "\n";
      }
    return rc;
  }
  std::cout << fmt::format("export {} serial {}: {} numbers, {} sender ids, {} domains, {} hosts, {} URLs "
                           "({} added, {} removed since serial {})\n",
                           blocklist::to_string(r->outcome), r->serial, r->numbers, r->sender_ids, r->domains,
                           r->hosts, r->urls, r->delta.added(), r->delta.removed(), r->previous_serial);
  if (!r->refusal.empty())
    std::cout << (r->outcome == blocklist::ExportOutcome::Refused ? "refused: " : "would be refused: ") << r->refusal
              << (opts.force ? "" : " (--force publishes anyway)") << "\n";
  if (r->protected_skipped + r->invalid_skipped > 0)
    std::cout << fmt::format("withheld: {} protected, {} invalid\n", r->protected_skipped, r->invalid_skipped);
  if (opts.dry_run)
    for (const auto& e : r->delta.entries)
      std::cout << (e.added ? "+ " : "- ") << e.key << (e.added ? "" : fmt::format("  ({})", blocklist::to_string(e.reason)))
                << "\n";
  for (const auto& f : r->files) std::cout << "  " << f << "\n";
  return rc;
}

int cmd_analyze(Ctx& ctx, const Args& a) {
  auto rules = classifier::RuleSet::load_dir(ctx.config.classify.rules_dir);
  if (!rules) {
    std::cerr << "smishctl: rules: " << rules.error().detail << "\n";
    return kUsage;
  }
  if (auto path = a.get("model")) ctx.config.classify.model_file = *path;
  auto model = classifier::load_configured_model(ctx.config.classify);
  if (!model) {
    std::cerr << "smishctl: model: " << model.error().detail << "\n";
    return kUsage;
  }
  classifier::Extractor extractor(ctx.config.extract);
  classifier::Classifier classifier(*rules, ctx.config.classify, *model);
  std::ifstream file;
  std::istream* in = &std::cin;
  if (auto path = a.get("input"); path && *path != "-") {
    file.open(*path);
    if (!file) {
      std::cerr << "smishctl: cannot read " << *path << "\n";
      return kUsage;
    }
    in = &file;
  }
  std::string line;
  std::size_t lineno = 0, bad = 0;
  while (std::getline(*in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = core::Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      std::cerr << "smishctl: analyze: line " << lineno << ": expected a JSON object with a \"text\" string\n";
      ++bad;
      continue;
    }
    std::string region = j.value("region", "");
    if (region.empty() && j.contains("src") && j["src"].is_string()) {
      const auto src = j["src"].get<std::string>();
      if (auto e164 = classifier::to_e164(src, ctx.config.extract.default_region)) region = classifier::region_of(*e164);
    }
    const auto analysis = analyze_text(extractor, classifier, j["text"].get<std::string>(), region);
    std::cout << analysis_json(j.value("id", core::Json(lineno)), analysis).dump() << "\n";
  }
  return bad ? kUsage : kFound;
}

/// Every command: name, one help line, handler. Handlers in other files are declared in ctl_commands.hpp.
struct Command {
  const char* name;
  int (*run)(Ctx&, const Args&);
};

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"reports", cmd_reports}, {"report", cmd_report}, {"lookup", cmd_lookup}, {"stats", cmd_stats},
      {"top", cmd_top},         {"export", cmd_export}, {"analyze", cmd_analyze},
      {"train", cmd_train},     {"eval", cmd_eval},     {"label", cmd_label},     {"allow", cmd_allow},
      {"block", cmd_block},     {"unblock", cmd_unblock}, {"revoke", cmd_revoke},  {"audit", cmd_audit},
      {"backup", cmd_backup},
  };
  return table;
}

/// Options that take a value, for every command.
const std::set<std::string> kValued = {"config", "set", "db", "limit", "label", "category", "contains", "out", "input",
                                       "model", "folds", "seed", "split", "group", "epochs", "evidence-weight",
                                       "hash-bits", "actor", "note", "reason", "ttl", "target"};
const std::set<std::string> kFlags = {"help", "json", "force", "dry-run", "verify"};

}  // namespace

int smishctl_main(int argc, char** argv) {
  auto args = parse_args(argc, argv, 1, kValued, kFlags);
  if (!args.error.empty()) {
    std::cerr << "smishctl: " << args.error << "\n" << kHelp;
    return kUsage;
  }
  if (args.has("help") || args.positional.empty()) {
    (args.has("help") ? std::cout : std::cerr) << kHelp;
    return args.has("help") ? kFound : kUsage;
  }
  std::vector<std::string> overrides = args.all("set");
  if (auto db = args.get("db")) overrides.push_back("storage.path=" + *db);
  ConfigErrors errors;
  auto config = load_config(args.get("config").value_or(""), overrides, errors);
  if (!config) {
    for (const auto& p : errors.problems) std::cerr << "smishctl: config: " << p << "\n";
    return kUsage;
  }
  core::set_log_level(core::LogLevel::Warn);
  // The protected brands, as smishd loads them: extraction flags look-alikes of them and the listing
  // policy never lists their own values. smishd refuses to start without them; smishctl still
  // answers (an analyst may run it where the relative default path does not resolve) and says so.
  if (auto s = attach_brands(*config); !s)
    std::cerr << "smishctl: brands: " << s.error().detail << " (continuing without protected brands)\n";
  Ctx ctx{std::move(*config), args.has("json"), nullptr};
  const std::string& cmd = args.positional[0];
  for (const auto& c : commands())
    if (cmd == c.name) return c.run(ctx, args);
  std::cerr << "smishctl: unknown command " << cmd << "\n" << kHelp;
  return kUsage;
}

}  // namespace smish::app
