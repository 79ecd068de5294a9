// Imports of thousands of lines: the bulk load into an empty SQLite database (its list indexes built once, at the
// end), and line numbers and store failures reported from deep inside a file read ahead of the store.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "domain/made_bookings_query.hpp"
#include "importer/importer.hpp"
#include "importer_test_support.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat::testing {
namespace {

// More bookings than a bulk load into an empty database needs before it builds its indexes at the end.
constexpr int kBulkBookings = 12'000;

// Clients 1 and 3, candidates 2 ("bob") and 4 ("alice"): four lines.
std::string Users() {
  return UserLine(1, "Client") + "\n" + UserLine(2, "bob") + "\n" + UserLine(3, "Carol") + "\n" + UserLine(4, "alice") +
         "\n";
}

std::string Date(int day, int hour, int minute) {
  char text[32];
  std::snprintf(text, sizeof text, "\"2018-01-%02dT%02d:%02d:00\"", day, hour, minute);
  return text;
}

// A booking whose client, candidate, dates and deletion vary with its ID, so that every order and filter of the
// list differs from the others.
std::string VariedBooking(int id) {
  return BookingLine({{"BookingID", std::to_string(id)},
                      {"ClientUserID", id % 3 == 0 ? "3" : "1"},
                      {"CandidateUserID", id % 2 == 0 ? "2" : "4"},
                      {"CreateDate", Date(1 + id % 19, id % 24, id % 60)},
                      {"SessionDate", Date(22 + id % 7, (id / 7) % 24, 30)},
                      {"DeletedByClient", id % 11 == 0 ? "true" : "false"}});
}

// `count` varied bookings from BookingID `first` on, one per line.
std::string VariedBookings(int first, int count) {
  std::string text;
  for (int id = first; id < first + count; ++id) text += VariedBooking(id) + "\n";
  return text;
}

// Every index of the bookings table, as its name and definition.
const std::string kBookingIndexes =
    "SELECT name || ': ' || sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'bookings' ORDER BY name";

// A client's whole list in every order, with and without a StartDate, as booking IDs and candidate nicknames.
std::vector<std::string> Lists(Store& store, UserId client) {
  auto session = store.OpenSession();
  std::vector<std::string> lists;
  for (const auto& [name, order] : kBookingOrderNames) {
    for (const bool with_start : {false, true}) {
      MadeBookingsQuery query;
      query.client_user_id = client;
      query.order = order;
      if (with_start) query.created_from = LocalDateTime{ParseLocalDay("2018-01-10")->millis};
      std::string list(name);
      list += with_start ? " from 2018-01-10: total " : ": total ";
      list += std::to_string(session->CountMadeBookings(client, query.created_from));
      for (const auto& booking : session->MadeBookingsPage(query, 0, 1'000'000)) {
        list += ' ';
        list += std::to_string(booking.booking_id);
        list += '/';
        list += booking.candidate.nickname;
      }
      lists.push_back(std::move(list));
    }
  }
  return lists;
}

TEST(BulkImport, IntoAnEmptyDatabaseAnswersEveryListLikeARowByRowImportWithTheSameIndexes) {
  const std::string bookings = VariedBookings(1, kBulkBookings);
  TempStore bulk;
  bulk.Import(Users() + bookings);
  // A booking already stored makes the same import go row by row.
  TempStore rows;
  rows.Import(Users() + BookingLine({{"BookingID", "999999"}, {"ClientUserID", "4"}}) + "\n");
  rows.Import(bookings);
  TempStore fresh;

  EXPECT_EQ(bulk.Query(kBookingIndexes), fresh.Query(kBookingIndexes));
  EXPECT_EQ(bulk.Query("SELECT count(*) FROM bookings"), std::vector<std::string>{std::to_string(kBulkBookings)});
  for (const UserId client : {1, 3}) {
    const auto lists = Lists(bulk.Get(), client);
    EXPECT_EQ(lists, Lists(rows.Get(), client)) << "client " << client;
    EXPECT_NE(lists.front(), lists.back()) << "the orders must differ for the comparison to mean anything";
  }
}

TEST(BulkImport, ARepeatedBookingIdIsRefusedAtItsLineAndLeavesTheDatabaseAsItWas) {
  TempStore db;
  db.Import(Users());
  const std::string schema = "SELECT name || ': ' || sql FROM sqlite_schema ORDER BY name";
  const auto before = db.Query(schema);
  try {
    db.Import(VariedBookings(1, kBulkBookings) + VariedBooking(5) + "\n" + VariedBookings(kBulkBookings + 1, 10));
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), kBulkBookings + 1);
    EXPECT_NE(std::string(e.what()).find("Booking 5 already exists (use --replace)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db.Query(schema), before);
  EXPECT_EQ(db.Query("SELECT count(*) FROM bookings"), std::vector<std::string>{"0"});
}

TEST(BulkImport, WithReplaceARepeatedBookingIdKeepsTheLastOne) {
  TempStore db;
  const auto counts = db.Import(Users() + VariedBookings(1, kBulkBookings) +
                                    BookingLine({{"BookingID", "5"}, {"Credits", "\"9\""}, {"Duration", "45"}}),
                                true);
  EXPECT_EQ(counts.bookings, kBulkBookings + 1);
  EXPECT_EQ(db.Query("SELECT count(*) FROM bookings"), std::vector<std::string>{std::to_string(kBulkBookings)});
  EXPECT_EQ(db.Query("SELECT json_array(client_user_id, credits, duration_minutes) FROM bookings WHERE booking_id = 5"),
            std::vector<std::string>{"[1,90000,45]"});
  TempStore fresh;
  EXPECT_EQ(db.Query(kBookingIndexes), fresh.Query(kBookingIndexes));
}

TEST(BulkImport, ACandidateRenamedAfterTheirBookingsMovesThemInTheNicknameOrder) {
  TempStore db;
  // Bookings of candidate 4 before the rename and after it, in the same file.
  db.Import(
      Users() + VariedBookings(1, kBulkBookings) + UserLine(4, "Zed") + "\n" + VariedBookings(kBulkBookings + 1, 10),
      true);
  EXPECT_EQ(db.Query("SELECT DISTINCT candidate_nickname_key FROM bookings WHERE candidate_user_id = 4"),
            std::vector<std::string>{"zed"});
  auto session = db.Get().OpenSession();
  MadeBookingsQuery query;
  query.client_user_id = 1;
  query.order = BookingOrder::kNicknameAsc;
  const auto page = session->MadeBookingsPage(query, 0, 1'000'000);
  ASSERT_FALSE(page.empty());
  EXPECT_EQ(page.front().candidate.nickname, "bob");
  EXPECT_EQ(page.back().candidate.nickname, "Zed");
  TempStore fresh;
  EXPECT_EQ(db.Query(kBookingIndexes), fresh.Query(kBookingIndexes));
}

// Users 1 to 4, then `count` bookings with a blank line after every hundredth: the line of booking `id` is
// 4 + id + (id - 1) / 100.
std::string SpacedBookings(int count) {
  std::string text = Users();
  for (int id = 1; id <= count; ++id) {
    text += VariedBooking(id) + "\n";
    if (id % 100 == 0) text += "\n";
  }
  return text;
}

TEST(BulkImport, ABadLineThousandsOfLinesInIsReportedByItsNumber) {
  TempStore db;
  const std::string head = SpacedBookings(3'000);  // ends on a blank line: 4 + 3000 + 30 lines
  const std::string tail = VariedBookings(5'000, 2'000);
  try {
    db.Import(head + BookingLine({{"BookingID", "4000"}, {"Duration", "0"}}) + "\n" + tail);
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), 3'035);
    EXPECT_NE(std::string(e.what()).find("Booking.Duration"), std::string::npos) << e.what();
  }
  try {
    db.Import(head + BookingLine({{"BookingID", "4000"}, {"Comments", Quote(std::string(1 << 20, 'x'))}}) + "\n" +
              tail);
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), 3'035);
    EXPECT_NE(std::string(e.what()).find("longer than 1 MiB"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(db.Get().IsEmpty());
}

// A store that counts the records put into its batch and fails the `fail_at`-th one as `how` says.
class FailingStore final : public Store {
 public:
  enum class How { kRefuse, kUnavailable, kThrow };

  FailingStore(std::int64_t fail_at, How how) : fail_at_(fail_at), how_(how) {}
  std::unique_ptr<StoreSession> OpenSession() override { return nullptr; }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { return std::make_unique<Batch>(*this); }
  void InsertToken(const NewToken& /*token*/) override {}
  bool RevokeToken(std::string_view /*token_hash*/) override { return false; }
  bool IsEmpty() override { return true; }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { throw std::logic_error("not in this test"); }
  LedgerAudit AuditLedger() override { throw std::logic_error("not in this test"); }
  [[nodiscard]] std::int64_t Puts() const { return puts_; }

 private:
  class Batch final : public WriteBatch {
   public:
    explicit Batch(FailingStore& store) : store_(store) {}
    bool UserExists(UserId /*user_id*/) override { return true; }
    std::string PutUser(const UserRecord& /*user*/, bool /*replace*/) override { return Put(); }
    std::string PutGroup(const GroupRecord& /*group*/, bool /*replace*/) override { return Put(); }
    std::string PutProject(const ProjectRecord& /*project*/, bool /*replace*/) override { return Put(); }
    std::string PutBooking(const BookingRecord& /*booking*/, bool /*replace*/) override { return Put(); }
    std::string PutCredit(const CreditRecord& /*credit*/) override { return {}; }
    void Commit() override {}

   private:
    std::string Put() {
      if (++store_.puts_ != store_.fail_at_) return {};
      switch (store_.how_) {
        case How::kRefuse:
          return "refused here";
        case How::kUnavailable:
          throw StoreUnavailable("the disk went away");
        case How::kThrow:
          throw std::runtime_error("the disk is on fire");
      }
      return {};
    }
    FailingStore& store_;
  };

  std::int64_t fail_at_;
  How how_;
  std::int64_t puts_ = 0;
};

TEST(BulkImport, AStoreFailureDeepInAFileStopsTheImportThereAndNothingAfterItIsPut) {
  const std::string text = SpacedBookings(5'000);
  const std::int64_t record = 4 + 2'500;  // booking 2500, on line 4 + 2500 + 24
  for (const auto how : {FailingStore::How::kRefuse, FailingStore::How::kThrow}) {
    FailingStore store(record, how);
    std::istringstream input(text);
    try {
      ImportJsonLines(store, input, false, kImportNow);
      ADD_FAILURE() << "expected ImportError";
    } catch (const ImportError& e) {
      EXPECT_EQ(e.LineNumber(), 2'528);
      const std::string expected = how == FailingStore::How::kRefuse ? "line 2528: refused here"
                                                                     : "cannot store the record: the disk is on fire";
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_EQ(store.Puts(), record);
  }
  FailingStore unavailable(record, FailingStore::How::kUnavailable);
  std::istringstream input(text);
  EXPECT_THROW(ImportJsonLines(unavailable, input, false, kImportNow), StoreUnavailable);
  EXPECT_EQ(unavailable.Puts(), record);
}

}  // namespace
}  // namespace phonechat::testing
