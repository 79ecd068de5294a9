// Trusted proxy ranges and the client address resolved through X-Forwarded-For (plain code, no sockets).

#include "http/trusted_proxies.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace phonechat::http {
namespace {

TrustedProxies Proxies(std::vector<std::string> ranges) {
  Result<TrustedProxies> parsed = TrustedProxies::Parse(ranges);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : TrustedProxies{};
}

TEST(TrustedProxies, MatchesIpv4AndIpv6BlocksAndSingleHosts) {
  const TrustedProxies proxies = Proxies({"10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "172.16.0.0/12"});
  EXPECT_TRUE(proxies.Contains("10.255.3.4"));
  EXPECT_TRUE(proxies.Contains("192.168.1.7"));
  EXPECT_FALSE(proxies.Contains("192.168.1.8"));
  EXPECT_TRUE(proxies.Contains("172.31.255.255"));
  EXPECT_FALSE(proxies.Contains("172.32.0.0"));
  EXPECT_TRUE(proxies.Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(proxies.Contains("2001:db9::1"));
  EXPECT_TRUE(proxies.Contains("::ffff:10.1.2.3")) << "an IPv4-mapped peer of a dual-stack socket is IPv4";
  EXPECT_FALSE(proxies.Contains("not-an-address"));
  EXPECT_FALSE(proxies.Contains(""));
}

TEST(TrustedProxies, AZeroPrefixTrustsEveryAddressOfItsFamily) {
  const TrustedProxies proxies = Proxies({"0.0.0.0/0"});
  EXPECT_TRUE(proxies.Contains("203.0.113.9"));
  EXPECT_FALSE(proxies.Contains("2001:db8::1"));
}

TEST(TrustedProxies, RefusesWhatIsNotARangeNamingTheEntry) {
  for (const std::string bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x", "10.0.0", "example.com", "",
                                "10.0.0.0/-1", "1.2.3.4/08 junk"}) {
    const Result<TrustedProxies> parsed = TrustedProxies::Parse(std::vector<std::string>{bad});
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_NE(parsed.error().message.find("'" + bad + "'"), std::string::npos) << parsed.error().message;
  }
}

TEST(ResolveClientOrigin, WithoutTrustedProxiesIsThePeerAndIgnoresForwardedHeaders) {
  const ClientOrigin origin = ResolveClientOrigin("198.51.100.4", "203.0.113.9", "https", TrustedProxies{});
  EXPECT_EQ(origin.address, "198.51.100.4");
  EXPECT_FALSE(origin.https);
}

TEST(ResolveClientOrigin, AnUntrustedPeerCannotNameAnotherAddress) {
  const TrustedProxies proxies = Proxies({"10.0.0.0/8"});
  const ClientOrigin origin = ResolveClientOrigin("198.51.100.4", "203.0.113.9", "https", proxies);
  EXPECT_EQ(origin.address, "198.51.100.4");
  EXPECT_FALSE(origin.https);
}

TEST(ResolveClientOrigin, ATrustedPeerNamesTheRightMostUntrustedHop) {
  const TrustedProxies proxies = Proxies({"10.0.0.0/8"});
  // A client that sends its own X-Forwarded-For gets it prepended to: the left entries are its own words.
  const ClientOrigin origin = ResolveClientOrigin("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.1", "https", proxies);
  EXPECT_EQ(origin.address, "203.0.113.9");
  EXPECT_TRUE(origin.https);
}

TEST(ResolveClientOrigin, AHopThatIsNotAnAddressStopsAtTheProxyThatWroteIt) {
  const TrustedProxies proxies = Proxies({"10.0.0.0/8"});
  EXPECT_EQ(ResolveClientOrigin("10.0.0.2", "unknown, 10.0.0.1", {}, proxies).address, "10.0.0.1");
  EXPECT_EQ(ResolveClientOrigin("10.0.0.2", "203.0.113.9, ,", {}, proxies).address, "203.0.113.9");
  EXPECT_EQ(ResolveClientOrigin("10.0.0.2", "", {}, proxies).address, "10.0.0.2");
}

TEST(ResolveClientOrigin, EveryHopTrustedGivesTheLeftMost) {
  const TrustedProxies proxies = Proxies({"10.0.0.0/8"});
  EXPECT_EQ(ResolveClientOrigin("10.0.0.3", "10.0.0.1,10.0.0.2", {}, proxies).address, "10.0.0.1");
}

TEST(ResolveClientOrigin, AddressesAreCanonical) {
  const TrustedProxies proxies = Proxies({"::1"});
  EXPECT_EQ(ResolveClientOrigin("::ffff:198.51.100.4", {}, {}, TrustedProxies{}).address, "198.51.100.4");
  EXPECT_EQ(ResolveClientOrigin("0:0:0:0:0:0:0:1", " 2001:DB8:0::7 ", {}, proxies).address, "2001:db8::7");
}

TEST(ResolveClientOrigin, HttpsIsTheFirstHopsProtocol) {
  const TrustedProxies proxies = Proxies({"127.0.0.1"});
  EXPECT_TRUE(ResolveClientOrigin("127.0.0.1", {}, " HTTPS ", proxies).https);
  EXPECT_TRUE(ResolveClientOrigin("127.0.0.1", {}, "https, http", proxies).https);
  EXPECT_FALSE(ResolveClientOrigin("127.0.0.1", {}, "http, https", proxies).https);
  EXPECT_FALSE(ResolveClientOrigin("127.0.0.1", {}, "httpsx", proxies).https);
  EXPECT_FALSE(ResolveClientOrigin("127.0.0.1", {}, "", proxies).https);
}

}  // namespace
}  // namespace phonechat::http
