// What the Unified Login's handlers share: an escaping exception becomes the route's own failure answer, and a SLOW
// service call runs on the server's blocking pool before the answer is built.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "core/error.hpp"
#include "http/server.hpp"

namespace phonechat {

// Runs `body`; an escaping exception becomes its Error (ErrorFromException), answered by `on_failure`.
template <typename Body>
http::Response Guarded(const Body& body, http::Response (*on_failure)(const Error& error)) {
  try {
    return body();
  } catch (const std::exception& failure) {
    return on_failure(ErrorFromException(failure));
  }
}

// Answers with deferred work: `slow` (a SLOW service call) runs on the server's blocking pool, then `then` builds
// the response from its outcome on the serving thread. Both capture copies only: the request is gone by then.
template <typename Outcome, typename Slow, typename Then>
http::Response Defer(Slow slow, Then then, http::Response (*on_failure)(const Error& error)) {
  struct State {
    std::optional<Outcome> outcome;
    std::exception_ptr failure;
  };
  auto state = std::make_shared<State>();
  http::Response response;
  response.deferred = std::make_shared<http::DeferredWork>();
  response.deferred->blocking = [state, slow = std::move(slow)] {
    try {
      state->outcome.emplace(slow());
    } catch (...) {
      state->failure = std::current_exception();
    }
  };
  response.deferred->finish = [state, then = std::move(then), on_failure]() -> http::Response {
    return Guarded(
        [&]() -> http::Response {
          if (state->failure) std::rethrow_exception(state->failure);
          if (!state->outcome) throw std::logic_error("deferred work finished without running");
          return then(*state->outcome);
        },
        on_failure);
  };
  return response;
}

}  // namespace phonechat
