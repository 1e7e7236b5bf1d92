// Reference for bench/ingest.sh: the floor of durable-ack ingest on this machine, now.
//
// smsc-sim's Simulator (in process, on its own thread) delivers single-part deliver_sm over
// loopback to a minimal ESME written here, which binds, then frames the PDUs (PduFramer), decodes
// them (decode_pdu), builds the segments (make_segment), writes them to RocksDB with sync=true
// (fdatasync of the WAL) and only then answers them with deliver_sm_resp ESME_ROK. Two modes:
//   per-read:      one coroutine on one thread; ONE synced WriteBatch per socket read, reading
//                  stops while it syncs (the issue's "plain Asio loopback" reference);
//   group-commit:  the I/O thread keeps reading while a second thread syncs; everything that
//                  arrived during one sync goes into the next one (what smishd's session does).
// No de-duplication, reassembly, classification or logging: what is left is the SMPP codec,
// loopback TCP and the synced write. smishd does the same plus its pipeline, so the gap between
// this and bench/ingest.sh is what smishd's own work costs (see docs/benchmarks.md).
//
// usage: bench_ingest [--windows 1,10,100] [--count N] [--count-1 N] [--rate R] [--rate-count N]
//                     [--modes per-read,group-commit]
// Prints a markdown table with the same columns as bench/ingest.sh, plus messages per sync.
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "smish/core/asio.hpp"
#include "smish/core/log.hpp"
#include "smish/gateway/codec.hpp"
#include "smish/gateway/segment.hpp"
#include "smish/sim/simulator.hpp"

namespace {

using namespace smish;
using namespace smish::gateway::smpp;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using boost::system::error_code;

// The same single-part messages as bench/ingest.sh (UCS2 ones short enough for " #NNNNNN").
constexpr const char* kCorpus =
    R"({"src": "+37120000001", "dst": "12250", "text": "Your parcel is held at the depot: pay 1,99 EUR at dpd-lv.top/pay within 24h", "split": "none"}
{"src": "+37120000002", "dst": "12250", "text": "Tele2: Jūsu konts ir bloķēts, skatiet tele2-lv-bonus.info/sim", "split": "none"}
{"src": "+37120000003", "dst": "12250", "text": "SEB: your card is blocked, call +37129999901 or visit seb-lv.help/unlock", "split": "none"}
{"src": "+37120000004", "dst": "12250", "text": "Ваш аккаунт заблокирован, оплата: swedbank-lv.top/pay", "split": "none"}
)";

struct RunResult {
  core::Json summary;
  std::uint64_t writes = 0;  ///< synced RocksDB writes (socket reads with deliver_sm)
};

/// Group commit: batches queued by the I/O thread, synced together by one writer thread; the
/// acknowledgements go back to the I/O thread.
class GroupCommitter {
 public:
  GroupCommitter(asio::io_context& io, rocksdb::DB& db, RunResult& out,
                 std::function<void(std::string)> send)
      : io_(io), db_(db), out_(out), send_(std::move(send)), thread_([this] { loop(); }) {}
  ~GroupCommitter() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void submit(std::vector<std::pair<std::string, std::string>> puts,
              std::vector<std::uint32_t> acks) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back({std::move(puts), std::move(acks)});
    }
    cv_.notify_one();
  }

 private:
  struct Item {
    std::vector<std::pair<std::string, std::string>> puts;
    std::vector<std::uint32_t> acks;
  };
  void loop() {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    while (true) {
      std::deque<Item> taken;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        taken.swap(queue_);
      }
      rocksdb::WriteBatch all;
      for (auto& item : taken) {
        for (auto& [k, v] : item.puts) all.Put(k, v);
      }
      const bool ok = db_.Write(sync, &all).ok();
      ++out_.writes;
      std::string replies;
      for (auto& item : taken) {
        for (std::uint32_t seq : item.acks)
          replies += *encode::sm_resp(kDeliverSmResp, ok ? kEsmeRok : kEsmeRxTAppn, seq, "");
      }
      asio::post(io_, [this, r = std::move(replies)]() mutable { send_(std::move(r)); });
    }
  }
  asio::io_context& io_;
  rocksdb::DB& db_;
  RunResult& out_;
  std::function<void(std::string)> send_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::thread thread_;
};

/// The reference ESME: bind, then read -> synced batch -> responses, until the SMSC unbinds.
awaitable<void> esme(asio::io_context& io, tcp::socket& sock, rocksdb::DB& db, RunResult& out,
                     bool group_commit) {
  error_code ec;
  BindBody bind;
  bind.system_id = "smishd";
  bind.password = "bench";
  auto bind_pdu = encode::bind(kBindTransceiver, 1, bind);
  co_await asio::async_write(sock, asio::buffer(*bind_pdu),
                             asio::redirect_error(use_awaitable, ec));
  PduFramer framer;
  std::vector<char> buf(64 * 1024);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  std::uint64_t key = 0;
  bool bound = false;
  // Writes for group-commit mode: one async_write at a time, the rest queued behind it.
  std::deque<std::string> out_queue;
  bool writing = false;
  std::function<void()> write_next = [&] {
    if (writing || out_queue.empty() || !sock.is_open()) return;
    writing = true;
    asio::async_write(sock, asio::buffer(out_queue.front()),
                      [&](const error_code& wec, std::size_t) {
                        writing = false;
                        out_queue.pop_front();
                        if (!wec) write_next();
                      });
  };
  auto send = [&](std::string data) {
    out_queue.push_back(std::move(data));
    write_next();
  };
  std::unique_ptr<GroupCommitter> committer;
  if (group_commit) committer = std::make_unique<GroupCommitter>(io, db, out, send);
  while (!ec) {
    const std::size_t n =
        co_await sock.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    rocksdb::WriteBatch batch;
    std::vector<std::pair<std::string, std::string>> puts;  // group-commit mode
    std::string replies;
    std::vector<std::uint32_t> acks;
    bool close = false;
    auto st = framer.feed(std::string_view(buf.data(), n), [&](std::string_view raw) {
      auto d = decode_pdu(raw);
      const auto& h = d.pdu.header;
      if (!d.ok()) {
        replies += *encode::header_only(kGenericNack, d.error.command_status, h.sequence_number);
        return;
      }
      switch (h.command_id) {
        case kBindTransceiverResp:
          bound = h.command_status == kEsmeRok;
          break;
        case kDeliverSm: {
          auto seg = gateway::make_segment(std::get<SmBody>(d.pdu.body), raw, "bench", 0);
          const std::string k = fmt::format("in/{:016x}", key++);
          const std::string_view value = seg ? std::string_view(seg->raw_pdu) : raw;
          if (group_commit)
            puts.emplace_back(k, value);
          else
            batch.Put(k, value);
          acks.push_back(h.sequence_number);
          break;
        }
        case kEnquireLink:
          replies += *encode::header_only(kEnquireLinkResp, kEsmeRok, h.sequence_number);
          break;
        case kUnbind:
          replies += *encode::header_only(kUnbindResp, kEsmeRok, h.sequence_number);
          close = true;
          break;
        default:
          break;
      }
    });
    if (!st || !bound) break;
    if (group_commit) {
      if (!acks.empty()) committer->submit(std::move(puts), std::move(acks));
      if (!replies.empty()) send(std::move(replies));
      if (close) break;
      continue;
    }
    if (!acks.empty()) {
      auto s = db.Write(sync, &batch);  // durable before any deliver_sm_resp of this read
      ++out.writes;
      for (std::uint32_t seq : acks) {
        replies += *encode::sm_resp(kDeliverSmResp, s.ok() ? kEsmeRok : kEsmeRxTAppn, seq, "");
      }
    }
    if (!replies.empty()) {
      co_await asio::async_write(sock, asio::buffer(replies),
                                 asio::redirect_error(use_awaitable, ec));
    }
    if (close) break;
  }
  committer.reset();  // joins the writer; its last acknowledgements may still be queued
  if (group_commit) {
    // Let the queued responses (the unbind_resp last) go out, bounded.
    asio::steady_timer t(sock.get_executor());
    for (int i = 0; i < 200 && (writing || !out_queue.empty()); ++i) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }
  sock.close(ec);
}

RunResult run(std::uint64_t count, std::size_t window, double rate, bool group_commit,
              const std::filesystem::path& dir) {
  RunResult result;
  std::filesystem::remove_all(dir);
  rocksdb::Options opts;
  opts.create_if_missing = true;
  rocksdb::DB* raw_db = nullptr;
  auto s = rocksdb::DB::Open(opts, dir.string(), &raw_db);
  if (!s.ok()) {
    std::fprintf(stderr, "rocksdb open %s: %s\n", dir.c_str(), s.ToString().c_str());
    std::exit(1);
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);

  auto corpus = sim::parse_corpus(kCorpus, 8);
  sim::SimConfig cfg;
  cfg.password = "bench";
  cfg.enquire_link_s = 0;
  cfg.count = count;
  cfg.vary = true;
  cfg.exit_when_done = true;
  cfg.max_seconds = 600;
  cfg.tracker.window = window;
  cfg.tracker.rate_msgs_per_s = rate;
  asio::io_context sim_io;
  sim::Simulator simulator(sim_io, cfg, std::move(*corpus));
  const auto port = simulator.listen();
  simulator.start([&](const sim::Summary& sum) {
    result.summary = sum.json;
    sim_io.stop();
  });
  std::thread sim_thread([&] { sim_io.run(); });

  asio::io_context io;
  tcp::socket sock(io);
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), *port));
  sock.set_option(tcp::no_delay(true));
  asio::co_spawn(io, esme(io, sock, *db, result, group_commit), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  sim_thread.join();
  db.reset();
  std::filesystem::remove_all(dir);
  return result;
}

void row(const std::string& name, std::size_t window, double rate, const RunResult& r) {
  const auto& s = r.summary;
  const auto& lat = s["latency_us"];
  const std::string offered = rate > 0 ? fmt::format("{:.0f}/s", rate) : "unlimited";
  const std::uint64_t ok = s["acknowledged"].value("ESME_ROK", 0);
  std::printf("| %s | %zu | %s | %llu | %llu | %.0f | %.2f | %.2f | %.2f | %.1f |\n", name.c_str(),
              window, offered.c_str(), static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(s["pdus_sent"].get<std::uint64_t>()),
              s["throughput_msgs_per_s"].get<double>(), lat["p50"].get<double>() / 1000,
              lat["p99"].get<double>() / 1000, lat["max"].get<double>() / 1000,
              r.writes ? static_cast<double>(ok) / static_cast<double>(r.writes) : 0.0);
  std::fflush(stdout);
}

std::vector<std::size_t> parse_list(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoul(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> windows{1, 10, 100};
  std::vector<std::string> modes{"per-read", "group-commit"};
  std::uint64_t count = 30000, count_1 = 3000, rate_count = 50000;
  double rate = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--windows")
      windows = parse_list(v);
    else if (a == "--count")
      count = std::stoull(v);
    else if (a == "--count-1")
      count_1 = std::stoull(v);
    else if (a == "--rate")
      rate = std::stod(v);
    else if (a == "--rate-count")
      rate_count = std::stoull(v);
    else if (a == "--modes") {
      modes.clear();
      std::stringstream ss(v);
      for (std::string m; std::getline(ss, m, ',');) modes.push_back(m);
    } else {
      std::fprintf(stderr,
                   "usage: bench_ingest [--windows 1,10,100] [--count N] [--count-1 N] [--rate R] "
                   "[--rate-count N] [--modes per-read,group-commit]\n");
      return 2;
    }
  }
  core::set_log_level(core::LogLevel::Warn);
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("smish-bench-ingest-{}", ::getpid());
  std::printf(
      "reference ESME (codec + synced RocksDB write before each deliver_sm_resp), %u hardware "
      "threads\n",
      std::thread::hardware_concurrency());
  std::printf(
      "| run | window | offered rate | ESME_ROK | deliver_sm | messages/s | ack p50 ms | ack p99 "
      "ms | ack max ms | msgs per sync |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& mode : modes) {
    const bool gc = mode == "group-commit";
    for (std::size_t w : windows) {
      row(fmt::format("{} window-{}", mode, w), w, 0, run(w == 1 ? count_1 : count, w, 0, gc, dir));
    }
    row(fmt::format("{} rate-{:.0f}", mode, rate), 100, rate, run(rate_count, 100, rate, gc, dir));
  }
  return 0;
}
