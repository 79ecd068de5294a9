// Client addresses: the proxies whose X-Forwarded-For and X-Forwarded-Proto the server believes, and the origin of a
// request resolved through them (docs/security.md, "Client addresses").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace phonechat::http {

// Who sent a request, as far as the server can tell.
struct ClientOrigin {
  std::string address;  // the client's IP address in canonical text form; empty when unknown
  bool https = false;   // a trusted proxy in front says the client used HTTPS
};

// A set of address ranges (IPv4 and IPv6 CIDR blocks). Immutable once parsed; thread-safe.
class TrustedProxies {
 public:
  // Parses `--trusted-proxy` values: `10.0.0.0/8`, `2001:db8::/32`, or a bare address (one host). The error
  // names the first entry that is not an address or whose prefix length is out of range.
  static Result<TrustedProxies> Parse(std::span<const std::string> ranges);

  // True when `address` (text, IPv4, IPv6 or IPv4-mapped IPv6) lies in one of the ranges.
  [[nodiscard]] bool Contains(std::string_view address) const;
  [[nodiscard]] bool Empty() const { return ranges_.empty(); }

 private:
  struct Range {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    unsigned prefix = 0;                   // in bits of the 128
  };
  std::vector<Range> ranges_;
};

// The origin of a request received from `peer` (the socket's address). X-Forwarded-For and X-Forwarded-Proto are
// believed only when `peer` is a trusted proxy: the client is then the right-most X-Forwarded-For entry that is not
// itself a trusted proxy (each proxy appends the address it received from), and `https` is what the first
// X-Forwarded-Proto hop says. An entry that is not an address ends the walk at the proxy that appended it.
ClientOrigin ResolveClientOrigin(std::string_view peer, std::optional<std::string_view> forwarded_for,
                                 std::optional<std::string_view> forwarded_proto, const TrustedProxies& proxies);

// `address` (IPv4, IPv6, IPv4-mapped IPv6) in canonical text form, IPv4-mapped ones as plain IPv4; nullopt when it
// is not an address.
std::optional<std::string> CanonicalAddress(std::string_view address);

}  // namespace phonechat::http
