#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.hpp"
#include "service/service_clock.hpp"
#include "storage/store.hpp"

namespace spdlog {
class logger;
}

namespace phonechat {

class OAuthService;

// What every serving thread's handler shares: the store, the clock, the access log and the Unified Login.
// Thread-safe.
struct ApiContext {
  Store* store = nullptr;               // the primary: authentication, authorization, audit, writes
  std::vector<Store*> read_replicas;    // where the lists are read; empty: the primary. Each thread uses one.
  const ServiceClock* clock = nullptr;
  std::shared_ptr<spdlog::logger> access_log;  // one JSON object per request; null disables it
  OAuthService* oauth = nullptr;  // the Unified Login; null: its routes answer 503 (the demo pages still load)
  std::string issuer;             // the OAuth issuer URL for metadata; empty: `http://<Host>` of each request
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
  http::Response Dispatch(const http::Request& request, Exchange& exchange);
  static void LogAccess(const ApiContext& context, std::string_view method, const Exchange& exchange, int status);

  StoreSession& ReadSession();

  const ApiContext& context_;
  std::unique_ptr<StoreSession> session_;
  Store* read_replica_ = nullptr;               // this thread's replica, if any
  std::unique_ptr<StoreSession> read_session_;  // opened on first use, dropped when the replica fails
};

// The scope every PhoneChat route needs.
inline constexpr std::string_view kPhoneChatBookingsScope = "account_phonechat_bookings";

}  // namespace phonechat
