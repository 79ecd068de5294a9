// SessionPool (storage/session_pool.hpp): a serving thread's bounded pool of store sessions, alone and under a
// suspendable server whose requests wait for sessions in coroutines; and how ApiHandler borrows from it per request.
#include "storage/session_pool.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/router.hpp"
#include "core/error.hpp"
#include "core/io_wait.hpp"
#include "http/server.hpp"
#include "service/service_clock.hpp"
#include "storage/lifecycle_store.hpp"
#include "test_support.hpp"

namespace phonechat::http::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kWait = 10s;

// What a CountingStore's sessions did, shared with the test. Thread-safe.
struct SessionLog {
  std::atomic<int> opened{0};
  std::atomic<int> closed{0};
  std::atomic<int> fail_next{0};  // this many FindToken calls throw StoreUnavailable, whichever session makes them
};

// A session that knows its number (the order it was opened in) and records its end.
class CountingSession final : public StoreSession {
 public:
  CountingSession(SessionLog& log, int number) : log_(log), number_(number) {}
  ~CountingSession() override { ++log_.closed; }
  CountingSession(const CountingSession&) = delete;
  CountingSession& operator=(const CountingSession&) = delete;

  [[nodiscard]] int Number() const { return number_; }

  std::optional<TokenRecord> FindToken(std::string_view /*token_hash*/) override {
    if (log_.fail_next.load() > 0) {
      --log_.fail_next;
      throw StoreUnavailable("the test database is down");
    }
    return std::nullopt;
  }
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
  std::optional<ListStamp> ReadListStamp(UserId /*user_id*/) override { return std::nullopt; }
  std::int64_t CountMadeBookings(UserId /*client*/, std::optional<LocalDateTime> /*from*/,
                                 BookingSide /*side*/) override {
    return 0;
  }
  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& /*query*/, std::int64_t /*offset*/,
                                              std::int32_t /*limit*/) override {
    return {};
  }

 private:
  SessionLog& log_;
  int number_;
};

class CountingStore final : public Store {
 public:
  std::unique_ptr<StoreSession> OpenSession() override {
    const int number = ++log.opened;
    return std::make_unique<CountingSession>(log, number);
  }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { throw std::logic_error("not in this test"); }
  void InsertToken(const NewToken& /*token*/) override { throw std::logic_error("not in this test"); }
  bool RevokeToken(std::string_view /*token_hash*/) override { return false; }
  bool IsEmpty() override { return true; }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { throw std::logic_error("not in this test"); }
  LedgerAudit AuditLedger() override { throw std::logic_error("not in this test"); }

  SessionLog log;
};

int NumberOf(const SessionPool::Lease& lease) { return dynamic_cast<CountingSession&>(*lease).Number(); }

TEST(SessionPool, OpensOneSessionUpFrontAndLendsIt) {
  CountingStore store;
  SessionPool pool(store, 4, 100ms);
  EXPECT_EQ(store.log.opened.load(), 1);
  EXPECT_EQ(pool.OpenCount(), 1U);
  EXPECT_EQ(pool.IdleCount(), 1U);
  const SessionPool::Lease lease = pool.Borrow();
  EXPECT_EQ(NumberOf(lease), 1);
  EXPECT_EQ(pool.IdleCount(), 0U);
  EXPECT_EQ(store.log.opened.load(), 1);
}

TEST(SessionPool, GivenBackSessionIsLentAgainInsteadOfOpeningAnother) {
  CountingStore store;
  SessionPool pool(store, 4, 100ms);
  for (int i = 0; i < 5; ++i) {
    const SessionPool::Lease lease = pool.Borrow();
    EXPECT_EQ(NumberOf(lease), 1);
  }
  EXPECT_EQ(store.log.opened.load(), 1);
  EXPECT_EQ(pool.IdleCount(), 1U);
}

TEST(SessionPool, OpensSessionsOnDemandUpToItsCapacityThenGivesUpAfterItsWait) {
  CountingStore store;
  SessionPool pool(store, 3, 120ms);
  std::vector<SessionPool::Lease> leases;
  for (int i = 0; i < 3; ++i) leases.push_back(pool.Borrow());
  EXPECT_EQ(store.log.opened.load(), 3);
  EXPECT_EQ(pool.OpenCount(), 3U);

  const auto started = Clock::now();
  EXPECT_THROW(pool.Borrow(), SessionsExhausted);
  EXPECT_GE(Clock::now() - started, 120ms);
  EXPECT_EQ(store.log.opened.load(), 3);
  EXPECT_EQ(pool.WaitingCount(), 0U);

  leases.pop_back();
  EXPECT_EQ(NumberOf(pool.Borrow()), 3);
}

TEST(SessionPool, ExhaustionIsAStoreUnavailable) {
  CountingStore store;
  SessionPool pool(store, 1, 10ms);
  const SessionPool::Lease held = pool.Borrow();
  EXPECT_THROW(pool.Borrow(), StoreUnavailable);
}

TEST(SessionPool, DiscardedSessionIsClosedAndItsPlaceOpensAFreshOne) {
  CountingStore store;
  SessionPool pool(store, 1, 100ms);
  SessionPool::Lease lease = pool.Borrow();
  lease.Discard();
  EXPECT_FALSE(lease);
  EXPECT_EQ(store.log.closed.load(), 1);
  EXPECT_EQ(pool.OpenCount(), 0U);
  const SessionPool::Lease fresh = pool.Borrow();
  EXPECT_EQ(NumberOf(fresh), 2);
  EXPECT_EQ(pool.OpenCount(), 1U);
}

TEST(SessionPool, MovedLeaseGivesBackOnce) {
  CountingStore store;
  SessionPool pool(store, 2, 100ms);
  {
    SessionPool::Lease first = pool.Borrow();
    SessionPool::Lease second = std::move(first);
    EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): a moved-from lease is empty by contract
    SessionPool::Lease third;
    third = std::move(second);
    EXPECT_EQ(NumberOf(third), 1);
  }
  EXPECT_EQ(pool.IdleCount(), 1U);
  EXPECT_EQ(store.log.closed.load(), 0);
}

// A pipe the test writes to in order to let requests holding a session finish.
struct Release {
  Release() {
    if (pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
  }
  ~Release() {
    close(fds[0]);
    close(fds[1]);
  }
  Release(const Release&) = delete;
  Release& operator=(const Release&) = delete;
  void Open() const {
    const char byte = 'x';
    ASSERT_EQ(write(fds[1], &byte, 1), 1);
  }
  std::array<int, 2> fds{-1, -1};
};

// How many `/hold` requests hold their session now, and have let it go so far.
struct HoldCounts {
  std::atomic<int> holding{0};
  std::atomic<int> released{0};
};

// Per serving thread: a pool of one session. `/hold` borrows it and keeps it until the release pipe is written to;
// `/borrow` borrows, answering `session=<number>` (or 503 when none came); `/discard` borrows and discards;
// anything else answers `free` without a session.
class PoolHandler final : public RequestHandler {
 public:
  PoolHandler(Store& store, const Release& release, std::chrono::milliseconds wait, HoldCounts& counts)
      : pool_(store, 1, wait), release_(release), counts_(counts) {}

  Response Handle(const Request& request) override {
    Response response;
    response.content_type = "text/plain";
    const std::string_view target = request.Target();
    if (target == "/hold" || target == "/borrow" || target == "/discard") {
      SessionPool::Lease lease;
      try {
        lease = pool_.Borrow();
      } catch (const StoreUnavailable& unavailable) {
        response.status = 503;
        response.body = unavailable.what();
        return response;
      }
      response.body = "session=" + std::to_string(NumberOf(lease));
      if (target == "/hold") {
        ++counts_.holding;
        const bool released = WaitForIo(release_.fds[0], IoEvent::kReadable, Clock::now() + kWait);
        --counts_.holding;
        ++counts_.released;
        char byte = 0;
        [[maybe_unused]] const auto taken = read(release_.fds[0], &byte, 1);
        if (!released) response.status = 504;
      }
      if (target == "/discard") lease.Discard();
      return response;
    }
    response.body = "free";
    return response;
  }

  Response HandleRefused(const Error& /*refusal*/, const Request* /*request*/) override {
    Response response;
    response.status = 500;
    return response;
  }

 private:
  SessionPool pool_;
  const Release& release_;
  HoldCounts& counts_;
};

ServerOptions OneSuspendableThread() {
  ServerOptions options = TestOptions();
  options.threads = 1;
  options.suspendable = true;
  return options;
}

bool WaitUntil(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + kWait;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class PooledServer : public ::testing::Test {
 protected:
  void Start(std::chrono::milliseconds wait) {
    server_ = std::make_unique<HandlerServer>(OneSuspendableThread(), [this, wait] {
      return std::make_unique<PoolHandler>(store_, release_, wait, counts_);
    });
  }
  void TearDown() override {
    for (int i = 0; i < 8; ++i) release_.Open();  // never leave a request holding on
    server_.reset();
  }

  CountingStore store_;
  Release release_;
  HoldCounts counts_;
  std::unique_ptr<HandlerServer> server_;
};

TEST_F(PooledServer, RequestWaitsForTheSessionInUseWhileTheThreadServesOthers) {
  Start(kWait);
  Client holder(server_->Port());
  ASSERT_TRUE(holder.Send(Get("/hold")));
  ASSERT_TRUE(WaitUntil([&] { return counts_.holding.load() == 1; }));

  Client waiter(server_->Port());
  ASSERT_TRUE(waiter.Send(Get("/borrow")));
  Client other(server_->Port());
  ASSERT_TRUE(other.Send(Get("/free")));
  const auto free = other.Read(kWait);
  ASSERT_TRUE(free);
  EXPECT_EQ(free->body, "free");
  EXPECT_TRUE(waiter.StaysOpenSilently(100ms));

  release_.Open();
  const auto held = holder.Read(kWait);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->body, "session=1");
  const auto borrowed = waiter.Read(kWait);
  ASSERT_TRUE(borrowed);
  EXPECT_EQ(borrowed->status, 200);
  EXPECT_EQ(borrowed->body, "session=1");  // handed over, not a second session
  EXPECT_EQ(store_.log.opened.load(), 1);
}

TEST_F(PooledServer, RequestsBeyondThePoolAreServedInTurnAsSessionsComeBack) {
  Start(kWait);
  constexpr int kHolders = 6;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kHolders; ++i) {
    clients.push_back(std::make_unique<Client>(server_->Port()));
    ASSERT_TRUE(clients.back()->Send(Get("/hold")));
  }
  for (int i = 0; i < kHolders; ++i) {
    // One at a time: each holds the one session until let go.
    ASSERT_TRUE(WaitUntil([&] { return counts_.holding.load() == 1; })) << i;
    EXPECT_EQ(counts_.released.load(), i);
    release_.Open();
    ASSERT_TRUE(WaitUntil([&] { return counts_.released.load() == i + 1; })) << i;
  }
  for (auto& client : clients) {
    const auto answer = client->Read(kWait);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "session=1");
  }
  EXPECT_EQ(store_.log.opened.load(), 1);
}

TEST_F(PooledServer, RequestThatGetsNoSessionWithinTheWaitGetsUnavailable) {
  Start(150ms);
  Client holder(server_->Port());
  ASSERT_TRUE(holder.Send(Get("/hold")));
  ASSERT_TRUE(WaitUntil([&] { return counts_.holding.load() == 1; }));
  Client waiter(server_->Port());
  const auto started = Clock::now();
  ASSERT_TRUE(waiter.Send(Get("/borrow")));
  const auto refused = waiter.Read(kWait);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_GE(Clock::now() - started, 150ms);

  release_.Open();
  const auto held = holder.Read(kWait);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->status, 200);
}

TEST_F(PooledServer, DiscardedSessionLetsAWaitingRequestOpenAFreshOne) {
  Start(kWait);
  Client holder(server_->Port());
  ASSERT_TRUE(holder.Send(Get("/hold")));
  ASSERT_TRUE(WaitUntil([&] { return counts_.holding.load() == 1; }));
  Client discarder(server_->Port());
  ASSERT_TRUE(discarder.Send(Get("/discard")));
  ASSERT_TRUE(discarder.StaysOpenSilently(100ms));  // in line first
  Client waiter(server_->Port());
  ASSERT_TRUE(waiter.Send(Get("/borrow")));
  ASSERT_TRUE(waiter.StaysOpenSilently(100ms));

  release_.Open();
  const auto held = holder.Read(kWait);
  ASSERT_TRUE(held);
  const auto discarded = discarder.Read(kWait);
  ASSERT_TRUE(discarded);
  EXPECT_EQ(discarded->body, "session=1");  // first in line: it got the session given back
  const auto borrowed = waiter.Read(kWait);
  ASSERT_TRUE(borrowed);
  EXPECT_EQ(borrowed->body, "session=2");  // then the place of the discarded one
  EXPECT_EQ(store_.log.closed.load(), 1);
}

// A request as ApiHandler sees it.
class BearerRequest final : public Request {
 public:
  [[nodiscard]] std::string_view Method() const override { return "GET"; }
  [[nodiscard]] std::string_view Target() const override { return "/v1/PhoneChat/MadeBookings"; }
  [[nodiscard]] std::optional<std::string_view> Header(std::string_view name) const override {
    if (name == "Authorization") return "Bearer some-token-of-the-pool-test-0000000000";
    return std::nullopt;
  }
};

TEST(ApiHandlerSessions, PooledHandlerClosesASessionThatFailedAndOpensAnotherForTheNextRequest) {
  CountingStore store;
  const ServiceClock clock("Europe/London");
  ApiContext context;
  context.store = &store;
  context.clock = &clock;
  context.session_pool_size = 2;
  context.session_wait = 100ms;
  ApiHandler handler(context);
  EXPECT_EQ(store.log.opened.load(), 1);

  store.log.fail_next = 1;
  EXPECT_EQ(handler.Handle(BearerRequest()).status, 503);
  EXPECT_EQ(store.log.closed.load(), 1);
  EXPECT_EQ(handler.Handle(BearerRequest()).status, 401);  // unknown token, from a fresh session
  EXPECT_EQ(store.log.opened.load(), 2);
  EXPECT_EQ(handler.Handle(BearerRequest()).status, 401);
  EXPECT_EQ(store.log.opened.load(), 2);  // given back and lent again
}

TEST(ApiHandlerSessions, UnpooledHandlerKeepsItsOneSessionThroughFailures) {
  CountingStore store;
  const ServiceClock clock("Europe/London");
  ApiContext context;
  context.store = &store;
  context.clock = &clock;
  ApiHandler handler(context);
  store.log.fail_next = 1;
  const Response failed = handler.Handle(BearerRequest());
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.body, R"({"Message":"The service is temporarily unavailable."})");
  EXPECT_EQ(handler.Handle(BearerRequest()).status, 401);
  EXPECT_EQ(store.log.opened.load(), 1);
  EXPECT_EQ(store.log.closed.load(), 0);
}

}  // namespace
}  // namespace phonechat::http::testing
