#include "http/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "test_support.hpp"

namespace phonechat::http::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRequestLineLimit = std::size_t{8} * 1024;
constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;

// A request whose request line (method, target and version, without its CRLF) is `line_length` bytes long.
std::string RequestWithLineLength(std::size_t line_length) {
  const std::string prefix = "GET /";
  const std::string suffix = " HTTP/1.1";
  const std::string target_tail(line_length - prefix.size() - suffix.size(), 'a');
  return prefix + target_tail + suffix + "\r\nHost: test\r\n\r\n";
}

// A request whose header fields (every field line with its CRLF, not the request line) total `field_bytes`.
std::string RequestWithFieldBytes(std::size_t field_bytes) {
  const std::string host = "Host: test\r\n";
  const std::string name = "X-Big: ";
  const std::string value(field_bytes - host.size() - name.size() - 2, 'b');
  return "GET /big HTTP/1.1\r\n" + host + name + value + "\r\n\r\n";
}

bool RefusedWith(const Probe& probe, ErrorCode code) {
  for (const auto& [seen, with_request] : probe.Refusals()) {
    if (seen == code) return true;
  }
  return false;
}

TEST(HttpServer, AnswersGetWithTheHandlersStatusTypeHeadersAndLength) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/hello?x=1", "X-Echo: abc\r\n")));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /hello?x=1 echo=abc body=0");
  EXPECT_EQ(response->Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->Header("Content-Length"), std::to_string(response->body.size()));
  EXPECT_EQ(response->Header("X-Handler"), "echo");
  EXPECT_FALSE(response->Header("Connection"));
  EXPECT_FALSE(response->Header("Server"));
  EXPECT_TRUE(client.StaysOpenSilently(200ms));
}

TEST(HttpServer, OmitsContentTypeWhenTheHandlerGivesNone) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/bare")));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_FALSE(response->Header("Content-Type"));
  EXPECT_EQ(response->body, "GET /bare echo=- body=0");
}

TEST(HttpServer, KeepAliveServesTwoRequestsOnOneConnection) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/first")));
  const auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "GET /first echo=- body=0");
  ASSERT_TRUE(client.Send(Get("/second")));
  const auto second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "GET /second echo=- body=0");
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += Get("/p" + std::to_string(i));
  ASSERT_TRUE(client.Send(burst));
  for (int i = 0; i < 20; ++i) {
    const auto response = client.Read();
    ASSERT_TRUE(response) << "response " << i;
    EXPECT_EQ(response->body, "GET /p" + std::to_string(i) + " echo=- body=0");
  }
}

TEST(HttpServer, HeadGoesToTheHandlerAndIsAnsweredWithHeadersOnly) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n" + Get("/after")));
  const auto head = client.Read(10s, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(std::string("HEAD /h echo=- body=0").size()));
  // Had the body been sent, it would be read here as the next response's status line.
  const auto after = client.Read();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "GET /after echo=- body=0");
}

TEST(HttpServer, ConnectionCloseRequestIsAnsweredThenClosed) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/bye", "Connection: close\r\n")));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, HandlerAskingToCloseClosesTheConnection) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/close")));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, Http10ClosesUnlessKeepAliveIsAsked) {
  RunningServer server(TestOptions());
  {
    Client client(server.Port());
    ASSERT_TRUE(client.Send("GET /old HTTP/1.0\r\n\r\n"));
    const auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("Connection"), "close");
    EXPECT_TRUE(client.WaitClosed());
  }
  Client client(server.Port());
  ASSERT_TRUE(client.Send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Header("Connection"), "keep-alive");
  ASSERT_TRUE(client.Send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const auto second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "GET /again echo=- body=0");
}

TEST(HttpServer, RequestLineOfExactly8KiBIsServed) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(RequestWithLineLength(kRequestLineLimit)));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServer, RequestLineOver8KiBIs414AndClosed) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(RequestWithLineLength(kRequestLineLimit + 1)));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 414);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(RefusedWith(server.Seen(), ErrorCode::kUriTooLong));
}

TEST(HttpServer, RequestLineLongerThanEveryLimitIs414NotHeaderError) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(RequestWithLineLength(std::size_t{40} * 1024)));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 414);
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, HeaderFieldsOfExactly16KiBAreServed) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(RequestWithFieldBytes(kHeaderLimit)));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServer, HeaderFieldsOver16KiBAre431AndClosed) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(RequestWithFieldBytes(kHeaderLimit + 1)));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(RefusedWith(server.Seen(), ErrorCode::kHeadersTooLarge));
}

TEST(HttpServer, ManySmallHeaderFieldsTrickledInStillCountTowardsTheLimit) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("GET /many HTTP/1.1\r\nHost: test\r\n"));
  const std::string field = "X-Field: " + std::string(90, 'f') + "\r\n";  // 101 bytes
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    if (!client.Send(field)) break;
    if (i % 20 == 19) std::this_thread::sleep_for(20ms);  // let the server parse what has arrived so far
  }
  client.Send("\r\n");
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
}

TEST(HttpServer, DeclaredBodyOver64KiBIs413WithoutWaitingForTheBody) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 70000\r\n\r\n"));
  const auto response = client.Read(5s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  const auto refusals = server.Seen().Refusals();
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals[0].first, ErrorCode::kBodyTooLarge);
  EXPECT_TRUE(refusals[0].second) << "the parsed header goes with a 413";
}

TEST(HttpServer, BodyOver64KiBSentInFullStillReceivesIts413) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(
      client.Send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 70000\r\n\r\n" + std::string(70000, 'x')));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, ChunkedBodyOver64KiBIs413) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "4000\r\n" + std::string(0x4000, 'c') + "\r\n";
  for (int i = 0; i < 5; ++i) {
    if (!client.Send(chunk)) break;
  }
  client.Send("0\r\n\r\n");
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(RefusedWith(server.Seen(), ErrorCode::kBodyTooLarge));
}

TEST(HttpServer, BodiesWithinTheLimitReachTheHandler) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 65536\r\n\r\n" + std::string(65536, 'x')));
  const auto sized = client.Read();
  ASSERT_TRUE(sized);
  EXPECT_EQ(sized->body, "POST /a echo=- body=65536");
  ASSERT_TRUE(
      client.Send("POST /b HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  const auto chunked = client.Read();
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->body, "POST /b echo=- body=11");
}

TEST(HttpServer, ExpectContinueGetsAnInterimResponseBeforeTheBody) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("POST /c HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = client.Read(5s);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("abc"));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /c echo=- body=3");
}

TEST(HttpServer, AFramingRefusalNamesTheProblemAndNeverServesWhatFollowsIt) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(
      client.Send("POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: identity\r\nContent-Length: 31\r\n\r\n"
                  "GET /hidden HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("message=The request has both Transfer-Encoding and Content-Length."),
            std::string::npos)
      << response->body;
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(server.Seen().Refusals().size(), 1U);
}

TEST(HttpServer, ATransferCodingOtherThanChunkedBeforeChunkedIs501AndClosed) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 501);
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(RefusedWith(server.Seen(), ErrorCode::kNotImplemented));
}

TEST(HttpServer, TheHandlerSeesAnAbsoluteFormTargetInOriginForm) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: test\r\n\r\n"));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /p/q?x=1 echo=- body=0");
}

TEST(HttpServer, TrailerFieldsNeverReachTheHandlerAsHeaders) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(
      client.Send("POST /t HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "2;ext=1\r\nhi\r\n0\r\nX-Echo: from-trailer\r\n\r\n"));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /t echo=- body=2");
  EXPECT_TRUE(client.StaysOpenSilently(200ms));
}

TEST(HttpServer, AFieldTheOptionsDeclareUniqueMayNotBeRepeated) {
  ServerOptions options = TestOptions();
  options.unique_fields = {"X-Echo"};
  RunningServer server(options);
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/u", "X-Echo: a\r\nx-echo: b\r\n")));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("more than one X-Echo header"), std::string::npos) << response->body;
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, GarbageIs400AndClosed) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("HELLO\r\n\r\n"));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  const auto refusals = server.Seen().Refusals();
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals[0].first, ErrorCode::kMalformedHttp);
  EXPECT_FALSE(refusals[0].second);
}

TEST(HttpServer, EmptyLinesBeforeARequestAreIgnored) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send("\r\n\r\n" + Get("/after-blank")));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /after-blank echo=- body=0");
}

TEST(HttpServer, BinaryJunkIs400) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
  const auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, HeaderDeadlineIsAbsoluteAndCutsATricklingClient) {
  ServerOptions options = TestOptions();
  options.header_deadline = 300ms;
  RunningServer server(options);
  Client client(server.Port());
  const Clock::time_point start = Clock::now();
  const std::string request = "GET /slow HTTP/1.1\r\nHost: test\r\nX-Padding: " + std::string(100, 'p');
  bool closed = false;
  for (const char byte : request) {
    if (!client.Send(std::string_view(&byte, 1)) || client.WaitClosed(100ms)) {
      closed = true;
      break;
    }
  }
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(closed) << "still open after trickling for " << request.size() / 10 << " s";
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 2500ms) << "each byte must not extend the deadline";
}

TEST(HttpServer, ConnectionThatSendsNothingIsClosedAtTheHeaderDeadline) {
  ServerOptions options = TestOptions();
  options.header_deadline = 300ms;
  RunningServer server(options);
  Client client(server.Port());
  const Clock::time_point start = Clock::now();
  EXPECT_TRUE(client.WaitClosed(5s));
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_TRUE(client.Pending().empty());
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedSilentlyAfterTheIdleTimeout) {
  ServerOptions options = TestOptions();
  options.idle_timeout = 300ms;
  RunningServer server(options);
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/once")));
  ASSERT_TRUE(client.Read());
  const Clock::time_point start = Clock::now();
  EXPECT_TRUE(client.WaitClosed(5s));
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_TRUE(client.Pending().empty()) << "nothing is sent on an idle close";
}

TEST(HttpServer, IdleTimeoutDoesNotCutAConnectionInUse) {
  ServerOptions options = TestOptions();
  options.idle_timeout = 400ms;
  RunningServer server(options);
  Client client(server.Port());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client.Send(Get("/tick")));
    ASSERT_TRUE(client.Read()) << "request " << i;
    std::this_thread::sleep_for(150ms);
  }
}

TEST(HttpServer, HandlerThatThrowsGets500AndServingContinues) {
  RunningServer server(TestOptions());
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/throw")));
  const auto failed = client.Read();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  const auto refusals = server.Seen().Refusals();
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals[0].first, ErrorCode::kInternal);
  EXPECT_TRUE(refusals[0].second);

  ASSERT_TRUE(client.Send(Get("/fine")));
  const auto same_connection = client.Read();
  ASSERT_TRUE(same_connection);
  EXPECT_EQ(same_connection->status, 200);
  Client other(server.Port());
  ASSERT_TRUE(other.Send(Get("/fine")));
  const auto other_connection = other.Read();
  ASSERT_TRUE(other_connection);
  EXPECT_EQ(other_connection->status, 200);
}

TEST(HttpServer, ConnectionsBeyondMaxConnectionsAreAnswered503UnreadAndClosed) {
  ServerOptions options = TestOptions();
  options.max_connections = 1;
  RunningServer server(options);
  auto first = std::make_unique<Client>(server.Port());
  ASSERT_TRUE(first->Send(Get("/one")));
  ASSERT_TRUE(first->Read());

  Client second(server.Port());  // sends nothing: the answer does not wait for a request
  const auto refused = second.Read(5s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->Header("Retry-After"), "1");
  EXPECT_EQ(refused->Header("Connection"), "close");
  EXPECT_EQ(refused->body, "");
  EXPECT_TRUE(second.WaitClosed(5s));
  EXPECT_TRUE(server.Seen().Refusals().empty()) << "the answer is the server's own, not the handler's";

  first.reset();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client third(server.Port());
    if (third.Send(Get("/three"))) served = third.Read(2s).has_value();
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served) << "a slot frees when a connection ends";
}

TEST(HttpServer, HandlerFactoryRunsOncePerServingThreadOnThatThread) {
  ServerOptions options = TestOptions();
  options.threads = 3;
  RunningServer server(options);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 9; ++i) {
    clients.push_back(std::make_unique<Client>(server.Port()));
    ASSERT_TRUE(clients.back()->Send(Get("/t")));
  }
  for (auto& client : clients) ASSERT_TRUE(client->Read());
  const auto threads = server.Seen().HandlerThreads();
  EXPECT_EQ(threads.size(), 3U);
  EXPECT_EQ(std::set<std::thread::id>(threads.begin(), threads.end()).size(), 3U);
  EXPECT_EQ(std::count(threads.begin(), threads.end(), std::this_thread::get_id()), 0);
  EXPECT_EQ(server.Seen().ForeignThreadCalls(), 0);
}

TEST(HttpServer, BindFailureThrowsUsageErrorNamingTheAddress) {
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::uint16_t port = ntohs(address.sin_port);

  ServerOptions options = TestOptions();
  options.port = port;
  bool listened = false;
  try {
    Serve(
        options, [] { return std::make_unique<EchoHandler>(std::make_shared<Probe>()); },
        [&listened](std::uint16_t) { listened = true; });
    ADD_FAILURE() << "Serve returned";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("cannot listen on 127.0.0.1:" + std::to_string(port) + ": ", 0), 0U)
        << error.what();
  }
  EXPECT_FALSE(listened);
  ::close(holder);
}

// A handler that breaks its contract twice: Handle throws, and so does HandleRefused.
class ThrowingRefusalHandler final : public RequestHandler {
 public:
  Response Handle(const Request& /*request*/) override { throw std::runtime_error("handler failure"); }
  Response HandleRefused(const Error& /*refusal*/, const Request* /*request*/) override {
    throw std::runtime_error("refusal handler failure");
  }
};

TEST(HttpServer, ARefusalHandlerThatThrowsGetsABare500WhateverWasRefusedAndTheConnectionCloses) {
  HandlerServer server(TestOptions(), [] { return std::make_unique<ThrowingRefusalHandler>(); });
  for (const std::string& request : {Get("/throw"), Get("/" + std::string(9000, 'a'))}) {
    Client client(server.Port());
    ASSERT_TRUE(client.Send(request));
    const auto answer = client.Read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 500) << "the http layer keeps no status table of its own";
    EXPECT_TRUE(answer->body.empty());
    EXPECT_TRUE(client.WaitClosed(5s));
  }
}

TEST(HttpServer, HandlerFactoryFailureIsThrownFromServe) {
  ServerOptions options = TestOptions();
  bool listened = false;
  EXPECT_THROW(Serve(
                   options, []() -> std::unique_ptr<RequestHandler> { throw std::runtime_error("no store"); },
                   [&listened](std::uint16_t) { listened = true; }),
               std::runtime_error);
  EXPECT_FALSE(listened);
}

TEST(HttpServer, OnDrainIsCalledOnceWhenTheDrainBegins) {
  ServerOptions options = TestOptions();
  std::atomic<int> drains{0};
  options.on_drain = [&drains] { drains.fetch_add(1); };
  RunningServer server(options);
  Client client(server.Port());
  ASSERT_TRUE(client.Send(Get("/warm")));
  ASSERT_TRUE(client.Read());
  EXPECT_EQ(drains.load(), 0) << "not while serving";
  server.RequestStop();
  EXPECT_TRUE(server.WaitReturned(5s));
  EXPECT_EQ(drains.load(), 1);
}

TEST(HttpServer, StopRequestDrainsRefusesNewConnectionsAndReturns) {
  RunningServer server(TestOptions());
  Client idle(server.Port());
  ASSERT_TRUE(idle.Send(Get("/warm")));
  ASSERT_TRUE(idle.Read());
  server.RequestStop();
  EXPECT_TRUE(idle.WaitClosed(5s)) << "idle keep-alive connections are closed promptly";
  EXPECT_TRUE(server.WaitReturned(5s));
  EXPECT_FALSE(CanConnect(server.Port()));
}

}  // namespace
}  // namespace phonechat::http::testing
