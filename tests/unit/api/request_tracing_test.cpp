#include "api/request_tracing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace phonechat {
namespace {

bool IsMinted(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RequestIdFor, KeepsAWellFormedId) {
  EXPECT_EQ(RequestIdFor("abc-123"), "abc-123");
  EXPECT_EQ(RequestIdFor("a.b_c~d:e/f+g=h@i"), "a.b_c~d:e/f+g=h@i");
  EXPECT_EQ(RequestIdFor(std::string(kMaxRequestIdLength, 'x')), std::string(kMaxRequestIdLength, 'x'));
}

TEST(RequestIdFor, MintsWhenAbsentEmptyTooLongOrHostile) {
  EXPECT_TRUE(IsMinted(RequestIdFor(std::nullopt)));
  EXPECT_TRUE(IsMinted(RequestIdFor("")));
  EXPECT_TRUE(IsMinted(RequestIdFor(std::string(kMaxRequestIdLength + 1, 'x'))));
  for (const char* hostile : {"a b", "a\"b", "a\\b", "x\ny", "x\r\nSet-Cookie: y", "<script>", "a,b", "\x7f"}) {
    EXPECT_TRUE(IsMinted(RequestIdFor(hostile))) << hostile;
  }
  EXPECT_TRUE(IsMinted(RequestIdFor(std::string_view("a\0b", 3))));
}

TEST(RequestIdFor, MintsADifferentIdEachTime) { EXPECT_NE(RequestIdFor(std::nullopt), RequestIdFor(std::nullopt)); }

TEST(ParseTraceparent, ReadsVersionZero) {
  const auto trace = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(trace->flags, "01");
}

TEST(ParseTraceparent, ReadsALaterVersionWithMoreFields) {
  EXPECT_TRUE(ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  EXPECT_FALSE(ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
}

TEST(ParseTraceparent, RefusesWhatTheRulesRefuse) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",         // version 00 has exactly 4 fields
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",          // version ff
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",          // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",          // zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",          // upper case
           "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",          // misplaced dash
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",          // not hex
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
       }) {
    EXPECT_FALSE(ParseTraceparent(bad)) << bad;
  }
}

}  // namespace
}  // namespace phonechat
