#include "api/api_document.hpp"

#include <string>
#include <string_view>

// The two files are assembled into read-only data at build time (src/api/CMakeLists.txt names them and passes their
// digests, so that an edit of the document rebuilds this object): the binary serves the document it was built with,
// with nothing to find on disk at run time.
#define PHONECHAT_EMBED(symbol, file)                             \
  __asm__(".pushsection .rodata\n"                                \
          ".global " #symbol "_begin\n" #symbol "_begin:\n"       \
          ".incbin \"" file "\"\n"                                \
          ".global " #symbol "_end\n" #symbol "_end:\n"           \
          ".popsection\n")

PHONECHAT_EMBED(phonechat_openapi_json, PHONECHAT_OPENAPI_JSON);
PHONECHAT_EMBED(phonechat_openapi_yaml, PHONECHAT_OPENAPI_YAML);

extern "C" const char phonechat_openapi_json_begin[];
extern "C" const char phonechat_openapi_json_end[];
extern "C" const char phonechat_openapi_yaml_begin[];
extern "C" const char phonechat_openapi_yaml_end[];

namespace phonechat {
namespace {

http::Response Document(const http::Request& request, const char* begin, const char* end,
                        std::string_view content_type, std::string_view digest) {
  http::Response response;
  const std::string etag = "\"" + std::string(digest) + "\"";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (request.Header("If-None-Match") == etag) {
    response.status = 304;
    return response;
  }
  response.content_type = content_type;
  response.body.assign(begin, end);
  return response;
}

}  // namespace

http::Response OpenApiJson(const http::Request& request) {
  return Document(request, phonechat_openapi_json_begin, phonechat_openapi_json_end, "application/json; charset=utf-8",
                  PHONECHAT_OPENAPI_JSON_DIGEST);
}

http::Response OpenApiYaml(const http::Request& request) {
  return Document(request, phonechat_openapi_yaml_begin, phonechat_openapi_yaml_end, "application/yaml; charset=utf-8",
                  PHONECHAT_OPENAPI_YAML_DIGEST);
}

}  // namespace phonechat
