// ServerOptions::suspendable: each request's Handle runs in a coroutine of its own with an IoWaiter installed, so
// that a request waiting for a descriptor leaves its serving thread to the others.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/io_wait.hpp"
#include "http/server.hpp"
#include "test_support.hpp"

namespace phonechat::http::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kWait = 10s;

// A pipe the test writes to in order to wake the requests waiting on it.
struct Doorbell {
  Doorbell() {
    if (pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
  }
  ~Doorbell() {
    close(fds[0]);
    close(fds[1]);
  }
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // Lets one waiting request through.
  void Ring() const {
    const char byte = 'x';
    ASSERT_EQ(write(fds[1], &byte, 1), 1);
  }
  // Waits until `count` requests are suspended on the doorbell.
  bool WaitForWaiters(int count) const {
    const auto deadline = Clock::now() + kWait;
    while (waiting.load() < count) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  std::array<int, 2> fds{-1, -1};
  std::atomic<int> waiting{0};
};

// `/wait?<ms>`: waits through the current IoWaiter until the doorbell rings (then takes one ring) or <ms> pass
// (default 20 s), answering `ready` or `timeout` and whether the same waiter was current after the wait as before;
// `/park`: parks until `/unpark` (which unparks every parked request and answers how many) or a shutdown, counted
// in the doorbell's `waiting`;
// `/writable`: waits for a socket to become writable; `/either`: readable or writable, whichever first; anything
// else answers at once whether a waiter is installed.
class DoorbellHandler final : public RequestHandler {
 public:
  explicit DoorbellHandler(Doorbell& doorbell) : doorbell_(doorbell) {}

  Response Handle(const Request& request) override {
    Response response;
    response.content_type = "text/plain";
    IoWaiter* waiter = CurrentIoWaiter();
    const std::string_view target = request.Target();
    if (target.starts_with("/wait")) {
      if (waiter == nullptr) {
        response.body = "no waiter";
        return response;
      }
      const auto query = target.find('?');
      const int ms = query == std::string_view::npos ? 20'000 : std::stoi(std::string(target.substr(query + 1)));
      ++doorbell_.waiting;
      const bool ready = waiter->WaitReadable(doorbell_.fds[0], Clock::now() + std::chrono::milliseconds(ms));
      --doorbell_.waiting;
      if (ready) {
        char byte = 0;
        // Another request may have taken the ring first: it is only a wake-up.
        [[maybe_unused]] const auto taken = read(doorbell_.fds[0], &byte, 1);
      }
      response.body =
          std::string(ready ? "ready" : "timeout") + (CurrentIoWaiter() == waiter ? " same-waiter" : " other-waiter");
      return response;
    }
    if (target == "/park") {
      if (waiter == nullptr) {
        response.body = "no waiter";
        return response;
      }
      parked_.push_back(waiter);
      ++doorbell_.waiting;
      const bool unparked = waiter->Park();
      --doorbell_.waiting;
      std::erase(parked_, waiter);
      response.body =
          std::string(unparked ? "unparked" : "shutdown") + (CurrentIoWaiter() == waiter ? " same-waiter" : " other-waiter");
      return response;
    }
    if (target == "/unpark") {
      for (IoWaiter* parked : parked_) parked->Unpark();
      response.body = std::to_string(parked_.size());
      return response;
    }
    if (target == "/writable" || target == "/either") {
      std::array<int, 2> pair{-1, -1};
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) throw std::runtime_error("socketpair");
      const IoEvent events = target == "/writable" ? IoEvent::kWritable : IoEvent::kEither;
      const bool ready = waiter != nullptr && waiter->Wait(pair[0], events, Clock::now() + 5s);
      close(pair[0]);
      close(pair[1]);
      response.body = ready ? "ready" : "timeout";
      return response;
    }
    response.body = waiter != nullptr ? "now waiter=yes" : "now waiter=no";
    return response;
  }

  Response HandleRefused(const Error& refusal, const Request* /*request*/) override {
    Response response;
    response.status = refusal.code == ErrorCode::kUnavailable ? 503 : 500;
    response.close_connection = true;
    return response;
  }

 private:
  Doorbell& doorbell_;
  std::vector<IoWaiter*> parked_;  // the waiters of the requests parked now
};

ServerOptions OneThread(bool suspendable) {
  ServerOptions options = TestOptions();
  options.threads = 1;
  options.suspendable = suspendable;
  return options;
}

HandlerFactory Doorbells(Doorbell& doorbell) {
  return [&doorbell] { return std::make_unique<DoorbellHandler>(doorbell); };
}

TEST(SuspendableServer, RequestWaitingForADescriptorLeavesItsServingThreadToOtherRequests) {
  Doorbell doorbell;
  HandlerServer server(OneThread(true), Doorbells(doorbell));
  Client waiting(server.Port());
  ASSERT_TRUE(waiting.Send(Get("/wait")));
  ASSERT_TRUE(doorbell.WaitForWaiters(1));

  // The only serving thread answers others meanwhile, on new and on open connections.
  for (int i = 0; i < 3; ++i) {
    Client other(server.Port());
    ASSERT_TRUE(other.Send(Get("/now")));
    const auto answer = other.Read(kWait);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, "now waiter=yes");
  }
  EXPECT_TRUE(waiting.StaysOpenSilently(100ms));

  doorbell.Ring();
  const auto woken = waiting.Read(kWait);
  ASSERT_TRUE(woken);
  EXPECT_EQ(woken->status, 200);
  EXPECT_EQ(woken->body, "ready same-waiter");
}

TEST(SuspendableServer, ManyRequestsWaitAtOnceOnOneThreadAndEachResumesWithItsOwnWaiter) {
  Doorbell doorbell;
  HandlerServer server(OneThread(true), Doorbells(doorbell));
  constexpr int kRequests = 20;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.push_back(std::make_unique<Client>(server.Port()));
    ASSERT_TRUE(clients.back()->Send(Get("/wait")));
  }
  ASSERT_TRUE(doorbell.WaitForWaiters(kRequests));
  for (int i = 0; i < kRequests; ++i) doorbell.Ring();
  for (auto& client : clients) {
    const auto answer = client->Read(kWait);
    ASSERT_TRUE(answer);
    // A ring may wake several waiters of which one takes it; each still answers as woken, on its own waiter.
    EXPECT_EQ(answer->body, "ready same-waiter");
  }
}

TEST(SuspendableServer, WaitReturnsFalseAtItsDeadline) {
  Doorbell doorbell;
  HandlerServer server(OneThread(true), Doorbells(doorbell));
  Client client(server.Port());
  const auto started = Clock::now();
  ASSERT_TRUE(client.Send(Get("/wait?150")));
  const auto answer = client.Read(kWait);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "timeout same-waiter");
  EXPECT_GE(Clock::now() - started, 150ms);
}

TEST(SuspendableServer, WaitsForWritableAndForEitherReadiness) {
  Doorbell doorbell;
  HandlerServer server(OneThread(true), Doorbells(doorbell));
  for (const char* target : {"/writable", "/either"}) {
    Client client(server.Port());
    ASSERT_TRUE(client.Send(Get(target)));
    const auto answer = client.Read(kWait);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, "ready") << target;
  }
}

TEST(SuspendableServer, ReadinessThatCameBeforeTheWaitIsSeen) {
  Doorbell doorbell;
  HandlerServer server(OneThread(true), Doorbells(doorbell));
  doorbell.Ring();
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/wait?5000")));
  const auto answer = client.Read(kWait);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "ready same-waiter");
}

TEST(SuspendableServer, CutShortDrainEndsWaitsAndParksAtOnce) {
  for (const char* target : {"/wait", "/park"}) {  // a wait of 20 s; a park that nothing unparks
    Doorbell doorbell;
    ServerOptions options = OneThread(true);
    options.drain_time = 200ms;
    HandlerServer server(options, Doorbells(doorbell));
    Client client(server.Port());
    ASSERT_TRUE(client.Send(Get(target)));
    ASSERT_TRUE(doorbell.WaitForWaiters(1));
    const auto stopping = Clock::now();
    server.RequestStop();
    EXPECT_TRUE(server.WaitReturned(5s)) << target;
    EXPECT_LT(Clock::now() - stopping, 5s) << target;
    EXPECT_EQ(doorbell.waiting.load(), 0) << target;
  }
}

TEST(SuspendableServer, AParkedRequestResumesWhenAnotherUnparksItAndLeavesTheThreadMeanwhile) {
  Doorbell doorbell;
  HandlerServer server(OneThread(true), Doorbells(doorbell));
  std::vector<std::unique_ptr<Client>> parked;
  for (int i = 0; i < 3; ++i) {
    parked.push_back(std::make_unique<Client>(server.Port()));
    ASSERT_TRUE(parked.back()->Send(Get("/park")));
  }
  ASSERT_TRUE(doorbell.WaitForWaiters(3));
  Client other(server.Port());
  ASSERT_TRUE(other.Send(Get("/now")));
  const auto meanwhile = other.Read(kWait);
  ASSERT_TRUE(meanwhile);
  EXPECT_EQ(meanwhile->body, "now waiter=yes");
  EXPECT_TRUE(parked.front()->StaysOpenSilently(100ms));

  Client unparker(server.Port());
  ASSERT_TRUE(unparker.Send(Get("/unpark")));
  const auto unparked = unparker.Read(kWait);
  ASSERT_TRUE(unparked);
  EXPECT_EQ(unparked->body, "3");
  for (auto& client : parked) {
    const auto answer = client->Read(kWait);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, "unparked same-waiter");
  }
}

TEST(DirectServer, HandleRunsOnTheServingThreadWithoutAWaiter) {
  Doorbell doorbell;
  HandlerServer server(OneThread(false), Doorbells(doorbell));
  for (const char* target : {"/now", "/wait"}) {
    Client client(server.Port());
    ASSERT_TRUE(client.Send(Get(target)));
    const auto answer = client.Read(kWait);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, std::string_view(target) == "/now" ? "now waiter=no" : "no waiter");
  }
}

TEST(IoWait, WithoutAWaiterWaitForIoPollsUntilReadyOrTheDeadline) {
  ASSERT_EQ(CurrentIoWaiter(), nullptr);
  Doorbell doorbell;
  const auto started = Clock::now();
  EXPECT_FALSE(WaitForIo(doorbell.fds[0], IoEvent::kReadable, Clock::now() + 50ms));
  EXPECT_GE(Clock::now() - started, 50ms);
  EXPECT_TRUE(WaitForIo(doorbell.fds[1], IoEvent::kWritable, Clock::now() + 50ms));
  doorbell.Ring();
  EXPECT_TRUE(WaitForIo(doorbell.fds[0], IoEvent::kEither, IoWaiter::kNoDeadline));
}

TEST(IoWait, ScopeInstallsAWaiterAndRestoresThePreviousOne) {
  class Recorder final : public IoWaiter {
   public:
    bool Wait(int /*fd*/, IoEvent /*events*/, Clock::time_point /*deadline*/) override {
      ++calls;
      return true;
    }
    bool Park() override { return false; }
    void Unpark() override {}
    int calls = 0;
  };
  Recorder outer;
  Recorder inner;
  {
    const IoWaiterScope outer_scope(&outer);
    {
      const IoWaiterScope inner_scope(&inner);
      EXPECT_EQ(CurrentIoWaiter(), &inner);
      EXPECT_TRUE(WaitForIo(-1, IoEvent::kReadable, Clock::now()));
    }
    EXPECT_EQ(CurrentIoWaiter(), &outer);
  }
  EXPECT_EQ(CurrentIoWaiter(), nullptr);
  EXPECT_EQ(inner.calls, 1);
  EXPECT_EQ(outer.calls, 0);
}

}  // namespace
}  // namespace phonechat::http::testing
