// The pipeline over a real RocksDB in a temporary directory, the real extractor and rules, and an
// injected clock: the fixture of the app tests that drive Pipeline directly.
#pragma once

#include <doctest/doctest.h>

#include "smish/app/pipeline.hpp"
#include "smish/gateway/text.hpp"
#include "support.hpp"

namespace smish::test::pipeline {

struct Fixture {
  test::TempDir dir;
  test::FakeClock clock;
  std::unique_ptr<storage::Store> store;
  storage::Pseudonymizer pseudonymizer = *storage::Pseudonymizer::create("pipeline-test-key-0123456789");
  classifier::Extractor extractor{classifier::ExtractConfig{}};
  std::shared_ptr<const classifier::RuleSet> rules;
  std::unique_ptr<classifier::Classifier> classifier;
  std::unique_ptr<app::Pipeline> pipeline;

  explicit Fixture(app::PipelineOptions options = {}, bool packed = false) {
    storage::StorageConfig cfg;
    cfg.path = (dir.path() / "db").string();
    auto opened = storage::Store::open(cfg, storage::OpenMode::ReadWrite);
    REQUIRE(opened.has_value());
    store = std::move(*opened);
    auto loaded = classifier::RuleSet::load_dir((test::source_dir() / "configs" / "rules").string());
    REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().detail));
    rules = *loaded;
    classifier = std::make_unique<classifier::Classifier>(rules, classifier::ClassifyConfig{});
    options.text_by_smsc["t"].gsm7_packed = packed;
    pipeline = std::make_unique<app::Pipeline>(*store, pseudonymizer, extractor, *classifier, options, clock);
  }

  std::vector<core::Report> reports() {
    std::vector<core::Report> out;
    REQUIRE(store->scan_reports([&](const core::Report& r) { out.insert(out.begin(), r); return true; }).has_value());
    return out;
  }
};

/// A deliver_sm as the gateway hands it over, with a raw PDU that carries the source address.
inline core::InboundSegment segment(std::string reporter, std::uint8_t dcs, std::string user_data,
                             std::optional<core::ConcatInfo> concat, std::int64_t ms, std::uint8_t udh_length = 0) {
  core::InboundSegment s;
  s.smsc = "t";
  s.source = {1, 1, std::move(reporter)};
  s.dest = {0, 1, "12250"};
  s.data_coding = dcs;
  s.user_data = std::move(user_data);
  s.udh_length = udh_length;
  s.concat = concat;
  s.received_ms = ms;
  // header, service_type "", ton, npi, source_addr: enough for the masking to find the number
  s.raw_pdu = std::string(16, '\0') + std::string(1, '\0') + "\x01\x01" + s.source.addr + std::string(1, '\0');
  return s;
}

inline core::ConcatInfo part(std::uint16_t ref, std::uint8_t total, std::uint8_t seq) {
  return core::ConcatInfo{core::ConcatSource::Udh8, ref, total, seq};
}

}  // namespace smish::test::pipeline
