#include "domain/booking.hpp"

#include <gtest/gtest.h>

namespace phonechat {
namespace {

TEST(BookingStatus, NamesAreThoseOfTheApi) {
  EXPECT_EQ(StatusName(BookingStatus::kPending), "Pending");
  EXPECT_EQ(StatusName(BookingStatus::kAccepted), "Accepted");
  EXPECT_EQ(StatusName(BookingStatus::kRejected), "Rejected");
  EXPECT_EQ(StatusName(BookingStatus::kConfirmed), "Confirmed");
  EXPECT_EQ(StatusName(BookingStatus::kCancelled), "Cancelled");
}

TEST(BookingStatus, ParsesEveryNameBackToItsStatus) {
  for (const auto status : {BookingStatus::kPending, BookingStatus::kAccepted, BookingStatus::kRejected,
                            BookingStatus::kConfirmed, BookingStatus::kCancelled}) {
    EXPECT_EQ(ParseStatus(StatusName(status)), status);
  }
}

TEST(BookingStatus, ParsingIsExact) {
  EXPECT_FALSE(ParseStatus("pending"));
  EXPECT_FALSE(ParseStatus("Pending "));
  EXPECT_FALSE(ParseStatus(""));
  EXPECT_FALSE(ParseStatus("Deleted"));
}

TEST(CancelledBy, NamesAndParsesBothParties) {
  EXPECT_EQ(CancelledByName(CancelledBy::kClient), "Client");
  EXPECT_EQ(CancelledByName(CancelledBy::kCandidate), "Candidate");
  EXPECT_EQ(ParseCancelledBy("Client"), CancelledBy::kClient);
  EXPECT_EQ(ParseCancelledBy("Candidate"), CancelledBy::kCandidate);
  EXPECT_FALSE(ParseCancelledBy("client"));
  EXPECT_FALSE(ParseCancelledBy(""));
}

}  // namespace
}  // namespace phonechat
