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
  // A checkpoint of a large database flushes memtables first: allow it more than a mutation.
  auto written = run_write(
      ctx, core::Json{{"op", "backup"}, {"out", out}}, std::chrono::minutes(10),
      [&](storage::Store& store) -> core::Result<core::Json> {
        if (auto st = store.checkpoint(out); !st) return st.error();
        return core::Json();
      },
      "backup");
  if (!written) return kUsage;
  const std::string via = written->via;
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
