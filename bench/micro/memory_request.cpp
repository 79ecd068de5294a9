#include "memory_request.hpp"

#include <stdexcept>

namespace phonechat::micro {
namespace {

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

}  // namespace

MemoryRequest::MemoryRequest(std::string method, std::string target,
                             std::vector<std::pair<std::string, std::string>> headers)
    : method_(std::move(method)), target_(std::move(target)), headers_(std::move(headers)) {}

std::optional<std::string_view> MemoryRequest::Header(std::string_view name) const {
  for (const auto& [field, value] : headers_) {
    if (EqualsIgnoreCase(field, name)) return value;
  }
  return std::nullopt;
}

std::string& MemoryRequest::MutableHeader(std::string_view name) {
  for (auto& [field, value] : headers_) {
    if (EqualsIgnoreCase(field, name)) return value;
  }
  throw std::logic_error("no header " + std::string(name));
}

MemoryRequest ListRequest(std::string target, std::string_view token, bool xml) {
  return MemoryRequest("GET", std::move(target),
                       {{"Host", "127.0.0.1:8080"},
                        {"Authorization", "Bearer " + std::string(token)},
                        {"Accept", xml ? "application/xml" : "application/json"},
                        {"User-Agent", "phonechat-micro"}});
}

}  // namespace phonechat::micro
