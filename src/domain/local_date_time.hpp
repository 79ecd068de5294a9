// LocalDateTime: a wall-clock instant of the service's zone in milliseconds, with its parsing and formatting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace phonechat {

// A wall-clock instant in the service's zone, without offset: milliseconds since 1970-01-01T00:00 local.
// Stored and compared as this integer, so it orders exactly like the API's text and costs nothing to sort.
struct LocalDateTime {
  std::int64_t millis = 0;

  friend auto operator<=>(const LocalDateTime&, const LocalDateTime&) = default;
};

// Parses `yyyy-MM-ddTHH:mm:ss[.f{1,3}]` naming a real calendar moment; nullopt otherwise.
std::optional<LocalDateTime> ParseLocalDateTime(std::string_view text);

// Parses `yyyy-mm-dd` naming a real calendar day; the result is that day's 00:00.
std::optional<LocalDateTime> ParseLocalDay(std::string_view text);

// Appends the API form: `yyyy-MM-ddTHH:mm:ss`, then `.` and 1-3 digits only for non-zero milliseconds.
void AppendLocalDateTime(std::string& out, LocalDateTime value);

// The API form as a new string.
std::string FormatLocalDateTime(LocalDateTime value);

// `value` plus whole minutes, in wall-clock arithmetic.
constexpr LocalDateTime AddMinutes(LocalDateTime value, std::int64_t minutes) {
  return LocalDateTime{value.millis + minutes * 60'000};
}

// `value` plus whole calendar months, the day clamped to the month's last (Jan 31 + 1 month = Feb 28 or 29).
LocalDateTime AddCalendarMonths(LocalDateTime value, int months);

// Converts between UTC system time and the wall clock of an IANA zone.
class ServiceZone {
 public:
  // Loads `zone_name` from the system's time-zone database; throws UsageError when it is unknown.
  explicit ServiceZone(const std::string& zone_name);
  // The zone's name as configured.
  [[nodiscard]] const std::string& Name() const { return name_; }
  // The current wall-clock time in the zone.
  [[nodiscard]] LocalDateTime Now() const;
  // The wall-clock time in the zone at `unix_millis`.
  [[nodiscard]] LocalDateTime FromUnixMillis(std::int64_t unix_millis) const;
  // False when the zone's clocks skip `local` (a spring-forward gap); a repeated hour exists.
  [[nodiscard]] bool Exists(LocalDateTime local) const;

 private:
  std::string name_;
  const void* zone_ = nullptr;  // date::time_zone, opaque here so that <date/tz.h> stays out of headers
};

}  // namespace phonechat
