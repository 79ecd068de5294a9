#include "api/web_forms.hpp"

#include <gtest/gtest.h>

#include <string>

namespace phonechat {
namespace {

TEST(FindCookie, FindsANamedCookieAmongOthers) {
  const std::string header = "theme=dark; pc_session=abc123; pc_csrf=xyz";
  EXPECT_EQ(FindCookie(header, "pc_session"), std::optional<std::string_view>("abc123"));
  EXPECT_EQ(FindCookie(header, "pc_csrf"), std::optional<std::string_view>("xyz"));
  EXPECT_EQ(FindCookie(header, "theme"), std::optional<std::string_view>("dark"));
}

TEST(FindCookie, AbsentHeaderOrNameIsNullopt) {
  EXPECT_EQ(FindCookie(std::nullopt, "pc_session"), std::nullopt);
  EXPECT_EQ(FindCookie(std::string_view("a=1; b=2"), "pc_session"), std::nullopt);
  EXPECT_EQ(FindCookie(std::string_view(""), "pc_session"), std::nullopt);
}

TEST(FindCookie, MatchesWholeNamesOnlyAndCaseSensitively) {
  EXPECT_EQ(FindCookie(std::string_view("xpc_session=1; pc_sessionx=2"), "pc_session"), std::nullopt);
  EXPECT_EQ(FindCookie(std::string_view("PC_SESSION=1"), "pc_session"), std::nullopt);
}

TEST(FindCookie, FirstOccurrenceWinsAndSpacingAndQuotesAreIgnored) {
  EXPECT_EQ(FindCookie(std::string_view("  pc_csrf = first ;pc_csrf=second"), "pc_csrf"),
            std::optional<std::string_view>("first"));
  EXPECT_EQ(FindCookie(std::string_view("pc_csrf=\"quoted\""), "pc_csrf"), std::optional<std::string_view>("quoted"));
  EXPECT_EQ(FindCookie(std::string_view("pc_csrf="), "pc_csrf"), std::optional<std::string_view>(""));
  EXPECT_EQ(FindCookie(std::string_view("garbage; ;pc_csrf=v"), "pc_csrf"), std::optional<std::string_view>("v"));
}

TEST(SetCookieValue, IsHttpOnlySameSiteLaxForTheWholeSiteAndSecureOnlyWhenAsked) {
  EXPECT_EQ(SetCookieValue("pc_session", "value", false), "pc_session=value; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(SetCookieValue("pc_session", "value", true), "pc_session=value; Path=/; HttpOnly; SameSite=Lax; Secure");
}

TEST(ClearCookieValue, ExpiresTheCookieAtOnce) {
  EXPECT_NE(ClearCookieValue("pc_session", true).find("; Secure"), std::string::npos);
  const std::string header = ClearCookieValue("pc_session", false);
  EXPECT_EQ(header.rfind("pc_session=;", 0), 0u) << header;
  EXPECT_NE(header.find("Max-Age=0"), std::string::npos) << header;
  EXPECT_NE(header.find("Path=/"), std::string::npos) << header;
}

TEST(NewCsrfToken, IsAFreshIssuedShapedValueEachTime) {
  const std::string first = NewCsrfToken();
  const std::string second = NewCsrfToken();
  EXPECT_TRUE(IsIssuedCookieValue(first)) << first;
  EXPECT_NE(first, second);
}

TEST(IsIssuedCookieValue, AcceptsOnly43Base64UrlCharacters) {
  EXPECT_TRUE(IsIssuedCookieValue(std::string(43, 'A')));
  EXPECT_TRUE(IsIssuedCookieValue("abcdefghijklmnopqrstuvwxyz-_0123456789ABCDE"));
  EXPECT_FALSE(IsIssuedCookieValue(std::string(42, 'A')));
  EXPECT_FALSE(IsIssuedCookieValue(std::string(44, 'A')));
  EXPECT_FALSE(IsIssuedCookieValue(std::string(42, 'A') + "="));
  EXPECT_FALSE(IsIssuedCookieValue(std::string(42, 'A') + "+"));
  EXPECT_FALSE(IsIssuedCookieValue(""));
}

TEST(CsrfMatches, RequiresTheCookieAndAnEqualField) {
  const std::string token = NewCsrfToken();
  EXPECT_TRUE(CsrfMatches(std::string_view(token), token));
  EXPECT_FALSE(CsrfMatches(std::nullopt, token));
  EXPECT_FALSE(CsrfMatches(std::string_view(token), ""));
  EXPECT_FALSE(CsrfMatches(std::string_view(token), NewCsrfToken()));
  EXPECT_FALSE(CsrfMatches(std::string_view(token), token + "x"));
}

TEST(CsrfMatches, RefusesAnEmptyOrOddlyShapedCookieEvenWhenTheFieldEqualsIt) {
  EXPECT_FALSE(CsrfMatches(std::string_view(""), ""));
  EXPECT_FALSE(CsrfMatches(std::string_view("short"), "short"));
}

TEST(IsFormContentType, AcceptsTheFormMediaTypeWithParametersInAnyCase) {
  EXPECT_TRUE(IsFormContentType(std::string_view("application/x-www-form-urlencoded")));
  EXPECT_TRUE(IsFormContentType(std::string_view("application/x-www-form-urlencoded;charset=UTF-8")));
  EXPECT_TRUE(IsFormContentType(std::string_view(" Application/X-WWW-Form-URLEncoded ; charset=utf-8")));
}

TEST(IsFormContentType, RefusesOtherOrMissingTypes) {
  EXPECT_FALSE(IsFormContentType(std::nullopt));
  EXPECT_FALSE(IsFormContentType(std::string_view("application/json")));
  EXPECT_FALSE(IsFormContentType(std::string_view("multipart/form-data; boundary=x")));
  EXPECT_FALSE(IsFormContentType(std::string_view("application/x-www-form-urlencodedx")));
  EXPECT_FALSE(IsFormContentType(std::string_view("")));
}

TEST(ParseBasicAuthorization, DecodesIdAndSecret) {
  // base64("demo-app:demo-secret")
  const BasicAuthorization basic = ParseBasicAuthorization(std::string_view("Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ="));
  EXPECT_TRUE(basic.present);
  EXPECT_FALSE(basic.malformed);
  EXPECT_EQ(basic.credentials.client_id, "demo-app");
  EXPECT_EQ(basic.credentials.client_secret, "demo-secret");
}

TEST(ParseBasicAuthorization, SchemeIsCaseInsensitive) {
  const BasicAuthorization basic = ParseBasicAuthorization(std::string_view("bAsIc ZGVtby1hcHA6ZGVtby1zZWNyZXQ="));
  EXPECT_TRUE(basic.present);
  EXPECT_EQ(basic.credentials.client_id, "demo-app");
}

TEST(ParseBasicAuthorization, FormDecodesBothPartsPerRfc6749AppendixB) {
  // base64("my%3Aid:s%C3%A9cret+x%2B") : a colon in the id, UTF-8 and `+` as space in the secret.
  const BasicAuthorization basic = ParseBasicAuthorization(std::string_view("Basic bXklM0FpZDpzJUMzJUE5Y3JldCt4JTJC"));
  ASSERT_TRUE(basic.present);
  ASSERT_FALSE(basic.malformed);
  EXPECT_EQ(basic.credentials.client_id, "my:id");
  EXPECT_EQ(basic.credentials.client_secret,
            "s\xC3\xA9"
            "cret x+");
}

TEST(ParseBasicAuthorization, AnEmptySecretIsAllowed) {
  // base64("sandbox-demo:")
  const BasicAuthorization basic = ParseBasicAuthorization(std::string_view("Basic c2FuZGJveC1kZW1vOg=="));
  EXPECT_TRUE(basic.present);
  EXPECT_FALSE(basic.malformed);
  EXPECT_EQ(basic.credentials.client_id, "sandbox-demo");
  EXPECT_EQ(basic.credentials.client_secret, "");
}

TEST(ParseBasicAuthorization, OtherSchemesAndNoHeaderAreNotBasic) {
  EXPECT_FALSE(ParseBasicAuthorization(std::nullopt).present);
  EXPECT_FALSE(ParseBasicAuthorization(std::string_view("Bearer abc")).present);
  EXPECT_FALSE(ParseBasicAuthorization(std::string_view("Basicish abc")).present);
}

TEST(ParseBasicAuthorization, BrokenCredentialsArePresentButMalformed) {
  for (const std::string_view header : {"Basic", "Basic ", "Basic !!!!", "Basic ZGVtby1hcHA=" /* no colon */,
                                        "Basic OmRlbW8tc2VjcmV0" /* empty id */, "Basic JUcxOng=" /* %G1:x */}) {
    const BasicAuthorization basic = ParseBasicAuthorization(header);
    EXPECT_TRUE(basic.present) << header;
    EXPECT_TRUE(basic.malformed) << header;
  }
}

TEST(FieldValue, DecodesFormEncodingAndGivesEmptyForAbsentFields) {
  const QueryParameters fields = QueryParameters::Parse("login=Demo+Client&password=p%40ss%26word&csrf=abc");
  EXPECT_EQ(FieldValue(fields, "login"), "Demo Client");
  EXPECT_EQ(FieldValue(fields, "password"), "p@ss&word");
  EXPECT_EQ(FieldValue(fields, "csrf"), "abc");
  EXPECT_EQ(FieldValue(fields, "action"), "");
}

TEST(FieldIsAmbiguous, FlagsRepeatedAndUndecodableFieldsOnly) {
  const QueryParameters fields = QueryParameters::Parse("code=a&code=b&state=%zz&client_id=x");
  EXPECT_TRUE(FieldIsAmbiguous(fields, "code"));
  EXPECT_TRUE(FieldIsAmbiguous(fields, "state"));
  EXPECT_FALSE(FieldIsAmbiguous(fields, "client_id"));
  EXPECT_FALSE(FieldIsAmbiguous(fields, "absent"));
}

}  // namespace
}  // namespace phonechat
