// JSON forms of the domain types (nlohmann::json): the analyze contract, smishctl --json, storage.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"

namespace smish::core {

using Json = nlohmann::json;

Json to_json(const ExtractedNumber& n);
Json to_json(const ExtractedUrl& u);
Json to_json(const Extraction& e);
Json to_json(const Verdict& v);
/// Every field; `with_text` false leaves out text and raw PDUs.
Json to_json(const Report& r, bool with_text = true);
Json to_json(const Indicator& i);

Result<Extraction> extraction_from_json(const Json& j);
Result<Verdict> verdict_from_json(const Json& j);
Result<Report> report_from_json(const Json& j);
Result<Indicator> indicator_from_json(const Json& j);

/// Compact binary storage encoding (MessagePack of the JSON form).
std::string encode_binary(const Json& j);
/// Parses MessagePack; a Corruption error on bad bytes, never an exception.
Result<Json> decode_binary(std::string_view bytes);

/// Lowercase hex of bytes.
std::string to_hex(std::string_view bytes);
/// Lowercase hex SHA-256 of `bytes` (OpenSSL); "" only if OpenSSL fails.
std::string sha256_hex(std::string_view bytes);
/// Parses hex (whitespace ignored); InvalidArgument on odd length or a bad digit.
Result<std::string> from_hex(std::string_view hex);

}  // namespace smish::core
