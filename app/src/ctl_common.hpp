// What every smishctl command shares: the context, exit codes, output helpers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "smish/app/config.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

inline constexpr int kFound = 0, kNotFound = 1, kUsage = 2;

/// One smishctl invocation: the loaded configuration, --json, and the store once opened.
struct Ctx {
  Config config;
  bool json = false;
  std::unique_ptr<storage::Store> store;
};

/// Opens the database read-only (RocksDB secondary instance) into ctx.store. Returns kFound on
/// success, kNotFound when there is no database, kUsage on other errors (already printed).
int open_store(Ctx& ctx);

/// Prints rows as aligned columns under a header.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// At most `max_chars` code points of `text` on one line, with "…" when cut.
std::string excerpt(const std::string& text, std::size_t max_chars);

}  // namespace smish::app
