#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/booking.hpp"

namespace phonechat {

using ProjectId = std::int64_t;

// Who a request acts for, established by authentication.
struct Principal {
  UserId user_id = 0;
  ProjectId project_id = 0;
  std::string scopes;  // space-separated

  // True when `scope` is one of the granted scopes.
  [[nodiscard]] bool HasScope(std::string_view scope) const;
};

}  // namespace phonechat
