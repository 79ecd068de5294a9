#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server.hpp"

namespace phonechat::micro {

// An http::Request held in memory, as the server would hand it to the handler after parsing.
class MemoryRequest final : public http::Request {
 public:
  // A request with `method`, `target` (path and query, undecoded) and header fields in order.
  MemoryRequest(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers);

  [[nodiscard]] std::string_view Method() const override { return method_; }
  [[nodiscard]] std::string_view Target() const override { return target_; }
  [[nodiscard]] std::optional<std::string_view> Header(std::string_view name) const override;
  // The value of the first header named `name` (case-insensitive), to change in place; it must be present.
  std::string& MutableHeader(std::string_view name);

 private:
  std::string method_;
  std::string target_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// A GET of `target` with the headers a client of the list sends: Host, `Authorization: Bearer <token>`, Accept
// (`application/json` or, with `xml`, `application/xml`) and User-Agent.
MemoryRequest ListRequest(std::string target, std::string_view token, bool xml);

}  // namespace phonechat::micro
