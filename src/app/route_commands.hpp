// `routes`: the route table (src/api/route_table.hpp) as JSON Lines, for tests and operators.
#pragma once

#include <string>

namespace phonechat {

// One JSON object per route, in the table's order, each line ending in `\n`: `method`, `path`, `authentication`
// (`bearer` or `none`), `scope` (null: none, or any valid token), `group` (the /v1/Groups/... variant), `writes`
// (a POST).
std::string RouteTableJsonLines();

// Prints RouteTableJsonLines() on stdout. Returns the exit code.
int RunRoutes();

}  // namespace phonechat
