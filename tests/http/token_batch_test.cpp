// TokenLookupBatcher (service/token_lookup_batcher.hpp) in a real suspendable server: requests of one serving thread
// whose token lookups arrive while batches are in flight share the next round trip; every lookup gets its own
// answer, or its batch's error; at most max_in_flight batches are in flight at once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/io_wait.hpp"
#include "http/server.hpp"
#include "service/token_lookup_batcher.hpp"
#include "test_support.hpp"

namespace phonechat::http::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kWait = 10s;

// A store session whose FindTokens waits (through the thread's IoWaiter) until the test releases it, records each
// batch, and knows the tokens named "known-<user>"; a batch of a token named "fail" throws StoreUnavailable.
class GatedSession final : public StoreSession {
 public:
  GatedSession() {
    if (pipe2(fds_.data(), O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
  }
  ~GatedSession() override {
    close(fds_[0]);
    close(fds_[1]);
  }
  GatedSession(const GatedSession&) = delete;
  GatedSession& operator=(const GatedSession&) = delete;

  // Lets one batch in flight through.
  void Release() const {
    const char byte = 'x';
    ASSERT_EQ(write(fds_[1], &byte, 1), 1);
  }
  // The batches sent so far, each as its tokens.
  std::vector<std::vector<std::string>> Batches() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return batches_;
  }
  // Waits until `count` batches are in flight at once.
  bool WaitForInFlight(int count) const {
    const auto deadline = Clock::now() + kWait;
    while (in_flight_.load() < count) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  [[nodiscard]] int MostInFlight() const { return most_in_flight_.load(); }
  // Waits until `count` lookups have been sent, in any number of batches; the number of batches then.
  std::size_t WaitForLookupsSent(std::size_t count) {
    const auto deadline = Clock::now() + kWait;
    for (;;) {
      const auto batches = Batches();
      std::size_t sent = 0;
      for (const auto& batch : batches) sent += batch.size();
      if (sent >= count || Clock::now() > deadline) return batches.size();
      std::this_thread::sleep_for(5ms);
    }
  }

  std::vector<std::optional<TokenRecord>> FindTokens(const std::vector<std::string_view>& hashes) override {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      batches_.emplace_back(hashes.begin(), hashes.end());
    }
    const int now_in_flight = ++in_flight_;
    int most = most_in_flight_.load();
    while (now_in_flight > most && !most_in_flight_.compare_exchange_weak(most, now_in_flight)) {
    }
    bool fail = false;
    for (const std::string_view hash : hashes) fail = fail || hash == "fail";
    for (;;) {
      char byte = 0;
      if (read(fds_[0], &byte, 1) == 1) break;
      if (!WaitForIo(fds_[0], IoEvent::kReadable, IoWaiter::kNoDeadline)) {
        --in_flight_;
        throw StoreUnavailable("the server is shutting down");
      }
    }
    --in_flight_;
    if (fail) throw StoreUnavailable("the test database is down");
    std::vector<std::optional<TokenRecord>> records;
    for (const std::string_view hash : hashes) {
      if (!hash.starts_with("known-")) {
        records.emplace_back();
        continue;
      }
      TokenRecord record;
      record.user_id = std::stoi(std::string(hash.substr(6)));
      records.push_back(record);
    }
    return records;
  }
  std::optional<TokenRecord> FindToken(std::string_view hash) override { return FindTokens({hash}).front(); }

  std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view /*api_key*/) override { return Unused(); }
  bool IsGroupManager(UserId /*user_id*/) override { return Unused(); }
  bool IsMemberOfManagedGroup(UserId /*manager_id*/, UserId /*member_id*/) override { return Unused(); }
  void AppendAudit(const AuditEntry& /*entry*/) override { Unused(); }
  std::int64_t CountMadeBookings(UserId /*client*/, std::optional<LocalDateTime> /*from*/, BookingSide /*side*/) override {
    return Unused();
  }
  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& /*query*/, std::int64_t /*offset*/,
                                              std::int32_t /*limit*/) override {
    return Unused();
  }
  std::optional<StoredBooking> FindBooking(BookingId /*booking_id*/) override { return Unused(); }
  std::optional<UserWithSettings> FindUser(UserId /*user_id*/) override { return Unused(); }
  std::optional<ListStamp> ReadListStamp(UserId /*user_id*/) override { return Unused(); }

 private:
  struct Anything {
    template <typename T>
    operator T() const {  // NOLINT(google-explicit-constructor): stands for any return type
      throw std::logic_error("not in this test");
    }
  };
  static Anything Unused() { throw std::logic_error("not in this test"); }

  std::array<int, 2> fds_{-1, -1};
  std::mutex mutex_;
  std::vector<std::vector<std::string>> batches_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> most_in_flight_{0};
};

// `/<token>`: looks the token up through the thread's batcher and answers `user <id>`, `none`, or 503.
class LookupHandler final : public RequestHandler {
 public:
  LookupHandler(GatedSession& session, std::atomic<int>& entered, std::size_t max_in_flight)
      : session_(session), entered_(entered), batcher_(max_in_flight) {}

  Response Handle(const Request& request) override {
    Response response;
    response.content_type = "text/plain";
    ++entered_;
    try {
      const auto record = batcher_.Find(session_, request.Target().substr(1));
      response.body = record ? "user " + std::to_string(record->user_id) : "none";
    } catch (const StoreUnavailable&) {
      response.status = 503;
      response.body = "unavailable";
    }
    return response;
  }

  Response HandleRefused(const Error& /*refusal*/, const Request* /*request*/) override {
    Response response;
    response.status = 503;
    response.close_connection = true;
    return response;
  }

 private:
  GatedSession& session_;
  std::atomic<int>& entered_;
  TokenLookupBatcher batcher_;
};

class TokenBatches : public ::testing::Test {
 protected:
  // One suspendable serving thread whose batcher allows `max_in_flight` batches.
  void Start(std::size_t max_in_flight) {
    ServerOptions options = TestOptions();
    options.threads = 1;
    options.suspendable = true;
    server_ = std::make_unique<HandlerServer>(options, [this, max_in_flight] {
      return std::make_unique<LookupHandler>(session_, entered_, max_in_flight);
    });
  }
  // Sends `/<token>` on a connection of its own.
  Client& Send(const std::string& token) {
    clients_.push_back(std::make_unique<Client>(server_->Port()));
    EXPECT_TRUE(clients_.back()->Send(Get("/" + token)));
    return *clients_.back();
  }
  // Waits until `count` requests have called the batcher (each parks or sends before the thread does anything else).
  bool WaitForEntered(int count) const {
    const auto deadline = Clock::now() + kWait;
    while (entered_.load() < count) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  static std::string Body(Client& client) {
    const auto answer = client.Read(kWait);
    return answer ? std::to_string(answer->status) + " " + answer->body : "no answer";
  }

  GatedSession session_;
  std::atomic<int> entered_{0};
  std::unique_ptr<HandlerServer> server_;
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST_F(TokenBatches, LookupsThatArriveDuringABatchShareTheNextRoundTripAndEachGetsItsOwnAnswer) {
  Start(1);
  Client& first = Send("known-1");
  ASSERT_TRUE(session_.WaitForInFlight(1));
  std::vector<Client*> queued;
  for (const char* token : {"known-2", "unknown", "known-3", "known-2"}) queued.push_back(&Send(token));
  ASSERT_TRUE(WaitForEntered(5));
  session_.Release();
  EXPECT_EQ(Body(first), "200 user 1");
  ASSERT_TRUE(session_.WaitForInFlight(1));
  session_.Release();
  const std::vector<std::string> expected{"200 user 2", "200 none", "200 user 3", "200 user 2"};
  for (std::size_t i = 0; i < queued.size(); ++i) EXPECT_EQ(Body(*queued[i]), expected[i]);
  EXPECT_EQ(session_.Batches(), (std::vector<std::vector<std::string>>{
                                    {"known-1"}, {"known-2", "unknown", "known-3", "known-2"}}));
}

TEST_F(TokenBatches, ABatchThatFailsFailsEveryLookupInItAndOnlyThose) {
  Start(1);
  Client& first = Send("known-1");
  ASSERT_TRUE(session_.WaitForInFlight(1));
  Client& doomed = Send("known-2");
  Client& failing = Send("fail");
  ASSERT_TRUE(WaitForEntered(3));
  session_.Release();
  EXPECT_EQ(Body(first), "200 user 1");
  ASSERT_TRUE(session_.WaitForInFlight(1));
  session_.Release();
  EXPECT_EQ(Body(doomed), "503 unavailable");
  EXPECT_EQ(Body(failing), "503 unavailable");
  Client& after = Send("known-4");
  ASSERT_TRUE(session_.WaitForInFlight(1));
  session_.Release();
  EXPECT_EQ(Body(after), "200 user 4");
}

TEST_F(TokenBatches, AtMostMaxInFlightBatchesAreInFlightAndAnIdleThreadSendsAtOnce) {
  Start(2);
  Client& first = Send("known-1");
  Client& second = Send("known-2");
  ASSERT_TRUE(session_.WaitForInFlight(2));  // two lookups, two batches at once: neither waited for the other
  Client& third = Send("known-3");
  ASSERT_TRUE(WaitForEntered(3));
  session_.Release();
  session_.Release();
  ASSERT_TRUE(session_.WaitForInFlight(1));
  session_.Release();
  EXPECT_EQ(Body(first), "200 user 1");
  EXPECT_EQ(Body(second), "200 user 2");
  EXPECT_EQ(Body(third), "200 user 3");
  EXPECT_EQ(session_.MostInFlight(), 2);
  EXPECT_EQ(session_.Batches().size(), 3U);
}

TEST_F(TokenBatches, BatchesThatEndTogetherHandOnTheirSlotsAndNoneIsLost) {
  Start(2);
  std::vector<Client*> clients;
  for (const char* token : {"known-1", "known-2"}) clients.push_back(&Send(token));
  ASSERT_TRUE(session_.WaitForInFlight(2));
  for (const char* token : {"known-3", "known-4", "known-5"}) clients.push_back(&Send(token));
  ASSERT_TRUE(WaitForEntered(5));
  // Both batches end in one turn of the thread: the queue's first is chosen once, its slot is not taken twice.
  session_.Release();
  session_.Release();
  // The other three go in one batch or more, each let through once. A batch sent as the first one ends may take
  // the second release before the other first batch reads it, so every answer is awaited only once each batch
  // sent has had its release.
  const std::size_t batches = session_.WaitForLookupsSent(5);
  for (std::size_t i = 2; i < batches; ++i) session_.Release();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Body(*clients[static_cast<std::size_t>(i)]), "200 user " + std::to_string(i + 1));
  // Both slots are free again: two lookups go at once.
  Client& sixth = Send("known-6");
  Client& seventh = Send("known-7");
  EXPECT_TRUE(session_.WaitForInFlight(2)) << "a slot was lost";
  session_.Release();
  session_.Release();
  EXPECT_EQ(Body(sixth), "200 user 6");
  EXPECT_EQ(Body(seventh), "200 user 7");
}

TEST_F(TokenBatches, AParkedLookupOfAServerThatStopsIsAnsweredAndTheServerReturns) {
  ServerOptions options = TestOptions();
  options.threads = 1;
  options.suspendable = true;
  options.drain_time = 200ms;
  server_ = std::make_unique<HandlerServer>(
      options, [this] { return std::make_unique<LookupHandler>(session_, entered_, 1); });
  Send("known-1");
  ASSERT_TRUE(session_.WaitForInFlight(1));
  Send("known-2");
  ASSERT_TRUE(WaitForEntered(2));
  server_->RequestStop();
  EXPECT_TRUE(server_->WaitReturned(5s));
}

}  // namespace
}  // namespace phonechat::http::testing
