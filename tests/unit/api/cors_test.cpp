#include "api/cors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace phonechat {
namespace {

std::string HeaderOf(const http::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

TEST(OriginOf, IsWhatABrowserSendsAsOrigin) {
  EXPECT_EQ(OriginOf("https://App.Example.com/cb?x=1"), "https://app.example.com");
  EXPECT_EQ(OriginOf("https://app.example.com:443/cb"), "https://app.example.com");
  EXPECT_EQ(OriginOf("http://127.0.0.1:80/"), "http://127.0.0.1");
  EXPECT_EQ(OriginOf("http://127.0.0.1:8765/cb"), "http://127.0.0.1:8765");
  EXPECT_EQ(OriginOf("https://[::1]:3000/cb"), "https://[::1]:3000");
}

TEST(OriginOf, RefusesWhatIsNoWebOrigin) {
  EXPECT_FALSE(OriginOf("com.example.app:/callback"));
  EXPECT_FALSE(OriginOf("ftp://files.example.com/"));
  EXPECT_FALSE(OriginOf("https://user@app.example.com/"));
  EXPECT_FALSE(OriginOf("/relative/cb"));
  EXPECT_FALSE(OriginOf("not a uri"));
}

TEST(CorsOriginProblem, AcceptsOriginsAndStarOnly) {
  EXPECT_EQ(CorsOriginProblem("*"), "");
  EXPECT_EQ(CorsOriginProblem("https://app.example.com"), "");
  EXPECT_EQ(CorsOriginProblem("https://app.example.com/"), "");
  EXPECT_EQ(CorsOriginProblem("http://127.0.0.1:3000"), "");
  EXPECT_NE(CorsOriginProblem("app.example.com"), "");
  EXPECT_NE(CorsOriginProblem("https://app.example.com/path"), "");
  EXPECT_NE(CorsOriginProblem("https://app.example.com?q"), "");
  EXPECT_NE(CorsOriginProblem(""), "");
}

TEST(CorsOrigins, FollowTheProjectsUnlessConfigured) {
  CorsOrigins projects({});
  EXPECT_TRUE(projects.FollowsProjects());
  EXPECT_FALSE(projects.Allows("https://app.example.com"));
  projects.ReplaceFromRedirectUris({"https://app.example.com/cb", "com.example.app:/cb", "http://127.0.0.1:8765/cb"});
  EXPECT_TRUE(projects.Allows("https://app.example.com"));
  EXPECT_TRUE(projects.Allows("http://127.0.0.1:8765"));
  EXPECT_FALSE(projects.Allows("https://app.example.com:8443"));
  EXPECT_FALSE(projects.Allows("null"));
  projects.ReplaceFromRedirectUris({});
  EXPECT_FALSE(projects.Allows("https://app.example.com"));

  CorsOrigins configured({"https://spa.example.org"});
  EXPECT_FALSE(configured.FollowsProjects());
  configured.ReplaceFromRedirectUris({"https://app.example.com/cb"});
  EXPECT_TRUE(configured.Allows("https://spa.example.org"));
  EXPECT_FALSE(configured.Allows("https://app.example.com"));

  CorsOrigins any({"*"});
  EXPECT_TRUE(any.Allows("https://anything.example"));
  EXPECT_FALSE(any.Allows(""));
}

TEST(IsCorsPath, TheApiAndTheTokenAndRevokeEndpoints) {
  EXPECT_TRUE(IsCorsPath("/v1/PhoneChat/MadeBookings"));
  EXPECT_TRUE(IsCorsPath("/V1/account/verifycredentials"));
  EXPECT_TRUE(IsCorsPath("/OAuth/token"));
  EXPECT_TRUE(IsCorsPath("/oauth/REVOKE"));
  EXPECT_FALSE(IsCorsPath("/OAuth/Authorize"));
  EXPECT_FALSE(IsCorsPath("/OAuth/Grants"));
  EXPECT_FALSE(IsCorsPath("/docs"));
  EXPECT_FALSE(IsCorsPath("/v1"));
}

TEST(CorsPreflight, AllowsAnAllowedOriginAndMethodOnly) {
  const CorsOrigins origins({"https://spa.example.org"});
  const http::Response allowed = CorsPreflight(origins, "https://spa.example.org", "POST", "POST");
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(HeaderOf(allowed, "Access-Control-Allow-Origin"), "https://spa.example.org");
  EXPECT_EQ(HeaderOf(allowed, "Access-Control-Allow-Methods"), "POST");
  EXPECT_NE(HeaderOf(allowed, "Access-Control-Allow-Headers").find("Idempotency-Key"), std::string::npos);
  EXPECT_EQ(HeaderOf(allowed, "Access-Control-Allow-Credentials"), "<absent>");
  const http::Response other_origin = CorsPreflight(origins, "https://evil.example", "POST", "POST");
  EXPECT_EQ(other_origin.status, 204);
  EXPECT_EQ(HeaderOf(other_origin, "Access-Control-Allow-Origin"), "<absent>");
  const http::Response other_method = CorsPreflight(origins, "https://spa.example.org", "DELETE", "GET, POST");
  EXPECT_EQ(HeaderOf(other_method, "Access-Control-Allow-Origin"), "<absent>");
}

TEST(AddCorsHeaders, VaryAlwaysAllowOriginWhenAllowed) {
  const CorsOrigins origins({"https://spa.example.org"});
  http::Response none;
  AddCorsHeaders(origins, std::nullopt, none);
  EXPECT_EQ(HeaderOf(none, "Vary"), "Origin");
  EXPECT_EQ(HeaderOf(none, "Access-Control-Allow-Origin"), "<absent>");
  http::Response allowed;
  AddCorsHeaders(origins, "https://spa.example.org", allowed);
  EXPECT_EQ(HeaderOf(allowed, "Access-Control-Allow-Origin"), "https://spa.example.org");
  EXPECT_NE(HeaderOf(allowed, "Access-Control-Expose-Headers").find("X-Request-ID"), std::string::npos);
}

}  // namespace
}  // namespace phonechat
