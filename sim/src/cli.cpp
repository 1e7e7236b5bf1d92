// smsc-sim command line: argument parsing, port file, stdout events and the summary, signals, exit codes.
#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "smish/core/asio.hpp"
#include "smish/core/log.hpp"
#include "smish/sim/simulator.hpp"

namespace smish::sim {
namespace {

core::Error arg_error(std::string_view option, std::string_view why) {
  return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("{}: {}", option, why));
}

template <typename T>
core::Result<T> parse_uint(std::string_view option, std::string_view text, T max) {
  std::uint64_t v = 0;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc{} || p != text.data() + text.size() || text.empty())
    return arg_error(option, fmt::format("\"{}\" is not a number", text));
  if (v > static_cast<std::uint64_t>(max)) return arg_error(option, fmt::format("{} is above {}", v, max));
  return static_cast<T>(v);
}

// Writes `content` so that a reader sees either no file or the whole of it (temp + rename).
core::Status write_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return core::make_error(core::ErrorCode::IoError, fmt::format("{}: cannot write", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return core::make_error(core::ErrorCode::IoError, fmt::format("{}: rename failed: {}", path, ec.message()));
  return {};
}

}  // namespace

std::string usage() {
  return R"(usage: smsc-sim [options]
An SMPP 3.4 SMSC simulator: delivers a JSONL corpus as deliver_sm to the bound ESME.
  --corpus FILE            JSONL: {"src","dst","text","coding":gsm7|latin1|ucs2,"split":none|udh8|udh16|sar|payload}
  --listen HOST:PORT       default 127.0.0.1:0 (any free port)
  --port-file FILE         write the bound port (temp + rename)
  --system-id ID           expected bind system_id (default smishd)
  --password PW            expected bind password (default secret)
  --enquire-link-s N       send enquire_link every N s; 0 = never (default 30)
  --window N               outstanding deliver_sm (default 10)
  --rate N                 new messages per second, 0 = unlimited (default 0)
  --rate-burst N           messages a late wake-up may catch up on at --rate (default 16)
  --temp-statuses LIST     statuses that are redelivered (default 0x64,0x14,0x58,0x08)
  --resp-timeout-ms N      redeliver after N ms without deliver_sm_resp (default 5000)
  --retry-delay-ms N       wait before a redelivery (default 200)
  --max-retries N          then the PDU fails (default 10)
  --count N                send N messages in total, cycling the corpus (default: the corpus once)
  --vary                   append " #<n>" to each message's text (unique messages for benchmarks)
  --split-blind            split by octets, not keeping GSM escapes / surrogate pairs whole
  --receipts               answer each submit_sm with a delivery receipt deliver_sm
  --throttle-submit N      answer the first N submit_sm with ESME_RTHROTTLED
  --exit-when-done         unbind and exit once every message has a final status
  --linger-ms N            with --exit-when-done, wait N ms before unbinding (default 0)
  --max-seconds T          give up after T s, exit 3 (default 600; 0 = never)
  --summary-file FILE      also write the summary JSON there
  --submits-file FILE      record each accepted submit_sm as a JSON line
  --log-level LEVEL        debug|info|warn|error|off (stderr; default info)
Exit: 0 all messages ROK, 1 some failed or unfinished, 2 bad arguments, 3 --max-seconds.
)";
}

core::Result<SimConfig> parse_args(int argc, const char* const* argv) {
  SimConfig c;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_inline = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto flag = [&](bool& out) -> core::Status {
      if (has_inline) return arg_error(arg, "takes no value");
      out = true;
      return {};
    };
    auto need = [&]() -> core::Result<std::string_view> {
      if (has_inline) return value;
      if (i + 1 >= argc) return arg_error(arg, "needs a value");
      return std::string_view(argv[++i]);
    };
    core::Status st;
    auto u32 = [&](std::uint32_t& out) -> core::Status {
      auto v = need();
      if (!v) return v.error();
      auto n = parse_uint<std::uint32_t>(arg, *v, 0xFFFFFFFFu);
      if (!n) return n.error();
      out = *n;
      return {};
    };
    auto u64 = [&](std::uint64_t& out) -> core::Status {
      auto v = need();
      if (!v) return v.error();
      auto n = parse_uint<std::uint64_t>(arg, *v, ~0ull);
      if (!n) return n.error();
      out = *n;
      return {};
    };
    auto str = [&](std::string& out) -> core::Status {
      auto v = need();
      if (!v) return v.error();
      out = std::string(*v);
      return {};
    };
    if (arg == "--help" || arg == "-h") return core::make_error(core::ErrorCode::InvalidArgument, usage());
    else if (arg == "--corpus") st = str(c.corpus_path);
    else if (arg == "--listen") {
      auto v = need();
      if (!v) return v.error();
      const auto colon = v->rfind(':');
      if (colon == std::string_view::npos) return arg_error(arg, "expected HOST:PORT");
      c.listen_host = std::string(v->substr(0, colon));
      if (c.listen_host.size() > 2 && c.listen_host.front() == '[' && c.listen_host.back() == ']')
        c.listen_host = c.listen_host.substr(1, c.listen_host.size() - 2);
      auto port = parse_uint<std::uint16_t>(arg, v->substr(colon + 1), 65535);
      if (!port) return port.error();
      c.listen_port = *port;
    } else if (arg == "--port-file") st = str(c.port_file);
    else if (arg == "--system-id") st = str(c.system_id);
    else if (arg == "--password") st = str(c.password);
    else if (arg == "--enquire-link-s") st = u32(c.enquire_link_s);
    else if (arg == "--window") {
      std::uint32_t w = 0;
      st = u32(w);
      if (st && w == 0) return arg_error(arg, "must be at least 1");
      c.tracker.window = w;
    } else if (arg == "--rate") {
      auto v = need();
      if (!v) return v.error();
      double r = 0;
      auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), r);
      if (ec != std::errc{} || p != v->data() + v->size() || r < 0) return arg_error(arg, "expected a number >= 0");
      c.tracker.rate_msgs_per_s = r;
    } else if (arg == "--rate-burst") {
      std::uint32_t b = 0;
      st = u32(b);
      if (st && b == 0) return arg_error(arg, "must be at least 1");
      c.tracker.rate_burst = b;
    } else if (arg == "--temp-statuses") {
      auto v = need();
      if (!v) return v.error();
      c.tracker.temp_statuses.clear();
      std::string_view rest = *v;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto n = parse_uint<std::uint32_t>(arg, rest.substr(0, comma), 0xFFFFFFFFu);
        if (!n) return n.error();
        c.tracker.temp_statuses.push_back(*n);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    } else if (arg == "--resp-timeout-ms") {
      std::uint32_t ms = 0;
      st = u32(ms);
      c.tracker.resp_timeout = std::chrono::milliseconds(ms);
    } else if (arg == "--retry-delay-ms") {
      std::uint32_t ms = 0;
      st = u32(ms);
      c.tracker.retry_delay = std::chrono::milliseconds(ms);
    } else if (arg == "--max-retries") st = u32(c.tracker.max_retries);
    else if (arg == "--count") st = u64(c.count);
    else if (arg == "--vary") st = flag(c.vary);
    else if (arg == "--split-blind") st = flag(c.split_blind);
    else if (arg == "--receipts") st = flag(c.receipts);
    else if (arg == "--throttle-submit") st = u64(c.throttle_submit);
    else if (arg == "--exit-when-done") st = flag(c.exit_when_done);
    else if (arg == "--linger-ms") st = u32(c.linger_ms);
    else if (arg == "--max-seconds") st = u32(c.max_seconds);
    else if (arg == "--summary-file") st = str(c.summary_file);
    else if (arg == "--submits-file") st = str(c.submits_file);
    else if (arg == "--log-level") {
      auto v = need();
      if (!v) return v.error();
      core::LogLevel level{};
      if (!core::parse_log_level(*v, level)) return arg_error(arg, "expected debug|info|warn|error|off");
      core::set_log_level(level);
    } else {
      return arg_error(arg, "unknown option (see --help)");
    }
    if (!st) return st.error();
  }
  return c;
}

int run_main(int argc, const char* const* argv) {
  auto cfg = parse_args(argc, argv);
  if (!cfg) {
    if (cfg.error().detail == usage()) {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "smsc-sim: %s\n", cfg.error().detail.c_str());
    return 2;
  }
  std::vector<CorpusMessage> corpus;
  if (!cfg->corpus_path.empty()) {
    std::size_t max_suffix = 0;
    if (cfg->vary) max_suffix = 2 + std::to_string(std::max<std::uint64_t>(cfg->count, 1)).size();
    auto loaded = load_corpus(cfg->corpus_path, max_suffix);
    if (!loaded) {
      std::fprintf(stderr, "smsc-sim: --corpus %s\n", loaded.error().detail.c_str());
      return 2;
    }
    corpus = std::move(*loaded);
  }
  if (corpus.empty() && cfg->count > 0) {
    std::fprintf(stderr, "smsc-sim: --count needs a non-empty --corpus\n");
    return 2;
  }

  asio::io_context io;
  int exit_code = 1;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const SimConfig config = *cfg;
  Simulator sim(io, config, std::move(corpus));
  auto port = sim.listen();
  if (!port) {
    std::fprintf(stderr, "smsc-sim: %s\n", port.error().detail.c_str());
    return 2;
  }
  if (!config.port_file.empty()) {
    if (auto st = write_atomically(config.port_file, std::to_string(*port) + "\n"); !st) {
      std::fprintf(stderr, "smsc-sim: --port-file %s\n", st.error().detail.c_str());
      return 2;
    }
  }
  std::cout << core::Json{{"event", "listening"}, {"port", *port}}.dump() << std::endl;

  signals.async_wait([&sim](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    core::log_info("sim_signal", {{"signal", signo}});
    sim.stop(-1);
  });
  sim.start([&](const Summary& s) {
    exit_code = s.exit_code;
    const std::string line = s.json.dump(-1, ' ', false, core::Json::error_handler_t::replace);
    if (!config.summary_file.empty()) {
      if (auto st = write_atomically(config.summary_file, line + "\n"); !st)
        core::log_error("sim_summary_file_failed", {{"error", st.error().detail}});
    }
    std::cout << line << std::endl;
    boost::system::error_code ignored;
    signals.cancel(ignored);
    io.stop();
  });
  io.run();
  return exit_code;
}

}  // namespace smish::sim
