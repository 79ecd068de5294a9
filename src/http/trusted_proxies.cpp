// Trusted proxy ranges and the resolution of a request's client address through X-Forwarded-For.

#include "http/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace phonechat::http {
namespace {

using Bytes = std::array<std::uint8_t, 16>;
constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The address as 16 bytes (IPv4 mapped into IPv6), and whether it was written as IPv4.
struct Parsed {
  Bytes bytes{};
  bool v4 = false;
};

std::optional<Parsed> ParseAddress(std::string_view text) {
  // inet_pton needs a terminated string; no address is longer than this (IPv6 with an embedded IPv4 is 45).
  std::array<char, 48> buffer{};
  if (text.empty() || text.size() >= buffer.size()) return std::nullopt;
  std::memcpy(buffer.data(), text.data(), text.size());
  Parsed parsed;
  in_addr v4{};
  if (::inet_pton(AF_INET, buffer.data(), &v4) == 1) {
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), parsed.bytes.begin());
    std::memcpy(parsed.bytes.data() + kMappedPrefix.size(), &v4, sizeof v4);
    parsed.v4 = true;
    return parsed;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, buffer.data(), &v6) != 1) return std::nullopt;
  std::memcpy(parsed.bytes.data(), &v6, sizeof v6);
  parsed.v4 = std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), parsed.bytes.begin());
  return parsed;
}

std::string Format(const Parsed& address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.v4) {
    ::inet_ntop(AF_INET, address.bytes.data() + kMappedPrefix.size(), text.data(), text.size());
  } else {
    ::inet_ntop(AF_INET6, address.bytes.data(), text.data(), text.size());
  }
  return text.data();
}

bool InPrefix(const Bytes& address, const Bytes& network, unsigned prefix) {
  const unsigned whole = prefix / 8;
  if (!std::equal(address.begin(), address.begin() + whole, network.begin())) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[whole] & mask) == (network[whole] & mask);
}

// The first hop's protocol: each proxy of a chain appends its own, so the first is the client's.
bool FirstHopIsHttps(std::string_view forwarded_proto) {
  const std::string_view first = Trim(forwarded_proto.substr(0, forwarded_proto.find(',')));
  constexpr std::string_view kHttps = "https";
  if (first.size() != kHttps.size()) return false;
  for (std::size_t i = 0; i < kHttps.size(); ++i) {
    if ((first[i] | 0x20) != kHttps[i]) return false;
  }
  return true;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(std::span<const std::string> ranges) {
  TrustedProxies proxies;
  for (const std::string& entry : ranges) {
    const auto refuse = [&entry](std::string_view why) -> Result<TrustedProxies> {
      return Error{ErrorCode::kInvalidRequest, "--trusted-proxy '" + entry + "': " + std::string(why), {}, {}, false};
    };
    const std::string_view text = Trim(entry);
    const auto slash = text.find('/');
    const std::optional<Parsed> network = ParseAddress(text.substr(0, slash));
    if (!network) return refuse("not an IPv4 or IPv6 address or CIDR block");
    const unsigned width = network->v4 ? 32 : 128;
    unsigned prefix = width;
    if (slash != std::string_view::npos) {
      const std::string_view digits = text.substr(slash + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix > width) {
        return refuse("the prefix length must be 0-" + std::to_string(width));
      }
    }
    // IPv4 blocks are stored mapped into IPv6, behind the 96 bits of the mapping prefix.
    proxies.ranges_.push_back(Range{network->bytes, network->v4 ? prefix + 96 : prefix});
  }
  return proxies;
}

bool TrustedProxies::Contains(std::string_view address) const {
  if (ranges_.empty()) return false;
  const std::optional<Parsed> parsed = ParseAddress(Trim(address));
  if (!parsed) return false;
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const Range& range) { return InPrefix(parsed->bytes, range.bytes, range.prefix); });
}

std::optional<std::string> CanonicalAddress(std::string_view address) {
  const std::optional<Parsed> parsed = ParseAddress(Trim(address));
  if (!parsed) return std::nullopt;
  return Format(*parsed);
}

ClientOrigin ResolveClientOrigin(std::string_view peer, std::optional<std::string_view> forwarded_for,
                                 std::optional<std::string_view> forwarded_proto, const TrustedProxies& proxies) {
  ClientOrigin origin;
  origin.address = CanonicalAddress(peer).value_or(std::string(peer));
  if (!proxies.Contains(origin.address)) return origin;
  origin.https = forwarded_proto && FirstHopIsHttps(*forwarded_proto);
  if (!forwarded_for) return origin;
  std::string_view rest = *forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view entry = Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (entry.empty()) continue;
    std::optional<std::string> hop = CanonicalAddress(entry);
    if (!hop) break;
    origin.address = std::move(*hop);
    if (!proxies.Contains(origin.address)) break;
  }
  return origin;
}

}  // namespace phonechat::http
