// The pull endpoint: routes, bearer tokens, URL credentials, ETags (sans-I/O), and the Beast shell on loopback.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "smish/core/asio.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "../../blocklist/src/file_io.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/blocklist/pull_server.hpp"
#include "smish/core/json.hpp"
#include "support.hpp"

using namespace smish;
using blocklist::PullRequest;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT0 = 1'763'769'600'000;
constexpr const char* kToken = "test-token-0123456789abcdef";

core::Indicator listed(std::string value) {
  core::Indicator i;
  i.kind = core::IndicatorKind::Domain;
  i.value = std::move(value);
  for (int r = 0; r < 5; ++r) i.reporters.emplace("p:" + std::to_string(r), kT0);
  i.distinct_reporters = 5;
  i.first_seen_ms = i.last_seen_ms = kT0;
  i.max_score = 0.9;
  i.status = core::IndicatorStatus::Listed;
  return i;
}

/// An export directory with serials 1 and 2 (2 current), deltas kept from 1.
struct Published {
  test::TempDir dir;
  blocklist::ExportConfig config;
  blocklist::PullContext ctx;

  Published() {
    storage::StorageConfig scfg;
    scfg.path = (dir.path() / "db").string();
    auto store = storage::Store::open(scfg, storage::OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    config.out_dir = (dir.path() / "export").string();
    storage::Commit c;
    c.indicators = {listed("one.example")};
    REQUIRE((*store)->commit(c).has_value());
    REQUIRE(blocklist::export_blocklists(**store, {}, config, kT0).has_value());
    c.indicators = {listed("two.example")};
    REQUIRE((*store)->commit(c).has_value());
    REQUIRE(blocklist::export_blocklists(**store, {}, config, kT0)->serial == 2);
    ctx.out_dir = config.out_dir;
    ctx.bearer_token = kToken;
  }
  blocklist::PullResponse get(const std::string& target, const std::string& inm = "",
                              const std::string& auth = std::string("Bearer ") + kToken) const {
    return blocklist::handle_pull_request(PullRequest{"GET", target, auth, inm}, ctx);
  }
};

}  // namespace

TEST_SUITE("blocklist/pull") {
  TEST_CASE("the current files are served with the serial, a strong ETag from the manifest, and 304 on a match") {
    Published p;
    auto r = p.get("/v1/files/domains.txt");
    CHECK(r.status == 200);
    CHECK(r.header("X-Smishd-Serial") == "2");
    CHECK(test::read_file(r.file) == "one.example\ntwo.example\n");
    auto manifest = core::Json::parse(test::read_file(fs::path(p.config.out_dir) / "current" / "manifest.json"));
    CHECK(r.header("ETag") == "\"" + manifest["files"]["domains.txt"]["sha256"].get<std::string>() + "\"");
    CHECK(p.get("/v1/files/domains.txt", r.header("ETag")).status == 304);
    CHECK(p.get("/v1/files/domains.txt", "\"abc\", W/" + r.header("ETag")).status == 304);
    CHECK(p.get("/v1/files/domains.txt", "*").status == 304);
    CHECK(p.get("/v1/files/domains.txt", "\"other\"").status == 200);
    auto m = p.get("/v1/manifest.json");
    CHECK(m.status == 200);
    CHECK(m.header("ETag") == "\"" + blocklist::io::sha256_hex(test::read_file(m.file)) + "\"");
    CHECK(p.get("/v1/manifest.json.sig").status == 404);  // unsigned export
    CHECK(p.get("/v1/files/entries.tsv").status == 404);  // internal state is not served
    CHECK(p.get("/v1/files/../../db/CURRENT").status == 404);
  }

  TEST_CASE("kept serials are served immutable, deltas by serial, and 410 for what is no longer kept") {
    Published p;
    auto old = p.get("/v1/serials/1/domains.txt");
    CHECK(old.status == 200);
    CHECK(test::read_file(old.file) == "one.example\n");
    CHECK(old.header("Cache-Control").find("immutable") != std::string::npos);
    CHECK(p.get("/v1/serials/3/domains.txt").status == 404);
    CHECK(p.get("/v1/serials/2/delta-from-1.jsonl").status == 200);
    auto d = p.get("/v1/deltas/1");
    REQUIRE(d.status == 200);
    auto delta = blocklist::parse_delta(test::read_file(d.file));
    REQUIRE(delta.has_value());
    REQUIRE(delta->entries.size() == 1);
    CHECK(delta->entries[0].key == "domain:two.example");
    auto same = p.get("/v1/deltas/2");
    CHECK(same.status == 200);
    CHECK(blocklist::parse_delta(same.body)->entries.empty());
    CHECK(p.get("/v1/deltas/9").status == 404);
    fs::remove_all(fs::path(p.config.out_dir) / "serials" / "1");
    CHECK(p.get("/v1/serials/1/domains.txt").status == 410);
  }

  TEST_CASE("a missing or wrong bearer token is 401 and a token in the URL is refused even with the header") {
    Published p;
    CHECK(p.get("/v1/manifest.json", "", "").status == 401);
    CHECK(p.get("/v1/manifest.json", "", "Bearer wrong-token-0123456789ab").status == 401);
    CHECK(p.get("/v1/manifest.json", "", std::string("Basic ") + kToken).status == 401);
    CHECK(p.get("/v1/manifest.json", "", std::string("bearer ") + kToken).status == 200);
    CHECK(p.get("/v1/manifest.json?access_token=abc").status == 400);
    CHECK(p.get("/v1/manifest.json?x=1&Token=abc").status == 400);
    CHECK(p.get(std::string("/v1/manifest.json?t=") + kToken).status == 400);
    CHECK(p.get(std::string("/v1/") + kToken + "/manifest.json").status == 400);
    CHECK(p.get("/v1/manifest.json?%74oken=abc").status == 400);  // percent-encoded "token"
    CHECK(p.get("/healthz", "", "").status == 200);
    CHECK(blocklist::handle_pull_request(PullRequest{"POST", "/v1/manifest.json", "", ""}, p.ctx).status == 405);
    CHECK(p.get("/v1/" + std::string(3000, 'a')).status == 414);
  }

  TEST_CASE("before the first export the endpoint answers 503 with Retry-After") {
    test::TempDir dir;
    blocklist::PullContext ctx{dir.str(), ""};
    auto r = blocklist::handle_pull_request(PullRequest{"GET", "/v1/manifest.json", "", ""}, ctx);
    CHECK(r.status == 503);
    CHECK(r.header("Retry-After") == "60");
  }

  TEST_CASE("listen addresses parse, and a non-loopback endpoint without a token is refused") {
    std::string host;
    std::uint16_t port = 0;
    CHECK(blocklist::parse_listen("127.0.0.1:8080", host, port));
    CHECK(host == "127.0.0.1");
    CHECK(port == 8080);
    CHECK(blocklist::parse_listen("[::1]:0", host, port));
    CHECK(host == "::1");
    CHECK_FALSE(blocklist::parse_listen("127.0.0.1", host, port));
    CHECK_FALSE(blocklist::parse_listen("127.0.0.1:70000", host, port));
    asio::io_context io;
    blocklist::ExportConfig cfg;
    cfg.serve_listen = "0.0.0.0:0";
    auto r = blocklist::PullServer::create(io, cfg);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("not loopback") != std::string::npos);
    test::TempDir dir;
    const auto token = dir.path() / "token";
    std::ofstream(token) << "short\n";
    ::chmod(token.c_str(), 0600);
    cfg.serve_listen = "127.0.0.1:0";
    cfg.bearer_token_file = token.string();
    CHECK_FALSE(blocklist::PullServer::create(io, cfg).has_value());
  }

  TEST_CASE("the HTTP server answers GET, 304 and 401 over loopback, keeping the connection alive") {
    Published p;
    namespace http = boost::beast::http;
    const auto token_file = p.dir.path() / "token";
    std::ofstream(token_file) << kToken << "\n";
    ::chmod(token_file.c_str(), 0600);
    auto cfg = p.config;
    cfg.serve_listen = "127.0.0.1:0";
    cfg.bearer_token_file = token_file.string();
    asio::io_context io;
    auto server = blocklist::PullServer::create(io, cfg);
    REQUIRE_MESSAGE(server.has_value(), (server.has_value() ? "" : server.error().message()));
    (*server)->start();
    const auto port = (*server)->port();
    REQUIRE(port != 0);

    std::vector<int> statuses;
    std::string body, etag;
    std::exception_ptr failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          boost::beast::tcp_stream stream(io);
          co_await stream.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                        asio::use_awaitable);
          boost::beast::flat_buffer buf;
          auto exchange = [&](std::string target, std::string auth, std::string inm) -> asio::awaitable<void> {
            http::request<http::empty_body> req{http::verb::get, target, 11};
            req.set(http::field::host, "localhost");
            if (!auth.empty()) req.set(http::field::authorization, auth);
            if (!inm.empty()) req.set(http::field::if_none_match, inm);
            co_await http::async_write(stream, req, asio::use_awaitable);
            http::response<http::string_body> res;
            co_await http::async_read(stream, buf, res, asio::use_awaitable);
            statuses.push_back(res.result_int());
            if (res.result_int() == 200 && body.empty()) {
              body = res.body();
              etag = std::string(res[http::field::etag]);
            }
          };
          co_await exchange("/v1/files/domains.txt", std::string("Bearer ") + kToken, "");
          co_await exchange("/v1/files/domains.txt", std::string("Bearer ") + kToken, etag);
          co_await exchange("/v1/files/domains.txt", "", "");
          co_await exchange("/v1/files/domains.txt?access_token=x", std::string("Bearer ") + kToken, "");
          (*server)->stop();
        },
        [&](std::exception_ptr e) {
          failure = e;
          (*server)->stop();
        });
    io.run_for(std::chrono::seconds(20));
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& ex) {
        FAIL(ex.what());
      }
    }
    CHECK(statuses == std::vector<int>{200, 304, 401, 400});
    CHECK(body == "one.example\ntwo.example\n");
    CHECK(etag.size() == 66);
    CHECK((*server)->stats().requests == 4);
    CHECK((*server)->stats().connections == 1);
    CHECK((*server)->stats().refused_url_credentials == 1);
  }
}
