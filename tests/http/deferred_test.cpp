#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "http/server.hpp"
#include "test_support.hpp"

namespace phonechat::http::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous bounds: the tests must hold on a loaded two-core machine.
constexpr auto kWait = 10s;

ServerOptions OneServingThread() {
  ServerOptions options = TestOptions();
  options.threads = 1;
  return options;
}

std::string FormPost(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// A form body of exactly `size` bytes: `password=ppp...&user=alice`.
std::string FormBody(std::size_t size) {
  const std::string tail = "&user=alice";
  const std::string head = "password=";
  return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

TEST(HttpDeferred, AnswerIsWhatFinishReturnsAndTheConnectionStaysUsable) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/deferred?x=1", "X-Echo: abc\r\n")));
  const auto deferred = client.Read(kWait);
  ASSERT_TRUE(deferred);
  EXPECT_EQ(deferred->status, 200);
  EXPECT_EQ(deferred->body, "deferred GET /deferred?x=1 echo=abc body=");
  EXPECT_EQ(deferred->Header("X-Handler"), "deferred");
  EXPECT_EQ(deferred->Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(deferred->Header("Connection"));
  EXPECT_EQ(server.Seen().BlockingThreads().size(), 1U);
  EXPECT_EQ(server.Seen().FinishThreads().size(), 1U);

  ASSERT_TRUE(client.Send(Get("/after")));
  const auto after = client.Read(kWait);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "GET /after echo=- body=0");
  EXPECT_TRUE(server.Seen().Refusals().empty());
}

TEST(HttpDeferred, FinishStillSeesTheRequestAndItsFullFormBody) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  const std::string body = FormBody(std::size_t{64} * 1024);
  ASSERT_TRUE(client.Send(FormPost("/deferred-sleep", body)));
  const auto response = client.Read(kWait);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "deferred POST /deferred-sleep echo=- body=" + body);
}

TEST(HttpDeferred, FormEncodedPostBodyUpTo64KiBReachesHandleIntact) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  for (const std::size_t size : {std::size_t{20}, std::size_t{64} * 1024}) {
    const std::string body = FormBody(size);
    ASSERT_TRUE(client.Send(FormPost("/body", body)));
    const auto response = client.Read(kWait);
    ASSERT_TRUE(response) << size;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, body) << size;
  }
}

TEST(HttpDeferred, OtherConnectionsOnTheSameServingThreadAreServedWhileTheWorkBlocks) {
  RunningServer server(OneServingThread());
  const GateOpener opener(server.Seen());
  Client waiting(server.Port());
  ASSERT_TRUE(waiting.Send(Get("/deferred-gate")));
  ASSERT_TRUE(server.Seen().WaitBlockingStarted(1, kWait));

  // The work stays blocked at the gate until this connection has been answered.
  Client other(server.Port());
  ASSERT_TRUE(other.Send(Get("/meanwhile")));
  const auto meanwhile = other.Read(kWait);
  ASSERT_TRUE(meanwhile) << "the serving thread was held up by the blocking work";
  EXPECT_EQ(meanwhile->body, "GET /meanwhile echo=- body=0");
  EXPECT_TRUE(waiting.Pending().empty());

  server.Seen().OpenGate();
  const auto released = waiting.Read(kWait);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->status, 200);
  EXPECT_EQ(released->body, "deferred GET /deferred-gate echo=- body=");
  EXPECT_EQ(server.Seen().HandlerThreads().size(), 1U) << "both connections shared the one serving thread";
}

TEST(HttpDeferred, BlockingRunsOffTheServingThreadAndFinishOnIt) {
  ServerOptions options = OneServingThread();
  options.blocking_threads = 2;
  RunningServer server(options);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(server.Port()));
    ASSERT_TRUE(clients.back()->Send(Get("/deferred") + Get("/deferred-sleep")));
  }
  for (auto& client : clients) {
    for (int i = 0; i < 2; ++i) {
      const auto response = client->Read(kWait);
      ASSERT_TRUE(response);
      EXPECT_EQ(response->status, 200);
    }
  }
  const auto serving = server.Seen().HandlerThreads();
  ASSERT_EQ(serving.size(), 1U);
  const auto blocking = server.Seen().BlockingThreads();
  const auto finishing = server.Seen().FinishThreads();
  ASSERT_EQ(blocking.size(), 8U);
  ASSERT_EQ(finishing.size(), 8U);
  for (const std::thread::id id : blocking) {
    EXPECT_NE(id, serving[0]);
    EXPECT_NE(id, std::this_thread::get_id());
  }
  for (const std::thread::id id : finishing) EXPECT_EQ(id, serving[0]);
  EXPECT_EQ(server.Seen().ForeignThreadCalls(), 0);
}

TEST(HttpDeferred, PipelinedRequestsAroundDeferredOnesAreAnsweredInOrder) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/deferred-sleep") + Get("/p1") + Get("/deferred") + Get("/p2")));
  const std::vector<std::string> expected = {"deferred GET /deferred-sleep echo=- body=", "GET /p1 echo=- body=0",
                                             "deferred GET /deferred echo=- body=", "GET /p2 echo=- body=0"};
  for (const std::string& body : expected) {
    const auto response = client.Read(kWait);
    ASSERT_TRUE(response) << body;
    EXPECT_EQ(response->body, body);
  }
}

TEST(HttpDeferred, WorkBeyondMaxBlockingQueueIsRefusedWith503WithoutRunning) {
  ServerOptions options = TestOptions();
  options.blocking_threads = 1;
  options.max_blocking_queue = 1;
  RunningServer server(options);
  const GateOpener opener(server.Seen());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(server.Port()));
    ASSERT_TRUE(clients.back()->Send(Get("/deferred-gate")));
  }
  // One work is running (held at the gate), which fills the queue: the other two are refused at once.
  ASSERT_TRUE(server.Seen().WaitRefusals(2, kWait));
  server.Seen().OpenGate();

  int ok = 0;
  int unavailable = 0;
  for (auto& client : clients) {
    const auto response = client->Read(kWait);
    ASSERT_TRUE(response);
    if (response->status == 200) ++ok;
    if (response->status == 503) {
      ++unavailable;
      EXPECT_EQ(response->body, "refused 503 request=yes");
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(unavailable, 2);
  EXPECT_EQ(server.Seen().BlockingThreads().size(), 1U) << "refused work never runs";
  for (const auto& [code, with_request] : server.Seen().Refusals()) {
    EXPECT_EQ(code, ErrorCode::kUnavailable);
    EXPECT_TRUE(with_request);
  }

  // The place is given back once the work is answered, and a refusal leaves the connection open.
  for (auto& client : clients) {
    ASSERT_TRUE(client->Send(Get("/deferred")));
    const auto again = client->Read(kWait);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
  }
}

TEST(HttpDeferred, BlockingWorkThatThrowsGets500AndServingContinues) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/deferred-throw")));
  const auto failed = client.Read(kWait);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(failed->body, "refused 500 request=yes");
  EXPECT_TRUE(server.Seen().FinishThreads().empty()) << "finish is not called after blocking failed";
  const auto refusals = server.Seen().Refusals();
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals[0].first, ErrorCode::kInternal);

  ASSERT_TRUE(client.Send(Get("/deferred")));
  const auto same_connection = client.Read(kWait);
  ASSERT_TRUE(same_connection);
  EXPECT_EQ(same_connection->status, 200);
}

TEST(HttpDeferred, FinishThatThrowsGets500AndServingContinues) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/deferred-finish-throw")));
  const auto failed = client.Read(kWait);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  const auto refusals = server.Seen().Refusals();
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals[0].first, ErrorCode::kInternal);
  EXPECT_TRUE(refusals[0].second);

  ASSERT_TRUE(client.Send(Get("/deferred") + Get("/plain")));
  const auto deferred = client.Read(kWait);
  ASSERT_TRUE(deferred);
  EXPECT_EQ(deferred->status, 200);
  const auto plain = client.Read(kWait);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
}

TEST(HttpDeferred, FinishAnsweringWithDeferredWorkAgainGets500) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/deferred-again")));
  const auto failed = client.Read(kWait);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(server.Seen().BlockingThreads().size(), 1U) << "the nested work is not run";
  const auto refusals = server.Seen().Refusals();
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals[0].first, ErrorCode::kInternal);

  ASSERT_TRUE(client.Send(Get("/plain")));
  const auto plain = client.Read(kWait);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
}

TEST(HttpDeferred, DrainWaitsForInFlightDeferredWorkAndAnswersIt) {
  ServerOptions options = TestOptions();
  options.drain_time = 20s;
  RunningServer server(options);
  const GateOpener opener(server.Seen());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/deferred-gate")));
  ASSERT_TRUE(server.Seen().WaitBlockingStarted(1, kWait));

  server.RequestStop();
  const Clock::time_point deadline = Clock::now() + kWait;
  while (CanConnect(server.Port()) && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_FALSE(CanConnect(server.Port())) << "the drain has begun";
  EXPECT_FALSE(server.WaitReturned(300ms)) << "the drain waits for the deferred work";

  server.Seen().OpenGate();
  const auto response = client.Read(kWait);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "deferred GET /deferred-gate echo=- body=");
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed(kWait));
  EXPECT_TRUE(server.WaitReturned(kWait));
}

TEST(HttpDeferred, WorkNotStartedWhenTheDrainTimeRunsOutIsNeverRun) {
  ServerOptions options = TestOptions();
  options.blocking_threads = 1;
  options.drain_time = 300ms;
  options.header_deadline = 60s;
  RunningServer server(options);
  const GateOpener opener(server.Seen());
  // A connection in the middle of a request header: only the end of the drain time closes it.
  Client stuck(server.Port());
  ASSERT_TRUE(stuck.Send(Get("/warm")));
  ASSERT_TRUE(stuck.Read(kWait));
  ASSERT_TRUE(stuck.Send("GET /never HTTP/1.1\r\nHost: test\r\n"));
  Client running(server.Port());
  ASSERT_TRUE(running.Send(Get("/deferred-gate")));
  ASSERT_TRUE(server.Seen().WaitBlockingStarted(1, kWait));
  Client queued(server.Port());
  ASSERT_TRUE(queued.Send(Get("/deferred")));
  ASSERT_TRUE(server.Seen().WaitDeferred(2, kWait));

  server.RequestStop();
  ASSERT_TRUE(stuck.WaitClosed(kWait)) << "the drain time has run out";
  EXPECT_FALSE(server.WaitReturned(100ms)) << "the running work is still awaited";
  server.Seen().OpenGate();
  EXPECT_TRUE(running.WaitClosed(kWait));
  EXPECT_TRUE(running.Pending().empty()) << "a connection cut by the drain time is not answered";
  EXPECT_TRUE(queued.WaitClosed(kWait));
  EXPECT_TRUE(queued.Pending().empty());
  EXPECT_TRUE(server.WaitReturned(kWait));
  EXPECT_EQ(server.Seen().BlockingThreads().size(), 1U) << "the queued work never ran";
  EXPECT_TRUE(server.Seen().FinishThreads().empty());
}

}  // namespace
}  // namespace phonechat::http::testing
