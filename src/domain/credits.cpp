// Parsing of Credits amounts and their JSON and XML text.

#include "domain/credits.hpp"

#include <cassert>
#include <charconv>

namespace phonechat {
namespace {

constexpr std::int64_t kScale = 10'000;
constexpr int kFractionDigits = 4;
// kMaxCreditsTenThousandths has 11 integer digits; anything longer is too large before any arithmetic.
constexpr std::size_t kMaxWholeDigits = 11;

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool AllDigits(std::string_view text) {
  for (const char c : text) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

void AppendWhole(std::string& out, std::int64_t whole) {
  assert(whole >= 0 && "Credits are never negative");
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, whole).ptr;
  out.append(buffer, end);
}

// The four fraction digits of `value`, most significant first.
void FillFraction(char (&digits)[kFractionDigits], std::int64_t value) {
  auto fraction = value % kScale;
  for (int i = kFractionDigits - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
}

}  // namespace

boost::system::result<Credits, std::string> ParseCredits(std::string_view text) {
  const auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || !AllDigits(whole) ||
      (dot != std::string_view::npos && (fraction.empty() || !AllDigits(fraction)))) {
    return std::string("must be a decimal number");
  }
  // Zeros carry no value: `008.50000` is 8.5.
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > kFractionDigits) return std::string("has more than 4 fraction digits");
  if (whole.size() > kMaxWholeDigits) return std::string("is too large");

  std::int64_t value = 0;
  for (const char c : whole) value = value * 10 + (c - '0');
  for (std::size_t i = 0; i < kFractionDigits; ++i) {
    value = value * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  if (value > kMaxCreditsTenThousandths) return std::string("is too large");
  return Credits{value};
}

void AppendCreditsJson(std::string& out, Credits value) {
  AppendWhole(out, value.ten_thousandths / kScale);
  char digits[kFractionDigits];
  FillFraction(digits, value.ten_thousandths);
  int length = kFractionDigits;
  while (length > 0 && digits[length - 1] == '0') --length;
  if (length == 0) return;
  out.push_back('.');
  out.append(digits, static_cast<std::size_t>(length));
}

void AppendCreditsXml(std::string& out, Credits value) {
  AppendWhole(out, value.ten_thousandths / kScale);
  char digits[kFractionDigits];
  FillFraction(digits, value.ten_thousandths);
  out.push_back('.');
  out.append(digits, kFractionDigits);
}

std::string CreditsText(Credits value) {
  std::string text;
  AppendCreditsJson(text, value);
  return text;
}

std::string SignedCreditsText(std::int64_t ten_thousandths) {
  if (ten_thousandths >= 0) return CreditsText(Credits{ten_thousandths});
  return "-" + CreditsText(Credits{-ten_thousandths});
}

}  // namespace phonechat
