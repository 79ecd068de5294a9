// Joining and splitting scope lists.

#include "domain/principal.hpp"

#include <algorithm>

namespace phonechat {

bool Principal::HasScope(std::string_view scope) const {
  if (scope.empty()) return false;
  std::string_view rest = scopes;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    if (rest.substr(0, space) == scope) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    if (!joined.empty()) joined += ' ';
    joined += scope;
  }
  return joined;
}

std::vector<std::string> SplitScopes(std::string_view text, std::string_view separators) {
  std::vector<std::string> names;
  std::size_t position = 0;
  while (position < text.size()) {
    const auto start = text.find_first_not_of(separators, position);
    if (start == std::string_view::npos) break;
    const auto end = std::min(text.find_first_of(separators, start), text.size());
    names.emplace_back(text.substr(start, end - start));
    position = end;
  }
  return names;
}

}  // namespace phonechat
