#include "api/docs_page.hpp"

#include <string>
#include <string_view>

#include "api/embedded_file.hpp"
#include "api/html_pages.hpp"
#include "core/error.hpp"

#if PHONECHAT_DOCS_UI
// Swagger UI's files, from the swagger-ui-dist that docs-ui/package-lock.json pins (src/api/CMakeLists.txt passes
// their paths and digests): the page works offline, with nothing to fetch from another host.
PHONECHAT_EMBED(phonechat_docs_css, PHONECHAT_DOCS_CSS);
PHONECHAT_EMBED(phonechat_docs_bundle, PHONECHAT_DOCS_BUNDLE);
PHONECHAT_EMBED(phonechat_docs_redirect_html, PHONECHAT_DOCS_REDIRECT_HTML);
PHONECHAT_EMBED(phonechat_docs_redirect_js, PHONECHAT_DOCS_REDIRECT_JS);

#endif

namespace phonechat {
namespace {

constexpr std::string_view kDocsHead = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="phonechat-docs-client-id" content=")";

// The rest of the page. The favicon is an empty data: URL so that the browser asks for nothing else.
constexpr std::string_view kDocsTail = R"(">
<title>PhoneChat API docs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
<style>
  body { margin: 0; background: #fff; }
  #docs-notice { margin: 1rem auto 0; max-width: 1420px; padding: 0.5rem 1.25rem; box-sizing: border-box;
                 font-family: sans-serif; font-size: 14px; color: #3b4151; }
  #docs-notice:empty { display: none; }
</style>
<script src="/docs/swagger-ui-bundle.js" defer></script>
<script src="/docs/docs.js" defer></script>
</head>
<body>
<p id="docs-notice" role="status"></p>
<div id="docs-ui"></div>
</body>
</html>
)";

constexpr std::string_view kDocsScript = R"JS(// The /docs page: Swagger UI on this server's API document. Authorize signs in through this server's Unified
// Login (authorization code with PKCE, as a public client); Try it out calls this server.
(function () {
  'use strict';

  const notice = document.getElementById('docs-notice');
  const clientId = document.querySelector('meta[name="phonechat-docs-client-id"]').content;

  // The document names the sandbox's address; the page talks to the origin that served it, behind whatever
  // proxy or port that is. Only the authorization-code flow is offered: the page is a public client.
  function onThisServer(apiDocument) {
    apiDocument.servers = [{ url: location.origin, description: 'This server' }];
    const oauth2 = apiDocument.components && apiDocument.components.securitySchemes &&
                   apiDocument.components.securitySchemes.oauth2;
    if (oauth2 && oauth2.flows && oauth2.flows.authorizationCode) {
      const flow = oauth2.flows.authorizationCode;
      for (const key of ['authorizationUrl', 'tokenUrl', 'refreshUrl']) {
        if (flow[key]) flow[key] = location.origin + new URL(flow[key], location.origin).pathname;
      }
      oauth2.flows = { authorizationCode: flow };
    }
    return apiDocument;
  }

  function start() {
    if (!clientId) {
      notice.textContent = 'No client id is configured for this page (phonechat-api serve --docs-client-id): ' +
        'to use Authorize, type the client id of a public project whose redirect URI is ' +
        location.origin + '/docs/oauth2-redirect.html.';
    }
    fetch('/openapi.json', { headers: { Accept: 'application/json' } })
      .then((answer) => {
        if (!answer.ok) throw new Error('/openapi.json answered ' + answer.status);
        return answer.json();
      })
      .then((apiDocument) => {
        const ui = SwaggerUIBundle({
          spec: onThisServer(apiDocument),
          dom_id: '#docs-ui',
          presets: [SwaggerUIBundle.presets.apis],
          layout: 'BaseLayout',
          deepLinking: false,
          queryConfigEnabled: false,
          validatorUrl: null,
          persistAuthorization: false,
          oauth2RedirectUrl: location.origin + '/docs/oauth2-redirect.html',
        });
        ui.initOAuth({
          clientId: clientId,
          appName: 'PhoneChat API docs',
          usePkceWithAuthorizationCodeGrant: true,
          scopes: ['account_phonechat_bookings'],
        });
      })
      .catch((failure) => { notice.textContent = 'The API document could not be loaded: ' + failure.message; });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
)JS";

constexpr std::string_view kNotBuilt =
    "This server was built without the docs page (the CMake option PHONECHAT_DOCS_UI, which needs npm). "
    "The API document is at /openapi.json and /openapi.yaml.";

std::string EscapeHtml(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': escaped.append("&amp;"); break;
      case '<': escaped.append("&lt;"); break;
      case '>': escaped.append("&gt;"); break;
      case '"': escaped.append("&quot;"); break;
      case '\'': escaped.append("&#39;"); break;
      default: escaped.push_back(c);
    }
  }
  return escaped;
}

http::Response NotBuilt() { return ErrorPage(ErrorCode::kNotFound, "No docs page", kNotBuilt); }

}  // namespace

bool DocsPageBuilt() { return PHONECHAT_DOCS_UI != 0; }

http::Response DocsPage(std::string_view client_id) {
  if (!DocsPageBuilt()) return NotBuilt();
  http::Response response;
  SetPageHeaders(response, FormTargets::kSelfOnly, PageImages::kSelfAndData);
  response.body.assign(kDocsHead);
  response.body.append(EscapeHtml(client_id));
  response.body.append(kDocsTail);
  return response;
}

http::Response DocsScript() {
  if (!DocsPageBuilt()) return NotBuilt();
  http::Response response;
  response.content_type = "text/javascript; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.body.assign(kDocsScript);
  return response;
}

http::Response SwaggerUiAsset([[maybe_unused]] const http::Request& request, [[maybe_unused]] SwaggerUiFile file) {
#if PHONECHAT_DOCS_UI
  switch (file) {
    case SwaggerUiFile::kStyle:
      return EmbeddedFile(request, std::string_view(phonechat_docs_css_begin, phonechat_docs_css_end),
                          "text/css; charset=utf-8", PHONECHAT_DOCS_CSS_DIGEST);
    case SwaggerUiFile::kBundle:
      return EmbeddedFile(request, std::string_view(phonechat_docs_bundle_begin, phonechat_docs_bundle_end),
                          "text/javascript; charset=utf-8", PHONECHAT_DOCS_BUNDLE_DIGEST);
    case SwaggerUiFile::kRedirectScript:
      return EmbeddedFile(request, std::string_view(phonechat_docs_redirect_js_begin, phonechat_docs_redirect_js_end),
                          "text/javascript; charset=utf-8", PHONECHAT_DOCS_REDIRECT_JS_DIGEST);
    case SwaggerUiFile::kRedirectPage:
      break;
  }
  // It reads the code from its URL: no-store like every page, and the same CSP (its script is a file of its own).
  http::Response response;
  SetPageHeaders(response, FormTargets::kSelfOnly);
  response.body.assign(phonechat_docs_redirect_html_begin, phonechat_docs_redirect_html_end);
  return response;
#else
  return NotBuilt();
#endif
}

}  // namespace phonechat
