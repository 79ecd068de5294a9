#include "api/admin_routes.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>
#include <string_view>

namespace phonechat {
namespace {

http::Response Text(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

http::Response AdminHandler::Handle(const http::Request& request) {
  const std::string_view path = PathOf(request.Target());
  const bool known = path == "/livez" || path == "/readyz" || path == "/metrics";
  if (!known) return Text(404, "not found: the admin listener answers /livez, /readyz and /metrics\n");
  if (request.Method() != "GET" && request.Method() != "HEAD") {
    http::Response response = Text(405, "method not allowed: use GET\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (path == "/livez") return Text(200, "ok\n");
  if (path == "/metrics") {
    http::Response response = Text(200, context_.metrics->Render());
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  }
  if (context_.api_gauges->draining.load()) return Text(503, "draining: the server is shutting down\n");
  try {
    if (!session_) session_ = context_.store->OpenSession();
    // Any read that reaches the database: user 0 never exists.
    static_cast<void>(session_->FindUser(0));
    return Text(200, "ok\n");
  } catch (const std::exception& failure) {
    session_.reset();
    spdlog::warn("readyz: the database cannot answer: {}", failure.what());
    return Text(503, "database unavailable: the database cannot answer now\n");
  }
}

http::Response AdminHandler::HandleRefused(const Error& refusal, const http::Request* /*request*/) {
  http::Response response = Text(refusal.code == ErrorCode::kUnavailable ? 503 : 400, "refused: " + refusal.message + "\n");
  response.close_connection = true;
  return response;
}

}  // namespace phonechat
