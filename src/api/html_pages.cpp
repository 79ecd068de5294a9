// The HTML pages' templates, their rendering with every value escaped, and the security headers each page carries.

#include "api/html_pages.hpp"

#include <cassert>
#include <kainjow/mustache.hpp>

#include "api/error_response.hpp"

namespace phonechat {
namespace {

namespace mustache = kainjow::mustache;

constexpr std::string_view kCspBase =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

// The head and foot every page shares. Values are rendered with `{{ }}` only, which HTML-escapes
// (& < > " '); the templates are safe in element content and in double-quoted attributes alike.
constexpr std::string_view kHead = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} - PhoneChat</title>
<style>
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  body { margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 28rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 0.5rem;
         box-shadow: 0 1px 3px rgba(0, 0, 0, 0.12); }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  h2 { font-size: 1.1rem; margin: 0 0 0.25rem; }
  label { display: block; margin: 1rem 0 0.25rem; font-weight: 600; }
  input[type=text], input[type=password] { box-sizing: border-box; width: 100%; padding: 0.5rem;
         border: 1px solid #b6bcc8; border-radius: 0.25rem; font-size: 1rem; }
  .actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
  button { padding: 0.5rem 1.25rem; border: 1px solid #2457c5; border-radius: 0.25rem; font-size: 1rem;
           background: #fff; color: #2457c5; cursor: pointer; }
  button.primary { background: #2457c5; color: #fff; }
  .error { padding: 0.5rem 0.75rem; border-radius: 0.25rem; background: #fdecea; color: #8a1c12; }
  .meta { color: #5b6475; font-size: 0.9rem; }
  ul.plain { list-style: none; padding: 0; }
  li.grant { border-top: 1px solid #e1e4ea; padding: 1rem 0; }
</style>
</head>
<body>
<main>
)";

constexpr std::string_view kFoot = R"(</main>
</body>
</html>
)";

constexpr std::string_view kLoginBody = R"(<h1>Sign in</h1>
{{#has_project}}
<p>to continue to <strong>{{project_name}}</strong></p>
{{/has_project}}
{{#has_error}}
<p id="login-error" class="error" role="alert">{{error}}</p>
{{/has_error}}
<form id="login-form" method="post" action="{{form_action}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="login">Nickname or e-mail</label>
<input id="login" name="login" type="text" autocomplete="username" required value="{{login}}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="actions">
<button id="login-submit" class="primary" type="submit" name="action" value="login">Sign in</button>
{{#cancellable}}
<button id="login-cancel" type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
{{/cancellable}}
</div>
</form>
)";

constexpr std::string_view kConsentBody = R"(<h1>Authorize <span id="consent-project">{{project_name}}</span></h1>
<p class="meta">Signed in as <strong>{{nickname}}</strong></p>
{{#has_scopes}}
<p><strong>{{project_name}}</strong> asks to:</p>
<ul class="scopes">
{{#scopes}}
<li class="scope" data-scope="{{name}}">{{description}}</li>
{{/scopes}}
</ul>
{{/has_scopes}}
<p>It will also see your user ID and nickname.</p>
<form id="consent-form" method="post" action="{{form_action}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<div class="actions">
<button id="consent-allow" class="primary" type="submit" name="action" value="allow">Allow</button>
<button id="consent-deny" type="submit" name="action" value="deny">Cancel</button>
</div>
</form>
)";

constexpr std::string_view kGrantsBody = R"(<h1>Authorized projects</h1>
<p class="meta">Signed in as <strong>{{nickname}}</strong></p>
{{#has_grants}}
<ul class="plain">
{{#grants}}
<li class="grant" data-client-id="{{client_id}}">
<h2>{{project_name}}</h2>
<p class="meta">Authorized on {{granted_at}}</p>
<ul>
{{#scopes}}
<li class="grant-scope" data-scope="{{name}}">{{description}}</li>
{{/scopes}}
</ul>
<form method="post" action="/OAuth/Grants">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="project_id" value="{{project_id}}">
<button class="grant-revoke" type="submit" name="action" value="revoke">Revoke</button>
</form>
</li>
{{/grants}}
</ul>
{{/has_grants}}
{{^has_grants}}
<p id="no-grants">You have not authorized any project.</p>
{{/has_grants}}
<form id="logout-form" method="post" action="/OAuth/Logout">
<input type="hidden" name="csrf" value="{{csrf}}">
<div class="actions"><button id="logout" type="submit">Sign out</button></div>
</form>
)";

constexpr std::string_view kErrorBody = R"(<h1>{{title}}</h1>
<p id="error-message" class="error">{{message}}</p>
)";

std::string Page(std::string_view body) {
  std::string page(kHead);
  page.append(body).append(kFoot);
  return page;
}

// Each page is compiled once (function-local statics below). The templates use no partials and no lambdas, so
// rendering only reads the compiled tree: one instance serves every thread at once.
mustache::mustache Compile(std::string_view body) {
  mustache::mustache compiled{Page(body)};
  assert(compiled.is_valid());
  return compiled;
}

mustache::mustache& LoginTemplate() {
  static mustache::mustache compiled = Compile(kLoginBody);
  return compiled;
}

mustache::mustache& ConsentTemplate() {
  static mustache::mustache compiled = Compile(kConsentBody);
  return compiled;
}

mustache::mustache& GrantsTemplate() {
  static mustache::mustache compiled = Compile(kGrantsBody);
  return compiled;
}

mustache::mustache& ErrorTemplate() {
  static mustache::mustache compiled = Compile(kErrorBody);
  return compiled;
}

mustache::data ScopeList(const std::vector<ScopeLine>& scopes) {
  mustache::data list{mustache::data::type::list};
  for (const ScopeLine& scope : scopes) {
    mustache::data item;
    item.set("name", scope.name);
    item.set("description", scope.description);
    list.push_back(item);
  }
  return list;
}

http::Response Render(int status, mustache::mustache& page, const mustache::data& data, FormTargets targets) {
  http::Response response;
  response.status = status;
  SetPageHeaders(response, targets);
  response.body = page.render(data);
  return response;
}

}  // namespace

void SetPageHeaders(http::Response& response, FormTargets form_targets, PageImages images) {
  response.content_type = "text/html; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-store");
  std::string csp(kCspBase);
  csp.append(images == PageImages::kSelfAndData ? "; img-src 'self' data:" : "; img-src 'self'");
  // Chromium checks the redirect that answers a form POST against form-action, and the 303 after Allow, Deny
  // or Cancel goes to the client's registered redirect URI, which may be any origin or even a custom scheme.
  // Those pages therefore leave form-action out (it has no default-src fallback); the others pin it to 'self'.
  if (form_targets == FormTargets::kSelfOnly) csp.append("; form-action 'self'");
  response.headers.emplace_back("Content-Security-Policy", std::move(csp));
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

http::Response LoginPage(const LoginPageView& view, std::optional<ErrorCode> refusal) {
  mustache::data data;
  data.set("title", "Sign in");
  data.set("form_action", view.form_action);
  data.set("csrf", view.csrf);
  data.set("has_project", !view.project_name.empty());
  data.set("project_name", view.project_name);
  data.set("login", view.login);
  data.set("has_error", !view.error.empty());
  data.set("error", view.error);
  data.set("cancellable", view.cancellable);
  return Render(refusal ? StatusOf(*refusal) : 200, LoginTemplate(), data, view.form_targets);
}

http::Response ConsentPage(const ConsentPageView& view) {
  mustache::data data;
  data.set("title", "Authorize " + view.project_name);
  data.set("form_action", view.form_action);
  data.set("csrf", view.csrf);
  data.set("project_name", view.project_name);
  data.set("nickname", view.nickname);
  data.set("has_scopes", !view.scopes.empty());
  data.set("scopes", ScopeList(view.scopes));
  return Render(200, ConsentTemplate(), data, FormTargets::kAnyRedirect);
}

http::Response GrantsPage(const GrantsPageView& view) {
  mustache::data grants{mustache::data::type::list};
  for (const GrantLine& grant : view.grants) {
    mustache::data item;
    item.set("project_id", grant.project_id);
    item.set("client_id", grant.client_id);
    item.set("project_name", grant.project_name);
    item.set("granted_at", grant.granted_at);
    item.set("scopes", ScopeList(grant.scopes));
    grants.push_back(item);
  }
  mustache::data data;
  data.set("title", "Authorized projects");
  data.set("csrf", view.csrf);
  data.set("nickname", view.nickname);
  data.set("has_grants", !view.grants.empty());
  data.set("grants", grants);
  return Render(200, GrantsTemplate(), data, FormTargets::kSelfOnly);
}

http::Response ErrorPage(ErrorCode code, std::string_view title, std::string_view message) {
  mustache::data data;
  data.set("title", std::string(title));
  data.set("message", std::string(message));
  return Render(StatusOf(code), ErrorTemplate(), data, FormTargets::kSelfOnly);
}

}  // namespace phonechat
