#include "api/content_negotiation.hpp"

#include <gtest/gtest.h>

namespace phonechat {
namespace {

struct Case {
  std::optional<std::string_view> accept;
  BodyFormat format;
  std::string_view media_type;
};

class ContentNegotiation : public ::testing::TestWithParam<Case> {};

TEST_P(ContentNegotiation, ChoosesTheDocumentedFormat) {
  const NegotiatedFormat chosen = NegotiateFormat(GetParam().accept);
  EXPECT_EQ(chosen.format, GetParam().format);
  EXPECT_EQ(chosen.media_type, GetParam().media_type);
}

INSTANTIATE_TEST_SUITE_P(
    AcceptHeaders, ContentNegotiation,
    ::testing::Values(Case{std::nullopt, BodyFormat::kJson, "application/json"},
                      Case{"*/*", BodyFormat::kJson, "application/json"},
                      Case{"application/xml", BodyFormat::kXml, "application/xml"},
                      Case{"TEXT/XML", BodyFormat::kXml, "text/xml"}, Case{"text/json", BodyFormat::kJson, "text/json"},
                      Case{"application/xml, application/json", BodyFormat::kXml, "application/xml"},
                      Case{"application/json, application/xml", BodyFormat::kJson, "application/json"},
                      Case{"application/json;q=0.5, application/xml;q=0.9", BodyFormat::kXml, "application/xml"},
                      Case{"application/xml;q=0, application/json;q=0.1", BodyFormat::kJson, "application/json"},
                      Case{"application/xml ; q=1.0", BodyFormat::kXml, "application/xml"},
                      Case{"image/png", BodyFormat::kJson, "application/json"},
                      Case{"image/png, text/xml;q=0.2", BodyFormat::kXml, "text/xml"},
                      Case{"*/*;q=0.8, application/xml", BodyFormat::kXml, "application/xml"},
                      Case{"text/*, application/xml", BodyFormat::kJson, "application/json"},
                      Case{"application/xml;q=garbage", BodyFormat::kJson, "application/json"},
                      Case{"", BodyFormat::kJson, "application/json"},
                      Case{",,;;", BodyFormat::kJson, "application/json"}));

}  // namespace
}  // namespace phonechat
