// The import's rules above every backend (storage/write_batch_rules.hpp) for the life cycle's records: a Credit's
// user, amount and description, a rescheduled booking's source, and the replacement of a booking whose credits have
// moved, over a BatchWriter held in memory.
#include "storage/write_batch_rules.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace phonechat {
namespace {

// What the fake writer was asked to store, shared with the test after the batch owns the writer.
struct Written {
  std::set<UserId> users;
  std::map<BookingId, StoredBooking> bookings;
  std::vector<CreditRecord> credits;
  std::map<BookingId, MovedBooking> moved;  // what the ledger held before the batch
  int moved_lookups = 0;
  bool committed = false;
};

// A BatchWriter over maps: enough for the rules, which only look up and write.
class MemoryWriter final : public BatchWriter {
 public:
  explicit MemoryWriter(Written& written) : written_(written) {}

  bool UserExists(UserId user_id) override { return written_.users.count(user_id) != 0; }
  bool GroupExists(GroupId /*group_id*/) override { return false; }
  std::optional<GroupId> GroupOf(UserId /*user_id*/) override { return std::nullopt; }
  bool ProjectExists(std::string_view /*client_id*/) override { return false; }
  std::optional<std::string> ClientIdOfApiKey(std::string_view /*api_key*/) override { return std::nullopt; }
  void WriteUser(const UserRecord& user) override { written_.users.insert(user.user_id); }
  void WriteGroup(const GroupRecord& /*group*/, bool /*exists*/) override {}
  void WriteProject(const ProjectRecord& /*project*/) override {}
  BookingWrite WriteBooking(const BookingRecord& booking, bool replace, std::int64_t /*position*/) override {
    if (!replace && written_.bookings.count(booking.booking.booking_id) != 0) return BookingWrite::kIdTaken;
    written_.bookings[booking.booking.booking_id] = booking.booking;
    return BookingWrite::kWritten;
  }
  std::optional<BookingParties> PartiesOf(BookingId booking_id) override {
    const auto found = written_.bookings.find(booking_id);
    if (found == written_.bookings.end()) return std::nullopt;
    return BookingParties{found->second.client_user_id, found->second.candidate.user_id, found->second.create_date};
  }
  std::optional<BookingId> RescheduledInto(BookingId source, BookingId except) override {
    for (const auto& [id, booking] : written_.bookings) {
      if (id != except && booking.rescheduled_from == source) return id;
    }
    return std::nullopt;
  }
  std::optional<MovedBooking> MovedBookingOf(BookingId booking_id) override {
    ++written_.moved_lookups;
    const auto found = written_.moved.find(booking_id);
    if (found == written_.moved.end()) return std::nullopt;
    return found->second;
  }
  void WriteCredit(const CreditRecord& credit) override { written_.credits.push_back(credit); }
  std::optional<TakenBookingId> CheckBookingIds() override { return std::nullopt; }
  void Commit() override { written_.committed = true; }

 private:
  Written& written_;
};

class WriteBatchRules : public ::testing::Test {
 protected:
  WriteBatchRules() : batch_(WithWriteRules(std::make_unique<MemoryWriter>(written_))) {
    for (const UserId id : {1, 2, 3}) {
      UserRecord user;
      user.user_id = id;
      user.nickname = "U" + std::to_string(id);
      EXPECT_EQ(batch_->PutUser(user, false), "");
    }
  }

  // A booking of client 1 with candidate 2 created at `create` minutes, rescheduled from `from` if given.
  static BookingRecord Booking(BookingId id, std::optional<BookingId> from = std::nullopt, std::int64_t create = 10,
                               UserId client = 1, UserId candidate = 2) {
    BookingRecord record;
    record.booking.booking_id = id;
    record.booking.client_user_id = client;
    record.booking.candidate.user_id = candidate;
    record.booking.create_date = LocalDateTime{create * 60'000};
    record.booking.rescheduled_from = from;
    return record;
  }

  static CreditRecord Credit(UserId user, std::int64_t ten_thousandths = 10'000) {
    return CreditRecord{user, Credits{ten_thousandths}, LocalDateTime{0}, "Purchase"};
  }

  Written written_;
  std::unique_ptr<WriteBatch> batch_;
};

TEST_F(WriteBatchRules, ACreditOfAKnownUserIsWritten) {
  EXPECT_EQ(batch_->PutCredit(Credit(2, 2'500'000)), "");
  EXPECT_EQ(batch_->PutCredit(Credit(2, 1)), "");
  ASSERT_EQ(written_.credits.size(), 2u);
  EXPECT_EQ(written_.credits[0].amount, Credits{2'500'000});
  batch_->Commit();
  EXPECT_TRUE(written_.committed);
}

TEST_F(WriteBatchRules, ACreditOfAnUnknownUserIsRefusedAndNothingCommits) {
  EXPECT_EQ(batch_->PutCredit(Credit(7)), "Credit.UserID 7 is not a known user");
  EXPECT_TRUE(written_.credits.empty());
}

TEST_F(WriteBatchRules, ABookingMayBeRescheduledFromAnEarlierOneOfTheSameParties) {
  EXPECT_EQ(batch_->PutBooking(Booking(1), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 20), false), "");
  EXPECT_EQ(written_.bookings.at(2).rescheduled_from, 1);
  // The same booking again with --replace keeps its source.
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 20), true), "");
  // Created at the same instant as its source is allowed.
  EXPECT_EQ(batch_->PutBooking(Booking(3, 2, 20), false), "");
}

TEST_F(WriteBatchRules, ARescheduleSourceMustExistBeOfTheSamePartiesAndEarlier) {
  EXPECT_EQ(batch_->PutBooking(Booking(1), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 9), false), "Booking.RescheduledFromBookingID 9 is not a known booking");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 20, 3, 2), false),
            "Booking.RescheduledFromBookingID 1 must name a booking of the same client and candidate");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 20, 1, 3), false),
            "Booking.RescheduledFromBookingID 1 must name a booking of the same client and candidate");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 9), false),
            "Booking.RescheduledFromBookingID 1 must name a booking created before this one");
  EXPECT_EQ(written_.bookings.size(), 1u) << "a refused booking is not written";
}

TEST_F(WriteBatchRules, ABookingIsRescheduledAtMostOnce) {
  EXPECT_EQ(batch_->PutBooking(Booking(1), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 20), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(3, 1, 30), false),
            "Booking.RescheduledFromBookingID 1 was already rescheduled, as booking 2 (a booking is rescheduled at "
            "most once)");
}

// Booking 5 of client 1 with candidate 2 for 8 credits, whose Payment (and `refunded` or `earned`) the ledger holds.
MovedBooking Moved(bool refunded = false, bool earned = false) {
  return MovedBooking{1, 2, Credits{80'000}, refunded, earned};
}

// A replacement of booking 5 with the ledger effect of Moved(): Confirmed, client 1, candidate 2, 8 credits.
BookingRecord SameEffect(BookingStatus status = BookingStatus::kConfirmed, bool settled = false) {
  BookingRecord record;
  record.booking.booking_id = 5;
  record.booking.client_user_id = 1;
  record.booking.candidate.user_id = 2;
  record.booking.credits = Credits{80'000};
  record.booking.status = status;
  record.booking.settled = settled;
  record.booking.comments = "moved to the evening";
  return record;
}

TEST_F(WriteBatchRules, ABookingWhoseCreditsMovedIsReplacedWhenItsLedgerEffectStays) {
  written_.moved[5] = Moved();
  EXPECT_EQ(batch_->PutBooking(SameEffect(), true), "");
  EXPECT_EQ(written_.bookings.at(5).comments, "moved to the evening") << "every other field is replaced";
  written_.moved[5] = Moved(true);
  EXPECT_EQ(batch_->PutBooking(SameEffect(BookingStatus::kCancelled), true), "");
  EXPECT_EQ(written_.bookings.at(5).status, BookingStatus::kCancelled);
}

TEST_F(WriteBatchRules, ABookingWhoseCreditsMovedIsNotReplacedByOneThatChangesItsLedgerEffect) {
  written_.moved[5] = Moved();
  const std::string why = " (a booking whose credits have moved keeps its client, candidate, Credits and status)";
  auto other_client = SameEffect();
  other_client.booking.client_user_id = 3;
  EXPECT_EQ(batch_->PutBooking(other_client, true),
            "Booking 5 cannot be replaced: its credits are held in escrow and the ledger keeps that movement, but the "
            "record changes ClientUserID from 1 to 3" +
                why);
  auto other_candidate = SameEffect();
  other_candidate.booking.candidate.user_id = 3;
  EXPECT_EQ(batch_->PutBooking(other_candidate, true),
            "Booking 5 cannot be replaced: its credits are held in escrow and the ledger keeps that movement, but the "
            "record changes CandidateUserID from 2 to 3" +
                why);
  auto other_credits = SameEffect();
  other_credits.booking.credits = Credits{80'001};
  EXPECT_EQ(batch_->PutBooking(other_credits, true),
            "Booking 5 cannot be replaced: its credits are held in escrow and the ledger keeps that movement, but the "
            "record changes Credits from 8 to 8.0001" +
                why);
  EXPECT_EQ(batch_->PutBooking(SameEffect(BookingStatus::kPending), true),
            "Booking 5 cannot be replaced: its credits are held in escrow and the ledger keeps that movement, but the "
            "record changes Status from Confirmed to Pending" +
                why);
  written_.moved[5] = Moved(false, true);
  EXPECT_EQ(batch_->PutBooking(SameEffect(BookingStatus::kCancelled), true),
            "Booking 5 cannot be replaced: its credits were paid to the candidate and the ledger keeps that movement, "
            "but the record changes Status from Confirmed to Cancelled" +
                why);
  written_.moved[5] = Moved(true);
  EXPECT_EQ(batch_->PutBooking(SameEffect(), true),
            "Booking 5 cannot be replaced: its credits were refunded to the client and the ledger keeps that "
            "movement, but the record changes Status from Cancelled to Confirmed" +
                why);
  EXPECT_TRUE(written_.bookings.empty()) << "a refused booking is not written";
}

TEST_F(WriteBatchRules, TheLedgerDecidesWhetherAReplacedConfirmedBookingIsSettled) {
  // Its session is over at the import's now, but escrow still holds its credits: the sweeper pays it later.
  written_.moved[5] = Moved();
  EXPECT_EQ(batch_->PutBooking(SameEffect(BookingStatus::kConfirmed, true), true), "");
  EXPECT_FALSE(written_.bookings.at(5).settled);
  // Its session was moved into the future, but its Earning is paid: it stays settled.
  written_.moved[5] = Moved(false, true);
  EXPECT_EQ(batch_->PutBooking(SameEffect(BookingStatus::kConfirmed, false), true), "");
  EXPECT_TRUE(written_.bookings.at(5).settled);
}

TEST_F(WriteBatchRules, ABookingWithoutMovementsIsReplacedFreelyAndOnlyReplaceLooksAtTheLedger) {
  EXPECT_EQ(batch_->PutBooking(SameEffect(), false), "");
  EXPECT_EQ(written_.moved_lookups, 0);
  auto other = SameEffect(BookingStatus::kPending);
  other.booking.client_user_id = 3;
  other.booking.credits = Credits{1};
  EXPECT_EQ(batch_->PutBooking(other, true), "");
  EXPECT_EQ(written_.moved_lookups, 1);
  EXPECT_EQ(written_.bookings.at(5).client_user_id, 3);
}

TEST(CreditRules, AnAmountIsPositiveExactAndBounded) {
  EXPECT_EQ(*ParseCreditAmount("250"), Credits{2'500'000});
  EXPECT_EQ(*ParseCreditAmount("0.0001"), Credits{1});
  EXPECT_EQ(*ParseCreditAmount("99999999999.9999"), Credits{kMaxCreditsTenThousandths});
  EXPECT_EQ(ParseCreditAmount("0").error(), "must be more than 0");
  EXPECT_EQ(ParseCreditAmount("0.00").error(), "must be more than 0");
  EXPECT_EQ(ParseCreditAmount("1.00001").error(),
            "\"1.00001\" has more than 4 fraction digits (plain digits with at most 4 fraction digits, no sign, no "
            "exponent)");
  EXPECT_EQ(ParseCreditAmount("-1").error(),
            "\"-1\" must be a decimal number (plain digits with at most 4 fraction digits, no sign, no exponent)");
  EXPECT_FALSE(ParseCreditAmount("").has_value());
  EXPECT_FALSE(ParseCreditAmount("1e3").has_value());
  EXPECT_FALSE(ParseCreditAmount("100000000000").has_value());
}

TEST(CreditRules, ADescriptionIsOneToTwoHundredCharacters) {
  EXPECT_EQ(CreditDescriptionError("Purchase"), "");
  EXPECT_EQ(CreditDescriptionError(std::string(200, 'd')), "");
  EXPECT_EQ(CreditDescriptionError(""), "must be 1 to 200 characters long");
  EXPECT_EQ(CreditDescriptionError(std::string(201, 'd')), "must be 1 to 200 characters long");
  std::string accented;
  for (int i = 0; i < 200; ++i) accented += "\xC3\xA9";
  EXPECT_EQ(CreditDescriptionError(accented), "");
}

}  // namespace
}  // namespace phonechat
