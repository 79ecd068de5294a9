// The Unified Login's HTML pages (login, consent, grants, error) as views rendered from templates, with their headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "http/server.hpp"

namespace phonechat {

// Where the forms of a page may lead, which decides the page's CSP `form-action`.
enum class FormTargets {
  kSelfOnly,     // every form posts here and is answered with a redirect to this origin: `form-action 'self'`
  kAnyRedirect,  // a form's 303 may go to a client's redirect URI (any origin or scheme): no `form-action`
};

// Where the images of a page may come from, which decides the page's CSP `img-src`.
enum class PageImages {
  kSelfOnly,     // `img-src 'self'`
  kSelfAndData,  // `img-src 'self' data:` (a stylesheet's inline icons)
};

// Sets the headers every HTML page carries: Content-Type text/html; charset=utf-8, Cache-Control: no-store,
// Content-Security-Policy (no inline script, frame-ancestors 'none', base-uri 'none'), X-Frame-Options: DENY,
// Referrer-Policy: no-referrer, X-Content-Type-Options: nosniff.
void SetPageHeaders(http::Response& response, FormTargets form_targets, PageImages images = PageImages::kSelfOnly);

// A requested or granted scope as a page shows it.
struct ScopeLine {
  std::string name;         // the scope's name (a data attribute)
  std::string description;  // plain words for the user
};

// What the login page shows.
struct LoginPageView {
  std::string form_action;   // where the form posts (the request's own target)
  std::string csrf;          // the CSRF cookie's value, echoed in a hidden field
  std::string project_name;  // the project asking, or empty (the grants page's login)
  std::string login;         // the login name to prefill after a failure
  std::string error;         // why the last attempt failed, or empty
  bool cancellable = false;  // show the Cancel button (authorize flow only)
  FormTargets form_targets = FormTargets::kSelfOnly;
};

// The login page: `#login-form` with `login`, `password`, hidden `csrf`, `#login-submit` and, when cancellable,
// `#login-cancel`; `#login-error` when `error` is set. Status 200, or StatusOf(`refusal`) when it answers a refused
// attempt (kLoginFailed, kLoginThrottled).
http::Response LoginPage(const LoginPageView& view, std::optional<ErrorCode> refusal = std::nullopt);

// What the consent page shows.
struct ConsentPageView {
  std::string form_action;  // where the form posts (the request's own target)
  std::string csrf;
  std::string project_name;
  std::string nickname;  // the signed-in user
  std::vector<ScopeLine> scopes;
};

// The consent page (status 200): `#consent-form`, `#consent-project`, one `li.scope[data-scope]` per scope,
// `#consent-allow` and `#consent-deny`.
http::Response ConsentPage(const ConsentPageView& view);

// One project the user authorized, as the grants page lists it.
struct GrantLine {
  std::string project_id;  // decimal, posted back to revoke
  std::string client_id;
  std::string project_name;
  std::string granted_at;  // the service's local time, API form
  std::vector<ScopeLine> scopes;
};

// What the grants page shows.
struct GrantsPageView {
  std::string csrf;
  std::string nickname;
  std::vector<GrantLine> grants;
};

// The grants page (status 200): one `li.grant[data-client-id]` per grant with a revoke form
// (`button.grant-revoke`), or `#no-grants`; a sign-out form posting to /OAuth/Logout.
http::Response GrantsPage(const GrantsPageView& view);

// An error page: status StatusOf(`code`), the heading `title` and `message` in `#error-message`.
http::Response ErrorPage(ErrorCode code, std::string_view title, std::string_view message);

}  // namespace phonechat
