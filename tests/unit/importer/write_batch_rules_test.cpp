// The import's rules above every backend (storage/write_batch_rules.hpp) for the life cycle's records: a Credit's
// user, amount and description, a rescheduled booking's source, the replacement of a booking whose credits have
// moved, and the movements a record gives (what export writes), over a BatchWriter held in memory.
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
  std::map<UserId, Credits> balances;        // the balances before the batch
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
    return BookingParties{found->second.client_user_id, found->second.candidate.user_id, found->second.create_date,
                          found->second.rescheduled_from};
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
  Credits BalanceOf(UserId user_id) override {
    const auto found = written_.balances.find(user_id);
    return found == written_.balances.end() ? Credits{} : found->second;
  }
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

TEST_F(WriteBatchRules, AReplacedBookingCannotCloseALoopOfReschedules) {
  EXPECT_EQ(batch_->PutBooking(Booking(1), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 10), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(3, 2, 10), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(1, 3, 10), true),
            "Booking.RescheduledFromBookingID 3 was itself rescheduled, through earlier bookings, from booking 1 "
            "(reschedules cannot loop)");
  EXPECT_EQ(written_.bookings.at(1).rescheduled_from, std::nullopt);
}

TEST_F(WriteBatchRules, AReplacedSourceKeepsItsRescheduledBookingsPartiesAndIsCreatedNoLaterThanIt) {
  EXPECT_EQ(batch_->PutBooking(Booking(1), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(2, 1, 20), false), "");
  const std::string refused =
      "Booking 1 cannot be replaced so: booking 2 was rescheduled from it, and a source keeps that booking's client "
      "and candidate and is created no later than it";
  EXPECT_EQ(batch_->PutBooking(Booking(1, std::nullopt, 21), true), refused);
  EXPECT_EQ(batch_->PutBooking(Booking(1, std::nullopt, 10, 3, 2), true), refused);
  EXPECT_EQ(batch_->PutBooking(Booking(1, std::nullopt, 20), true), "");
}

// A Confirmed booking of 5 credits whose record gives its movements: a Payment from `from`, and an Earning or none.
BookingRecord GivenLedger(BookingRecord record, PaymentSource from, bool earned) {
  record.booking.status = BookingStatus::kConfirmed;
  record.booking.credits = Credits{50'000};
  record.ledger = BookingLedger{BookingLedger::Payment{from, LocalDateTime{0}}, std::nullopt,
                                earned ? std::optional{LocalDateTime{1}} : std::nullopt};
  return record;
}

TEST_F(WriteBatchRules, ARecordThatGivesItsMovementsReplacesNoBooking) {
  EXPECT_EQ(batch_->PutBooking(Booking(1), false), "");
  EXPECT_EQ(batch_->PutBooking(GivenLedger(Booking(1), PaymentSource::kExternal, false), true),
            "Booking 1 already exists, and a record that gives its ledger (Settled, PaymentFrom, PaymentDate, "
            "RefundDate, EarningDate) cannot replace a booking: import it into a database without that booking");
  EXPECT_EQ(batch_->PutBooking(GivenLedger(Booking(2), PaymentSource::kExternal, false), true), "");
}

TEST_F(WriteBatchRules, AClientPaysWithCreditsHeldBeforeOrGivenAnywhereInTheFile) {
  written_.balances[1] = Credits{20'000};
  EXPECT_EQ(batch_->PutBooking(GivenLedger(Booking(1), PaymentSource::kClient, true), false), "");
  // 2 held + 3 credited later in the file covers the Payment of 5; the candidate's Earning is theirs.
  EXPECT_EQ(batch_->PutCredit(Credit(1, 30'000)), "");
  batch_->Commit();
  EXPECT_TRUE(written_.committed);
}

TEST_F(WriteBatchRules, AClientPaymentTheBalanceCannotCoverRefusesTheBatchAtItsLatestPayment) {
  written_.balances[1] = Credits{20'000};
  EXPECT_EQ(batch_->PutBooking(GivenLedger(Booking(1), PaymentSource::kClient, false), false), "");
  EXPECT_EQ(batch_->PutBooking(GivenLedger(Booking(2, std::nullopt, 11), PaymentSource::kExternal, false), false),
            "");
  EXPECT_EQ(batch_->PutBooking(GivenLedger(Booking(3, std::nullopt, 12), PaymentSource::kClient, false), false),
            "");
  EXPECT_EQ(batch_->PutCredit(Credit(1, 30'000)), "");
  try {
    batch_->Commit();
    FAIL() << "a Payment of 10 from a client who holds 5 was stored";
  } catch (const RecordRejected& rejected) {
    EXPECT_EQ(rejected.Record(), 6) << "three users, then the bookings: the third booking is the sixth record";
    EXPECT_STREQ(rejected.what(),
                 "Booking 3.PaymentFrom Client: the balance of user 1 would end the import at -5 (2 before it, -7 "
                 "moved by the file): a client pays only with credits they hold");
  }
  EXPECT_FALSE(written_.committed);
}

}  // namespace
}  // namespace phonechat
