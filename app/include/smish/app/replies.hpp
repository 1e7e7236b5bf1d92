// Talking to reporters: localised reply templates, reply encoding, and reading a two-step answer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "smish/core/result.hpp"
#include "smish/gateway/pdu.hpp"

namespace smish::app {

/// Reply settings (config section `replies`).
struct ReplyConfig {
  bool enabled = true;                          ///< Default: true. Thank-you and two-step replies.
  std::string templates_file = "configs/replies.yaml";  ///< Default: configs/replies.yaml.
  int max_per_day = 3;                          ///< Default: 3. Replies per reporter per UTC day.
  int conversation_window_s = 600;              ///< Default: 600. How long an "ask for the sender" waits for the answer.
  std::string source_addr = "12250";            ///< Default: 12250. The short code replies come from.
  int source_ton = 3;                           ///< Default: 3 (network specific, SMPP 3.4 §5.2.5), usual for short codes.
  int source_npi = 0;                           ///< Default: 0 (unknown).
  bool registered_delivery = true;              ///< Default: true. Ask for delivery receipts.
  int retry_backoff_s = 30;                     ///< Default: 30. Wait before resending a reply the SMSC could not take.
  int max_attempts = 10;                        ///< Default: 10. Then the reply is dropped and counted.
};

/// The reply kinds and their template keys.
inline constexpr const char* kReplyThanks = "thanks";
inline constexpr const char* kReplyAskSender = "ask_sender";
inline constexpr const char* kReplySenderThanks = "sender_thanks";

/// Loaded templates (configs/replies.yaml). Immutable; thread-safe.
class ReplyTemplates {
 public:
  /// Loads and checks the file: every language has every kind; errors name the file, line and key.
  static core::Result<ReplyTemplates> load(const std::string& path);

  /// The reply language: `detected` when templates exist for it, else the country's language,
  /// else the default.
  std::string language_for(const std::string& detected, const std::string& country) const;
  /// The text of `kind` in `language` (which must come from language_for).
  const std::string& text(const std::string& language, const std::string& kind) const;
  /// True when `text` looks like another machine's automatic reply, or is one of ours (a loop).
  bool is_autoresponse(const std::string& text) const;

 private:
  std::string default_language_;
  std::map<std::string, std::string> country_languages_;
  std::vector<std::string> autoresponse_markers_;
  std::map<std::string, std::map<std::string, std::string>> templates_;  // language -> kind -> text
};

/// What a reporter answered to "which number or name sent it?".
struct SenderAnswer {
  bool is_number = false;
  std::string value;  ///< E.164 for numbers, the sender ID as written otherwise
};

/// Reads a two-step answer: a phone number, "Call +371…" (the UK 7726 form for scam calls, and its
/// lv/ru/et/lt words), or an alphanumeric sender ID (at most 11 characters, 3GPP TS 23.040
/// §9.1.2.5, with a letter). Anything else is not an answer (it is a new report).
std::optional<SenderAnswer> parse_sender_answer(const std::string& text, const std::string& region);

/// submit_sm bodies for `text` to `dest_e164`: GSM 7-bit when every character fits, UCS2 otherwise;
/// split with an 8-bit-reference UDH when it does not fit one SMS.
std::vector<gateway::smpp::SmBody> encode_reply(const std::string& text, const std::string& dest_e164,
                                                const ReplyConfig& config, std::uint8_t reference);

}  // namespace smish::app
