#include "test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace phonechat::http::testing {
namespace {

using Clock = std::chrono::steady_clock;

int StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUriTooLong:
      return 414;
    case ErrorCode::kHeadersTooLarge:
      return 431;
    case ErrorCode::kBodyTooLarge:
      return 413;
    case ErrorCode::kMalformedHttp:
      return 400;
    case ErrorCode::kNotImplemented:
      return 501;
    case ErrorCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

int Connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(std::string("connect: ") + std::strerror(error));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

void Probe::RecordRefusal(ErrorCode code, bool with_request) {
  {
    const std::lock_guard lock(mutex_);
    refusals_.emplace_back(code, with_request);
  }
  changed_cv_.notify_all();
}

std::vector<std::pair<ErrorCode, bool>> Probe::Refusals() const {
  const std::lock_guard lock(mutex_);
  return refusals_;
}

void Probe::RecordHandlerBuilt() {
  const std::lock_guard lock(mutex_);
  handler_threads_.push_back(std::this_thread::get_id());
}

std::vector<std::thread::id> Probe::HandlerThreads() const {
  const std::lock_guard lock(mutex_);
  return handler_threads_;
}

void Probe::MarkSlowStarted() {
  {
    const std::lock_guard lock(mutex_);
    slow_started_ = true;
  }
  slow_started_cv_.notify_all();
}

bool Probe::WaitSlowStarted(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return slow_started_cv_.wait_for(lock, timeout, [this] { return slow_started_; });
}

void Probe::RecordDeferred() {
  {
    const std::lock_guard lock(mutex_);
    ++deferred_;
  }
  changed_cv_.notify_all();
}

bool Probe::WaitDeferred(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_cv_.wait_for(lock, timeout, [this, count] { return deferred_ >= count; });
}

void Probe::RecordBlockingStarted() {
  {
    const std::lock_guard lock(mutex_);
    blocking_threads_.push_back(std::this_thread::get_id());
  }
  changed_cv_.notify_all();
}

bool Probe::WaitBlockingStarted(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_cv_.wait_for(lock, timeout,
                              [this, count] { return blocking_threads_.size() >= static_cast<std::size_t>(count); });
}

std::vector<std::thread::id> Probe::BlockingThreads() const {
  const std::lock_guard lock(mutex_);
  return blocking_threads_;
}

void Probe::RecordFinish() {
  const std::lock_guard lock(mutex_);
  finish_threads_.push_back(std::this_thread::get_id());
}

std::vector<std::thread::id> Probe::FinishThreads() const {
  const std::lock_guard lock(mutex_);
  return finish_threads_;
}

bool Probe::WaitGate(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_cv_.wait_for(lock, timeout, [this] { return gate_open_; });
}

void Probe::OpenGate() {
  {
    const std::lock_guard lock(mutex_);
    gate_open_ = true;
  }
  changed_cv_.notify_all();
}

bool Probe::WaitRefusals(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_cv_.wait_for(lock, timeout, [this, count] { return refusals_.size() >= count; });
}

EchoHandler::EchoHandler(std::shared_ptr<Probe> probe) : probe_(std::move(probe)), owner_(std::this_thread::get_id()) {
  probe_->RecordHandlerBuilt();
}

Response EchoHandler::Handle(const Request& request) {
  if (std::this_thread::get_id() != owner_) probe_->RecordForeignThread();
  const std::string_view target = request.Target();
  Response response;
  if (target.starts_with("/deferred")) return Defer(request);
  if (target == "/throw") throw std::runtime_error("handler failure");
  if (target == "/sleep" || target == "/sleep-long") {
    probe_->MarkSlowStarted();
    std::this_thread::sleep_for(std::chrono::milliseconds(target == "/sleep" ? 300 : 1000));
  }
  if (target == "/close") response.close_connection = true;
  if (target != "/bare") response.content_type = "text/plain; charset=utf-8";
  response.headers.emplace_back("X-Handler", "echo");
  if (target == "/body") {
    response.body = request.Body();
    return response;
  }
  response.body = std::string(request.Method()) + " " + std::string(target) +
                  " echo=" + std::string(request.Header("x-echo").value_or("-")) +
                  " body=" + std::to_string(request.Body().size());
  return response;
}

Response EchoHandler::Defer(const Request& request) {
  const std::string target(request.Target());
  auto work = std::make_shared<DeferredWork>();
  work->blocking = [probe = probe_, target] {
    probe->RecordBlockingStarted();
    if (target == "/deferred-gate") probe->WaitGate(std::chrono::seconds(20));
    if (target == "/deferred-sleep") std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (target == "/deferred-throw") throw std::runtime_error("blocking failure");
  };
  // The request is read only now, in finish: the server keeps it valid until then.
  work->finish = [this, &request, target] {
    probe_->RecordFinish();
    if (std::this_thread::get_id() != owner_) probe_->RecordForeignThread();
    if (target == "/deferred-finish-throw") throw std::runtime_error("finish failure");
    Response response;
    if (target == "/deferred-again") {
      response.deferred = std::make_shared<DeferredWork>();
      response.deferred->blocking = [] {};
      response.deferred->finish = [] { return Response{}; };
      return response;
    }
    response.content_type = "text/plain; charset=utf-8";
    response.headers.emplace_back("X-Handler", "deferred");
    response.body = "deferred " + std::string(request.Method()) + " " + std::string(request.Target()) +
                    " echo=" + std::string(request.Header("x-echo").value_or("-")) +
                    " body=" + std::string(request.Body());
    return response;
  };
  Response response;
  response.deferred = std::move(work);
  probe_->RecordDeferred();
  return response;
}

Response EchoHandler::HandleRefused(const Error& refusal, const Request* request) {
  probe_->RecordRefusal(refusal.code, request != nullptr);
  Response response;
  response.status = StatusOf(refusal.code);
  response.content_type = "text/plain; charset=utf-8";
  response.body = "refused " + std::to_string(response.status) + " request=" + (request != nullptr ? "yes" : "no");
  if (!refusal.message.empty()) response.body += " message=" + refusal.message;
  return response;
}

ServerOptions TestOptions() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.drain_time = std::chrono::seconds(5);
  return options;
}

HandlerServer::HandlerServer(const ServerOptions& options, HandlerFactory make_handler) {
  thread_ = std::jthread([this, options, make_handler = std::move(make_handler)](const std::stop_token& stop) {
    try {
      Serve(
          options, make_handler,
          [this](std::uint16_t port) {
            const std::lock_guard lock(mutex_);
            port_ = port;
            listening_ = true;
            changed_.notify_all();
          },
          stop);
    } catch (const std::exception& error) {
      const std::lock_guard lock(mutex_);
      failure_ = error.what();
    }
    const std::lock_guard lock(mutex_);
    returned_ = true;
    changed_.notify_all();
  });
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, std::chrono::seconds(10), [this] { return listening_ || returned_; })) {
    throw std::runtime_error("the server did not start listening within 10 s");
  }
  if (!listening_) throw std::runtime_error("the server did not start: " + failure_);
}

HandlerServer::~HandlerServer() {
  thread_.request_stop();
  thread_.join();
}

bool HandlerServer::WaitReturned(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return returned_; });
}

RunningServer::RunningServer(const ServerOptions& options, std::shared_ptr<Probe> probe)
    : HandlerServer(options, [probe] { return std::make_unique<EchoHandler>(probe); }), probe_(std::move(probe)) {}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return std::nullopt;
}

Client::Client(std::uint16_t port) : fd_(Connect(port)) {}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

int Client::Fill(Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    pollfd waiting{fd_, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return 0;
    char chunk[16384];
    const ssize_t received = ::recv(fd_, chunk, sizeof chunk, 0);
    if (received < 0 && errno == EINTR) continue;
    if (received <= 0) return -1;
    buffer_.append(chunk, static_cast<std::size_t>(received));
    return 1;
  }
}

std::optional<HttpResponse> Client::Read(std::chrono::milliseconds timeout, bool head_request) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::size_t header_end = std::string::npos;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (Fill(deadline) <= 0) return std::nullopt;
  }
  HttpResponse response;
  const std::string head = buffer_.substr(0, header_end);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
  response.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos && line_end < head.size()) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers.emplace_back(line.substr(0, colon), value);
  }
  buffer_.erase(0, header_end + 4);
  std::size_t length = 0;
  if (const auto declared = response.Header("Content-Length"); declared && !head_request) {
    length = std::stoul(*declared);
  }
  while (buffer_.size() < length) {
    if (Fill(deadline) <= 0) return std::nullopt;
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

bool Client::WaitClosed(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const int filled = Fill(deadline);
    if (filled < 0) return true;
    if (filled == 0) return false;
  }
}

bool Client::StaysOpenSilently(std::chrono::milliseconds wait) {
  const std::size_t before = buffer_.size();
  return Fill(Clock::now() + wait) == 0 && buffer_.size() == before;
}

bool CanConnect(std::uint16_t port) {
  try {
    Client client(port);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

std::string Get(std::string_view target, std::string_view extra_headers) {
  std::string request = "GET ";
  request.append(target);
  request.append(" HTTP/1.1\r\nHost: test\r\n");
  request.append(extra_headers);
  request.append("\r\n");
  return request;
}

}  // namespace phonechat::http::testing
