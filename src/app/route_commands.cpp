// `routes`: prints the route table the router dispatches from, one JSON object per line.

#include "app/route_commands.hpp"

#include <cstdio>
#include <string_view>

#include "api/route_table.hpp"
#include "serialization/body_writer.hpp"

namespace phonechat {
namespace {

// No default: a new kind of authentication must be named here before the table can print (and the authorization
// matrix test refuses a name it does not know).
std::string_view AuthenticationName(RouteAuth auth) {
  switch (auth) {
    case RouteAuth::kNone:
      return "none";
    case RouteAuth::kBearer:
      return "bearer";
  }
  return "unknown";
}

}  // namespace

std::string RouteTableJsonLines() {
  std::string out;
  for (const Route& route : kRoutes) {
    out += "{\"method\":";
    AppendJsonString(out, route.method);
    out += ",\"path\":";
    AppendJsonString(out, route.path);
    out += ",\"authentication\":";
    AppendJsonString(out, AuthenticationName(route.auth));
    out += ",\"scope\":";
    if (route.scope.empty()) {
      out += "null";
    } else {
      AppendJsonString(out, route.scope);
    }
    out += ",\"group\":";
    out += route.group ? "true" : "false";
    out += ",\"writes\":";
    out += route.method == "POST" ? "true" : "false";
    out += "}\n";
  }
  return out;
}

int RunRoutes() {
  const std::string lines = RouteTableJsonLines();
  return std::fwrite(lines.data(), 1, lines.size(), stdout) == lines.size() && std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace phonechat
