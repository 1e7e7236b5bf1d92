// A database opened with RocksDB directly, every column family, as another build of smishd would
// open it: what the schema tests read and change behind the store's back.
#pragma once

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace smish::test {

using RawFamilies = std::map<std::string, rocksdb::ColumnFamilyHandle*>;

/// Opens the database at `path` with all its column families, calls fn(db, families by name) and
/// closes it again.
inline void with_raw_db(const std::string& path, const std::function<void(rocksdb::DB&, const RawFamilies&)>& fn) {
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(rocksdb::Options(), path, descriptors, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  RawFamilies families;
  for (std::size_t i = 0; i < names.size(); ++i) families[names[i]] = handles[i];
  fn(*db, families);
  for (auto* h : handles) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
  REQUIRE(db->Close().ok());
}

}  // namespace smish::test
