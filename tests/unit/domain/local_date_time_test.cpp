#include "domain/local_date_time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/error.hpp"

namespace phonechat {
namespace {

using std::chrono::April;
using std::chrono::February;
using std::chrono::January;
using std::chrono::March;
using std::chrono::October;

// Milliseconds since 1970-01-01T00:00 of a civil date and time, computed by the standard library's calendar.
std::int64_t MillisOf(std::chrono::year_month_day day, int hours, int minutes, int seconds, int millis = 0) {
  const auto midnight = std::chrono::sys_days{day};
  const auto instant = midnight + std::chrono::hours{hours} + std::chrono::minutes{minutes} +
                       std::chrono::seconds{seconds} + std::chrono::milliseconds{millis};
  return std::chrono::duration_cast<std::chrono::milliseconds>(instant.time_since_epoch()).count();
}

std::string RoundTrip(std::string_view text) {
  const auto parsed = ParseLocalDateTime(text);
  return parsed ? FormatLocalDateTime(*parsed) : std::string("<rejected>");
}

TEST(ParseLocalDateTime, ReadsTheSeedDatesAsMillisecondsSinceTheLocalEpoch) {
  EXPECT_EQ(ParseLocalDateTime("2018-01-20T12:34:56.789")->millis,
            MillisOf(std::chrono::year{2018} / January / 20, 12, 34, 56, 789));
  EXPECT_EQ(ParseLocalDateTime("2018-01-22T21:30:00")->millis,
            MillisOf(std::chrono::year{2018} / January / 22, 21, 30, 0));
  EXPECT_EQ(ParseLocalDateTime("1970-01-01T00:00:00")->millis, 0);
}

TEST(ParseLocalDateTime, ScalesOneTwoAndThreeFractionDigitsToMilliseconds) {
  const auto whole = ParseLocalDateTime("2018-01-20T12:34:56")->millis;
  EXPECT_EQ(ParseLocalDateTime("2018-01-20T12:34:56.5")->millis, whole + 500);
  EXPECT_EQ(ParseLocalDateTime("2018-01-20T12:34:56.05")->millis, whole + 50);
  EXPECT_EQ(ParseLocalDateTime("2018-01-20T12:34:56.005")->millis, whole + 5);
  EXPECT_EQ(ParseLocalDateTime("2018-01-20T12:34:56.000")->millis, whole);
}

TEST(ParseLocalDateTime, AcceptsFebruaryTheTwentyNinthOnlyInLeapYears) {
  EXPECT_TRUE(ParseLocalDateTime("2020-02-29T00:00:00"));
  EXPECT_TRUE(ParseLocalDateTime("2000-02-29T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("2019-02-29T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("1900-02-29T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("2020-02-30T00:00:00"));
}

TEST(ParseLocalDateTime, RejectsDaysAndMonthsThatDoNotExist) {
  EXPECT_FALSE(ParseLocalDateTime("2018-04-31T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("2018-13-01T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("2018-00-10T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("2018-01-00T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("2018-01-32T00:00:00"));
}

TEST(ParseLocalDateTime, AcceptsYearsOneToNineThousandNineHundredNinetyNineOnly) {
  EXPECT_TRUE(ParseLocalDateTime("0001-01-01T00:00:00"));
  EXPECT_TRUE(ParseLocalDateTime("9999-12-31T23:59:59.999"));
  EXPECT_FALSE(ParseLocalDateTime("0000-12-31T00:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("10000-01-01T00:00:00"));
}

TEST(ParseLocalDateTime, RejectsTimesOutsideTheDay) {
  EXPECT_FALSE(ParseLocalDateTime("2018-01-22T24:00:00"));
  EXPECT_FALSE(ParseLocalDateTime("2018-01-22T23:60:00"));
  EXPECT_FALSE(ParseLocalDateTime("2018-01-22T23:59:60"));
  EXPECT_TRUE(ParseLocalDateTime("2018-01-22T23:59:59"));
}

TEST(ParseLocalDateTime, RejectsAnythingButTheExactLayout) {
  for (const char* text :
       {"2018-1-2T00:00:00", "2018-01-22", "2018-01-22 21:30:00", "2018-01-22t21:30:00", "2018-01-22T21:30",
        "2018-01-22T21:30:00Z", "2018-01-22T21:30:00+01:00", "2018-01-22T21:30:00 ", " 2018-01-22T21:30:00",
        "2018-01-22T21:30:00.", "2018-01-22T21:30:00.1234", "2018-01-22T21:30:00,5", "2018-01-22T21:30:00.5a",
        "+018-01-22T21:30:00", "2018-01-22T-1:30:00", "2018/01/22T21:30:00", ""}) {
    EXPECT_FALSE(ParseLocalDateTime(text)) << text;
  }
}

TEST(ParseLocalDay, ReadsARealDayAsItsMidnight) {
  EXPECT_EQ(ParseLocalDay("2018-01-22"), ParseLocalDateTime("2018-01-22T00:00:00"));
  EXPECT_TRUE(ParseLocalDay("2020-02-29"));
  EXPECT_FALSE(ParseLocalDay("2019-02-29"));
}

TEST(ParseLocalDay, RejectsOtherLayouts) {
  for (const char* text : {"2018-1-2", "2018-01-2", "18-01-22", "2018-01-22T00:00:00", "2018-01-22 ", "20180122",
                           "0000-01-01", "2018-13-01", ""}) {
    EXPECT_FALSE(ParseLocalDay(text)) << text;
  }
}

TEST(FormatLocalDateTime, WritesTheFractionOnlyWhenNonZeroWithTrailingZerosTrimmed) {
  EXPECT_EQ(RoundTrip("2018-01-22T21:30:00"), "2018-01-22T21:30:00");
  EXPECT_EQ(RoundTrip("2018-01-22T21:30:00.000"), "2018-01-22T21:30:00");
  EXPECT_EQ(RoundTrip("2018-01-20T12:34:56.500"), "2018-01-20T12:34:56.5");
  EXPECT_EQ(RoundTrip("2018-01-20T12:34:56.120"), "2018-01-20T12:34:56.12");
  EXPECT_EQ(RoundTrip("2018-01-20T12:34:56.789"), "2018-01-20T12:34:56.789");
  EXPECT_EQ(RoundTrip("2018-01-20T12:34:56.001"), "2018-01-20T12:34:56.001");
  EXPECT_EQ(RoundTrip("2018-01-20T12:34:56.05"), "2018-01-20T12:34:56.05");
}

TEST(FormatLocalDateTime, RoundTripsTheEdgesOfTheAcceptedRange) {
  EXPECT_EQ(RoundTrip("0001-01-01T00:00:00"), "0001-01-01T00:00:00");
  EXPECT_EQ(RoundTrip("9999-12-31T23:59:59.999"), "9999-12-31T23:59:59.999");
  EXPECT_EQ(RoundTrip("2000-02-29T12:00:00.1"), "2000-02-29T12:00:00.1");
}

TEST(FormatLocalDateTime, HandlesInstantsBefore1970) {
  EXPECT_EQ(FormatLocalDateTime(LocalDateTime{-1}), "1969-12-31T23:59:59.999");
  EXPECT_EQ(FormatLocalDateTime(LocalDateTime{-86'400'000}), "1969-12-31T00:00:00");
  EXPECT_EQ(RoundTrip("1900-03-01T06:07:08.9"), "1900-03-01T06:07:08.9");
  EXPECT_LT(ParseLocalDateTime("1969-12-31T23:59:59")->millis, 0);
}

TEST(FormatLocalDateTime, AppendsToWhatIsAlreadyThere) {
  std::string out = "at ";
  AppendLocalDateTime(out, *ParseLocalDateTime("2018-01-22T21:30:00"));
  EXPECT_EQ(out, "at 2018-01-22T21:30:00");
}

TEST(AddMinutes, CrossesDayMonthAndYearBoundaries) {
  EXPECT_EQ(FormatLocalDateTime(AddMinutes(*ParseLocalDateTime("2018-12-31T23:50:00.5"), 15)), "2019-01-01T00:05:00.5");
  EXPECT_EQ(FormatLocalDateTime(AddMinutes(*ParseLocalDateTime("2020-02-28T23:30:00"), 60)), "2020-02-29T00:30:00");
  EXPECT_EQ(FormatLocalDateTime(AddMinutes(*ParseLocalDateTime("2018-01-01T00:10:00"), -20)), "2017-12-31T23:50:00");
}

TEST(LocalDateTime, OrdersLikeItsText) {
  const auto earlier = *ParseLocalDateTime("2018-01-22T21:30:00");
  const auto later = *ParseLocalDateTime("2018-01-22T21:30:00.001");
  EXPECT_LT(earlier, later);
  EXPECT_LT(*ParseLocalDateTime("1969-12-31T23:59:59.999"), *ParseLocalDateTime("1970-01-01T00:00:00"));
}

TEST(ServiceZone, LondonIsOnGmtInWinter) {
  const ServiceZone london("Europe/London");
  EXPECT_EQ(london.Name(), "Europe/London");
  const auto utc = MillisOf(std::chrono::year{2018} / January / 20, 12, 34, 56, 789);
  EXPECT_EQ(FormatLocalDateTime(london.FromUnixMillis(utc)), "2018-01-20T12:34:56.789");
}

TEST(ServiceZone, LondonJumpsFromOneToTwoOnTheLastSundayOfMarch) {
  const ServiceZone london("Europe/London");
  const auto change = MillisOf(std::chrono::year{2018} / March / 25, 1, 0, 0);
  EXPECT_EQ(FormatLocalDateTime(london.FromUnixMillis(change - 1)), "2018-03-25T00:59:59.999");
  EXPECT_EQ(FormatLocalDateTime(london.FromUnixMillis(change)), "2018-03-25T02:00:00");
  EXPECT_EQ(FormatLocalDateTime(london.FromUnixMillis(MillisOf(std::chrono::year{2018} / April / 1, 12, 0, 0))),
            "2018-04-01T13:00:00");
}

TEST(ServiceZone, LondonRepeatsOneOClockOnTheLastSundayOfOctober) {
  const ServiceZone london("Europe/London");
  const auto change = MillisOf(std::chrono::year{2018} / October / 28, 1, 0, 0);
  EXPECT_EQ(FormatLocalDateTime(london.FromUnixMillis(change - 1)), "2018-10-28T01:59:59.999");
  EXPECT_EQ(FormatLocalDateTime(london.FromUnixMillis(change)), "2018-10-28T01:00:00");
}

TEST(ServiceZone, TheSpringForwardGapDoesNotExist) {
  const ServiceZone london("Europe/London");
  EXPECT_TRUE(london.Exists(*ParseLocalDateTime("2030-03-31T00:59:59.999")));
  EXPECT_FALSE(london.Exists(*ParseLocalDateTime("2030-03-31T01:00:00")));
  EXPECT_FALSE(london.Exists(*ParseLocalDateTime("2030-03-31T01:30:00")));
  EXPECT_FALSE(london.Exists(*ParseLocalDateTime("2030-03-31T01:59:59.999")));
  EXPECT_TRUE(london.Exists(*ParseLocalDateTime("2030-03-31T02:00:00")));
}

TEST(ServiceZone, TheRepeatedAutumnHourExists) {
  const ServiceZone london("Europe/London");
  EXPECT_TRUE(london.Exists(*ParseLocalDateTime("2030-10-27T01:30:00")));
  EXPECT_TRUE(ServiceZone("Etc/UTC").Exists(*ParseLocalDateTime("2030-03-31T01:30:00")));
}

TEST(ServiceZone, UtcWallClockEqualsUnixTimeIncludingBefore1970) {
  const ServiceZone utc("Etc/UTC");
  for (const std::int64_t millis : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-2'208'988'800'123},
                                    MillisOf(std::chrono::year{2016} / February / 29, 23, 59, 59, 999)}) {
    EXPECT_EQ(utc.FromUnixMillis(millis).millis, millis);
  }
}

TEST(ServiceZone, NowIsTheCurrentWallClockOfTheZone) {
  const ServiceZone london("Europe/London");
  const auto before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const auto now = london.Now();
  const auto after =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_LE(london.FromUnixMillis(before), now);
  EXPECT_LE(now, london.FromUnixMillis(after));
}

TEST(ServiceZone, UnknownZoneThrowsAUsageErrorNamingIt) {
  try {
    const ServiceZone zone("Europe/Atlantis");
    FAIL() << "no exception for an unknown zone";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("Europe/Atlantis"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace phonechat
