// MadeBookingsReader (service/made_bookings_reader.hpp): which of the cache, the replica and the primary answers a
// list, a replica used only when it has replayed the list's last change, the fallback from a replica that fails to
// the primary, and what becomes of the replica's failed session.
#include "service/made_bookings_reader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat {
namespace {

using namespace std::chrono_literals;

constexpr UserId kClient = 7;
constexpr std::size_t kCacheBytes = std::size_t{1} << 20;

// What a FakeStore's sessions did, and what they do next.
struct FakeLog {
  int opened = 0;
  int closed = 0;
  int reads = 0;       // CountMadeBookings and MadeBookingsPage calls
  int fail_reads = 0;  // this many reads throw StoreUnavailable, whichever session makes them
  bool fail_open = false;
  std::optional<StoreVersion> version;  // what Version() reports
  std::optional<ListStamp> stamp;       // what ReadListStamp() reports
};

// A session that lists `bookings` (date-descending, none deleted) for kClient.
class FakeSession final : public StoreSession {
 public:
  FakeSession(FakeLog& log, const std::vector<StoredBooking>& bookings) : log_(log), bookings_(bookings) {}
  ~FakeSession() override { ++log_.closed; }
  FakeSession(const FakeSession&) = delete;
  FakeSession& operator=(const FakeSession&) = delete;

  std::optional<TokenRecord> FindToken(std::string_view /*token_hash*/) override { return std::nullopt; }
  std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view /*api_key*/) override { return std::nullopt; }
  bool IsGroupManager(UserId /*user_id*/) override { return false; }
  bool IsMemberOfManagedGroup(UserId /*manager_id*/, UserId /*member_id*/) override { return false; }
  void AppendAudit(const AuditEntry& /*entry*/) override {}
  std::optional<StoredBooking> FindBooking(BookingId /*booking_id*/) override { throw std::logic_error("not in this test"); }
  std::optional<UserWithSettings> FindUser(UserId /*user_id*/) override { throw std::logic_error("not in this test"); }
  std::vector<std::optional<TokenRecord>> FindTokens(const std::vector<std::string_view>& hashes) override {
    std::vector<std::optional<TokenRecord>> records;
    for (const std::string_view hash : hashes) records.push_back(FindToken(hash));
    return records;
  }
  std::optional<ListStamp> ReadListStamp(UserId /*user_id*/) override { return log_.stamp; }
  std::int64_t CountMadeBookings(UserId client, std::optional<LocalDateTime> /*from*/, BookingSide /*side*/) override {
    Read();
    return client == kClient ? static_cast<std::int64_t>(bookings_.size()) : 0;
  }
  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& query, std::int64_t offset,
                                              std::int32_t limit) override {
    Read();
    if (query.client_user_id != kClient || query.order != BookingOrder::kDateDesc) return {};
    std::vector<StoredBooking> page;
    for (auto i = offset; i < offset + limit && i < static_cast<std::int64_t>(bookings_.size()); ++i) {
      page.push_back(bookings_[static_cast<std::size_t>(i)]);
    }
    return page;
  }
  std::optional<StoreVersion> Version() override { return log_.version; }

 private:
  void Read() {
    ++log_.reads;
    if (log_.fail_reads > 0) {
      --log_.fail_reads;
      throw StoreUnavailable("the test database is down");
    }
  }

  FakeLog& log_;
  const std::vector<StoredBooking>& bookings_;
};

class FakeStore final : public Store {
 public:
  explicit FakeStore(std::vector<StoredBooking> bookings) : bookings(std::move(bookings)) {}

  std::unique_ptr<StoreSession> OpenSession() override {
    if (log.fail_open) throw StoreUnavailable("the test database refuses connections");
    ++log.opened;
    return std::make_unique<FakeSession>(log, bookings);
  }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { throw std::logic_error("not in this test"); }
  void InsertToken(const NewToken& /*token*/) override { throw std::logic_error("not in this test"); }
  bool RevokeToken(std::string_view /*token_hash*/) override { return false; }
  bool IsEmpty() override { return bookings.empty(); }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { throw std::logic_error("not in this test"); }
  LedgerAudit AuditLedger() override { throw std::logic_error("not in this test"); }

  std::vector<StoredBooking> bookings;
  FakeLog log;
};

StoredBooking Booking(BookingId id, std::string nickname) {
  StoredBooking booking;
  booking.booking_id = id;
  booking.client_user_id = kClient;
  booking.duration_minutes = 15;
  booking.status = BookingStatus::kConfirmed;
  booking.method = ContactMethod::kClientCalls;
  booking.create_date = LocalDateTime{1'000'000 - id};
  booking.session_date = LocalDateTime{2'000'000 + id};
  booking.accept_by = booking.session_date;
  booking.candidate.user_id = 100 + id;
  booking.candidate.nickname = std::move(nickname);
  return booking;
}

MadeBookingsQuery Query() {
  MadeBookingsQuery query;
  query.client_user_id = kClient;
  query.bookings_per_page = 2;
  return query;
}

const LocalDateTime kNow{1'500'000};

// The answer read straight from `session`, as the reader must write it whichever way it reads.
std::string Expected(StoreSession& session, BodyFormat format = BodyFormat::kJson) {
  std::string body;
  WriteMadeBookings(body, ListMadeBookings(session, Query(), kNow).page, format);
  return body;
}

std::string Read(MadeBookingsReader& reader, StoreSession& primary, BodyFormat format = BodyFormat::kJson,
                 ListSource* source = nullptr) {
  std::string body;
  const ListSource from =
      reader.WritePage(primary, primary.Version(), primary.ReadListStamp(kClient), Query(), kNow, format, body);
  if (source != nullptr) *source = from;
  return body;
}

class MadeBookingsReaderTest : public ::testing::Test {
 protected:
  // The primary and the replica stamp lists; the replica has replayed everything.
  void Stamp(ListStamp stamp) {
    primary_store_.log.stamp = stamp;
    replica_store_.log.stamp = stamp;
  }
  // A change of the list, replayed by the replica: the next read loads it again.
  void Changed() { Stamp(ListStamp{5, primary_store_.log.stamp->user + 1}); }

  FakeStore primary_store_{{Booking(3, "c"), Booking(2, "b"), Booking(1, "a")}};
  FakeStore replica_store_{{Booking(3, "c"), Booking(2, "b"), Booking(1, "a")}};
  std::unique_ptr<StoreSession> primary_ = primary_store_.OpenSession();
};

TEST_F(MadeBookingsReaderTest, WithoutAVersionEveryListIsReadFromThePrimary) {
  MadeBookingsReader reader({}, 0, 100ms, kCacheBytes);
  const std::string expected = Expected(*primary_);
  const int reads = primary_store_.log.reads;
  EXPECT_EQ(Read(reader, *primary_), expected);
  EXPECT_GT(primary_store_.log.reads, reads);
  const int after_first = primary_store_.log.reads;
  EXPECT_EQ(Read(reader, *primary_), expected);
  EXPECT_GT(primary_store_.log.reads, after_first);
}

TEST_F(MadeBookingsReaderTest, WithAVersionListsComeFromTheCacheUntilTheVersionMoves) {
  primary_store_.log.version = StoreVersion{1, 1, 0};
  MadeBookingsReader reader({}, 0, 100ms, kCacheBytes);
  const std::string json = Expected(*primary_);
  const std::string xml = Expected(*primary_, BodyFormat::kXml);
  EXPECT_EQ(Read(reader, *primary_), json);
  const int loaded = primary_store_.log.reads;
  EXPECT_EQ(Read(reader, *primary_), json);
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kXml), xml);
  EXPECT_EQ(primary_store_.log.reads, loaded);  // answered from the cache

  primary_store_.bookings.insert(primary_store_.bookings.begin(), Booking(4, "d"));
  primary_store_.log.version = StoreVersion{2, 2, 0};
  EXPECT_EQ(Read(reader, *primary_), Expected(*primary_));
  EXPECT_NE(Read(reader, *primary_), json);
}

TEST_F(MadeBookingsReaderTest, WithAVersionAndAReplicaListsComeFromThePrimaryWhichTheVersionCovers) {
  primary_store_.log.version = StoreVersion{1, 1, 0};
  MadeBookingsReader reader({&replica_store_}, 0, 100ms, kCacheBytes);
  ListSource source = ListSource::kReplica;
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), Expected(*primary_));
  EXPECT_EQ(source, ListSource::kPrimary);
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), Expected(*primary_));
  EXPECT_EQ(source, ListSource::kCache);
  EXPECT_EQ(replica_store_.log.reads, 0);
}

TEST_F(MadeBookingsReaderTest, WithStampsAListIsLoadedFromTheReplicaOnceThenCachedUntilItsStampMoves) {
  Stamp(ListStamp{5, 1});
  MadeBookingsReader reader({&replica_store_}, 0, 100ms, kCacheBytes);
  const std::string expected = Expected(*primary_);
  const std::string expected_xml = Expected(*primary_, BodyFormat::kXml);
  const int primary_reads = primary_store_.log.reads;
  ListSource source = ListSource::kPrimary;
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), expected);
  EXPECT_EQ(source, ListSource::kReplica);
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kXml, &source), expected_xml);
  EXPECT_EQ(source, ListSource::kCache);
  EXPECT_EQ(primary_store_.log.reads, primary_reads);
  EXPECT_EQ(replica_store_.log.opened, 1);  // opened on first use, kept
  EXPECT_EQ(replica_store_.log.reads, 2);   // one count and one page: the load

  primary_store_.bookings.insert(primary_store_.bookings.begin(), Booking(4, "d"));
  replica_store_.bookings = primary_store_.bookings;
  Stamp(ListStamp{5, 2});
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), Expected(*primary_));
  EXPECT_EQ(source, ListSource::kReplica);
  EXPECT_NE(Read(reader, *primary_), expected);
}

TEST_F(MadeBookingsReaderTest, AReplicaThatHasNotReplayedTheListsLastChangeIsPassedOverForThePrimary) {
  Stamp(ListStamp{5, 1});
  MadeBookingsReader reader({&replica_store_}, 0, 100ms, kCacheBytes);
  EXPECT_EQ(Read(reader, *primary_), Expected(*primary_));
  primary_store_.bookings.insert(primary_store_.bookings.begin(), Booking(4, "d"));
  primary_store_.log.stamp = ListStamp{5, 2};  // the replica still lists three bookings under {5, 1}
  const int replica_reads = replica_store_.log.reads;
  ListSource source = ListSource::kCache;
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), Expected(*primary_));
  EXPECT_EQ(source, ListSource::kPrimary);
  EXPECT_EQ(replica_store_.log.reads, replica_reads);  // the stamp was asked, not the list
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), Expected(*primary_));
  EXPECT_EQ(source, ListSource::kCache);
}

TEST_F(MadeBookingsReaderTest, AReplicaThatFailsIsReplacedByThePrimaryAndItsSessionReopenedNextTime) {
  Stamp(ListStamp{5, 1});
  MadeBookingsReader reader({&replica_store_}, 0, 100ms, kCacheBytes);
  const std::string expected = Expected(*primary_);
  EXPECT_EQ(Read(reader, *primary_), expected);
  Changed();
  replica_store_.log.fail_reads = 1;
  const int primary_reads = primary_store_.log.reads;
  ListSource source = ListSource::kReplica;
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), expected);
  EXPECT_EQ(source, ListSource::kPrimary);
  EXPECT_GT(primary_store_.log.reads, primary_reads);
  EXPECT_EQ(replica_store_.log.closed, 1);
  Changed();
  EXPECT_EQ(Read(reader, *primary_, BodyFormat::kJson, &source), expected);
  EXPECT_EQ(source, ListSource::kReplica);
  EXPECT_EQ(replica_store_.log.opened, 2);
}

TEST_F(MadeBookingsReaderTest, AReplicaThatCannotBeReachedIsReplacedByThePrimary) {
  Stamp(ListStamp{5, 1});
  replica_store_.log.fail_open = true;
  MadeBookingsReader reader({&replica_store_}, 0, 100ms, kCacheBytes);
  EXPECT_EQ(Read(reader, *primary_), Expected(*primary_));
  replica_store_.log.fail_open = false;
  Changed();
  EXPECT_EQ(Read(reader, *primary_), Expected(*primary_));
  EXPECT_EQ(replica_store_.log.opened, 1);
}

TEST_F(MadeBookingsReaderTest, APooledReplicaSessionThatFailsIsClosedAndAFreshOneLentNextTime) {
  Stamp(ListStamp{5, 1});
  MadeBookingsReader reader({&replica_store_}, 2, 100ms, kCacheBytes);
  EXPECT_EQ(replica_store_.log.opened, 1);  // the pool opens one up front
  replica_store_.log.fail_reads = 1;
  EXPECT_EQ(Read(reader, *primary_), Expected(*primary_));
  EXPECT_EQ(replica_store_.log.closed, 1);
  Changed();
  EXPECT_EQ(Read(reader, *primary_), Expected(*primary_));
  EXPECT_EQ(replica_store_.log.opened, 2);
  Changed();
  EXPECT_EQ(Read(reader, *primary_), Expected(*primary_));
  EXPECT_EQ(replica_store_.log.opened, 2);  // given back and lent again
}

TEST_F(MadeBookingsReaderTest, WhenThePrimaryFailsTooTheRequestFails) {
  Stamp(ListStamp{5, 1});
  MadeBookingsReader reader({&replica_store_}, 0, 100ms, kCacheBytes);
  replica_store_.log.fail_reads = 1;
  primary_store_.log.fail_reads = 1;
  std::string body;
  EXPECT_THROW(reader.WritePage(*primary_, std::nullopt, ListStamp{5, 1}, Query(), kNow, BodyFormat::kJson, body),
               StoreUnavailable);
}

TEST_F(MadeBookingsReaderTest, ServingThreadsTakeTheReplicasInTurn) {
  Stamp(ListStamp{5, 1});
  FakeStore other_replica({});
  other_replica.log.stamp = ListStamp{5, 1};
  MadeBookingsReader second({&replica_store_, &other_replica}, 0, 100ms, kCacheBytes);
  MadeBookingsReader third({&replica_store_, &other_replica}, 0, 100ms, kCacheBytes);
  // Two readers made one after the other read from different replicas: one of them lists nothing.
  const std::string from_second = Read(second, *primary_);
  const std::string from_third = Read(third, *primary_);
  EXPECT_NE(from_second, from_third);
  EXPECT_EQ(replica_store_.log.opened + other_replica.log.opened, 2);
}

}  // namespace
}  // namespace phonechat
