#include "auth/secrets.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

namespace phonechat {
namespace {

std::string Hex(std::string_view bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0F]);
  }
  return hex;
}

TEST(GenerateToken, Is43Base64UrlCharactersWithoutPadding) {
  const auto token = GenerateToken();
  EXPECT_EQ(token.size(), 43u);  // 32 bytes = 256 bits
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token;
}

TEST(GenerateToken, NoTokenStartsWithADashThatACommandLineWouldTakeForAnOption) {
  // Without the rule, one token in 64 would: 5,000 tokens all clear of it by chance is about 1 in 10^34.
  for (int i = 0; i < 5000; ++i) ASSERT_NE(GenerateToken().front(), '-');
}

TEST(GenerateToken, EveryTokenIsNew) {
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(GenerateToken());
  EXPECT_EQ(tokens.size(), 100u);
}

TEST(Sha256, MatchesTheFips180TestVectors) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, IsThirtyTwoRawBytesAndHashesEmbeddedZeros) {
  EXPECT_EQ(Sha256("token").size(), 32u);
  EXPECT_NE(Sha256(std::string("a\0b", 3)), Sha256("a"));
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret "));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(HashPassword, ProducesAnArgon2idHashThatVerifiesOnlyTheSamePassword) {
  const auto hash = HashPassword("correct horse");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horse "));
  EXPECT_FALSE(VerifyPassword(hash, ""));
}

TEST(HashPassword, SaltsEveryHash) { EXPECT_NE(HashPassword("same"), HashPassword("same")); }

TEST(VerifyPassword, RejectsMalformedHashes) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("not a hash", "x"));
  EXPECT_FALSE(VerifyPassword(std::string(1000, '$'), "x"));
}

TEST(DecodeBase64, DecodesTheRfc4648TestVectorsWithOrWithoutPadding) {
  EXPECT_EQ(DecodeBase64(""), std::optional<std::string>(""));
  EXPECT_EQ(DecodeBase64("Zg=="), std::optional<std::string>("f"));
  EXPECT_EQ(DecodeBase64("Zm8="), std::optional<std::string>("fo"));
  EXPECT_EQ(DecodeBase64("Zm9v"), std::optional<std::string>("foo"));
  EXPECT_EQ(DecodeBase64("Zm9vYmFy"), std::optional<std::string>("foobar"));
  EXPECT_EQ(DecodeBase64("Zm9vYg"), std::optional<std::string>("foob"));
  EXPECT_EQ(DecodeBase64("ZGVtby1hcHA6ZGVtby1zZWNyZXQ="), std::optional<std::string>("demo-app:demo-secret"));
}

TEST(DecodeBase64, DecodesBinaryAndTheStandardAlphabetsLastTwoDigits) {
  EXPECT_EQ(DecodeBase64("+/8A"), std::optional<std::string>(std::string("\xfb\xff\x00", 3)));
}

TEST(DecodeBase64, RefusesAnythingThatIsNotCanonicalBase64) {
  EXPECT_EQ(DecodeBase64("Zm9v!"), std::nullopt);
  EXPECT_EQ(DecodeBase64("Zm9v YmFy"), std::nullopt);
  EXPECT_EQ(DecodeBase64("-_8A"), std::nullopt);  // the URL-safe alphabet is not Basic's
  EXPECT_EQ(DecodeBase64("Z"), std::nullopt);
  EXPECT_EQ(DecodeBase64("Zg==="), std::nullopt);
  EXPECT_EQ(DecodeBase64("Zh=="), std::nullopt);  // non-zero bits after the last byte
}

}  // namespace
}  // namespace phonechat
