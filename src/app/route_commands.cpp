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

// `names`, space-separated, as a JSON array of strings.
void AppendNameList(std::string& out, std::string_view names) {
  out += '[';
  bool first = true;
  while (!names.empty()) {
    const std::size_t space = names.find(' ');
    const std::string_view name = names.substr(0, space);
    names = space == std::string_view::npos ? std::string_view{} : names.substr(space + 1);
    if (name.empty()) continue;
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, name);
  }
  out += ']';
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
    out += ",\"query\":";
    AppendNameList(out, route.query);
    out += ",\"body\":";
    AppendNameList(out, route.body);
    out += "}\n";
  }
  return out;
}

int RunRoutes() {
  const std::string lines = RouteTableJsonLines();
  return std::fwrite(lines.data(), 1, lines.size(), stdout) == lines.size() && std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace phonechat
