// smishd: load the configuration, open storage, bind to the SMSC, serve until SIGTERM.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <atomic>
#include <thread>

#include "args.hpp"
#include "smish/app/admin.hpp"
#include "smish/app/config.hpp"
#include "smish/app/main.hpp"
#include "smish/app/pipeline.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/blocklist/pull_server.hpp"
#include "smish/classifier/model.hpp"
#include "smish/core/asio.hpp"
#include "smish/core/log.hpp"
#include "smish/gateway/session.hpp"

namespace smish::app {
namespace {

constexpr const char* kUsage =
    "usage: smishd [--config FILE] [--set section.key=value ...]\n"
    "       smishd --print-example-config\n"
    "Binds to the SMSC as an SMPP 3.4 ESME, stores forwarded scam reports durably before\n"
    "acknowledging them, classifies them and maintains the blocklists.\n";

/// The sessions' sink: stores on the ack thread and hands the processing to the storage thread.
class AckSink final : public core::ReportSink {
 public:
  AckSink(Pipeline& pipeline, std::function<void()>& process) : pipeline_(pipeline), process_(process) {}
  std::vector<core::AcceptStatus> accept(std::span<const core::InboundSegment> segments) override {
    return pipeline_.accept(segments);
  }
  void process() override { process_(); }

 private:
  Pipeline& pipeline_;
  std::function<void()>& process_;
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
  auto args = parse_args(argc, argv, 1, {"config", "set"}, {"help", "print-example-config", "version"});
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
  auto rules = classifier::RuleSet::load_dir(config->classify.rules_dir);
  if (!rules) {
    std::cerr << "smishd: rules: " << rules.error().detail << "\n";
    return 2;
  }
  auto model = classifier::load_configured_model(config->classify);  // null: rules only
  if (!model) {
    std::cerr << "smishd: model: " << model.error().detail << "\n";
    return 2;
  }
  auto store = storage::Store::open(config->storage, storage::OpenMode::ReadWrite);
  if (!store) {
    std::cerr << "smishd: storage: " << store.error().detail << "\n";
    return 2;
  }
  auto exporter = blocklist::Exporter::create(config->blocklist, config->exporter);  // loads the signing key
  if (!exporter) {
    std::cerr << "smishd: export: " << exporter.error().detail << "\n";
    return 2;
  }
  classifier::Extractor extractor(config->extract);
  classifier::Classifier classifier(*rules, config->classify, *model);
  PipelineOptions popts;
  popts.text_by_smsc[config->smsc.name] = config->smsc.text;
  popts.policy = config->blocklist;
  popts.reassembly_timeout_s = config->storage.reassembly_timeout_s;
  popts.max_pending_parts = config->storage.max_pending_parts;
  popts.max_pending_bytes = config->storage.max_pending_bytes;
  popts.default_region = config->extract.default_region;
  popts.replies = config->replies;
  popts.service_numbers = config->extract.service_numbers;
  if (config->replies.enabled) {
    auto templates = ReplyTemplates::load(config->replies.templates_file);
    if (!templates) {
      std::cerr << "smishd: replies: " << templates.error().detail << "\n";
      return 2;
    }
    popts.templates = std::make_shared<const ReplyTemplates>(std::move(*templates));
  }
  Pipeline pipeline(**store, *pseudonymizer, extractor, classifier, popts);

  core::log_info("smishd_starting", {{"smsc", config->smsc.name}, {"host", config->smsc.host},
                                     {"port", config->smsc.port}, {"binds", config->smsc.binds},
                                     {"db", config->storage.path}, {"rules", (*rules)->rules().size()}});

  // Two threads: the I/O thread (SMPP sessions, signals) and the storage thread (the pipeline:
  // synced writes, classification, indicators, export). The pipeline is only touched on the latter.
  asio::io_context io(1);
  asio::io_context work(1);
  auto work_guard = asio::make_work_guard(work);
  // The admin socket (smishctl's label, allow, block, revoke) is served on the storage thread, so
  // that the Store stays single-threaded.
  std::unique_ptr<AdminServer> admin;
  if (const auto admin_path = admin_socket_path(*config); !admin_path.empty()) {
    auto server = AdminServer::create(work, admin_path, **store, config->blocklist);
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
  AckSink ack_sink(pipeline, pump);
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
  bool storage_stopping = false;  // storage thread only: no more periodic work once set
  std::function<void()> arm_tick = [&] {
    if (storage_stopping) return;
    tick.expires_after(std::chrono::milliseconds(config->daemon.process_interval_ms));
    tick.async_wait([&](const boost::system::error_code& ec) {
      // A tick already queued when the stop cancelled the timer still runs: it must not re-arm.
      if (ec || storage_stopping) return;
      pipeline.process();
      const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
      if (config->exporter.interval_s > 0 && now_ms - last_export_ms >= config->exporter.interval_s * 1000) {
        last_export_ms = now_ms;
        (void)(*exporter)->run(**store, now_ms);  // logs its outcome (published, refused, failed) and counts it
      }
      arm_tick();
      pump();
    });
  };
  asio::post(work, arm_tick);

  int running = static_cast<int>(sessions.size());
  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);  // only this (the I/O) thread takes them
  std::function<void()> arm_signals = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        core::log_info("sighup_ignored", {{"reason", "reload arrives with the operations work"}});
        arm_signals();
        return;
      }
      core::log_info("smishd_stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
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
