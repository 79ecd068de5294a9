#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "core/error.hpp"
#include "http/server.hpp"
#include "test_support.hpp"

namespace phonechat::http::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Waits until the listener has gone away, which shows that the server has taken the signal.
bool WaitRefusingConnections(std::uint16_t port) {
  const Clock::time_point deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    if (!CanConnect(port)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(HttpDrain, SigtermLetsTheInFlightRequestFinishClosesIdleConnectionsAndReturns) {
  ServerOptions options = TestOptions();
  options.drain_time = 5s;
  RunningServer server(options);
  Client idle(server.Port());
  ASSERT_TRUE(idle.Send(Get("/warm")));
  ASSERT_TRUE(idle.Read());
  Client slow(server.Port());
  ASSERT_TRUE(slow.Send(Get("/sleep")));
  ASSERT_TRUE(server.Seen().WaitSlowStarted(5s));

  ASSERT_EQ(std::raise(SIGTERM), 0);
  const Clock::time_point signalled = Clock::now();
  EXPECT_TRUE(WaitRefusingConnections(server.Port())) << "new connections are refused";

  const auto finished = slow.Read();
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->status, 200);
  EXPECT_EQ(finished->body, "GET /sleep echo=- body=0");

  // The idle connection is closed promptly; a request that still gets through is refused.
  if (idle.Send(Get("/late"))) {
    if (const auto late = idle.Read(3s)) {
      EXPECT_EQ(late->status, 503);
      EXPECT_EQ(late->Header("Connection"), "close");
    }
  }
  EXPECT_TRUE(idle.WaitClosed(5s));
  EXPECT_TRUE(slow.WaitClosed(5s));
  EXPECT_TRUE(server.WaitReturned(7s));
  EXPECT_LT(Clock::now() - signalled, options.drain_time) << "Serve returns once every connection is done";
}

TEST(HttpDrain, SigtermAnswersARequestQueuedBehindTheInFlightOneWith503) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/sleep-long") + Get("/queued")));
  ASSERT_TRUE(server.Seen().WaitSlowStarted(5s));

  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_TRUE(WaitRefusingConnections(server.Port()));

  const auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  const auto second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(second->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed(5s));
  const auto refusals = server.Seen().Refusals();
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals[0].first, ErrorCode::kUnavailable);
  EXPECT_TRUE(refusals[0].second);
  EXPECT_TRUE(server.WaitReturned(7s));
}

TEST(HttpDrain, DrainTimeBoundsTheWaitForARequestThatNeverCompletes) {
  ServerOptions options = TestOptions();
  options.drain_time = 500ms;
  RunningServer server(options);
  Client stuck(server.Port());
  ASSERT_TRUE(stuck.Send("GET /never HTTP/1.1\r\nHost: test\r\n"));
  ASSERT_TRUE(stuck.StaysOpenSilently(100ms));

  const Clock::time_point signalled = Clock::now();
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_TRUE(server.WaitReturned(5s));
  EXPECT_GE(Clock::now() - signalled, 400ms) << "an unfinished request is given the drain time";
  EXPECT_TRUE(stuck.WaitClosed(5s));
}

TEST(HttpDrain, SecondSignalCutsTheDrainShort) {
  ServerOptions options = TestOptions();
  options.drain_time = 60s;
  RunningServer server(options);
  Client stuck(server.Port());
  ASSERT_TRUE(stuck.Send("GET /never HTTP/1.1\r\nHost: test\r\n"));
  ASSERT_TRUE(stuck.StaysOpenSilently(100ms));

  ASSERT_EQ(std::raise(SIGTERM), 0);
  ASSERT_TRUE(WaitRefusingConnections(server.Port()));
  EXPECT_FALSE(server.WaitReturned(300ms)) << "the first signal waits for the unfinished request";
  ASSERT_EQ(std::raise(SIGINT), 0);
  EXPECT_TRUE(server.WaitReturned(10s));
  EXPECT_TRUE(stuck.WaitClosed(5s));
}

}  // namespace
}  // namespace phonechat::http::testing
