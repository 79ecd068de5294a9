// The socket-free half of a connection: the receive buffer, the HTTP parser under the server's limits, the framing
// decision and the head of each answer. Beast stays inside request_reader.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "core/error.hpp"
#include "http/server.hpp"

namespace phonechat::http {

// The status actually sent for a handler's `status`: one it got wrong (outside 100-999) is the server's fault, 500.
int EffectiveStatus(int status);

// True for the statuses whose responses never carry a body (RFC 9110 §6.4.1).
bool IsBodyless(int status);

// Reads one request after another from the bytes a connection receives (pipelined ones straight from the buffer),
// under ServerOptions' limits (docs/security.md, "Limits and timeouts" and "Message framing"). Does no I/O: the
// caller receives into Prepare's room and reports what came with Commit.
class RequestReader {
 public:
  // What the caller does next: receive more bytes and repeat the step, go on to the next step, or answer Refusal()
  // and close the connection.
  enum class Step { kNeedMore, kComplete, kRefused };

  // `options` must outlive the reader.
  explicit RequestReader(const ServerOptions& options);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // The bytes received and not yet parsed.
  [[nodiscard]] std::size_t Buffered() const;
  // Room to receive into; empty when the buffer is full (the steps refuse before asking for more then).
  std::span<char> Prepare();
  // Appends the first `received` bytes written to Prepare's room to the buffered bytes.
  void Commit(std::size_t received);
  // Forgets every buffered byte and returns room to receive bytes that are only to be dropped (after a refusal).
  std::span<char> PrepareDiscard();

  // Forgets the previous request: the next step is ReadHeader.
  void StartRequest();
  // Parses buffered bytes into the request line and header section; kComplete once the section is complete.
  Step ReadHeader();
  // The framing decision on the complete header section: CheckRequestHead's, which Beast's framing must match.
  Step CheckHead();
  // Refuses a declared body length beyond the limit; kComplete when the request has no body, kNeedMore when a body
  // follows (read it with ReadBody).
  Step StartBody();
  // Parses buffered bytes of the body; kComplete once the request is complete (a chunked body's trailers dropped).
  Step ReadBody();

  // Why the last step answered kRefused.
  [[nodiscard]] const Error& Refusal() const;
  // True once the current request's header section is parsed.
  [[nodiscard]] bool HeaderDone() const;
  // True once the whole current request is read.
  [[nodiscard]] bool Done() const;
  // The current request (an absolute-form target in origin form), meaningful once HeaderDone(); valid until the
  // next StartRequest.
  [[nodiscard]] const Request& Parsed() const;
  // True when the current request's method is HEAD.
  [[nodiscard]] bool IsHead() const;
  // True when the current request lets the connection stay open (by its version and Connection field).
  [[nodiscard]] bool KeepAlive() const;
  // True when the client waits for `100 Continue` before it sends the body (HTTP/1.1, Expect: 100-continue).
  [[nodiscard]] bool ExpectsContinue() const;

  // Replaces `head` with the status line and header section of `response`: the server's framing, the handler's
  // other fields made safe, `Connection: close` unless `keep_alive` (`keep-alive` to an HTTP/1.0 client).
  void FormatHead(const Response& response, bool keep_alive, std::string& head) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace phonechat::http
