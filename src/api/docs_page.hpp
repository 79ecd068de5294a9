// The docs page: Swagger UI (npm's swagger-ui-dist, built into the binary) on /openapi.json, whose Authorize signs
// in through the Unified Login (authorization code with PKCE) and whose Try it out calls this server.
#pragma once

#include <string_view>

#include "http/server.hpp"

namespace phonechat {

// Whether this binary was built with Swagger UI (the CMake option PHONECHAT_DOCS_UI); without it every /docs route
// answers a 404 page that says so.
bool DocsPageBuilt();

// `GET /docs`: the page (`#docs-ui`, `#docs-notice`), naming `client_id` (HTML-escaped; empty: the developer types
// one in Authorize) in `<meta name="phonechat-docs-client-id">`, with the HTML page security headers (img-src also
// allows data:, for Swagger UI's icons).
http::Response DocsPage(std::string_view client_id);

// `GET /docs/docs.js`: starts Swagger UI on /openapi.json with the servers and the OAuth endpoints of the origin
// that served the page, the authorization-code flow only, PKCE (S256) with the page's client id, the redirect
// page /docs/oauth2-redirect.html, no validator and no stored authorization.
http::Response DocsScript();

// Swagger UI's own files that the page loads.
enum class SwaggerUiFile {
  kStyle,           // /docs/swagger-ui.css
  kBundle,          // /docs/swagger-ui-bundle.js
  kRedirectPage,    // /docs/oauth2-redirect.html, where the Unified Login sends the code back
  kRedirectScript,  // /docs/oauth2-redirect.js, its script
};

// `file` as built in: the stylesheet and scripts with an ETag (304 on If-None-Match), the redirect page with the
// HTML page security headers.
http::Response SwaggerUiAsset(const http::Request& request, SwaggerUiFile file);

}  // namespace phonechat
