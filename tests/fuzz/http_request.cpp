// Fuzzes the raw HTTP request path in process: bytes through the server's own RequestReader (limits, framing
// decision, chunked bodies, trailers dropped), the real ApiHandler over the demo store (route, authentication,
// binding, answer in JSON or XML), and the answer's head as the server formats it. Pipelined requests are served
// one after the other, as on a connection, until one closes it or the bytes end.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "demo_store.hpp"
#include "http/request_reader.hpp"

namespace {

using phonechat::http::RequestReader;
using Step = RequestReader::Step;

struct Served {
  phonechat::ApiContext context;
  phonechat::http::ServerOptions options;
  std::unique_ptr<phonechat::ApiHandler> handler;

  Served() {
    phonechat::fuzz::DemoStore& demo = phonechat::fuzz::DemoStore::Instance();
    context.store = &demo.Primary();
    context.clock = &demo.Clock();
    context.issuer = "http://127.0.0.1:8080";
    // As `serve` sets them (src/app/commands.cpp).
    options.unique_fields = {"Authorization", "X-ApiKey", "Content-Type", "Idempotency-Key"};
    handler = std::make_unique<phonechat::ApiHandler>(context);
  }
};

// The input as what a client sends: each receive takes as much as the reader has room for.
class Sender {
 public:
  explicit Sender(std::string_view bytes) : rest_(bytes) {}
  bool SendTo(RequestReader& reader) {
    if (rest_.empty()) return false;
    const std::span<char> room = reader.Prepare();
    if (room.empty()) std::abort();  // the reader refuses before it asks for bytes it has no room for
    const std::size_t taken = std::min(room.size(), rest_.size());
    std::memcpy(room.data(), rest_.data(), taken);
    reader.Commit(taken);
    rest_.remove_prefix(taken);
    return true;
  }

 private:
  std::string_view rest_;
};

// A head the server writes must stay one: a status line and fields, each ended by CRLF, and one empty line last.
void CheckHead(std::string_view head) {
  if (!head.starts_with("HTTP/1.1 ") || !head.ends_with("\r\n\r\n")) std::abort();
  const std::string_view fields = head.substr(0, head.size() - 2);
  for (std::size_t at = 0; at < fields.size(); ++at) {
    const char c = fields[at];
    if (c == '\0') std::abort();
    if (c == '\n' && (at == 0 || fields[at - 1] != '\r')) std::abort();
    if (c == '\r' && (at + 1 >= fields.size() || fields[at + 1] != '\n')) std::abort();
    if (c == '\n' && at + 1 < fields.size() && fields[at + 1] == '\r') std::abort();  // an empty line inside
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Served served;
  RequestReader reader(served.options);
  Sender sender(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string head;
  for (;;) {
    if (reader.Buffered() == 0 && !sender.SendTo(reader)) return 0;
    reader.StartRequest();
    Step step = reader.ReadHeader();
    for (; step == Step::kNeedMore; step = reader.ReadHeader()) {
      if (!sender.SendTo(reader)) return 0;  // the client went away mid-request
    }
    if (step == Step::kComplete) step = reader.CheckHead();
    if (step == Step::kComplete) step = reader.StartBody();
    if (step == Step::kNeedMore) {
      static_cast<void>(reader.ExpectsContinue());
      for (step = reader.ReadBody(); step == Step::kNeedMore; step = reader.ReadBody()) {
        if (!sender.SendTo(reader)) return 0;
      }
    }
    const bool have_request = reader.HeaderDone();
    if (step == Step::kRefused) {
      const phonechat::http::Response refused =
          served.handler->HandleRefused(reader.Refusal(), have_request ? &reader.Parsed() : nullptr);
      reader.FormatHead(refused, false, head);
      CheckHead(head);
      return 0;
    }
    // Handle must not throw: an exception here is a finding.
    phonechat::http::Response response = served.handler->Handle(reader.Parsed());
    if (response.deferred) {
      const auto work = std::move(response.deferred);
      work->blocking();
      response = work->finish();
    }
    const bool keep_alive = reader.KeepAlive() && !response.close_connection;
    reader.FormatHead(response, keep_alive, head);
    CheckHead(head);
    // PHONECHAT_FUZZ_TRACE=1 prints each answer's status line, to see what the seeds reach.
    static const bool trace = std::getenv("PHONECHAT_FUZZ_TRACE") != nullptr;
    if (trace) std::fprintf(stderr, "%.*s\n", static_cast<int>(head.find('\r')), head.data());
    if (!keep_alive) return 0;
  }
}
