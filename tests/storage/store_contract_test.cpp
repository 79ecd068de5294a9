// The storage contract: what every backend must do, written against Store, StoreSession and WriteBatch only.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <tuple>

#include "core/error.hpp"
#include "storage/lifecycle_store.hpp"
#include "storage/store.hpp"
#include "storage_test_support.hpp"

namespace phonechat::testing {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kJan2020 = 18'262 * kDay;  // 2020-01-01T00:00 as LocalDateTime::millis

std::string Hash(char fill) { return std::string(32, fill); }

UserRecord User(UserId id, std::string nickname) {
  UserRecord user;
  user.user_id = id;
  user.nickname = std::move(nickname);
  return user;
}

BookingRecord Booking(BookingId id, UserId client, UserId candidate, std::int64_t create, std::int64_t session) {
  BookingRecord record;
  auto& b = record.booking;
  b.booking_id = id;
  b.client_user_id = client;
  b.candidate.user_id = candidate;
  b.duration_minutes = 15;
  b.credits = Credits{80'000};
  b.offered_credits = Credits{80'000};
  b.status = BookingStatus::kPending;
  b.method = ContactMethod::kClientCalls;
  b.create_date = LocalDateTime{create};
  b.accept_by = LocalDateTime{create};
  b.session_date = LocalDateTime{session};
  return record;
}

MadeBookingsQuery Query(UserId client, BookingOrder order, std::optional<LocalDateTime> from = std::nullopt) {
  MadeBookingsQuery query;
  query.client_user_id = client;
  query.order = order;
  query.created_from = from;
  return query;
}

// The received side's list of `candidate`.
MadeBookingsQuery Received(UserId candidate, BookingOrder order, std::optional<LocalDateTime> from = std::nullopt) {
  MadeBookingsQuery query = Query(candidate, order, from);
  query.side = BookingSide::kReceived;
  return query;
}

// The test's own statement of the order rules (docs/api.md, "Orders"), to compare the store against.
std::string Fold(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

struct Expected {
  BookingId id;
  std::int64_t create;
  std::int64_t session;
  std::string nickname;
};

std::vector<BookingId> ExpectedOrder(std::vector<Expected> rows, BookingOrder order) {
  const auto key = [order](const Expected& e) {
    switch (order.Key()) {
      case SortKey::kCreateDate:
        return std::make_tuple(e.create, std::string(), e.id);
      case SortKey::kNickname:
        return std::make_tuple(std::int64_t{0}, Fold(e.nickname), e.id);
      case SortKey::kSessionDate:
        return std::make_tuple(e.session, std::string(), e.id);
    }
    return std::make_tuple(std::int64_t{0}, std::string(), e.id);
  };
  const bool descending = order.Descending();
  std::sort(rows.begin(), rows.end(),
            [&](const Expected& a, const Expected& b) { return descending ? key(b) < key(a) : key(a) < key(b); });
  std::vector<BookingId> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.push_back(row.id);
  return ids;
}

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    location_ = GetParam().location(dir_);
    store_ = GetParam().open(location_);
  }

  void Put(const std::vector<UserRecord>& users, const std::vector<BookingRecord>& bookings = {}) {
    auto batch = store_->BeginWriteBatch();
    for (const auto& user : users) ASSERT_EQ(batch->PutUser(user, false), "");
    for (const auto& booking : bookings) ASSERT_EQ(batch->PutBooking(booking, false), "");
    batch->Commit();
  }

  std::vector<BookingId> Ids(const MadeBookingsQuery& query, std::int64_t offset = 0, std::int32_t limit = 100) {
    std::vector<BookingId> ids;
    for (const auto& booking : Session().MadeBookingsPage(query, offset, limit)) ids.push_back(booking.booking_id);
    return ids;
  }

  StoreSession& Session() {
    if (!session_) session_ = store_->OpenSession();
    return *session_;
  }

  // A client (1) with bookings to candidates whose nicknames tie when folded, sort around `_`, and are
  // not ASCII; equal CreateDates and SessionDates; one deleted by the client; another client's bookings.
  std::vector<Expected> PutOrderFixture() {
    const std::vector<UserRecord> users{User(1, "Client"), User(2, "Other"),   User(10, "anna"), User(11, "Anna"),
                                        User(12, "ANNA"),  User(13, "_Under"), User(14, "Zed"),  User(15, "zed"),
                                        User(16, "Émile"), User(17, "b"),      User(18, "[x]"),  User(19, "annab")};
    std::vector<BookingRecord> bookings;
    std::vector<Expected> expected;
    const std::vector<UserId> candidates{10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    const std::map<UserId, std::string> nick{{10, "anna"}, {11, "Anna"},  {12, "ANNA"}, {13, "_Under"}, {14, "Zed"},
                                             {15, "zed"},  {16, "Émile"}, {17, "b"},    {18, "[x]"},    {19, "annab"}};
    for (BookingId id = 1; id <= 40; ++id) {
      const UserId candidate = candidates[static_cast<std::size_t>((id * 7) % 10)];
      const std::int64_t create = kJan2020 + (id % 5) * kDay;                  // five distinct CreateDates
      const std::int64_t session = kJan2020 + 30 * kDay - (id % 4) * kMinute;  // four distinct SessionDates
      bookings.push_back(Booking(id, 1, candidate, create, session));
      expected.push_back({id, create, session, nick.at(candidate)});
    }
    auto deleted = Booking(41, 1, 10, kJan2020, kJan2020);
    deleted.deleted_by_client = true;
    bookings.push_back(deleted);
    bookings.push_back(Booking(42, 2, 10, kJan2020, kJan2020));
    Put(users, bookings);
    return expected;
  }

  // Runs SQL on the database behind the store's back.
  void Exec(const std::string& sql) { GetParam().exec(location_, sql); }

  // Posts `entry` in a transaction of its own and commits it; false (nothing committed) when refused.
  bool PostAlone(const LedgerEntry& entry) {
    auto transaction = store_->BeginLifecycle();
    if (!transaction->Post(entry)) return false;
    transaction->Commit();
    return true;
  }

  // The running balance of `account`, read in a transaction that is rolled back.
  Credits BalanceOf(AccountId account) { return store_->BeginLifecycle()->Balance(account); }

  TempDir dir_;
  std::string location_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreSession> session_;
};

// A user with a complete profile and settings.
UserRecord FullUser(UserId id, std::string nickname) {
  UserRecord user = User(id, std::move(nickname));
  user.phonechat_number = "+4477009" + std::to_string(id);
  user.skype_name = "skype." + std::to_string(id);
  user.positive = id + 1;
  user.neutral = id + 2;
  user.negative = id + 3;
  user.disputes = id + 4;
  return user;
}

LedgerEntry Movement(LedgerKind kind, std::optional<BookingId> booking, AccountId from, AccountId to,
                     std::int64_t amount, std::int64_t date = kJan2020) {
  return LedgerEntry{kind, booking, from, to, Credits{amount}, LocalDateTime{date}, std::nullopt};
}

std::vector<BookingId> IdsOf(const std::vector<StoredBooking>& bookings) {
  std::vector<BookingId> ids;
  ids.reserve(bookings.size());
  for (const auto& booking : bookings) ids.push_back(booking.booking_id);
  return ids;
}

void ExpectProfile(const PartyProfile& got, const UserRecord& want) {
  EXPECT_EQ(got.user_id, want.user_id);
  EXPECT_EQ(got.nickname, want.nickname);
  EXPECT_EQ(got.phonechat_number, want.phonechat_number);
  EXPECT_EQ(got.skype_name, want.skype_name);
  EXPECT_EQ(got.positive, want.positive);
  EXPECT_EQ(got.neutral, want.neutral);
  EXPECT_EQ(got.negative, want.negative);
  EXPECT_EQ(got.disputes, want.disputes);
}

TEST_P(StoreContract, NewDatabaseIsEmptyAndStopsBeingEmptyAfterACommit) {
  EXPECT_TRUE(store_->IsEmpty());
  Put({User(1, "a")});
  EXPECT_FALSE(store_->IsEmpty());
}

TEST_P(StoreContract, BookingReadsBackEveryFieldWithTheCandidateProfile) {
  UserRecord candidate = User(7, "BookedUser");
  candidate.phonechat_number = "+447700900123";
  candidate.skype_name = "booked.user";
  candidate.positive = 7;
  candidate.neutral = 2;
  candidate.negative = 1;
  candidate.disputes = 3;
  auto record = Booking(99, 1, 7, kJan2020 + 123, kJan2020 + 2 * kDay);
  auto& b = record.booking;
  b.duration_minutes = 45;
  b.credits = Credits{122'500};
  b.status = BookingStatus::kCancelled;
  b.method = ContactMethod::kSkype;
  b.phone_number = "+441234";
  b.skype_name = "live:client";
  b.accept_by = LocalDateTime{kJan2020 + kDay};
  b.accepted_date = LocalDateTime{kJan2020 + 1000};
  b.confirmed_date = LocalDateTime{kJan2020 + 2000};
  b.cancelled_date = LocalDateTime{kJan2020 + 3000};
  b.cancelled_reason = "Something <came> up & more";
  b.cancelled_by = CancelledBy::kCandidate;
  b.rejected_reason = "never";
  b.last_updated = LocalDateTime{kJan2020 + 4000};
  b.comments = "Zoë \xF0\x9F\x99\x82";
  Put({User(1, "Client"), candidate}, {record});

  const auto page = Session().MadeBookingsPage(Query(1, BookingOrder::kDateDesc), 0, 10);
  ASSERT_EQ(page.size(), 1u);
  const auto& got = page[0];
  EXPECT_EQ(got.booking_id, 99);
  EXPECT_EQ(got.client_user_id, 1);
  EXPECT_EQ(got.duration_minutes, 45);
  EXPECT_EQ(got.credits, Credits{122'500});
  EXPECT_EQ(got.status, BookingStatus::kCancelled);
  EXPECT_EQ(got.method, ContactMethod::kSkype);
  EXPECT_EQ(got.phone_number, b.phone_number);
  EXPECT_EQ(got.skype_name, b.skype_name);
  EXPECT_EQ(got.create_date, b.create_date);
  EXPECT_EQ(got.session_date, b.session_date);
  EXPECT_EQ(got.accept_by, b.accept_by);
  EXPECT_EQ(got.accepted_date, b.accepted_date);
  EXPECT_EQ(got.confirmed_date, b.confirmed_date);
  EXPECT_EQ(got.cancelled_date, b.cancelled_date);
  EXPECT_EQ(got.cancelled_reason, b.cancelled_reason);
  EXPECT_EQ(got.cancelled_by, b.cancelled_by);
  EXPECT_EQ(got.rejected_reason, b.rejected_reason);
  EXPECT_EQ(got.last_updated, b.last_updated);
  EXPECT_EQ(got.comments, b.comments);
  EXPECT_EQ(got.candidate.user_id, 7);
  EXPECT_EQ(got.candidate.nickname, "BookedUser");
  EXPECT_EQ(got.candidate.phonechat_number, candidate.phonechat_number);
  EXPECT_EQ(got.candidate.skype_name, candidate.skype_name);
  EXPECT_EQ(got.candidate.positive, 7);
  EXPECT_EQ(got.candidate.neutral, 2);
  EXPECT_EQ(got.candidate.negative, 1);
  EXPECT_EQ(got.candidate.disputes, 3);
}

TEST_P(StoreContract, AbsentOptionalFieldsReadBackAbsent) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(5, 1, 2, kJan2020, kJan2020 + kDay)});
  const auto page = Session().MadeBookingsPage(Query(1, BookingOrder::kDateAsc), 0, 10);
  ASSERT_EQ(page.size(), 1u);
  const auto& got = page[0];
  EXPECT_FALSE(got.phone_number || got.skype_name || got.accepted_date || got.confirmed_date || got.cancelled_date ||
               got.cancelled_reason || got.cancelled_by || got.rejected_reason || got.last_updated || got.comments);
  EXPECT_FALSE(got.candidate.phonechat_number || got.candidate.skype_name);
  EXPECT_EQ(got.status, BookingStatus::kPending);
}

TEST_P(StoreContract, EveryOrderMatchesTheRulesWithTiesBrokenByBookingIdInTheSameDirection) {
  const auto expected = PutOrderFixture();
  for (const auto order : AllOrders()) {
    EXPECT_EQ(Ids(Query(1, order)), ExpectedOrder(expected, order)) << order.Name();
  }
}

TEST_P(StoreContract, NicknameOrderFoldsAsciiCaseAndPutsUnderscoreBeforeLetters) {
  Put({User(1, "Client"), User(10, "b"), User(11, "_z"), User(12, "B"), User(13, "a"), User(14, "Émile"),
       User(15, "Z")},
      {Booking(1, 1, 10, kJan2020, kJan2020), Booking(2, 1, 11, kJan2020, kJan2020),
       Booking(3, 1, 12, kJan2020, kJan2020), Booking(4, 1, 13, kJan2020, kJan2020),
       Booking(5, 1, 14, kJan2020, kJan2020), Booking(6, 1, 15, kJan2020, kJan2020)});
  // _z < a < b = B (ties by ID) < Z < Émile (a byte above every ASCII letter)
  EXPECT_EQ(Ids(Query(1, BookingOrder::kNicknameAsc)), (std::vector<BookingId>{2, 4, 1, 3, 6, 5}));
  EXPECT_EQ(Ids(Query(1, BookingOrder::kNicknameDesc)), (std::vector<BookingId>{5, 6, 3, 1, 4, 2}));
}

TEST_P(StoreContract, StartDateKeepsBookingsCreatedAtTheDaysMidnightAndDropsTheMillisecondBefore) {
  const std::int64_t day = kJan2020 + 10 * kDay;
  Put({User(1, "Client"), User(2, "Cand")},
      {Booking(1, 1, 2, day - 1, day), Booking(2, 1, 2, day, day), Booking(3, 1, 2, day + 1, day),
       Booking(4, 1, 2, day - kDay, day), Booking(5, 1, 2, day + kDay, day)});
  for (const auto order : AllOrders()) {
    auto ids = Ids(Query(1, order, LocalDateTime{day}));
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<BookingId>{2, 3, 5})) << order.Name();
  }
  EXPECT_EQ(Session().CountMadeBookings(1, LocalDateTime{day}), 3);
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 5);
}

TEST_P(StoreContract, StartDateFilterKeepsEachOrder) {
  const auto expected = PutOrderFixture();
  const std::int64_t from = kJan2020 + 2 * kDay;
  std::vector<Expected> kept;
  std::copy_if(expected.begin(), expected.end(), std::back_inserter(kept),
               [&](const Expected& e) { return e.create >= from; });
  ASSERT_FALSE(kept.empty());
  ASSERT_LT(kept.size(), expected.size());
  for (const auto order : AllOrders()) {
    EXPECT_EQ(Ids(Query(1, order, LocalDateTime{from})), ExpectedOrder(kept, order)) << order.Name();
  }
  EXPECT_EQ(Session().CountMadeBookings(1, LocalDateTime{from}), static_cast<std::int64_t>(kept.size()));
}

TEST_P(StoreContract, CountAndPagesLeaveOutBookingsDeletedByTheClientAndOtherClients) {
  const auto expected = PutOrderFixture();
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), static_cast<std::int64_t>(expected.size()));
  for (const auto order : AllOrders()) {
    const auto ids = Ids(Query(1, order));
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 41), 0) << "deleted by the client";
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 42), 0) << "another client's";
  }
  EXPECT_EQ(Session().CountMadeBookings(2, std::nullopt), 1);
  EXPECT_EQ(Session().CountMadeBookings(3, std::nullopt), 0);
}

TEST_P(StoreContract, PagesTileTheOrderWithoutOverlapAndAnOffsetPastTheEndIsEmpty) {
  const auto expected = PutOrderFixture();
  for (const auto order : AllOrders()) {
    std::vector<BookingId> tiled;
    for (std::int64_t offset = 0; offset < 50; offset += 7) {
      const auto page = Ids(Query(1, order), offset, 7);
      tiled.insert(tiled.end(), page.begin(), page.end());
    }
    EXPECT_EQ(tiled, ExpectedOrder(expected, order)) << order.Name();
    EXPECT_TRUE(Ids(Query(1, order), 40, 10).empty());
    EXPECT_TRUE(Ids(Query(1, order), 2'147'483'647LL * 100, 100).empty());
  }
}

TEST_P(StoreContract, CountAndPageAnswerAsCountAndPageDoSeparatelyForEveryOrderStartAndOffset) {
  const auto expected = PutOrderFixture();
  const std::optional<LocalDateTime> starts[] = {std::nullopt, LocalDateTime{kJan2020 + kDay}};
  for (const auto order : AllOrders()) {
    for (const auto& start : starts) {
      const auto query = Query(1, order, start);
      for (const std::int64_t offset : {std::int64_t{0}, std::int64_t{3}, std::int64_t{5}, std::int64_t{1'000}}) {
        const CountedPage counted = Session().CountAndPage(query, offset, 4);
        EXPECT_EQ(counted.total, Session().CountMadeBookings(1, start)) << order.Name();
        std::vector<BookingId> ids;
        for (const auto& booking : counted.rows) ids.push_back(booking.booking_id);
        EXPECT_EQ(ids, Ids(query, offset, 4)) << order.Name() << " offset " << offset;
      }
    }
  }
  EXPECT_EQ(Session().CountAndPage(Query(3, BookingOrder::kDateDesc), 0, 10).total, 0);
  EXPECT_TRUE(Session().CountAndPage(Query(3, BookingOrder::kDateDesc), 0, 10).rows.empty());
  EXPECT_GT(expected.size(), 5u);
}

TEST_P(StoreContract, ANicknameChangeMovesTheCandidatesBookingsInTheNicknameOrder) {
  Put({User(1, "Client"), User(10, "alpha"), User(11, "Mike")},
      {Booking(1, 1, 10, kJan2020, kJan2020), Booking(2, 1, 11, kJan2020, kJan2020)});
  EXPECT_EQ(Ids(Query(1, BookingOrder::kNicknameAsc)), (std::vector<BookingId>{1, 2}));
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutUser(User(10, "ZULU"), true), "");
    batch->Commit();
  }
  EXPECT_EQ(Ids(Query(1, BookingOrder::kNicknameAsc)), (std::vector<BookingId>{2, 1}));
  const auto page = Session().MadeBookingsPage(Query(1, BookingOrder::kNicknameAsc), 1, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].candidate.nickname, "ZULU");
  // "ZULU" folds to "zulu", which sorts after "mike" but before "zz".
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutUser(User(11, "zz"), true), "");
    batch->Commit();
  }
  EXPECT_EQ(Ids(Query(1, BookingOrder::kNicknameAsc)), (std::vector<BookingId>{1, 2}));
}

TEST_P(StoreContract, TokensAreFoundByHashWithTheirDataAndRevocationSticks) {
  Put({User(1, "Owner"), User(2, "Client")});
  {
    auto batch = store_->BeginWriteBatch();
    ProjectRecord project;
    project.name = "App";
    project.owner_user_id = 1;
    project.api_key = "key-1";
    project.client_id = "app";
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  store_->InsertToken(NewToken{Hash('a'), 2, "app", "account_phonechat_bookings other", 1'900'000'000});
  const auto token = Session().FindToken(Hash('a'));
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->user_id, 2);
  EXPECT_EQ(token->scopes, "account_phonechat_bookings other");
  EXPECT_EQ(token->expires_at_unix, 1'900'000'000);
  EXPECT_FALSE(token->revoked);
  const auto project = Session().FindProjectByApiKey("key-1");
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(token->project_id, project->project_id);

  EXPECT_FALSE(Session().FindToken(Hash('b')).has_value());
  EXPECT_FALSE(Session().FindToken(Hash('a').substr(0, 31)).has_value());
  EXPECT_TRUE(store_->RevokeToken(Hash('a')));
  EXPECT_TRUE(Session().FindToken(Hash('a'))->revoked);
  EXPECT_FALSE(store_->RevokeToken(Hash('b')));
}

TEST_P(StoreContract, TokensOfADisabledProjectAreFoundRevoked) {
  Put({User(1, "Owner"), User(2, "Client")});
  ProjectRecord project{"App", 1, "key", "app", std::nullopt, {}, false, true};
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  store_->InsertToken(NewToken{Hash('a'), 2, "app", "account_phonechat_bookings", 1'900'000'000});
  EXPECT_FALSE(Session().FindToken(Hash('a'))->revoked);
  project.active = false;
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutProject(project, true), "");
    batch->Commit();
  }
  EXPECT_TRUE(Session().FindToken(Hash('a'))->revoked);
}

TEST_P(StoreContract, TokenHashesAreComparedAsRawBytes) {
  Put({User(1, "Owner")});
  {
    auto batch = store_->BeginWriteBatch();
    ProjectRecord project{"App", 1, "key", "app", std::nullopt, {}, false, true};
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  std::string with_nul(32, '\0');
  with_nul[31] = '\x01';
  std::string high(32, '\xff');
  store_->InsertToken(NewToken{with_nul, 1, "app", "s", 1});
  store_->InsertToken(NewToken{high, 1, "app", "t", 2});
  EXPECT_EQ(Session().FindToken(with_nul)->scopes, "s");
  EXPECT_EQ(Session().FindToken(high)->scopes, "t");
  EXPECT_FALSE(Session().FindToken(std::string(32, '\0')).has_value());
}

TEST_P(StoreContract, FindTokensAnswersEachHashAsFindTokenDoesInTheOrderAsked) {
  Put({User(1, "Owner"), User(2, "Client")});
  {
    auto batch = store_->BeginWriteBatch();
    ProjectRecord project{"App", 1, "key", "app", std::nullopt, {}, false, true};
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  std::string with_nul(32, '\0');
  with_nul[31] = '\x01';
  store_->InsertToken(NewToken{Hash('a'), 2, "app", "first", 1'900'000'000});
  store_->InsertToken(NewToken{with_nul, 1, "app", "second", 1'800'000'000});
  EXPECT_TRUE(store_->RevokeToken(with_nul));
  EXPECT_TRUE(Session().FindTokens({}).empty());
  const std::string a = Hash('a');
  const std::string unknown = Hash('b');
  const std::string short_hash = a.substr(0, 31);
  const std::vector<std::string_view> asked{unknown, a, with_nul, a, short_hash};
  const auto records = Session().FindTokens(asked);
  ASSERT_EQ(records.size(), asked.size());
  for (std::size_t i = 0; i < asked.size(); ++i) {
    const auto alone = Session().FindToken(asked[i]);
    ASSERT_EQ(records[i].has_value(), alone.has_value()) << i;
    if (!alone) continue;
    EXPECT_EQ(records[i]->user_id, alone->user_id) << i;
    EXPECT_EQ(records[i]->project_id, alone->project_id) << i;
    EXPECT_EQ(records[i]->scopes, alone->scopes) << i;
    EXPECT_EQ(records[i]->expires_at_unix, alone->expires_at_unix) << i;
    EXPECT_EQ(records[i]->revoked, alone->revoked) << i;
    EXPECT_EQ(records[i]->list_stamp, alone->list_stamp) << i;
  }
  EXPECT_FALSE(records[0].has_value());
  EXPECT_EQ(records[1]->scopes, "first");
  EXPECT_TRUE(records[2]->revoked);
  EXPECT_EQ(records[3]->scopes, "first");
  EXPECT_FALSE(records[4].has_value());
}

TEST_P(StoreContract, InsertingATokenForAnUnknownProjectOrUserIsAUsageError) {
  Put({User(1, "Owner")});
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutProject(ProjectRecord{"App", 1, "key", "app", std::nullopt, {}, false, true}, false), "");
    batch->Commit();
  }
  try {
    store_->InsertToken(NewToken{Hash('a'), 1, "nope", "s", 1});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no project with client id nope"), std::string::npos) << e.what();
  }
  EXPECT_THROW(store_->InsertToken(NewToken{Hash('a'), 99, "app", "s", 1}), UsageError);
  EXPECT_FALSE(Session().FindToken(Hash('a')).has_value());
}

TEST_P(StoreContract, ApiKeyLookupReportsTheProjectAndWhetherItIsActive) {
  Put({User(1, "Owner")});
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutProject(ProjectRecord{"On", 1, "key-on", "on", std::nullopt, {}, false, true}, false), "");
    ASSERT_EQ(batch->PutProject(ProjectRecord{"Off", 1, "key-off", "off", "hash", {"http://x/cb"}, true, false}, false),
              "");
    batch->Commit();
  }
  const auto on = Session().FindProjectByApiKey("key-on");
  const auto off = Session().FindProjectByApiKey("key-off");
  ASSERT_TRUE(on && off);
  EXPECT_TRUE(on->active);
  EXPECT_FALSE(off->active);
  EXPECT_NE(on->project_id, off->project_id);
  EXPECT_FALSE(Session().FindProjectByApiKey("KEY-ON").has_value());
  EXPECT_FALSE(Session().FindProjectByApiKey("").has_value());
}

TEST_P(StoreContract, ProjectsAreKeyedByClientIdAndAnApiKeyBelongsToOneProject) {
  Put({User(1, "Owner"), User(2, "Other")});
  auto batch = store_->BeginWriteBatch();
  ASSERT_EQ(batch->PutProject(ProjectRecord{"A", 1, "key-a", "a", std::nullopt, {}, false, true}, false), "");
  EXPECT_NE(batch->PutProject(ProjectRecord{"A2", 1, "key-a2", "a", std::nullopt, {}, false, true}, false), "");
  EXPECT_NE(batch->PutProject(ProjectRecord{"B", 1, "key-a", "b", std::nullopt, {}, false, true}, false), "");
  EXPECT_NE(batch->PutProject(ProjectRecord{"C", 99, "key-c", "c", std::nullopt, {}, false, true}, false), "");
  ASSERT_EQ(batch->PutProject(ProjectRecord{"A3", 2, "key-a3", "a", std::nullopt, {}, false, true}, true), "");
  batch->Commit();
  EXPECT_FALSE(Session().FindProjectByApiKey("key-a").has_value());
  EXPECT_TRUE(Session().FindProjectByApiKey("key-a3").has_value());
  EXPECT_FALSE(Session().FindProjectByApiKey("key-c").has_value());
}

TEST_P(StoreContract, GroupManagersSeeOnlyTheMembersOfTheirOwnGroups) {
  Put({User(1, "Manager"), User(2, "OtherManager"), User(10, "m1"), User(11, "m2"), User(12, "other"),
       User(13, "loner"), User(14, "m3")});
  auto batch = store_->BeginWriteBatch();
  ASSERT_EQ(batch->PutGroup(GroupRecord{1, "One", 1, {10, 11}}, false), "");
  ASSERT_EQ(batch->PutGroup(GroupRecord{2, "Two", 2, {12}}, false), "");
  ASSERT_EQ(batch->PutGroup(GroupRecord{3, "Three", 1, {14}}, false), "");  // a manager may manage several
  batch->Commit();
  auto& s = Session();
  EXPECT_TRUE(s.IsGroupManager(1));
  EXPECT_TRUE(s.IsGroupManager(2));
  EXPECT_FALSE(s.IsGroupManager(10));
  EXPECT_FALSE(s.IsGroupManager(999));
  EXPECT_TRUE(s.IsMemberOfManagedGroup(1, 10));
  EXPECT_TRUE(s.IsMemberOfManagedGroup(1, 11));
  EXPECT_TRUE(s.IsMemberOfManagedGroup(1, 14));
  EXPECT_FALSE(s.IsMemberOfManagedGroup(1, 12)) << "member of another group";
  EXPECT_FALSE(s.IsMemberOfManagedGroup(1, 13)) << "in no group";
  EXPECT_FALSE(s.IsMemberOfManagedGroup(1, 1)) << "the manager is not a member";
  EXPECT_FALSE(s.IsMemberOfManagedGroup(1, 999)) << "unknown user";
  EXPECT_FALSE(s.IsMemberOfManagedGroup(10, 11)) << "a member manages nothing";
  EXPECT_TRUE(s.IsMemberOfManagedGroup(2, 12));
}

TEST_P(StoreContract, AUserBelongsToAtMostOneGroupAndReplacingAGroupRewritesItsMembers) {
  Put({User(1, "Manager"), User(2, "OtherManager"), User(10, "a"), User(11, "b"), User(12, "c")});
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutGroup(GroupRecord{1, "One", 1, {10, 11}}, false), "");
    EXPECT_NE(batch->PutGroup(GroupRecord{2, "Two", 2, {11}}, false), "") << "11 is already in group 1";
    EXPECT_NE(batch->PutGroup(GroupRecord{1, "One again", 1, {10}}, false), "") << "no replace";
    EXPECT_NE(batch->PutGroup(GroupRecord{3, "Three", 99, {}}, false), "") << "unknown manager";
    EXPECT_NE(batch->PutGroup(GroupRecord{4, "Four", 2, {98}}, false), "") << "unknown member";
    EXPECT_NE(batch->PutGroup(GroupRecord{5, "Five", 2, {12, 12}}, false), "") << "listed twice";
    batch->Commit();
  }
  EXPECT_FALSE(Session().IsGroupManager(2)) << "refused groups left nothing behind";
  EXPECT_FALSE(Session().IsMemberOfManagedGroup(2, 12));
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutGroup(GroupRecord{1, "One", 2, {11, 12}}, true), "");
    ASSERT_EQ(batch->PutGroup(GroupRecord{2, "Two", 1, {10}}, false), "") << "10 left group 1";
    batch->Commit();
  }
  EXPECT_TRUE(Session().IsMemberOfManagedGroup(2, 11));
  EXPECT_TRUE(Session().IsMemberOfManagedGroup(2, 12));
  EXPECT_FALSE(Session().IsMemberOfManagedGroup(2, 10));
  EXPECT_TRUE(Session().IsMemberOfManagedGroup(1, 10));
}

TEST_P(StoreContract, AuditEntriesAreAppendedInOrder) {
  Session().AppendAudit(AuditEntry{1, 2, "/v1/Groups/PhoneChat/MadeBookings", LocalDateTime{kJan2020 + 5}, "allowed"});
  Session().AppendAudit(
      AuditEntry{1, 999, "/v1/Groups/PhoneChat/MadeBookings", LocalDateTime{kJan2020 + 6}, "denied: not a member"});
  const auto entries = GetParam().read_audit(location_);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].manager_user_id, 1);
  EXPECT_EQ(entries[0].member_user_id, 2);
  EXPECT_EQ(entries[0].route, "/v1/Groups/PhoneChat/MadeBookings");
  EXPECT_EQ(entries[0].at, LocalDateTime{kJan2020 + 5});
  EXPECT_EQ(entries[0].outcome, "allowed");
  EXPECT_EQ(entries[1].member_user_id, 999);
  EXPECT_EQ(entries[1].outcome, "denied: not a member");
}

TEST_P(StoreContract, AWriteBatchDestroyedWithoutCommitLeavesNothing) {
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutUser(User(1, "Client"), false), "");
    ASSERT_EQ(batch->PutUser(User(2, "Cand"), false), "");
    ASSERT_EQ(batch->PutBooking(Booking(1, 1, 2, kJan2020, kJan2020), false), "");
    EXPECT_TRUE(batch->UserExists(1)) << "a batch sees its own writes";
  }
  EXPECT_TRUE(store_->IsEmpty());
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 0);
  auto batch = store_->BeginWriteBatch();
  EXPECT_FALSE(batch->UserExists(1));
}

TEST_P(StoreContract, UncommittedWritesAreInvisibleToSessions) {
  Put({User(1, "Client"), User(2, "Cand")});
  auto batch = store_->BeginWriteBatch();
  ASSERT_EQ(batch->PutBooking(Booking(1, 1, 2, kJan2020, kJan2020), false), "");
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 0);
  batch->Commit();
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 1);
}

TEST_P(StoreContract, ExistingIdsAreRefusedUnlessReplaceAndReplaceOverwrites) {
  Put({User(1, "Client"), User(2, "Cand"), User(3, "Cand3")}, {Booking(7, 1, 2, kJan2020, kJan2020)});
  {
    auto batch = store_->BeginWriteBatch();
    const auto user_reason = batch->PutUser(User(1, "Again"), false);
    EXPECT_NE(user_reason.find("User 1 already exists"), std::string::npos) << user_reason;
  }
  {
    // Refused when put, or (a backend that checks in bulk) at Commit, naming the record.
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutBooking(Booking(8, 1, 2, kJan2020, kJan2020), false), "");
    std::string booking_reason = batch->PutBooking(Booking(7, 1, 3, kJan2020, kJan2020), false);
    if (booking_reason.empty()) {
      try {
        batch->Commit();
        ADD_FAILURE() << "a batch storing an existing booking ID committed";
      } catch (const RecordRejected& rejected) {
        EXPECT_EQ(rejected.Record(), 2);
        booking_reason = rejected.what();
      }
    }
    EXPECT_NE(booking_reason.find("Booking 7 already exists (use --replace)"), std::string::npos) << booking_reason;
  }
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 1) << "nothing of the refused batch is stored";

  auto batch = store_->BeginWriteBatch();
  auto replacement = Booking(7, 1, 3, kJan2020 + kDay, kJan2020 + 2 * kDay);
  replacement.booking.credits = Credits{1};
  ASSERT_EQ(batch->PutBooking(replacement, true), "");
  ASSERT_EQ(batch->PutUser(User(3, "Renamed"), true), "");
  batch->Commit();

  const auto page = Session().MadeBookingsPage(Query(1, BookingOrder::kDateAsc), 0, 10);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].candidate.user_id, 3);
  EXPECT_EQ(page[0].candidate.nickname, "Renamed");
  EXPECT_EQ(page[0].credits, Credits{1});
  EXPECT_EQ(page[0].create_date, LocalDateTime{kJan2020 + kDay});
}

TEST_P(StoreContract, BookingsMustReferToKnownUsers) {
  Put({User(1, "Client")});
  auto batch = store_->BeginWriteBatch();
  EXPECT_NE(batch->PutBooking(Booking(1, 1, 2, kJan2020, kJan2020), false).find("CandidateUserID"), std::string::npos);
  EXPECT_NE(batch->PutBooking(Booking(2, 3, 1, kJan2020, kJan2020), false).find("ClientUserID"), std::string::npos);
  batch->Commit();
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 0);
  EXPECT_EQ(Session().CountMadeBookings(3, std::nullopt), 0);
}

TEST_P(StoreContract, ReopeningKeepsTheData) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2, kJan2020, kJan2020)});
  session_.reset();
  store_.reset();
  store_ = GetParam().open(location_);
  EXPECT_FALSE(store_->IsEmpty());
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 1);
}

TEST_P(StoreContract, SessionsOnSeveralThreadsReadWhileOthersWrite) {
  const auto expected = PutOrderFixture();
  const auto want = ExpectedOrder(expected, BookingOrder::kNicknameAsc);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto session = store_->OpenSession();
      for (int i = 0; i < 50; ++i) {
        std::vector<BookingId> ids;
        for (const auto& b : session->MadeBookingsPage(Query(1, BookingOrder::kNicknameAsc), 0, 100)) {
          ids.push_back(b.booking_id);
        }
        if (ids != want) ++failures;
        session->AppendAudit(AuditEntry{t, i, "/r", LocalDateTime{i}, "allowed"});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(GetParam().read_audit(location_).size(), 200u);
}

// ---- The booking life cycle (schema version 4): reads of both sides, the life-cycle transaction, the ledger.

TEST_P(StoreContract, FindBookingReadsBackEveryNewFieldWithBothProfilesDeletedOrNot) {
  const UserRecord client = FullUser(3, "TheClient");
  const UserRecord candidate = FullUser(7, "TheCandidate");
  auto source = Booking(10, 3, 7, kJan2020, kJan2020 + kDay);
  auto record = Booking(11, 3, 7, kJan2020 + 5, kJan2020 + 2 * kDay);
  auto& b = record.booking;
  b.status = BookingStatus::kRejected;
  b.rejection_kind = RejectionKind::kReInvited;
  b.rejected_reason = "Lapsed, then invited again";
  b.credits = Credits{90'000};
  b.offered_credits = Credits{80'000};
  b.deleted_by_client = true;
  b.deleted_by_candidate = true;
  b.rescheduled_from = 10;
  b.phone_number = "+441";
  b.comments = "hi";
  auto confirmed = Booking(12, 3, 7, kJan2020, kJan2020 + kDay);
  confirmed.booking.status = BookingStatus::kConfirmed;
  confirmed.booking.settled = true;
  confirmed.deleted_by_client = true;  // the record's flag counts as well
  Put({client, candidate}, {source, record, confirmed});

  const auto got = Session().FindBooking(11);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->booking_id, 11);
  EXPECT_EQ(got->client_user_id, 3);
  EXPECT_EQ(got->status, BookingStatus::kRejected);
  EXPECT_EQ(got->rejection_kind, RejectionKind::kReInvited);
  EXPECT_EQ(got->rejected_reason, b.rejected_reason);
  EXPECT_EQ(got->credits, Credits{90'000});
  EXPECT_EQ(got->offered_credits, Credits{80'000});
  EXPECT_TRUE(got->deleted_by_client);
  EXPECT_TRUE(got->deleted_by_candidate);
  EXPECT_EQ(got->rescheduled_from, std::optional<BookingId>{10});
  EXPECT_FALSE(got->settled);
  EXPECT_EQ(got->phone_number, b.phone_number);
  EXPECT_EQ(got->comments, b.comments);
  EXPECT_EQ(got->create_date, b.create_date);
  EXPECT_EQ(got->session_date, b.session_date);
  ExpectProfile(got->candidate, candidate);
  ExpectProfile(got->client, client);

  const auto plain = Session().FindBooking(10);
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->rejection_kind || plain->rescheduled_from || plain->deleted_by_client ||
               plain->deleted_by_candidate || plain->settled);
  const auto settled = Session().FindBooking(12);
  ASSERT_TRUE(settled.has_value());
  EXPECT_TRUE(settled->settled);
  EXPECT_TRUE(settled->deleted_by_client);
  EXPECT_EQ(settled->status, BookingStatus::kConfirmed);
  EXPECT_FALSE(Session().FindBooking(13).has_value());

  // The made list carries the new columns too.
  const auto made = Session().MadeBookingsPage(Query(3, BookingOrder::kDateAsc), 0, 10);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].booking_id, 10);
  EXPECT_EQ(made[0].client_user_id, 3);
  ExpectProfile(made[0].candidate, candidate);
}

TEST_P(StoreContract, FindUserReadsTheProfileAndEverySetting) {
  UserRecord full = FullUser(5, "Setter");
  full.offers_phonechat = true;
  full.phonechat_ppm = Credits{12'345};
  full.offer_direct_chat = true;
  full.direct_chat_only = true;
  full.direct_chat_ppm = Credits{6'789};
  full.show_phonechat_number = true;
  const UserRecord bare = User(6, "Bare");
  Put({full, bare});

  const auto got = Session().FindUser(5);
  ASSERT_TRUE(got.has_value());
  ExpectProfile(got->profile, full);
  EXPECT_TRUE(got->settings.offers_phonechat);
  EXPECT_EQ(got->settings.phonechat_ppm, full.phonechat_ppm);
  EXPECT_TRUE(got->settings.offer_direct_chat);
  ASSERT_TRUE(got->settings.direct_chat.has_value());
  EXPECT_TRUE(got->settings.direct_chat->direct_chat_only);
  EXPECT_EQ(got->settings.direct_chat->ppm, Credits{6'789});
  EXPECT_EQ(got->settings.phonechat_number, full.phonechat_number);
  EXPECT_TRUE(got->settings.show_phonechat_number);

  const auto plain = Session().FindUser(6);
  ASSERT_TRUE(plain.has_value());
  ExpectProfile(plain->profile, bare);
  EXPECT_FALSE(plain->settings.offers_phonechat || plain->settings.offer_direct_chat ||
               plain->settings.show_phonechat_number);
  EXPECT_FALSE(plain->settings.direct_chat || plain->settings.phonechat_ppm || plain->settings.phonechat_number);
  EXPECT_FALSE(Session().FindUser(99).has_value());
}

TEST_P(StoreContract, TheReceivedSideListsTheCandidatesBookingsInEveryOrderByTheClientsNickname) {
  // Candidate 1 receives 40 bookings from clients whose nicknames tie when folded; one it deleted (left out), one
  // the client deleted (kept: that is the client's list), one received by another candidate.
  const std::vector<UserRecord> users{User(1, "Candidate"), User(2, "Other"),   User(10, "anna"), User(11, "Anna"),
                                      User(12, "ANNA"),     User(13, "_Under"), User(14, "Zed"),  User(15, "zed"),
                                      User(16, "Émile"),    User(17, "b")};
  const std::map<UserId, std::string> nick{{10, "anna"}, {11, "Anna"}, {12, "ANNA"},  {13, "_Under"},
                                           {14, "Zed"},  {15, "zed"},  {16, "Émile"}, {17, "b"}};
  std::vector<BookingRecord> bookings;
  std::vector<Expected> expected;
  for (BookingId id = 1; id <= 40; ++id) {
    const UserId client = 10 + (id * 3) % 8;
    const std::int64_t create = kJan2020 + (id % 5) * kDay;
    const std::int64_t session = kJan2020 + 30 * kDay - (id % 4) * kMinute;
    bookings.push_back(Booking(id, client, 1, create, session));
    expected.push_back({id, create, session, nick.at(client)});
  }
  auto deleted = Booking(41, 10, 1, kJan2020, kJan2020);
  deleted.booking.deleted_by_candidate = true;
  bookings.push_back(deleted);
  auto deleted_by_client = Booking(43, 17, 1, kJan2020 + 3 * kDay, kJan2020);
  deleted_by_client.deleted_by_client = true;
  bookings.push_back(deleted_by_client);
  expected.push_back({43, kJan2020 + 3 * kDay, kJan2020, "b"});
  bookings.push_back(Booking(42, 10, 2, kJan2020, kJan2020));
  Put(users, bookings);

  const std::int64_t from = kJan2020 + 2 * kDay;
  std::vector<Expected> kept;
  std::copy_if(expected.begin(), expected.end(), std::back_inserter(kept),
               [&](const Expected& e) { return e.create >= from; });
  ASSERT_LT(kept.size(), expected.size());
  for (const auto order : AllOrders()) {
    EXPECT_EQ(Ids(Received(1, order)), ExpectedOrder(expected, order)) << order.Name();
    EXPECT_EQ(Ids(Received(1, order, LocalDateTime{from})), ExpectedOrder(kept, order)) << order.Name();
    for (const std::optional<LocalDateTime> start :
         {std::optional<LocalDateTime>{}, std::optional{LocalDateTime{from}}}) {
      const auto want = ExpectedOrder(start ? kept : expected, order);
      for (const std::int64_t offset : {std::int64_t{0}, std::int64_t{7}, std::int64_t{1'000}}) {
        const CountedPage counted = Session().CountAndPage(Received(1, order, start), offset, 9);
        EXPECT_EQ(counted.total, static_cast<std::int64_t>(want.size())) << order.Name();
        std::vector<BookingId> page;
        for (auto i = offset; i < std::min<std::int64_t>(offset + 9, static_cast<std::int64_t>(want.size())); ++i) {
          page.push_back(want[static_cast<std::size_t>(i)]);
        }
        EXPECT_EQ(IdsOf(counted.rows), page) << order.Name() << " offset " << offset;
      }
    }
  }
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt, BookingSide::kReceived),
            static_cast<std::int64_t>(expected.size()));
  EXPECT_EQ(Session().CountMadeBookings(1, LocalDateTime{from}, BookingSide::kReceived),
            static_cast<std::int64_t>(kept.size()));
  EXPECT_EQ(Session().CountMadeBookings(2, std::nullopt, BookingSide::kReceived), 1);
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt, BookingSide::kMade), 0) << "1 made none";
  EXPECT_EQ(Session().CountMadeBookings(10, std::nullopt, BookingSide::kMade), 7)
      << "the candidate's deletion is not the client's";

  // Each row carries the client's profile and the candidate's ID.
  const auto page = Session().MadeBookingsPage(Received(1, BookingOrder::kNicknameDesc), 0, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].client.nickname, "Émile");
  EXPECT_EQ(page[0].client.user_id, 16);
  EXPECT_EQ(page[0].client_user_id, 16);
  EXPECT_EQ(page[0].candidate.user_id, 1);
}

TEST_P(StoreContract, TheReceivedNicknameOrderFollowsAClientsRename) {
  Put({User(1, "Candidate"), User(10, "alpha"), User(11, "Mike")},
      {Booking(1, 10, 1, kJan2020, kJan2020), Booking(2, 11, 1, kJan2020, kJan2020)});
  EXPECT_EQ(Ids(Received(1, BookingOrder::kNicknameAsc)), (std::vector<BookingId>{1, 2}));
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutUser(User(10, "ZULU"), true), "");
    batch->Commit();
  }
  EXPECT_EQ(Ids(Received(1, BookingOrder::kNicknameAsc)), (std::vector<BookingId>{2, 1}));
  EXPECT_EQ(Session().MadeBookingsPage(Received(1, BookingOrder::kNicknameAsc), 1, 1).at(0).client.nickname, "ZULU");
}

TEST_P(StoreContract, AVersion3DatabaseIsMigratedKeepingEveryRowAndFillingTheNewColumns) {
  if (!GetParam().create_version3) GTEST_SKIP() << "this backend's test support cannot create a version-3 database";
  store_.reset();
  TempDir v3_dir;
  location_ = GetParam().location(v3_dir);
  GetParam().create_version3(location_);
  Exec(
      "INSERT INTO users (user_id, nickname, phonechat_number, skype_name, positive, neutral, negative, disputes) "
      "VALUES (1, 'Client', NULL, NULL, 0, 0, 0, 0), (2, 'Cand', '+4411', 'cand.s', 1, 2, 3, 4), "
      "(3, 'Zoe', NULL, NULL, 0, 0, 0, 0)");
  const std::string columns =
      "INSERT INTO bookings (booking_id, client_user_id, candidate_user_id, candidate_nickname_key, "
      "duration_minutes, credits, status, method, create_date, session_date, accept_by, rejected_reason, "
      "deleted_by_client) VALUES ";
  const std::string day = std::to_string(kJan2020);
  Exec(columns + "(1, 1, 2, 'cand', 15, 80000, 'Confirmed', 2, " + day + ", " + day + ", " + day + ", NULL, FALSE)");
  Exec(columns + "(2, 1, 2, 'cand', 30, 50000, 'Rejected', 1, " + day + ", " + day + ", " + day +
       ", 'The booking was not accepted in time.', FALSE)");
  Exec(columns + "(3, 1, 2, 'cand', 15, 70000, 'Rejected', 1, " + day + ", " + day + ", " + day + ", 'Busy', TRUE)");
  Exec(columns + "(4, 3, 2, 'cand', 15, 60000, 'Pending', 3, " + day + ", " + day + ", " + day + ", NULL, FALSE)");

  store_ = GetParam().open(location_);
  EXPECT_FALSE(store_->IsEmpty());
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 2);
  const auto confirmed = Session().FindBooking(1);
  ASSERT_TRUE(confirmed.has_value());
  EXPECT_EQ(confirmed->status, BookingStatus::kConfirmed);
  EXPECT_EQ(confirmed->offered_credits, Credits{80'000});
  EXPECT_EQ(confirmed->credits, Credits{80'000});
  EXPECT_TRUE(confirmed->settled) << "no Payment was ever made for it";
  EXPECT_FALSE(confirmed->rejection_kind || confirmed->rescheduled_from || confirmed->deleted_by_candidate);
  EXPECT_EQ(confirmed->client.nickname, "Client");
  EXPECT_EQ(confirmed->candidate.skype_name, "cand.s");
  const auto lapsed = Session().FindBooking(2);
  ASSERT_TRUE(lapsed.has_value());
  EXPECT_EQ(lapsed->rejection_kind, RejectionKind::kLapsed);
  EXPECT_EQ(lapsed->offered_credits, Credits{50'000});
  EXPECT_FALSE(lapsed->settled);
  const auto refused = Session().FindBooking(3);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->rejection_kind, RejectionKind::kCandidate);
  EXPECT_TRUE(refused->deleted_by_client);
  const auto pending = Session().FindBooking(4);
  ASSERT_TRUE(pending.has_value());
  EXPECT_FALSE(pending->rejection_kind.has_value());
  // client_nickname_key was filled: the received list orders by the clients' nicknames.
  EXPECT_EQ(Ids(Received(2, BookingOrder::kNicknameDesc)), (std::vector<BookingId>{4, 3, 2, 1}));
  const auto user = Session().FindUser(2);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->profile.disputes, 4);
  EXPECT_FALSE(user->settings.offers_phonechat || user->settings.direct_chat);
  const LedgerAudit audit = store_->AuditLedger();
  EXPECT_EQ(audit.entries, 0);
  EXPECT_TRUE(audit.mismatched.empty());
  EXPECT_EQ(audit.unsettled_confirmed, Credits{0});
  // And the migrated database works on: a new booking gets an ID above the imported ones.
  {
    auto transaction = store_->BeginLifecycle();
    auto fresh = transaction->LockBooking(4).value();
    EXPECT_GT(transaction->InsertBooking(fresh), 4);
  }
  session_.reset();
  store_.reset();  // before v3_dir goes
}

TEST_P(StoreContract, ALifecycleTransactionInsertsLocksAndUpdatesABookingWithBothProfiles) {
  const UserRecord client = FullUser(3, "Client");
  const UserRecord candidate = FullUser(8, "Cand");
  Put({client, candidate}, {Booking(100, 3, 8, kJan2020, kJan2020)});
  const std::optional<StoreVersion> before = Session().Version();

  StoredBooking created = Booking(0, 3, 8, kJan2020 + kMinute, kJan2020 + 3 * kDay).booking;
  created.booking_id = 555;  // ignored
  created.offered_credits = created.credits;
  created.phone_number = "+4400";
  created.comments = "first";
  created.rescheduled_from = 100;
  BookingId id = 0;
  {
    auto transaction = store_->BeginLifecycle();
    id = transaction->InsertBooking(created);
    EXPECT_GT(id, 100);
    EXPECT_EQ(transaction->RescheduledInto(100), std::optional<BookingId>{id});
    EXPECT_FALSE(transaction->RescheduledInto(id).has_value());
    const auto locked = transaction->LockBooking(id);
    ASSERT_TRUE(locked.has_value());
    EXPECT_EQ(locked->comments, "first");
    ExpectProfile(locked->candidate, candidate);
    ExpectProfile(locked->client, client);
    EXPECT_FALSE(transaction->LockBooking(id + 1).has_value());
    transaction->Commit();
  }
  {
    auto transaction = store_->BeginLifecycle();
    StoredBooking after = transaction->LockBooking(id).value();
    after.status = BookingStatus::kCancelled;
    after.credits = Credits{99'000};
    after.offered_credits = Credits{88'000};
    after.accept_by = LocalDateTime{kJan2020 + 2 * kDay};
    after.accepted_date = LocalDateTime{kJan2020 + 1};
    after.confirmed_date = LocalDateTime{kJan2020 + 2};
    after.cancelled_date = LocalDateTime{kJan2020 + 3};
    after.cancelled_reason = "changed plans";
    after.cancelled_by = CancelledBy::kClient;
    after.rejected_reason = "r";
    after.rejection_kind = RejectionKind::kCandidate;
    after.last_updated = LocalDateTime{kJan2020 + 4};
    after.deleted_by_client = true;
    after.deleted_by_candidate = true;
    after.settled = true;
    transaction->UpdateBooking(after);
    transaction->Commit();
  }
  const auto got = Session().FindBooking(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, BookingStatus::kCancelled);
  EXPECT_EQ(got->credits, Credits{99'000});
  EXPECT_EQ(got->offered_credits, Credits{88'000});
  EXPECT_EQ(got->session_date, created.session_date);
  EXPECT_EQ(got->accept_by, LocalDateTime{kJan2020 + 2 * kDay});
  EXPECT_EQ(got->accepted_date, LocalDateTime{kJan2020 + 1});
  EXPECT_EQ(got->confirmed_date, LocalDateTime{kJan2020 + 2});
  EXPECT_EQ(got->cancelled_date, LocalDateTime{kJan2020 + 3});
  EXPECT_EQ(got->cancelled_reason, "changed plans");
  EXPECT_EQ(got->cancelled_by, CancelledBy::kClient);
  EXPECT_EQ(got->rejected_reason, "r");
  EXPECT_EQ(got->rejection_kind, RejectionKind::kCandidate);
  EXPECT_EQ(got->last_updated, LocalDateTime{kJan2020 + 4});
  EXPECT_TRUE(got->deleted_by_client && got->deleted_by_candidate && got->settled);
  EXPECT_EQ(got->create_date, created.create_date);
  EXPECT_EQ(got->phone_number, "+4400");
  EXPECT_EQ(got->rescheduled_from, std::optional<BookingId>{100});
  EXPECT_EQ(Session().CountMadeBookings(3, std::nullopt), 1) << "deleted by the client now";
  {
    auto transaction = store_->BeginLifecycle();
    StoredBooking unflagged = transaction->LockBooking(id).value();
    unflagged.deleted_by_client = false;
    unflagged.deleted_by_candidate = false;
    unflagged.comments = "second";
    transaction->UpdateBooking(unflagged);
    transaction->Commit();
  }
  const auto still = Session().FindBooking(id);
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->comments, "second");
  EXPECT_TRUE(still->deleted_by_client && still->deleted_by_candidate) << "a deletion flag, once set, stays set";
  if (before) {
    const std::optional<StoreVersion> now = Session().Version();
    ASSERT_TRUE(now.has_value());
    EXPECT_NE(now->list_changes, before->list_changes) << "the list caches must see the lifecycle's commits";
    EXPECT_EQ(now->bookings, before->bookings) << "a life-cycle write must not make every list reload";
  }
}

TEST_P(StoreContract, AtMostOneBookingIsRescheduledFromEachSource) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2, kJan2020, kJan2020)});
  StoredBooking copy = Booking(0, 1, 2, kJan2020, kJan2020).booking;
  copy.rescheduled_from = 1;
  {
    auto transaction = store_->BeginLifecycle();
    transaction->InsertBooking(copy);
    transaction->Commit();
  }
  auto transaction = store_->BeginLifecycle();
  EXPECT_ANY_THROW(transaction->InsertBooking(copy));
}

TEST_P(StoreContract, LockUserAndSaveSettingsRoundTripEverySettingButOffersPhonechat) {
  UserRecord user = FullUser(4, "Setter");
  user.offers_phonechat = true;
  Put({user});
  PhoneChatSettings settings;
  settings.offers_phonechat = false;  // not SaveSettings' to write
  settings.offer_direct_chat = true;
  settings.direct_chat = DirectChatSettings{true, Credits{4'000}};
  settings.phonechat_number = "+15550100";
  settings.show_phonechat_number = true;
  settings.phonechat_ppm = Credits{25'000};
  {
    auto transaction = store_->BeginLifecycle();
    const auto locked = transaction->LockUser(4);
    ASSERT_TRUE(locked.has_value());
    ExpectProfile(locked->profile, user);
    EXPECT_TRUE(locked->settings.offers_phonechat);
    EXPECT_FALSE(transaction->LockUser(5).has_value());
    transaction->SaveSettings(4, settings);
    transaction->Commit();
  }
  auto got = Session().FindUser(4).value();
  EXPECT_TRUE(got.settings.offers_phonechat);
  EXPECT_TRUE(got.settings.offer_direct_chat);
  ASSERT_TRUE(got.settings.direct_chat.has_value());
  EXPECT_TRUE(got.settings.direct_chat->direct_chat_only);
  EXPECT_EQ(got.settings.direct_chat->ppm, Credits{4'000});
  EXPECT_EQ(got.settings.phonechat_number, "+15550100");
  EXPECT_EQ(got.profile.phonechat_number, "+15550100");
  EXPECT_TRUE(got.settings.show_phonechat_number);
  EXPECT_EQ(got.settings.phonechat_ppm, Credits{25'000});

  settings.offer_direct_chat = false;
  settings.direct_chat.reset();
  settings.phonechat_number.reset();
  settings.phonechat_ppm.reset();
  settings.show_phonechat_number = false;
  {
    auto transaction = store_->BeginLifecycle();
    transaction->SaveSettings(4, settings);
    transaction->Commit();
  }
  got = Session().FindUser(4).value();
  EXPECT_FALSE(got.settings.offer_direct_chat || got.settings.direct_chat || got.settings.phonechat_number ||
               got.settings.phonechat_ppm || got.settings.show_phonechat_number);
  EXPECT_TRUE(got.settings.offers_phonechat);
}

TEST_P(StoreContract, PostMovesBalancesRefusesAnOverdraftWritingNothingAndOnlyExternalGoesNegative) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2, kJan2020, kJan2020)});
  EXPECT_EQ(BalanceOf(1), Credits{0}) << "an account never used has nothing";
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 100'000)));
  EXPECT_EQ(BalanceOf(1), Credits{100'000});
  EXPECT_EQ(BalanceOf(kExternalAccount), Credits{-100'000});
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_FALSE(transaction->Post(Movement(LedgerKind::kPayment, 1, 1, kEscrowAccount, 100'001)));
    EXPECT_EQ(transaction->Balance(1), Credits{100'000});
    EXPECT_EQ(transaction->Balance(kEscrowAccount), Credits{0});
    EXPECT_FALSE(transaction->Post(Movement(LedgerKind::kEarning, 1, kEscrowAccount, 2, 1)));
    EXPECT_FALSE(transaction->Post(Movement(LedgerKind::kCredit, std::nullopt, 2, 1, 1)));
    // Refused movements left nothing behind: the Payment is still the booking's first.
    EXPECT_TRUE(transaction->Post(Movement(LedgerKind::kPayment, 1, 1, kEscrowAccount, 100'000)));
    EXPECT_EQ(transaction->Balance(1), Credits{0});
    EXPECT_EQ(transaction->Balance(kEscrowAccount), Credits{100'000});
    transaction->Commit();
  }
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kEarning, 1, kEscrowAccount, 2, 100'000)));
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 2, 1)));
  EXPECT_EQ(BalanceOf(2), Credits{100'001});
  EXPECT_EQ(BalanceOf(kEscrowAccount), Credits{0});
  EXPECT_EQ(BalanceOf(kExternalAccount), Credits{-100'001});
  const LedgerAudit audit = store_->AuditLedger();
  EXPECT_EQ(audit.entries, 4);
  EXPECT_TRUE(audit.mismatched.empty());
  EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0);
}

TEST_P(StoreContract, TheLedgerRefusesASecondPaymentOrEarningAndARefundAfterAnEarning) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2, kJan2020, kJan2020)});
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 500'000)));
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kPayment, 1, 1, kEscrowAccount, 100'000)));
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_ANY_THROW(transaction->Post(Movement(LedgerKind::kPayment, 1, 1, kEscrowAccount, 100'000)));
  }
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kEarning, 1, kEscrowAccount, 2, 50'000)));
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_ANY_THROW(transaction->Post(Movement(LedgerKind::kEarning, 1, kEscrowAccount, 2, 50'000)));
  }
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_ANY_THROW(transaction->Post(Movement(LedgerKind::kRefund, 1, kEscrowAccount, 1, 50'000)));
  }
  // Credits are not tied to a booking: any number of them.
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 1)));
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 1)));
  EXPECT_EQ(BalanceOf(1), Credits{400'002});
  EXPECT_EQ(BalanceOf(kEscrowAccount), Credits{50'000});
  const LedgerAudit audit = store_->AuditLedger();
  EXPECT_EQ(audit.entries, 5);
  EXPECT_TRUE(audit.mismatched.empty());
}

TEST_P(StoreContract, ALifecycleTransactionDestroyedWithoutCommitLeavesNothing) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2, kJan2020, kJan2020)});
  const std::optional<StoreVersion> before = Session().Version();
  {
    auto transaction = store_->BeginLifecycle();
    const BookingId id = transaction->InsertBooking(Booking(0, 1, 2, kJan2020, kJan2020).booking);
    EXPECT_GT(id, 1);
    StoredBooking changed = transaction->LockBooking(1).value();
    changed.status = BookingStatus::kCancelled;
    transaction->UpdateBooking(changed);
    ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 7)));
    PhoneChatSettings settings;
    settings.phonechat_ppm = Credits{1};
    transaction->SaveSettings(2, settings);
    transaction->AppendAudit(AuditEntry{1, 2, "/r", LocalDateTime{kJan2020}, "allowed"});
    transaction->StoreIdempotentAnswer(IdempotencyScope{1, 1, "/r", "k"}, IdempotentAnswer{Hash('d'), 200, "t", "b"},
                                       LocalDateTime{kJan2020});
  }
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 1);
  EXPECT_EQ(Session().FindBooking(1)->status, BookingStatus::kPending);
  EXPECT_FALSE(Session().FindBooking(2).has_value());
  EXPECT_FALSE(Session().FindUser(2)->settings.phonechat_ppm.has_value());
  EXPECT_EQ(BalanceOf(1), Credits{0});
  EXPECT_EQ(store_->AuditLedger().entries, 0);
  EXPECT_TRUE(GetParam().read_audit(location_).empty());
  EXPECT_FALSE(
      store_->BeginLifecycle()->LockIdempotencyKey(IdempotencyScope{1, 1, "/r", "k"}, LocalDateTime{0}).has_value());
  if (before) {
    EXPECT_EQ(Session().Version()->bookings, before->bookings);
    EXPECT_EQ(Session().Version()->list_changes, before->list_changes);
  }
}

TEST_P(StoreContract, ASavepointRolledBackLosesOnlyItsWritesAndOneReleasedIsCommitted) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2, kJan2020, kJan2020)});
  const std::optional<StoreVersion> before = Session().Version();
  {
    auto transaction = store_->BeginLifecycle();
    transaction->Savepoint();
    StoredBooking kept = transaction->LockBooking(1).value();
    kept.comments = "kept";
    transaction->UpdateBooking(kept);
    ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 7)));
    transaction->ReleaseSavepoint();

    transaction->Savepoint();
    const BookingId lost = transaction->InsertBooking(Booking(0, 1, 2, kJan2020, kJan2020).booking);
    ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 5)));
    transaction->StoreIdempotentAnswer(IdempotencyScope{1, 1, "/r", "k"}, IdempotentAnswer{Hash('d'), 200, "t", "b"},
                                       LocalDateTime{kJan2020});
    transaction->RollbackToSavepoint();
    EXPECT_FALSE(transaction->LockBooking(lost).has_value());
    EXPECT_EQ(transaction->Balance(1), Credits{7});

    // The transaction goes on after a rollback, and a later savepoint is kept.
    transaction->Savepoint();
    ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 100)));
    transaction->ReleaseSavepoint();
    transaction->Commit();
  }
  EXPECT_EQ(Session().FindBooking(1)->comments, "kept");
  EXPECT_EQ(Session().CountMadeBookings(1, std::nullopt), 1);
  EXPECT_EQ(BalanceOf(1), Credits{107});
  EXPECT_EQ(store_->AuditLedger().entries, 2);
  EXPECT_FALSE(
      store_->BeginLifecycle()->LockIdempotencyKey(IdempotencyScope{1, 1, "/r", "k"}, LocalDateTime{0}).has_value());
  if (before) {
    EXPECT_NE(Session().Version()->list_changes, before->list_changes);
  }
}

TEST_P(StoreContract, TwoTransactionsOnOneBookingSerialiseAndTheSecondSeesTheFirstsWrite) {
  Put({User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2, kJan2020, kJan2020)});
  auto first = store_->BeginLifecycle();
  StoredBooking booking = first->LockBooking(1).value();
  std::atomic<bool> second_locked{false};
  std::optional<std::string> seen;
  std::thread second([&] {
    auto transaction = store_->BeginLifecycle();
    const auto locked = transaction->LockBooking(1);
    second_locked = true;
    if (locked) seen = locked->comments;
    transaction->Commit();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(second_locked.load()) << "the second transaction read the booking while the first held it";
  booking.comments = "written by the first";
  first->UpdateBooking(booking);
  first->Commit();
  second.join();
  EXPECT_TRUE(second_locked.load());
  EXPECT_EQ(seen, "written by the first");
}

TEST_P(StoreContract, IdempotentAnswersAreStoredFoundByTheirWholeScopeReplacedWhenExpiredAndPurged) {
  Put({User(1, "Client")});
  const IdempotencyScope scope{1, 1, "/v1/PhoneChat/CreateBooking", "key-1"};
  std::string digest = Hash('\0');
  digest[5] = '\xff';
  const IdempotentAnswer answer{digest, 201, "application/json; charset=utf-8", "{\"BookingID\":7}"};
  const LocalDateTime stored_at{kJan2020 + kDay};
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_FALSE(transaction->LockIdempotencyKey(scope, LocalDateTime{kJan2020}).has_value());
    transaction->StoreIdempotentAnswer(scope, answer, stored_at);
    transaction->Commit();
  }
  {
    auto transaction = store_->BeginLifecycle();
    const auto found = transaction->LockIdempotencyKey(scope, LocalDateTime{kJan2020});
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->body_digest, digest);
    EXPECT_EQ(found->status, 201);
    EXPECT_EQ(found->content_type, answer.content_type);
    EXPECT_EQ(found->body, answer.body);
    for (const auto& other :
         {IdempotencyScope{2, 1, scope.route, scope.key}, IdempotencyScope{1, 2, scope.route, scope.key},
          IdempotencyScope{1, 1, "/v1/PhoneChat/Other", scope.key}, IdempotencyScope{1, 1, scope.route, "KEY-1"}}) {
      EXPECT_FALSE(transaction->LockIdempotencyKey(other, LocalDateTime{kJan2020}).has_value()) << other.key;
    }
  }
  {
    // Expired: not found, and a new answer replaces it.
    auto transaction = store_->BeginLifecycle();
    EXPECT_FALSE(transaction->LockIdempotencyKey(scope, LocalDateTime{stored_at.millis + 1}).has_value());
    transaction->StoreIdempotentAnswer(scope, IdempotentAnswer{Hash('n'), 409, "text/plain", "new"},
                                       LocalDateTime{kJan2020 + 3 * kDay});
    transaction->StoreIdempotentAnswer(IdempotencyScope{1, 1, scope.route, "key-2"}, answer, stored_at);
    transaction->Commit();
  }
  {
    auto transaction = store_->BeginLifecycle();
    const auto found = transaction->LockIdempotencyKey(scope, LocalDateTime{kJan2020 + 2 * kDay});
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->status, 409);
    EXPECT_EQ(found->body, "new");
    EXPECT_EQ(found->body_digest, Hash('n'));
    EXPECT_EQ(transaction->PurgeIdempotencyKeys(LocalDateTime{kJan2020 + 2 * kDay}), 1) << "key-2 only";
    transaction->Commit();
  }
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_FALSE(
        transaction->LockIdempotencyKey(IdempotencyScope{1, 1, scope.route, "key-2"}, LocalDateTime{0}).has_value());
    EXPECT_TRUE(transaction->LockIdempotencyKey(scope, LocalDateTime{0}).has_value());
    EXPECT_EQ(transaction->PurgeIdempotencyKeys(LocalDateTime{kJan2020 + 4 * kDay}), 1);
    EXPECT_EQ(transaction->PurgeIdempotencyKeys(LocalDateTime{kJan2020 + 4 * kDay}), 0);
    transaction->Commit();
  }
}

TEST_P(StoreContract, ASecondTransactionOnTheSameIdempotencyKeyWaitsAndFindsTheFirstsAnswer) {
  Put({User(1, "Client")});
  const IdempotencyScope scope{1, 1, "/v1/PhoneChat/CreateBooking", "same"};
  auto first = store_->BeginLifecycle();
  ASSERT_FALSE(first->LockIdempotencyKey(scope, LocalDateTime{0}).has_value());
  std::atomic<bool> second_done{false};
  std::optional<IdempotentAnswer> seen;
  std::thread second([&] {
    auto transaction = store_->BeginLifecycle();
    seen = transaction->LockIdempotencyKey(scope, LocalDateTime{0});
    second_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(second_done.load()) << "the second transaction did not wait for the first";
  first->StoreIdempotentAnswer(scope, IdempotentAnswer{Hash('x'), 200, "text/plain", "first"}, LocalDateTime{kJan2020});
  first->Commit();
  second.join();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->body, "first");
}

TEST_P(StoreContract, TheLedgerAuditIsCleanAfterMovementsAndNamesAnAccountWhoseBalanceWasAltered) {
  std::vector<BookingRecord> bookings{Booking(1, 1, 2, kJan2020, kJan2020), Booking(2, 1, 2, kJan2020, kJan2020),
                                      Booking(3, 1, 2, kJan2020, kJan2020)};
  for (auto& record : bookings) {
    record.booking.status = BookingStatus::kConfirmed;
    record.booking.settled = true;  // no imported Payment
  }
  Put({User(1, "Client"), User(2, "Cand")}, bookings);
  ASSERT_TRUE(PostAlone(Movement(LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, 300'000)));
  {
    auto transaction = store_->BeginLifecycle();
    for (BookingId id = 1; id <= 3; ++id) {
      ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kPayment, id, 1, kEscrowAccount, 10'000 * id)));
      StoredBooking booking = transaction->LockBooking(id).value();
      booking.credits = Credits{10'000 * id};
      booking.settled = false;
      transaction->UpdateBooking(booking);
    }
    transaction->Commit();
  }
  {
    auto transaction = store_->BeginLifecycle();
    ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kEarning, 1, kEscrowAccount, 2, 10'000)));
    ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kRefund, 2, kEscrowAccount, 1, 20'000)));
    StoredBooking earned = transaction->LockBooking(1).value();
    earned.settled = true;
    transaction->UpdateBooking(earned);
    StoredBooking refunded = transaction->LockBooking(2).value();
    refunded.status = BookingStatus::kCancelled;
    transaction->UpdateBooking(refunded);
    transaction->Commit();
  }
  LedgerAudit audit = store_->AuditLedger();
  EXPECT_EQ(audit.entries, 6);
  EXPECT_TRUE(audit.mismatched.empty());
  EXPECT_EQ(audit.escrow, Credits{30'000});
  EXPECT_EQ(audit.unsettled_confirmed, Credits{30'000}) << "booking 3 only";
  EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0);

  Exec("UPDATE accounts SET balance = balance + 5 WHERE account_id = 2");
  audit = store_->AuditLedger();
  ASSERT_EQ(audit.mismatched.size(), 1u);
  EXPECT_EQ(audit.mismatched[0].account, 2);
  EXPECT_EQ(audit.mismatched[0].running_balance, Credits{10'005});
  EXPECT_EQ(audit.mismatched[0].from_rows_ten_thousandths, 10'000);
  EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0) << "the rows themselves still balance";
}

TEST_P(StoreContract, DueSettlementsAreTheConfirmedUnsettledBookingsWhoseSessionIsOverOldestFirst) {
  const std::int64_t now = kJan2020 + 10 * kDay;
  const auto make = [&](BookingId id, UserId candidate, BookingStatus status, std::int64_t session, bool settled) {
    auto record = Booking(id, 1, candidate, kJan2020, session);
    record.booking.status = status;
    record.booking.settled = settled;
    record.booking.duration_minutes = 30;
    return record;
  };
  Put({User(1, "Client"), User(2, "Cand"), User(3, "Other")},
      {make(1, 2, BookingStatus::kConfirmed, now - 30 * kMinute, false),      // ends exactly now
       make(2, 2, BookingStatus::kConfirmed, now - 30 * kMinute + 1, false),  // ends a millisecond later
       make(3, 2, BookingStatus::kConfirmed, now - 5 * kDay, false),          // long over
       make(4, 2, BookingStatus::kConfirmed, now - 5 * kDay, true),           // settled
       make(5, 2, BookingStatus::kAccepted, now - 5 * kDay, false),           // not Confirmed
       make(6, 3, BookingStatus::kConfirmed, now - 4 * kDay, false)});        // another candidate's
  auto transaction = store_->BeginLifecycle();
  EXPECT_EQ(IdsOf(transaction->DueSettlements(2, LocalDateTime{now})), (std::vector<BookingId>{3, 1}));
  EXPECT_EQ(IdsOf(transaction->DueSettlements(3, LocalDateTime{now})), (std::vector<BookingId>{6}));
  EXPECT_TRUE(transaction->DueSettlements(1, LocalDateTime{now}).empty());
  const auto due = transaction->DueSettlements(2, LocalDateTime{now});
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].candidate.nickname, "Cand");
  EXPECT_EQ(due[0].client.nickname, "Client");
  auto anyone = IdsOf(transaction->DueSettlementsOfAnyone(LocalDateTime{now}, 10));
  std::sort(anyone.begin(), anyone.end());
  EXPECT_EQ(anyone, (std::vector<BookingId>{1, 3, 6}));
  EXPECT_EQ(transaction->DueSettlementsOfAnyone(LocalDateTime{now}, 2).size(), 2u);
}

TEST_P(StoreContract, LiveClientCallsBookingFindsAMethod2BookingWhoseSessionIsStillAhead) {
  const std::int64_t now = kJan2020 + 10 * kDay;
  const auto make = [&](BookingId id, BookingStatus status, ContactMethod method, std::int64_t session) {
    auto record = Booking(id, 1, 2, kJan2020, session);
    record.booking.status = status;
    record.booking.method = method;
    record.booking.duration_minutes = 30;
    return record;
  };
  Put({User(1, "Client"), User(2, "Cand")},
      {make(1, BookingStatus::kAccepted, ContactMethod::kClientCalls, now),                  // session starts now
       make(2, BookingStatus::kConfirmed, ContactMethod::kClientCalls, now - 30 * kMinute),  // over now
       make(3, BookingStatus::kPending, ContactMethod::kClientCalls, now + kDay),
       make(4, BookingStatus::kAccepted, ContactMethod::kSkype, now + kDay)});
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_FALSE(transaction->LiveClientCallsBooking(2, LocalDateTime{now}).has_value());
    const auto live = transaction->LiveClientCallsBooking(2, LocalDateTime{now - 1});
    EXPECT_TRUE(live == 1 || live == 2) << "1 starts later, 2 is not over yet";
    EXPECT_FALSE(transaction->LiveClientCallsBooking(1, LocalDateTime{now - 1}).has_value()) << "1 is the client";
  }
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(
        batch->PutBooking(make(5, BookingStatus::kConfirmed, ContactMethod::kClientCalls, now - 29 * kMinute), false),
        "");
    batch->Commit();
  }
  auto transaction = store_->BeginLifecycle();
  EXPECT_EQ(transaction->LiveClientCallsBooking(2, LocalDateTime{now}), std::optional<BookingId>{5});
}

TEST_P(StoreContract, GroupChecksAndTheAuditEntryWorkInsideALifecycleTransaction) {
  Put({User(1, "Manager"), User(2, "Member")});
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutGroup(GroupRecord{1, "One", 1, {2}}, false), "");
    batch->Commit();
  }
  auto transaction = store_->BeginLifecycle();
  EXPECT_TRUE(transaction->IsGroupManager(1));
  EXPECT_FALSE(transaction->IsGroupManager(2));
  EXPECT_TRUE(transaction->IsMemberOfManagedGroup(1, 2));
  EXPECT_FALSE(transaction->IsMemberOfManagedGroup(2, 1));
  transaction->AppendAudit(AuditEntry{1, 2, "/v1/Groups/x", LocalDateTime{kJan2020}, "allowed"});
  transaction->Commit();
  const auto entries = GetParam().read_audit(location_);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].route, "/v1/Groups/x");
}

TEST_P(StoreContract, TheImportPaysEscrowForAConfirmedUnsettledBookingAndRecordsCredits) {
  auto unsettled = Booking(1, 1, 2, kJan2020, kJan2020);
  unsettled.booking.status = BookingStatus::kConfirmed;
  unsettled.booking.credits = Credits{70'000};
  auto settled = Booking(2, 1, 2, kJan2020, kJan2020);
  settled.booking.status = BookingStatus::kConfirmed;
  settled.booking.settled = true;
  auto pending = Booking(3, 1, 2, kJan2020, kJan2020);
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutUser(User(1, "Client"), false), "");
    ASSERT_EQ(batch->PutUser(User(2, "Cand"), false), "");
    ASSERT_EQ(batch->PutCredit(CreditRecord{1, Credits{250'000}, LocalDateTime{kJan2020}, "Welcome credits"}), "");
    ASSERT_EQ(batch->PutCredit(CreditRecord{1, Credits{5}, LocalDateTime{kJan2020 + 1}, ""}), "");
    EXPECT_NE(batch->PutCredit(CreditRecord{9, Credits{5}, LocalDateTime{kJan2020}, "x"}), "") << "unknown user";
    for (const auto& record : {unsettled, settled, pending}) ASSERT_EQ(batch->PutBooking(record, false), "");
    batch->Commit();
  }
  EXPECT_EQ(BalanceOf(1), Credits{250'005});
  EXPECT_EQ(BalanceOf(kEscrowAccount), Credits{70'000});
  EXPECT_EQ(BalanceOf(kExternalAccount), Credits{-320'005});
  LedgerAudit audit = store_->AuditLedger();
  EXPECT_EQ(audit.entries, 3);
  EXPECT_TRUE(audit.mismatched.empty());
  EXPECT_EQ(audit.escrow, Credits{70'000});
  EXPECT_EQ(audit.unsettled_confirmed, Credits{70'000});
  EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0);
  // The imported Payment balances the Earning that settles it later; a second Payment is refused.
  {
    auto transaction = store_->BeginLifecycle();
    const auto due = transaction->DueSettlements(2, LocalDateTime{kJan2020 + kDay});
    ASSERT_EQ(IdsOf(due), (std::vector<BookingId>{1}));
    EXPECT_TRUE(transaction->Post(Movement(LedgerKind::kEarning, 1, kEscrowAccount, 2, 70'000)));
    transaction->Commit();
  }
  {
    auto transaction = store_->BeginLifecycle();
    EXPECT_ANY_THROW(transaction->Post(Movement(LedgerKind::kPayment, 1, 1, kEscrowAccount, 70'000)));
  }
  audit = store_->AuditLedger();
  EXPECT_EQ(audit.escrow, Credits{0});
  EXPECT_TRUE(audit.mismatched.empty());
}

TEST_P(StoreContract, TheImportStoresTheUsersSettingsAndTheBookingsNewColumnsAndReplacesThem) {
  UserRecord user = FullUser(2, "Cand");
  user.offers_phonechat = true;
  user.phonechat_ppm = Credits{3};
  Put({User(1, "Client"), user});
  auto record = Booking(1, 1, 2, kJan2020, kJan2020);
  record.booking.offered_credits = Credits{1};
  record.booking.status = BookingStatus::kRejected;
  record.booking.rejection_kind = RejectionKind::kLapsed;
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutBooking(record, false), "");
    user.offers_phonechat = false;
    user.phonechat_ppm.reset();
    user.offer_direct_chat = true;
    user.direct_chat_ppm = Credits{9};
    ASSERT_EQ(batch->PutUser(user, true), "");
    batch->Commit();
  }
  auto got = Session().FindBooking(1).value();
  EXPECT_EQ(got.offered_credits, Credits{1});
  EXPECT_EQ(got.rejection_kind, RejectionKind::kLapsed);
  const auto settings = Session().FindUser(2).value().settings;
  EXPECT_FALSE(settings.offers_phonechat || settings.phonechat_ppm);
  ASSERT_TRUE(settings.direct_chat.has_value());
  EXPECT_EQ(settings.direct_chat->ppm, Credits{9});
  EXPECT_FALSE(settings.direct_chat->direct_chat_only);
  record.booking.rejection_kind.reset();
  record.booking.status = BookingStatus::kPending;
  record.booking.deleted_by_candidate = true;
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutBooking(record, true), "");
    batch->Commit();
  }
  got = Session().FindBooking(1).value();
  EXPECT_FALSE(got.rejection_kind.has_value());
  EXPECT_TRUE(got.deleted_by_candidate);
  EXPECT_EQ(Session().CountMadeBookings(2, std::nullopt, BookingSide::kReceived), 0);
}

TEST_P(StoreContract, AReplaceKeepsTheLedgerWholeAndRefusesToChangeABookingWhoseCreditsMoved) {
  Put({User(1, "Client"), User(2, "Cand"), User(3, "Other")});
  auto confirmed = Booking(1, 1, 2, kJan2020, kJan2020 + kDay);
  confirmed.booking.status = BookingStatus::kConfirmed;
  confirmed.booking.confirmed_date = LocalDateTime{kJan2020};
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutBooking(confirmed, false), "");
    batch->Commit();
  }
  const auto expect_whole = [&](std::int64_t entries, Credits escrow) {
    const LedgerAudit audit = store_->AuditLedger();
    EXPECT_EQ(audit.entries, entries);
    EXPECT_TRUE(audit.mismatched.empty());
    EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0);
    EXPECT_EQ(audit.escrow, escrow);
    EXPECT_EQ(audit.unsettled_confirmed, escrow);
  };
  expect_whole(1, Credits{80'000});

  {
    auto batch = store_->BeginWriteBatch();
    auto pending = confirmed;
    pending.booking.status = BookingStatus::kPending;
    const std::string reason = batch->PutBooking(pending, true);
    EXPECT_NE(reason.find("Booking 1 cannot be replaced: its credits are held in escrow"), std::string::npos) << reason;
  }
  EXPECT_EQ(Session().FindBooking(1)->status, BookingStatus::kConfirmed);
  expect_whole(1, Credits{80'000});

  // The same ledger effect is replaced, and stays in escrow although the record calls it settled. A booking the
  // batch itself confirmed, then replaced as Pending, leaves no Payment behind.
  {
    auto batch = store_->BeginWriteBatch();
    auto same = confirmed;
    same.booking.settled = true;
    same.booking.comments = "Later the same day";
    ASSERT_EQ(batch->PutBooking(same, true), "");
    auto fresh = Booking(2, 1, 2, kJan2020, kJan2020 + kDay);
    fresh.booking.status = BookingStatus::kConfirmed;
    ASSERT_EQ(batch->PutBooking(fresh, false), "");
    fresh.booking.status = BookingStatus::kPending;
    ASSERT_EQ(batch->PutBooking(fresh, true), "");
    batch->Commit();
  }
  auto stored = Session().FindBooking(1).value();
  EXPECT_EQ(stored.comments, "Later the same day");
  EXPECT_FALSE(stored.settled);
  EXPECT_EQ(Session().FindBooking(2)->status, BookingStatus::kPending);
  expect_whole(1, Credits{80'000});

  // Once earned, it stays settled, and its Credits are kept.
  {
    auto transaction = store_->BeginLifecycle();
    auto locked = transaction->LockBooking(1).value();
    ASSERT_TRUE(transaction->Post(Movement(LedgerKind::kEarning, 1, kEscrowAccount, 2, 80'000)));
    locked.settled = true;
    transaction->UpdateBooking(locked);
    transaction->Commit();
  }
  {
    auto batch = store_->BeginWriteBatch();
    auto more = confirmed;
    more.booking.credits = Credits{90'000};
    const std::string reason = batch->PutBooking(more, true);
    EXPECT_NE(reason.find("its credits were paid to the candidate"), std::string::npos) << reason;
    EXPECT_NE(reason.find("Credits from 8 to 9"), std::string::npos) << reason;
  }
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutBooking(confirmed, true), "");
    batch->Commit();
  }
  EXPECT_TRUE(Session().FindBooking(1)->settled);
  EXPECT_EQ(BalanceOf(2), Credits{80'000});
  expect_whole(2, Credits{0});
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace phonechat::testing
