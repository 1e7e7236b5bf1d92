// The audit log: canonical JSON entries, SHA-256 chaining (OpenSSL) and verification.
#include "smish/storage/audit_log.hpp"

#include <openssl/evp.h>

#include <array>
#include <deque>

#include <fmt/format.h>

namespace smish::storage {
namespace {

using core::ErrorCode;
using core::make_error;

core::Json canonical(const AuditEntry& e) {
  // nlohmann::json objects are std::maps: keys come out sorted, so dump() is canonical.
  return core::Json{{"seq", e.seq},       {"at_ms", e.at_ms},   {"actor", e.actor},   {"uid", e.uid},
                    {"via", e.via},       {"action", e.action}, {"target", e.target}, {"before", e.before},
                    {"after", e.after},   {"note", e.note},     {"prev", e.prev}};
}

std::string dump(const core::Json& j) { return j.dump(-1, ' ', false, core::Json::error_handler_t::replace); }

}  // namespace

std::string audit_hash(const AuditEntry& e) { return core::sha256_hex(dump(canonical(e))); }

std::string encode_audit(const AuditEntry& e) {
  auto j = canonical(e);
  j["hash"] = e.hash;
  return dump(j);
}

core::Result<AuditEntry> decode_audit(std::string_view bytes) {
  auto j = core::Json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::Corruption, "not a JSON object");
  try {
    AuditEntry e;
    e.seq = j.at("seq").get<std::uint64_t>();
    e.at_ms = j.at("at_ms").get<std::int64_t>();
    e.actor = j.at("actor").get<std::string>();
    e.uid = j.at("uid").get<std::int64_t>();
    e.via = j.at("via").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.target = j.at("target").get<std::string>();
    e.before = j.at("before");
    e.after = j.at("after");
    e.note = j.at("note").get<std::string>();
    e.prev = j.at("prev").get<std::string>();
    e.hash = j.at("hash").get<std::string>();
    return e;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::Corruption, std::string("audit entry: ") + ex.what());
  }
}

AuditEntry append_audit(Commit& commit, AuditEntry entry, const std::optional<AuditEntry>& last) {
  entry.seq = last ? last->seq + 1 : 1;
  entry.prev = last ? last->hash : std::string(kAuditGenesis);
  entry.hash = audit_hash(entry);
  commit.audit.emplace_back(entry.seq, encode_audit(entry));
  return entry;
}

core::Result<std::optional<AuditEntry>> last_audit(Store& store) {
  std::optional<AuditEntry> last;
  core::Status decode_error;
  auto s = store.scan_audit(
      [&](std::uint64_t seq, std::string_view bytes) {
        auto e = decode_audit(bytes);
        if (!e) {
          decode_error = make_error(ErrorCode::Corruption, fmt::format("audit entry {}: {}", seq, e.error().detail));
        } else {
          last = std::move(*e);
        }
        return false;
      },
      true);
  if (!s) return s.error();
  if (!decode_error) return decode_error.error();
  return last;
}

core::Result<std::vector<AuditEntry>> tail_audit(Store& store, std::size_t limit) {
  std::deque<AuditEntry> out;
  core::Status decode_error;
  auto s = store.scan_audit(
      [&](std::uint64_t seq, std::string_view bytes) {
        if (out.size() >= limit) return false;
        auto e = decode_audit(bytes);
        if (!e) {
          decode_error = make_error(ErrorCode::Corruption, fmt::format("audit entry {}: {}", seq, e.error().detail));
          return false;
        }
        out.push_front(std::move(*e));
        return true;
      },
      true);
  if (!s) return s.error();
  if (!decode_error) return decode_error.error();
  return std::vector<AuditEntry>(out.begin(), out.end());
}

core::Result<AuditCheck> verify_audit(Store& store) {
  AuditCheck check;
  std::uint64_t expected_seq = 1;
  std::string prev_hash(kAuditGenesis);
  auto s = store.scan_audit(
      [&](std::uint64_t seq, std::string_view bytes) {
        ++check.entries;
        auto problem = [&](std::string what) { check.problems.push_back({seq, std::move(what)}); };
        if (seq != expected_seq)
          problem(seq > expected_seq ? fmt::format("entries {}..{} are missing", expected_seq, seq - 1)
                                     : fmt::format("out of order after entry {}", expected_seq - 1));
        expected_seq = seq + 1;
        auto e = decode_audit(bytes);
        if (!e) {
          problem("cannot be read: " + e.error().detail);
          prev_hash.clear();  // the next entry cannot be checked against it
          return true;
        }
        if (e->seq != seq) problem(fmt::format("says it is entry {}", e->seq));
        if (!prev_hash.empty() && e->prev != prev_hash)
          problem(seq == 1 ? "does not start the chain" : fmt::format("does not follow entry {} (its prev is not that entry's hash)", seq - 1));
        if (audit_hash(*e) != e->hash) problem("its content does not match its hash (changed after it was written)");
        prev_hash = e->hash;
        check.head = e->hash;
        return true;
      },
      false);
  if (!s) return s.error();
  return check;
}

}  // namespace smish::storage
