// Fuzzes the domain's text forms: ParseLocalDateTime, ParseLocalDay and ParseCredits never crash, and whatever
// parses survives a round trip through its formatter unchanged (the API writes what it reads).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/credits.hpp"
#include "domain/local_date_time.hpp"
#include "split_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = phonechat::fuzz::AsText(data, size);

  if (const auto moment = phonechat::ParseLocalDateTime(text)) {
    const std::string written = phonechat::FormatLocalDateTime(*moment);
    const auto again = phonechat::ParseLocalDateTime(written);
    if (!again || *again != *moment || phonechat::FormatLocalDateTime(*again) != written) std::abort();
  }

  if (const auto day = phonechat::ParseLocalDay(text)) {
    // A day is its own midnight, written back as the same date.
    if (phonechat::FormatLocalDateTime(*day) != std::string(text) + "T00:00:00") std::abort();
    if (phonechat::ParseLocalDateTime(std::string(text) + "T00:00:00") != day) std::abort();
  }

  if (const auto credits = phonechat::ParseCredits(text)) {
    if (credits->ten_thousandths < 0) std::abort();
    std::string json;
    phonechat::AppendCreditsJson(json, *credits);
    std::string xml;
    phonechat::AppendCreditsXml(xml, *credits);
    const auto from_json = phonechat::ParseCredits(json);
    const auto from_xml = phonechat::ParseCredits(xml);
    if (!from_json || *from_json != *credits || !from_xml || *from_xml != *credits) std::abort();
  }
  return 0;
}
