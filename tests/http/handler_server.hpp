#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/server.hpp"

namespace phonechat::http::testing {

// `Serve` on a background thread with the handlers `make_handler` builds; drained and joined when destroyed.
class HandlerServer {
 public:
  // Starts the server and waits until it listens; throws if it does not within 10 s.
  HandlerServer(const ServerOptions& options, HandlerFactory make_handler) {
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
  ~HandlerServer() {
    thread_.request_stop();
    thread_.join();
  }
  HandlerServer(const HandlerServer&) = delete;
  HandlerServer& operator=(const HandlerServer&) = delete;

  // The port the server is bound to.
  [[nodiscard]] std::uint16_t Port() const { return port_; }
  // Asks the server to drain, as SIGTERM does, without waiting.
  void RequestStop() { thread_.request_stop(); }
  // Waits up to `timeout` for Serve to return; true if it did.
  bool WaitReturned(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return returned_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint16_t port_ = 0;
  bool listening_ = false;
  bool returned_ = false;
  std::string failure_;
  std::jthread thread_;
};

}  // namespace phonechat::http::testing
