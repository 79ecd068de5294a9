#pragma once

#include <memory>
#include <string_view>

#include "http/server.hpp"
#include "service/service_clock.hpp"
#include "storage/store.hpp"

namespace spdlog {
class logger;
}

namespace phonechat {

// What every serving thread's handler shares: the store, the clock and the access log. Thread-safe.
struct ApiContext {
  Store* store = nullptr;
  const ServiceClock* clock = nullptr;
  std::shared_ptr<spdlog::logger> access_log;  // one JSON object per request; null disables it
};

// The API's request handler for one serving thread: routes, authenticates, validates and answers.
class ApiHandler final : public http::RequestHandler {
 public:
  // Opens this thread's store session.
  explicit ApiHandler(const ApiContext& context);
  ~ApiHandler() override;

  http::Response Handle(const http::Request& request) override;
  http::Response HandleRefused(ErrorCode code, const http::Request* request) override;

 private:
  struct Exchange;
  http::Response MadeBookings(const http::Request& request, Exchange& exchange, bool group_route);
  http::Response Dispatch(const http::Request& request, Exchange& exchange);
  void LogAccess(const http::Request* request, const Exchange& exchange, int status) const;

  const ApiContext& context_;
  std::unique_ptr<StoreSession> session_;
};

// The scope every PhoneChat route needs.
inline constexpr std::string_view kPhoneChatBookingsScope = "account_phonechat_bookings";

}  // namespace phonechat
