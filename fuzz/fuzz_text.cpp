// libFuzzer target: the text layer on arbitrary octets, under ASan/UBSan. split_udh, decoding in
// every charset (GSM 7-bit unpacked and packed, with every fill-bit offset), the data_coding
// mapping with every option, the encoders and split_encoded.
//
// Invariants:
//   * every decoder output is well-formed UTF-8, whatever the octets;
//   * split_udh: header + payload is the input, the header is UDHL + 1 octets, a concatenation
//     has 1 <= seq <= total;
//   * unpack_septets never returns more septets than asked or than the octets hold, and
//     pack_septets / unpack_septets invert each other for every fill-bit offset;
//   * text decoded from anything re-encodes (GSM 7-bit unpacked and packed, Latin-1, UCS2) and
//     decodes back to itself;
//   * split_encoded: the parts join back into the input; a part is at most max_units units unless
//     it is one indivisible character; with keep_characters_whole, no GSM escape pair or UTF-16
//     surrogate pair is cut and every part but the last is full; without it, parts are cut blindly
//     at exactly max_units.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "smish/core/types.hpp"
#include "smish/gateway/text.hpp"

namespace {

using namespace smish::gateway::text;

[[noreturn]] void violated(const char* what) { smish::fuzz::violated("fuzz_text", what); }

constexpr Charset kAll[] = {Charset::Gsm7, Charset::Ia5,  Charset::Latin1,
                            Charset::Ucs2, Charset::Utf8, Charset::Binary};

void check_utf8(const DecodedText& t) {
  if (!smish::fuzz::valid_utf8(t.utf8)) violated("decoder output is not valid UTF-8");
}

std::uint8_t at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

/// Octet offsets where a character starts, by the rules split_encoded promises to respect,
/// written independently of its implementation: a GSM escape with a following octet is one
/// character; a UTF-16 high surrogate followed by a low one is one character; a trailing odd
/// octet of UCS2 stands alone.
std::vector<std::size_t> character_starts(Charset c, std::string_view s) {
  std::vector<std::size_t> starts;
  for (std::size_t pos = 0; pos < s.size();) {
    starts.push_back(pos);
    std::size_t len = 1;
    if (c == Charset::Gsm7) {
      if (at(s, pos) == 0x1B && pos + 1 < s.size()) len = 2;
    } else if (c == Charset::Ucs2) {
      len = s.size() - pos < 2 ? 1 : 2;
      if (s.size() - pos >= 4 && at(s, pos) >= 0xD8 && at(s, pos) <= 0xDB &&
          at(s, pos + 2) >= 0xDC && at(s, pos + 2) <= 0xDF) {
        len = 4;
      }
    }
    pos += len;
  }
  starts.push_back(s.size());
  return starts;
}

void check_split(Charset c, std::string_view encoded, std::size_t max_units, bool whole) {
  const auto parts = split_encoded(c, encoded, max_units, whole);
  const std::size_t unit = c == Charset::Ucs2 ? 2 : 1;
  const std::size_t max_octets = (max_units == 0 ? 1 : max_units) * unit;
  std::string joined;
  for (const auto& p : parts) joined += p;
  if (joined != encoded) violated("split_encoded parts do not join into the input");
  if (encoded.empty()) {
    if (parts.size() != 1) violated("an empty message is not one empty part");
    return;
  }
  for (const auto& p : parts) {
    if (p.empty()) violated("split_encoded produced an empty part");
  }
  if (!whole) {
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i].size() != max_octets) violated("a blind split part is not exactly max_units");
    }
    if (parts.back().size() > max_octets) violated("the last blind split part is too long");
    return;
  }
  if (c == Charset::Utf8) return;  // boundaries follow next_code_point's maximal subparts
  const auto starts_vec = character_starts(c, encoded);
  const std::set<std::size_t> starts(starts_vec.begin(), starts_vec.end());
  std::size_t offset = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t end = offset + parts[i].size();
    if (!starts.count(end)) violated("split_encoded cut an indivisible character");
    auto next = starts.upper_bound(offset);  // the end of the first character of this part
    const bool one_character = *next == end;
    if (parts[i].size() > max_octets && !one_character) violated("a part is longer than max_units");
    if (i + 1 < parts.size()) {
      const std::size_t next_char = *starts.upper_bound(end) - end;
      if (parts[i].size() + next_char <= max_octets)
        violated("a part is not full although the next character fits");
    }
    offset = end;
  }
}

/// Decoded text must survive encode + decode in every charset that can hold it.
void check_reencode(const std::string& utf8) {
  const bool ends_with_nul = !utf8.empty() && utf8.back() == '\0';
  if (auto g = encode_gsm7(utf8)) {
    if (decode_as(Charset::Gsm7, *g).utf8 != utf8)
      violated("GSM 7-bit unpacked does not round-trip");
    for (int fill = 0; fill <= 6; ++fill) {
      const std::string packed = pack_septets(*g, fill);
      if (unpack_septets(packed, g->size(), fill) != *g)
        violated("pack/unpack_septets do not invert");
    }
    if (decode_as(Charset::Gsm7, pack_septets(*g), true, g->size()).utf8 != utf8) {
      violated("GSM 7-bit packed with its septet count does not round-trip");
    }
  }
  if (auto l = encode_latin1(utf8); l && !ends_with_nul) {
    if (decode_as(Charset::Latin1, *l).utf8 != utf8) violated("Latin-1 does not round-trip");
  }
  if (!ends_with_nul) {
    if (decode_as(Charset::Ucs2, encode_ucs2(utf8)).utf8 != utf8)
      violated("UCS2 does not round-trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const auto data_coding = fdp.ConsumeIntegral<std::uint8_t>();
  const auto septets = fdp.ConsumeIntegralInRange<std::size_t>(0, 300);
  const auto max_units = fdp.ConsumeIntegralInRange<std::size_t>(0, 170);
  const std::string octets = fdp.ConsumeRemainingBytesAsString();

  // User data header.
  if (auto ud = split_udh(octets)) {
    if (ud->udh + ud->payload != octets) violated("UDH + payload is not the input");
    if (ud->udh.size() != 1u + at(octets, 0)) violated("UDH length is not UDHL + 1");
    if (ud->concat &&
        (ud->concat->total == 0 || ud->concat->seq == 0 || ud->concat->seq > ud->concat->total)) {
      violated("implausible concatenation facts accepted");
    }
    for (Charset c : kAll) check_utf8(decode_as(c, ud->payload));
  } else if (ud.error().detail.empty()) {
    violated("split_udh error without a detail");
  }

  // Every charset, both GSM 7-bit modes, derived and given septet counts.
  for (Charset c : kAll) {
    const auto plain = decode_as(c, octets);
    check_utf8(plain);
    if (c == Charset::Binary &&
        (!plain.utf8.empty() || !(plain.flags & smish::core::kTextBinary))) {
      violated("binary data_coding did not give empty text with kTextBinary");
    }
    check_utf8(decode_as(c, octets, true));
    check_utf8(decode_as(c, octets, true, septets));
  }
  // data_coding with every option.
  for (bool packed : {false, true}) {
    for (int o = 0; o < 4; ++o) {
      TextOptions opts;
      opts.gsm7_packed = packed;
      if (o == 1) opts.dcs0_override = Charset::Latin1;
      if (o == 2) opts.dcs0_override = Charset::Utf8;
      if (o == 3) opts.dcs0_override = Charset::Ia5;
      check_utf8(decode(data_coding, octets, opts));
      check_utf8(decode(data_coding, octets, opts, septets));
    }
  }
  // Septet unpacking at every fill-bit offset (the alignment after a UDH).
  for (int fill = 0; fill <= 6; ++fill) {
    const std::string s = unpack_septets(octets, septets, fill);
    const std::size_t bits = octets.size() * 8;
    const std::size_t can = bits > static_cast<std::size_t>(fill) ? (bits - fill) / 7 : 0;
    if (s.size() > septets || s.size() > can)
      violated("unpack_septets returned more septets than exist");
    for (char ch : s) {
      if (static_cast<std::uint8_t>(ch) > 0x7F)
        violated("unpack_septets returned a value above 0x7F");
    }
    if (unpack_septets(pack_septets(s, fill), s.size(), fill) != s)
      violated("pack_septets does not invert unpack");
    const auto t = decode_as(Charset::Gsm7, s);
    check_utf8(t);
    check_reencode(t.utf8);
  }
  check_reencode(decode_as(Charset::Ucs2, octets).utf8);
  check_reencode(decode_as(Charset::Latin1, octets).utf8);
  check_reencode(decode_as(Charset::Utf8, octets).utf8);

  // Splitting, character-preserving and blind.
  for (Charset c : {Charset::Gsm7, Charset::Ia5, Charset::Latin1, Charset::Ucs2, Charset::Utf8}) {
    check_split(c, octets, max_units, true);
    check_split(c, octets, max_units, false);
  }
  return 0;
}
