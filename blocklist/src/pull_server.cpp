// The pull endpoint: a sans-I/O request handler and a Boost.Beast HTTP/1.1 (+TLS) shell on coroutines.
#include "smish/blocklist/pull_server.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <set>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>

#include "file_io.hpp"
#include "smish/core/json.hpp"
#include "smish/core/log.hpp"

namespace smish::blocklist {
namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using core::ErrorCode;
using core::make_error;
using tcp = asio::ip::tcp;

// Limits, each with its reason:
constexpr std::size_t kMaxTarget = 2048;           // our URLs are short; longer ones are probes
constexpr std::uint32_t kMaxHeaderBytes = 8192;    // a pull client sends a handful of headers
constexpr int kMaxRequestsPerConnection = 100;     // keep-alive, but connections are recycled
constexpr std::size_t kMaxConnections = 64;        // carrier sync clients are few; bounds memory and fds
constexpr std::size_t kMinTokenLength = 16;        // shorter tokens are guessable
constexpr auto kReadTimeout = std::chrono::seconds(10);    // a request's headers arrive within it (slowloris)
constexpr auto kWriteTimeout = std::chrono::seconds(300);  // a large file to a slow consumer
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);  // after EMFILE and the like

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

/// Constant-time comparison of two secrets of any length (compares their SHA-256 digests).
bool same_secret(std::string_view a, std::string_view b) {
  const auto ha = io::sha256_hex(a), hb = io::sha256_hex(b);
  return ha.size() == hb.size() && !ha.empty() && CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

PullResponse text(int status, std::string body) {
  PullResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  return r;
}

std::string content_type(std::string_view name) {
  if (name.ends_with(".csv")) return "text/csv; charset=utf-8";
  if (name.ends_with(".txt")) return "text/plain; charset=utf-8";
  if (name.ends_with(".jsonl")) return "application/x-ndjson";
  if (name.ends_with(".json")) return "application/json";
  if (name.ends_with(".zone")) return "text/dns";  // RFC 4027
  return "application/octet-stream";
}

/// RFC 9110 §13.1.2: If-None-Match is "*" or a list of entity tags (weak comparison).
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  std::size_t pos = 0;
  while (pos < if_none_match.size()) {
    auto end = if_none_match.find(',', pos);
    if (end == std::string_view::npos) end = if_none_match.size();
    auto tag = if_none_match.substr(pos, end - pos);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

bool is_export_file(std::string_view name) {
  return std::any_of(std::begin(kExportFiles), std::end(kExportFiles), [&](const char* f) { return name == f; });
}

/// Serves file `name` of serial `serial`, with its ETag. `immutable` for /v1/serials/ URLs.
PullResponse serve_file(const PullContext& ctx, const PullRequest& req, std::uint64_t serial, const std::string& name,
                        bool immutable) {
  const auto dir = fs::path(ctx.out_dir) / "serials" / std::to_string(serial);
  std::string etag_hex;
  if (name == "manifest.json" || name == "manifest.json.sig") {
    auto bytes = io::read_file(dir / name);
    if (!bytes) return text(404, name == "manifest.json.sig" ? "this export is not signed\n" : "no such serial\n");
    etag_hex = io::sha256_hex(*bytes);
  } else {
    auto manifest_text = io::read_file(dir / "manifest.json");
    if (!manifest_text) return text(404, "no such serial\n");
    auto manifest = core::Json::parse(*manifest_text, nullptr, false);
    if (manifest.is_discarded() || !manifest.contains("files") || !manifest["files"].contains(name) ||
        !manifest["files"][name].contains("sha256"))
      return text(404, "no such file in serial " + std::to_string(serial) + "\n");
    etag_hex = manifest["files"][name]["sha256"].get<std::string>();
  }
  PullResponse r;
  const std::string etag = "\"" + etag_hex + "\"";
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("X-Smishd-Serial", std::to_string(serial));
  r.headers.emplace_back("Cache-Control", immutable ? "private, max-age=31536000, immutable" : "private, no-cache");
  if (etag_matches(req.if_none_match, etag)) {
    r.status = 304;
    return r;
  }
  std::error_code ec;
  const auto size = fs::file_size(dir / name, ec);
  if (ec) return text(503, "serial " + std::to_string(serial) + " is no longer kept; retry\n");
  r.headers.emplace_back("Content-Type", content_type(name));
  r.file = (dir / name).string();
  r.file_size = size;
  return r;
}

}  // namespace

std::string PullResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

PullResponse handle_pull_request(const PullRequest& req, const PullContext& ctx) {
  if (req.target.size() > kMaxTarget) return text(414, "URI too long\n");
  if (req.target.empty() || req.target[0] != '/') return text(400, "expected an origin-form target\n");
  const auto qpos = req.target.find('?');
  const std::string path = req.target.substr(0, qpos);
  // Credentials in a URL end up in proxy logs, shell histories and Referer headers: refused even
  // when the header is right, before anything else is looked at.
  if (qpos != std::string::npos) {
    const std::string_view query = std::string_view(req.target).substr(qpos + 1);
    static const std::set<std::string> kCredentialParams = {"token",         "access_token", "bearer", "bearer_token",
                                                            "auth",          "authorization", "api_key", "apikey",
                                                            "key",           "secret",       "password"};
    for (std::size_t pos = 0; pos <= query.size();) {
      auto end = query.find('&', pos);
      if (end == std::string_view::npos) end = query.size();
      const auto param = query.substr(pos, end - pos);
      const auto name = lower(percent_decode(param.substr(0, param.find('='))));
      if (kCredentialParams.count(name)) return text(400, "credentials in the URL are refused; send Authorization: Bearer\n");
      pos = end + 1;
    }
  }
  if (!ctx.bearer_token.empty() && percent_decode(req.target).find(ctx.bearer_token) != std::string::npos)
    return text(400, "credentials in the URL are refused; send Authorization: Bearer\n");
  if (path == "/healthz") return text(200, "ok\n");
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = text(405, "only GET and HEAD\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (!ctx.bearer_token.empty()) {
    const std::string_view auth = req.authorization;
    const bool bearer = auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ";
    if (!bearer || !same_secret(auth.substr(7), ctx.bearer_token)) {
      auto r = text(401, "a bearer token is needed\n");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"smishd-export\"");
      return r;
    }
  }
  const auto current = io::current_serial(ctx.out_dir);
  auto need_current = [&]() -> std::optional<PullResponse> {
    if (current == 0) {
      auto r = text(503, "no export has been published yet\n");
      r.headers.emplace_back("Retry-After", "60");
      return r;
    }
    return std::nullopt;
  };
  if (path == "/v1/manifest.json" || path == "/v1/manifest.json.sig") {
    if (auto r = need_current()) return *r;
    return serve_file(ctx, req, current, path.substr(4), false);
  }
  if (path.starts_with("/v1/files/")) {
    if (auto r = need_current()) return *r;
    const auto name = path.substr(10);
    if (!is_export_file(name)) return text(404, "no such file\n");
    return serve_file(ctx, req, current, name, false);
  }
  if (path.starts_with("/v1/serials/")) {
    const auto rest = path.substr(12);
    const auto slash = rest.find('/');
    const auto n = io::parse_serial(rest.substr(0, slash));
    if (!n || slash == std::string::npos) return text(404, "expected /v1/serials/<N>/<file>\n");
    const auto name = rest.substr(slash + 1);
    const bool delta = name.starts_with("delta-from-") && name.ends_with(".jsonl") &&
                       io::parse_serial(name.substr(11, name.size() - 11 - 6)).has_value();
    if (!is_export_file(name) && name != "manifest.json" && name != "manifest.json.sig" && !delta)
      return text(404, "no such file\n");
    if (*n > current) return text(404, "no such serial\n");
    auto r = serve_file(ctx, req, *n, name, true);
    if (r.status == 404 && !fs::exists(fs::path(ctx.out_dir) / "serials" / std::to_string(*n)))
      return text(410, "serial " + std::to_string(*n) + " is no longer kept; fetch the current manifest\n");
    return r;
  }
  if (path.starts_with("/v1/deltas/")) {
    if (auto r = need_current()) return *r;
    const auto from = io::parse_serial(path.substr(11));
    if (!from) return text(404, "expected /v1/deltas/<serial>\n");
    if (*from > current) return text(404, "serial " + std::to_string(*from) + " does not exist yet\n");
    if (*from == current) {
      Delta empty;
      empty.from_serial = empty.to_serial = current;
      auto r = text(200, render_delta(empty));
      r.headers = {{"Content-Type", "application/x-ndjson"}, {"X-Smishd-Serial", std::to_string(current)},
                   {"Cache-Control", "private, no-cache"}};
      return r;
    }
    auto r = serve_file(ctx, req, current, fmt::format("delta-from-{}.jsonl", *from), false);
    if (r.status == 404)
      return text(410, "no delta from serial " + std::to_string(*from) + " (too old): fetch the full files\n");
    return r;
  }
  return text(404, "not found\n");
}

bool parse_listen(const std::string& listen, std::string& host, std::uint16_t& port) {
  std::string p;
  if (!listen.empty() && listen[0] == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') return false;
    host = listen.substr(1, close - 1);
    p = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = listen.substr(0, colon);
    p = listen.substr(colon + 1);
  }
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// ---------------------------------------------------------------------------------------------
// The transport.

struct PullServer::Impl {
  Impl(asio::io_context& io) : io(io), acceptor(io), ssl(asio::ssl::context::tls_server), backoff(io) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::ssl::context ssl;
  bool use_tls = false;
  PullContext ctx;
  PullStats stats;
  bool stopping = false;
  std::set<beast::tcp_stream*> live;  // open connections, closed by stop()
  asio::steady_timer backoff;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, beast::tcp_stream& lowest);
};

template <class Stream>
asio::awaitable<void> PullServer::Impl::serve(Stream& stream, beast::tcp_stream& lowest) {
  beast::flat_buffer buffer(kMaxHeaderBytes);
  for (int served = 0; served < kMaxRequestsPerConnection && !stopping; ++served) {
    boost::system::error_code ec;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(0);  // GET and HEAD carry no body
    lowest.expires_after(kReadTimeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset && ec != asio::error::eof) {
        // A malformed or oversized request: answer 400 and close.
        ++stats.errors;
        http::response<http::string_body> bad{http::status::bad_request, 11};
        bad.set(http::field::content_type, "text/plain; charset=utf-8");
        bad.set(http::field::connection, "close");
        bad.body() = "bad request\n";
        bad.prepare_payload();
        lowest.expires_after(kReadTimeout);
        co_await http::async_write(stream, bad, asio::redirect_error(asio::use_awaitable, ec));
      }
      co_return;
    }
    const auto& req = parser.get();
    ++stats.requests;
    PullRequest preq{std::string(req.method_string()), std::string(req.target()),
                     std::string(req[http::field::authorization]), std::string(req[http::field::if_none_match])};
    auto resp = handle_pull_request(preq, ctx);
    if (resp.status == 304) ++stats.not_modified;
    if (resp.status == 401) ++stats.unauthorized;
    if (resp.status == 400 && resp.body.starts_with("credentials")) {
      ++stats.refused_url_credentials;
      core::log_warn("pull_url_credentials_refused", {{"path", preq.target.substr(0, preq.target.find('?'))}});
    }
    core::log_debug("pull_request", {{"method", preq.method}, {"path", preq.target.substr(0, preq.target.find('?'))},
                                     {"status", resp.status}});
    const bool head = req.method() == http::verb::head;
    const bool keep_alive = req.keep_alive() && served + 1 < kMaxRequestsPerConnection && !stopping;
    lowest.expires_after(kWriteTimeout);
    auto fill = [&](auto& res) {
      res.result(static_cast<http::status>(resp.status));
      res.set(http::field::server, "smishd");
      for (const auto& [k, v] : resp.headers) res.set(k, v);
      res.keep_alive(keep_alive);
    };
    if (!resp.file.empty() && !head) {
      http::response<http::file_body> res{http::status::ok, req.version()};
      fill(res);
      res.body().open(resp.file.c_str(), beast::file_mode::scan, ec);
      if (ec) {  // pruned between the lookup and the open: the client retries
        http::response<http::string_body> gone{http::status::service_unavailable, req.version()};
        gone.body() = "retry\n";
        gone.keep_alive(keep_alive);
        gone.prepare_payload();
        co_await http::async_write(stream, gone, asio::redirect_error(asio::use_awaitable, ec));
      } else {
        res.prepare_payload();
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      }
    } else {
      http::response<http::string_body> res{http::status::ok, req.version()};
      fill(res);
      if (head) {
        // HEAD: the headers a GET would carry, Content-Length included, and no body (RFC 9110 §9.3.2).
        res.content_length(resp.file.empty() ? resp.body.size() : resp.file_size);
      } else {
        res.body() = std::move(resp.body);
        res.prepare_payload();
      }
      http::serializer<false, http::string_body> sr{res};
      if (head) sr.split(true);
      if (head) {
        co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
      } else {
        co_await http::async_write(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    if (ec || !keep_alive) break;
  }
  co_return;
}

asio::awaitable<void> PullServer::Impl::session(tcp::socket socket) {
  beast::tcp_stream tcp_stream(std::move(socket));
  live.insert(&tcp_stream);
  struct Unregister {
    std::set<beast::tcp_stream*>& live;
    beast::tcp_stream* s;
    ~Unregister() { live.erase(s); }
  } unregister{live, &tcp_stream};
  boost::system::error_code ec;
  if (use_tls) {
    beast::ssl_stream<beast::tcp_stream&> tls(tcp_stream, ssl);
    tcp_stream.expires_after(kHandshakeTimeout);
    co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      ++stats.errors;
      core::log_debug("pull_tls_handshake_failed", {{"error", ec.message()}});
      co_return;
    }
    co_await serve(tls, tcp_stream);
    tcp_stream.expires_after(kHandshakeTimeout);
    co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await serve(tcp_stream, tcp_stream);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

asio::awaitable<void> PullServer::Impl::accept_loop() {
  while (!stopping) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      ++stats.errors;
      core::log_warn("pull_accept_failed", {{"error", ec.message()}});
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (live.size() >= kMaxConnections) {
      ++stats.rejected_connections;
      socket.close(ec);
      continue;
    }
    ++stats.connections;
    asio::co_spawn(io, session(std::move(socket)), [this](std::exception_ptr e) {
      if (!e) return;
      ++stats.errors;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        core::log_error("pull_session_crashed", {{"error", ex.what()}});
      }
    });
  }
}

PullServer::PullServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PullServer::~PullServer() = default;

namespace {

core::Result<std::string> read_secret_file(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error(ErrorCode::IoError, std::string(what) + " " + path + ": cannot read");
  if ((st.st_mode & S_IROTH) != 0)
    return make_error(ErrorCode::InvalidArgument, std::string(what) + " " + path + ": readable by every user (chmod o-r)");
  auto text = io::read_file(path);
  if (!text) return make_error(ErrorCode::IoError, std::string(what) + " " + path + ": cannot read");
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r' || text->back() == ' ')) text->pop_back();
  return *text;
}

}  // namespace

core::Result<std::unique_ptr<PullServer>> PullServer::create(asio::io_context& io, const ExportConfig& config) {
  std::string host;
  std::uint16_t port = 0;
  if (!parse_listen(config.serve_listen, host, port))
    return make_error(ErrorCode::InvalidArgument, "export.serve_listen: expected host:port, got \"" + config.serve_listen + "\"");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return make_error(ErrorCode::InvalidArgument, "export.serve_listen: not an IP address: " + host);
  auto impl = std::make_unique<Impl>(io);
  impl->ctx.out_dir = config.out_dir;
  if (!config.bearer_token_file.empty()) {
    auto token = read_secret_file(config.bearer_token_file, "export.bearer_token_file");
    if (!token) return token.error();
    if (token->size() < kMinTokenLength)
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("export.bearer_token_file: the token is shorter than {} characters", kMinTokenLength));
    impl->ctx.bearer_token = std::move(*token);
  } else if (!address.is_loopback()) {
    return make_error(ErrorCode::InvalidArgument,
                      "export.serve_listen: " + host + " is not loopback; set export.bearer_token_file");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty())
    return make_error(ErrorCode::InvalidArgument, "export.tls_cert_file and export.tls_key_file go together");
  if (!config.tls_cert_file.empty()) {
    impl->ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                              asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                              asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                          ec);
    if (!ec) impl->ssl.use_certificate_chain_file(config.tls_cert_file, ec);
    if (ec) return make_error(ErrorCode::InvalidArgument, "export.tls_cert_file: " + ec.message());
    impl->ssl.use_private_key_file(config.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) return make_error(ErrorCode::InvalidArgument, "export.tls_key_file: " + ec.message());
    impl->use_tls = true;
  }
  const tcp::endpoint endpoint(address, port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(ErrorCode::IoError, "export.serve_listen " + config.serve_listen + ": " + ec.message());
  return std::unique_ptr<PullServer>(new PullServer(std::move(impl)));
}

void PullServer::start() {
  core::log_info("pull_server_listening", {{"address", impl_->acceptor.local_endpoint().address().to_string()},
                                           {"port", port()}, {"tls", impl_->use_tls},
                                           {"auth", impl_->ctx.bearer_token.empty() ? "none (loopback)" : "bearer"}});
  asio::co_spawn(impl_->io, impl_->accept_loop(), [impl = impl_.get()](std::exception_ptr e) {
    if (!e) return;
    ++impl->stats.errors;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      core::log_error("pull_server_crashed", {{"error", ex.what()}});
    }
  });
}

void PullServer::stop() {
  impl_->stopping = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff.cancel();
  for (auto* s : impl_->live) {
    s->socket().shutdown(tcp::socket::shutdown_both, ec);
    s->socket().close(ec);
  }
}

std::uint16_t PullServer::port() const {
  boost::system::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

bool PullServer::tls() const { return impl_->use_tls; }
const PullStats& PullServer::stats() const { return impl_->stats; }

}  // namespace smish::blocklist
