// The configuration schema: every key with its type, range, default and help, and the YAML loader.
#include "smish/app/config.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace smish::app {
namespace {

/// One configuration key. `set` parses a scalar (or a list for list keys) and returns "" or what
/// was expected; `show` renders the current value as YAML for the example file.
struct Field {
  std::string path;
  std::string help;
  bool list = false;
  bool secret = false;
  std::function<std::string(const std::string&)> set;
  std::function<std::string(const std::vector<std::string>&)> set_list;
  std::function<std::string()> show;
};

std::string quoted(const std::string& v) { return fmt::format("\"{}\"", v); }

template <typename Int>
Field int_field(std::string path, Int& ref, Int lo, Int hi, std::string help) {
  return Field{std::move(path), std::move(help), false, false,
               [&ref, lo, hi](const std::string& v) -> std::string {
                 Int out{};
                 const char* end = v.data() + v.size();
                 auto [ptr, ec] = std::from_chars(v.data(), end, out);
                 if (ec != std::errc() || ptr != end || out < lo || out > hi)
                   return fmt::format("expected an integer in {}..{}, got {}", lo, hi, quoted(v));
                 ref = out;
                 return "";
               },
               nullptr, [&ref] { return std::to_string(ref); }};
}

Field status_field(std::string path, std::uint32_t& ref, std::string help) {
  return Field{std::move(path), std::move(help), false, false,
               [&ref](const std::string& v) -> std::string {
                 std::uint32_t out = 0;
                 bool hex = v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
                 const char* begin = v.data() + (hex ? 2 : 0);
                 const char* end = v.data() + v.size();
                 auto [ptr, ec] = std::from_chars(begin, end, out, hex ? 16 : 10);
                 if (v.empty() || ec != std::errc() || ptr != end)
                   return fmt::format("expected an SMPP command_status such as 0x64, got {}", quoted(v));
                 ref = out;
                 return "";
               },
               nullptr, [&ref] { return fmt::format("0x{:x}", ref); }};
}

Field double_field(std::string path, double& ref, double lo, double hi, std::string help) {
  return Field{std::move(path), std::move(help), false, false,
               [&ref, lo, hi](const std::string& v) -> std::string {
                 char* end = nullptr;
                 double out = std::strtod(v.c_str(), &end);
                 if (v.empty() || end != v.c_str() + v.size() || !(out >= lo && out <= hi))
                   return fmt::format("expected a number in {}..{}, got {}", lo, hi, quoted(v));
                 ref = out;
                 return "";
               },
               nullptr, [&ref] { return fmt::format("{}", ref); }};
}

Field bool_field(std::string path, bool& ref, std::string help) {
  return Field{std::move(path), std::move(help), false, false,
               [&ref](const std::string& v) -> std::string {
                 if (v == "true" || v == "yes" || v == "on") { ref = true; return ""; }
                 if (v == "false" || v == "no" || v == "off") { ref = false; return ""; }
                 return fmt::format("expected true or false, got {}", quoted(v));
               },
               nullptr, [&ref] { return std::string(ref ? "true" : "false"); }};
}

Field string_field(std::string path, std::string& ref, std::size_t max_len, std::string help, bool secret = false) {
  return Field{std::move(path), std::move(help), false, secret,
               [&ref, max_len, secret](const std::string& v) -> std::string {
                 if (v.size() > max_len)
                   return secret ? fmt::format("longer than {} characters", max_len)
                                 : fmt::format("longer than {} characters: {}", max_len, quoted(v));
                 ref = v;
                 return "";
               },
               nullptr, [&ref, secret] { return secret ? std::string("\"\"") : quoted(ref); }};
}

Field choice_field(std::string path, std::vector<std::string> choices, std::function<void(const std::string&)> apply,
                   std::function<std::string()> show, std::string help) {
  return Field{std::move(path), std::move(help), false, false,
               [choices, apply](const std::string& v) -> std::string {
                 for (const auto& c : choices)
                   if (c == v) { apply(v); return ""; }
                 std::string all;
                 for (const auto& c : choices) all += (all.empty() ? "" : "|") + c;
                 return fmt::format("expected one of {}, got {}", all, quoted(v));
               },
               nullptr, std::move(show)};
}

Field list_field(std::string path, std::vector<std::string>& ref, std::string help,
                 std::function<std::string(const std::string&)> check = nullptr) {
  Field f{std::move(path), std::move(help), true, false, nullptr, nullptr, nullptr};
  f.set_list = [&ref, check](const std::vector<std::string>& items) -> std::string {
    for (const auto& item : items)
      if (check)
        if (auto e = check(item); !e.empty()) return e;
    ref = items;
    return "";
  };
  f.show = [&ref] {
    std::string out = "[";
    for (std::size_t i = 0; i < ref.size(); ++i) out += (i ? ", " : "") + quoted(ref[i]);
    return out + "]";
  };
  return f;
}

std::string check_region(const std::string& v) {
  if (v.size() == 2 && std::isupper(static_cast<unsigned char>(v[0])) && std::isupper(static_cast<unsigned char>(v[1])))
    return "";
  return fmt::format("expected an ISO 3166 region such as LV, got {}", quoted(v));
}

std::string check_endpoint(const std::string& v) {
  auto colon = v.rfind(':');
  int port = 0;
  if (colon != std::string::npos && colon > 0) {
    const char* end = v.data() + v.size();
    auto [ptr, ec] = std::from_chars(v.data() + colon + 1, end, port);
    if (ec == std::errc() && ptr == end && port >= 1 && port <= 65535) return "";
  }
  return fmt::format("expected host:port with a port in 1..65535, got {}", quoted(v));
}

/// The schema over a Config; fields point into `c`.
std::vector<Field> schema(Config& c, std::string& password_file, std::string& password_env) {
  using gateway::BindMode;
  std::vector<Field> f;
  // smsc
  f.push_back(string_field("smsc.name", c.smsc.name, 32, "names the endpoint in logs and reports"));
  f.push_back(string_field("smsc.host", c.smsc.host, 255, "the SMSC's address"));
  f.push_back(int_field("smsc.port", c.smsc.port, 1, 65535, "the SMSC's SMPP port"));
  f.push_back(list_field("smsc.endpoints", c.smsc.endpoints, "\"host:port\" list tried in turn (failover); empty: host and port",
                         check_endpoint));
  f.push_back(int_field("smsc.binds", c.smsc.binds, 1, 64, "concurrent binds to this SMSC"));
  f.push_back(string_field("smsc.system_id", c.smsc.system_id, 15, "bind system_id (SMPP 3.4: at most 15 characters)"));
  f.push_back(string_field("smsc.password", c.smsc.password, 8, "bind password (at most 8); prefer password_file", true));
  f.push_back(string_field("smsc.password_file", password_file, 4096, "file holding the bind password"));
  f.push_back(string_field("smsc.password_env", password_env, 128, "environment variable holding the bind password"));
  f.push_back(string_field("smsc.system_type", c.smsc.system_type, 12, "bind system_type (at most 12)"));
  f.push_back(choice_field("smsc.bind_mode", {"transceiver", "receiver"},
                           [&c](const std::string& v) { c.smsc.bind_mode = v == "receiver" ? BindMode::Receiver : BindMode::Transceiver; },
                           [&c] { return std::string(gateway::to_string(c.smsc.bind_mode)); },
                           "transceiver (reports and replies on one bind) or receiver (replies on an extra transmitter bind)"));
  f.push_back(int_field("smsc.submit_window", c.smsc.submit_window, 1, 1000, "submit_sm awaiting their response at once"));
  f.push_back(int_field("smsc.throttle_backoff_ms", c.smsc.throttle_backoff_ms, 10, 60000, "pause after ESME_RTHROTTLED or ESME_RMSGQFUL; doubles up to 60 s"));
  f.push_back(bool_field("smsc.tls", c.smsc.tls, "SMPP over TLS; the SMSC's certificate is always verified"));
  f.push_back(string_field("smsc.tls_ca_file", c.smsc.tls_ca_file, 4096, "CA bundle for the SMSC's certificate (empty: system store)"));
  f.push_back(string_field("smsc.tls_server_name", c.smsc.tls_server_name, 255, "name the certificate must carry (empty: the host)"));
  f.push_back(int_field("smsc.enquire_link_interval_s", c.smsc.enquire_link_interval_s, 1, 3600, "probe after this long without a PDU from the SMSC"));
  f.push_back(int_field("smsc.response_timeout_ms", c.smsc.response_timeout_ms, 100, 120000, "wait for bind_resp, enquire_link_resp, unbind_resp"));
  f.push_back(int_field("smsc.reconnect_min_ms", c.smsc.reconnect_min_ms, 10, 600000, "first reconnect delay (doubles, with jitter)"));
  f.push_back(int_field("smsc.reconnect_max_ms", c.smsc.reconnect_max_ms, 10, 3600000, "longest reconnect delay"));
  f.push_back(int_field("smsc.max_pdu_size", c.smsc.max_pdu_size, 64, 1 << 20, "largest command_length accepted"));
  f.push_back(int_field("smsc.max_in_flight", c.smsc.max_in_flight, 1, 1000000, "deliver_sm awaiting storage; beyond it the temporary status"));
  f.push_back(int_field("smsc.drain_timeout_ms", c.smsc.drain_timeout_ms, 0, 60000, "on stop, wait this long for in-flight storage before unbinding"));
  f.push_back(status_field("smsc.temp_error_status", c.smsc.temp_error_status,
                           "deliver_sm_resp status when storage fails; the SMSC must retry it (ESME_RX_T_APPN)"));
  f.push_back(status_field("smsc.perm_error_status", c.smsc.perm_error_status,
                           "deliver_sm_resp status for a malformed message (ESME_RX_P_APPN)"));
  f.push_back(bool_field("smsc.gsm7_packed", c.smsc.text.gsm7_packed, "is data_coding 0 septet-packed on this SMSC?"));
  f.push_back(choice_field("smsc.dcs0_charset", {"gsm7", "latin1", "utf8"},
                           [&c](const std::string& v) {
                             if (v == "gsm7") c.smsc.text.dcs0_override.reset();
                             else c.smsc.text.dcs0_override = gateway::text::parse_charset(v);
                           },
                           [&c] {
                             return std::string(c.smsc.text.dcs0_override ? gateway::text::to_string(*c.smsc.text.dcs0_override) : "gsm7");
                           },
                           "how this SMSC's data_coding 0 is read (GSM 03.38 unless it deviates)"));
  // storage
  f.push_back(string_field("storage.path", c.storage.path, 4096, "the RocksDB directory"));
  f.push_back(bool_field("storage.sync_ack_writes", c.storage.sync_ack_writes, "fsync the WAL before acknowledging (false is refused)"));
  f.push_back(int_field<std::int64_t>("storage.dedup_window_s", c.storage.dedup_window_s, 0, 30LL * 86400, "redeliveries within this window are recognised"));
  f.push_back(int_field<std::int64_t>("storage.reassembly_timeout_s", c.storage.reassembly_timeout_s, 1, 7LL * 86400, "incomplete concatenations become gap reports after it"));
  f.push_back(int_field<std::int64_t>("storage.max_pending_parts", c.storage.max_pending_parts, 16, 100000000, "beyond it the oldest incomplete concatenations become gap reports early"));
  f.push_back(int_field<std::int64_t>("storage.max_pending_bytes", c.storage.max_pending_bytes, 4096, 1LL << 40, "the same bound in user-data octets"));
  f.push_back(int_field<std::int64_t>("storage.raw_retention_days", c.storage.raw_retention_days, 1, 3650, "reports older than this keep indicators and a text fingerprint, not the text or PDUs"));
  f.push_back(string_field("storage.pseudonym_key_file", c.storage.pseudonym_key_file, 4096, "file with the reporter-pseudonym HMAC key (>= 16 octets)"));
  f.push_back(string_field("storage.pseudonym_key_env", c.storage.pseudonym_key_env, 128, "environment variable with the key, when no file is set"));
  // classifier
  f.push_back(string_field("classifier.rules_dir", c.classify.rules_dir, 4096, "directory of rules/<lang>.yaml"));
  f.push_back(double_field("classifier.scam_threshold", c.classify.scam_threshold, 0.0, 1.0, "score at or above it: label scam"));
  f.push_back(double_field("classifier.spam_threshold", c.classify.spam_threshold, 0.0, 1.0, "advertising score at or above it: label spam"));
  f.push_back(string_field("classifier.model_file", c.classify.model_file, 4096, "trained model from smishctl train; empty: rules only"));
  f.push_back(Field{"classifier.default_region", "region for numbers when the reporter's is unknown", false, false,
                    [&c](const std::string& v) { auto e = check_region(v); if (e.empty()) c.extract.default_region = v; return e; },
                    nullptr, [&c] { return quoted(c.extract.default_region); }});
  f.push_back(list_field("classifier.fallback_regions", c.extract.fallback_regions, "regions tried after the reporter's", check_region));
  f.push_back(list_field("classifier.service_numbers", c.extract.service_numbers, "the report number(s) itself; never an indicator"));
  c.extract.brands_file = "configs/brands.yaml";  // smishd's default; the library's own is none
  f.push_back(string_field("classifier.brands_file", c.extract.brands_file, 4096, "protected brands: legitimate domains, sender IDs, short codes; look-alikes are flagged"));
  // blocklist
  f.push_back(int_field("blocklist.min_reporters", c.blocklist.min_reporters, 1, 1000, "distinct reporters needed within the window to list"));
  f.push_back(int_field<std::int64_t>("blocklist.window_h", c.blocklist.window_h, 1, 24 * 365, "window the reporters are counted in"));
  f.push_back(double_field("blocklist.score_threshold", c.blocklist.score_threshold, 0.0, 1.0, "scam score an indicator's reports must reach"));
  f.push_back(int_field<std::int64_t>("blocklist.number_expiry_days", c.blocklist.number_expiry_days, 1, 3650, "a listed number lapses this long after its last report"));
  f.push_back(int_field<std::int64_t>("blocklist.url_expiry_days", c.blocklist.url_expiry_days, 1, 3650, "same for URLs, hosts and domains"));
  f.push_back(int_field("blocklist.reporter_max_per_hour", c.blocklist.reporter_max_per_hour, 1, 1000000, "a reporter's reports beyond it in one hour weigh nothing"));
  f.push_back(int_field("blocklist.reporter_max_per_day", c.blocklist.reporter_max_per_day, 1, 1000000, "the same per UTC day"));
  f.push_back(double_field("blocklist.burst_newcomer_fraction", c.blocklist.burst_newcomer_fraction, 0.0, 1.0, "hold for review when this fraction of the window's reporters are first-time (0: off)"));
  f.push_back(int_field("blocklist.burst_min_newcomers", c.blocklist.burst_min_newcomers, 1, 1000000, "first-time reporters in the window that make a burst"));
  f.push_back(int_field<std::int64_t>("blocklist.newcomer_age_h", c.blocklist.newcomer_age_h, 0, 24 * 365, "a reporter counts as first-time this long after its first report"));
  f.push_back(list_field("blocklist.allow_numbers", c.blocklist.allow_numbers, "E.164 numbers never listed (the operator's own)"));
  f.push_back(list_field("blocklist.allow_domains", c.blocklist.allow_domains, "domains never listed, subdomains included"));
  // export
  f.push_back(string_field("export.out_dir", c.exporter.out_dir, 4096, "where the blocklist files are published"));
  f.push_back(int_field<std::int64_t>("export.interval_s", c.exporter.interval_s, 0, 86400, "how often smishd exports (0: never; smishctl export still works)"));
  f.push_back(string_field("export.signing_key_file", c.exporter.signing_key_file, 4096, "PEM Ed25519 key signing manifest.json (empty: unsigned)"));
  f.push_back(double_field("export.max_change_fraction", c.exporter.max_change_fraction, 0.0, 1000.0, "circuit breaker: refuse a change of more than this fraction of the entries"));
  f.push_back(int_field<std::int64_t>("export.breaker_min_changes", c.exporter.breaker_min_changes, 0, 1000000000, "...once at least this many entries change (small lists change by large fractions)"));
  f.push_back(int_field<std::int64_t>("export.keep_serials", c.exporter.keep_serials, 1, 1000, "serial directories kept; deltas are offered from each"));
  f.push_back(string_field("export.rpz_zone", c.exporter.rpz_zone, 200, "origin of rpz.zone (the DNS firewall's policy zone)"));
  f.push_back(string_field("export.serve_listen", c.exporter.serve_listen, 256, "pull endpoint host:port, e.g. 127.0.0.1:8080 (empty: off)"));
  f.push_back(string_field("export.bearer_token_file", c.exporter.bearer_token_file, 4096, "file with the pull endpoint's bearer token (needed beyond loopback)"));
  f.push_back(string_field("export.tls_cert_file", c.exporter.tls_cert_file, 4096, "PEM certificate chain: serve HTTPS (empty: plain HTTP)"));
  f.push_back(string_field("export.tls_key_file", c.exporter.tls_key_file, 4096, "PEM private key of tls_cert_file"));
  // replies
  f.push_back(bool_field("replies.enabled", c.replies.enabled, "thank reporters and ask for the sender when the forward lacks it"));
  f.push_back(string_field("replies.templates_file", c.replies.templates_file, 4096, "reply texts per language"));
  f.push_back(int_field("replies.max_per_day", c.replies.max_per_day, 0, 1000, "replies per reporter per UTC day"));
  f.push_back(int_field("replies.conversation_window_s", c.replies.conversation_window_s, 10, 86400, "how long the question for the sender waits for its answer"));
  f.push_back(string_field("replies.source_addr", c.replies.source_addr, 20, "the short code replies come from"));
  f.push_back(int_field("replies.source_ton", c.replies.source_ton, 0, 6, "its addr_ton (SMPP 3.4 §5.2.5)"));
  f.push_back(int_field("replies.source_npi", c.replies.source_npi, 0, 18, "its addr_npi (SMPP 3.4 §5.2.6)"));
  f.push_back(bool_field("replies.registered_delivery", c.replies.registered_delivery, "ask the SMSC for delivery receipts"));
  f.push_back(int_field("replies.retry_backoff_s", c.replies.retry_backoff_s, 1, 86400, "wait before resending a reply the SMSC could not take"));
  f.push_back(int_field("replies.max_attempts", c.replies.max_attempts, 1, 1000, "then the reply is dropped and counted"));
  // log
  f.push_back(choice_field("log.level", {"debug", "info", "warn", "error", "off"},
                           [&c](const std::string& v) { core::parse_log_level(v, c.log.level); },
                           [&c] { return std::string(core::to_string(c.log.level)); }, "least severe level written"));
  f.push_back(choice_field("log.format", {"kv", "json"},
                           [&c](const std::string& v) { c.log.format = v == "json" ? core::LogFormat::Json : core::LogFormat::KeyValue; },
                           [&c] { return std::string(c.log.format == core::LogFormat::Json ? "json" : "kv"); }, "key=value lines or JSON lines"));
  f.push_back(bool_field("log.content", c.log.content, "log message text and full numbers (debugging only)"));
  // daemon
  f.push_back(int_field("daemon.process_interval_ms", c.daemon.process_interval_ms, 10, 600000, "sweep interval for pending work"));
  f.push_back(string_field("daemon.metrics_listen", c.daemon.metrics_listen, 262,
                           "host:port of the Prometheus /metrics, /health and /ready endpoint (port 0 picks one; off = none)"));
  f.push_back(string_field("daemon.admin_socket", c.daemon.admin_socket, 107,
                           "Unix socket (mode 0600) smishctl's label/allow/block/revoke go through; \"\" = <storage.path>.admin.sock, off = none"));
  return f;
}

std::string scalar_of(const YAML::Node& node, bool& ok) {
  ok = node.IsScalar();
  return ok ? node.Scalar() : std::string();
}

void apply_node(Field& field, const YAML::Node& node, const std::string& where, std::vector<std::string>& problems) {
  if (field.list) {
    std::vector<std::string> items;
    if (!node.IsSequence()) {
      problems.push_back(fmt::format("{}: expected a list{}", field.path, where));
      return;
    }
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        problems.push_back(fmt::format("{}: expected a list of strings{}", field.path, where));
        return;
      }
      items.push_back(item.Scalar());
    }
    if (auto e = field.set_list(items); !e.empty()) problems.push_back(fmt::format("{}: {}{}", field.path, e, where));
    return;
  }
  bool ok = false;
  std::string value = scalar_of(node, ok);
  if (!ok) {
    problems.push_back(fmt::format("{}: expected a single value, got a {}{}", field.path,
                                   node.IsMap() ? "map" : node.IsSequence() ? "list" : "null", where));
    return;
  }
  if (auto e = field.set(value); !e.empty()) problems.push_back(fmt::format("{}: {}{}", field.path, e, where));
}

std::string line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line >= 0 ? fmt::format(" (line {})", mark.line + 1) : "";
}

}  // namespace

core::Result<Config> load_config(const std::string& path, const std::vector<std::string>& overrides,
                                 ConfigErrors& errors) {
  Config config;
  config.source = path;
  std::string password_file, password_env;
  auto fields = schema(config, password_file, password_env);
  std::map<std::string, Field*> by_path;
  std::map<std::string, bool> sections;
  for (auto& f : fields) {
    by_path[f.path] = &f;
    sections[f.path.substr(0, f.path.find('.'))] = true;
  }
  auto& problems = errors.problems;

  if (!path.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      problems.push_back(fmt::format("{}: cannot read the file", path));
    } catch (const YAML::ParserException& e) {
      problems.push_back(fmt::format("{}: not valid YAML: {} (line {})", path, e.msg, e.mark.line + 1));
    }
    if (problems.empty() && root && !root.IsNull()) {
      if (!root.IsMap()) {
        problems.push_back(fmt::format("{}: expected a map of sections at the top level", path));
      } else {
        for (const auto& section : root) {
          const std::string name = section.first.Scalar();
          if (!sections.count(name)) {
            problems.push_back(fmt::format("{}: unknown section{}", name, line_of(section.first)));
            continue;
          }
          if (section.second.IsNull()) continue;
          if (!section.second.IsMap()) {
            problems.push_back(fmt::format("{}: expected a map{}", name, line_of(section.second)));
            continue;
          }
          for (const auto& kv : section.second) {
            const std::string key = name + "." + kv.first.Scalar();
            auto it = by_path.find(key);
            if (it == by_path.end()) {
              problems.push_back(fmt::format("{}: unknown key{}", key, line_of(kv.first)));
              continue;
            }
            apply_node(*it->second, kv.second, line_of(kv.second), problems);
          }
        }
      }
    }
  }

  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos) {
      problems.push_back(fmt::format("--set {}: expected section.key=value", o));
      continue;
    }
    const std::string key = o.substr(0, eq);
    auto it = by_path.find(key);
    if (it == by_path.end()) {
      problems.push_back(fmt::format("--set {}: unknown key", key));
      continue;
    }
    YAML::Node node;
    try {
      node = YAML::Load(o.substr(eq + 1));
      if (node.IsNull()) node = YAML::Node(o.substr(eq + 1));
    } catch (const YAML::Exception&) {
      node = YAML::Node(o.substr(eq + 1));
    }
    apply_node(*it->second, node, " (--set)", problems);
  }

  // Secrets from a file or the environment; never echoed.
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::string pw;
    if (!in || !std::getline(in, pw)) {
      problems.push_back(fmt::format("smsc.password_file: cannot read {}", password_file));
    } else if (pw.size() > 8) {
      problems.push_back("smsc.password_file: the password is longer than 8 characters");
    } else {
      config.smsc.password = pw;
    }
  } else if (!password_env.empty()) {
    const char* pw = std::getenv(password_env.c_str());
    if (pw == nullptr) problems.push_back(fmt::format("smsc.password_env: {} is not set", password_env));
    else if (std::string(pw).size() > 8) problems.push_back("smsc.password_env: the password is longer than 8 characters");
    else config.smsc.password = pw;
  }
  if (config.smsc.reconnect_min_ms > config.smsc.reconnect_max_ms)
    problems.push_back("smsc.reconnect_min_ms: larger than smsc.reconnect_max_ms");

  if (!problems.empty())
    return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("{} configuration problem(s)", problems.size()));
  return config;
}

std::string example_config() {
  Config config;
  std::string password_file, password_env;
  auto fields = schema(config, password_file, password_env);
  std::string out =
      "# smishd configuration: every key with its default. Generated by `smishd --print-example-config`.\n"
      "# Secrets (smsc.password, the pseudonym key) are best given as files or environment variables.\n";
  std::string section;
  for (const auto& f : fields) {
    const auto dot = f.path.find('.');
    const std::string s = f.path.substr(0, dot);
    if (s != section) {
      out += "\n" + s + ":\n";
      section = s;
    }
    out += fmt::format("  {}: {}  # {}\n", f.path.substr(dot + 1), f.show(), f.help);
  }
  return out;
}

}  // namespace smish::app
