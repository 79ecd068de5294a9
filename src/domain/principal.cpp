#include "domain/principal.hpp"

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

}  // namespace phonechat
