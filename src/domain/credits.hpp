// Credits: an exact decimal amount held in ten-thousandths, parsed and written without rounding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace phonechat {

// An exact, non-negative amount of credits with at most 4 fraction digits, held in ten-thousandths.
struct Credits {
  std::int64_t ten_thousandths = 0;

  friend auto operator<=>(const Credits&, const Credits&) = default;
};

// Largest accepted amount, in ten-thousandths (15 digits: exact in every backend and in JSON clients).
inline constexpr std::int64_t kMaxCreditsTenThousandths = 999'999'999'999'999;

// Parses plain decimal digits with an optional fraction of at most 4 digits (no sign, no exponent);
// the error's message says what is wrong, e.g. "has more than 4 fraction digits".
boost::system::result<Credits, std::string> ParseCredits(std::string_view text);

// JSON form: shortest exact decimal (`8`, `8.5`, `12.25`).
void AppendCreditsJson(std::string& out, Credits value);

// XML form: always four fraction digits (`8.0000`).
void AppendCreditsXml(std::string& out, Credits value);

// The JSON form as a new string, for messages.
std::string CreditsText(Credits value);

// Ten-thousandths in the JSON form, with a minus sign below zero (`-250`, `8.5`), for messages about balances.
std::string SignedCreditsText(std::int64_t ten_thousandths);

}  // namespace phonechat
