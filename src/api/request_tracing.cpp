#include "api/request_tracing.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace phonechat {
namespace {

bool IsRequestIdChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~:/+=@").find(c) != std::string_view::npos;
}

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool AllZero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

std::string NewRequestId() {
  std::array<unsigned char, 16> random{};
  // libsodium's generator needs no initialisation for randombytes_buf (it initialises itself on first use).
  randombytes_buf(random.data(), random.size());
  std::string id(random.size() * 2 + 1, '\0');
  sodium_bin2hex(id.data(), id.size(), random.data(), random.size());
  id.pop_back();
  return id;
}

}  // namespace

std::string RequestIdFor(std::optional<std::string_view> given) {
  if (given && !given->empty() && given->size() <= kMaxRequestIdLength &&
      std::all_of(given->begin(), given->end(), IsRequestIdChar)) {
    return std::string(*given);
  }
  return NewRequestId();
}

std::optional<TraceContext> ParseTraceparent(std::string_view value) {
  constexpr std::size_t kLength = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (value.size() < kLength) return std::nullopt;
  const std::string_view version = value.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? value.size() != kLength : value.size() > kLength && value[kLength] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  const std::string_view trace_id = value.substr(3, 32);
  const std::string_view parent_id = value.substr(36, 16);
  const std::string_view flags = value.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(trace_id) || AllZero(parent_id)) return std::nullopt;
  return TraceContext{std::string(trace_id), std::string(parent_id), std::string(flags)};
}

}  // namespace phonechat
