#include "api/embedded_file.hpp"

#include <string>

namespace phonechat {

http::Response EmbeddedFile(const http::Request& request, std::string_view body, std::string_view content_type,
                            std::string_view digest) {
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
  response.body.assign(body);
  return response;
}

}  // namespace phonechat
