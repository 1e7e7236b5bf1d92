// smishd: load the configuration, open storage, bind to the SMSC, serve until SIGTERM.
#include <pthread.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <atomic>
#include <filesystem>
#include <thread>

#include "args.hpp"
#include "smish/app/admin.hpp"
#include "smish/app/config.hpp"
#include "smish/app/main.hpp"
#include "smish/app/ops.hpp"
#include "smish/app/runtime.hpp"
#include "smish/app/pipeline.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/blocklist/pull_server.hpp"
#include "smish/classifier/model.hpp"
#include "smish/core/asio.hpp"
#include "smish/core/log.hpp"
#include "smish/gateway/session.hpp"

namespace smish::app {
namespace {

constexpr std::int64_t kRetentionIntervalMs = 60 * 1000;  // how often the retention sweep looks for reports to reduce
constexpr std::size_t kRetentionStep = 500;  // reports a sweep step reads at most (about 15 ms of the storage thread)
constexpr auto kRetentionPause = std::chrono::milliseconds(100);  // between steps of a backlog

constexpr const char* kUsage =
    "usage: smishd [--config FILE] [--set section.key=value ...]\n"
    "       smishd --print-example-config\n"
    "       smishd [--config FILE] [--set ...] --check-config\n"
    "Binds to the SMSC as an SMPP 3.4 ESME, stores forwarded scam reports durably before\n"
    "acknowledging them, classifies them and maintains the blocklists.\n";

/// The sessions' sink: stores on the ack thread and hands the processing to the storage thread.
class AckSink final : public core::ReportSink {
 public:
  AckSink(Pipeline& pipeline, std::function<void()>& process, OpsState& ops)
      : pipeline_(pipeline), process_(process), ops_(ops) {}
  std::vector<core::AcceptStatus> accept(std::span<const core::InboundSegment> segments) override {
    const auto failures = pipeline_.stats().store_failures;  // written on this (the ack) thread only
    auto statuses = pipeline_.accept(segments);
    const bool ok = pipeline_.stats().store_failures == failures;
    if (ok != last_ok_) ops_.set_inbox_write(ok, "the synced inbox write failed (see store_inbound_failed)");
    last_ok_ = ok;
    return statuses;
  }
  void process() override { process_(); }

 private:
  Pipeline& pipeline_;
  std::function<void()>& process_;
  OpsState& ops_;
  bool last_ok_ = true;
};

/// Hands replies from the storage thread to a session that can submit, on the I/O thread.
class SessionTransport final : public ReplyTransport {
 public:
  SessionTransport(asio::io_context& io, std::vector<std::unique_ptr<gateway::Session>>& sessions)
      : io_(io), sessions_(sessions) {}
  void send(std::vector<gateway::Submission> parts) override {
    asio::post(io_, [this, parts = std::move(parts)]() mutable {
      // A bound session that sends replies; else the first that does (it queues until bound).
      gateway::Session* target = nullptr;
      for (auto& s : sessions_)
        if (s->can_submit()) { target = s.get(); break; }
      if (!target)
        for (auto& s : sessions_)
          if (s->submits()) { target = s.get(); break; }
      if (!target) return;  // no bind can send: the replies stay in the outbox
      for (auto& p : parts) target->submit(std::move(p));
    });
  }

 private:
  asio::io_context& io_;
  std::vector<std::unique_ptr<gateway::Session>>& sessions_;
};

void apply_log(const LogConfig& log) {
  core::set_log_level(log.level);
  core::set_log_format(log.format);
  core::set_log_content(log.content);
}

}  // namespace

int smishd_main(int argc, char** argv) {
  // SIGTERM, SIGINT and SIGHUP wait (blocked) until the signal_set below is ready, so that a stop
  // during start-up is a clean stop, not a kill; threads started meanwhile keep them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto args = parse_args(argc, argv, 1, {"config", "set"}, {"help", "print-example-config", "version", "check-config"});
  if (!args.error.empty() || !args.positional.empty()) {
    std::cerr << "smishd: " << (args.error.empty() ? "unexpected argument " + args.positional[0] : args.error) << "\n"
              << kUsage;
    return 2;
  }
  if (args.has("help")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.has("version")) {
    std::cout << "smishd 0.1.0\n";
    return 0;
  }
  if (args.has("print-example-config")) {
    std::cout << example_config();
    return 0;
  }
  ConfigErrors errors;
  auto config = load_config(args.get("config").value_or(""), args.all("set"), errors);
  if (!config) {
    for (const auto& p : errors.problems) std::cerr << "smishd: config: " << p << "\n";
    return 2;
  }
  apply_log(config->log);

  auto pseudonymizer = storage::Pseudonymizer::from_file_or_env(config->storage.pseudonym_key_file,
                                                                config->storage.pseudonym_key_env);
  if (!pseudonymizer) {
    std::cerr << "smishd: " << pseudonymizer.error().detail << "\n";
    return 2;
  }
  // Brands, rules, the model and the reply templates: what SIGHUP reloads. Any problem stops start-up.
  auto built = build_runtime(*config);
  if (!built) {
    std::cerr << "smishd: " << built.error().detail << "\n";
    return 2;
  }
  std::shared_ptr<const Runtime> runtime = *built;
  if (args.has("check-config")) {  // before a restart or a reload: the file, brands, rules, model, templates
    std::cout << "smishd: config ok: " << runtime->rules->rules().size() << " rules, "
              << runtime->config.blocklist.brands.size() << " brands\n";
    return 0;
  }
  auto store = storage::Store::open(config->storage, storage::OpenMode::ReadWrite);
  if (!store) {
    std::cerr << "smishd: storage: " << store.error().detail << "\n";
    return 2;
  }
  auto exporter = blocklist::Exporter::create(runtime->config.blocklist, config->exporter);  // loads the signing key
  if (!exporter) {
    std::cerr << "smishd: export: " << exporter.error().detail << "\n";
    return 2;
  }
  PipelineOptions popts;
  popts.text_by_smsc[config->smsc.name] = config->smsc.text;
  popts.policy = runtime->config.blocklist;
  popts.reassembly_timeout_s = config->storage.reassembly_timeout_s;
  popts.max_pending_parts = config->storage.max_pending_parts;
  popts.max_pending_bytes = config->storage.max_pending_bytes;
  popts.raw_retention_days = config->storage.raw_retention_days;
  popts.default_region = config->extract.default_region;
  popts.replies = config->replies;
  popts.service_numbers = config->extract.service_numbers;
  popts.templates = runtime->templates;
  Pipeline pipeline(**store, *pseudonymizer, *runtime->extractor, *runtime->classifier, popts);

  // /metrics, /health and /ready, served from their own thread out of snapshots the other
  // threads refresh (a scrape never waits for the storage thread).
  OpsState ops;
  std::unique_ptr<OpsServer> ops_server;
  if (config->daemon.metrics_listen != "off" && !config->daemon.metrics_listen.empty()) {
    auto server = OpsServer::create(config->daemon.metrics_listen, ops);
    if (!server) {
      std::cerr << "smishd: daemon.metrics_listen: " << server.error().detail << "\n";
      return 2;
    }
    ops_server = std::move(*server);
  }

  core::log_info("smishd_starting", {{"smsc", config->smsc.name}, {"host", config->smsc.host},
                                     {"port", config->smsc.port}, {"binds", config->smsc.binds},
                                     {"db", config->storage.path}, {"rules", runtime->rules->rules().size()},
                                     {"brands", runtime->config.blocklist.brands.size()}});

  // Two threads: the I/O thread (SMPP sessions, signals) and the storage thread (the pipeline:
  // synced writes, classification, indicators, export). The pipeline is only touched on the latter.
  asio::io_context io(1);
  asio::io_context work(1);
  auto work_guard = asio::make_work_guard(work);
  // The admin socket (smishctl's label, allow, block, revoke) is served on the storage thread, so
  // that the Store stays single-threaded.
  std::unique_ptr<AdminServer> admin;
  if (const auto admin_path = admin_socket_path(*config); !admin_path.empty()) {
    auto server = AdminServer::create(work, admin_path, **store, runtime->config.blocklist);
    if (!server) {
      std::cerr << "smishd: daemon.admin_socket: " << server.error().detail << "\n";
      return 2;
    }
    admin = std::move(*server);
  }
  // The pull endpoint serves the export's files from the storage thread, between exports.
  std::unique_ptr<blocklist::PullServer> pull;
  if (!config->exporter.serve_listen.empty()) {
    auto server = blocklist::PullServer::create(work, config->exporter);
    if (!server) {
      std::cerr << "smishd: export: " << server.error().detail << "\n";
      return 2;
    }
    pull = std::move(*server);
    pull->start();
  }
  if (admin) admin->start();
  std::thread storage_thread([&] { work.run(); });
  // The ack path on a third thread: only the synced inbox writes, so that acknowledgements never
  // wait behind classification; everything else of the pipeline stays on the storage thread.
  asio::io_context ack(1);
  auto ack_guard = asio::make_work_guard(ack);
  std::thread ack_thread([&] { ack.run(); });

  // Catching up on a backlog of acknowledged messages one batch at a time, so that the ack path
  // (queued on the same thread) is served between batches.
  std::atomic<bool> pump_scheduled{false};
  auto pump_deadline = std::chrono::steady_clock::time_point::max();  // set on stop: a bounded drain
  std::function<void()> pump = [&] {
    if (pump_scheduled.exchange(true)) return;
    asio::post(work, [&] {
      pump_scheduled = false;
      pipeline.process();
      if (pipeline.backlog() && std::chrono::steady_clock::now() < pump_deadline) pump();
    });
  };
  AckSink ack_sink(pipeline, pump, ops);
  std::vector<std::unique_ptr<gateway::Session>> sessions;
  for (int i = 0; i < config->smsc.binds; ++i)
    sessions.push_back(std::make_unique<gateway::Session>(io, config->smsc, ack_sink, ack.get_executor(), i));
  if (config->replies.enabled && config->smsc.bind_mode == gateway::BindMode::Receiver) {
    // A receiver bind cannot submit: replies get a transmitter bind of their own.
    auto tx = config->smsc;
    tx.bind_mode = gateway::BindMode::Transmitter;
    tx.name += "-tx";
    sessions.push_back(std::make_unique<gateway::Session>(io, tx, ack_sink, ack.get_executor(), 0));
  }
  for (auto& s : sessions) {
    s->on_submit_result = [&](const gateway::SubmitResult& r) { asio::post(work, [&, r] { pipeline.on_submit_result(r); }); };
    s->on_receipt = [&](const gateway::Receipt& r) { asio::post(work, [&, r] { pipeline.on_delivery_receipt(r); }); };
  }
  SessionTransport transport(io, sessions);
  asio::post(work, [&] { pipeline.set_reply_transport(&transport); });

  asio::post(work, [&] { pump(); });  // what was acknowledged before a crash or stop comes first

  // Periodic work on the storage thread: timed-out concatenations, the export.
  asio::steady_timer tick(work);
  std::int64_t last_export_ms = 0;
  std::int64_t last_retention_ms = 0;
  StorageSnapshot snapshot;  // storage thread: what /metrics shows of it
  blocklist::ExportStats exports_before;  // of exporters replaced by a reload
  // Every export run since start: the current exporter's counters on top of the replaced ones'.
  auto exports_total = [&] {
    const auto& es = (*exporter)->stats();
    return blocklist::ExportStats{exports_before.published + es.published, exports_before.unchanged + es.unchanged,
                                  exports_before.refused + es.refused, exports_before.failed + es.failed};
  };
  snapshot.export_serial = blocklist::current_serial(config->exporter.out_dir);
  if (snapshot.export_serial > 0) {
    const auto manifest = std::filesystem::path(config->exporter.out_dir) / "serials" /
                          std::to_string(snapshot.export_serial) / "manifest.json";
    struct stat st {};
    if (::stat(manifest.c_str(), &st) == 0)
      snapshot.export_published_ms = std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
  }
  bool storage_stopping = false;  // storage thread only: no more periodic work once set
  bool ready = false;
  auto publish_storage = [&] {
    snapshot.pipeline = pipeline.stats();
    snapshot.engine = (*store)->engine_stats();
    snapshot.exports = exports_total();
    ops.set_storage(snapshot);
    if (!ready && !pipeline.backlog() && !storage_stopping) {
      ready = true;  // what was acknowledged before this start is processed: taking traffic as usual
      ops.set_ready(true);
    }
  };
  // Retention in short steps with a pause after each: a backlog of old reports (the first start
  // after an upgrade) is worked off at a fraction of the storage thread, and nothing queued on it
  // (acknowledgements, admin requests, processing) waits more than one step. Steps posted back to
  // back instead kept the thread saturated and made every admin request wait a step per hop.
  bool retention_running = false;
  asio::steady_timer retention_pause(work);
  std::function<void()> retention_step = [&] {
    if (storage_stopping) {
      retention_running = false;
      return;
    }
    auto swept = pipeline.sweep_retention(kRetentionStep);
    if (!swept) core::log_error("retention_failed", {{"error", swept.error().message()}});
    if (swept && swept->more) {
      retention_pause.expires_after(kRetentionPause);
      retention_pause.async_wait([&](const boost::system::error_code& ec) {
        if (ec) {
          retention_running = false;
          return;
        }
        retention_step();
      });
      return;
    }
    retention_running = false;
  };
  std::function<void()> arm_tick = [&] {
    if (storage_stopping) return;
    tick.expires_after(std::chrono::milliseconds(config->daemon.process_interval_ms));
    tick.async_wait([&](const boost::system::error_code& ec) {
      // A tick already queued when the stop cancelled the timer still runs: it must not re-arm.
      if (ec || storage_stopping) return;
      pipeline.process();
      const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
      if (now_ms - last_retention_ms >= kRetentionIntervalMs && !pipeline.backlog() && !retention_running) {
        last_retention_ms = now_ms;
        retention_running = true;
        asio::post(work, retention_step);
      }
      if (config->exporter.interval_s > 0 && now_ms - last_export_ms >= config->exporter.interval_s * 1000) {
        last_export_ms = now_ms;
        // Logs its outcome (published, refused, failed) and counts it.
        if (auto r = (*exporter)->run(**store, now_ms); r) {
          snapshot.export_serial = r->serial;
          if (r->outcome == blocklist::ExportOutcome::Published) snapshot.export_published_ms = now_ms;
          snapshot.by_status.clear();
          for (std::size_t k = 0; k < blocklist::kIndicatorStatuses; ++k)
            snapshot.by_status[std::string(core::to_string(static_cast<core::IndicatorStatus>(k)))] = r->by_status[k];
          if (r->outcome != blocklist::ExportOutcome::Refused)
            snapshot.listed = {{"numbers", r->numbers},   {"sender_ids", r->sender_ids}, {"domains", r->domains},
                               {"hosts", r->hosts},       {"urls", r->urls},             {"allowlisted", r->allowlisted},
                               {"protected_withheld", r->protected_skipped}};
        }
      }
      publish_storage();
      arm_tick();
      pump();
    });
  };
  asio::post(work, arm_tick);

  // SIGHUP, on the storage thread (which owns the pipeline, the exporter and the admin socket):
  // the config file is read again and brands, rules, the model, templates, the listing policy and
  // the log settings are replaced, all or nothing; the binds are not touched. A problem keeps the
  // old configuration and says why. Sections that need a restart (smsc, storage, export, daemon)
  // are not applied.
  auto reload = [&] {
    ConfigErrors reload_errors;
    auto fresh = load_config(args.get("config").value_or(""), args.all("set"), reload_errors);
    std::string why;
    if (!fresh) {
      for (const auto& p : reload_errors.problems) why += (why.empty() ? "" : "; ") + p;
    } else if (auto next = build_runtime(*fresh); !next) {
      why = next.error().detail;
    } else if (auto next_exporter = blocklist::Exporter::create((*next)->config.blocklist, config->exporter); !next_exporter) {
      why = "export: " + next_exporter.error().detail;
    } else {
      exports_before = exports_total();
      *exporter = std::move(*next_exporter);
      pipeline.reconfigure(*(*next)->extractor, *(*next)->classifier, (*next)->templates, (*next)->config.blocklist);
      if (admin) admin->set_policy((*next)->config.blocklist);
      runtime = *next;  // the old one is no longer referenced: the pipeline runs on this thread
      apply_log(runtime->config.log);
      ops.count_reload(true);
      core::log_info("config_reloaded", {{"rules", runtime->rules->rules().size()},
                                         {"brands", runtime->config.blocklist.brands.size()},
                                         {"allow_numbers", runtime->config.blocklist.allow_numbers.size()},
                                         {"allow_domains", runtime->config.blocklist.allow_domains.size()},
                                         {"model", runtime->config.classify.model_file.empty() ? "none" : runtime->config.classify.model_file}});
      return;
    }
    ops.count_reload(false);
    core::log_error("config_reload_failed", {{"error", why}, {"kept", "the previous configuration"}});
  };

  // The binds' state for /metrics and /health, refreshed on the I/O thread every second and at
  // every bind or loss.
  auto publish_binds = [&] {
    std::vector<BindSnapshot> binds;
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      const auto& sc = sessions[i]->config();
      BindSnapshot b;
      b.smsc = sc.name;
      b.bind = std::to_string(sessions[i]->index());
      b.mode = sc.bind_mode == gateway::BindMode::Transceiver ? "transceiver"
               : sc.bind_mode == gateway::BindMode::Receiver  ? "receiver"
                                                              : "transmitter";
      b.bound = sessions[i]->bound();
      b.in_flight = sessions[i]->in_flight();
      b.submit_backlog = sessions[i]->submit_backlog();
      b.stats = sessions[i]->stats();
      binds.push_back(std::move(b));
    }
    ops.set_binds(std::move(binds));
  };
  for (auto& s : sessions) s->on_bind_state = [&](bool) { publish_binds(); };
  asio::steady_timer bind_tick(io);
  bool io_stopping = false;
  std::function<void()> arm_bind_tick = [&] {
    publish_binds();
    if (io_stopping) return;
    bind_tick.expires_after(std::chrono::seconds(1));
    bind_tick.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) arm_bind_tick();
    });
  };
  arm_bind_tick();

  int running = static_cast<int>(sessions.size());
  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);  // only this (the I/O) thread takes them
  std::function<void()> arm_signals = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        core::log_info("config_reload_requested", {{"file", config->source.empty() ? "(defaults)" : config->source}});
        asio::post(work, reload);
        arm_signals();
        return;
      }
      core::log_info("smishd_stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      ops.set_ready(false);
      // The batch the storage thread is working on ends within 2 s (then the rest waits, durable,
      // in the inbox): the stop stays within 5 s however slow classification is.
      pipeline.finish_by(std::chrono::steady_clock::now() + std::chrono::seconds(2));
      io_stopping = true;
      bind_tick.cancel();
      for (auto& s : sessions) s->stop();
    });
  };
  arm_signals();

  for (auto& s : sessions) {
    asio::co_spawn(io, s->run(), [&](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          core::log_error("session_crashed", {{"error", ex.what()}});
        }
      }
      if (--running == 0) signals.cancel();  // the last session is done: io.run() returns
    });
  }
  io.run();
  ack_guard.reset();
  ack_thread.join();  // every accepted message is on disk and answered (or its link is gone)

  // Stop the storage thread after it finished what the sessions gave it. A backlog of acknowledged
  // messages is worked on for at most 2 s more: the rest is durable in the inbox and is processed
  // first at the next start, so a stop stays well within the 5 s an operator expects.
  asio::post(work, [&] {
    storage_stopping = true;
    pump_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    pump();
    tick.cancel();
    retention_pause.cancel();
    if (pull) pull->stop();
    if (admin) admin->stop();
    pipeline.set_reply_transport(nullptr);  // replies not yet sent stay in the outbox for the next start
  });
  work_guard.reset();
  storage_thread.join();
  sessions.clear();

  const auto& st = pipeline.stats();
  core::log_info("smishd_stopped", {{"accepted", st.accepted}, {"duplicates", st.duplicates},
                                    {"reports", st.reports}, {"store_failures", st.store_failures}});
  return 0;
}

}  // namespace smish::app
