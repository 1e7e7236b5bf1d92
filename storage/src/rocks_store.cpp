// Store over RocksDB: column families, key layouts, the synced ack-path batch.
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>

#include "smish/core/json.hpp"
#include "smish/core/log.hpp"
#include "smish/storage/digest.hpp"
#include "smish/storage/indicator_codec.hpp"
#include "smish/storage/store.hpp"

namespace smish::storage {
namespace {

using core::ErrorCode;
using core::make_error;

// Column families; docs/storage.md explains each key layout.
constexpr const char* kCfDefault = "default";      // meta: schema_version
constexpr const char* kCfDedup = "dedup";          // fingerprint -> BE64 received_ms
constexpr const char* kCfInbox = "inbox";          // BE64 received_ms + fingerprint -> segment (whole messages)
constexpr const char* kCfParts = "parts";          // group key + 0x00 + seq -> segment (concatenation parts)
constexpr const char* kCfReports = "reports";      // BE64 report id -> report
constexpr const char* kCfIndicators = "indicators";  // kind + ':' + value -> indicator
// Readahead of the full indicator scan (the export): a few table files' worth of blocks per read.
constexpr std::size_t kScanReadaheadBytes = 4u << 20;
constexpr const char* kCfOutbox = "outbox";        // outbox key -> reply (number sealed)
constexpr const char* kCfConversations = "conversations";  // reporter pseudonym -> pending two-step report
constexpr const char* kCfCounters = "counters";    // name -> BE64 value (reply caps per reporter and day)
constexpr const char* kCfSent = "sent";            // SMSC message_id -> BE64 report id (receipt matching)
constexpr const char* kCfAudit = "audit";          // BE64 seq -> audit entry (JSON, storage/audit_log.hpp); append-only
constexpr const char* kCfReporters = "reporters";  // pseudonym -> reporter record (schema 2)
constexpr const char* kCfReportIndex = "report_index";  // index tag + key + 0x00 + BE64 id -> "" (schema 2)
constexpr const char* kCfCampaigns = "campaigns";  // BE64 SimHash -> campaign id (schema 2)
constexpr const char* kCfReportDigests = "report_digests";  // BE64 report id -> digest (schema 3, storage/digest.hpp)
constexpr const char* kCfIndicatorSummaries = "indicator_summaries";  // kind + ':' + value -> summary (schema 3)
constexpr const char* kCfCampaignSummaries = "campaign_summaries";  // campaign id -> summary (schema 3)
constexpr const char* kCfCampaignReporters = "campaign_reporters";  // campaign id + 0x00 + pseudonym -> "" (schema 3)
constexpr const char* kSchemaKey = "schema_version";
constexpr std::uint64_t kPhysicalPurgeSeconds = 3 * 24 * 3600;
constexpr std::uint64_t kMaxTotalWalBytes = 8ULL << 20;
constexpr std::size_t kSecondaryMemtableBytes = 4 << 20;
constexpr int kReadOnlyOpenFiles = 64;
constexpr std::size_t kScanFirstBatch = 32, kScanMaxBatch = 2048;  // reports read per decoding batch
constexpr std::size_t kScanParallelFrom = 256;                     // batches this large decode on two threads

const std::vector<std::string> kFamilies = {kCfDefault, kCfDedup,  kCfInbox,         kCfParts,    kCfReports,
                                            kCfIndicators, kCfOutbox, kCfConversations, kCfCounters, kCfSent,
                                            kCfAudit, kCfReporters, kCfReportIndex, kCfCampaigns,
                                            kCfReportDigests, kCfIndicatorSummaries, kCfCampaignSummaries,
                                            kCfCampaignReporters};

void put_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

std::uint64_t get_be64(std::string_view in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < in.size(); ++i) v = v << 8 | static_cast<unsigned char>(in[i]);
  return v;
}

// Whether some process (this one included) holds the write lock RocksDB takes on <db>/LOCK while
// it has the database open for writing. Read from /proc/locks rather than with fcntl(F_GETLK):
// that needs a descriptor of the file, and closing it would drop this process's own lock on it
// (POSIX record locks belong to the process, not the descriptor). Unknown counts as held.
bool writer_holds_lock(const std::string& db_path) {
  struct stat st {};
  if (::stat((std::filesystem::path(db_path) / "LOCK").c_str(), &st) != 0) return false;  // never opened for writing
  std::ifstream locks("/proc/locks");
  if (!locks) return true;
  // "1: POSIX  ADVISORY  WRITE 30445 fe:00:5341188 0 EOF": device major and minor in hex, inode.
  const std::string file = fmt::format(" {:02x}:{:02x}:{} ", major(st.st_dev), minor(st.st_dev), st.st_ino);
  for (std::string line; std::getline(locks, line);)
    if (line.find(file) != std::string::npos) return true;
  return false;
}

core::Error io_error(const rocksdb::Status& s, std::string_view what) {
  auto code = s.IsCorruption() ? ErrorCode::Corruption
              : s.IsBusy() || s.IsTryAgain() || s.IsIncomplete() ? ErrorCode::Unavailable
                                                                 : ErrorCode::IoError;
  return make_error(code, std::string(what) + ": " + s.ToString());
}

std::string indicator_key(core::IndicatorKind kind, std::string_view value) {
  std::string key(to_string(kind));
  key += ':';
  key += value;
  return key;
}

std::string group_key(const core::InboundSegment& s) {
  // Several reporters share the short code: the reporter is part of the key, as is the SMSC.
  std::string key = s.smsc;
  key += '\x1f';
  key += s.source.addr;
  key += '\x1f';
  key += s.dest.addr;
  key += '\x1f';
  key += static_cast<char>(s.concat->source);
  key += static_cast<char>(s.concat->ref >> 8);
  key += static_cast<char>(s.concat->ref & 0xFF);
  key += static_cast<char>(s.concat->total);
  return key;
}

std::string index_key(ReportIndex index, std::string_view key, std::uint64_t id) {
  std::string k(1, static_cast<char>(index));
  k += key;
  k += '\0';
  put_be64(k, id);
  return k;
}

std::string campaign_member_key(const core::Report& r) {
  std::string key = r.campaign;
  key += '\0';
  key += r.reporter;
  return key;
}

std::string reporter_value(const ReporterRecord& r) {
  return core::encode_binary(core::Json{{"first", r.first_ms}, {"last", r.last_ms}, {"reports", r.reports}});
}

core::Json segment_json(const InboxEntry& e) {
  const auto& s = e.segment;
  core::Json j{{"smsc", s.smsc},
               {"src", {s.source.ton, s.source.npi, s.source.addr}},
               {"dst", {s.dest.ton, s.dest.npi, s.dest.addr}},
               {"esm", s.esm_class},
               {"pid", s.protocol_id},
               {"dcs", s.data_coding},
               {"ud", core::Json::binary_t(std::vector<std::uint8_t>(s.user_data.begin(), s.user_data.end()))},
               {"pdu", core::Json::binary_t(std::vector<std::uint8_t>(s.raw_pdu.begin(), s.raw_pdu.end()))},
               {"ms", s.received_ms},
               {"udhl", s.udh_length},
               {"country", e.reporter_country}};
  if (!e.reply_to.empty())
    j["reply"] = core::Json::binary_t(std::vector<std::uint8_t>(e.reply_to.begin(), e.reply_to.end()));
  if (s.concat)
    j["concat"] = {static_cast<int>(s.concat->source), s.concat->ref, s.concat->total, s.concat->seq};
  return j;
}

core::Result<InboxEntry> segment_from(std::string key, std::string_view bytes) {
  auto j = core::decode_binary(bytes);
  if (!j) return j.error();
  try {
    InboxEntry e;
    e.key = std::move(key);
    auto& s = e.segment;
    const auto& v = *j;
    s.smsc = v.at("smsc").get<std::string>();
    s.source = {v.at("src")[0].get<std::uint8_t>(), v.at("src")[1].get<std::uint8_t>(), v.at("src")[2].get<std::string>()};
    s.dest = {v.at("dst")[0].get<std::uint8_t>(), v.at("dst")[1].get<std::uint8_t>(), v.at("dst")[2].get<std::string>()};
    s.esm_class = v.at("esm").get<std::uint8_t>();
    s.protocol_id = v.at("pid").get<std::uint8_t>();
    s.data_coding = v.at("dcs").get<std::uint8_t>();
    const auto& ud = v.at("ud").get_binary();
    s.user_data.assign(ud.begin(), ud.end());
    const auto& pdu = v.at("pdu").get_binary();
    s.raw_pdu.assign(pdu.begin(), pdu.end());
    s.received_ms = v.at("ms").get<std::int64_t>();
    s.udh_length = v.value("udhl", std::uint8_t{0});
    e.reporter_country = v.value("country", "");
    if (auto it = v.find("reply"); it != v.end() && it->is_binary()) e.reply_to.assign(it->get_binary().begin(), it->get_binary().end());
    if (auto it = v.find("concat"); it != v.end()) {
      core::ConcatInfo c;
      c.source = static_cast<core::ConcatSource>((*it)[0].get<int>());
      c.ref = (*it)[1].get<std::uint16_t>();
      c.total = (*it)[2].get<std::uint8_t>();
      c.seq = (*it)[3].get<std::uint8_t>();
      s.concat = c;
    }
    return e;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::Corruption, std::string("inbox entry: ") + ex.what());
  }
}

core::Json outbox_json(const OutboxEntry& o) {
  return core::Json{{"report", o.report_id}, {"reporter", o.reporter},
                    {"dest", core::Json::binary_t(std::vector<std::uint8_t>(o.dest_sealed.begin(), o.dest_sealed.end()))},
                    {"kind", o.kind}, {"lang", o.language}, {"text", o.text}, {"created", o.created_ms},
                    {"attempts", o.attempts}, {"next", o.next_attempt_ms}};
}

core::Result<OutboxEntry> outbox_from(std::string key, std::string_view bytes) {
  auto j = core::decode_binary(bytes);
  if (!j) return j.error();
  try {
    OutboxEntry o;
    o.key = std::move(key);
    o.report_id = j->at("report").get<std::uint64_t>();
    o.reporter = j->at("reporter").get<std::string>();
    const auto& d = j->at("dest").get_binary();
    o.dest_sealed.assign(d.begin(), d.end());
    o.kind = j->at("kind").get<std::string>();
    o.language = j->at("lang").get<std::string>();
    o.text = j->at("text").get<std::string>();
    o.created_ms = j->at("created").get<std::int64_t>();
    o.attempts = j->at("attempts").get<int>();
    o.next_attempt_ms = j->at("next").get<std::int64_t>();
    return o;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::Corruption, std::string("outbox entry: ") + ex.what());
  }
}

class RocksStore final : public Store {
 public:
  RocksStore(StorageConfig config, OpenMode mode) : config_(std::move(config)), mode_(mode) {}

  ~RocksStore() override {
    if (db_ && mode_ == OpenMode::ReadWrite) {
      // Everything to table files before the WAL is closed: the next reader (a smishctl
      // secondary instance, or smishd starting) then has no log to replay.
      rocksdb::FlushOptions fo;
      fo.allow_write_stall = true;
      auto s = db_->Flush(fo, handles_);
      if (!s.ok()) core::log_warn("storage_flush_on_close_failed", {{"error", s.ToString()}});
    }
    if (db_) {
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      db_->Close();
      db_.reset();
    }
    if (!secondary_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(secondary_dir_, ec);
    }
  }

  core::Status open() {
    rocksdb::Options options;
    options.create_if_missing = mode_ == OpenMode::ReadWrite;
    options.create_missing_column_families = mode_ == OpenMode::ReadWrite;
    if (mode_ == OpenMode::ReadWrite) options.IncreaseParallelism(2);
    // Every family's memtable holds the WAL files back until it is flushed, and a smishctl
    // secondary instance replays all of them on open: 300 MB of log made every smishctl call
    // take 4 s. Past this total the families holding the oldest log are flushed, so a reader
    // replays at most this much (bench/bench_lookup.cpp, docs/benchmarks.md).
    options.max_total_wal_size = kMaxTotalWalBytes;
    // The WAL is the durability of the ack path: it must never be disabled (checked per write too).
    options.manual_wal_flush = false;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : kFamilies) {
      rocksdb::ColumnFamilyOptions cf(options);
      // What forget and retention delete or overwrite stays in older table files until a
      // compaction rewrites them: every file is rewritten once it is this old, so a deleted
      // reporter's data and reduced texts are physically gone within this time.
      cf.periodic_compaction_seconds = kPhysicalPurgeSeconds;
      rocksdb::BlockBasedTableOptions table;
      // smishctl opens every table file of a secondary instance (max_open_files -1): with the
      // index and filter blocks read lazily through the block cache, a lookup reads those of the
      // few files it touches instead of all of them at open.
      table.cache_index_and_filter_blocks = mode_ != OpenMode::ReadWrite;
      if (name == kCfDedup || name == kCfIndicators || name == kCfCampaignReporters) {
        // Point lookups on the ack path (is this fingerprint new?) and per report (the indicator's
        // record), mostly for keys that do not exist yet: Bloom filters in the tables and the
        // memtable answer "absent" without reading blocks or walking the skip list.
        table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        cf.memtable_whole_key_filtering = mode_ == OpenMode::ReadWrite;
        cf.memtable_prefix_bloom_size_ratio = mode_ == OpenMode::ReadWrite ? 0.05 : 0.0;
      }
      cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      if (mode_ != OpenMode::ReadWrite) {
        // smishctl's view holds at most the replayed log (max_total_wal_size): small memtables
        // make opening one per family cheap (their first arena block is allocated and zeroed).
        cf.write_buffer_size = kSecondaryMemtableBytes;
        cf.arena_block_size = kSecondaryMemtableBytes / 16;
      }
      descriptors.emplace_back(name, cf);
    }
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s;
    if (mode_ == OpenMode::ReadWrite) {
      std::error_code ec;
      std::filesystem::create_directories(config_.path, ec);
      s = rocksdb::DB::Open(options, config_.path, descriptors, &handles_, &raw);
    } else {
      if (!std::filesystem::exists(std::filesystem::path(config_.path) / "CURRENT"))
        return make_error(ErrorCode::NotFound, "no database at " + config_.path);
      if (mode_ == OpenMode::Secondary) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "smishctl-secondary-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr)
          return make_error(ErrorCode::IoError, "cannot create a directory for the secondary instance");
        secondary_dir_ = tmpl;
        options.max_open_files = -1;  // required by secondary instances
      } else {
        // Table files opened as reads reach them: a lookup on 10 million reports (750 files)
        // opened the database in 7 ms instead of 52 (docs/benchmarks.md).
        options.max_open_files = kReadOnlyOpenFiles;
      }
      // Table files are opened while the MANIFEST is replayed, once per version edit, each time
      // with a new set of this many threads: 16 (the default) made 450 threads per smishctl call.
      options.max_file_opening_threads = 1;
      options.skip_stats_update_on_db_open = true;             // no table reads for statistics
      options.skip_checking_sst_file_sizes_on_db_open = true;  // no stat() of every file
      // A database no smishd of this build has opened yet lacks the newer families (audit,
      // reporters, report_index): read without them.
      std::vector<std::string> existing;
      if (rocksdb::DB::ListColumnFamilies(options, config_.path, &existing).ok())
        std::erase_if(descriptors, [&](const auto& d) {
          return std::find(existing.begin(), existing.end(), d.name) == existing.end();
        });
      s = mode_ == OpenMode::Secondary
              ? rocksdb::DB::OpenAsSecondary(options, config_.path, secondary_dir_, descriptors, &handles_, &raw)
              : rocksdb::DB::OpenForReadOnly(options, config_.path, descriptors, &handles_, &raw);
    }
    if (!s.ok()) return io_error(s, "open " + config_.path);
    db_.reset(raw);
    for (std::size_t i = 0; i < handles_.size(); ++i) cf_[descriptors[i].name] = handles_[i];
    if (auto st = check_schema(); !st) return st;
    return recover_ids();
  }

  core::Result<std::vector<bool>> store_inbound(std::span<const InboxEntry> entries, std::int64_t now_ms) override {
    if (mode_ != OpenMode::ReadWrite) return make_error(ErrorCode::Unsupported, "store is read-only");
    std::vector<bool> stored(entries.size(), false);
    rocksdb::WriteBatch batch;
    std::vector<std::string> batch_fps;
    std::optional<std::string> lowest_single;
    std::string be;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      const std::string fp = e.segment.fingerprint();
      if (std::find(batch_fps.begin(), batch_fps.end(), fp) != batch_fps.end()) continue;  // twice in one read
      std::string seen;
      auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfDedup], fp, &seen);
      if (s.ok() && now_ms - static_cast<std::int64_t>(get_be64(seen)) < config_.dedup_window_s * 1000) continue;
      if (!s.ok() && !s.IsNotFound()) return io_error(s, "dedup lookup");
      batch_fps.push_back(fp);
      be.clear();
      put_be64(be, static_cast<std::uint64_t>(now_ms));  // when it was stored: the window runs from here
      batch.Put(cf_[kCfDedup], fp, be);
      std::string inbox_key;
      put_be64(inbox_key, static_cast<std::uint64_t>(e.segment.received_ms));
      const std::string value = core::encode_binary(segment_json(e));
      if (e.segment.concat) {
        std::string key = group_key(e.segment);
        key += '\0';
        key += static_cast<char>(e.segment.concat->seq);
        batch.Put(cf_[kCfParts], key, value);
      } else {
        inbox_key += fp;
        if (!lowest_single || inbox_key < *lowest_single) lowest_single = inbox_key;
        batch.Put(cf_[kCfInbox], inbox_key, value);
      }
      stored[i] = true;
    }
    if (batch.Count() == 0) return stored;
    rocksdb::WriteOptions wo;
    wo.sync = config_.sync_ack_writes;
    wo.disableWAL = false;
    auto s = db_->Write(wo, &batch);
    if (!s.ok()) return io_error(s, "inbound write");
    lower_inbox_floor(lowest_single);
    return stored;
  }

  core::Result<std::vector<InboxEntry>> pending_singles(std::size_t limit) override {
    std::string from;
    {
      std::lock_guard lock(inbox_floor_mutex_);
      from = inbox_floor_;
      stored_since_scan_.reset();
    }
    std::vector<InboxEntry> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfInbox]));
    for (it->Seek(from); it->Valid() && out.size() < limit; it->Next()) {
      auto e = segment_from(it->key().ToString(), it->value().ToStringView());
      if (!e) return e.error();
      out.push_back(std::move(*e));
    }
    if (!it->status().ok()) return io_error(it->status(), "inbox scan");
    if (!out.empty()) {
      // Nothing pending lies below the first entry found, except what store_inbound wrote after
      // this scan's iterator was made: the next scan starts at the lower of the two.
      std::lock_guard lock(inbox_floor_mutex_);
      inbox_floor_ = out.front().key;
      if (stored_since_scan_ && *stored_since_scan_ < inbox_floor_) inbox_floor_ = *stored_since_scan_;
    }
    return out;
  }

  core::Result<std::vector<InboxEntry>> group_parts(const InboxEntry& part) override {
    if (!part.segment.concat) return make_error(ErrorCode::InvalidArgument, "not a concatenation part");
    std::string prefix = group_key(part.segment);
    prefix += '\0';
    std::vector<InboxEntry> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfParts]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto e = segment_from(it->key().ToString(), it->value().ToStringView());
      if (!e) return e.error();
      out.push_back(std::move(*e));
    }
    if (!it->status().ok()) return io_error(it->status(), "parts scan");
    return out;
  }

  core::Result<std::vector<InboxEntry>> pending_groups() override {
    std::vector<InboxEntry> out;
    std::string last_group;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfParts]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      std::string group = key.substr(0, key.size() - 2);
      if (group == last_group) continue;
      last_group = group;
      auto e = segment_from(std::move(key), it->value().ToStringView());
      if (!e) return e.error();
      out.push_back(std::move(*e));
    }
    if (!it->status().ok()) return io_error(it->status(), "parts scan");
    return out;
  }

  core::Result<std::optional<core::Indicator>> get_indicator(core::IndicatorKind kind, const std::string& value) override {
    return read_indicator(kind, value, nullptr);
  }

  core::Result<std::optional<core::Indicator>> get_indicator_counted(core::IndicatorKind kind, const std::string& value,
                                                                     ReporterTally& tally) override {
    return read_indicator(kind, value, &tally);
  }

  core::Status commit(const Commit& c) override {
    if (mode_ != OpenMode::ReadWrite) return make_error(ErrorCode::Unsupported, "store is read-only");
    rocksdb::WriteBatch batch;
    for (const auto& r : c.reports) {
      std::string key;
      put_be64(key, r.id);
      batch.Put(cf_[kCfReports], key, core::encode_binary(core::to_json(r)));
      batch.Put(cf_[kCfReportDigests], key, encode_digest(digest_of(r)));
      for (const auto& [index, value] : report_index_keys(r)) batch.Put(cf_[kCfReportIndex], index_key(index, value, r.id), "");
    }
    for (const auto& r : c.reports_delete) {
      std::string key;
      put_be64(key, r.id);
      batch.Delete(cf_[kCfReports], key);
      batch.Delete(cf_[kCfReportDigests], key);
      for (const auto& [index, value] : report_index_keys(r)) batch.Delete(cf_[kCfReportIndex], index_key(index, value, r.id));
    }
    std::uint64_t newest = 0;
    if (auto s = count_campaigns(c, batch, newest); !s) return s;
    for (const auto& [pseudonym, record] : c.reporters_put) batch.Put(cf_[kCfReporters], pseudonym, reporter_value(record));
    for (const auto& pseudonym : c.reporters_delete) batch.Delete(cf_[kCfReporters], pseudonym);
    for (const auto& name : c.counters_delete) batch.Delete(cf_[kCfCounters], name);
    for (const auto& [fp, campaign] : c.campaign_fingerprints) {
      std::string key;
      put_be64(key, fp);
      batch.Put(cf_[kCfCampaigns], key, campaign);
    }
    for (const auto& i : c.indicators) {
      const auto key = indicator_key(i.kind, i.value);
      batch.Put(cf_[kCfIndicators], key, core::encode_binary(core::to_json(i)));
      batch.Put(cf_[kCfIndicatorSummaries], key, encode_summary(summary_of(i)));
    }
    for (const auto& key : c.consumed) {
      // Inbox keys start with a BE64 time; part keys with the group key. Deleting from both is cheap.
      batch.Delete(cf_[kCfInbox], key);
      batch.Delete(cf_[kCfParts], key);
    }
    for (const auto& o : c.outbox_put) batch.Put(cf_[kCfOutbox], o.key, core::encode_binary(outbox_json(o)));
    for (const auto& key : c.outbox_delete) batch.Delete(cf_[kCfOutbox], key);
    for (const auto& conv : c.conversations_put)
      batch.Put(cf_[kCfConversations], conv.reporter,
                core::encode_binary(core::Json{{"report", conv.report_id}, {"lang", conv.language}, {"expires", conv.expires_ms}}));
    for (const auto& reporter : c.conversations_delete) batch.Delete(cf_[kCfConversations], reporter);
    for (const auto& [name, value] : c.counters) {
      std::string be;
      put_be64(be, static_cast<std::uint64_t>(value));
      batch.Put(cf_[kCfCounters], name, be);
    }
    for (const auto& [message_id, report] : c.sent) {
      std::string be;
      put_be64(be, report);
      batch.Put(cf_[kCfSent], message_id, be);
    }
    for (const auto& [seq, entry] : c.audit) {
      std::string key, existing;
      put_be64(key, seq);
      auto got = db_->Get(rocksdb::ReadOptions(), cf_[kCfAudit], key, &existing);
      if (got.ok()) return make_error(ErrorCode::InvalidArgument, "audit entry " + std::to_string(seq) + " exists: the log is append-only");
      if (!got.IsNotFound()) return io_error(got, "audit read");
      batch.Put(cf_[kCfAudit], key, entry);
    }
    // Not synced by default: the inbox entries it consumes are deleted in the same batch, so a
    // crash before the WAL reaches the disk replays them and the step is redone (at-least-once).
    rocksdb::WriteOptions wo;
    wo.sync = c.sync;
    auto s = db_->Write(wo, &batch);
    if (!s.ok()) return io_error(s, "commit");
    committed_id_ = std::max(committed_id_, newest);
    return {};
  }

  std::uint64_t next_report_id() override { return next_report_id_++; }

  core::Result<std::vector<OutboxEntry>> outbox() override {
    std::vector<OutboxEntry> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfOutbox]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto o = outbox_from(it->key().ToString(), it->value().ToStringView());
      if (!o) return o.error();
      out.push_back(std::move(*o));
    }
    if (!it->status().ok()) return io_error(it->status(), "outbox scan");
    return out;
  }

  core::Result<std::optional<Conversation>> get_conversation(const std::string& reporter) override {
    std::string bytes;
    auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfConversations], reporter, &bytes);
    if (s.IsNotFound()) return std::optional<Conversation>{};
    if (!s.ok()) return io_error(s, "conversation read");
    auto j = core::decode_binary(bytes);
    if (!j) return j.error();
    Conversation c;
    c.reporter = reporter;
    c.report_id = j->value("report", std::uint64_t{0});
    c.language = j->value("lang", "");
    c.expires_ms = j->value("expires", std::int64_t{0});
    return std::optional<Conversation>(std::move(c));
  }

  core::Result<std::int64_t> get_counter(const std::string& name) override {
    std::string bytes;
    auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfCounters], name, &bytes);
    if (s.IsNotFound()) return std::int64_t{0};
    if (!s.ok()) return io_error(s, "counter read");
    return static_cast<std::int64_t>(get_be64(bytes));
  }

  core::Result<std::optional<std::uint64_t>> get_sent(const std::string& message_id) override {
    std::string bytes;
    auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfSent], message_id, &bytes);
    if (s.IsNotFound()) return std::optional<std::uint64_t>{};
    if (!s.ok()) return io_error(s, "sent read");
    return std::optional<std::uint64_t>(get_be64(bytes));
  }

  core::Result<std::optional<core::Report>> get_report(std::uint64_t id) override {
    std::string key, bytes;
    put_be64(key, id);
    auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfReports], key, &bytes);
    if (s.IsNotFound()) return std::optional<core::Report>{};
    if (!s.ok()) return io_error(s, "report read");
    auto j = core::decode_binary(bytes);
    if (!j) return j.error();
    auto r = core::report_from_json(*j);
    if (!r) return r.error();
    return std::optional<core::Report>(std::move(*r));
  }

  core::Status scan_reports(const std::function<bool(const core::Report&)>& fn) override {
    // Decoding (MessagePack into the DOM, then into a Report) is nearly all of a scan's time: the
    // values are read in batches and each batch decoded by two threads, then handed to `fn` in
    // order. Batches start small (a `reports --limit 20` decodes few it does not need) and grow.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfReports]));
    it->SeekToLast();
    std::vector<std::string> raw;
    std::vector<core::Result<core::Report>> decoded;
    auto decode = [&](std::size_t from, std::size_t to) {
      for (std::size_t i = from; i < to; ++i) {
        auto j = core::decode_binary(raw[i]);
        decoded[i] = j ? core::report_from_json(*j) : core::Result<core::Report>(j.error());
      }
    };
    for (std::size_t batch = kScanFirstBatch; it->Valid(); batch = std::min(batch * 2, kScanMaxBatch)) {
      raw.clear();
      for (; it->Valid() && raw.size() < batch; it->Prev()) raw.emplace_back(it->value().ToStringView());
      decoded.assign(raw.size(), core::make_error(ErrorCode::Internal, "not decoded"));
      if (raw.size() >= kScanParallelFrom) {
        const std::size_t half = raw.size() / 2;
        auto other = std::async(std::launch::async, decode, half, raw.size());
        decode(0, half);
        other.get();
      } else {
        decode(0, raw.size());
      }
      for (auto& r : decoded) {
        if (!r) return r.error();
        if (!fn(*r)) return {};
      }
    }
    if (!it->status().ok()) return io_error(it->status(), "report scan");
    return {};
  }

  core::Status scan_indicators(const std::function<bool(const core::Indicator&)>& fn) override {
    core::Indicator ind;  // reused: decode_indicator replaces every field
    core::Status decoded;
    auto scanned = scan_indicator_values([&](std::string_view, std::string_view value) {
      decoded = decode_indicator(value, ind);
      return decoded.has_value() && fn(ind);
    });
    if (!scanned) return scanned;
    return decoded;
  }

  core::Status scan_indicator_values(const std::function<bool(std::string_view, std::string_view)>& fn) override {
    // A whole-family scan reads every table block once, in order: large reads (fewer system
    // calls than the adaptive readahead's small first ones) that bypass the block cache (they
    // would only evict what the point lookups of the ack path need, and cost a lock each).
    rocksdb::ReadOptions ro;
    ro.readahead_size = kScanReadaheadBytes;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kCfIndicators]));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
    if (!it->status().ok()) return io_error(it->status(), "indicator scan");
    return {};
  }

  core::Result<Counts> counts() override {
    Counts c;
    auto count = [&](const char* cf, std::uint64_t& n) -> core::Status {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[cf]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
      if (!it->status().ok()) return io_error(it->status(), "count");
      return {};
    };
    if (auto s = count(kCfReports, c.reports); !s) return s.error();
    if (auto s = count(kCfIndicators, c.indicators); !s) return s.error();
    if (auto s = count(kCfInbox, c.inbox); !s) return s.error();
    std::uint64_t parts = 0;
    if (auto s = count(kCfParts, parts); !s) return s.error();
    c.inbox += parts;
    return c;
  }

  core::Status checkpoint(const std::string& dir) override {
    if (mode_ != OpenMode::ReadWrite)
      return core::make_error(core::ErrorCode::Unsupported,
                              "a read-only view of the database cannot make a checkpoint (smishd or a stopped database can)");
    std::error_code ec;
    if (std::filesystem::exists(dir, ec))
      return core::make_error(core::ErrorCode::InvalidArgument, dir + " exists already: a backup goes to a new directory");
    const auto parent = std::filesystem::path(dir).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
      return core::make_error(core::ErrorCode::InvalidArgument, parent.string() + " is not a directory");
    rocksdb::Checkpoint* raw = nullptr;
    auto s = rocksdb::Checkpoint::Create(db_.get(), &raw);
    if (!s.ok()) return io_error(s, "checkpoint");
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    // log_size_for_flush 0: the memtables are flushed first, so the copy needs no WAL replay.
    s = cp->CreateCheckpoint(dir, 0);
    if (!s.ok()) return io_error(s, "checkpoint to " + dir);
    return {};
  }

  std::vector<EngineStat> engine_stats() override {
    std::vector<EngineStat> out;
    auto int_prop = [&](rocksdb::ColumnFamilyHandle* cf, const std::string& property, const char* name,
                        const std::string& family) {
      std::uint64_t v = 0;
      if (db_->GetIntProperty(cf, property, &v)) out.push_back({name, family, static_cast<double>(v)});
    };
    double stops = 0, slowdowns = 0;
    for (const auto& [family, cf] : cf_) {
      int_prop(cf, rocksdb::DB::Properties::kTotalSstFilesSize, "sst_bytes", family);
      int_prop(cf, rocksdb::DB::Properties::kCurSizeAllMemTables, "memtable_bytes", family);
      int_prop(cf, rocksdb::DB::Properties::kEstimateNumKeys, "estimated_keys", family);
      // "io_stalls.total_stop" / "io_stalls.total_slowdown": writes stopped or delayed because
      // compaction fell behind, counted since the database was opened.
      std::map<std::string, std::string> cfstats;
      if (db_->GetMapProperty(cf, rocksdb::DB::Properties::kCFStats, &cfstats)) {
        auto num = [&](const char* key) {
          auto it = cfstats.find(key);
          return it == cfstats.end() ? 0.0 : std::strtod(it->second.c_str(), nullptr);
        };
        stops += num("io_stalls.total_stop");
        slowdowns += num("io_stalls.total_slowdown");
      }
    }
    out.push_back({"write_stops_total", "", stops});
    out.push_back({"write_slowdowns_total", "", slowdowns});
    int_prop(db_->DefaultColumnFamily(), rocksdb::DB::Properties::kIsWriteStopped, "write_stopped", "");
    int_prop(db_->DefaultColumnFamily(), rocksdb::DB::Properties::kActualDelayedWriteRate, "delayed_write_rate_bytes", "");
    int_prop(db_->DefaultColumnFamily(), rocksdb::DB::Properties::kBackgroundErrors, "background_errors_total", "");
    // Background work now: a database that is still compacting competes with every reader for
    // the cores (the export benchmark waits for these to reach zero before it times anything).
    int_prop(db_->DefaultColumnFamily(), rocksdb::DB::Properties::kNumRunningCompactions, "running_compactions", "");
    int_prop(db_->DefaultColumnFamily(), rocksdb::DB::Properties::kNumRunningFlushes, "running_flushes", "");
    double pending = 0;
    for (const auto& [family, cf] : cf_) {
      std::uint64_t v = 0;
      if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kEstimatePendingCompactionBytes, &v)) pending += double(v);
    }
    out.push_back({"pending_compaction_bytes", "", pending});
    return out;
  }

  core::Status scan_audit(const std::function<bool(std::uint64_t, std::string_view)>& fn, bool newest_first) override {
    auto cf = cf_.find(kCfAudit);
    if (cf == cf_.end()) return {};  // a secondary on a database without the family yet: no entries
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf->second));
    for (newest_first ? it->SeekToLast() : it->SeekToFirst(); it->Valid(); newest_first ? it->Prev() : it->Next())
      if (!fn(get_be64(it->key().ToStringView()), it->value().ToStringView())) break;
    if (!it->status().ok()) return io_error(it->status(), "audit scan");
    return {};
  }

  core::Result<std::optional<ReporterRecord>> get_reporter(const std::string& pseudonym) override {
    auto cf = cf_.find(kCfReporters);
    if (cf == cf_.end()) return std::optional<ReporterRecord>{};  // a secondary on a schema-1 database
    std::string bytes;
    auto s = db_->Get(rocksdb::ReadOptions(), cf->second, pseudonym, &bytes);
    if (s.IsNotFound()) return std::optional<ReporterRecord>{};
    if (!s.ok()) return io_error(s, "reporter read");
    auto j = core::decode_binary(bytes);
    if (!j) return j.error();
    ReporterRecord r;
    r.first_ms = j->value("first", std::int64_t{0});
    r.last_ms = j->value("last", std::int64_t{0});
    r.reports = j->value("reports", std::uint64_t{0});
    return std::optional<ReporterRecord>(r);
  }

  core::Status scan_report_ids(ReportIndex index, const std::string& key,
                               const std::function<bool(std::uint64_t)>& fn) override {
    auto cf = cf_.find(kCfReportIndex);
    if (cf == cf_.end())
      return make_error(ErrorCode::Unsupported,
                        "database " + config_.path + " has schema version 1 (no report index): start smishd once to migrate it");
    std::string prefix(1, static_cast<char>(index));
    prefix += key;
    prefix += '\0';
    std::string upper = prefix;
    upper.back() = '\x01';  // the first key after every id of this prefix
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf->second));
    for (it->SeekForPrev(upper); it->Valid() && it->key().starts_with(prefix); it->Prev()) {
      if (it->key().size() != prefix.size() + 8) continue;  // a longer key sharing the prefix
      if (!fn(get_be64(it->key().ToStringView().substr(prefix.size())))) break;
    }
    if (!it->status().ok()) return io_error(it->status(), "report index scan");
    return {};
  }

  core::Status scan_reports_from(std::uint64_t from, const std::function<bool(const core::Report&)>& fn) override {
    std::string start;
    put_be64(start, from);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfReports]));
    for (it->Seek(start); it->Valid(); it->Next()) {
      auto j = core::decode_binary(it->value().ToStringView());
      if (!j) return j.error();
      auto r = core::report_from_json(*j);
      if (!r) return r.error();
      if (!fn(*r)) break;
    }
    if (!it->status().ok()) return io_error(it->status(), "report scan");
    return {};
  }

  core::Status scan_counters(const std::string& prefix,
                             const std::function<bool(std::string_view, std::int64_t)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfCounters]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
      if (!fn(it->key().ToStringView(), static_cast<std::int64_t>(get_be64(it->value().ToStringView())))) break;
    if (!it->status().ok()) return io_error(it->status(), "counter scan");
    return {};
  }

  core::Status scan_report_digests(const std::function<bool(const ReportDigest&)>& fn) override {
    auto cf = cf_.find(kCfReportDigests);
    if (cf == cf_.end() || schema_ < 3) return unmigrated("report digests");
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf->second));
    ReportDigest d;  // reused: decode_digest replaces every field but the id
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (auto s = decode_digest(it->value().ToStringView(), d); !s) return s;
      d.id = get_be64(it->key().ToStringView());
      if (!fn(d)) return {};
    }
    if (!it->status().ok()) return io_error(it->status(), "report digest scan");
    return {};
  }

  core::Status scan_indicator_summaries(
      const std::function<bool(core::IndicatorKind, std::string_view, const IndicatorSummary&)>& fn) override {
    auto cf = cf_.find(kCfIndicatorSummaries);
    if (cf == cf_.end() || schema_ < 3) return unmigrated("indicator summaries");
    rocksdb::ReadOptions ro;
    ro.readahead_size = kScanReadaheadBytes;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf->second));
    IndicatorSummary summary;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto key = it->key().ToStringView();
      const auto colon = key.find(':');
      const auto kind = colon == std::string_view::npos ? std::nullopt : core::parse_indicator_kind(key.substr(0, colon));
      if (!kind) return make_error(ErrorCode::Corruption, "indicator summary key without a kind: " + std::string(key));
      if (auto s = decode_summary(it->value().ToStringView(), summary); !s) return s;
      if (!fn(*kind, key.substr(colon + 1), summary)) return {};
    }
    if (!it->status().ok()) return io_error(it->status(), "indicator summary scan");
    return {};
  }

  core::Status scan_campaign_summaries(const std::function<bool(std::string_view, const CampaignSummary&)>& fn) override {
    auto cf = cf_.find(kCfCampaignSummaries);
    if (cf == cf_.end() || schema_ < 3) return unmigrated("campaign summaries");
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf->second));
    CampaignSummary summary;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (auto s = decode_summary(it->value().ToStringView(), summary); !s) return s;
      if (!fn(it->key().ToStringView(), summary)) return {};
    }
    if (!it->status().ok()) return io_error(it->status(), "campaign summary scan");
    return {};
  }

  core::Status scan_campaign_fingerprints(const std::function<bool(std::uint64_t, std::string_view)>& fn) override {
    auto cf = cf_.find(kCfCampaigns);
    if (cf == cf_.end()) return {};
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf->second));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      if (!fn(get_be64(it->key().ToStringView()), it->value().ToStringView())) break;
    if (!it->status().ok()) return io_error(it->status(), "campaign scan");
    return {};
  }

  core::Status scan_raw(const std::function<bool(std::string_view, std::string_view, std::string_view)>& fn) override {
    for (const auto& [family, cf] : cf_) {
      rocksdb::ReadOptions ro;
      ro.fill_cache = false;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
      for (it->SeekToFirst(); it->Valid(); it->Next())
        if (!fn(family, it->key().ToStringView(), it->value().ToStringView())) return {};
      if (!it->status().ok()) return io_error(it->status(), "scan " + family);
    }
    return {};
  }

  core::Status catch_up() override {
    if (mode_ != OpenMode::Secondary) return {};
    auto s = db_->TryCatchUpWithPrimary();
    if (!s.ok()) return io_error(s, "catch up with primary");
    return {};
  }

 private:
  // Inbox keys start with the receive time, so processing consumes them nearly in key order and
  // leaves its deletions behind the oldest pending entry. Scanning from the lowest key that may
  // still be pending, instead of from the start, steps over at most the last batch's tombstones;
  // from the start, each scan walked every deletion since the last compaction (quadratic in the
  // backlog, 45 % of smishd's CPU at window 100). store_inbound runs on the ack thread and the
  // scan on the processing thread, hence the mutex.
  void lower_inbox_floor(const std::optional<std::string>& key) {
    if (!key) return;
    std::lock_guard lock(inbox_floor_mutex_);
    if (*key < inbox_floor_) inbox_floor_ = *key;
    if (!stored_since_scan_ || *key < *stored_since_scan_) stored_since_scan_ = *key;
  }
  std::mutex inbox_floor_mutex_;
  std::string inbox_floor_;  ///< scans start here; "" = the start
  /// The lowest inbox key stored since the last scan began: that scan may not have seen it.
  std::optional<std::string> stored_since_scan_;

  /// One indicator through the export's decoder (storage/indicator_codec.hpp: the DOM path took
  /// most of the time of an update of an indicator with thousands of reporters); with `tally`,
  /// its reporters counted instead of kept.
  core::Result<std::optional<core::Indicator>> read_indicator(core::IndicatorKind kind, const std::string& value,
                                                              ReporterTally* tally) {
    std::string bytes;
    auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfIndicators], indicator_key(kind, value), &bytes);
    if (s.IsNotFound()) return std::optional<core::Indicator>{};
    if (!s.ok()) return io_error(s, "indicator read");
    core::Indicator ind;
    if (auto d = tally ? decode_indicator(bytes, ind, *tally) : decode_indicator(bytes, ind); !d) return d.error();
    return std::optional<core::Indicator>(std::move(ind));
  }

  /// Writes a migration step's batch (not synced: the version written after the step is) and
  /// empties it.
  core::Status flush_batch(rocksdb::WriteBatch& batch) {
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    batch.Clear();
    if (!s.ok()) return io_error(s, "migration write");
    return {};
  }

  /// Campaign summaries and members into `batch` for the reports `c` writes for the first time
  /// (ids above every id committed before: a rewrite by retention or an analyst's label is not a
  /// new report) and the reports it deletes; `newest` gets the highest new id.
  core::Status count_campaigns(const Commit& c, rocksdb::WriteBatch& batch, std::uint64_t& newest) {
    std::map<std::string, CampaignSummary> touched;
    std::map<std::string, bool> members;  // campaign_reporters keys read or written in this commit: present?
    auto summary = [&](const std::string& campaign) -> core::Result<CampaignSummary*> {
      auto [it, fresh] = touched.try_emplace(campaign);
      if (!fresh) return &it->second;
      std::string bytes;
      auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfCampaignSummaries], campaign, &bytes);
      if (s.ok()) {
        if (auto d = decode_summary(bytes, it->second); !d) return d.error();
      } else if (!s.IsNotFound()) {
        return io_error(s, "campaign summary read");
      }
      return &it->second;
    };
    auto member = [&](const std::string& key) -> core::Result<bool*> {
      auto [it, fresh] = members.try_emplace(key, false);
      if (!fresh) return &it->second;
      std::string ignored;
      auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfCampaignReporters], key, &ignored);
      if (!s.ok() && !s.IsNotFound()) return io_error(s, "campaign member read");
      it->second = s.ok();
      return &it->second;
    };
    for (const auto& r : c.reports) {
      if (r.id <= committed_id_) continue;
      newest = std::max(newest, r.id);
      if (r.campaign.empty()) continue;
      auto sum = summary(r.campaign);
      if (!sum) return sum.error();
      (*sum)->add_report(r.received_ms, r.verdict.category);
      const auto key = campaign_member_key(r);
      auto present = member(key);
      if (!present) return present.error();
      if (!**present) {
        batch.Put(cf_[kCfCampaignReporters], key, "");
        ++(*sum)->distinct_reporters;
        **present = true;
      }
    }
    for (const auto& r : c.reports_delete) {
      if (r.campaign.empty()) continue;
      auto sum = summary(r.campaign);
      if (!sum) return sum.error();
      if ((*sum)->reports > 0) --(*sum)->reports;
      (*sum)->vote(r.verdict.category, -1);
      // Deleting reports is forgetting their reporter: every report of it goes in one commit.
      const auto key = campaign_member_key(r);
      auto present = member(key);
      if (!present) return present.error();
      if (**present) {
        batch.Delete(cf_[kCfCampaignReporters], key);
        if ((*sum)->distinct_reporters > 0) --(*sum)->distinct_reporters;
        **present = false;
      }
    }
    for (const auto& [campaign, sum] : touched) {
      if (sum.reports == 0) batch.Delete(cf_[kCfCampaignSummaries], campaign);
      else batch.Put(cf_[kCfCampaignSummaries], campaign, encode_summary(sum));
    }
    return {};
  }

  /// What a read of a family newer than the database's schema says (a secondary instance on a
  /// database no smishd of this build has opened, or one still migrating it).
  core::Error unmigrated(std::string_view what) const {
    return make_error(ErrorCode::Unsupported, "database " + config_.path + " has schema version " + std::to_string(schema_) +
                                                  " (no " + std::string(what) + "): start smishd once to migrate it");
  }

  core::Status check_schema() {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), cf_[kCfDefault], kSchemaKey, &value);
    if (s.IsNotFound()) {
      if (mode_ != OpenMode::ReadWrite) return {};
      auto w = db_->Put(rocksdb::WriteOptions(), cf_[kCfDefault], kSchemaKey, std::to_string(kSchemaVersion));
      if (!w.ok()) return io_error(w, "write schema version");
      schema_ = kSchemaVersion;
      return {};
    }
    if (!s.ok()) return io_error(s, "read schema version");
    int version = std::atoi(value.c_str());
    schema_ = version;
    if (version > kSchemaVersion)
      return make_error(ErrorCode::Unsupported,
                        "database " + config_.path + " has schema version " + value +
                            ", newer than this build's " + std::to_string(kSchemaVersion) +
                            ": upgrade smishd or restore a backup");
    if (version < kSchemaVersion && mode_ == OpenMode::ReadWrite) return migrate(version);
    return {};
  }

  /// Brings a database of an older schema to kSchemaVersion, one step at a time. Each step is
  /// idempotent (it only puts records derived from what is there), and the version is written
  /// after its step: a crash in between redoes the step on the next open.
  core::Status migrate(int from) {
    for (int version = from; version < kSchemaVersion; ++version) {
      const auto started = std::chrono::steady_clock::now();
      core::log_info("schema_migration_started", {{"path", config_.path}, {"from", version}, {"to", version + 1}});
      std::uint64_t records = 0;
      auto n = version == 1 ? migrate_1_to_2() : migrate_2_to_3();
      if (!n) return n.error();
      records = *n;
      rocksdb::WriteOptions wo;
      wo.sync = true;
      auto w = db_->Put(wo, cf_[kCfDefault], kSchemaKey, std::to_string(version + 1));
      if (!w.ok()) return io_error(w, "write schema version");
      schema_ = version + 1;
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
      core::log_info("schema_migrated", {{"path", config_.path}, {"to", version + 1}, {"reports", records}, {"ms", ms}});
    }
    return {};
  }

  /// Schema 2: the report index and the reporter records, rebuilt from every stored report.
  core::Result<std::uint64_t> migrate_1_to_2() {
    std::map<std::string, ReporterRecord> reporters;
    rocksdb::WriteBatch batch;
    std::uint64_t n = 0;
    auto flush = [&] { return flush_batch(batch); };
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfReports]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto j = core::decode_binary(it->value().ToStringView());
      if (!j) return j.error();
      auto r = core::report_from_json(*j);
      if (!r) return r.error();
      for (const auto& [index, value] : report_index_keys(*r)) batch.Put(cf_[kCfReportIndex], index_key(index, value, r->id), "");
      auto& rec = reporters[r->reporter];
      if (rec.reports == 0 || r->received_ms < rec.first_ms) rec.first_ms = r->received_ms;
      rec.last_ms = std::max(rec.last_ms, r->received_ms);
      ++rec.reports;
      if (++n % 10000 == 0)
        if (auto s = flush(); !s) return s.error();
    }
    if (!it->status().ok()) return io_error(it->status(), "migration scan");
    for (const auto& [pseudonym, rec] : reporters) batch.Put(cf_[kCfReporters], pseudonym, reporter_value(rec));
    if (auto s = flush(); !s) return s.error();
    return n;
  }

  /// Schema 3: the report digests and the indicator summaries, derived from every stored report
  /// and indicator.
  core::Result<std::uint64_t> migrate_2_to_3() {
    rocksdb::WriteBatch batch;
    std::uint64_t n = 0;
    core::Status written;
    auto flush = [&] { return flush_batch(batch); };
    std::string key;
    std::map<std::string, CampaignSummary> campaigns;
    auto scanned = scan_reports([&](const core::Report& r) {
      key.clear();
      put_be64(key, r.id);
      batch.Put(cf_[kCfReportDigests], key, encode_digest(digest_of(r)));
      if (!r.campaign.empty()) {
        campaigns[r.campaign].add_report(r.received_ms, r.verdict.category);
        batch.Put(cf_[kCfCampaignReporters], campaign_member_key(r), "");  // a set: repeats are one key
      }
      if (++n % 10000 == 0) written = flush();
      return written.has_value();
    });
    if (!scanned) return scanned.error();
    if (!written) return written.error();
    if (auto s = flush(); !s) return s.error();
    // Distinct reporters: the members of each campaign, counted in key order.
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfCampaignReporters]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const auto k = it->key().ToStringView();
        if (auto found = campaigns.find(std::string(k.substr(0, k.find('\0')))); found != campaigns.end())
          ++found->second.distinct_reporters;
      }
      if (!it->status().ok()) return io_error(it->status(), "migration scan");
    }
    for (const auto& [campaign, sum] : campaigns) batch.Put(cf_[kCfCampaignSummaries], campaign, encode_summary(sum));
    core::Indicator ind;
    scanned = scan_indicator_values([&](std::string_view k, std::string_view value) {
      written = decode_indicator(value, ind);
      if (!written) return false;
      batch.Put(cf_[kCfIndicatorSummaries], rocksdb::Slice(k.data(), k.size()), encode_summary(summary_of(ind)));
      if (batch.Count() >= 10000) written = flush();
      return written.has_value();
    });
    if (!scanned) return scanned.error();
    if (!written) return written.error();
    if (auto s = flush(); !s) return s.error();
    return n;
  }

  core::Status recover_ids() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kCfReports]));
    it->SeekToLast();
    next_report_id_ = it->Valid() ? get_be64(it->key().ToStringView()) + 1 : 1;
    committed_id_ = next_report_id_ - 1;
    if (!it->status().ok()) return io_error(it->status(), "recover report ids");
    return {};
  }

  StorageConfig config_;
  OpenMode mode_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> cf_;
  std::string secondary_dir_;
  std::uint64_t next_report_id_ = 1;
  int schema_ = 0;  ///< the database's schema version once opened (migrated, for smishd)
  std::uint64_t committed_id_ = 0;  ///< the highest report id written (reports above it are new)
};

}  // namespace

std::vector<std::pair<ReportIndex, std::string>> report_index_keys(const core::Report& r) {
  std::vector<std::pair<ReportIndex, std::string>> out;
  if (!r.reporter.empty()) out.emplace_back(ReportIndex::Reporter, r.reporter);
  auto indicator = [&](core::IndicatorKind kind, const std::string& value) {
    if (value.empty()) return;
    auto key = indicator_key(kind, value);
    for (const auto& [index, existing] : out)
      if (index == ReportIndex::Indicator && existing == key) return;
    out.emplace_back(ReportIndex::Indicator, std::move(key));
  };
  using K = core::IndicatorKind;
  for (const auto& n : r.extraction.numbers) indicator(K::Number, n.e164);
  for (const auto& u : r.extraction.urls) {
    indicator(K::Url, u.url);
    indicator(K::Host, u.host);
    indicator(K::Domain, u.domain);
  }
  for (const auto& sid : r.extraction.sender_ids) indicator(K::SenderId, sid);
  if (!r.reported_sender.empty())
    indicator(r.reported_sender.front() == '+' ? K::Number : K::SenderId, r.reported_sender);
  if (!r.campaign.empty()) out.emplace_back(ReportIndex::Campaign, r.campaign);
  return out;
}

core::Result<std::unique_ptr<Store>> Store::open(const StorageConfig& config, OpenMode mode) {
  // A read-only instance beside a running writer could miss files its compactions delete: then a
  // secondary instance, which follows the writer, reads instead.
  if (mode == OpenMode::ReadOnly && writer_holds_lock(config.path)) mode = OpenMode::Secondary;
  if (mode == OpenMode::ReadWrite && !config.sync_ack_writes)
    return make_error(ErrorCode::InvalidArgument,
                      "storage.sync_ack_writes is false: smishd never acknowledges a report before it is on disk");
  auto store = std::make_unique<RocksStore>(config, mode);
  if (auto s = store->open(); !s) return s.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace smish::storage
