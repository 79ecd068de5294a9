// The API's own description, served by the server: docs/openapi.json and docs/openapi.yaml, built into the binary.
#pragma once

#include "http/server.hpp"

namespace phonechat {

// `GET /openapi.json`: docs/openapi.json byte for byte, as application/json, with an ETag (304 on If-None-Match).
http::Response OpenApiJson(const http::Request& request);

// `GET /openapi.yaml`: docs/openapi.yaml byte for byte, as application/yaml, with an ETag (304 on If-None-Match).
http::Response OpenApiYaml(const http::Request& request);

}  // namespace phonechat
