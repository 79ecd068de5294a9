#include "api/error_response.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace phonechat {
namespace {

std::optional<std::string> HeaderOf(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

TEST(ErrorResponse, StatusTableMatchesTheContract) {
  EXPECT_EQ(StatusOf(ErrorCode::kNotFound), 404);
  EXPECT_EQ(StatusOf(ErrorCode::kMethodNotAllowed), 405);
  EXPECT_EQ(StatusOf(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(StatusOf(ErrorCode::kBadApiKey), 401);
  EXPECT_EQ(StatusOf(ErrorCode::kInsufficientScope), 403);
  EXPECT_EQ(StatusOf(ErrorCode::kInvalidRequest), 400);
  EXPECT_EQ(StatusOf(ErrorCode::kNotGroupManager), 403);
  EXPECT_EQ(StatusOf(ErrorCode::kNotGroupMember), 403);
  EXPECT_EQ(StatusOf(ErrorCode::kInvalidClient), 401);
  EXPECT_EQ(StatusOf(ErrorCode::kInvalidGrant), 400);
  EXPECT_EQ(StatusOf(ErrorCode::kUnsupportedGrantType), 400);
  EXPECT_EQ(StatusOf(ErrorCode::kRefreshTokenExpired), 401);
  EXPECT_EQ(StatusOf(ErrorCode::kCsrfMismatch), 403);
  EXPECT_EQ(StatusOf(ErrorCode::kLoginFailed), 401);
  EXPECT_EQ(StatusOf(ErrorCode::kLoginThrottled), 429);
  EXPECT_EQ(StatusOf(ErrorCode::kUriTooLong), 414);
  EXPECT_EQ(StatusOf(ErrorCode::kHeadersTooLarge), 431);
  EXPECT_EQ(StatusOf(ErrorCode::kBodyTooLarge), 413);
  EXPECT_EQ(StatusOf(ErrorCode::kMalformedHttp), 400);
  EXPECT_EQ(StatusOf(ErrorCode::kNotImplemented), 501);
  EXPECT_EQ(StatusOf(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(StatusOf(ErrorCode::kInternal), 500);
}

TEST(ErrorResponse, TheTokenEndpointsCodesHaveTheirRfc6749Names) {
  EXPECT_EQ(WireOf(ErrorCode::kInvalidRequest).oauth_error, "invalid_request");
  EXPECT_EQ(WireOf(ErrorCode::kInvalidClient).oauth_error, "invalid_client");
  EXPECT_EQ(WireOf(ErrorCode::kInvalidGrant).oauth_error, "invalid_grant");
  EXPECT_EQ(WireOf(ErrorCode::kUnsupportedGrantType).oauth_error, "unsupported_grant_type");
  EXPECT_EQ(WireOf(ErrorCode::kRefreshTokenExpired).oauth_error, "refresh_token_has_expired");
  EXPECT_EQ(WireOf(ErrorCode::kUnavailable).oauth_error, "temporarily_unavailable");
  EXPECT_EQ(WireOf(ErrorCode::kInternal).oauth_error, "server_error");
  EXPECT_TRUE(WireOf(ErrorCode::kNotFound).oauth_error.empty());
}

TEST(ErrorResponse, AnUnavailableStoreIs503AndAnyOtherExceptionA500ThatHidesWhatHappened) {
  const Error unavailable = ErrorFromException(StoreUnavailable("database is locked"));
  EXPECT_EQ(unavailable.code, ErrorCode::kUnavailable);
  EXPECT_EQ(unavailable.message, "The service is temporarily unavailable.");
  const Error internal = ErrorFromException(std::runtime_error("secret detail"));
  EXPECT_EQ(internal.code, ErrorCode::kInternal);
  EXPECT_EQ(internal.message, "An error has occurred.");
  EXPECT_EQ(RenderError(internal, NegotiatedFormat{}).body, R"({"Message":"An error has occurred."})");
}

TEST(ErrorResponse, UnauthenticatedSaysWhetherTheSentTokenWasInvalid) {
  const NegotiatedFormat json;
  Error error{ErrorCode::kUnauthenticated, "Authorization has been denied for this request.", {}, {}, false};
  EXPECT_EQ(HeaderOf(RenderError(error, json), "WWW-Authenticate"), R"(Bearer realm="api")");
  error.token_presented = true;
  EXPECT_EQ(HeaderOf(RenderError(error, json), "WWW-Authenticate"), R"(Bearer realm="api", error="invalid_token")");
}

TEST(ErrorResponse, InsufficientScopeNamesTheScope) {
  Error error{ErrorCode::kInsufficientScope, "missing", {}, "account_phonechat_bookings", false};
  const http::Response response = RenderError(error, NegotiatedFormat{});
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(HeaderOf(response, "WWW-Authenticate"),
            R"(Bearer realm="api", error="insufficient_scope", scope="account_phonechat_bookings")");
}

TEST(ErrorResponse, EveryErrorIsUncacheableAndInTheNegotiatedFormat) {
  const http::Response response = RenderError(Error{ErrorCode::kNotFound, "nothing", {}, {}, false},
                                              NegotiatedFormat{BodyFormat::kXml, "text/xml"});
  EXPECT_EQ(response.content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-store");
  EXPECT_EQ(response.body, "<Error><Message>nothing</Message></Error>");
  EXPECT_FALSE(response.close_connection);
}

TEST(ErrorResponse, RefusedRequestsCloseTheConnection) {
  for (ErrorCode code : {ErrorCode::kUriTooLong, ErrorCode::kHeadersTooLarge, ErrorCode::kBodyTooLarge,
                         ErrorCode::kMalformedHttp, ErrorCode::kNotImplemented}) {
    EXPECT_TRUE(RenderError(Error{code, "refused", {}, {}, false}, NegotiatedFormat{}).close_connection);
  }
}

}  // namespace
}  // namespace phonechat
