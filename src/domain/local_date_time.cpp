// Parsing and formatting of LocalDateTime in the API's text forms.

#include "domain/local_date_time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <array>
#include <chrono>
#include <stdexcept>

#include "core/error.hpp"

namespace phonechat {
namespace {

using Millis = std::chrono::milliseconds;
using LocalMillis = date::local_time<Millis>;

constexpr std::int64_t kMillisPerDay = 86'400'000;

// Reads exactly `count` ASCII digits at `pos`; -1 when any of them is not a digit.
constexpr int ReadDigits(std::string_view text, std::size_t pos, std::size_t count) {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// The calendar day `yyyy-mm-dd` at the start of `text`, as days since 1970-01-01; nullopt unless it exists.
std::optional<std::int64_t> ParseDayPrefix(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const int year = ReadDigits(text, 0, 4);
  const int month = ReadDigits(text, 5, 2);
  const int day = ReadDigits(text, 8, 2);
  if (year < 1 || month < 0 || day < 0) return std::nullopt;
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count();
}

// "00" to "99": dates are written on every response, two digits at a time.
constexpr std::array<char, 200> kTwoDigits = [] {
  std::array<char, 200> digits{};
  for (std::size_t i = 0; i < 100; ++i) {
    digits[2 * i] = static_cast<char>('0' + i / 10);
    digits[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return digits;
}();

inline char* PutTwoDigits(char* at, std::size_t value) {
  at[0] = kTwoDigits[2 * value];
  at[1] = kTwoDigits[2 * value + 1];
  return at + 2;
}

LocalDateTime FromLocalTime(LocalMillis local) { return LocalDateTime{local.time_since_epoch().count()}; }

}  // namespace

std::optional<LocalDateTime> ParseLocalDateTime(std::string_view text) {
  // yyyy-MM-ddTHH:mm:ss is 19 characters; a fraction adds '.' and 1-3 digits.
  if (text.size() != 19 && (text.size() < 21 || text.size() > 23)) return std::nullopt;
  const auto days = ParseDayPrefix(text);
  if (!days || text[10] != 'T' || text[13] != ':' || text[16] != ':') return std::nullopt;
  const int hours = ReadDigits(text, 11, 2);
  const int minutes = ReadDigits(text, 14, 2);
  const int seconds = ReadDigits(text, 17, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) return std::nullopt;
  int millis = 0;
  if (text.size() > 19) {
    if (text[19] != '.') return std::nullopt;
    const std::size_t fraction_digits = text.size() - 20;
    const int fraction = ReadDigits(text, 20, fraction_digits);
    if (fraction < 0) return std::nullopt;
    millis = fraction * (fraction_digits == 1 ? 100 : fraction_digits == 2 ? 10 : 1);
  }
  const std::int64_t seconds_of_day = hours * 3600 + minutes * 60 + seconds;
  return LocalDateTime{*days * kMillisPerDay + seconds_of_day * 1000 + millis};
}

std::optional<LocalDateTime> ParseLocalDay(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  const auto days = ParseDayPrefix(text);
  if (!days) return std::nullopt;
  return LocalDateTime{*days * kMillisPerDay};
}

void AppendLocalDateTime(std::string& out, LocalDateTime value) {
  // floor (not truncation) so that instants before 1970 land on the right day.
  const auto local = LocalMillis{Millis{value.millis}};
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const auto millis_of_day = static_cast<unsigned>((local - day).count());

  char buffer[32];
  char* at = buffer;
  int year = static_cast<int>(ymd.year());
  if (year < 0) {
    *at++ = '-';
    year = -year;
  }
  if (year > 9999) *at++ = static_cast<char>('0' + year / 10000);
  at = PutTwoDigits(at, static_cast<unsigned>(year / 100 % 100));
  at = PutTwoDigits(at, static_cast<unsigned>(year % 100));
  *at++ = '-';
  at = PutTwoDigits(at, static_cast<unsigned>(ymd.month()));
  *at++ = '-';
  at = PutTwoDigits(at, static_cast<unsigned>(ymd.day()));
  *at++ = 'T';
  const unsigned seconds_of_day = millis_of_day / 1000;
  at = PutTwoDigits(at, seconds_of_day / 3600);
  *at++ = ':';
  at = PutTwoDigits(at, seconds_of_day / 60 % 60);
  *at++ = ':';
  at = PutTwoDigits(at, seconds_of_day % 60);
  const unsigned fraction = millis_of_day % 1000;
  if (fraction != 0) {
    at[0] = '.';
    at[1] = static_cast<char>('0' + fraction / 100);
    at[2] = static_cast<char>('0' + fraction / 10 % 10);
    at[3] = static_cast<char>('0' + fraction % 10);
    at += fraction % 100 == 0 ? 2 : fraction % 10 == 0 ? 3 : 4;  // trailing zeros trimmed
  }
  out.append(buffer, at);
}

std::string FormatLocalDateTime(LocalDateTime value) {
  std::string text;
  AppendLocalDateTime(text, value);
  return text;
}

ServiceZone::ServiceZone(const std::string& zone_name) : name_(zone_name) {
  try {
    zone_ = date::locate_zone(zone_name);
  } catch (const std::runtime_error&) {
    throw UsageError("unknown time zone '" + zone_name + "'");
  }
}

LocalDateTime ServiceZone::Now() const {
  const auto now = date::floor<Millis>(std::chrono::system_clock::now());
  return FromLocalTime(static_cast<const date::time_zone*>(zone_)->to_local(now));
}

LocalDateTime ServiceZone::FromUnixMillis(std::int64_t unix_millis) const {
  const date::sys_time<Millis> instant{Millis{unix_millis}};
  return FromLocalTime(static_cast<const date::time_zone*>(zone_)->to_local(instant));
}

LocalDateTime AddCalendarMonths(LocalDateTime value, int months) {
  const auto day = date::floor<date::days>(LocalMillis{Millis{value.millis}});
  const Millis time_of_day = LocalMillis{Millis{value.millis}} - day;
  const date::year_month_day ymd{day};
  date::year_month_day moved = ymd + date::months{months};
  if (!moved.ok()) moved = date::year_month_day_last{moved.year(), date::month_day_last{moved.month()}};
  return FromLocalTime(date::local_days{moved} + time_of_day);
}

bool ServiceZone::Exists(LocalDateTime local) const {
  // Gaps are whole seconds long, so the second that holds `local` decides.
  const auto second = date::floor<std::chrono::seconds>(LocalMillis{Millis{local.millis}});
  const auto info = static_cast<const date::time_zone*>(zone_)->get_info(second);
  return info.result != date::local_info::nonexistent;
}

}  // namespace phonechat
