// The storage contract: what every backend must do, written against Store, StoreSession and WriteBatch only.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <tuple>

#include "core/error.hpp"
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

  TempDir dir_;
  std::string location_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreSession> session_;
};

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

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace phonechat::testing
