// Who a request acts for (user, project, scopes), and scope lists as strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// `scopes` as one space-separated string: the form tokens, grants and token responses carry.
std::string JoinScopes(const std::vector<std::string>& scopes);

// The non-empty names in `text`, split at any of `separators`.
std::vector<std::string> SplitScopes(std::string_view text, std::string_view separators = " ");

}  // namespace phonechat
