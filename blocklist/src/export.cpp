// Writes the blocklist files atomically (temp, fsync, rename) with a sha256 manifest.
#include "smish/blocklist/export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"

namespace smish::blocklist {
namespace {

using core::ErrorCode;
using core::make_error;

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  return core::to_hex(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

core::Status fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return make_error(ErrorCode::IoError, "open " + dir.string() + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return make_error(ErrorCode::IoError, "fsync " + dir.string() + ": " + std::strerror(errno));
  return {};
}

/// Write `content` to dir/name via a temporary file, fsync, rename.
core::Status write_atomic(const std::filesystem::path& dir, const std::string& name, std::string_view content) {
  const auto final_path = dir / name;
  const auto tmp_path = dir / ("." + name + ".tmp");
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorCode::IoError, "create " + tmp_path.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp_path.c_str());
      return make_error(ErrorCode::IoError, "write " + tmp_path.string() + ": " + err);
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp_path.c_str());
    return make_error(ErrorCode::IoError, "fsync " + tmp_path.string() + ": " + std::strerror(errno));
  }
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0)
    return make_error(ErrorCode::IoError, "rename " + final_path.string() + ": " + std::strerror(errno));
  return {};
}

std::uint64_t previous_serial(const std::filesystem::path& dir) {
  std::ifstream in(dir / "manifest.json");
  if (!in) return 0;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = core::Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("serial") || !j["serial"].is_number_unsigned()) return 0;
  return j["serial"].get<std::uint64_t>();
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

core::Result<ExportResult> export_blocklists(storage::Store& store, const PolicyConfig& policy,
                                             const ExportConfig& config, std::int64_t now_ms) {
  std::error_code ec;
  const std::filesystem::path dir(config.out_dir);
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::IoError, "create " + config.out_dir + ": " + ec.message());

  ExportResult result;
  result.serial = previous_serial(dir) + 1;
  std::string numbers = "e164,category,status,first_seen,last_seen,distinct_reporters,score,expires\n";
  std::string domains, hosts, urls;
  auto scan = store.scan_indicators([&](const core::Indicator& stored) {
    core::Indicator ind = stored;
    const auto status = evaluate(ind, policy, now_ms);
    if (!core::is_blocked(status)) return true;
    if (is_protected(ind, policy)) {  // defence in depth: evaluate() already refuses these
      ++result.protected_skipped;
      return true;
    }
    switch (ind.kind) {
      case core::IndicatorKind::Number:
        numbers += fmt::format("{},{},{},{},{},{},{:.3f},{}\n", csv_field(ind.value), csv_field(ind.top_category()),
                               to_string(status), core::format_utc(ind.first_seen_ms),
                               core::format_utc(ind.last_seen_ms), ind.distinct_reporters, ind.max_score,
                               ind.expires_ms ? core::format_utc(ind.expires_ms) : "");
        ++result.numbers;
        break;
      case core::IndicatorKind::Domain: domains += ind.value + "\n"; ++result.domains; break;
      case core::IndicatorKind::Host: hosts += ind.value + "\n"; ++result.hosts; break;
      case core::IndicatorKind::Url: urls += ind.value + "\n"; ++result.urls; break;
      case core::IndicatorKind::SenderId: break;
    }
    return true;
  });
  if (!scan) return scan.error();

  const std::vector<std::pair<std::string, const std::string*>> files = {
      {"numbers.csv", &numbers}, {"domains.txt", &domains}, {"hosts.txt", &hosts}, {"urls.txt", &urls}};
  core::Json manifest{{"serial", result.serial},
                      {"generated", core::format_utc(now_ms)},
                      {"files", core::Json::object()}};
  const std::size_t counts[] = {result.numbers, result.domains, result.hosts, result.urls};
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& [name, content] = files[i];
    if (auto s = write_atomic(dir, name, *content); !s) return s.error();
    manifest["files"][name] = {{"entries", counts[i]}, {"sha256", sha256_hex(*content)}, {"bytes", content->size()}};
    result.files.push_back((dir / name).string());
  }
  if (auto s = write_atomic(dir, "manifest.json", manifest.dump(2) + "\n"); !s) return s.error();
  result.files.push_back((dir / "manifest.json").string());
  if (auto s = fsync_dir(dir); !s) return s.error();
  return result;
}

}  // namespace smish::blocklist
