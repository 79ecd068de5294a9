// The admin listener's routes: liveness and readiness probes and the Prometheus metrics (docs/operations.md).
#pragma once

#include <memory>

#include "api/metrics.hpp"
#include "http/server.hpp"
#include "storage/store.hpp"

namespace phonechat {

// What the admin handlers of every thread share. Thread-safe.
struct AdminContext {
  Store* store = nullptr;                          // asked by /readyz
  const http::ServerGauges* api_gauges = nullptr;  // the API listener's: /readyz is 503 while it drains
  const MetricsRegistry* metrics = nullptr;
};

// Answers GET (and HEAD) /livez (200 while the process serves), /readyz (200 when the API listener is not draining
// and the database answers, else 503 naming why) and /metrics (text exposition 0.0.4); 404 and 405 otherwise.
class AdminHandler final : public http::RequestHandler {
 public:
  explicit AdminHandler(const AdminContext& context) : context_(context) {}
  http::Response Handle(const http::Request& request) override;
  http::Response HandleRefused(const Error& refusal, const http::Request* request) override;

 private:
  const AdminContext& context_;
  std::unique_ptr<StoreSession> session_;  // opened by the first /readyz, dropped when it fails
};

}  // namespace phonechat
