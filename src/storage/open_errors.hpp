// How opening a store reports failure on every backend: one UsageError line for the operator, never a password.
#pragma once

// How opening a store reports failure, on every backend: one UsageError line for the operator, never a password.

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace phonechat {

// Returns what `open` returns; a std::runtime_error it throws becomes a UsageError: a UsageError as it is, one for
// which `own_line(error)` has a line (not nullopt) with that line, any other as "cannot open <what>: <message>".
// `what` names the database as the operator may see it, e.g. "database 'x.db'" (never a password).
template <typename Open, typename OwnLine>
auto OpenOrUsageError(const std::string& what, Open&& open, OwnLine&& own_line) -> decltype(open()) {
  try {
    return std::forward<Open>(open)();
  } catch (const UsageError&) {
    throw;
  } catch (const std::runtime_error& error) {
    if (std::optional<std::string> line = own_line(error)) throw UsageError(*line);
    throw UsageError("cannot open " + what + ": " + error.what());
  }
}

}  // namespace phonechat
