#include "api/api_document.hpp"

#include <string_view>

#include "api/embedded_file.hpp"

// The two files are assembled into read-only data at build time (src/api/CMakeLists.txt names them and passes their
// digests, so that an edit of the document rebuilds this object): the binary serves the document it was built with,
// with nothing to find on disk at run time.
PHONECHAT_EMBED(phonechat_openapi_json, PHONECHAT_OPENAPI_JSON);
PHONECHAT_EMBED(phonechat_openapi_yaml, PHONECHAT_OPENAPI_YAML);


namespace phonechat {

http::Response OpenApiJson(const http::Request& request) {
  return EmbeddedFile(request, std::string_view(phonechat_openapi_json_begin, phonechat_openapi_json_end),
                      "application/json; charset=utf-8", PHONECHAT_OPENAPI_JSON_DIGEST);
}

http::Response OpenApiYaml(const http::Request& request) {
  return EmbeddedFile(request, std::string_view(phonechat_openapi_yaml_begin, phonechat_openapi_yaml_end),
                      "application/yaml; charset=utf-8", PHONECHAT_OPENAPI_YAML_DIGEST);
}

}  // namespace phonechat
