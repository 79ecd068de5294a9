// The serving thread's caches (service/made_bookings_cache, service/lookup_cache) over a real store: every cached
// answer is byte for byte the uncached one, across orders, filters, pages, formats, instants, imports, nickname
// changes and evictions; and the store's version moves exactly when a cache must forget.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "auth/secrets.hpp"
#include "serialization/body_writer.hpp"
#include "service/authentication.hpp"
#include "service/lookup_cache.hpp"
#include "service/made_bookings_cache.hpp"
#include "service/made_bookings_service.hpp"
#include "storage/lifecycle_store.hpp"
#include "storage/store.hpp"
#include "storage_test_support.hpp"

namespace phonechat::testing {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kJan2027 = 20'819 * kDay;  // 2027-01-01T00:00 as LocalDateTime::millis
constexpr UserId kClient = 100;
constexpr UserId kOtherClient = 101;

UserRecord User(UserId id, std::string nickname) {
  UserRecord user;
  user.user_id = id;
  user.nickname = std::move(nickname);
  user.phonechat_number = "+4477" + std::to_string(id);
  user.skype_name = "live:" + std::to_string(id);
  user.positive = id % 7;
  return user;
}

// Candidates 1-12: nicknames that tie when folded, sort around `_` and are not ASCII.
std::vector<UserRecord> Users() {
  const std::vector<std::string> nicknames{"anna",  "Anna", "ANNA", "_Under", "Zed", "zed",
                                           "Émile", "b",    "[x]",  "annab",  "<&>", "Quote\"d"};
  std::vector<UserRecord> users;
  for (std::size_t i = 0; i < nicknames.size(); ++i) users.push_back(User(static_cast<UserId>(i + 1), nicknames[i]));
  users.push_back(User(kClient, "Client"));
  users.push_back(User(kOtherClient, "Other"));
  return users;
}

// `count` bookings of `client` from booking ID `first_id`: every status and method, CreateDate and SessionDate
// ties, deadlines and sessions around `kJan2027` so that views change with the instant, a few deleted.
std::vector<BookingRecord> Bookings(UserId client, BookingId first_id, int count, std::uint32_t seed) {
  std::mt19937 random(seed);
  const auto pick = [&random](int n) { return static_cast<int>(random() % static_cast<std::uint32_t>(n)); };
  std::vector<BookingRecord> bookings;
  for (int i = 0; i < count; ++i) {
    BookingRecord record;
    StoredBooking& b = record.booking;
    b.booking_id = first_id + i;
    b.client_user_id = client;
    b.candidate.user_id = 1 + pick(12);
    b.duration_minutes = 10 + 5 * pick(6);
    b.credits = Credits{10'000 * (1 + pick(90))};
    b.status = static_cast<BookingStatus>(pick(5));
    b.method = static_cast<ContactMethod>(1 + pick(3));
    if (b.method == ContactMethod::kCandidateCalls) b.phone_number = "+4420" + std::to_string(i);
    if (b.method == ContactMethod::kSkype) b.skype_name = "live:client" + std::to_string(i);
    b.create_date = LocalDateTime{kJan2027 - pick(40) * kDay - pick(3) * kMinute};
    b.session_date = LocalDateTime{kJan2027 + (pick(9) - 4) * kDay + pick(4) * 15 * kMinute};
    b.accept_by = LocalDateTime{kJan2027 + (pick(5) - 2) * kDay};
    if (b.status == BookingStatus::kCancelled) {
      b.cancelled_date = b.create_date;
      b.cancelled_by = CancelledBy::kClient;
      b.cancelled_reason = "Changed <plans> & \"more\"";
    }
    if (b.status == BookingStatus::kRejected) b.rejected_reason = "Busy";
    if (pick(3) == 0) b.comments = "Line one\r\nline two \xC3\xA9";
    record.deleted_by_client = pick(25) == 0;
    bookings.push_back(record);
  }
  return bookings;
}

// Project "client" of user 1, with API key `api_key`.
ProjectRecord ClientProject(std::string api_key) {
  ProjectRecord project;
  project.name = "p";
  project.owner_user_id = 1;
  project.api_key = std::move(api_key);
  project.client_id = "client";
  return project;
}

std::string Uncached(StoreSession& session, const MadeBookingsQuery& query, LocalDateTime now, BodyFormat format) {
  const MadeBookingsAnswer answer = ListMadeBookings(session, query, now);
  std::string body;
  WriteMadeBookings(body, answer.page, format);
  return body;
}

// The page from `cache` as a serving thread gets it: after a Sync with the store's version where the backend
// reports one, else under the client's list stamp read first.
std::string Cached(MadeBookingsCache& cache, StoreSession& session, const MadeBookingsQuery& query, LocalDateTime now,
                   BodyFormat format) {
  std::string body;
  if (const auto version = session.Version()) {
    cache.Sync(*version, session);
    cache.WritePage(session, query, now, format, body);
    return body;
  }
  const std::optional<ListStamp> stamp = session.ReadListStamp(query.client_user_id);
  EXPECT_TRUE(stamp) << "a backend reports a version or stamps lists";
  cache.WritePage(session, query, now, format, body, stamp);
  return body;
}

class ReadCache : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    location_ = GetParam().location(dir_);
    store_ = GetParam().open(location_);
    session_ = store_->OpenSession();
  }

  void Put(const std::vector<UserRecord>& users, const std::vector<BookingRecord>& bookings, bool replace = false) {
    auto batch = store_->BeginWriteBatch();
    for (const auto& user : users) ASSERT_EQ(batch->PutUser(user, replace), "");
    for (const auto& booking : bookings) ASSERT_EQ(batch->PutBooking(booking, replace), "");
    batch->Commit();
  }

  // Compares the cache with the uncached answer for every order, with and without StartDate, for several page
  // sizes and pages (first, middle, last, past the end) in both formats at `now`.
  void ExpectEveryPageExact(MadeBookingsCache& cache, UserId client, LocalDateTime now) {
    const std::vector<std::optional<LocalDateTime>> starts{
        std::nullopt, LocalDateTime{kJan2027 - 60 * kDay}, LocalDateTime{kJan2027 - 20 * kDay},
        LocalDateTime{kJan2027 - kDay}, LocalDateTime{kJan2027 + kDay}};
    for (const BookingOrder order : AllOrders()) {
      for (const auto& start : starts) {
        for (const std::int32_t per_page : {1, 7, 50, 100}) {
          MadeBookingsQuery query;
          query.client_user_id = client;
          query.order = order;
          query.created_from = start;
          query.bookings_per_page = per_page;
          const std::int64_t total = session_->CountMadeBookings(client, start);
          const auto last = static_cast<std::int32_t>(std::max<std::int64_t>(1, (total + per_page - 1) / per_page));
          for (const std::int32_t page : {1, 2, last / 2 + 1, last, last + 1}) {
            query.page_number = page;
            for (const BodyFormat format : {BodyFormat::kJson, BodyFormat::kXml}) {
              ASSERT_EQ(Cached(cache, *session_, query, now, format), Uncached(*session_, query, now, format))
                  << "order " << order.Name() << ", start " << (start ? start->millis : -1) << ", " << per_page
                  << " per page, page " << page << ", xml " << (format == BodyFormat::kXml);
            }
          }
        }
      }
    }
  }

  TempDir dir_;
  std::string location_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreSession> session_;
};

TEST_P(ReadCache, EveryPageOfALongHistoryIsTheUncachedAnswerByteForByte) {
  // 700 bookings span several index blocks, so that filtered pages skip blocks and start inside them.
  Put(Users(), Bookings(kClient, 1, 700, 7));
  Put({}, Bookings(kOtherClient, 1000, 30, 8));
  MadeBookingsCache cache(std::size_t{256} << 20);
  ExpectEveryPageExact(cache, kClient, LocalDateTime{kJan2027 - 3 * kDay});
  ExpectEveryPageExact(cache, kOtherClient, LocalDateTime{kJan2027 - 3 * kDay});
  ExpectEveryPageExact(cache, 12345, LocalDateTime{kJan2027});  // no bookings at all
}

TEST_P(ReadCache, ViewsWrittenEarlierAreRewrittenOnceTheInstantChangesThem) {
  Put(Users(), Bookings(kClient, 1, 200, 11));
  MadeBookingsCache cache(std::size_t{256} << 20);
  // Deadlines pass and sessions start and end between these instants; the last goes back in time.
  for (const std::int64_t now :
       {kJan2027 - 3 * kDay, kJan2027, kJan2027 + 2 * kDay + 30 * kMinute, kJan2027 + 6 * kDay, kJan2027 - 10 * kDay}) {
    ExpectEveryPageExact(cache, kClient, LocalDateTime{now});
  }
}

TEST_P(ReadCache, AnImportANicknameChangeAndADeletionShowAtTheNextSync) {
  Put(Users(), Bookings(kClient, 1, 150, 21));
  MadeBookingsCache cache(std::size_t{256} << 20);
  const LocalDateTime now{kJan2027};
  ExpectEveryPageExact(cache, kClient, now);

  std::vector<UserRecord> renamed{User(1, "zzz renamed"), User(5, "AAA renamed")};
  Put(renamed, {}, /*replace=*/true);
  ExpectEveryPageExact(cache, kClient, now);

  Put({}, Bookings(kClient, 5000, 40, 22));
  ExpectEveryPageExact(cache, kClient, now);

  auto deleted = Bookings(kClient, 1, 20, 21);
  for (auto& record : deleted) record.deleted_by_client = true;
  Put({}, deleted, /*replace=*/true);
  ExpectEveryPageExact(cache, kClient, now);
}

TEST_P(ReadCache, ASmallBudgetKeepsOnlyTheClientBeingAnsweredAndStaysExact) {
  std::vector<BookingRecord> bookings;
  for (UserId client = 200; client < 210; ++client) {
    const auto some = Bookings(client, (client - 200) * 100 + 1, 60, static_cast<std::uint32_t>(client));
    bookings.insert(bookings.end(), some.begin(), some.end());
  }
  std::vector<UserRecord> users = Users();
  for (UserId client = 200; client < 210; ++client) users.push_back(User(client, "c" + std::to_string(client)));
  Put(users, bookings);
  MadeBookingsCache cache(1);  // one byte: every other client goes
  for (int round = 0; round < 2; ++round) {
    for (UserId client = 200; client < 210; ++client) {
      MadeBookingsQuery query;
      query.client_user_id = client;
      EXPECT_EQ(Cached(cache, *session_, query, LocalDateTime{kJan2027}, BodyFormat::kJson),
                Uncached(*session_, query, LocalDateTime{kJan2027}, BodyFormat::kJson));
      EXPECT_EQ(cache.ClientsHeld(), 1U);
    }
  }
  MadeBookingsCache roomy(std::size_t{256} << 20);
  for (UserId client = 200; client < 210; ++client) {
    MadeBookingsQuery query;
    query.client_user_id = client;
    Cached(roomy, *session_, query, LocalDateTime{kJan2027}, BodyFormat::kXml);
  }
  EXPECT_EQ(roomy.ClientsHeld(), 10U);
  EXPECT_GT(roomy.BytesHeld(), 10U * 60U * sizeof(StoredBooking));
}

TEST_P(ReadCache, TheBookingsVersionMovesOnImportsAndTheCredentialsVersionOnTokensAndProjectsOnly) {
  const auto before = session_->Version();
  if (!before) GTEST_SKIP() << GetParam().name << " reports no version: it stamps lists instead";
  Put(Users(), {});
  const auto imported = session_->Version();
  ASSERT_TRUE(imported);
  EXPECT_NE(imported->bookings, before->bookings);
  EXPECT_EQ(imported->credentials, before->credentials);  // users are not credentials
  EXPECT_EQ(session_->Version()->bookings, imported->bookings);  // asking again changes nothing

  const ProjectRecord project = ClientProject("key");
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  const auto with_project = session_->Version();
  EXPECT_NE(with_project->credentials, imported->credentials);
  store_->InsertToken(NewToken{Sha256("token"), 1, "client", "s", 4'000'000'000});
  const auto with_token = session_->Version();
  ASSERT_TRUE(with_token);
  EXPECT_NE(with_token->credentials, with_project->credentials);
  EXPECT_EQ(with_token->bookings, with_project->bookings);  // a token changes no list
  EXPECT_EQ(with_token->list_changes, with_project->list_changes);
  EXPECT_TRUE(store_->RevokeToken(Sha256("token")));
  EXPECT_NE(session_->Version()->credentials, with_token->credentials);
}

TEST_P(ReadCache, ARevokedTokenAndANewTokenShowAtTheNextSync) {
  if (!session_->Version()) GTEST_SKIP() << GetParam().name << " reports no version: it stamps lists instead";
  Put(Users(), {});
  const ProjectRecord project = ClientProject("the-key");
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  store_->InsertToken(NewToken{Sha256("first"), 1, "client", "scope", 4'000'000'000});

  LookupCache cache(1000);
  const auto authenticate = [&](const std::string& token) {
    cache.Sync(session_->Version()->credentials);
    CachingStoreSession cached(*session_, cache);
    const std::string header = "Bearer " + token;
    Credentials credentials;
    credentials.authorization = header;
    credentials.api_keys.push_back("the-key");
    return Authenticate(cached, credentials, 1'000'000'000).has_value();
  };
  EXPECT_TRUE(authenticate("first"));
  EXPECT_FALSE(authenticate("second"));  // remembered as unknown...
  store_->InsertToken(NewToken{Sha256("second"), 1, "client", "scope", 4'000'000'000});
  EXPECT_TRUE(authenticate("second"));  // ...until a commit elsewhere
  EXPECT_TRUE(store_->RevokeToken(Sha256("first")));
  EXPECT_FALSE(authenticate("first"));
}

// The real session, counting the token lookups and the list loads that reach it.
class CountingSession final : public ForwardingStoreSession {
 public:
  explicit CountingSession(StoreSession& inner) : ForwardingStoreSession(inner) {}
  std::optional<TokenRecord> FindToken(std::string_view token_hash) override {
    ++token_lookups;
    return Inner().FindToken(token_hash);
  }
  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& query, std::int64_t offset,
                                              std::int32_t limit) override {
    ++list_loads[query.client_user_id];
    return Inner().MadeBookingsPage(query, offset, limit);
  }
  CountedPage CountAndPage(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit) override {
    ++list_loads[query.client_user_id];
    return Inner().CountAndPage(query, offset, limit);
  }
  int token_lookups = 0;
  std::map<UserId, int> list_loads;
};

// A life-cycle write forgets only the lists it changed: the other clients' lists stay cached (no store read), the
// changed ones reload and are exact; a candidate's new contact details reload every list with their bookings.
TEST_P(ReadCache, ALifeCycleWriteLeavesAnotherClientsCachedListCached) {
  constexpr UserId kOnlyMine = 13;  // a candidate only kClient booked
  std::vector<UserRecord> users = Users();
  users.push_back(User(kOnlyMine, "only mine"));
  auto mine = Bookings(kClient, 1, 60, 31);
  mine.front().booking.candidate.user_id = kOnlyMine;
  Put(users, mine);
  Put({}, Bookings(kOtherClient, 1000, 40, 32));

  MadeBookingsCache cache(std::size_t{256} << 20);
  CountingSession counting(*session_);
  const LocalDateTime now{kJan2027};
  MadeBookingsQuery query;
  query.order = BookingOrder::kNicknameAsc;
  query.bookings_per_page = 100;
  const auto page_of = [&](UserId client) {
    query.client_user_id = client;
    return Cached(cache, counting, query, now, BodyFormat::kJson);
  };
  const auto expect_exact = [&](UserId client) {
    const std::string cached = page_of(client);
    EXPECT_EQ(cached, Uncached(*session_, query, now, BodyFormat::kJson)) << "client " << client;
  };
  expect_exact(kClient);
  expect_exact(kOtherClient);
  ASSERT_EQ(counting.list_loads, (std::map<UserId, int>{{kClient, 1}, {kOtherClient, 1}}));

  {
    auto transaction = store_->BeginLifecycle();
    auto booking = transaction->LockBooking(1000);
    ASSERT_TRUE(booking);
    booking->status = BookingStatus::kCancelled;
    booking->cancelled_date = now;
    booking->cancelled_by = CancelledBy::kCandidate;
    booking->cancelled_reason = "changed by the test";
    booking->last_updated = now;
    transaction->UpdateBooking(*booking);
    transaction->Commit();
  }
  expect_exact(kClient);
  EXPECT_EQ(counting.list_loads[kClient], 1) << "a write to another client's booking reloaded this list";
  expect_exact(kOtherClient);
  EXPECT_EQ(counting.list_loads[kOtherClient], 2);
  EXPECT_NE(page_of(kOtherClient).find("changed by the test"), std::string::npos);

  {
    auto transaction = store_->BeginLifecycle();
    PhoneChatSettings settings;
    settings.phonechat_number = "+441234567890";
    settings.show_phonechat_number = true;
    transaction->SaveSettings(kOnlyMine, settings);
    transaction->Commit();
  }
  expect_exact(kOtherClient);
  EXPECT_EQ(counting.list_loads[kOtherClient], 2) << "a candidate this client never booked reloaded its list";
  expect_exact(kClient);
  EXPECT_EQ(counting.list_loads[kClient], 2);

  // An import forgets every list (and on a backend with a log, it logs nothing).
  const std::optional<StoreVersion> before = session_->Version();
  Put({}, Bookings(kOtherClient, 2000, 3, 33));
  expect_exact(kClient);
  expect_exact(kOtherClient);
  EXPECT_EQ(counting.list_loads, (std::map<UserId, int>{{kClient, 3}, {kOtherClient, 3}}));
  if (before) {
    EXPECT_EQ(session_->ListChangesSince(before->list_changes, session_->Version()->list_changes),
              std::optional<std::vector<ListChange>>{std::vector<ListChange>{}});
  }
}

// A list stamp moves exactly when the list may show something else: an import moves every stamp; a life-cycle write
// moves its client's, a candidate's new contact details every client's with their bookings; a rolled-back write,
// a token and another client's write move nothing. The token lookup reads the same stamp.
TEST_P(ReadCache, AListStampMovesExactlyWhenTheListMayShowSomethingElse) {
  if (!session_->ReadListStamp(kClient)) GTEST_SKIP() << GetParam().name << " does not stamp lists (it has a version)";
  constexpr UserId kOnlyOthers = 13;  // a candidate only kOtherClient booked
  std::vector<UserRecord> users = Users();
  users.push_back(User(kOnlyOthers, "only others"));
  const auto before_import = *session_->ReadListStamp(kClient);
  auto mine = Bookings(kClient, 1, 10, 51);
  for (auto& record : mine) record.booking.candidate.user_id = 1 + record.booking.booking_id % 3;  // 1-3
  auto others = Bookings(kOtherClient, 100, 10, 52);
  for (auto& record : others) record.booking.candidate.user_id = 4 + record.booking.booking_id % 3;  // 4-6
  others.front().booking.candidate.user_id = kOnlyOthers;
  Put(users, mine);
  Put({}, others);
  const ListStamp mine_before = *session_->ReadListStamp(kClient);
  EXPECT_NE(mine_before, before_import);
  EXPECT_EQ(*session_->ReadListStamp(kClient), mine_before) << "asking again moves nothing";

  const ProjectRecord project = ClientProject("key");
  {
    auto batch = store_->BeginWriteBatch();
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  const ListStamp after_project = *session_->ReadListStamp(kClient);
  store_->InsertToken(NewToken{Sha256("token"), kClient, "client", "s", 4'000'000'000});
  EXPECT_EQ(*session_->ReadListStamp(kClient), after_project) << "a token changes no list";
  const auto token = session_->FindToken(Sha256("token"));
  ASSERT_TRUE(token);
  EXPECT_EQ(token->list_stamp, std::optional<ListStamp>(after_project));
  const ListStamp others_after_project = *session_->ReadListStamp(kOtherClient);

  const auto update = [&](BookingId id, bool commit) {
    auto transaction = store_->BeginLifecycle();
    auto booking = transaction->LockBooking(id);
    ASSERT_TRUE(booking);
    booking->comments = "changed";
    transaction->UpdateBooking(*booking);
    if (commit) transaction->Commit();
  };
  update(100, /*commit=*/false);
  EXPECT_EQ(*session_->ReadListStamp(kOtherClient), others_after_project) << "a rolled-back write moved the stamp";
  update(100, /*commit=*/true);
  const ListStamp others_updated = *session_->ReadListStamp(kOtherClient);
  EXPECT_NE(others_updated, others_after_project);
  EXPECT_EQ(*session_->ReadListStamp(kClient), after_project) << "another client's write moved this stamp";

  {
    auto transaction = store_->BeginLifecycle();
    transaction->SaveSettings(kOnlyOthers, PhoneChatSettings{});
    transaction->Commit();
  }
  EXPECT_NE(*session_->ReadListStamp(kOtherClient), others_updated);
  EXPECT_EQ(*session_->ReadListStamp(kClient), after_project) << "a candidate this client never booked moved it";
  {
    auto transaction = store_->BeginLifecycle();
    transaction->Savepoint();
    transaction->SaveSettings(1, PhoneChatSettings{});
    transaction->RollbackToSavepoint();
    transaction->Commit();
  }
  EXPECT_EQ(*session_->ReadListStamp(kClient), after_project) << "a write rolled back to its savepoint moved it";
  EXPECT_EQ(*session_->ReadListStamp(12345), *session_->ReadListStamp(12345)) << "a user without a list has one";
}

// The log's entries name whose lists changed, in commit order; a range it no longer holds is nullopt.
TEST_P(ReadCache, TheListChangeLogNamesTheClientsAndCandidatesInCommitOrder) {
  const auto start = session_->Version();
  if (!start) GTEST_SKIP() << GetParam().name << " reports no version: it stamps lists instead";
  Put(Users(), Bookings(kClient, 1, 5, 41));
  const std::int64_t from = session_->Version()->list_changes;
  {
    auto transaction = store_->BeginLifecycle();
    auto booking = transaction->LockBooking(2);
    ASSERT_TRUE(booking);
    booking->comments = "one";
    transaction->UpdateBooking(*booking);
    booking->comments = "two";
    transaction->UpdateBooking(*booking);  // the same client once
    transaction->SaveSettings(3, PhoneChatSettings{});
    transaction->Commit();
  }
  {
    auto transaction = store_->BeginLifecycle();
    transaction->SaveSettings(4, PhoneChatSettings{});
  }  // rolled back
  const std::int64_t to = session_->Version()->list_changes;
  EXPECT_EQ(to, from + 2);
  const auto changes = session_->ListChangesSince(from, to);
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 2U);
  EXPECT_EQ((*changes)[0].kind, ListChange::Kind::kClient);
  EXPECT_EQ((*changes)[0].user_id, kClient);
  EXPECT_EQ((*changes)[1].kind, ListChange::Kind::kCandidate);
  EXPECT_EQ((*changes)[1].user_id, 3);
  EXPECT_FALSE(session_->ListChangesSince(from - 5, to)) << "entries before the log's first are not there";
}

TEST(LookupCacheBounds, AFloodOfUnknownTokensStaysBoundedAndNeverPushesOutATokenInUse) {
  TempDir dir;
  auto backend = AllBackends().front();
  auto store = backend.open(backend.location(dir));
  {
    auto batch = store->BeginWriteBatch();
    UserRecord user;
    user.user_id = 1;
    user.nickname = "u";
    ASSERT_EQ(batch->PutUser(user, false), "");
    const ProjectRecord project = ClientProject("key");
    ASSERT_EQ(batch->PutProject(project, false), "");
    batch->Commit();
  }
  store->InsertToken(NewToken{Sha256("in use"), 1, "client", "s", 4'000'000'000});
  auto session = store->OpenSession();
  CountingSession counting(*session);
  LookupCache cache(3);
  cache.Sync(0);
  CachingStoreSession cached(counting, cache);
  ASSERT_TRUE(cached.FindToken(Sha256("in use")));
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(cached.FindToken(Sha256("unknown" + std::to_string(i))));
    EXPECT_LE(cache.Entries(), 4U);  // at most three unknown and the one in use
  }
  EXPECT_EQ(counting.token_lookups, 11);
  EXPECT_TRUE(cached.FindToken(Sha256("in use")));
  EXPECT_FALSE(cached.FindToken(Sha256("unknown9")));
  EXPECT_EQ(counting.token_lookups, 11);  // both answered from memory
  EXPECT_FALSE(cached.FindProjectByApiKey("nope"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ReadCache, ::testing::ValuesIn(AllBackends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace phonechat::testing
