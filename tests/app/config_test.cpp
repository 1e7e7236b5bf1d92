// Configuration loading: defaults, overrides, and errors that name the key path and the line.
#include <doctest/doctest.h>

#include <fstream>

#include "smish/app/config.hpp"
#include "support.hpp"

using namespace smish;

namespace {

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  auto path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

bool has_problem(const app::ConfigErrors& e, const std::string& needle) {
  for (const auto& p : e.problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_SUITE("app/config") {
  TEST_CASE("no file gives the documented defaults") {
    app::ConfigErrors errors;
    auto c = app::load_config("", {}, errors);
    REQUIRE(c.has_value());
    CHECK(c->smsc.port == 2775);
    CHECK(c->smsc.temp_error_status == 0x64);
    CHECK(c->blocklist.min_reporters == 5);
    CHECK(c->storage.sync_ack_writes);
  }

  TEST_CASE("a wrong type is refused with the key path, the value and the line") {
    test::TempDir dir;
    auto path = write(dir, "bad.yaml", "smsc:\n  host: 127.0.0.1\n\n\n\n\n  port: abc\n");
    app::ConfigErrors errors;
    auto c = app::load_config(path, {}, errors);
    REQUIRE_FALSE(c.has_value());
    REQUIRE(errors.problems.size() == 1);
    CHECK(errors.problems[0] == "smsc.port: expected an integer in 1..65535, got \"abc\" (line 7)");
  }

  TEST_CASE("every problem is reported at once") {
    test::TempDir dir;
    auto path = write(dir, "bad.yaml",
                      "smsc:\n  port: 70000\n  system_id: a-system-id-that-is-too-long\n  colour: blue\n"
                      "storage:\n  sync_ack_writes: maybe\nbogus:\n  x: 1\nblocklist:\n  score_threshold: 2\n"
                      "classifier:\n  default_region: latvia\n");
    app::ConfigErrors errors;
    REQUIRE_FALSE(app::load_config(path, {}, errors).has_value());
    CHECK(errors.problems.size() == 7);
    CHECK(has_problem(errors, "smsc.port: expected an integer in 1..65535, got \"70000\" (line 2)"));
    CHECK(has_problem(errors, "smsc.system_id: longer than 15 characters"));
    CHECK(has_problem(errors, "smsc.colour: unknown key (line 4)"));
    CHECK(has_problem(errors, "storage.sync_ack_writes: expected true or false"));
    CHECK(has_problem(errors, "bogus: unknown section (line 7)"));
    CHECK(has_problem(errors, "blocklist.score_threshold: expected a number in 0..1"));
    CHECK(has_problem(errors, "classifier.default_region: expected an ISO 3166 region"));
  }

  TEST_CASE("--set overrides the file and is checked like it") {
    test::TempDir dir;
    auto path = write(dir, "ok.yaml", "smsc:\n  port: 2775\n");
    app::ConfigErrors errors;
    auto c = app::load_config(path, {"smsc.port=12345", "blocklist.allow_domains=[tele2.lv, seb.lv]"}, errors);
    REQUIRE(c.has_value());
    CHECK(c->smsc.port == 12345);
    CHECK(c->blocklist.allow_domains == std::vector<std::string>{"tele2.lv", "seb.lv"});
    app::ConfigErrors bad;
    REQUIRE_FALSE(app::load_config(path, {"smsc.port=0", "smsc.nope=1", "noequals"}, bad).has_value());
    CHECK(bad.problems.size() == 3);
    CHECK(has_problem(bad, "smsc.port: expected an integer in 1..65535, got \"0\" (--set)"));
    CHECK(has_problem(bad, "--set smsc.nope: unknown key"));
  }

  TEST_CASE("the password comes from a file and never appears in an error") {
    test::TempDir dir;
    auto pw = write(dir, "pw", "s3cret\n");
    auto path = write(dir, "ok.yaml", "smsc:\n  password_file: " + pw + "\n");
    app::ConfigErrors errors;
    auto c = app::load_config(path, {}, errors);
    REQUIRE(c.has_value());
    CHECK(c->smsc.password == "s3cret");
    auto long_pw = write(dir, "pw2", "much-too-long-secret\n");
    auto path2 = write(dir, "bad.yaml", "smsc:\n  password_file: " + long_pw + "\n  password: alsotoolongsecret\n");
    app::ConfigErrors bad;
    REQUIRE_FALSE(app::load_config(path2, {}, bad).has_value());
    CHECK(bad.problems.size() == 2);
    for (const auto& p : bad.problems) {
      CHECK(p.find("much-too-long-secret") == std::string::npos);
      CHECK(p.find("alsotoolongsecret") == std::string::npos);
    }
  }

  TEST_CASE("broken YAML names the line") {
    test::TempDir dir;
    auto path = write(dir, "broken.yaml", "smsc:\n  port: [1, 2\n");
    app::ConfigErrors errors;
    REQUIRE_FALSE(app::load_config(path, {}, errors).has_value());
    REQUIRE(errors.problems.size() == 1);
    CHECK(errors.problems[0].find("not valid YAML") != std::string::npos);
    CHECK(errors.problems[0].find("line") != std::string::npos);
  }

  TEST_CASE("the shipped example configuration is the generated one and loads") {
    const auto shipped = test::read_file(test::source_dir() / "configs" / "smishd.example.yaml");
    CHECK(shipped == app::example_config());
    app::ConfigErrors errors;
    auto c = app::load_config((test::source_dir() / "configs" / "smishd.example.yaml").string(), {}, errors);
    CHECK(c.has_value());
    for (const auto& p : errors.problems) MESSAGE(p);
  }
}
