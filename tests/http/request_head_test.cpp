// The framing decision and header rules on a complete header section, without a socket.
#include "http/request_head.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace phonechat::http {
namespace {

const std::vector<std::string> kUnique{"Authorization", "X-ApiKey", "Content-Type"};

struct Head {
  std::string method = "GET";
  std::string target = "/v1/x";
  unsigned version = 11;
  std::vector<std::pair<std::string, std::string>> fields{{"Host", "example.com"}};
};

Result<AcceptedHead> Check(const Head& head) {
  std::vector<FieldLine> lines;
  for (const auto& [name, value] : head.fields) lines.push_back(FieldLine{name, value});
  return CheckRequestHead(RequestHead{head.method, head.target, head.version, lines}, kUnique);
}

Head With(std::vector<std::pair<std::string, std::string>> extra) {
  Head head;
  for (auto& field : extra) head.fields.push_back(std::move(field));
  return head;
}

void ExpectRefused(const Head& head, ErrorCode code, const std::string& words) {
  const Result<AcceptedHead> result = Check(head);
  ASSERT_FALSE(result) << words;
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_NE(result.error().message.find(words), std::string::npos) << result.error().message;
}

TEST(RequestHead, WithoutLengthOrCodingTheBodyIsEmpty) {
  const Result<AcceptedHead> result = Check(Head{});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->framing, BodyFraming::kNone);
  EXPECT_FALSE(result->rewritten_target);
}

TEST(RequestHead, OneDecimalContentLengthFramesTheBody) {
  for (const auto& [text, length] :
       std::vector<std::pair<std::string, std::uint64_t>>{{"0", 0}, {"5", 5}, {"007", 7}}) {
    const Result<AcceptedHead> result = Check(With({{"Content-Length", text}}));
    ASSERT_TRUE(result) << text;
    EXPECT_EQ(result->framing, BodyFraming::kContentLength);
    EXPECT_EQ(result->content_length, length);
  }
}

TEST(RequestHead, AnyOtherContentLengthIs400) {
  for (const std::string text : {"", "-1", "+5", "0x5", "5 5", "5,5", "5, 5", "1e3", "5;", "99999999999999999999999"}) {
    ExpectRefused(With({{"Content-Length", text}}), ErrorCode::kMalformedHttp, "Content-Length");
  }
}

TEST(RequestHead, TwoContentLengthLinesAre400EvenWhenEqual) {
  ExpectRefused(With({{"Content-Length", "5"}, {"content-length", "5"}}), ErrorCode::kMalformedHttp,
                "more than one Content-Length");
}

TEST(RequestHead, ChunkedAloneFramesTheBodyInAnyCaseAndAcrossEmptyElements) {
  for (const std::string coding : {"chunked", "Chunked", "CHUNKED", ", chunked", "chunked ,"}) {
    const Result<AcceptedHead> result = Check(With({{"Transfer-Encoding", coding}}));
    ASSERT_TRUE(result) << coding;
    EXPECT_EQ(result->framing, BodyFraming::kChunked);
  }
}

TEST(RequestHead, AFinalCodingOtherThanChunkedIs400) {
  for (const std::string coding : {"identity", "gzip", "xchunked", "chunked, identity", "chunked;q=1", "chunkedx",
                                   "chunked , gzip", "\"chunked\"", ""}) {
    ExpectRefused(With({{"Transfer-Encoding", coding}}), ErrorCode::kMalformedHttp, "Transfer-Encoding");
  }
}

TEST(RequestHead, CodingsSplitOverSeveralLinesAreOneList) {
  ExpectRefused(With({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "identity"}}), ErrorCode::kMalformedHttp,
                "does not end with chunked");
  ExpectRefused(With({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}), ErrorCode::kMalformedHttp,
                "more than once");
  ExpectRefused(With({{"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}}), ErrorCode::kNotImplemented,
                "'gzip'");
}

TEST(RequestHead, AnUnimplementedCodingBeforeChunkedIs501) {
  ExpectRefused(With({{"Transfer-Encoding", "gzip, chunked"}}), ErrorCode::kNotImplemented, "'gzip' is not supported");
  ExpectRefused(With({{"Transfer-Encoding", "xchunked, chunked"}}), ErrorCode::kNotImplemented, "'xchunked'");
}

TEST(RequestHead, TransferEncodingWithContentLengthIs400InEitherOrder) {
  ExpectRefused(With({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}), ErrorCode::kMalformedHttp,
                "both Transfer-Encoding and Content-Length");
  ExpectRefused(With({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}), ErrorCode::kMalformedHttp,
                "both Transfer-Encoding and Content-Length");
}

TEST(RequestHead, TransferEncodingInHttp10Is400) {
  Head head = With({{"Transfer-Encoding", "chunked"}});
  head.version = 10;
  ExpectRefused(head, ErrorCode::kMalformedHttp, "HTTP/1.0");
}

TEST(RequestHead, Http11NeedsExactlyOneValidHost) {
  Head none;
  none.fields.clear();
  ExpectRefused(none, ErrorCode::kMalformedHttp, "no Host");
  ExpectRefused(With({{"host", "example.com"}}), ErrorCode::kMalformedHttp, "more than one Host");
  for (const std::string host :
       {"", "a b", "user@example.com", "example.com/path", "example.com:80:80", "[::1", "exa\"mple"}) {
    Head bad;
    bad.fields = {{"Host", host}};
    ExpectRefused(bad, ErrorCode::kMalformedHttp, "Host header is not a valid host");
  }
  for (const std::string host : {"example.com", "example.com:8080", "127.0.0.1:1", "[::1]:8080", "localhost:"}) {
    Head good;
    good.fields = {{"Host", host}};
    EXPECT_TRUE(Check(good)) << host;
  }
}

TEST(RequestHead, Http10MayOmitHostButNotRepeatIt) {
  Head none;
  none.version = 10;
  none.fields.clear();
  EXPECT_TRUE(Check(none));
  Head twice = With({{"Host", "example.com"}});
  twice.version = 10;
  ExpectRefused(twice, ErrorCode::kMalformedHttp, "more than one Host");
}

TEST(RequestHead, AbsoluteFormIsServedAsItsPathAndQuery) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"http://example.com/v1/x?a=1&b=%20", "/v1/x?a=1&b=%20"},
      {"HTTP://Example.com:8080/v1/x", "/v1/x"},
      {"https://example.com/", "/"},
      {"http://example.com", "/"},
      {"http://example.com?a=1", "/?a=1"},
      {"http://[::1]:8080/p", "/p"},
  };
  for (const auto& [target, origin] : cases) {
    Head head;
    head.target = target;
    const Result<AcceptedHead> result = Check(head);
    ASSERT_TRUE(result) << target;
    ASSERT_TRUE(result->rewritten_target) << target;
    EXPECT_EQ(*result->rewritten_target, origin) << target;
  }
}

TEST(RequestHead, OtherTargetFormsAre400) {
  for (const std::string target : {"ftp://example.com/x", "http://user@example.com/x", "http:///x", "http:/x",
                                   "example.com:443", "v1/x", "http://example.com/x#frag", "mailto:a@b"}) {
    Head head;
    head.target = target;
    ExpectRefused(head, ErrorCode::kMalformedHttp, "request target");
  }
}

TEST(RequestHead, AsteriskFormIsForOptionsAlone) {
  Head options;
  options.method = "OPTIONS";
  options.target = "*";
  const Result<AcceptedHead> result = Check(options);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->rewritten_target);
  Head get;
  get.target = "*";
  ExpectRefused(get, ErrorCode::kMalformedHttp, "only valid with OPTIONS");
}

TEST(RequestHead, ASecondUniqueFieldIs400NamingIt) {
  for (const std::string& name : kUnique) {
    ExpectRefused(With({{name, "one"}, {name, "two"}}), ErrorCode::kMalformedHttp, "more than one " + name + " header");
  }
  EXPECT_TRUE(Check(With({{"Authorization", "Bearer a"}, {"X-ApiKey", "k"}, {"Content-Type", "text/plain"}})));
  EXPECT_TRUE(Check(With({{"Accept", "a"}, {"Accept", "b"}})));
}

TEST(RequestHead, NamesAreMatchedIgnoringCase) {
  ExpectRefused(With({{"authorization", "Bearer a"}, {"AUTHORIZATION", "Bearer b"}}), ErrorCode::kMalformedHttp,
                "more than one Authorization header");
  ExpectRefused(With({{"transfer-encoding", "identity"}}), ErrorCode::kMalformedHttp, "Transfer-Encoding");
}

}  // namespace
}  // namespace phonechat::http
