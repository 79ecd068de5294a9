// The import's record decoding (importer/record_decoding.hpp) of the life cycle's fields: the User's PhoneChat
// settings, the Booking's new fields and their defaults, settlement at the import's "now", the Credit kind, and what
// export writes: secrets' hashes and a booking's ledger.
#include "importer/record_decoding.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "auth/secrets.hpp"
#include "importer_test_support.hpp"

namespace phonechat::testing {
namespace {

using importer::DecodedRecord;
using importer::LineFailure;

DecodedRecord Decode(const std::string& line, LocalDateTime now = kImportNow) {
  importer::LineParser parser;
  DecodedRecord out;
  importer::DecodeRecord(parser.Parse(line), out, now);
  return out;
}

// The reason `line` is refused, or "<decoded>" when it is not.
std::string Refusal(const std::string& line, LocalDateTime now = kImportNow) {
  try {
    Decode(line, now);
  } catch (const LineFailure& failure) {
    return failure.what();
  }
  return "<decoded>";
}

UserRecord DecodeUser(const std::vector<RawField>& fields) {
  return std::get<UserRecord>(
      Decode(Record(Changed({{"Kind", "\"User\""}, {"UserID", "5"}, {"Nickname", "\"Cand\""}}, fields))));
}

std::string UserRefusal(const std::vector<RawField>& fields) {
  return Refusal(Record(Changed({{"Kind", "\"User\""}, {"UserID", "5"}, {"Nickname", "\"Cand\""}}, fields)));
}

StoredBooking DecodeBooking(const std::vector<RawField>& changes, LocalDateTime now = kImportNow) {
  return std::get<BookingRecord>(Decode(BookingLine(changes), now)).booking;
}

LocalDateTime At(const char* text) { return *ParseLocalDateTime(text); }

std::string CreditLine(const std::vector<RawField>& changes = {}) {
  return Record(Changed({{"Kind", "\"Credit\""},
                         {"UserID", "555"},
                         {"Amount", "\"250\""},
                         {"Date", "\"2018-01-01T10:00:00\""},
                         {"Description", "\"Purchase\""}},
                        changes));
}

TEST(RecordDecoding, AUserWithoutSettingsOffersNothing) {
  const UserRecord user = DecodeUser({});
  EXPECT_FALSE(user.offers_phonechat);
  EXPECT_FALSE(user.phonechat_ppm.has_value());
  EXPECT_FALSE(user.offer_direct_chat);
  EXPECT_FALSE(user.direct_chat_only);
  EXPECT_FALSE(user.direct_chat_ppm.has_value());
  EXPECT_FALSE(user.show_phonechat_number);
}

TEST(RecordDecoding, EveryUserSettingIsRead) {
  const UserRecord user = DecodeUser({{"OffersPhoneChat", "true"},
                                      {"PhoneChatPPM", "\"0.5\""},
                                      {"OfferDirectChat", "true"},
                                      {"DirectChatOnly", "true"},
                                      {"DirectChatPPM", "1.25"},
                                      {"ShowPhoneChatNumber", "true"}});
  EXPECT_TRUE(user.offers_phonechat);
  EXPECT_EQ(user.phonechat_ppm, Credits{5'000});
  EXPECT_TRUE(user.offer_direct_chat);
  EXPECT_TRUE(user.direct_chat_only);
  EXPECT_EQ(user.direct_chat_ppm, Credits{12'500});
  EXPECT_TRUE(user.show_phonechat_number);
}

TEST(RecordDecoding, NullSettingsMeanTheirDefaults) {
  const UserRecord user = DecodeUser({{"OffersPhoneChat", "null"},
                                      {"PhoneChatPPM", "null"},
                                      {"OfferDirectChat", "null"},
                                      {"DirectChatOnly", "null"},
                                      {"DirectChatPPM", "null"},
                                      {"ShowPhoneChatNumber", "null"}});
  EXPECT_FALSE(user.offers_phonechat || user.offer_direct_chat || user.direct_chat_only || user.show_phonechat_number);
  EXPECT_FALSE(user.phonechat_ppm || user.direct_chat_ppm);
}

TEST(RecordDecoding, APricePerMinuteIsFromOneHundredthToOneHundred) {
  EXPECT_EQ(DecodeUser({{"PhoneChatPPM", "0.01"}}).phonechat_ppm, Credits{100});
  EXPECT_EQ(DecodeUser({{"PhoneChatPPM", "\"100.0000\""}}).phonechat_ppm, Credits{1'000'000});
  EXPECT_EQ(UserRefusal({{"PhoneChatPPM", "\"0.0099\""}}), "User.PhoneChatPPM must be from 0.01 to 100");
  EXPECT_EQ(UserRefusal({{"PhoneChatPPM", "100.0001"}}), "User.PhoneChatPPM must be from 0.01 to 100");
  EXPECT_EQ(UserRefusal({{"PhoneChatPPM", "0"}}), "User.PhoneChatPPM must be from 0.01 to 100");
  EXPECT_NE(UserRefusal({{"PhoneChatPPM", "\"-1\""}}).find("User.PhoneChatPPM \"-1\" must be a decimal number"),
            std::string::npos);
  EXPECT_NE(UserRefusal({{"PhoneChatPPM", "0.00001"}}).find("has more than 4 fraction digits"), std::string::npos);
  EXPECT_EQ(UserRefusal({{"PhoneChatPPM", "true"}}), "User.PhoneChatPPM must be a decimal number or a decimal string");
  EXPECT_EQ(UserRefusal({{"OfferDirectChat", "true"}, {"DirectChatPPM", "101"}}),
            "User.DirectChatPPM must be from 0.01 to 100");
}

TEST(RecordDecoding, DirectChatNeedsItsPriceAndItsSettingsCountOnlyWhileOffered) {
  EXPECT_EQ(UserRefusal({{"OfferDirectChat", "true"}}), "User.DirectChatPPM is required when OfferDirectChat is true");
  EXPECT_EQ(UserRefusal({{"OfferDirectChat", "true"}, {"DirectChatPPM", "null"}}),
            "User.DirectChatPPM is required when OfferDirectChat is true");
  const UserRecord ignored = DecodeUser({{"DirectChatOnly", "true"}, {"DirectChatPPM", "2"}});
  EXPECT_FALSE(ignored.offer_direct_chat);
  EXPECT_FALSE(ignored.direct_chat_only);
  EXPECT_FALSE(ignored.direct_chat_ppm.has_value());
}

TEST(RecordDecoding, TheUsersNewFlagsMustBeBooleans) {
  for (const char* field : {"OffersPhoneChat", "OfferDirectChat", "DirectChatOnly", "ShowPhoneChatNumber"}) {
    EXPECT_EQ(UserRefusal({{field, "1"}}), std::string("User.") + field + " must be true or false");
  }
  EXPECT_EQ(UserRefusal({{"OffersPhonechat", "true"}}),
            "User.OffersPhonechat is not a field of User (check its spelling)");
}

TEST(RecordDecoding, ABookingWithoutTheNewFieldsKeepsItsMeaning) {
  const auto record = std::get<BookingRecord>(Decode(BookingLine()));
  const StoredBooking& b = record.booking;
  EXPECT_EQ(b.offered_credits, b.credits);
  EXPECT_EQ(b.offered_credits, Credits{80'000});
  EXPECT_FALSE(b.deleted_by_candidate);
  EXPECT_FALSE(record.deleted_by_client);
  EXPECT_FALSE(b.rejection_kind.has_value());
  EXPECT_FALSE(b.rescheduled_from.has_value());
}

TEST(RecordDecoding, TheBookingsNewFieldsAreRead) {
  const StoredBooking b = DecodeBooking({{"Credits", "\"8\""},
                                         {"OfferedCredits", "\"7.5\""},
                                         {"DeletedByCandidate", "true"},
                                         {"BookingID", "4"},
                                         {"RescheduledFromBookingID", "3"}});
  EXPECT_EQ(b.credits, Credits{80'000});
  EXPECT_EQ(b.offered_credits, Credits{75'000});
  EXPECT_TRUE(b.deleted_by_candidate);
  EXPECT_EQ(b.rescheduled_from, 3);
}

TEST(RecordDecoding, TheBookingsNewFieldsAreChecked) {
  EXPECT_NE(
      Refusal(BookingLine({{"OfferedCredits", "\"-1\""}})).find("Booking.OfferedCredits \"-1\" must be a decimal"),
      std::string::npos);
  EXPECT_EQ(Refusal(BookingLine({{"OfferedCredits", "[]"}})),
            "Booking.OfferedCredits must be a decimal number or a decimal string");
  EXPECT_EQ(Refusal(BookingLine({{"DeletedByCandidate", "\"yes\""}})),
            "Booking.DeletedByCandidate must be true or false");
  EXPECT_EQ(Refusal(BookingLine({{"RescheduledFromBookingID", "0"}})),
            "Booking.RescheduledFromBookingID must be an integer from 1 to 2147483647");
  EXPECT_EQ(Refusal(BookingLine({{"RescheduledFromBookingID", "1"}})),
            "Booking.RescheduledFromBookingID must differ from BookingID");
}

TEST(RecordDecoding, ARejectedBookingsKindFollowsItsReasonUnlessGiven) {
  const std::vector<RawField> rejected{{"Status", "\"Rejected\""}, {"AcceptedDate", "null"}, {"ConfirmedDate", "null"}};
  auto with = [&](std::vector<RawField> more) {
    std::vector<RawField> fields = rejected;
    fields.insert(fields.end(), more.begin(), more.end());
    return DecodeBooking(fields).rejection_kind;
  };
  EXPECT_EQ(with({{"RejectedReason", "\"The booking was not accepted in time.\""}}), RejectionKind::kLapsed);
  EXPECT_EQ(with({{"RejectedReason", "\"the booking was not accepted in time.\""}}), RejectionKind::kCandidate);
  EXPECT_EQ(with({{"RejectedReason", "\"Fully booked.\""}}), RejectionKind::kCandidate);
  EXPECT_EQ(with({}), RejectionKind::kCandidate);
  EXPECT_EQ(with({{"RejectionKind", "\"ReInvited\""}}), RejectionKind::kReInvited);
  EXPECT_EQ(with({{"RejectionKind", "\"Lapsed\""}, {"RejectedReason", "\"Other\""}}), RejectionKind::kLapsed);
  EXPECT_EQ(with({{"RejectionKind", "\"Candidate\""}, {"RejectedReason", "\"The booking was not accepted in time.\""}}),
            RejectionKind::kCandidate);
}

TEST(RecordDecoding, ARejectionKindNeedsARejectedBookingAndAKnownName) {
  EXPECT_EQ(Refusal(BookingLine({{"RejectionKind", "\"Lapsed\""}})),
            "Booking.RejectionKind must be null unless Status is Rejected");
  EXPECT_EQ(Refusal(BookingLine({{"Status", "\"Rejected\""}, {"RejectionKind", "\"lapsed\""}})),
            "Booking.RejectionKind must be Candidate, Lapsed or ReInvited");
  EXPECT_EQ(Refusal(BookingLine({{"Status", "\"Rejected\""}, {"RejectionKind", "2"}})),
            "Booking.RejectionKind must be Candidate, Lapsed or ReInvited");
}

TEST(RecordDecoding, AConfirmedBookingIsSettledOnceItsSessionIsOverAtTheImport) {
  // The sample's session: 2018-01-22T21:30 for 15 minutes, so over at 21:45.
  EXPECT_TRUE(DecodeBooking({}, At("2018-01-22T21:45:00")).settled);
  EXPECT_FALSE(DecodeBooking({}, At("2018-01-22T21:44:59.999")).settled);
  EXPECT_FALSE(DecodeBooking({}, At("2018-01-21T14:00:00")).settled);
  EXPECT_TRUE(DecodeBooking({{"Duration", "1440"}}, At("2018-01-23T21:30:00")).settled);
  EXPECT_FALSE(DecodeBooking({{"Duration", "1440"}}, At("2018-01-23T21:29:00")).settled);
  // Only a Confirmed booking is ever settled.
  EXPECT_FALSE(DecodeBooking({{"Status", "\"Accepted\""}, {"ConfirmedDate", "null"}}).settled);
  EXPECT_FALSE(DecodeBooking({{"Status", "\"Pending\""}, {"AcceptedDate", "null"}, {"ConfirmedDate", "null"}}).settled);
}

TEST(RecordDecoding, ACreditRecordIsRead) {
  const auto credit = std::get<CreditRecord>(Decode(CreditLine()));
  EXPECT_EQ(credit.user_id, 555);
  EXPECT_EQ(credit.amount, Credits{2'500'000});
  EXPECT_EQ(FormatLocalDateTime(credit.date), "2018-01-01T10:00:00");
  EXPECT_EQ(credit.description, "Purchase");
  EXPECT_EQ(std::get<CreditRecord>(Decode(CreditLine({{"Amount", "0.0001"}}))).amount, Credits{1});
  EXPECT_EQ(std::get<CreditRecord>(Decode(CreditLine({{"Amount", "12.50"}}))).amount, Credits{125'000});
}

TEST(RecordDecoding, ACreditRecordsFieldsAreChecked) {
  EXPECT_EQ(Refusal(CreditLine({{"UserID", "0"}})), "Credit.UserID must be an integer from 1 to 2147483647");
  EXPECT_EQ(Refusal(CreditLine({{"UserID", kRemove}})), "Credit.UserID is required");
  EXPECT_EQ(Refusal(CreditLine({{"Amount", kRemove}})), "Credit.Amount is required");
  EXPECT_EQ(Refusal(CreditLine({{"Amount", "0"}})), "Credit.Amount must be more than 0");
  EXPECT_EQ(Refusal(CreditLine({{"Amount", "\"0.0000\""}})), "Credit.Amount must be more than 0");
  EXPECT_NE(Refusal(CreditLine({{"Amount", "\"1.00001\""}})).find("Credit.Amount \"1.00001\" has more than 4 fraction"),
            std::string::npos);
  EXPECT_NE(Refusal(CreditLine({{"Amount", "-5"}})).find("Credit.Amount \"-5\" must be a decimal number"),
            std::string::npos);
  EXPECT_NE(Refusal(CreditLine({{"Amount", "1e3"}})).find("must be a decimal number"), std::string::npos);
  EXPECT_NE(Refusal(CreditLine({{"Amount", "\"1000000000000\""}})).find("Credit.Amount"), std::string::npos);
  EXPECT_NE(Refusal(CreditLine({{"Amount", "\"1000000000000\""}})).find("too large"), std::string::npos);
  EXPECT_EQ(Refusal(CreditLine({{"Date", kRemove}})), "Credit.Date is required");
  EXPECT_NE(Refusal(CreditLine({{"Date", "\"2018-02-30T10:00:00\""}})).find("Credit.Date must be a date"),
            std::string::npos);
  EXPECT_EQ(Refusal(CreditLine({{"Description", kRemove}})), "Credit.Description is required");
  EXPECT_EQ(Refusal(CreditLine({{"Description", "\"\""}})), "Credit.Description must be 1 to 200 characters long");
  EXPECT_EQ(Refusal(CreditLine({{"Description", Quote(std::string(201, 'd'))}})),
            "Credit.Description must be 1 to 200 characters long");
  // Characters, not bytes: 200 two-byte characters are allowed.
  std::string accented;
  for (int i = 0; i < 200; ++i) accented += "\xC3\xA9";
  EXPECT_EQ(std::get<CreditRecord>(Decode(CreditLine({{"Description", Quote(accented)}}))).description, accented);
  EXPECT_EQ(Refusal(CreditLine({{"BookingID", "1"}})),
            "Credit.BookingID is not a field of Credit (check its spelling)");
}

TEST(RecordDecoding, AnUnknownKindNamesCreditAmongTheKinds) {
  EXPECT_EQ(Refusal(R"({"Kind":"Payment"})"), "Kind \"Payment\" is unknown: User, Group, Project, Booking or Credit");
  EXPECT_EQ(Refusal(R"({"UserID":1})"), "Kind is required: User, Group, Project, Booking or Credit");
}

BookingRecord DecodeBookingRecord(const std::vector<RawField>& changes) {
  return std::get<BookingRecord>(Decode(BookingLine(changes)));
}

std::string BookingRefusal(const std::vector<RawField>& changes) { return Refusal(BookingLine(changes)); }

TEST(RecordDecoding, AHashAsExportWritesItIsStoredAsItIsAndAnythingElseIsRefused) {
  const std::string hash = HashPassword("pw");
  EXPECT_EQ(DecodeUser({{"PasswordHash", Quote(hash)}}).password_hash, hash);
  EXPECT_TRUE(VerifyPassword(*DecodeUser({{"Password", "\"pw\""}}).password_hash, "pw"));
  const std::string not_a_hash = "User.PasswordHash must be an Argon2id hash as export writes it ($argon2id$v=19$...)";
  EXPECT_EQ(UserRefusal({{"PasswordHash", "\"pw\""}}), not_a_hash);
  EXPECT_EQ(UserRefusal({{"PasswordHash", Quote(hash.substr(0, hash.size() - 5))}}), not_a_hash);
  EXPECT_EQ(UserRefusal({{"PasswordHash", Quote("$argon2i$" + hash.substr(10))}}), not_a_hash);
  EXPECT_EQ(UserRefusal({{"Password", "\"pw\""}, {"PasswordHash", Quote(hash)}}),
            "User.PasswordHash must be null when the secret is given in clear (one of the two)");
  const auto project = std::get<ProjectRecord>(
      Decode(R"({"Kind":"Project","Name":"A","OwnerUserID":1,"ApiKey":"k","ClientID":"c","ClientSecretHash":")" + hash +
             "\"}"));
  EXPECT_EQ(project.client_secret_hash, hash);
}

TEST(RecordDecoding, ABookingThatGivesItsLedgerIsSettledAsItsMovementsSayWhateverNow) {
  const auto paid = DecodeBookingRecord({{"PaymentFrom", "\"Client\""}, {"PaymentDate", "\"2018-01-21T13:24:05.987\""}});
  ASSERT_TRUE(paid.ledger && paid.ledger->payment);
  EXPECT_EQ(paid.ledger->payment->from, PaymentSource::kClient);
  EXPECT_FALSE(paid.booking.settled) << "paid, not earned: escrow holds it even though the session is long over";
  const auto earned = DecodeBookingRecord({{"PaymentFrom", "\"External\""},
                                           {"PaymentDate", "\"2018-01-21T13:24:05.987\""},
                                           {"EarningDate", "\"2018-01-22T21:45:00\""}});
  EXPECT_TRUE(earned.booking.settled);
  EXPECT_EQ(earned.ledger->earning_date, At("2018-01-22T21:45:00"));
  const auto settled = DecodeBookingRecord({{"Settled", "true"}});
  EXPECT_TRUE(settled.booking.settled);
  EXPECT_EQ(settled.ledger, BookingLedger{});
  EXPECT_FALSE(DecodeBookingRecord({}).ledger) << "without the fields the import decides";
  const auto free = DecodeBookingRecord({{"Credits", "0"}, {"Settled", "false"}});
  EXPECT_FALSE(free.booking.settled) << "a booking of 0 credits is held in escrow by nothing";
}

TEST(RecordDecoding, ABookingsLedgerFieldsAreCheckedAgainstEachOtherAndItsStatus) {
  const RawField pay_from{"PaymentFrom", "\"Client\""};
  const RawField pay_date{"PaymentDate", "\"2018-01-21T13:24:05.987\""};
  EXPECT_EQ(BookingRefusal({pay_from}), "Booking.PaymentDate is required when PaymentFrom is given");
  EXPECT_EQ(BookingRefusal({pay_date}), "Booking.PaymentFrom is required when PaymentDate is given");
  EXPECT_EQ(BookingRefusal({{"PaymentFrom", "\"Bank\""}, pay_date}), "Booking.PaymentFrom must be Client or External");
  EXPECT_EQ(BookingRefusal({{"EarningDate", "\"2018-01-22T21:45:00\""}}),
            "Booking.EarningDate needs PaymentDate (credits are refunded or earned only once paid)");
  EXPECT_EQ(BookingRefusal({pay_from, pay_date, {"EarningDate", "\"2018-01-21T13:24:05\""}}),
            "Booking.EarningDate must not be before PaymentDate");
  EXPECT_EQ(BookingRefusal({pay_from, pay_date, {"RefundDate", "\"2018-01-22T00:00:00\""}}),
            "Booking.RefundDate must be null unless Status is Cancelled");
  EXPECT_EQ(BookingRefusal({{"Settled", "false"}}),
            "Booking.PaymentDate is required when a Confirmed booking is not Settled (escrow holds its credits)");
  EXPECT_EQ(BookingRefusal({pay_from, pay_date, {"Settled", "true"}}),
            "Booking.EarningDate is required when a Confirmed booking with a Payment is Settled");
  EXPECT_EQ(BookingRefusal({{"Settled", "\"yes\""}}), "Booking.Settled must be true or false");
  EXPECT_EQ(BookingRefusal({{"Credits", "0"}, pay_from, pay_date}),
            "Booking.PaymentDate must be null when Credits is 0 (nothing is paid)");
  const std::vector<RawField> cancelled{{"Status", "\"Cancelled\""},
                                        {"CancelledDate", "\"2018-01-21T14:00:00\""},
                                        {"CancelledBy", "\"Client\""}};
  auto with = [](std::vector<RawField> fields, const std::vector<RawField>& more) {
    fields.insert(fields.end(), more.begin(), more.end());
    return fields;
  };
  EXPECT_EQ(BookingRefusal(with(cancelled, {pay_from, pay_date})),
            "Booking.RefundDate is required when a Cancelled booking has a Payment (its credits went back)");
  EXPECT_EQ(DecodeBookingRecord(with(cancelled, {pay_from, pay_date, {"RefundDate", "\"2018-01-21T14:00:00\""}}))
                .ledger->refund_date,
            At("2018-01-21T14:00:00"));
  EXPECT_EQ(BookingRefusal({{"Status", "\"Pending\""}, {"AcceptedDate", "null"}, {"ConfirmedDate", "null"}, pay_from,
                            pay_date}),
            "Booking.PaymentDate must be null unless Status is Confirmed or Cancelled");
}

}  // namespace
}  // namespace phonechat::testing
