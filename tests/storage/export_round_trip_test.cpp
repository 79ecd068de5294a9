// The export over every backend: what a database holds (records, secrets' hashes, each booking's movements and
// settlement, Credits in ledger order) comes back as stored, and its import into an empty database of the same
// backend exports the same bytes with a ledger that verifies.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "importer/exporter.hpp"
#include "importer/importer.hpp"
#include "storage/lifecycle_store.hpp"
#include "storage/store.hpp"
#include "storage_test_support.hpp"

namespace phonechat::testing {
namespace {

// 2025-01-01T00:00 and a minute, as LocalDateTime::millis.
constexpr std::int64_t kJan2025 = 20'089LL * 86'400'000;
constexpr std::int64_t kMinute = 60'000;

// A file with every kind, a booking of each ledger shape, and a reschedule whose source has a greater ID.
std::string SourceFile() {
  const std::string hash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$" +
                           std::string("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU");
  const std::string dates =
      R"("Method":2,"CreateDate":"2025-01-01T10:00:00","SessionDate":"2025-01-03T10:00:00","AcceptBy":"2025-01-02T10:00:00")";
  const std::string confirmed = R"("AcceptedDate":"2025-01-01T11:00:00","ConfirmedDate":"2025-01-01T12:00:00")";
  return R"({"Kind":"User","UserID":1,"Nickname":"Clara","Password":"secret-1"})" "\n"
         R"({"Kind":"User","UserID":2,"Nickname":"Alice","PasswordHash":")" + hash +
         R"(","OffersPhoneChat":true,"PhoneChatPPM":"1.25","OfferDirectChat":true,"DirectChatPPM":2})" "\n"
         R"({"Kind":"User","UserID":3,"Nickname":"Manny","EmailAddress":"m@example.test"})" "\n"
         R"({"Kind":"Group","GroupID":10,"Name":"Agency","ManagerUserID":3,"MemberUserIDs":[2,1]})" "\n"
         R"({"Kind":"Project","Name":"App","OwnerUserID":3,"ApiKey":"key-1","ClientID":"client-1","ClientSecret":"s3cret","RedirectURIs":["https://app.example/cb"],"ImplicitGrant":true,"Active":false})" "\n"
         R"({"Kind":"Credit","UserID":1,"Amount":"100","Date":"2025-01-01T09:00:00","Description":"Purchase \"one\""})" "\n"
         R"({"Kind":"Booking","BookingID":1,"ClientUserID":1,"CandidateUserID":2,"Duration":15,"Credits":"8.5","Status":"Confirmed",)" +
         dates + "," + confirmed +
         R"(,"Settled":true,"PaymentFrom":"Client","PaymentDate":"2025-01-01T12:00:00","EarningDate":"2025-01-03T10:15:00.5"})" "\n"
         R"({"Kind":"Booking","BookingID":2,"ClientUserID":1,"CandidateUserID":2,"Duration":15,"Credits":"3","Status":"Cancelled",)" +
         dates + "," + confirmed +
         R"(,"CancelledDate":"2025-01-01T13:00:00","CancelledBy":"Client","PaymentFrom":"Client","PaymentDate":"2025-01-01T12:00:00","RefundDate":"2025-01-01T13:00:00"})" "\n"
         R"({"Kind":"Booking","BookingID":3,"ClientUserID":1,"CandidateUserID":2,"Duration":15,"Credits":"4","Status":"Confirmed",)" +
         dates + "," + confirmed + R"(,"PaymentFrom":"External","PaymentDate":"2025-01-01T12:00:00"})" "\n"
         R"({"Kind":"Booking","BookingID":4,"ClientUserID":1,"CandidateUserID":2,"Duration":15,"Credits":"5","Status":"Confirmed",)" +
         dates + "," + confirmed + R"(,"Settled":true})" "\n"
         R"({"Kind":"Booking","BookingID":6,"ClientUserID":1,"CandidateUserID":2,"Duration":15,"Credits":"1","Status":"Pending",)" +
         dates + "}\n" +
         R"({"Kind":"Booking","BookingID":5,"ClientUserID":1,"CandidateUserID":2,"Duration":15,"Credits":"1","Status":"Pending","RescheduledFromBookingID":6,)" +
         dates + "}\n" + R"({"Kind":"Credit","UserID":2,"Amount":"0.0001","Date":"2025-01-04T09:00:00","Description":"Gift"})" "\n";
}

// Records what an export hands over.
struct RecordingSink final : ExportSink {
  std::vector<UserRecord> users;
  std::vector<GroupRecord> groups;
  std::vector<ProjectRecord> projects;
  std::vector<CreditRecord> credits;
  std::vector<BookingRecord> bookings;

  void User(const UserRecord& user) override { users.push_back(user); }
  void Group(const GroupRecord& group) override { groups.push_back(group); }
  void Project(const ProjectRecord& project) override { projects.push_back(project); }
  void Credit(const CreditRecord& credit) override { credits.push_back(credit); }
  void Booking(const BookingRecord& booking) override { bookings.push_back(booking); }
};

class ExportRoundTrip : public ::testing::TestWithParam<Backend> {
 protected:
  // A new database in `dir` (one per directory) holding the import of `text`.
  std::unique_ptr<Store> Imported(const std::string& text, TempDir& dir) {
    auto store = GetParam().open(GetParam().location(dir));
    std::istringstream input(text);
    ImportJsonLines(*store, input, false, LocalDateTime{kJan2025});
    return store;
  }

  static std::string Exported(Store& store) {
    std::ostringstream output;
    ExportJsonLines(store, output);
    return output.str();
  }

  TempDir dir_;
  TempDir second_dir_;
};

TEST_P(ExportRoundTrip, EveryRecordComesBackAsStoredWithEachBookingsMovements) {
  auto store = Imported(SourceFile(), dir_);
  RecordingSink sink;
  store->ExportRecords(sink);

  ASSERT_EQ(sink.users.size(), 3u);
  EXPECT_TRUE(sink.users[0].password_hash && sink.users[0].password_hash->starts_with("$argon2id$"));
  EXPECT_EQ(sink.users[1].phonechat_ppm, Credits{12'500});
  EXPECT_EQ(sink.users[1].direct_chat_ppm, Credits{20'000});
  ASSERT_EQ(sink.groups.size(), 1u);
  EXPECT_EQ(sink.groups[0].member_user_ids, (std::vector<UserId>{1, 2}));
  ASSERT_EQ(sink.projects.size(), 1u);
  EXPECT_FALSE(sink.projects[0].active);
  EXPECT_TRUE(sink.projects[0].implicit_grant);
  EXPECT_EQ(sink.projects[0].redirect_uris, (std::vector<std::string>{"https://app.example/cb"}));
  ASSERT_EQ(sink.credits.size(), 2u);
  EXPECT_EQ(sink.credits[0].description, "Purchase \"one\"");
  EXPECT_EQ(sink.credits[1].amount, Credits{1});

  std::vector<BookingId> order;
  for (const auto& record : sink.bookings) order.push_back(record.booking.booking_id);
  EXPECT_EQ(order, (std::vector<BookingId>{1, 2, 3, 4, 6, 5})) << "a rescheduled booking follows its source";
  const auto ledger = [&](std::size_t i) { return sink.bookings[i].ledger.value(); };
  EXPECT_EQ(ledger(0).payment, (BookingLedger::Payment{PaymentSource::kClient, LocalDateTime{kJan2025 + 720 * kMinute}}));
  EXPECT_EQ(ledger(0).earning_date, LocalDateTime{kJan2025 + 2 * 1440 * kMinute + 615 * kMinute + 500});
  EXPECT_TRUE(sink.bookings[0].booking.settled);
  EXPECT_EQ(ledger(1).refund_date, LocalDateTime{kJan2025 + 780 * kMinute});
  EXPECT_EQ(ledger(2).payment->from, PaymentSource::kExternal);
  EXPECT_FALSE(sink.bookings[2].booking.settled);
  EXPECT_EQ(ledger(3), BookingLedger{});
  EXPECT_TRUE(sink.bookings[3].booking.settled);

  // 100 credited, 8.5 and 3 paid, 3 refunded: 91.5; the candidate earned 8.5 and got 0.0001.
  auto transaction = store->BeginLifecycle();
  EXPECT_EQ(transaction->Balance(1), Credits{915'000});
  EXPECT_EQ(transaction->Balance(2), Credits{85'001});
  EXPECT_EQ(transaction->Balance(kEscrowAccount), Credits{40'000});
}

TEST_P(ExportRoundTrip, AnExportImportedIntoAnEmptyDatabaseExportsTheSameBytesAndItsLedgerVerifies) {
  auto first = Imported(SourceFile(), dir_);
  const std::string exported = Exported(*first);
  EXPECT_EQ(exported.find("secret-1"), std::string::npos) << "only the hash leaves";
  EXPECT_EQ(exported.find("s3cret"), std::string::npos);
  auto second = Imported(exported, second_dir_);
  EXPECT_EQ(Exported(*second), exported);
  const LedgerAudit audit = second->AuditLedger();
  EXPECT_EQ(audit.entries, first->AuditLedger().entries);
  EXPECT_TRUE(audit.mismatched.empty());
  EXPECT_EQ(audit.escrow, audit.unsettled_confirmed);
  EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0);
}

TEST_P(ExportRoundTrip, AnEmptyDatabaseExportsNothing) {
  auto store = GetParam().open(GetParam().location(dir_));
  EXPECT_EQ(Exported(*store), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, ExportRoundTrip, ::testing::ValuesIn(AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace phonechat::testing
