// The status machine's table: every transition's allowed statuses, time conditions, fields written and 409 texts.

#include <gtest/gtest.h>

#include "service/booking_transitions.hpp"
#include "service/received_bookings.hpp"

namespace phonechat {
namespace {

LocalDateTime At(std::string_view text) { return *ParseLocalDateTime(text); }

// Created 20 Jan, AcceptBy 22 Jan 00:00, session 22 Jan 21:30 for 15 minutes.
StoredBooking Booking(BookingStatus status) {
  StoredBooking booking;
  booking.booking_id = 12;
  booking.client_user_id = 555;
  booking.duration_minutes = 15;
  booking.credits = Credits{80'000};
  booking.offered_credits = booking.credits;
  booking.status = status;
  booking.method = ContactMethod::kCandidateCalls;
  booking.phone_number = "07700900001";
  booking.create_date = At("2018-01-20T12:34:56.789");
  booking.accept_by = At("2018-01-22T00:00:00");
  booking.session_date = At("2018-01-22T21:30:00");
  booking.last_updated = booking.create_date;
  booking.candidate = CandidateProfile{123456, "BookedUser", "+447700900123", "booked.skype", 7, 0, 1, 0};
  booking.client = PartyProfile{555, "Client_One", std::nullopt, std::nullopt, 2, 1, 0, 0};
  if (status == BookingStatus::kRejected) booking.rejection_kind = RejectionKind::kCandidate;
  return booking;
}

const LocalDateTime kBeforeAcceptBy = At("2018-01-21T10:00:00");
const LocalDateTime kAfterAcceptBy = At("2018-01-22T10:00:00");
const LocalDateTime kDuringSession = At("2018-01-22T21:40:00");
const LocalDateTime kAfterSession = At("2018-01-22T21:45:00");

std::string ConflictText(BookingAction action, const StoredBooking& booking, LocalDateTime now) {
  const Result<void> checked = CheckTransition(action, booking, now);
  EXPECT_FALSE(checked);
  if (checked) return {};
  EXPECT_EQ(checked.error().code, ErrorCode::kConflict);
  return checked.error().message;
}

TEST(BookingTransitions, AcceptNeedsPendingBeforeItsDeadline) {
  EXPECT_TRUE(CheckTransition(BookingAction::kAccept, Booking(BookingStatus::kPending), kBeforeAcceptBy));
  EXPECT_EQ(ConflictText(BookingAction::kAccept, Booking(BookingStatus::kPending), kAfterAcceptBy),
            "Booking 12 cannot be accepted: its status is Rejected (not accepted in time); it must be Pending.");
  EXPECT_EQ(ConflictText(BookingAction::kAccept, Booking(BookingStatus::kAccepted), kBeforeAcceptBy),
            "Booking 12 cannot be accepted: its status is Accepted; it must be Pending.");
}

TEST(BookingTransitions, AcceptWritesTheAcceptedAmountAndDates) {
  const StoredBooking after =
      ApplyTransition(BookingAction::kAccept, Booking(BookingStatus::kPending), kBeforeAcceptBy, Credits{95'000}, {});
  EXPECT_EQ(after.status, BookingStatus::kAccepted);
  EXPECT_EQ(after.accepted_date, kBeforeAcceptBy);
  EXPECT_EQ(after.last_updated, kBeforeAcceptBy);
  EXPECT_EQ(after.credits, Credits{95'000});
  EXPECT_EQ(after.offered_credits, Credits{80'000});
}

TEST(BookingTransitions, RejectRecordsTheCandidatesReason) {
  const StoredBooking after = ApplyTransition(BookingAction::kReject, Booking(BookingStatus::kPending),
                                              kBeforeAcceptBy, std::nullopt, "Busy that night");
  EXPECT_EQ(after.status, BookingStatus::kRejected);
  EXPECT_EQ(after.rejected_reason, "Busy that night");
  EXPECT_EQ(after.rejection_kind, RejectionKind::kCandidate);
  EXPECT_EQ(ConflictText(BookingAction::kReject, Booking(BookingStatus::kAccepted), kBeforeAcceptBy),
            "Booking 12 cannot be rejected: its status is Accepted; it must be Pending.");
}

TEST(BookingTransitions, ConfirmNeedsAcceptedWithTheSessionAhead) {
  EXPECT_TRUE(CheckTransition(BookingAction::kConfirm, Booking(BookingStatus::kAccepted), kAfterAcceptBy));
  EXPECT_EQ(ConflictText(BookingAction::kConfirm, Booking(BookingStatus::kAccepted), kDuringSession),
            "Booking 12 cannot be confirmed: its SessionDate 2018-01-22T21:30:00 has passed.");
  EXPECT_EQ(ConflictText(BookingAction::kConfirm, Booking(BookingStatus::kRejected), kBeforeAcceptBy),
            "Booking 12 cannot be confirmed: its status is Rejected (by the candidate); it must be Accepted.");
  EXPECT_EQ(ConflictText(BookingAction::kConfirm, Booking(BookingStatus::kPending), kBeforeAcceptBy),
            "Booking 12 cannot be confirmed: its status is Pending; it must be Accepted.");
}

TEST(BookingTransitions, TheClientCancelsPendingAndAcceptedAnyTimeAndConfirmedOnlyBeforeTheSession) {
  EXPECT_TRUE(CheckTransition(BookingAction::kCancelByClient, Booking(BookingStatus::kPending), kBeforeAcceptBy));
  EXPECT_TRUE(CheckTransition(BookingAction::kCancelByClient, Booking(BookingStatus::kAccepted), kAfterSession));
  EXPECT_TRUE(CheckTransition(BookingAction::kCancelByClient, Booking(BookingStatus::kConfirmed), kAfterAcceptBy));
  EXPECT_EQ(ConflictText(BookingAction::kCancelByClient, Booking(BookingStatus::kConfirmed), kDuringSession),
            "Booking 12 cannot be cancelled: its SessionDate 2018-01-22T21:30:00 has passed.");
  EXPECT_EQ(ConflictText(BookingAction::kCancelByClient, Booking(BookingStatus::kCancelled), kBeforeAcceptBy),
            "Booking 12 cannot be cancelled: its status is Cancelled; it must be Pending, Accepted or Confirmed.");
  // A lapsed booking reads Rejected and can no longer be cancelled.
  EXPECT_FALSE(CheckTransition(BookingAction::kCancelByClient, Booking(BookingStatus::kPending), kAfterAcceptBy));
  const StoredBooking after = ApplyTransition(BookingAction::kCancelByClient, Booking(BookingStatus::kAccepted),
                                              kAfterAcceptBy, std::nullopt, "Plans changed");
  EXPECT_EQ(after.status, BookingStatus::kCancelled);
  EXPECT_EQ(after.cancelled_by, CancelledBy::kClient);
  EXPECT_EQ(after.cancelled_reason, "Plans changed");
  EXPECT_EQ(after.cancelled_date, kAfterAcceptBy);
}

TEST(BookingTransitions, TheCandidateCancelsOnlyAcceptedBeforeTheSession) {
  EXPECT_TRUE(CheckTransition(BookingAction::kCancelByCandidate, Booking(BookingStatus::kAccepted), kAfterAcceptBy));
  EXPECT_FALSE(CheckTransition(BookingAction::kCancelByCandidate, Booking(BookingStatus::kPending), kBeforeAcceptBy));
  EXPECT_EQ(ConflictText(BookingAction::kCancelByCandidate, Booking(BookingStatus::kConfirmed), kAfterAcceptBy),
            "Booking 12 cannot be cancelled: its status is Confirmed; it must be Accepted.");
  EXPECT_EQ(ApplyTransition(BookingAction::kCancelByCandidate, Booking(BookingStatus::kAccepted), kAfterAcceptBy,
                            std::nullopt, "Ill")
                .cancelled_by,
            CancelledBy::kCandidate);
}

TEST(BookingTransitions, ReInviteNeedsALapseUnansweredAndThePassedSession) {
  const StoredBooking pending = Booking(BookingStatus::kPending);
  EXPECT_TRUE(CheckTransition(BookingAction::kReInvite, pending, kDuringSession));
  EXPECT_EQ(ConflictText(BookingAction::kReInvite, pending, kAfterAcceptBy),
            "Booking 12 cannot be re-invited: its SessionDate 2018-01-22T21:30:00 has not passed yet.");
  StoredBooking stored_lapse = Booking(BookingStatus::kRejected);
  stored_lapse.rejection_kind = RejectionKind::kLapsed;
  EXPECT_TRUE(CheckTransition(BookingAction::kReInvite, stored_lapse, kAfterSession));
  EXPECT_FALSE(CheckTransition(BookingAction::kReInvite, Booking(BookingStatus::kRejected), kAfterSession));
  const StoredBooking invited =
      ApplyTransition(BookingAction::kReInvite, pending, kAfterSession, std::nullopt, "Sorry, book again");
  EXPECT_EQ(invited.status, BookingStatus::kRejected);
  EXPECT_EQ(invited.rejection_kind, RejectionKind::kReInvited);
  EXPECT_EQ(invited.last_updated, kAfterSession);
  EXPECT_EQ(ConflictText(BookingAction::kReInvite, invited, kAfterSession),
            "Booking 12 cannot be re-invited: its status is Rejected (re-invited); it must be Rejected because it "
            "lapsed unanswered, and not re-invited before.");
}

TEST(BookingTransitions, DeleteNeedsAFinalStatus) {
  EXPECT_TRUE(CheckTransition(BookingAction::kDelete, Booking(BookingStatus::kCancelled), kBeforeAcceptBy));
  EXPECT_TRUE(CheckTransition(BookingAction::kDelete, Booking(BookingStatus::kPending), kAfterAcceptBy));
  EXPECT_TRUE(CheckTransition(BookingAction::kDelete, Booking(BookingStatus::kConfirmed), kAfterSession));
  EXPECT_EQ(ConflictText(BookingAction::kDelete, Booking(BookingStatus::kAccepted), kBeforeAcceptBy),
            "Booking 12 cannot be deleted yet: its status is Accepted; it must be Rejected, Cancelled, or Confirmed "
            "with the session over.");
  EXPECT_FALSE(CheckTransition(BookingAction::kDelete, Booking(BookingStatus::kConfirmed), kDuringSession));
  const StoredBooking before = Booking(BookingStatus::kCancelled);
  const StoredBooking after = ApplyTransition(BookingAction::kDelete, before, kAfterSession, std::nullopt, {});
  EXPECT_EQ(after.last_updated, before.last_updated);
  EXPECT_EQ(after.status, before.status);
}

TEST(BookingTransitions, VisibilityFollowsTheSideAndItsDelete) {
  StoredBooking booking = Booking(BookingStatus::kPending);
  EXPECT_TRUE(VisibleOnSide(booking, 555, BookingSide::kMade));
  EXPECT_FALSE(VisibleOnSide(booking, 555, BookingSide::kReceived));
  EXPECT_TRUE(VisibleOnSide(booking, 123456, BookingSide::kReceived));
  booking.deleted_by_client = true;
  EXPECT_FALSE(VisibleOnSide(booking, 555, BookingSide::kMade));
  EXPECT_TRUE(VisibleOnSide(booking, 123456, BookingSide::kReceived));
  EXPECT_EQ(BookingNotFoundMessage(12, BookingSide::kReceived),
            "No PhoneChat booking 12 was found among your received bookings.");
}

TEST(ReceivedBookingView, ActionCandidateFollowsTheStatusAsReadNow) {
  EXPECT_EQ(ViewReceivedBooking(Booking(BookingStatus::kPending), kBeforeAcceptBy).action_candidate,
            "You need to accept or reject the booking");
  EXPECT_EQ(ViewReceivedBooking(Booking(BookingStatus::kAccepted), kAfterAcceptBy).action_candidate,
            "Waiting for Client_One to confirm the booking");
  EXPECT_FALSE(ViewReceivedBooking(Booking(BookingStatus::kAccepted), kDuringSession).action_candidate);
  EXPECT_EQ(ViewReceivedBooking(Booking(BookingStatus::kConfirmed), kDuringSession).action_candidate,
            "You need to carry out the session");
  EXPECT_FALSE(ViewReceivedBooking(Booking(BookingStatus::kConfirmed), kAfterSession).action_candidate);
  EXPECT_FALSE(ViewReceivedBooking(Booking(BookingStatus::kPending), kAfterAcceptBy).action_candidate);
  EXPECT_EQ(ViewReceivedBooking(Booking(BookingStatus::kPending), kAfterSession).action_candidate,
            "You can re-invite Client_One");
  EXPECT_FALSE(ViewReceivedBooking(Booking(BookingStatus::kRejected), kAfterSession).action_candidate);
}

TEST(ReceivedBookingView, TheClientsContactShowsOnlyWhileConfirmed) {
  EXPECT_FALSE(ViewReceivedBooking(Booking(BookingStatus::kAccepted), kAfterAcceptBy).phone_number);
  EXPECT_EQ(ViewReceivedBooking(Booking(BookingStatus::kConfirmed), kAfterAcceptBy).phone_number, "07700900001");
  EXPECT_FALSE(ViewReceivedBooking(Booking(BookingStatus::kCancelled), kAfterAcceptBy).phone_number);
  const ReceivedBookingView lapsed = ViewReceivedBooking(Booking(BookingStatus::kPending), kAfterAcceptBy);
  EXPECT_EQ(lapsed.status, BookingStatus::kRejected);
  EXPECT_EQ(lapsed.rejected_reason, kNotAcceptedInTimeReason);
}

}  // namespace
}  // namespace phonechat
