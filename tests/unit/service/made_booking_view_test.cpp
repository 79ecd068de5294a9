#include <gtest/gtest.h>

#include "service/made_bookings_service.hpp"

namespace phonechat {
namespace {

LocalDateTime At(std::string_view text) { return *ParseLocalDateTime(text); }

StoredBooking Booking(BookingStatus status, ContactMethod method) {
  StoredBooking booking;
  booking.booking_id = 1;
  booking.duration_minutes = 15;
  booking.status = status;
  booking.method = method;
  booking.create_date = At("2018-01-20T12:34:56.789");
  booking.accept_by = At("2018-01-22T00:00:00");
  booking.session_date = At("2018-01-22T21:30:00");
  if (method == ContactMethod::kCandidateCalls) booking.phone_number = "+447700900001";
  if (method == ContactMethod::kSkype) booking.skype_name = "client.skype";
  booking.candidate = CandidateProfile{123456, "BookedUser", "+447700900123", "booked.skype", 7, 0, 1, 0};
  return booking;
}

TEST(MadeBookingView, PendingBeforeAcceptByWaitsForTheCandidate) {
  const StoredBooking booking = Booking(BookingStatus::kPending, ContactMethod::kClientCalls);
  const MadeBookingView view = ViewMadeBooking(booking, At("2018-01-21T23:59:59.999"));
  EXPECT_EQ(view.status, BookingStatus::kPending);
  EXPECT_EQ(view.action_client, "Waiting for BookedUser to accept the booking");
  EXPECT_FALSE(view.rejected_reason);
}

TEST(MadeBookingView, PendingIsRejectedFromTheInstantAcceptByPasses) {
  const StoredBooking booking = Booking(BookingStatus::kPending, ContactMethod::kClientCalls);
  const MadeBookingView view = ViewMadeBooking(booking, At("2018-01-22T00:00:00"));
  EXPECT_EQ(view.status, BookingStatus::kRejected);
  EXPECT_EQ(view.rejected_reason, kNotAcceptedInTimeReason);
  EXPECT_FALSE(view.action_client);
}

TEST(MadeBookingView, AcceptedNeedsConfirmingOnlyWhileTheSessionIsAhead) {
  const StoredBooking booking = Booking(BookingStatus::kAccepted, ContactMethod::kClientCalls);
  EXPECT_EQ(ViewMadeBooking(booking, At("2018-01-22T21:29:59.999")).action_client, "You need to confirm the booking");
  EXPECT_FALSE(ViewMadeBooking(booking, At("2018-01-22T21:30:00")).action_client);
}

TEST(MadeBookingView, ConfirmedNeedsCarryingOutUntilTheSessionEnds) {
  const StoredBooking booking = Booking(BookingStatus::kConfirmed, ContactMethod::kClientCalls);
  EXPECT_EQ(ViewMadeBooking(booking, At("2018-01-22T21:44:59.999")).action_client, "You need to carry out the session");
  EXPECT_FALSE(ViewMadeBooking(booking, At("2018-01-22T21:45:00")).action_client);
}

TEST(MadeBookingView, RejectedAndCancelledNeedNothing) {
  for (BookingStatus status : {BookingStatus::kRejected, BookingStatus::kCancelled}) {
    EXPECT_FALSE(
        ViewMadeBooking(Booking(status, ContactMethod::kClientCalls), At("2018-01-01T00:00:00")).action_client);
  }
}

TEST(MadeBookingView, CandidatePhoneShownOnlyWhenConfirmedAndTheClientCalls) {
  const LocalDateTime now = At("2018-01-21T00:00:00");
  EXPECT_EQ(
      ViewMadeBooking(Booking(BookingStatus::kConfirmed, ContactMethod::kClientCalls), now).candidate_phone_number,
      "+447700900123");
  EXPECT_FALSE(
      ViewMadeBooking(Booking(BookingStatus::kAccepted, ContactMethod::kClientCalls), now).candidate_phone_number);
  EXPECT_FALSE(ViewMadeBooking(Booking(BookingStatus::kConfirmed, ContactMethod::kSkype), now).candidate_phone_number);
}

TEST(MadeBookingView, CandidateSkypeShownOnlyWhenConfirmedOverSkype) {
  const LocalDateTime now = At("2018-01-21T00:00:00");
  EXPECT_EQ(ViewMadeBooking(Booking(BookingStatus::kConfirmed, ContactMethod::kSkype), now).candidate_skype_name,
            "booked.skype");
  EXPECT_FALSE(ViewMadeBooking(Booking(BookingStatus::kPending, ContactMethod::kSkype), now).candidate_skype_name);
  EXPECT_FALSE(
      ViewMadeBooking(Booking(BookingStatus::kConfirmed, ContactMethod::kClientCalls), now).candidate_skype_name);
}

TEST(MadeBookingView, ClientContactFollowsTheMethod) {
  const LocalDateTime now = At("2018-01-21T00:00:00");
  StoredBooking calls_client = Booking(BookingStatus::kPending, ContactMethod::kCandidateCalls);
  EXPECT_EQ(ViewMadeBooking(calls_client, now).phone_number, "+447700900001");
  EXPECT_FALSE(ViewMadeBooking(calls_client, now).skype_name);
  StoredBooking skype = Booking(BookingStatus::kPending, ContactMethod::kSkype);
  EXPECT_EQ(ViewMadeBooking(skype, now).skype_name, "client.skype");
  EXPECT_FALSE(ViewMadeBooking(skype, now).phone_number);
}

}  // namespace
}  // namespace phonechat
