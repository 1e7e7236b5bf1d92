// smishctl backup: a consistent RocksDB checkpoint, made by smishd while it runs or on the
// stopped database directly.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "ctl_commands.hpp"
#include "smish/app/admin.hpp"

namespace smish::app {
namespace {

constexpr const char* kBackupUsage = "backup --out DIR   (DIR must not exist; see docs/operations.md to restore)";

/// Files and bytes under `dir` (what the checkpoint holds), for the summary line.
std::pair<std::size_t, std::uintmax_t> tally(const std::filesystem::path& dir) {
  std::size_t files = 0;
  std::uintmax_t bytes = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    ++files;
    bytes += e.file_size(ec);
  }
  return {files, bytes};
}

}  // namespace

int cmd_backup(Ctx& ctx, const Args& args) {
  const auto out_arg = args.get("out");
  if (!out_arg || out_arg->empty() || args.positional.size() != 1) {
    std::cerr << "usage: smishctl " << kBackupUsage << "\n";
    return kUsage;
  }
  // The daemon resolves paths from its own working directory: hand it an absolute one.
  const std::string out = std::filesystem::absolute(*out_arg).lexically_normal().string();
  std::string via;
  const std::string path = admin_socket_path(ctx.config);
  if (!path.empty()) {
    // A checkpoint of a large database flushes memtables first: allow it more than a mutation.
    auto resp = admin_request(path, core::Json{{"op", "backup"}, {"out", out}}, std::chrono::minutes(10));
    if (resp) {
      if (!resp->value("ok", false)) {
        std::cerr << "smishctl: backup: " << resp->value("error", "smishd gave no reason") << "\n";
        return kUsage;
      }
      via = "smishd";
    } else if (resp.error().code != core::ErrorCode::Unavailable) {
      std::cerr << "smishctl: backup: " << resp.error().detail << "; check " << out << " before trusting it\n";
      return kUsage;
    }
  }
  if (via.empty()) {
    // No smishd answers: the database itself (its LOCK keeps a starting smishd out meanwhile).
    if (!std::filesystem::exists(std::filesystem::path(ctx.config.storage.path) / "CURRENT")) {
      std::cerr << "smishctl: no database at " << ctx.config.storage.path << "\n";
      return kUsage;
    }
    auto store = storage::Store::open(ctx.config.storage, storage::OpenMode::ReadWrite);
    if (!store) {
      std::cerr << "smishctl: backup: " << store.error().detail
                << (path.empty() ? "" : " (and nothing answers on " + path + ")") << "\n";
      return kUsage;
    }
    if (auto st = (*store)->checkpoint(out); !st) {
      std::cerr << "smishctl: backup: " << st.error().detail << "\n";
      return kUsage;
    }
    via = "direct";
  }
  const auto [files, bytes] = tally(out);
  if (ctx.json) {
    std::cout << core::Json{{"out", out}, {"via", via}, {"files", files}, {"bytes", bytes}}.dump() << "\n";
  } else {
    std::cout << fmt::format("backup written to {} ({} files, {:.1f} MB, via {})\n", out, files,
                             static_cast<double>(bytes) / 1e6, via);
  }
  return kFound;
}

}  // namespace smish::app
